// RUN: lpq-opt %s -lpq-roll-short-reductions | FileCheck %s
// RUN: lpq-opt %s -lpq-roll-short-reductions -convert-scf-to-cf -finalize-memref-to-llvm -convert-to-llvm -reconcile-unrealized-casts -lpq-roll-short-reductions | FileCheck %s --check-prefix=LLVM

// The maximum over a 32-element tile (acc[t] = max(acc[t], |x[t, j]|)) is
// kept rolled; a float sum (order-dependent, not vectorizable) and a 4-long
// max (a pooling window) are left to LLVM's unroller.
// CHECK-DAG:   #[[$UNROLL:.*]] = #llvm.loop_unroll<disable = true>
// CHECK-DAG:   #[[$ROLLED:.*]] = #llvm.loop_annotation<unroll = #[[$UNROLL]]>
// CHECK-LABEL: func.func @tile_max
// CHECK:       scf.for
// CHECK:       scf.for
// CHECK:       arith.maxnumf
// CHECK:       } {llvm.loop_annotation = #[[$ROLLED]]}
// CHECK-NEXT:  }{{$}}
// After lowering to the LLVM dialect the annotation is llvm.br's own,
// which the translation to LLVM IR turns into llvm.loop.unroll.disable.
// LLVM-LABEL: llvm.func @tile_max
// LLVM:       llvm.br ^{{.*}} {loop_annotation = #{{.*}}}
// LLVM-NOT:   llvm.loop_annotation
func.func @tile_max(%x: memref<8x32xf32>, %acc: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  scf.for %t = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c32 step %c1 {
      %v = memref.load %x[%t, %j] : memref<8x32xf32>
      %a = math.absf %v : f32
      %m = memref.load %acc[%t] : memref<8xf32>
      %r = arith.maxnumf %a, %m fastmath<nnan,nsz> : f32
      memref.store %r, %acc[%t] : memref<8xf32>
    }
  }
  return
}

// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:   llvm.loop_annotation
func.func @left_alone(%x: memref<8x32xf32>, %acc: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  scf.for %t = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c32 step %c1 {
      %v = memref.load %x[%t, %j] : memref<8x32xf32>
      %m = memref.load %acc[%t] : memref<8xf32>
      %r = arith.addf %v, %m : f32
      memref.store %r, %acc[%t] : memref<8xf32>
    }
    scf.for %j = %c0 to %c4 step %c1 {
      %v = memref.load %x[%t, %j] : memref<8x32xf32>
      %m = memref.load %acc[%t] : memref<8xf32>
      %r = arith.maxnumf %v, %m : f32
      memref.store %r, %acc[%t] : memref<8xf32>
    }
  }
  return
}
