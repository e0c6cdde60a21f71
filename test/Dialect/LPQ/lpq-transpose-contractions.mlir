// RUN: lpq-opt %s -lpq-transpose-contractions -split-input-file | FileCheck %s

// A convolution's weight gradient as reverse mode writes it:
// dK[f, c, kh, kw] += x[n, c, h + kh, w + kw] * dy[n, f, h, w]. Rows of 5
// are shorter than half of 16 lanes: the 16 filters (read by dy only, as a
// whole index) move to the end of dK and of dy; the zero-filled dK is
// filled in the new shape, and the result is transposed back.

// CHECK-DAG: #[[$X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d2, d3 + d5, d4 + d6)>
// CHECK-DAG: #[[$DY:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d5, d6, d1)>
// CHECK-DAG: #[[$DK:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d2, d3, d4, d1)>
// CHECK-LABEL: func.func @weight_gradient
// CHECK-SAME:  (%[[X:.*]]: tensor<4x8x12x12xf32>, %[[DY:.*]]: tensor<4x16x8x8xf32>)
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<4x8x8x16xf32>
// CHECK:      %[[DYT:.*]] = linalg.transpose ins(%[[DY]] : tensor<4x16x8x8xf32>) outs(%[[E]] : tensor<4x8x8x16xf32>) permutation = [0, 2, 3, 1]
// CHECK:      %[[E2:.*]] = tensor.empty() : tensor<8x5x5x16xf32>
// CHECK:      %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<8x5x5x16xf32>)
// CHECK:      %[[G:.*]] = linalg.generic {indexing_maps = [#[[$X]], #[[$DY]], #[[$DK]]],
// CHECK-SAME:   ins(%[[X]], %[[DYT]] : tensor<4x8x12x12xf32>, tensor<4x8x8x16xf32>) outs(%[[F]] : tensor<8x5x5x16xf32>)
// CHECK:        arith.mulf
// CHECK:        arith.addf
// CHECK:      %[[E3:.*]] = tensor.empty() : tensor<16x8x5x5xf32>
// CHECK:      %[[B:.*]] = linalg.transpose ins(%[[G]] : tensor<8x5x5x16xf32>) outs(%[[E3]] : tensor<16x8x5x5xf32>) permutation = [3, 0, 1, 2]
// CHECK:      return %[[B]]
#x = affine_map<(n, f, c, kh, kw, h, w) -> (n, c, h + kh, w + kw)>
#dy = affine_map<(n, f, c, kh, kw, h, w) -> (n, f, h, w)>
#dk = affine_map<(n, f, c, kh, kw, h, w) -> (f, c, kh, kw)>
func.func @weight_gradient(%x: tensor<4x8x12x12xf32>, %dy: tensor<4x16x8x8xf32>) -> tensor<16x8x5x5xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x8x5x5xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<16x8x5x5xf32>) -> tensor<16x8x5x5xf32>
  %r = linalg.generic {indexing_maps = [#x, #dy, #dk],
                       iterator_types = ["reduction", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %dy : tensor<4x8x12x12xf32>, tensor<4x16x8x8xf32>) outs(%init : tensor<16x8x5x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x8x5x5xf32>
  return %r : tensor<16x8x5x5xf32>
}

// -----

// An output that is not a fill is copied into the new shape. The longest
// axis that a single input reads as a whole index is j (24), not i (the
// first input reads i inside i + k).

// CHECK-LABEL: func.func @copied_init
// CHECK-SAME:  (%[[A:.*]]: tensor<10x3xf32>, %[[B:.*]]: tensor<3x24xf32>, %[[O:.*]]: tensor<8x24x3xf32>)
// CHECK:      %[[OT:.*]] = linalg.transpose ins(%[[O]] : tensor<8x24x3xf32>) outs(%{{.*}} : tensor<8x3x24xf32>) permutation = [0, 2, 1]
// CHECK:      %[[G:.*]] = linalg.generic
// CHECK-SAME:   ins(%[[A]], %[[B]] : tensor<10x3xf32>, tensor<3x24xf32>) outs(%[[OT]] : tensor<8x3x24xf32>)
// CHECK:      linalg.transpose ins(%[[G]] : tensor<8x3x24xf32>) outs(%{{.*}} : tensor<8x24x3xf32>) permutation = [0, 2, 1]
#a = affine_map<(i, j, c, k) -> (i + k, k)>
#b = affine_map<(i, j, c, k) -> (k, j)>
#o = affine_map<(i, j, c, k) -> (i, j, c)>
func.func @copied_init(%a: tensor<10x3xf32>, %b: tensor<3x24xf32>, %o: tensor<8x24x3xf32>) -> tensor<8x24x3xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #o],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<10x3xf32>, tensor<3x24xf32>) outs(%o : tensor<8x24x3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x24x3xf32>
  return %r : tensor<8x24x3xf32>
}

// -----

// Rows of 8 (half of 16 lanes) stay; so do contractions where both inputs
// read every longer axis, and bodies other than out + a * b.

// CHECK-LABEL: func.func @unchanged
// CHECK-NOT:  linalg.transpose
// CHECK:      return
#m = affine_map<(i, j, k) -> (i, k)>
#n = affine_map<(i, j, k) -> (k, j)>
#p = affine_map<(i, j, k) -> (i, j)>
#q = affine_map<(i, j, k) -> (i, k)>
#r = affine_map<(i, j, k) -> (i, j)>
#s = affine_map<(i, j, k) -> (i, j)>
func.func @unchanged(%a: tensor<64x32xf32>, %b: tensor<32x8xf32>, %o: tensor<64x8xf32>,
                     %c: tensor<64x32xf32>, %d: tensor<64x4xf32>, %o2: tensor<64x4xf32>,
                     %e: tensor<32x4xf32>)
    -> (tensor<64x8xf32>, tensor<64x4xf32>, tensor<64x4xf32>) {
  %r8 = linalg.generic {indexing_maps = [#m, #n, #p], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<64x32xf32>, tensor<32x8xf32>) outs(%o : tensor<64x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m1 = arith.mulf %x, %y : f32
    %s1 = arith.addf %acc, %m1 : f32
    linalg.yield %s1 : f32
  } -> tensor<64x8xf32>
  // Both inputs read i.
  %both = linalg.generic {indexing_maps = [#q, #r, #s], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%c, %d : tensor<64x32xf32>, tensor<64x4xf32>) outs(%o2 : tensor<64x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m2 = arith.mulf %x, %y : f32
    %s2 = arith.addf %acc, %m2 : f32
    linalg.yield %s2 : f32
  } -> tensor<64x4xf32>
  // A maximum, not a multiply-accumulate.
  %max = linalg.generic {indexing_maps = [#m, #n, #p], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %e : tensor<64x32xf32>, tensor<32x4xf32>) outs(%o2 : tensor<64x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m3 = arith.mulf %x, %y : f32
    %s3 = arith.maximumf %acc, %m3 : f32
    linalg.yield %s3 : f32
  } -> tensor<64x4xf32>
  return %r8, %both, %max : tensor<64x8xf32>, tensor<64x4xf32>, tensor<64x4xf32>
}

// -----

// A named matmul reading B as [n, k] (x @ w.T) is generalized, and B gets a
// transposed copy [k, n] so that the output's last axis, along which
// lpq-tile-contractions vectorizes, is contiguous in it; the loops and the
// order of the sums do not change.

// CHECK-DAG: #[[$A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$BT:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @transposed_b
// CHECK-SAME:  (%[[X:.*]]: tensor<128x784xf32>, %[[W:.*]]: tensor<512x784xf32>)
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<784x512xf32>
// CHECK:      %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<512x784xf32>) outs(%[[E]] : tensor<784x512xf32>) permutation = [1, 0]
// CHECK:      linalg.generic {indexing_maps = [#[[$A]], #[[$BT]], #[[$C]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:   ins(%[[X]], %[[WT]] : tensor<128x784xf32>, tensor<784x512xf32>)
// CHECK-NOT:  linalg.transpose
// CHECK:      return
func.func @transposed_b(%x: tensor<128x784xf32>, %w: tensor<512x784xf32>) -> tensor<128x512xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x512xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<128x512xf32>) -> tensor<128x512xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<128x784xf32>, tensor<512x784xf32>) outs(%init : tensor<128x512xf32>) -> tensor<128x512xf32>
  return %r : tensor<128x512xf32>
}

// -----

// Already contiguous (x @ w with w as [k, n]): generalized, nothing copied.

// CHECK-LABEL: func.func @plain
// CHECK-NOT:  linalg.transpose
// CHECK:      linalg.generic
// CHECK-NOT:  linalg.transpose
// CHECK:      return
func.func @plain(%x: tensor<128x784xf32>, %w: tensor<784x512xf32>) -> tensor<128x512xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x512xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<128x512xf32>) -> tensor<128x512xf32>
  %r = linalg.matmul ins(%x, %w : tensor<128x784xf32>, tensor<784x512xf32>) outs(%init : tensor<128x512xf32>) -> tensor<128x512xf32>
  return %r : tensor<128x512xf32>
}

