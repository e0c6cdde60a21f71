// RUN: lpq-opt %s -lpq-order-loops | FileCheck %s

#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>

/// A matmul (i, j, k) becomes (i, k, j): B and C are read along the
/// innermost loop.
// CHECK-DAG: #[[$A:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$X:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$R:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @matmul
// CHECK: linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$C]]], iterator_types = ["parallel", "reduction", "parallel"]}
func.func @matmul(%x: tensor<4x8xf32>, %y: tensor<8x16xf32>, %init: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %m = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %y : tensor<4x8xf32>, tensor<8x16xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %p = arith.mulf %u, %v : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %m : tensor<4x16xf32>
}

/// A row sum reads its input along the reduction: it stays as it is.
// CHECK-LABEL: func @row_sum
// CHECK: linalg.generic {indexing_maps = [#[[$X]], #[[$R]]], iterator_types = ["parallel", "reduction"]}
func.func @row_sum(%x: tensor<4x8xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%u: f32, %o: f32):
    %a = arith.addf %o, %u : f32
    linalg.yield %a : f32
  } -> tensor<4xf32>
  return %s : tensor<4xf32>
}

/// A column sum (bias gradient): the parallel loop goes outermost (one
/// parallel loop over columns, each summed down in row order) instead of a
/// parallel loop per row.
// CHECK-LABEL: func @column_sum
// CHECK: linalg.generic {indexing_maps = [#[[$T:.*]], #[[$R]]], iterator_types = ["parallel", "reduction"]}
func.func @column_sum(%x: tensor<4x8xf32>, %init: tensor<8xf32>) -> tensor<8xf32> {
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%init : tensor<8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %a = arith.addf %o, %u : f32
    linalg.yield %a : f32
  } -> tensor<8xf32>
  return %s : tensor<8xf32>
}
