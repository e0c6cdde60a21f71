// RUN: lpq-opt %s -split-input-file -lpq-gpu-recompute-block-reductions | FileCheck %s

// A whole tensor's maximum over its rows' maxima (one block of 128
// threads; thread 0 stores the maximum and its exponent) moves into each
// block of the rounding that loads the exponent: thread t does what thread
// t mod 128 did, every thread computes the exponent, and the load becomes
// that value. The maximum's buffer is read first (the partials start from
// the fill's value) and no longer written.

// CHECK-LABEL: func.func @tensor_maximum
// CHECK-NOT: gpu.all_reduce
// CHECK: scf.parallel (%[[B:.*]]) = (%{{.*}}) to (%{{.*}}) step (%c1024)
// CHECK-NEXT: scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%c256)
// CHECK-NEXT: %[[C128:.*]] = arith.constant 128 : index
// CHECK-NEXT: %[[U:.*]] = arith.remui %[[T]], %[[C128]]
// CHECK: %[[INIT:.*]] = memref.load %[[MAX:.*]][%{{.*}}] : memref<1xf32>
// CHECK: %[[P:.*]] = scf.for %{{.*}} = %[[U]] to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[INIT]])
// CHECK: %[[M:.*]] = gpu.all_reduce maxnumf %[[P]] uniform
// CHECK-NOT: memref.store
// CHECK: %[[E:.*]] = arith.fptosi %[[M]]
// CHECK-NOT: memref.load %{{.*}} : memref<1xi32>
// CHECK: arith.sitofp %[[E]]
// CHECK: memref.store
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @tensor_maximum(%rows: memref<128xf32>, %x: memref<2048xf32>, %y: memref<2048xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  %c1024 = arith.constant 1024 : index
  %c2048 = arith.constant 2048 : index
  %max = memref.alloc() : memref<1xf32>
  %exp = memref.alloc() : memref<1xi32>
  scf.parallel (%b) = (%c0) to (%c1) step (%c1) {
    %k1 = arith.constant 1 : index
    scf.parallel (%t) = (%c0) to (%c128) step (%k1) {
      %init = memref.load %max[%c0] : memref<1xf32>
      %p = scf.for %i = %t to %c128 step %c128 iter_args(%acc = %init) -> (f32) {
        %v = memref.load %rows[%i] : memref<128xf32>
        %m = arith.maxnumf %v, %acc : f32
        scf.yield %m : f32
      }
      %r = gpu.all_reduce maxnumf %p uniform {} : (f32) -> f32
      %first = arith.cmpi eq, %t, %c0 : index
      scf.if %first {
        memref.store %r, %max[%c0] : memref<1xf32>
        %back = memref.load %max[%c0] : memref<1xf32>
        %e = arith.fptosi %back : f32 to i32
        memref.store %e, %exp[%c0] : memref<1xi32>
      }
      scf.reduce
    }
    scf.reduce
  }
  %view = memref.collapse_shape %exp [] : memref<1xi32> into memref<i32>
  scf.parallel (%b) = (%c0) to (%c2048) step (%c1024) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %i = arith.addi %b, %t : index
      %v = memref.load %x[%i] : memref<2048xf32>
      %e = memref.load %view[] : memref<i32>
      %s = arith.sitofp %e : i32 to f32
      %w = arith.mulf %v, %s : f32
      memref.store %w, %y[%i] : memref<2048xf32>
      scf.reduce
    }
    scf.reduce
  }
  memref.dealloc %max : memref<1xf32>
  memref.dealloc %exp : memref<1xi32>
  return
}

// -----

// Kept: a sum (its terms would be added again by the extra threads, and
// in another order); a kernel between the two that writes the rows; a
// reader with fewer threads than the one block; the scalar read again by
// a later kernel; thread 0's store before the reduction.

