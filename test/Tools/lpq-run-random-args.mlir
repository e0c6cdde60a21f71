// lpq-run --random-args makes up the arguments --arg does not give, from the
// function's signature (a smoke run of a model without preparing inputs).
// RUN: lpq-run %s --entry=mixed --random-args | FileCheck %s
// RUN: lpq-run %s --entry=mixed --arg=rand:2x4 --random-args | FileCheck %s --check-prefix=GIVEN
// RUN: not lpq-run %s --entry=scalar --random-args 2>&1 | FileCheck %s --check-prefix=SCALAR
// RUN: not lpq-run %s --entry=half --random-args 2>&1 | FileCheck %s --check-prefix=HALF

/// Static and dynamic (3) float32 shapes, int32 labels in [0, 10), an f64
/// tensor, the float scalar 0.01 and an integer scalar in [0, 10).
// CHECK: result #0: <f4 [2x4]
// CHECK: result #1: <f4 [3]
// CHECK: result #2: <i4 [5] sum {{[0-9]+}} first: {{[0-9] [0-9] [0-9] [0-9] [0-9]$}}
// CHECK: result #3: <f8 [2]
// CHECK: result #4: <f4 [] sum 0.01
// CHECK: result #5: <i8 [] sum {{[0-9]}} first: {{[0-9]$}}
/// The first argument from --arg, the rest made up.
// GIVEN: result #0: <f4 [2x4]
// GIVEN: result #5: <i8 []
// SCALAR: lpq-run: error: result #0: type f32 is not supported: results are ranked tensors of f32, f64, i32 or i64 (return a scalar as a 0-d tensor)
// HALF: lpq-run: error: argument #0: --random-args cannot make a tensor<4xf16> (element types f32, f64, i32, i64; at most 2^34 elements)

func.func @mixed(%a: tensor<2x4xf32>, %b: tensor<?xf32>, %c: tensor<5xi32>,
                 %d: tensor<2xf64>, %e: f32, %f: i64)
    -> (tensor<2x4xf32>, tensor<?xf32>, tensor<5xi32>, tensor<2xf64>,
        tensor<f32>, tensor<i64>) {
  %te = tensor.from_elements %e : tensor<f32>
  %tf = tensor.from_elements %f : tensor<i64>
  return %a, %b, %c, %d, %te, %tf
      : tensor<2x4xf32>, tensor<?xf32>, tensor<5xi32>, tensor<2xf64>,
        tensor<f32>, tensor<i64>
}

func.func @half(%a: tensor<4xf16>) -> tensor<4xf16> {
  return %a : tensor<4xf16>
}

func.func @scalar(%e: f32) -> f32 {
  return %e : f32
}
