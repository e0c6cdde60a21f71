// RUN: lpq-opt %s -lpq-gpu-pipeline="chip=sm_90 format=isa" | FileCheck %s
// RUN: lpq-opt %s -lpq-gpu-pipeline="chip=sm_90 format=isa" | FileCheck %s --check-prefix=REDUCE

/// One kernel, one block per row: the row's maximum as a block-wide
/// reduction (warp shuffles, then the warps' partials through shared
/// memory), its exponent in thread 0, a barrier, then the row's rounding by
/// all the block's threads (lpq-gpu-reduction-epilogues).
// REDUCE-COUNT-1: gpu.launch_func
// REDUCE-NOT: gpu.launch_func
// REDUCE: gpu.binary @{{.*}}.shared{{.*}}shfl.sync.bfly.b32{{.*}}bar.sync{{.*}}bar.sync{{.*}}3528531795

/// Constants stay in the kernels (gpu-launch-sink-index-computations before
/// outlining): the rounding kernel takes the buffers, the seed and the step,
/// not one parameter per constant, and Philox multiplies by immediates.
// CHECK-LABEL: llvm.func @sr
// CHECK: gpu.launch_func {{.*}}@sr_kernel::@sr_kernel {{.*}} args({{(%[0-9a-z]+ : (i64|!llvm.ptr), )+}}%arg{{[0-9]+}} : i32, %arg{{[0-9]+}} : i64, {{(%[0-9a-z]+ : (i64|!llvm.ptr)(, )?)+}})
// CHECK: gpu.binary @sr_kernel
// CHECK-SAME: mul.lo.s64{{[^%]*}}%rd{{[0-9]+}}, %rd{{[0-9]+}}, 3528531795
// CHECK-SAME: mul.lo.s64{{[^%]*}}%rd{{[0-9]+}}, %rd{{[0-9]+}}, 3449720151
func.func @sr(%x: tensor<64x1000xf32>, %seed: i64, %step: i32) -> tensor<64x1000xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<64x1000xf32> to #lpq.block<8, axis = [0]> stream 1
  return %0 : tensor<64x1000xf32>
}
