// lpq-run sizes dynamically shaped results with the extents the module's
// NAME_result_dims (lpq-result-dims) computes from the arguments.
// RUN: lpq-run %s --entry=batch --arg=rand:5x4 --arg=rand:3x4 | FileCheck %s --check-prefix=BATCH
// RUN: lpq-run %s --entry=flatten --arg=rand:6x4 --seed=1 | FileCheck %s --check-prefix=FLAT
// RUN: lpq-run %s --entry=flatten --arg=rand:0x4 | FileCheck %s --check-prefix=EMPTY

/// A batch of 5 through a [3, 4] weight: [5, 3] logits (no argument has
/// that type), the batch's rounded copy [5, 4].
// BATCH: result #0: <f4 [5x3]
// BATCH: result #1: <f4 [5x4]
/// 6 x 4 flattened: 24 elements, each rounded onto quarters.
// FLAT: result #0: <f4 [24]
// EMPTY: result #0: <f4 [0] sum 0

func.func @batch(%x: tensor<?x4xf32>, %w: tensor<3x4xf32>)
    -> (tensor<?x3xf32>, tensor<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x3xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  %wt_e = tensor.empty() : tensor<4x3xf32>
  %wt = linalg.transpose ins(%w : tensor<3x4xf32>) outs(%wt_e : tensor<4x3xf32>)
      permutation = [1, 0]
  %y = linalg.matmul ins(%x, %wt : tensor<?x4xf32>, tensor<4x3xf32>)
      outs(%z : tensor<?x3xf32>) -> tensor<?x3xf32>
  %q = lpq.quantize %x : tensor<?x4xf32> to #lpq.fixed<8, 2>
  return %y, %q : tensor<?x3xf32>, tensor<?x4xf32>
}

func.func @flatten(%x: tensor<?x4xf32>) -> tensor<?xf32> {
  %q = lpq.quantize %x : tensor<?x4xf32> to #lpq.fixed<8, 2>
  %c = tensor.collapse_shape %q [[0, 1]] : tensor<?x4xf32> into tensor<?xf32>
  return %c : tensor<?xf32>
}
