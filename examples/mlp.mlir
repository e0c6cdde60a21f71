// A 784-512-10 MLP with ReLU on Fashion-MNIST, as a forward function in
// linalg on tensors (the shape of a torch-mlir export). Parameters carry the
// `lpq.param` argument attribute. Weights are [out, in] as in PyTorch
// (`linear` exports as a transpose and a matmul).
//
//   lpq-run examples/mlp.mlir --arg=rand:128x1x28x28 --arg=rand:512x784 \
//     --arg=rand:512 --arg=rand:10x512 --arg=rand:10

#bias_map = affine_map<(i, j) -> (j)>
#id = affine_map<(i, j) -> (i, j)>

func.func @forward(%x: tensor<128x1x28x28xf32>,
                   %w1: tensor<512x784xf32> {lpq.param},
                   %b1: tensor<512xf32> {lpq.param},
                   %w2: tensor<10x512xf32> {lpq.param},
                   %b2: tensor<10xf32> {lpq.param}) -> tensor<128x10xf32> {
  %zero = arith.constant 0.0 : f32
  %flat = tensor.collapse_shape %x [[0], [1, 2, 3]]
      : tensor<128x1x28x28xf32> into tensor<128x784xf32>

  %e1 = tensor.empty() : tensor<128x512xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<128x512xf32>)
      -> tensor<128x512xf32>
  %w1_e = tensor.empty() : tensor<784x512xf32>
  %w1_t = linalg.transpose ins(%w1 : tensor<512x784xf32>)
      outs(%w1_e : tensor<784x512xf32>) permutation = [1, 0]
  %h1 = linalg.matmul ins(%flat, %w1_t : tensor<128x784xf32>, tensor<784x512xf32>)
      outs(%z1 : tensor<128x512xf32>) -> tensor<128x512xf32>
  %a1 = linalg.generic {indexing_maps = [#id, #bias_map, #id],
                        iterator_types = ["parallel", "parallel"]}
      ins(%h1, %b1 : tensor<128x512xf32>, tensor<512xf32>)
      outs(%e1 : tensor<128x512xf32>) {
  ^bb0(%h: f32, %b: f32, %out: f32):
    %s = arith.addf %h, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<128x512xf32>

  %e2 = tensor.empty() : tensor<128x10xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<128x10xf32>)
      -> tensor<128x10xf32>
  %w2_e = tensor.empty() : tensor<512x10xf32>
  %w2_t = linalg.transpose ins(%w2 : tensor<10x512xf32>)
      outs(%w2_e : tensor<512x10xf32>) permutation = [1, 0]
  %h2 = linalg.matmul ins(%a1, %w2_t : tensor<128x512xf32>, tensor<512x10xf32>)
      outs(%z2 : tensor<128x10xf32>) -> tensor<128x10xf32>
  %logits = linalg.generic {indexing_maps = [#id, #bias_map, #id],
                            iterator_types = ["parallel", "parallel"]}
      ins(%h2, %b2 : tensor<128x10xf32>, tensor<10xf32>)
      outs(%e2 : tensor<128x10xf32>) {
  ^bb0(%h: f32, %b: f32, %out: f32):
    %s = arith.addf %h, %b : f32
    linalg.yield %s : f32
  } -> tensor<128x10xf32>
  return %logits : tensor<128x10xf32>
}
