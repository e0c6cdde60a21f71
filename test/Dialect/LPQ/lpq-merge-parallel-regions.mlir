// RUN: lpq-opt %s -pass-pipeline="builtin.module(func.func(lpq-merge-parallel-regions))" | FileCheck %s

// Two worksharing loops with a sequential store, a read of a scalar and a
// temporary between them become one region: the allocation before it, the
// store in omp.single, the read in every thread followed by a barrier, the
// deallocation after it.

// CHECK-LABEL: func.func @two_loops
// CHECK:      %[[T:.*]] = memref.alloc() : memref<f32>
// CHECK-NEXT: omp.parallel {
// CHECK:        omp.wsloop {
// CHECK:        omp.single {
// CHECK-NEXT:     memref.store %{{.*}}, %[[T]][]
// CHECK-NEXT:     omp.terminator
// CHECK:        %[[S:.*]] = memref.load %[[T]][]
// CHECK-NEXT:   omp.barrier
// CHECK-NEXT:   omp.wsloop {
// CHECK:          memref.store %[[S]], %arg1
// CHECK:        omp.terminator
// CHECK-NEXT: }
// CHECK-NEXT: memref.dealloc %[[T]]
// CHECK-NOT:  omp.parallel
func.func @two_loops(%a: memref<64xf32>, %b: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %two = arith.constant 2.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %two, %a[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %t = memref.alloc() : memref<f32>
  memref.store %two, %t[] : memref<f32>
  %s = memref.load %t[] : memref<f32>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %s, %b[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  memref.dealloc %t : memref<f32>
  return
}

// A value computed between the regions and used after them keeps the
// regions apart.

// CHECK-LABEL: func.func @escaping
// CHECK-COUNT-2: omp.parallel
func.func @escaping(%a: memref<64xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %two = arith.constant 2.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %two, %a[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %x = memref.load %a[%c0] : memref<64xf32>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %x, %a[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  memref.store %x, %out[] : memref<f32>
  return
}

// A reshape between the regions, used after them (a reshaped result), is
// made before the merged region.

// CHECK-LABEL: func.func @reshaped_result
// CHECK-NOT:  omp.parallel
// CHECK:      %[[V:.*]] = memref.expand_shape %arg0
// CHECK-NEXT: omp.parallel {
// CHECK-NOT:  omp.parallel
// CHECK:      memref.copy %[[V]], %arg1
func.func @reshaped_result(%a: memref<64xf32>, %out: memref<8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %two = arith.constant 2.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %two, %a[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %v = memref.expand_shape %a [[0, 1]] output_shape [8, 8] : memref<64xf32> into memref<8x8xf32>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %two, %a[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  memref.copy %v, %out : memref<8x8xf32> to memref<8x8xf32>
  return
}

// A stack buffer between the regions (lpq-buffer-random-words' words for a
// sequential rounding) moves before the merged region like a heap one; the
// code using it runs in omp.single.

// CHECK-LABEL: func.func @stack_buffer
// CHECK:      %[[W:.*]] = memref.alloca() : memref<16xi32>
// CHECK-NEXT: omp.parallel {
// CHECK:        omp.wsloop {
// CHECK:        omp.single {
// CHECK-NEXT:     memref.store %{{.*}}, %[[W]]
// CHECK:        omp.wsloop {
// CHECK:        omp.terminator
// CHECK-NEXT: }
// CHECK-NOT:  omp.parallel
func.func @stack_buffer(%a: memref<64xf32>, %b: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %two = arith.constant 2.0 : f32
  %word = arith.constant 7 : i32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %two, %a[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %w = memref.alloca() : memref<16xi32>
  memref.store %word, %w[%c0] : memref<16xi32>
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %two, %b[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
