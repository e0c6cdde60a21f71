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

// An elementwise loop along a contiguous axis of 24 (a convolution's bias
// and ReLU over [.., 24, 24]) is kept rolled too: unrolled, LLVM vectorized
// the loop around it with gathers and scatters.
// CHECK-LABEL: func.func @bias_relu_rows
// CHECK:       scf.for
// CHECK:       scf.for
// CHECK:       arith.maximumf
// CHECK:       } {llvm.loop_annotation = #[[$ROLLED]]}
// CHECK-NEXT:  }{{$}}
func.func @bias_relu_rows(%x: memref<24x24xf32>, %b: memref<1xf32>, %y: memref<24x24xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c24 = arith.constant 24 : index
  %zero = arith.constant 0.0 : f32
  scf.for %h = %c0 to %c24 step %c1 {
    scf.for %w = %c0 to %c24 step %c1 {
      %v = memref.load %x[%h, %w] : memref<24x24xf32>
      %bias = memref.load %b[%c0] : memref<1xf32>
      %s = arith.addf %v, %bias : f32
      %r = arith.maximumf %s, %zero : f32
      memref.store %r, %y[%h, %w] : memref<24x24xf32>
    }
  }
  return
}

// Left to LLVM's unroller: elementwise loops of 8 (vectorized well once
// unrolled) and loops that store across their axis (a transposed store).
// CHECK-LABEL: func.func @elementwise_left_alone
// CHECK-NOT:   llvm.loop_annotation
func.func @elementwise_left_alone(%x: memref<24x24xf32>, %y: memref<24x24xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c24 = arith.constant 24 : index
  scf.for %h = %c0 to %c24 step %c1 {
    scf.for %w = %c0 to %c8 step %c1 {
      %v = memref.load %x[%h, %w] : memref<24x24xf32>
      memref.store %v, %y[%h, %w] : memref<24x24xf32>
    }
    scf.for %w = %c0 to %c24 step %c1 {
      %v = memref.load %x[%h, %w] : memref<24x24xf32>
      memref.store %v, %y[%w, %h] : memref<24x24xf32>
    }
  }
  return
}
