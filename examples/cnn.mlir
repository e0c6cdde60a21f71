// A LeNet-style CNN on Fashion-MNIST, as a forward function in linalg on
// tensors (the shape of a torch-mlir export): conv 5x5 (1 -> 8) + ReLU +
// max-pool 2x2, conv 5x5 (8 -> 16) + ReLU + max-pool 2x2, flatten (256),
// linear 256 -> 10. Batch 64. Parameters carry `lpq.param`.
//
//   lpq-run examples/cnn.mlir --arg=rand:64x1x28x28 --arg=rand:8x1x5x5 \
//     --arg=rand:8 --arg=rand:16x8x5x5 --arg=rand:16 --arg=rand:10x256 --arg=rand:10

#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#chan = affine_map<(n, c, h, w) -> (c)>

func.func @forward(%x: tensor<64x1x28x28xf32>,
                   %k1: tensor<8x1x5x5xf32> {lpq.param},
                   %c1: tensor<8xf32> {lpq.param},
                   %k2: tensor<16x8x5x5xf32> {lpq.param},
                   %c2: tensor<16xf32> {lpq.param},
                   %w: tensor<10x256xf32> {lpq.param},
                   %b: tensor<10xf32> {lpq.param}) -> tensor<64x10xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32

  // conv1 + bias + ReLU: [64, 8, 24, 24]
  %e1 = tensor.empty() : tensor<64x8x24x24xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<64x8x24x24xf32>)
      -> tensor<64x8x24x24xf32>
  %v1 = linalg.conv_2d_nchw_fchw
      {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %k1 : tensor<64x1x28x28xf32>, tensor<8x1x5x5xf32>)
      outs(%z1 : tensor<64x8x24x24xf32>) -> tensor<64x8x24x24xf32>
  %r1 = linalg.generic {indexing_maps = [#id4, #chan, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v1, %c1 : tensor<64x8x24x24xf32>, tensor<8xf32>)
      outs(%e1 : tensor<64x8x24x24xf32>) {
  ^bb0(%v: f32, %c: f32, %out: f32):
    %s = arith.addf %v, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<64x8x24x24xf32>

  // max-pool 2x2: [64, 8, 12, 12]
  %window = tensor.empty() : tensor<2x2xf32>
  %pe1 = tensor.empty() : tensor<64x8x12x12xf32>
  %pi1 = linalg.fill ins(%ninf : f32) outs(%pe1 : tensor<64x8x12x12xf32>)
      -> tensor<64x8x12x12xf32>
  %p1 = linalg.pooling_nchw_max
      {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%r1, %window : tensor<64x8x24x24xf32>, tensor<2x2xf32>)
      outs(%pi1 : tensor<64x8x12x12xf32>) -> tensor<64x8x12x12xf32>

  // conv2 + bias + ReLU: [64, 16, 8, 8]
  %e2 = tensor.empty() : tensor<64x16x8x8xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<64x16x8x8xf32>)
      -> tensor<64x16x8x8xf32>
  %v2 = linalg.conv_2d_nchw_fchw
      {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p1, %k2 : tensor<64x8x12x12xf32>, tensor<16x8x5x5xf32>)
      outs(%z2 : tensor<64x16x8x8xf32>) -> tensor<64x16x8x8xf32>
  %r2 = linalg.generic {indexing_maps = [#id4, #chan, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v2, %c2 : tensor<64x16x8x8xf32>, tensor<16xf32>)
      outs(%e2 : tensor<64x16x8x8xf32>) {
  ^bb0(%v: f32, %c: f32, %out: f32):
    %s = arith.addf %v, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<64x16x8x8xf32>

  // max-pool 2x2: [64, 16, 4, 4], flatten: [64, 256]
  %pe2 = tensor.empty() : tensor<64x16x4x4xf32>
  %pi2 = linalg.fill ins(%ninf : f32) outs(%pe2 : tensor<64x16x4x4xf32>)
      -> tensor<64x16x4x4xf32>
  %p2 = linalg.pooling_nchw_max
      {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%r2, %window : tensor<64x16x8x8xf32>, tensor<2x2xf32>)
      outs(%pi2 : tensor<64x16x4x4xf32>) -> tensor<64x16x4x4xf32>
  %flat = tensor.collapse_shape %p2 [[0], [1, 2, 3]]
      : tensor<64x16x4x4xf32> into tensor<64x256xf32>

  // linear 256 -> 10
  %e3 = tensor.empty() : tensor<64x10xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<64x10xf32>)
      -> tensor<64x10xf32>
  %w_e = tensor.empty() : tensor<256x10xf32>
  %w_t = linalg.transpose ins(%w : tensor<10x256xf32>)
      outs(%w_e : tensor<256x10xf32>) permutation = [1, 0]
  %h = linalg.matmul ins(%flat, %w_t : tensor<64x256xf32>, tensor<256x10xf32>)
      outs(%z3 : tensor<64x10xf32>) -> tensor<64x10xf32>
  %logits = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>,
                       affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : tensor<64x10xf32>, tensor<10xf32>)
      outs(%e3 : tensor<64x10xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<64x10xf32>
  return %logits : tensor<64x10xf32>
}
