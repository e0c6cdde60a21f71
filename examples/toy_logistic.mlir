// AskewSGD's toy problem (Leconte et al., AISTATS 2023): logistic regression
// on d = 10 features, labels drawn from sigmoid(x . w*) with w* in {-1, +1}^d.
// The model is z = x w^T; the logits [0, z] make softmax cross-entropy the
// logistic loss, P(label 1) = sigmoid(z). `lpq-run train
// --data=synthetic-logistic` generates the data.
func.func @forward(%x: tensor<100x10xf32>, %w: tensor<1x10xf32> {lpq.param})
    -> tensor<100x2xf32> {
  %zero = arith.constant 0.0 : f32
  %wt0 = tensor.empty() : tensor<10x1xf32>
  %wt = linalg.transpose ins(%w : tensor<1x10xf32>)
      outs(%wt0 : tensor<10x1xf32>) permutation = [1, 0]
  %z0 = tensor.empty() : tensor<100x1xf32>
  %zf = linalg.fill ins(%zero : f32) outs(%z0 : tensor<100x1xf32>)
      -> tensor<100x1xf32>
  %z = linalg.matmul ins(%x, %wt : tensor<100x10xf32>, tensor<10x1xf32>)
      outs(%zf : tensor<100x1xf32>) -> tensor<100x1xf32>
  // [0, z] = z * [[0, 1]]
  %pick = arith.constant dense<[[0.0, 1.0]]> : tensor<1x2xf32>
  %l0 = tensor.empty() : tensor<100x2xf32>
  %lf = linalg.fill ins(%zero : f32) outs(%l0 : tensor<100x2xf32>)
      -> tensor<100x2xf32>
  %logits = linalg.matmul ins(%z, %pick : tensor<100x1xf32>, tensor<1x2xf32>)
      outs(%lf : tensor<100x2xf32>) -> tensor<100x2xf32>
  return %logits : tensor<100x2xf32>
}
