// A 6-5-3 MLP on batches of 4, weights [out, in] as torch-mlir exports
// them (transpose + matmul), for the lpq-train-step tests.
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>
func.func @forward(%x: tensor<4x6xf32>, %w: tensor<5x6xf32> {lpq.param},
                   %b: tensor<5xf32> {lpq.param},
                   %w2: tensor<3x5xf32> {lpq.param}) -> tensor<4x3xf32> {
  %zero = arith.constant 0.0 : f32
  %te = tensor.empty() : tensor<6x5xf32>
  %wt = linalg.transpose ins(%w : tensor<5x6xf32>) outs(%te : tensor<6x5xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<4x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x5xf32>) -> tensor<4x5xf32>
  %h = linalg.matmul ins(%x, %wt : tensor<4x6xf32>, tensor<6x5xf32>) outs(%z : tensor<4x5xf32>) -> tensor<4x5xf32>
  %a = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : tensor<4x5xf32>, tensor<5xf32>) outs(%e : tensor<4x5xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %s = arith.addf %u, %v : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x5xf32>
  %te2 = tensor.empty() : tensor<5x3xf32>
  %w2t = linalg.transpose ins(%w2 : tensor<3x5xf32>) outs(%te2 : tensor<5x3xf32>) permutation = [1, 0]
  %e2 = tensor.empty() : tensor<4x3xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %l = linalg.matmul ins(%a, %w2t : tensor<4x5xf32>, tensor<5x3xf32>) outs(%z2 : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %l : tensor<4x3xf32>
}