// -----

// A weight gradient as reverse mode writes it, dWT[i, o] += x[b, i] * dy[b, o],
// read transposed by the (fused) optimizer update: the contraction computes
// dW[o, i] directly (output map permuted, a fill of the new shape) and the
// update reads it with the identity map, contiguously.

// CHECK-DAG: #[[$X:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$DY:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$DW:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @weight_gradient_read_transposed
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<32x48xf32>
// CHECK:      %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<32x48xf32>)
// CHECK:      %[[G:.*]] = linalg.generic {indexing_maps = [#[[$X]], #[[$DY]], #[[$DW]]]
// CHECK-SAME:   outs(%[[F]] : tensor<32x48xf32>)
// CHECK:      linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]], #[[$ID]]]
// CHECK-SAME:   ins(%[[G]], %{{.*}} : tensor<32x48xf32>, tensor<32x48xf32>)
// CHECK-NOT:  linalg.transpose
// CHECK:      return
#xb = affine_map<(b, i, o) -> (b, i)>
#dyb = affine_map<(b, i, o) -> (b, o)>
#dwt = affine_map<(b, i, o) -> (i, o)>
#t = affine_map<(o, i) -> (i, o)>
#id = affine_map<(o, i) -> (o, i)>
func.func @weight_gradient_read_transposed(%x: tensor<8x48xf32>, %dy: tensor<8x32xf32>, %w: tensor<32x48xf32>) -> tensor<32x48xf32> {
  %z = arith.constant 0.0 : f32
  %lr = arith.constant 0.1 : f32
  %e = tensor.empty() : tensor<48x32xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<48x32xf32>) -> tensor<48x32xf32>
  %dwt = linalg.generic {indexing_maps = [#xb, #dyb, #dwt], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %dy : tensor<8x48xf32>, tensor<8x32xf32>) outs(%init : tensor<48x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<48x32xf32>
  %e2 = tensor.empty() : tensor<32x48xf32>
  %new = linalg.generic {indexing_maps = [#t, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%dwt, %w : tensor<48x32xf32>, tensor<32x48xf32>) outs(%e2 : tensor<32x48xf32>) {
  ^bb0(%g: f32, %v: f32, %o: f32):
    %step = arith.mulf %g, %lr : f32
    %r = arith.subf %v, %step : f32
    linalg.yield %r : f32
  } -> tensor<32x48xf32>
  return %new : tensor<32x48xf32>
}

// -----

// The same gradient followed by a plain transposing copy: the contraction
// writes the copy's layout and the copy goes.

// CHECK-DAG: #[[$DW:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @weight_gradient_copied
// CHECK:      %[[G:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[$DW]]]
// CHECK-SAME:   outs(%{{.*}} : tensor<32x48xf32>)
// CHECK-NOT:  linalg.generic
// CHECK:      return %[[G]]
func.func @weight_gradient_copied(%x: tensor<8x48xf32>, %dy: tensor<8x32xf32>) -> tensor<32x48xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<48x32xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<48x32xf32>) -> tensor<48x32xf32>
  %dwt = linalg.generic {indexing_maps = [affine_map<(b, i, o) -> (b, i)>, affine_map<(b, i, o) -> (b, o)>, affine_map<(b, i, o) -> (i, o)>], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %dy : tensor<8x48xf32>, tensor<8x32xf32>) outs(%init : tensor<48x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<48x32xf32>
  %e2 = tensor.empty() : tensor<32x48xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, o) -> (i, o)>, affine_map<(i, o) -> (o, i)>], iterator_types = ["parallel", "parallel"]}
      ins(%dwt : tensor<48x32xf32>) outs(%e2 : tensor<32x48xf32>) {
  ^bb0(%g: f32, %o: f32):
    linalg.yield %g : f32
  } -> tensor<32x48xf32>
  return %t : tensor<32x48xf32>
}

