// The host functions of GPU-compiled steps never load, store or copy
// memory: that memory is the device's. The loss is initialized and stored,
// and AskewSGD's grid scales computed, by kernels (lpq-gpu-prepare-loops);
// until 2026-12-03 the host did both, which would have faulted on a device.
// Only the _mlir_ciface_ wrappers load the descriptors the caller passes.
// RUN: lpq-opt %S/../../../examples/mlp.mlir -lpq-train-step="recipe=swalp" -lpq-gpu-pipeline="chip=sm_90 format=bin" | FileCheck %s
// RUN: lpq-opt %S/../../../examples/cnn.mlir -lpq-train-step="recipe=swalp" -lpq-gpu-pipeline="chip=sm_90 format=bin" | FileCheck %s
// RUN: lpq-opt %S/../../../examples/mlp.mlir -lpq-train-step="recipe=askewsgd" -lpq-gpu-pipeline="chip=sm_90 format=bin" | FileCheck %s

// CHECK-LABEL: llvm.func @train_step(
// CHECK-NOT: llvm.{{load|store|intr.memcpy|intr.memset|call @memrefCopy}}
// CHECK: llvm.return
// CHECK-LABEL: llvm.func @_mlir_ciface_train_step(
// CHECK-LABEL: llvm.func @evaluate(
// CHECK-NOT: llvm.{{load|store|intr.memcpy|intr.memset|call @memrefCopy}}
// CHECK: llvm.return
