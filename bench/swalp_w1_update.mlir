// The SWALP update of the MLP's first weight (512x784): gradient, momentum
// and accumulator quantizers with the momentum and weight arithmetic, as
// lpq-train-step builds it. Used in docs/performance.md to compare
// lpq-fuse-row-loops on and off:
//   build/bin/lpq-run bench/swalp_w1_update.mlir --arg=rand:512x784 \
//     --arg=rand:512x784 --arg=rand:512x784 --arg=0.01 --arg=7 --arg=3 \
//     --num-threads=1 --repeat=300 [--fuse-rows]
#map = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @upd(%dw: tensor<512x784xf32>, %w: tensor<512x784xf32>, %m: tensor<512x784xf32>, %lr: f32, %seed: i64, %step: i32) -> (tensor<512x784xf32>, tensor<512x784xf32>) {
    %cst_16 = arith.constant 0.899999976 : f32
    %cst_17 = arith.constant 5.000000e-04 : f32
    %61 = lpq.stochastic_round %dw, %seed, %step : tensor<512x784xf32> to #lpq.block<8, axis = [0]> stream 6
    %62 = tensor.empty() : tensor<512x784xf32>
    %63 = linalg.generic {indexing_maps = [#map, #map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%61, %w, %m : tensor<512x784xf32>, tensor<512x784xf32>, tensor<512x784xf32>) outs(%62 : tensor<512x784xf32>) {
    ^bb0(%in: f32, %in_18: f32, %in_19: f32, %out: f32):
      %89 = arith.mulf %cst_17, %in_18 : f32
      %90 = arith.addf %in, %89 : f32
      %91 = arith.mulf %cst_16, %in_19 : f32
      %92 = arith.addf %91, %90 : f32
      linalg.yield %92 : f32
    } -> tensor<512x784xf32>
    %64 = tensor.empty() : tensor<512x784xf32>
    %65 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%w, %63 : tensor<512x784xf32>, tensor<512x784xf32>) outs(%64 : tensor<512x784xf32>) {
    ^bb0(%in: f32, %in_18: f32, %out: f32):
      %89 = arith.mulf %lr, %in_18 : f32
      %90 = arith.subf %in, %89 : f32
      linalg.yield %90 : f32
    } -> tensor<512x784xf32>
    %66 = lpq.stochastic_round %65, %seed, %step : tensor<512x784xf32> to #lpq.block<8, axis = [0]> stream 7
    %67 = lpq.stochastic_round %63, %seed, %step : tensor<512x784xf32> to #lpq.block<8, axis = [0]> stream 8
    return %66, %67 : tensor<512x784xf32>, tensor<512x784xf32>
  }
}