// -----

// The transposing copy adds the gradient to a zero-filled adjoint (reverse
// mode accumulating dW when a gradient quantizer, not the fused update,
// reads it): +0.0 + x is x for a sum accumulated from +0.0, so the
// contraction writes the adjoint's layout and the copy and both fills go.

// CHECK-DAG: #[[$DW:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @weight_gradient_added_to_zeros
// CHECK:      %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<32x48xf32>)
// CHECK-NEXT: %[[G:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[$DW]]]
// CHECK-SAME:   outs(%[[F]] : tensor<32x48xf32>)
// CHECK-NOT:  linalg.fill
// CHECK-NOT:  linalg.generic
// CHECK:      return %[[G]]
func.func @weight_gradient_added_to_zeros(%x: tensor<8x48xf32>, %dy: tensor<8x32xf32>) -> tensor<32x48xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<48x32xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<48x32xf32>) -> tensor<48x32xf32>
  %dwt = linalg.generic {indexing_maps = [affine_map<(b, i, o) -> (b, i)>, affine_map<(b, i, o) -> (b, o)>, affine_map<(b, i, o) -> (i, o)>], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %dy : tensor<8x48xf32>, tensor<8x32xf32>) outs(%init : tensor<48x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<48x32xf32>
  %e2 = tensor.empty() : tensor<32x48xf32>
  %zeros = linalg.fill ins(%z : f32) outs(%e2 : tensor<32x48xf32>) -> tensor<32x48xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, o) -> (i, o)>, affine_map<(i, o) -> (o, i)>], iterator_types = ["parallel", "parallel"]}
      ins(%dwt : tensor<48x32xf32>) outs(%zeros : tensor<32x48xf32>) {
  ^bb0(%g: f32, %o: f32):
    %sum = arith.addf %o, %g : f32
    linalg.yield %sum : f32
  } -> tensor<32x48xf32>
  return %t : tensor<32x48xf32>
}

