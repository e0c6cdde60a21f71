// RUN: lpq-opt %s -lpq-results-to-destinations -split-input-file -verify-diagnostics | FileCheck %s

/// Each tensor result becomes a memref argument written with
/// materialize_in_destination; the function returns nothing.
// CHECK-LABEL: func @f
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[S:.*]]: i64, %[[O0:.*]]: memref<?x8xf32>, %[[O1:.*]]: memref<4xi32>)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK: %[[Q:.*]] = lpq.quantize %[[X]]
// CHECK: bufferization.materialize_in_destination %[[Q]] in restrict writable %[[O0]] : (tensor<?x8xf32>, memref<?x8xf32>) -> ()
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[O1]] : (tensor<4xi32>, memref<4xi32>) -> ()
// CHECK: return{{$}}
func.func @f(%x: tensor<?x8xf32>, %s: i64) -> (tensor<?x8xf32>, tensor<4xi32>) {
  %q = lpq.quantize %x : tensor<?x8xf32> to #lpq.fixed<8, 4>
  %c = arith.constant dense<1> : tensor<4xi32>
  return %q, %c : tensor<?x8xf32>, tensor<4xi32>
}

/// Argument attributes stay with their arguments; lpq's markers go.
// CHECK-LABEL: func @attrs
// CHECK-SAME: (%{{.*}}: tensor<4xf32> {llvm.noalias}, %{{.*}}: tensor<4xf32>, %{{.*}}: memref<4xf32>)
func.func @attrs(%w: tensor<4xf32> {llvm.noalias}, %v: tensor<4xf32> {lpq.param}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

/// Private functions are internal: their callers are rewritten instead.
// CHECK-LABEL: func private @g
// CHECK-SAME: -> tensor<8xf32>
func.func private @g(%x: tensor<8xf32>) -> tensor<8xf32> {
  return %x : tensor<8xf32>
}

// -----

/// Non-tensor results stay, with a remark.
// expected-remark @+1 {{lpq-results-to-destinations: kept the results of h: not all are ranked tensors}}
func.func @h(%x: i32) -> i32 {
  return %x : i32
}
