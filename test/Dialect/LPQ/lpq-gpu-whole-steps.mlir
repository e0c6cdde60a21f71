// Whole SWALP training steps of the example MLP and CNN (forward, backward,
// update) through lpq-gpu-pipeline to cubin: ptxas accepts every kernel for
// sm_90. bench/step.sh reports the launches per step.
// RUN: lpq-opt %S/../../../examples/mlp.mlir -lpq-train-step="recipe=swalp" -lpq-gpu-pipeline="chip=sm_90 format=bin" | FileCheck %s
// RUN: lpq-opt %S/../../../examples/cnn.mlir -lpq-train-step="recipe=swalp" -lpq-gpu-pipeline="chip=sm_90 format=bin" | FileCheck %s

// No copy runs on the host (it would read device memory there): copies
// become kernels (lpq-copies-to-loops), and shared zero accumulators are
// unshared before bufferization (lpq-unshare-destinations).
// RUN: lpq-opt %S/../../../examples/cnn.mlir -lpq-train-step="recipe=fp32" -lpq-gpu-pipeline="chip=sm_90 format=isa" | FileCheck %s --check-prefix=NOCOPY
// NOCOPY-NOT: memrefCopy
// NOCOPY-NOT: llvm.intr.memcpy
// NOCOPY: gpu.binary

// CHECK: llvm.func @train_step(
// CHECK: gpu.launch_func <{{.*}}> @train_step_kernel
// CHECK: gpu.binary @train_step_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}bin = "\7FELF