// -----

// Added to -0.0 instead: -0.0 + x is not x when x is +0.0, so the copy
// stays (the gradient is still laid out as the copy reads it).

// CHECK-LABEL: func.func @weight_gradient_added_to_negative_zeros
// CHECK:      linalg.generic
// CHECK:      linalg.generic
// CHECK:        arith.addf
// CHECK:      return
func.func @weight_gradient_added_to_negative_zeros(%x: tensor<8x48xf32>, %dy: tensor<8x32xf32>) -> tensor<32x48xf32> {
  %z = arith.constant 0.0 : f32
  %nz = arith.constant -0.0 : f32
  %e = tensor.empty() : tensor<48x32xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<48x32xf32>) -> tensor<48x32xf32>
  %dwt = linalg.generic {indexing_maps = [affine_map<(b, i, o) -> (b, i)>, affine_map<(b, i, o) -> (b, o)>, affine_map<(b, i, o) -> (i, o)>], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %dy : tensor<8x48xf32>, tensor<8x32xf32>) outs(%init : tensor<48x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<48x32xf32>
  %e2 = tensor.empty() : tensor<32x48xf32>
  %zeros = linalg.fill ins(%nz : f32) outs(%e2 : tensor<32x48xf32>) -> tensor<32x48xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, o) -> (i, o)>, affine_map<(i, o) -> (o, i)>], iterator_types = ["parallel", "parallel"]}
      ins(%dwt : tensor<48x32xf32>) outs(%zeros : tensor<32x48xf32>) {
  ^bb0(%g: f32, %o: f32):
    %sum = arith.addf %o, %g : f32
    linalg.yield %sum : f32
  } -> tensor<32x48xf32>
  return %t : tensor<32x48xf32>
}

