// RUN: lpq-opt %s -split-input-file -lpq-fuse-elementwise | FileCheck %s

#id = affine_map<(i, j) -> (i, j)>
#t = affine_map<(i, j) -> (j, i)>
#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>

/// An elementwise producer fuses into an elementwise consumer (here a
/// transpose) with as many loops; the result feeding a matmul does not
/// fuse into it (it would be recomputed once per row of the other operand).
// CHECK-LABEL: func @quantize_transpose_matmul
// CHECK: %[[T:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK: math.floor
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %[[T]] :
// CHECK-NOT: math.floor
// CHECK: return
func.func @quantize_transpose_matmul(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %init: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<16x8xf32>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<16x8xf32>) outs(%e : tensor<16x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %f = math.floor %a : f32
    linalg.yield %f : f32
  } -> tensor<16x8xf32>
  %te = tensor.empty() : tensor<8x16xf32>
  %qt = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%q : tensor<16x8xf32>) outs(%te : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<8x16xf32>
  %m = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %qt : tensor<4x8xf32>, tensor<8x16xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %p = arith.mulf %u, %v : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %m : tensor<4x16xf32>
}

// -----

/// A producer with two elementwise consumers fuses into both: one generic
/// computes it once and yields both consumers' results.
// CHECK-LABEL: func @shared
// CHECK: %[[F:.*]]:2 = linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<8xf32>)
// CHECK: math.floor
// CHECK-NOT: math.floor
// CHECK: math.ceil
// CHECK: math.absf
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: return %[[F]]#0, %[[F]]#1
func.func @shared(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %f = math.floor %u : f32
    linalg.yield %f : f32
  } -> tensor<8xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %f = math.ceil %u : f32
    linalg.yield %f : f32
  } -> tensor<8xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %f = math.absf %u : f32
    linalg.yield %f : f32
  } -> tensor<8xf32>
  return %b, %c : tensor<8xf32>, tensor<8xf32>
}

// -----

/// A shared producer whose result is also returned (SGD's momentum, read by
/// the weight update) fuses into its consumer, which yields it too.
// CHECK-LABEL: func @shared_returned
// CHECK: %[[F:.*]]:2 = linalg.generic
// CHECK: %[[M:.*]] = arith.addf
// CHECK: %[[W:.*]] = arith.subf %{{.*}}, %[[M]]
// CHECK: linalg.yield %[[M]], %[[W]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[F]]#1, %[[F]]#0
func.func @shared_returned(%g: tensor<8xf32>, %w: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%g, %w : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %s = arith.addf %u, %v : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %w2 = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%w, %m : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %d = arith.subf %u, %v : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  return %w2, %m : tensor<8xf32>, tensor<8xf32>
}

// -----

/// A shared producer stays when another user comes before the consumer
/// (the fused generic, at the consumer, would not dominate it), and when
/// the consumer reads it transposed (the fused loop would write it
/// across rows).
// CHECK-LABEL: func @shared_kept
// CHECK: linalg.generic
// CHECK: call @use
// CHECK-COUNT-2: linalg.generic
// CHECK-LABEL: func @shared_transposed
// CHECK-COUNT-3: linalg.generic
#id = affine_map<(i, j) -> (i, j)>
#t = affine_map<(i, j) -> (j, i)>
func.func private @use(tensor<8xf32>)
func.func @shared_kept(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %f = math.floor %u : f32
    linalg.yield %f : f32
  } -> tensor<8xf32>
  call @use(%a) : (tensor<8xf32>) -> ()
  %b = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %f = math.absf %u : f32
    linalg.yield %f : f32
  } -> tensor<8xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %f = math.ceil %u : f32
    linalg.yield %f : f32
  } -> tensor<8xf32>
  %d = arith.constant 0 : index
  %s = tensor.extract %b[%d] : tensor<8xf32>
  %r = tensor.insert %s into %c[%d] : tensor<8xf32>
  return %r : tensor<8xf32>
}
func.func @shared_transposed(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<8x4xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %et = tensor.empty() : tensor<8x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %f = math.floor %u : f32
    linalg.yield %f : f32
  } -> tensor<4x8xf32>
  %t = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%et : tensor<8x4xf32>) {
  ^bb0(%u: f32, %o: f32):
    linalg.yield %u : f32
  } -> tensor<8x4xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %f = math.absf %u : f32
    linalg.yield %f : f32
  } -> tensor<4x8xf32>
  return %b, %t : tensor<4x8xf32>, tensor<8x4xf32>
}

// -----

/// A sum into a zero-filled tensor (a gradient with one term), fused into
/// the update that reads it, no longer yields that sum: the fill folds into
/// the payload and the dead result goes.
// CHECK-LABEL: func @dead_accumulation
// CHECK-NOT: linalg.fill
// CHECK: %[[F:.*]] = linalg.generic
// CHECK-SAME: outs(%{{[^,]*}} : tensor<8xf32>)
// CHECK: return %[[F]]
func.func @dead_accumulation(%g: tensor<8xf32>, %w: tensor<8xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%g : tensor<8xf32>) outs(%z : tensor<8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = arith.addf %o, %u : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %w2 = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%w, %sum : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %d = arith.subf %u, %v : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  return %w2 : tensor<8xf32>
}