// CHECK-LABEL: func.func @kept
// CHECK-NOT: arith.remui
// CHECK-COUNT-5: scf.parallel (%{{.*}}) = (%c0) to (%c1) step (%c1)
// CHECK-NOT: arith.remui
// CHECK: return
func.func @kept(%rows: memref<128xf32>, %x: memref<2048xf32>, %y: memref<2048xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  %c1024 = arith.constant 1024 : index
  %c2048 = arith.constant 2048 : index
  %zero = arith.constant 0.0 : f32
  %s1 = memref.alloc() : memref<1xf32>
  %s2 = memref.alloc() : memref<1xf32>
  %s3 = memref.alloc() : memref<1xf32>
  %s4 = memref.alloc() : memref<1xf32>
  %s5 = memref.alloc() : memref<1xf32>
  // A sum.
  scf.parallel (%b) = (%c0) to (%c1) step (%c1) {
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %p = scf.for %i = %t to %c128 step %c128 iter_args(%acc = %zero) -> (f32) {
        %v = memref.load %rows[%i] : memref<128xf32>
        %m = arith.addf %v, %acc : f32
        scf.yield %m : f32
      }
      %r = gpu.all_reduce add %p uniform {} : (f32) -> f32
      %first = arith.cmpi eq, %t, %c0 : index
      scf.if %first {
        memref.store %r, %s1[%c0] : memref<1xf32>
      }
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%c2048) step (%c1024) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %i = arith.addi %b, %t : index
      %s = memref.load %s1[%c0] : memref<1xf32>
      memref.store %s, %y[%i] : memref<2048xf32>
      scf.reduce
    }
    scf.reduce
  }
  // The rows written in between.
  scf.parallel (%b) = (%c0) to (%c1) step (%c1) {
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %p = scf.for %i = %t to %c128 step %c128 iter_args(%acc = %zero) -> (f32) {
        %v = memref.load %rows[%i] : memref<128xf32>
        %m = arith.maxnumf %v, %acc : f32
        scf.yield %m : f32
      }
      %r = gpu.all_reduce maxnumf %p uniform {} : (f32) -> f32
      %first = arith.cmpi eq, %t, %c0 : index
      scf.if %first {
        memref.store %r, %s2[%c0] : memref<1xf32>
      }
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%c128) step (%c256) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      memref.store %zero, %rows[%t] : memref<128xf32>
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%c2048) step (%c1024) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %i = arith.addi %b, %t : index
      %s = memref.load %s2[%c0] : memref<1xf32>
      memref.store %s, %x[%i] : memref<2048xf32>
      scf.reduce
    }
    scf.reduce
  }
  // A reader of 64 threads.
  scf.parallel (%b) = (%c0) to (%c1) step (%c1) {
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %p = scf.for %i = %t to %c128 step %c128 iter_args(%acc = %zero) -> (f32) {
        %v = memref.load %rows[%i] : memref<128xf32>
        %m = arith.maxnumf %v, %acc : f32
        scf.yield %m : f32
      }
      %r = gpu.all_reduce maxnumf %p uniform {} : (f32) -> f32
      %first = arith.cmpi eq, %t, %c0 : index
      scf.if %first {
        memref.store %r, %s3[%c0] : memref<1xf32>
      }
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%c2048) step (%c64) {
    scf.parallel (%t) = (%c0) to (%c64) step (%c1) {
      %i = arith.addi %b, %t : index
      %s = memref.load %s3[%c0] : memref<1xf32>
      memref.store %s, %y[%i] : memref<2048xf32>
      scf.reduce
    }
    scf.reduce
  }
  // Read by two kernels.
  scf.parallel (%b) = (%c0) to (%c1) step (%c1) {
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %p = scf.for %i = %t to %c128 step %c128 iter_args(%acc = %zero) -> (f32) {
        %v = memref.load %rows[%i] : memref<128xf32>
        %m = arith.maxnumf %v, %acc : f32
        scf.yield %m : f32
      }
      %r = gpu.all_reduce maxnumf %p uniform {} : (f32) -> f32
      %first = arith.cmpi eq, %t, %c0 : index
      scf.if %first {
        memref.store %r, %s4[%c0] : memref<1xf32>
      }
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%c2048) step (%c1024) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %i = arith.addi %b, %t : index
      %s = memref.load %s4[%c0] : memref<1xf32>
      memref.store %s, %x[%i] : memref<2048xf32>
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%c2048) step (%c1024) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %i = arith.addi %b, %t : index
      %s = memref.load %s4[%c0] : memref<1xf32>
      memref.store %s, %y[%i] : memref<2048xf32>
      scf.reduce
    }
    scf.reduce
  }
  // Thread 0 stores before the reduction.
  scf.parallel (%b) = (%c0) to (%c1) step (%c1) {
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %first = arith.cmpi eq, %t, %c0 : index
      scf.if %first {
        memref.store %zero, %s5[%c0] : memref<1xf32>
      }
      %p = scf.for %i = %t to %c128 step %c128 iter_args(%acc = %zero) -> (f32) {
        %v = memref.load %rows[%i] : memref<128xf32>
        %m = arith.maxnumf %v, %acc : f32
        scf.yield %m : f32
      }
      %r = gpu.all_reduce maxnumf %p uniform {} : (f32) -> f32
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%b) = (%c0) to (%c2048) step (%c1024) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %i = arith.addi %b, %t : index
      %s = memref.load %s5[%c0] : memref<1xf32>
      memref.store %s, %x[%i] : memref<2048xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}