// -----

// A square gradient whose contraction and copy share one zero fill (CSE
// merges fills of the same type): absorbed as well, and the shared fill is
// erased once (it was erased twice, a use after free valgrind reported).

// CHECK-DAG: #[[$SQ:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @square_gradient_shared_fill
// CHECK:      %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<32x32xf32>)
// CHECK-NEXT: %[[G:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[$SQ]]]
// CHECK-SAME:   outs(%[[F]] : tensor<32x32xf32>)
// CHECK-NOT:  linalg.fill
// CHECK-NOT:  linalg.generic
// CHECK:      return %[[G]]
func.func @square_gradient_shared_fill(%x: tensor<8x32xf32>, %dy: tensor<8x32xf32>) -> tensor<32x32xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x32xf32>
  %zeros = linalg.fill ins(%z : f32) outs(%e : tensor<32x32xf32>) -> tensor<32x32xf32>
  %dwt = linalg.generic {indexing_maps = [affine_map<(b, i, o) -> (b, i)>, affine_map<(b, i, o) -> (b, o)>, affine_map<(b, i, o) -> (i, o)>], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %dy : tensor<8x32xf32>, tensor<8x32xf32>) outs(%zeros : tensor<32x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<32x32xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, o) -> (i, o)>, affine_map<(i, o) -> (o, i)>], iterator_types = ["parallel", "parallel"]}
      ins(%dwt : tensor<32x32xf32>) outs(%zeros : tensor<32x32xf32>) {
  ^bb0(%g: f32, %o: f32):
    %sum = arith.addf %o, %g : f32
    linalg.yield %sum : f32
  } -> tensor<32x32xf32>
  return %t : tensor<32x32xf32>
}

// -----

// The MLP's w2.T ([10, 512] copied to [512, 10]), read by the forward
// product, then by the input gradient dh[b, k] += dz[b, j] * w2t[k, j] with
// the output's last axis first: transposing w2t back gives w2 itself, which
// the product reads; no copy is made.

// CHECK-DAG: #[[$W:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @transposed_back
// CHECK-SAME:  (%[[DZ:.*]]: tensor<128x10xf32>, %[[W2:.*]]: tensor<10x512xf32>)
// CHECK-NOT:  linalg.transpose
// CHECK:      linalg.generic {indexing_maps = [#{{.*}}, #[[$W]], #{{.*}}]
// CHECK-SAME:   ins(%[[DZ]], %[[W2]] : tensor<128x10xf32>, tensor<10x512xf32>)
// CHECK-NOT:  linalg.transpose
func.func @transposed_back(%dz: tensor<128x10xf32>, %w2: tensor<10x512xf32>) -> (tensor<512x10xf32>, tensor<128x512xf32>) {
  %e = tensor.empty() : tensor<512x10xf32>
  %w2t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel"]}
      ins(%w2 : tensor<10x512xf32>) outs(%e : tensor<512x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<512x10xf32>
  %z = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<128x512xf32>
  %f = linalg.fill ins(%z : f32) outs(%e2 : tensor<128x512xf32>) -> tensor<128x512xf32>
  %dh = linalg.generic {indexing_maps = [affine_map<(b, k, j) -> (b, j)>, affine_map<(b, k, j) -> (k, j)>, affine_map<(b, k, j) -> (b, k)>],
                        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%dz, %w2t : tensor<128x10xf32>, tensor<512x10xf32>) outs(%f : tensor<128x512xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<128x512xf32>
  return %w2t, %dh : tensor<512x10xf32>, tensor<128x512xf32>
}
