// RUN: lpq-opt %s -split-input-file -lpq-result-dims -verify-diagnostics -o /dev/null

/// The companion's name is taken.
// expected-error @+1 {{lpq-result-dims: the module already has a 'k_result_dims', the name of the function that computes the extents of 'k''s dynamic results}}
func.func @k(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}

func.func @k_result_dims(%x: tensor<?xf32>) -> tensor<1xi64> {
  %c = arith.constant dense<0> : tensor<1xi64>
  return %c : tensor<1xi64>
}

// -----

/// A constant extent index outside the rank is refused before upstream
/// folders read out of bounds on it (the GPU pipeline crashed).
func.func @negative(%x: memref<?x4xf32>) -> index {
  %c = arith.constant -1 : index
  // expected-error @+1 {{'memref.dim' op dimension -1 is out of range for rank 2}}
  %n = memref.dim %x, %c : memref<?x4xf32>
  return %n : index
}

// -----

func.func @beyond(%x: tensor<?x4xf32>) -> index {
  %c = arith.constant 2 : index
  // expected-error @+1 {{'tensor.dim' op dimension 2 is out of range for rank 2}}
  %n = tensor.dim %x, %c : tensor<?x4xf32>
  return %n : index
}
