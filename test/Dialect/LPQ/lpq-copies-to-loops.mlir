// RUN: lpq-opt %s -lpq-copies-to-loops | FileCheck %s

// A copy into a strided view (a padded convolution input) becomes
// linalg.copy, which the pipelines lower to loops like every other op.
// CHECK-LABEL: func.func @pad_copy
// CHECK-NOT:  memref.copy
// CHECK:      linalg.copy ins(%arg0 : memref<4x8xf32>) outs(%{{.*}} : memref<4x8xf32, strided<[12, 1], offset: 26>>)
// CHECK-NOT:  memref.copy
func.func @pad_copy(%x: memref<4x8xf32>, %padded: memref<8x12xf32>) {
  %view = memref.subview %padded[2, 2] [4, 8] [1, 1] : memref<8x12xf32> to memref<4x8xf32, strided<[12, 1], offset: 26>>
  memref.copy %x, %view : memref<4x8xf32> to memref<4x8xf32, strided<[12, 1], offset: 26>>
  return
}
