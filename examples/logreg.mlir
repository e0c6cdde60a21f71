// Logistic regression on Fashion-MNIST, as a forward function in linalg on
// tensors (the shape of a torch-mlir export): a batch of images
// [128, 1, 28, 28] is flattened and mapped to 10 logits. Parameters carry
// the `lpq.param` argument attribute; the weight is [out, in] as in PyTorch.
//
//   lpq-run examples/logreg.mlir --arg=rand:128x1x28x28 --arg=rand:10x784 --arg=rand:10

func.func @forward(%x: tensor<128x1x28x28xf32>,
                   %w: tensor<10x784xf32> {lpq.param},
                   %b: tensor<10xf32> {lpq.param}) -> tensor<128x10xf32> {
  %zero = arith.constant 0.0 : f32
  %flat = tensor.collapse_shape %x [[0], [1, 2, 3]]
      : tensor<128x1x28x28xf32> into tensor<128x784xf32>
  %e = tensor.empty() : tensor<128x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<128x10xf32>)
      -> tensor<128x10xf32>
  %w_e = tensor.empty() : tensor<784x10xf32>
  %w_t = linalg.transpose ins(%w : tensor<10x784xf32>)
      outs(%w_e : tensor<784x10xf32>) permutation = [1, 0]
  %h = linalg.matmul ins(%flat, %w_t : tensor<128x784xf32>, tensor<784x10xf32>)
      outs(%z : tensor<128x10xf32>) -> tensor<128x10xf32>
  %logits = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>,
                       affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : tensor<128x10xf32>, tensor<10xf32>)
      outs(%e : tensor<128x10xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<128x10xf32>
  return %logits : tensor<128x10xf32>
}
