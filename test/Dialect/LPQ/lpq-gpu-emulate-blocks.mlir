// RUN: lpq-opt %s -split-input-file -verify-diagnostics -pass-pipeline="builtin.module(func.func(lpq-gpu-emulate-blocks))" | FileCheck %s

/// A block-wide maximum, then its use after a barrier: three phases, each a
/// loop over the 64 threads in reverse order (thread 63 - %i); the partials
/// go through a buffer of one element per thread and are folded between
/// the first two phases; the value thread 0 stores before the barrier is
/// read in the last phase.
// CHECK-LABEL: func.func @row
// CHECK: scf.parallel (%[[ROW:.*]]) =
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<64xf32>
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT: %[[T:.*]] = arith.subi %[[LAST:.*]], %[[I]] : index
// CHECK: %[[P:.*]] = memref.load %arg0[%[[ROW]], %[[T]]]
// CHECK: memref.store %[[P]], %[[BUF]][%[[T]]]
// CHECK: %[[FIRST:.*]] = memref.load %[[BUF]][%{{.*}}]
// CHECK: %[[MAX:.*]] = scf.for %[[J:.*]] = {{.*}} iter_args(%[[A:.*]] = %[[FIRST]]) -> (f32)
// CHECK: %[[V:.*]] = memref.load %[[BUF]][%[[J]]]
// CHECK: arith.maxnumf %[[A]], %[[V]]
// CHECK: scf.for %[[I2:.*]] =
// CHECK-NEXT: %[[T2:.*]] = arith.subi %[[LAST]], %[[I2]] : index
// CHECK: scf.if
// CHECK-NEXT: memref.store %[[MAX]], %arg1[%[[ROW]]]
// CHECK: scf.for %[[I3:.*]] =
// CHECK-NEXT: %[[T3:.*]] = arith.subi %[[LAST]], %[[I3]] : index
// CHECK: memref.load %arg1[%[[ROW]]]
// CHECK: memref.store %{{.*}}, %arg2[%[[ROW]], %[[T3]]]
// CHECK: memref.dealloc %[[BUF]]
// CHECK-NOT: gpu.
// CHECK: return
func.func @row(%x: memref<4x64xf32>, %m: memref<4xf32>, %y: memref<4x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%row) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%t) = (%c0) to (%c64) step (%c1) {
      %p = memref.load %x[%row, %t] : memref<4x64xf32>
      %r = gpu.all_reduce maxnumf %p uniform {} : (f32) -> f32
      %first = arith.cmpi eq, %t, %c0 : index
      scf.if %first {
        memref.store %r, %m[%row] : memref<4xf32>
      }
      gpu.barrier
      %v = memref.load %m[%row] : memref<4xf32>
      %w = arith.addf %v, %p : f32
      memref.store %w, %y[%row, %t] : memref<4x64xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

func.func @nested(%x: memref<64xf32>, %c: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%t) = (%c0) to (%c64) step (%c1) {
    gpu.barrier
    // expected-error @+1 {{a synchronization nested in this op cannot be emulated}}
    scf.if %c {
      gpu.barrier
    }
    scf.reduce
  }
  return
}
