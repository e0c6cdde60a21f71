// RUN: lpq-opt %s -pass-pipeline="builtin.module(func.func(lpq-gpu-prepare-loops))" -verify-diagnostics

/// A sequential loop that reads memory and whose value reaches the host
/// (here: the return) cannot become a one-thread kernel: rejected with a
/// clear error rather than miscompiled.
func.func @sum(%m: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{the values of this sequential loop, which reads memory, reach the host or a parallel loop}}
  %s = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> f32 {
    %v = memref.load %m[%i] : memref<8xf32>
    %a = arith.addf %acc, %v : f32
    scf.yield %a : f32
  }
  return %s : f32
}

// -----

/// A value read from device memory cannot steer the host (here: the size of
/// an allocation).
func.func @load_to_host(%n: memref<index>) -> memref<?xf32> {
  %s = memref.load %n[] : memref<index>
  // expected-error @+1 {{lpq-gpu-prepare-loops: uses a value the host would read from device memory; only kernels may use it}}
  %a = memref.alloc(%s) : memref<?xf32>
  return %a : memref<?xf32>
}

// -----

/// Nor may a kernel before the one using it overwrite what was read.
func.func @overwritten(%scale: memref<f32>, %x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{lpq-gpu-prepare-loops: the host reads device memory that is written before the kernel using the value}}
  %s = memref.load %scale[] : memref<f32>
  scf.parallel (%i) = (%c0) to (%c1) step (%c1) {
    memref.store %zero, %scale[] : memref<f32>
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %s, %x[%i] : memref<8xf32>
  }
  return
}
