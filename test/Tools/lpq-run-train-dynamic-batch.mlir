// A model with a dynamic batch trains with --batch=N, compiled for batches
// of N (lpq-specialize-batch; without it every kernel reads its extents at
// run time, about half the speed); the default batch is 128. AskewSGD's toy
// problem (examples/toy_logistic.mlir) with its batch left open.
// RUN: lpq-opt %s --lpq-train-step="recipe=fp32" -o %t.train.mlir
// RUN: lpq-run train %t.train.mlir --data=synthetic-logistic --batch=20 --epochs=2 --lr=0.5 --no-progress 2>&1 | FileCheck %s --check-prefix=TWENTY
// RUN: lpq-run train %t.train.mlir --data=synthetic-logistic --epochs=1 --no-progress 2>&1 | FileCheck %s --check-prefix=DEFAULT
// A one-epoch run's plot: gnuplot's warnings about its empty ranges are
// not shown (only its messages when it fails); the compile line names the
// vector width and row fusion.
// RUN: lpq-run train %t.train.mlir --data=synthetic-logistic --epochs=1 --no-progress --plot=%t.png 2>&1 | FileCheck %s --check-prefix=PLOT
// RUN: test -s %t.png

// TWENTY: the model's batch is dynamic: compiled for batches of 20
// TWENTY: final test accuracy
// DEFAULT: the model's batch is dynamic: compiled for batches of 128
// DEFAULT: final test accuracy
// PLOT: compiling ({{.*}}, row fusion {{on|off}})...
// PLOT-NOT: Warning
// PLOT: wrote {{.*}}.png

func.func @forward(%x: tensor<?x10xf32>, %w: tensor<1x10xf32> {lpq.param})
    -> tensor<?x2xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x10xf32>
  %wt0 = tensor.empty() : tensor<10x1xf32>
  %wt = linalg.transpose ins(%w : tensor<1x10xf32>)
      outs(%wt0 : tensor<10x1xf32>) permutation = [1, 0]
  %z0 = tensor.empty(%n) : tensor<?x1xf32>
  %zf = linalg.fill ins(%zero : f32) outs(%z0 : tensor<?x1xf32>)
      -> tensor<?x1xf32>
  %z = linalg.matmul ins(%x, %wt : tensor<?x10xf32>, tensor<10x1xf32>)
      outs(%zf : tensor<?x1xf32>) -> tensor<?x1xf32>
  %pick = arith.constant dense<[[0.0, 1.0]]> : tensor<1x2xf32>
  %l0 = tensor.empty(%n) : tensor<?x2xf32>
  %lf = linalg.fill ins(%zero : f32) outs(%l0 : tensor<?x2xf32>)
      -> tensor<?x2xf32>
  %logits = linalg.matmul ins(%z, %pick : tensor<?x1xf32>, tensor<1x2xf32>)
      outs(%lf : tensor<?x2xf32>) -> tensor<?x2xf32>
  return %logits : tensor<?x2xf32>
}
