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
