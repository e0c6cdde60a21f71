// The float32 SGD update of the MLP's first weight (512x784): momentum with
// weight decay, then the weight, as lpq-train-step builds it (recipe=fp32);
// bench/swalp_w1_update.mlir is the same with SWALP's quantizers. Used in
// docs/performance.md for lpq-fuse-elementwise's shared producers (the
// momentum, read by the weight update and returned):
//   build/bin/lpq-run bench/fp32_w1_update.mlir --arg=rand:512x784 \
//     --arg=rand:512x784 --arg=rand:512x784 --arg=0.01 \
//     --num-threads=1 --repeat=1000
#map = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @upd(%dw: tensor<512x784xf32>, %w: tensor<512x784xf32>, %m: tensor<512x784xf32>, %lr: f32) -> (tensor<512x784xf32>, tensor<512x784xf32>) {
    %rho = arith.constant 0.899999976 : f32
    %wd = arith.constant 5.000000e-04 : f32
    %e = tensor.empty() : tensor<512x784xf32>
    %m1 = linalg.generic {indexing_maps = [#map, #map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%dw, %w, %m : tensor<512x784xf32>, tensor<512x784xf32>, tensor<512x784xf32>) outs(%e : tensor<512x784xf32>) {
    ^bb0(%g: f32, %x: f32, %v: f32, %out: f32):
      %0 = arith.mulf %wd, %x : f32
      %1 = arith.addf %g, %0 : f32
      %2 = arith.mulf %rho, %v : f32
      %3 = arith.addf %2, %1 : f32
      linalg.yield %3 : f32
    } -> tensor<512x784xf32>
    %e2 = tensor.empty() : tensor<512x784xf32>
    %w1 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%w, %m1 : tensor<512x784xf32>, tensor<512x784xf32>) outs(%e2 : tensor<512x784xf32>) {
    ^bb0(%x: f32, %v: f32, %out: f32):
      %0 = arith.mulf %lr, %v : f32
      %1 = arith.subf %x, %0 : f32
      linalg.yield %1 : f32
    } -> tensor<512x784xf32>
    return %w1, %m1 : tensor<512x784xf32>, tensor<512x784xf32>
  }
}
