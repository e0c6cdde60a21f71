// lpq-run train checks its inputs before it compiles the step: that the data
// set is installed, that --init-params files match the parameters and that
// --batch fits the model.
// RUN: lpq-opt %s --lpq-train-step="recipe=fp32" -o %t.train.mlir
// RUN: not lpq-run train %t.train.mlir --data-dir=%t.nodata 2>&1 | FileCheck %s --check-prefix=DATA
// RUN: not lpq-run train %t.train.mlir --batch=8 2>&1 | FileCheck %s --check-prefix=BATCH
// (--data=synthetic-logistic below: the --init-params checks must not depend
// on Fashion-MNIST being installed.)
// RUN: not lpq-run train %t.train.mlir --data=synthetic-logistic --init-params=%t.missing 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: mkdir -p %t.params && cp %S/Inputs/x.npy %t.params/p0.npy
// RUN: not lpq-run train %t.train.mlir --data=synthetic-logistic --init-params=%t.params/p 2>&1 | FileCheck %s --check-prefix=SHAPE

// DATA-NOT: compiling
// DATA: lpq-run: error: Fashion-MNIST not found in '{{.*}}.nodata': install Debian's package dataset-fashion-mnist
// BATCH-NOT: compiling
// BATCH: lpq-run: error: the model's batch is fixed at 4 examples; a batch of 8 needs a model with a dynamic batch dimension (tensor<?x...>)
// MISSING-NOT: compiling
// MISSING: lpq-run: error: cannot open '{{.*}}.missing0.npy'
// SHAPE-NOT: compiling
// SHAPE: lpq-run: error: '{{.*}}p0.npy' does not match parameter #0's float32 shape

func.func @forward(%x: tensor<4x1x28x28xf32>,
                   %w: tensor<10x784xf32> {lpq.param},
                   %b: tensor<10xf32> {lpq.param}) -> tensor<4x10xf32> {
  %zero = arith.constant 0.0 : f32
  %flat = tensor.collapse_shape %x [[0], [1, 2, 3]]
      : tensor<4x1x28x28xf32> into tensor<4x784xf32>
  %e = tensor.empty() : tensor<4x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x10xf32>)
      -> tensor<4x10xf32>
  %w_e = tensor.empty() : tensor<784x10xf32>
  %w_t = linalg.transpose ins(%w : tensor<10x784xf32>)
      outs(%w_e : tensor<784x10xf32>) permutation = [1, 0]
  %h = linalg.matmul ins(%flat, %w_t : tensor<4x784xf32>, tensor<784x10xf32>)
      outs(%z : tensor<4x10xf32>) -> tensor<4x10xf32>
  return %h : tensor<4x10xf32>
}
