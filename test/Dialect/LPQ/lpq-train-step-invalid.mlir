// RUN: lpq-opt %s -split-input-file -lpq-train-step -verify-diagnostics
// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=adam" 2>&1 | FileCheck %s --check-prefix=RECIPE
// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=swalp w-format=#lpq.foo" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=swalp g-rounding=sideways" 2>&1 | FileCheck %s --check-prefix=ROUNDING
// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=swalp word-length=1" 2>&1 | FileCheck %s --check-prefix=WL
// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="forward=model" 2>&1 | FileCheck %s --check-prefix=NOFWD

// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=askewsgd grid=#lpq.binary" 2>&1 | FileCheck %s --check-prefix=GRID
// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=bwn w-rounding=stochastic" 2>&1 | FileCheck %s --check-prefix=NOSTOCH
// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=askewsgd askew-alpha=0" 2>&1 | FileCheck %s --check-prefix=ALPHA

// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=sq-bwn sq-selection=best" 2>&1 | FileCheck %s --check-prefix=SELECTION
// SELECTION: error: lpq-train-step: unknown sq-selection 'best' (expected code, constant, linear, softmax or sigmoid)
// RUN: sed s/f32/f64/g %S/Inputs/tiny_mlp.mlir | not lpq-opt -lpq-train-step="recipe=askewsgd" 2>&1 | FileCheck %s --check-prefix=F64
// F64: error: must compute in float32 for a quantized recipe (float64 models train with recipe=fp32 only)
// RECIPE: error: lpq-train-step: unknown recipe 'adam' (expected fp32, sgd-lp, swalp, bwn, twn, sq-bwn, sq-twn, binaryconnect or askewsgd)
// GRID: error: lpq-train-step: grid '#lpq.binary' is not an #lpq.grid attribute
// NOSTOCH: error: lpq-train-step: W format #lpq.binary has no stochastic rounding
// ALPHA: error: lpq-train-step: askew-alpha must be positive, got 0
// FORMAT: W format '#lpq.foo' is not an lpq format attribute
// ROUNDING: error: lpq-train-step: unknown rounding 'sideways' for G (stochastic, nearest_even, nearest_away, toward_zero, down or up)
// WL: error: lpq-train-step: word-length must be in [2, 25], got 1
// NOFWD: error: lpq-train-step: no forward function 'model' with a body

/// An op lpq cannot differentiate, inside a generic body, is named with
/// its location.
#id = affine_map<(i, j) -> (i, j)>
func.func @forward(%x: tensor<4x3xf32>, %p: tensor<4x3xf32> {lpq.param}) -> tensor<4x3xf32> {
  %e = tensor.empty() : tensor<4x3xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %p : tensor<4x3xf32>, tensor<4x3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    // expected-error @+1 {{'math.sin' op cannot be differentiated by lpq (in the body of the linalg.generic at}}
    %s = math.sin %b : f32
    %t = arith.mulf %a, %s : f32
    linalg.yield %t : f32
  } -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

// -----

/// So is an op outside the supported set on the path to the loss.
func.func @forward(%x: tensor<4x3xf32>, %p: tensor<4x6xf32> {lpq.param}) -> tensor<4x3xf32> {
  // expected-error @+1 {{'tensor.extract_slice' op cannot be differentiated by lpq (supported: linalg ops that generalize to linalg.generic, tensor.expand_shape/collapse_shape, lpq rounding ops)}}
  %s = tensor.extract_slice %p[0, 0] [4, 3] [1, 1] : tensor<4x6xf32> to tensor<4x3xf32>
  return %s : tensor<4x3xf32>
}

// -----

/// Reductions other than sums and maxima.
#x = affine_map<(i, j, k) -> (i, j, k)>
#o = affine_map<(i, j, k) -> (i, j)>
func.func @forward(%x: tensor<4x3x2xf32>, %p: tensor<4x3x2xf32> {lpq.param}) -> tensor<4x3xf32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %i = linalg.fill ins(%one : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  // expected-error @+1 {{'linalg.generic' op is a reduction lpq cannot differentiate: the body must yield `out + f(ins)` or `max(out, f(ins))`}}
  %r = linalg.generic {indexing_maps = [#x, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p : tensor<4x3x2xf32>) outs(%i : tensor<4x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.mulf %o, %a : f32
    linalg.yield %t : f32
  } -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

// -----

// expected-error @+1 {{has no parameter: mark them with `{lpq.param}`}}
func.func @forward(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  return %x : tensor<4x3xf32>
}

// -----

// expected-error @+1 {{must return float logits [N, C]}}
func.func @forward(%x: tensor<4xf32>, %p: tensor<4xf32> {lpq.param}) -> tensor<4xf32> {
  return %p : tensor<4xf32>
}

// -----

// expected-error @+1 {{parameter #1 must be a float32 or float64 tensor}}
func.func @forward(%x: tensor<4x3xf32>, %p: tensor<4x3xi32> {lpq.param}) -> tensor<4x3xf32> {
  return %x : tensor<4x3xf32>
}
// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=sq-bwn sq-ratio=2" 2>&1 | FileCheck %s --check-prefix=RATIO
// RATIO: error: lpq-train-step: sq-ratio must be in [0, 1], got 2
// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=swalp momentum=1" 2>&1 | FileCheck %s --check-prefix=MOMENTUM
// MOMENTUM: error: lpq-train-step: momentum must be in [0, 1), got 1
// RUN: not lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=swalp weight-decay=-1" 2>&1 | FileCheck %s --check-prefix=DECAY
// DECAY: error: lpq-train-step: weight-decay must be finite and >= 0, got -1
