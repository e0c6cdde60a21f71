// RUN: lpq-opt %s --lpq-specialize-batch=size=32 | FileCheck %s
// RUN: lpq-opt %s --lpq-specialize-batch=size=32 --canonicalize | FileCheck %s --check-prefix=CANON
// RUN: not lpq-opt %s --lpq-specialize-batch=size=0 2>&1 | FileCheck %s --check-prefix=SIZE

// The dynamic leading dimension of public functions' tensor arguments takes
// the batch; a cast back feeds the old uses and the results keep their types.
// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[X:.*]]: tensor<32x784xf32>, %[[W:.*]]: tensor<10x784xf32>,
// CHECK-SAME: %[[L:.*]]: tensor<32xi32>, %[[T:.*]]: tensor<4x?xf32>, %[[S:.*]]: f32)
// CHECK-SAME: -> (tensor<?x10xf32>, tensor<?xi32>)
// CHECK-DAG: %[[XC:.*]] = tensor.cast %[[X]] : tensor<32x784xf32> to tensor<?x784xf32>
// CHECK-DAG: %[[LC:.*]] = tensor.cast %[[L]] : tensor<32xi32> to tensor<?xi32>
// CHECK: tensor.dim %[[XC]]
// CHECK: linalg.matmul ins(%[[XC]], %{{.*}} : tensor<?x784xf32>, tensor<784x10xf32>)
// CHECK: return %{{.*}}, %[[LC]]

// Canonicalized, the extent reaches the ops.
// CANON-LABEL: func.func @step(
// CANON: tensor.empty() : tensor<32x10xf32>
// CANON: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<32x784xf32>, tensor<784x10xf32>) outs(%{{.*}} : tensor<32x10xf32>)

// Private functions and external declarations keep their signatures.
// CHECK-LABEL: func.func private @helper(%{{.*}}: tensor<?xf32>)
// CHECK-LABEL: func.func private @external(tensor<?xf32>)

// SIZE: error: lpq-specialize-batch: size must be positive, got 0

func.func @step(%x: tensor<?x784xf32>, %w: tensor<10x784xf32>,
                %labels: tensor<?xi32>, %t: tensor<4x?xf32>, %s: f32)
    -> (tensor<?x10xf32>, tensor<?xi32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x784xf32>
  %e = tensor.empty(%n) : tensor<?x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x10xf32>) -> tensor<?x10xf32>
  %wt_e = tensor.empty() : tensor<784x10xf32>
  %wt = linalg.transpose ins(%w : tensor<10x784xf32>) outs(%wt_e : tensor<784x10xf32>) permutation = [1, 0]
  %y = linalg.matmul ins(%x, %wt : tensor<?x784xf32>, tensor<784x10xf32>)
      outs(%z : tensor<?x10xf32>) -> tensor<?x10xf32>
  return %y, %labels : tensor<?x10xf32>, tensor<?xi32>
}

func.func private @helper(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}

func.func private @external(tensor<?xf32>) -> tensor<?xf32>
