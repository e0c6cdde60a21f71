// RUN: lpq-opt %s -lpq-portable-math | FileCheck %s
// RUN: lpq-opt %s -lpq-gpu-pipeline="chip=sm_90 format=isa" | FileCheck %s --check-prefix=PTX
// RUN: lpq-opt %s -lpq-cpu-pipeline | FileCheck %s --check-prefix=CPU

// float32 exp and log become polynomials of IEEE operations and fmas (no
// libm or libdevice call whose bits differ between the CPU and the GPU);
// float64 ones stay (upstream has no float64 approximations). The GPU
// pipeline runs the pass: its PTX has no approximate exp2 or log2.
// CHECK-LABEL: func.func @loss
// CHECK-NOT: math.exp {{.*}} : f32
// CHECK-NOT: math.log {{.*}} : f32
// CHECK: math.fma
// CHECK: math.exp %{{.*}} : f64
// float32 square roots are taken in float64 (then correctly rounded, as the
// CPU's): not sqrt.approx.f32 on the GPU.
// CHECK-LABEL: func.func @root
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f32 to f64
// CHECK: %[[R:.*]] = math.sqrt %[[W]] : f64
// CHECK: arith.truncf %[[R]] : f64 to f32
// The CPU pipeline runs it too: no float32 libm call (float64 exp stays).
// CPU-NOT: llvm.intr.{{exp|log}}({{.*}}) : (f32) -> f32
// CPU: llvm.intr.fma({{.*}}) : (f32, f32, f32) -> f32
// CPU-NOT: llvm.intr.{{exp|log}}({{.*}}) : (f32) -> f32
// CPU: llvm.intr.exp({{.*}}) : (f64) -> f64
// PTX-NOT: ex2.approx
// PTX-NOT: lg2.approx
// PTX-NOT: sqrt.approx
// PTX: sqrt.rn.f64
func.func @loss(%x: tensor<16xf32>, %d: tensor<4xf64>) -> (tensor<16xf32>, tensor<4xf64>) {
  %e = tensor.empty() : tensor<16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = math.exp %a : f32
    %z = math.log %y : f32
    linalg.yield %z : f32
  } -> tensor<16xf32>
  %e2 = tensor.empty() : tensor<4xf64>
  %s = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%d : tensor<4xf64>) outs(%e2 : tensor<4xf64>) {
  ^bb0(%a: f64, %o: f64):
    %y = math.exp %a : f64
    linalg.yield %y : f64
  } -> tensor<4xf64>
  return %r, %s : tensor<16xf32>, tensor<4xf64>
}

func.func @root(%x: tensor<16xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = math.sqrt %a : f32
    linalg.yield %y : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}
