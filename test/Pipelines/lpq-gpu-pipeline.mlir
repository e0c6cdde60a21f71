// RUN: lpq-opt %s -lpq-gpu-pipeline="chip=sm_90 format=isa" | FileCheck %s
// RUN: lpq-opt %s -lpq-gpu-pipeline="chip=sm_80 format=isa block-size=128" | FileCheck %s --check-prefix=SM80
// RUN: lpq-opt %s -lpq-gpu-pipeline="chip=sm_90 format=bin" | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVMIR

/// The host function launches one kernel (one block per row: its maximum,
/// started from the zero fill, its exponent, its rounding;
/// lpq-gpu-reduction-epilogues); the temporaries (maxima, exponents) live in
/// device memory; every kernel is PTX for the chosen chip, with
/// exact rounding (float32 here: the block's steps and bounds are float32
/// values) and no flush-to-zero.
// CHECK-NOT: memref.
// CHECK-LABEL: llvm.func @kernel
// CHECK: llvm.call @mgpuMemAlloc
// CHECK: gpu.launch_func
// CHECK-NOT: gpu.launch_func
// CHECK: llvm.call @mgpuMemFree
// CHECK: gpu.binary @{{.*}}#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">{{.*}}assembly = "{{.*}}.target sm_90
// CHECK-NOT: .ftz
// CHECK: cvt.rni.f32.f32
/// With cubin, the whole module translates to LLVM IR: host code calling the
/// mgpu* runtime, the cubins embedded and loaded by global constructors.
// LLVMIR-DAG: @kernel_kernel_binary = internal constant {{.*}} c"\7FELF
// LLVMIR-DAG: @llvm.global_ctors
// LLVMIR-DAG: call ptr @mgpuModuleLoad(
// LLVMIR-DAG: define void @kernel(
// LLVMIR-DAG: call void @mgpuLaunchKernel(
// SM80: llvm.mlir.constant(128 : index)
// SM80: gpu.launch_func
// SM80: .target sm_80
func.func @kernel(%x: tensor<64x1000xf32>) -> tensor<64x1000xf32> {
  %0 = lpq.quantize %x : tensor<64x1000xf32> to #lpq.block<8, axis = [0]>
  return %0 : tensor<64x1000xf32>
}
