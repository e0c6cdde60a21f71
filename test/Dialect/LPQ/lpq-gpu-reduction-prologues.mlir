// RUN: lpq-opt %s -split-input-file -lpq-gpu-reduction-prologues | FileCheck %s

// A bias and a ReLU, then (after an unrelated nest) the rows' maxima of
// their result: each element is computed and stored where the maxima
// loaded it; the later reader of %h still finds it in memory.

// CHECK-LABEL: func.func @bias_relu_maxima
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c8, %c4)
// CHECK: memref.store %{{.*}}, %arg4
// CHECK: scf.parallel (%[[R:.*]]) = (%c0) to (%c4)
// CHECK: memref.store %{{.*}}, %[[MAX:.*]][%[[R]]]
// CHECK: scf.for %[[J:.*]] = %c0 to %c16
// CHECK-NEXT: %[[MM:.*]] = memref.load %arg0[%[[R]], %[[J]]]
// CHECK-NEXT: %[[B:.*]] = memref.load %arg1[%[[J]]]
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[MM]], %[[B]]
// CHECK-NEXT: %[[V:.*]] = arith.maximumf %[[S]], %{{.*}}
// CHECK-NEXT: memref.store %[[V]], %[[H:.*]][%[[R]], %[[J]]]
// CHECK-NEXT: %[[ACC:.*]] = memref.load %[[MAX]][%[[R]]]
// CHECK-NEXT: %[[A:.*]] = math.absf %[[V]]
// CHECK-NEXT: arith.maxnumf %[[A]], %[[ACC]]
// CHECK: scf.parallel
// CHECK: memref.load %[[H]]
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @bias_relu_maxima(%mm: memref<4x16xf32>, %b: memref<16xf32>, %y: memref<4x16xf32>,
                            %w: memref<4x8xf32>, %wt: memref<8x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  scf.parallel (%r, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    %m = memref.load %mm[%r, %j] : memref<4x16xf32>
    %bj = memref.load %b[%j] : memref<16xf32>
    %s = arith.addf %m, %bj : f32
    %v = arith.maximumf %s, %zero : f32
    memref.store %v, %h[%r, %j] : memref<4x16xf32>
    scf.reduce
  }
  scf.parallel (%i, %k) = (%c0, %c0) to (%c8, %c4) step (%c1, %c1) {
    %v = memref.load %w[%k, %i] : memref<4x8xf32>
    memref.store %v, %wt[%i, %k] : memref<8x4xf32>
    scf.reduce
  }
  %max = memref.alloc() : memref<4xf32>
  scf.parallel (%r) = (%c0) to (%c4) step (%c1) {
    memref.store %zero, %max[%r] : memref<4xf32>
    scf.for %j = %c0 to %c16 step %c1 {
      %x = memref.load %h[%r, %j] : memref<4x16xf32>
      %acc = memref.load %max[%r] : memref<4xf32>
      %a = math.absf %x : f32
      %m = arith.maxnumf %a, %acc : f32
      memref.store %m, %max[%r] : memref<4xf32>
    }
    scf.reduce
  }
  scf.parallel (%r, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    %x = memref.load %h[%r, %j] : memref<4x16xf32>
    %m = memref.load %max[%r] : memref<4xf32>
    %q = arith.divf %x, %m : f32
    memref.store %q, %y[%r, %j] : memref<4x16xf32>
    scf.reduce
  }
  return
}

// -----

// Kept: a nest between the two writes what the producer reads (@clobbered);
// the reduction reads the output transposed (@transposed); another nest
// reads the output first (@read_before); the reduction's rows are not the
// producer's (@other_extent).

