// RUN: lpq-opt %s -lpq-results-to-destinations="check-extents" | FileCheck %s

/// With check-extents, the extents @f_result_dims computes are computed
/// again at f's entry and compared with the destinations', one assertion
/// per dynamic extent, before anything else runs; the companion itself
/// only gets its destination.
// CHECK-LABEL: func.func @f
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[Y:.*]]: tensor<?xf32>, %[[O0:.*]]: memref<?x8xf32>, %[[O1:.*]]: memref<4x?xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]]
// CHECK: %[[N64:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: %[[M:.*]] = tensor.dim %[[Y]]
// CHECK: %[[M2:.*]] = arith.muli
// CHECK: %[[M64:.*]] = arith.index_cast %[[M2]] : index to i64
// CHECK: %[[D0:.*]] = memref.dim %[[O0]], %{{.*}} : memref<?x8xf32>
// CHECK: %[[D064:.*]] = arith.index_cast %[[D0]]
// CHECK: %[[OK0:.*]] = arith.cmpi eq, %[[D064]], %[[N64]]
// CHECK: cf.assert %[[OK0]], "lpq: result #0 of @f: its destination's dimension #0 differs from the result's (@f_result_dims computes the extents to allocate)"
// CHECK: %[[D1:.*]] = memref.dim %[[O1]], %{{.*}} : memref<4x?xf32>
// CHECK: %[[D164:.*]] = arith.index_cast %[[D1]]
// CHECK: %[[OK1:.*]] = arith.cmpi eq, %[[D164]], %[[M64]]
// CHECK: cf.assert %[[OK1]], "lpq: result #1 of @f: its destination's dimension #1 differs
// CHECK: lpq.quantize
// CHECK-LABEL: func.func @f_result_dims
// CHECK-NOT: cf.assert
// CHECK: bufferization.materialize_in_destination
func.func @f(%x: tensor<?x8xf32>, %y: tensor<?xf32>) -> (tensor<?x8xf32>, tensor<4x?xf32>) {
  %q = lpq.quantize %x : tensor<?x8xf32> to #lpq.fixed<8, 4>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %y, %c0 : tensor<?xf32>
  %e = tensor.empty(%m) : tensor<4x?xf32>
  %two = arith.constant 2 : index
  %mm = arith.muli %m, %two : index
  %e2 = tensor.empty(%mm) : tensor<4x?xf32>
  return %q, %e2 : tensor<?x8xf32>, tensor<4x?xf32>
}
func.func @f_result_dims(%x: tensor<?x8xf32>, %y: tensor<?xf32>) -> tensor<2xi64> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %n64 = arith.index_cast %n : index to i64
  %m = tensor.dim %y, %c0 : tensor<?xf32>
  %two = arith.constant 2 : index
  %mm = arith.muli %m, %two : index
  %m64 = arith.index_cast %mm : index to i64
  %dims = tensor.from_elements %n64, %m64 : tensor<2xi64>
  return %dims : tensor<2xi64>
}

/// Unchecked: a companion that reads an element of an argument (an extent
/// that depends on the data), one that still holds a computation on
/// tensors, and a function without a companion.
// CHECK-LABEL: func.func @data
// CHECK-NOT: cf.assert
// CHECK-LABEL: func.func @data_result_dims
// CHECK-LABEL: func.func @computed
// CHECK-NOT: cf.assert
// CHECK-LABEL: func.func @computed_result_dims
// CHECK-LABEL: func.func @alone
// CHECK-NOT: cf.assert
// CHECK: return
func.func @data(%n: tensor<1xindex>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %k = tensor.extract %n[%c0] : tensor<1xindex>
  %e = tensor.empty(%k) : tensor<?xf32>
  return %e : tensor<?xf32>
}
func.func @data_result_dims(%n: tensor<1xindex>) -> tensor<1xi64> {
  %c0 = arith.constant 0 : index
  %k = tensor.extract %n[%c0] : tensor<1xindex>
  %k64 = arith.index_cast %k : index to i64
  %dims = tensor.from_elements %k64 : tensor<1xi64>
  return %dims : tensor<1xi64>
}
func.func @computed(%x: tensor<?xf32>) -> tensor<?xf32> {
  %q = lpq.quantize %x : tensor<?xf32> to #lpq.fixed<8, 4>
  return %q : tensor<?xf32>
}
func.func @computed_result_dims(%x: tensor<?xf32>) -> tensor<1xi64> {
  %q = lpq.quantize %x : tensor<?xf32> to #lpq.fixed<8, 4>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?xf32>
  %n64 = arith.index_cast %n : index to i64
  %dims = tensor.from_elements %n64 : tensor<1xi64>
  return %dims : tensor<1xi64>
}
func.func @alone(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}

/// Unchecked: companions whose signature is not the one lpq-result-dims
/// gives (other argument types; fewer extents than dynamic dimensions).
// CHECK-LABEL: func.func @other_args
// CHECK-NOT: cf.assert
// CHECK-LABEL: func.func @other_args_result_dims
// CHECK-LABEL: func.func @short
// CHECK-NOT: cf.assert
// CHECK: return
func.func @other_args(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}
func.func @other_args_result_dims(%x: tensor<?xf64>) -> tensor<1xi64> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf64>
  %n64 = arith.index_cast %n : index to i64
  %dims = tensor.from_elements %n64 : tensor<1xi64>
  return %dims : tensor<1xi64>
}
func.func @short(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  return %x : tensor<?x?xf32>
}
func.func @short_result_dims(%x: tensor<?x?xf32>) -> tensor<1xi64> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x?xf32>
  %n64 = arith.index_cast %n : index to i64
  %dims = tensor.from_elements %n64 : tensor<1xi64>
  return %dims : tensor<1xi64>
}
