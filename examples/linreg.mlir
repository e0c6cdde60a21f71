// Linear regression y = w x for SWALP's quadratic experiment: a batch of 32
// examples with 16 features, one output. Train with loss=mse on synthetic
// data (docs/results.md):
//
//   lpq-opt examples/linreg.mlir --lpq-train-step="loss=mse ..." -o lr.mlir
//   lpq-run train lr.mlir --data=synthetic-regression --steps=20000

func.func @forward(%x: tensor<32x16xf32>,
                   %w: tensor<1x16xf32> {lpq.param}) -> tensor<32x1xf32> {
  %zero = arith.constant 0.0 : f32
  %te = tensor.empty() : tensor<16x1xf32>
  %wt = linalg.transpose ins(%w : tensor<1x16xf32>)
      outs(%te : tensor<16x1xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<32x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<32x1xf32>)
      -> tensor<32x1xf32>
  %y = linalg.matmul ins(%x, %wt : tensor<32x16xf32>, tensor<16x1xf32>)
      outs(%z : tensor<32x1xf32>) -> tensor<32x1xf32>
  return %y : tensor<32x1xf32>
}
