// RUN: lpq-opt %s -lpq-vectorize-transposes | FileCheck %s

// A transposing copy of a 16x24 matrix: 8x8 blocks of eight row loads,
// 24 shuffles and eight row stores.

// CHECK-LABEL: func.func @transpose
// CHECK:      affine.for %[[I:.*]] = 0 to 24 step 8 {
// CHECK-NEXT:   affine.for %[[J:.*]] = 0 to 16 step 8 {
// CHECK-NEXT:     %[[R0:.*]] = affine.vector_load %arg0[%[[J]], %[[I]]] : memref<16x24xf32>, vector<8xf32>
// CHECK-NEXT:     %[[R1:.*]] = affine.vector_load %arg0[%[[J]] + 1, %[[I]]] : memref<16x24xf32>, vector<8xf32>
// CHECK-COUNT-6: affine.vector_load
// CHECK-NEXT:     vector.shuffle %[[R0]], %[[R1]] [0, 8, 1, 9, 4, 12, 5, 13]
// CHECK-COUNT-23: vector.shuffle
// CHECK-NEXT:     affine.vector_store %{{.*}}, %arg1[%[[I]], %[[J]]] : memref<24x16xf32>, vector<8xf32>
// CHECK-COUNT-6: affine.vector_store
// CHECK-NEXT:     affine.vector_store %{{.*}}, %arg1[%[[I]] + 7, %[[J]]] : memref<24x16xf32>, vector<8xf32>
// CHECK-NOT:  affine.load
func.func @transpose(%in: memref<16x24xf32>, %out: memref<24x16xf32>) {
  affine.for %i = 0 to 24 {
    affine.for %j = 0 to 16 {
      %v = affine.load %in[%j, %i] : memref<16x24xf32>
      affine.store %v, %out[%i, %j] : memref<24x16xf32>
    }
  }
  return
}

// Extents that are not multiples of 8, a plain copy and a copy with
// something else in its body are left alone.

// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:  vector
// CHECK:      return
func.func @left_alone(%a: memref<12x16xf32>, %b: memref<16x12xf32>, %c: memref<16x16xf32>, %d: memref<16x16xf32>) {
  affine.for %i = 0 to 16 {
    affine.for %j = 0 to 12 {
      %v = affine.load %a[%j, %i] : memref<12x16xf32>
      affine.store %v, %b[%i, %j] : memref<16x12xf32>
    }
  }
  affine.for %i = 0 to 16 {
    affine.for %j = 0 to 16 {
      %v = affine.load %c[%i, %j] : memref<16x16xf32>
      affine.store %v, %d[%i, %j] : memref<16x16xf32>
    }
  }
  affine.for %i = 0 to 16 {
    affine.for %j = 0 to 16 {
      %v = affine.load %c[%j, %i] : memref<16x16xf32>
      %w = arith.addf %v, %v : f32
      affine.store %w, %d[%i, %j] : memref<16x16xf32>
    }
  }
  return
}
