// RUN: lpq-opt %s -lpq-unshare-destinations -split-input-file | FileCheck %s

// One zero fill (as CSE leaves reverse mode's accumulators) is the
// destination of two ops and, twice, of one op: each later use gets its own
// fill of its own empty tensor, built right before the op; the first use
// keeps the original.
// CHECK-LABEL: func.func @shared_fill
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<8xf32>
// CHECK:      %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<8xf32>)
// CHECK:      %[[A:.*]] = linalg.generic {{.*}} outs(%[[Z]] : tensor<8xf32>)
// CHECK:      %[[E1:.*]] = tensor.empty() : tensor<8xf32>
// CHECK-NEXT: %[[Z1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<8xf32>)
// CHECK-NEXT: %[[E2:.*]] = tensor.empty() : tensor<8xf32>
// CHECK-NEXT: %[[Z2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<8xf32>)
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[Z1]], %[[Z2]] : tensor<8xf32>, tensor<8xf32>)
#id = affine_map<(i) -> (i)>
func.func @shared_fill(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%z : tensor<8xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %b:2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<8xf32>) outs(%z, %z : tensor<8xf32>, tensor<8xf32>) {
  ^bb0(%v: f32, %p: f32, %q: f32):
    %s = arith.addf %v, %p : f32
    %t = arith.mulf %v, %q : f32
    linalg.yield %s, %t : f32, f32
  } -> (tensor<8xf32>, tensor<8xf32>)
  return %a, %b#0, %b#1 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Two fills of one empty tensor: the second fill gets its own.
// CHECK-LABEL: func.func @shared_empty
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK:      linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<4xf32>)
// CHECK:      %[[E1:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<4xf32>)
func.func @shared_empty() -> (tensor<4xf32>, tensor<4xf32>) {
  %c0 = arith.constant 0.0 : f32
  %c1 = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %o = linalg.fill ins(%c1 : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %z, %o : tensor<4xf32>, tensor<4xf32>
}
