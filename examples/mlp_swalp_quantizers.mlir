// A 784-512-10 MLP forward pass on a batch of 128 Fashion-MNIST images, in
// linalg on tensors as a torch-mlir export would give it, with SWALP's
// quantizers written in by hand: 8-bit block floating point with stochastic
// rounding, one exponent per output unit for the weights and one per tensor
// for the hidden activations (ALGORITHMS.md, section 1). Every quantizer is
// written with stream 0; `lpq-assign-streams` gives each its own stream.
//
//   lpq-opt examples/mlp_swalp_quantizers.mlir -lpq-assign-streams -canonicalize

#weights = #lpq.block<8, axis = [1]>
#activations = #lpq.block<8>

func.func @mlp_forward(%x: tensor<128x784xf32>,
                       %w1: tensor<784x512xf32>, %b1: tensor<512xf32>,
                       %w2: tensor<512x10xf32>, %b2: tensor<10xf32>,
                       %seed: i64, %step: i32) -> tensor<128x10xf32> {
  %zero = arith.constant 0.0 : f32

  // Layer 1: quantized weights, matmul, bias + ReLU, quantized activations.
  %qw1 = lpq.stochastic_round %w1, %seed, %step : tensor<784x512xf32>
      to #weights stream 0
  %e1 = tensor.empty() : tensor<128x512xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<128x512xf32>)
      -> tensor<128x512xf32>
  %h1 = linalg.matmul ins(%x, %qw1 : tensor<128x784xf32>, tensor<784x512xf32>)
      outs(%z1 : tensor<128x512xf32>) -> tensor<128x512xf32>
  %a1 = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>,
                       affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%h1, %b1 : tensor<128x512xf32>, tensor<512xf32>)
      outs(%e1 : tensor<128x512xf32>) {
  ^bb0(%h: f32, %b: f32, %out: f32):
    %s = arith.addf %h, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<128x512xf32>
  %qa1 = lpq.stochastic_round %a1, %seed, %step : tensor<128x512xf32>
      to #activations stream 0

  // Layer 2: quantized weights; the logits stay in float32.
  %qw2 = lpq.stochastic_round %w2, %seed, %step : tensor<512x10xf32>
      to #weights stream 0
  %e2 = tensor.empty() : tensor<128x10xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<128x10xf32>)
      -> tensor<128x10xf32>
  %h2 = linalg.matmul ins(%qa1, %qw2 : tensor<128x512xf32>, tensor<512x10xf32>)
      outs(%z2 : tensor<128x10xf32>) -> tensor<128x10xf32>
  %logits = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>,
                       affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%h2, %b2 : tensor<128x10xf32>, tensor<10xf32>)
      outs(%e2 : tensor<128x10xf32>) {
  ^bb0(%h: f32, %b: f32, %out: f32):
    %s = arith.addf %h, %b : f32
    linalg.yield %s : f32
  } -> tensor<128x10xf32>
  return %logits : tensor<128x10xf32>
}
