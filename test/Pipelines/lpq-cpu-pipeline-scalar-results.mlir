// RUN: lpq-opt %s -lpq-cpu-pipeline 2>/dev/null | FileCheck %s
// RUN: lpq-opt %s -lpq-gpu-pipeline=format=isa -o /dev/null 2>&1 | FileCheck %s --check-prefix=GPU

/// A function with a scalar among its results keeps its results (only
/// all-tensor results become out-parameters); a returned argument is then
/// copied into a new buffer (bufferization.clone, lowered to an allocation
/// and a copy loop), and the module lowers completely to LLVM.
// CHECK-NOT: unrealized_conversion_cast
// CHECK-NOT: bufferization.
// CHECK-LABEL: llvm.func @f(
// CHECK: llvm.call @malloc
// CHECK: llvm.return %{{.*}} : !llvm.struct<(struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>, f32)>
// GPU: remark: lpq-results-to-destinations: kept the results of f: not all are ranked tensors
// GPU-NOT: error
func.func @f(%a: tensor<4xf32>, %e: f32) -> (tensor<4xf32>, f32) {
  return %a, %e : tensor<4xf32>, f32
}
