// RUN: lpq-opt %s -lpq-result-dims | FileCheck %s
// RUN: lpq-opt %s -lpq-result-dims -convert-lpq-to-arith -resolve-ranked-shaped-type-result-dims -canonicalize -cse | FileCheck %s --check-prefix=RESOLVED

/// A public function with dynamic result extents gains NAME_result_dims: the
/// same arguments, the extents of its results in order as a tensor of i64.
/// Static results, scalars and private functions are left alone.
// CHECK-LABEL: func.func @f(
// CHECK-LABEL: func.func @f_result_dims(
// CHECK-SAME: %[[X:.*]]: tensor<?x4xf32>, %[[S:.*]]: f32) -> tensor<2xi64>
// CHECK: %[[Q:.*]] = lpq.quantize
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[Q]]
// CHECK: %[[D0:.*]] = tensor.dim %[[Q]], %c0
// CHECK: %[[I0:.*]] = arith.index_cast %[[D0]] : index to i64
// CHECK: %[[D1:.*]] = tensor.dim %[[C]], %c0
// CHECK: %[[I1:.*]] = arith.index_cast %[[D1]] : index to i64
// CHECK: %[[T:.*]] = tensor.from_elements %[[I0]], %[[I1]] : tensor<2xi64>
// CHECK: return %[[T]] : tensor<2xi64>
// CHECK-NOT: func.func @g_result_dims
// CHECK-NOT: func.func @h_result_dims
/// After the expansion (as in the pipelines) and resolution, the extents
/// come from the argument and the quantizer's loop nest is gone: n and 4n.
// RESOLVED-LABEL: func.func @f_result_dims(
// RESOLVED-NOT: linalg.generic
// RESOLVED: %[[N:.*]] = tensor.dim %arg0, %c0
// RESOLVED: %[[I0:.*]] = arith.index_cast %[[N]]
// RESOLVED: %[[N4:.*]] = affine.apply #{{.*}}()[%[[N]]]
// RESOLVED: %[[I1:.*]] = arith.index_cast %[[N4]]
// RESOLVED: tensor.from_elements %[[I0]], %[[I1]]
func.func @f(%x: tensor<?x4xf32>, %s: f32)
    -> (tensor<?x4xf32>, tensor<3xf32>, tensor<?xf32>) {
  %q = lpq.quantize %x : tensor<?x4xf32> to #lpq.fixed<8, 4>
  %c = tensor.collapse_shape %q [[0, 1]] : tensor<?x4xf32> into tensor<?xf32>
  %e = tensor.empty() : tensor<3xf32>
  return %q, %e, %c : tensor<?x4xf32>, tensor<3xf32>, tensor<?xf32>
}

func.func @g(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

func.func private @h(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}