// CHECK-LABEL: func.func @clobbered
// CHECK-COUNT-3: scf.parallel
// CHECK: scf.for
// CHECK-NEXT: memref.load %[[H:alloc[_0-9]*]]
func.func @clobbered(%mm: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  scf.parallel (%r, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    %m = memref.load %mm[%r, %j] : memref<4x16xf32>
    memref.store %m, %h[%r, %j] : memref<4x16xf32>
    scf.reduce
  }
  scf.parallel (%r, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    memref.store %zero, %mm[%r, %j] : memref<4x16xf32>
    scf.reduce
  }
  %max = memref.alloc() : memref<4xf32>
  scf.parallel (%r) = (%c0) to (%c4) step (%c1) {
    scf.for %j = %c0 to %c16 step %c1 {
      %x = memref.load %h[%r, %j] : memref<4x16xf32>
      %acc = memref.load %max[%r] : memref<4xf32>
      %m = arith.maxnumf %x, %acc : f32
      memref.store %m, %max[%r] : memref<4xf32>
    }
    scf.reduce
  }
  return
}

// CHECK-LABEL: func.func @transposed
// CHECK-COUNT-2: scf.parallel
// CHECK: scf.for
// CHECK-NEXT: memref.load %[[H:alloc[_0-9]*]]
func.func @transposed(%mm: memref<4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %h = memref.alloc() : memref<4x4xf32>
  scf.parallel (%r, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %m = memref.load %mm[%r, %j] : memref<4x4xf32>
    memref.store %m, %h[%r, %j] : memref<4x4xf32>
    scf.reduce
  }
  %max = memref.alloc() : memref<4xf32>
  scf.parallel (%r) = (%c0) to (%c4) step (%c1) {
    scf.for %j = %c0 to %c4 step %c1 {
      %x = memref.load %h[%j, %r] : memref<4x4xf32>
      %acc = memref.load %max[%r] : memref<4xf32>
      %m = arith.maxnumf %x, %acc : f32
      memref.store %m, %max[%r] : memref<4xf32>
    }
    scf.reduce
  }
  return
}

// CHECK-LABEL: func.func @read_before
// CHECK-COUNT-3: scf.parallel
// CHECK: scf.for
// CHECK-NEXT: memref.load %[[H:alloc[_0-9]*]]
func.func @read_before(%mm: memref<4x16xf32>, %y: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %h = memref.alloc() : memref<4x16xf32>
  scf.parallel (%r, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    %m = memref.load %mm[%r, %j] : memref<4x16xf32>
    memref.store %m, %h[%r, %j] : memref<4x16xf32>
    scf.reduce
  }
  scf.parallel (%r, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    %x = memref.load %h[%r, %j] : memref<4x16xf32>
    memref.store %x, %y[%r, %j] : memref<4x16xf32>
    scf.reduce
  }
  %max = memref.alloc() : memref<4xf32>
  scf.parallel (%r) = (%c0) to (%c4) step (%c1) {
    scf.for %j = %c0 to %c16 step %c1 {
      %x = memref.load %h[%r, %j] : memref<4x16xf32>
      %acc = memref.load %max[%r] : memref<4xf32>
      %m = arith.maxnumf %x, %acc : f32
      memref.store %m, %max[%r] : memref<4xf32>
    }
    scf.reduce
  }
  return
}

// CHECK-LABEL: func.func @other_extent
// CHECK-COUNT-2: scf.parallel
// CHECK: scf.for
// CHECK-NEXT: memref.load %[[H:alloc[_0-9]*]]
func.func @other_extent(%mm: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %h = memref.alloc() : memref<4x16xf32>
  scf.parallel (%r, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    %m = memref.load %mm[%r, %j] : memref<4x16xf32>
    memref.store %m, %h[%r, %j] : memref<4x16xf32>
    scf.reduce
  }
  %max = memref.alloc() : memref<4xf32>
  scf.parallel (%r) = (%c0) to (%c2) step (%c1) {
    scf.for %j = %c0 to %c16 step %c1 {
      %x = memref.load %h[%r, %j] : memref<4x16xf32>
      %acc = memref.load %max[%r] : memref<4xf32>
      %m = arith.maxnumf %x, %acc : f32
      memref.store %m, %max[%r] : memref<4xf32>
    }
    scf.reduce
  }
  return
}
