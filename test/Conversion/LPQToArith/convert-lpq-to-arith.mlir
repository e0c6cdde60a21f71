// RUN: lpq-opt %s -convert-lpq-to-arith -split-input-file | FileCheck %s

/// Fixed point: scale by 2^fl (in float32, which holds every step and
/// bound of fixed<8, 6>), round, scale back, keep the sign of zero,
/// saturate to [-2, 127/64], pass NaN through. Elementwise formats round
/// through a 1-D view of the tensor (one long loop).
// CHECK-LABEL: func @fixed
// CHECK-NOT: lpq.
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<4x8xf32> into tensor<32xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel"]
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: math.roundeven {{.*}} : f32
// CHECK: math.copysign
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.cmpf uno
// CHECK: arith.select
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [4, 8] : tensor<32xf32> into tensor<4x8xf32>
func.func @fixed(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = lpq.quantize %x : tensor<4x8xf32> to #lpq.fixed<8, 6>
  return %0 : tensor<4x8xf32>
}

/// Word lengths above 25 round in float64.
// CHECK-LABEL: func @fixed_wide
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f32 to f64
// CHECK: arith.mulf %[[W]], %{{.*}} : f64
// CHECK: math.roundeven {{.*}} : f64
// CHECK: arith.truncf
func.func @fixed_wide(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = lpq.quantize %x : tensor<8xf32> to #lpq.fixed<32, 10>
  return %0 : tensor<8xf32>
}

// -----

/// Each deterministic mode maps to one exact rounding op, in float32 for a
/// minifloat float32 holds (the quotient by the step is below 2^24).
// CHECK-LABEL: func @modes
// CHECK: math.round {{.*}} : f32
// CHECK: math.trunc {{.*}} : f32
// CHECK: math.floor {{.*}} : f32
// CHECK: math.ceil {{.*}} : f32
// CHECK-NOT: f64
// CHECK: return
func.func @modes(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %0 = lpq.quantize %x : tensor<8xf32> to #lpq.float<4, 3, fn> rounding nearest_away
  %1 = lpq.quantize %x : tensor<8xf32> to #lpq.float<4, 3, fn> rounding toward_zero
  %2 = lpq.quantize %x : tensor<8xf32> to #lpq.float<4, 3, fn> rounding down
  %3 = lpq.quantize %x : tensor<8xf32> to #lpq.float<4, 3, fn> rounding up
  return %0, %1, %2, %3 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

/// Stochastic rounding: the element's linear index feeds Philox4x32-10 (ten
/// rounds, two 32x32->64 multiplies each, in 64-bit lanes; the first round's
/// multiply of the constant stream id folds) and, for a minifloat float32
/// holds, the decision in float32: the step from x's exponent field, the
/// threshold floor(frac * 2^32) (ceil for x < 0) against the bits.
// CHECK-LABEL: func @stochastic
// CHECK-SAME: (%{{.*}}: tensor<3x5xf32>, %[[SEED:.*]]: i64, %[[STEP:.*]]: i32)
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK-NOT: linalg.index
// CHECK: arith.index_cast %{{.*}} : index to i64
// CHECK-COUNT-19: arith.muli %{{.*}}, %c{{3528531795|3449720151}}_i64 : i64
// CHECK: arith.shrui %{{.*}}, %c23_i32 : i32
// CHECK: math.floor %{{.*}} : f32
// CHECK: arith.fptoui %{{.*}} : f32 to i32
// CHECK: arith.cmpi ult
// CHECK-NOT: f64
// CHECK: return
func.func @stochastic(%x: tensor<3x5xf32>, %seed: i64, %step: i32) -> tensor<3x5xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<3x5xf32> to #lpq.float<5, 2> stream 9
  return %0 : tensor<3x5xf32>
}

// -----

/// A last axis that is a multiple of 4 is grouped by 4: the outer loops give
/// the Philox counter, the inner loop of 4 the output word, so Philox is
/// computed once per four elements. Per-row blocks keep axis 0 apart and
/// merge the others.
// CHECK-LABEL: func @stochastic_grouped
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : tensor<3x2x8xf32> into tensor<3x16xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [3, 4, 4]
// CHECK: linalg.generic
// CHECK: %[[I0:.*]] = linalg.index 0
// CHECK: %[[I1:.*]] = linalg.index 1
// CHECK: %[[W:.*]] = linalg.index 2
// CHECK: arith.index_cast %[[W]] : index to i32
// CHECK: tensor.collapse_shape
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [3, 2, 8] : tensor<3x16xf32> into tensor<3x2x8xf32>
func.func @stochastic_grouped(%x: tensor<3x2x8xf32>, %seed: i64, %step: i32) -> tensor<3x2x8xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<3x2x8xf32> to #lpq.block<8, axis = [0]> stream 2
  return %0 : tensor<3x2x8xf32>
}

// -----

/// A whole-tensor block maximum is reduced through an (axis 0, rest) view,
/// per index of axis 0 first, then over those; the rounding through a 1-D
/// view. Dynamic axes are never merged.
// CHECK-LABEL: func @merged_axes
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3]] : tensor<2x3x4x5xf32> into tensor<2x60xf32>
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<2x1xf32>)
// CHECK: iterator_types = ["reduction", "reduction"]
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3]] : tensor<2x3x4x5xf32> into tensor<120xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : tensor<?x4x5xf32> into tensor<?x20xf32>
func.func @merged_axes(%x: tensor<2x3x4x5xf32>, %y: tensor<?x4x5xf32>) -> (tensor<2x3x4x5xf32>, tensor<?x4x5xf32>) {
  %0 = lpq.quantize %x : tensor<2x3x4x5xf32> to #lpq.block<8>
  %1 = lpq.quantize %y : tensor<?x4x5xf32> to #lpq.fixed<8, 4>
  return %0, %1 : tensor<2x3x4x5xf32>, tensor<?x4x5xf32>
}

// -----

/// Block exponents: max |x| over the finite elements of each tile of 4 along
/// axis 1 (output indexed by d1 floordiv 4), then the exponent bits; the
/// rounding generic reads them through the same map.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$TILE:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 4)>
// CHECK-LABEL: func @block_tiles
// CHECK: %[[FILL:.*]] = linalg.fill
// CHECK: %[[AMAX:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$TILE]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: outs(%[[FILL]] : tensor<4x3xf32>)
// CHECK: math.absf
// CHECK: arith.maxnumf
// CHECK: %[[EXP:.*]] = linalg.generic
// CHECK-SAME: ins(%[[AMAX]] : tensor<4x3xf32>)
// CHECK: arith.shrui
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$TILE]], #[[$ID]]]
// CHECK-SAME: ins(%{{.*}}, %[[EXP]] : tensor<4x10xf32>, tensor<4x3xi32>)
func.func @block_tiles(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %0 = lpq.quantize %x : tensor<4x10xf32> to #lpq.block<8, tile = 4, axis = [1]>
  return %0 : tensor<4x10xf32>
}

// -----

/// Per-row exponents reduce over axis 1 into a 4x1 tensor (constant 0 index).
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func @block_scale
// CHECK: linalg.generic {{.*}}#[[$ROW]]{{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: return %{{.*}} : tensor<4x1xi32>
func.func @block_scale(%x: tensor<4x10xf32>) -> tensor<4x1xi32> {
  %0 = lpq.block_scale %x : tensor<4x10xf32> for #lpq.block<8, axis = [0]>
  return %0 : tensor<4x1xi32>
}

// -----

/// Explicit scales are used as given: no reduction is emitted.
// CHECK-LABEL: func @explicit_scales
// CHECK-NOT: iterator_types = ["parallel", "reduction"]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<4x10xf32>, tensor<4x1xi32>)
func.func @explicit_scales(%x: tensor<4x10xf32>, %e: tensor<4x1xi32>) -> tensor<4x10xf32> {
  %0 = lpq.quantize %x scales %e : tensor<4x10xf32>, tensor<4x1xi32> to #lpq.block<8, axis = [0]>
  return %0 : tensor<4x10xf32>
}

// -----

/// MX: tiles that divide their static axis are reduced and rounded through a
/// (tiles, 32) view of the input, so each tile is an inner loop with a
/// loop-invariant scale; the element is scaled by 2^-s before the minifloat
/// rounding, and the result is collapsed back.
// CHECK-LABEL: func @mx
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [2, 2, 32]
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.minsi
// CHECK: iterator_types = ["parallel", "parallel", "parallel"]
// CHECK: math.roundeven
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : tensor<2x2x32xf32> into tensor<2x64xf32>
func.func @mx(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %0 = lpq.quantize %x : tensor<2x64xf32> to #lpq.mx<#lpq.float<4, 3, fn>, tile = 32, axis = [1]>
  return %0 : tensor<2x64xf32>
}

// -----

/// Stochastic MX groups the last axis by 4 (16 Philox groups per row); the
/// tile scales are first copied out to one per group (a loop nest with one
/// loop fewer than the rounding, which fusion keeps apart), so that the
/// rounding reads them at an affine address.
// CHECK-DAG: #[[$PERGROUP:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 8)>
// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$GROUP:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @mx_stochastic
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ID2]]]{{.*}} outs(%{{.*}} : tensor<2x2xi32>)
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [#[[$PERGROUP]], #[[$ID2]]]{{.*}} ins(%[[S]] : tensor<2x2xi32>) outs(%{{.*}} : tensor<2x16xi32>)
// CHECK: linalg.generic {indexing_maps = [#[[$ID3]], #[[$GROUP]], #[[$ID3]]]{{.*}} ins(%{{.*}}, %[[G]] : tensor<2x16x4xf32>, tensor<2x16xi32>)
func.func @mx_stochastic(%x: tensor<2x64xf32>, %seed: i64, %step: i32) -> tensor<2x64xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<2x64xf32> to #lpq.mx<#lpq.float<4, 3, fn>, tile = 32, axis = [1]> stream 2
  return %0 : tensor<2x64xf32>
}

// -----

/// BWN: one f64 sum of |w| per row, then alpha * sign(w).
// CHECK-LABEL: func @binary
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf {{.*}} : f64
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[SUM]] : tensor<4x10xf32>, tensor<4xf64>)
// CHECK: arith.divf {{.*}} : f64
func.func @binary(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %0 = lpq.quantize %x : tensor<4x10xf32> to #lpq.binary
  return %0 : tensor<4x10xf32>
}

// -----

/// TWN: whole-tensor mean and mean deviation (rank-0 reductions), then per
/// row sums and counts above the threshold.
// CHECK-LABEL: func @ternary
// CHECK-COUNT-2: iterator_types = ["reduction", "reduction"]
// CHECK-COUNT-2: iterator_types = ["reduction", "parallel"]
func.func @ternary(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %0 = lpq.quantize %x : tensor<4x10xf32> to #lpq.ternary<axis = 1>
  return %0 : tensor<4x10xf32>
}

// -----

/// SWA: avg + (x - avg) / f32(n + 1).
// CHECK-LABEL: func @average
// CHECK: %[[N:.*]] = arith.extsi %{{.*}} : i32 to i64
// CHECK: %[[N1:.*]] = arith.addi %[[N]]
// CHECK: %[[D:.*]] = arith.sitofp %[[N1]] : i64 to f32
// CHECK: linalg.generic
// CHECK: ^bb0(%[[A:.*]]: f32, %[[X:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[DELTA:.*]] = arith.subf %[[X]], %[[A]] : f32
// CHECK: %[[STEP:.*]] = arith.divf %[[DELTA]], %[[D]] : f32
// CHECK: arith.addf %[[A]], %[[STEP]] : f32
func.func @average(%a: tensor<16xf32>, %x: tensor<16xf32>, %n: i32) -> tensor<16xf32> {
  %0 = lpq.average %a, %x, %n : tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

/// A whole-tensor exponent takes its maximum in two stages: one per index of
/// axis 0 (a parallel loop), then over those.
// CHECK-LABEL: func @block_whole_tensor
// CHECK: %[[ROWS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK-SAME: outs(%{{.*}} : tensor<4x1xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK-SAME: ins(%[[ROWS]] : tensor<4x1xf32>)
// CHECK-SAME: outs(%{{.*}} : tensor<1x1xf32>)
func.func @block_whole_tensor(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %0 = lpq.quantize %x : tensor<4x10xf32> to #lpq.block<8>
  return %0 : tensor<4x10xf32>
}

// -----

/// SQ selection: float64 row errors (one reduction generic), the roulette as
/// scf loops (draws x rows) with Philox, the hybrid as a select.
// CHECK-LABEL: func @sq_select
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: scf.for
// CHECK: scf.for
// CHECK: arith.muli %{{.*}}, %c{{3528531795|3449720151}}_i64 : i64
// CHECK: scf.for
// CHECK: scf.if
// CHECK: tensor.insert
// CHECK: linalg.generic
// CHECK: arith.select
// CHECK-NOT: lpq.sq_select
func.func @sq_select(%w: tensor<8x4xf32>, %q: tensor<8x4xf32>, %seed: i64, %step: i32) -> tensor<8x4xf32> {
  %h = lpq.sq_select %w, %q, %seed, %step : tensor<8x4xf32> ratio 0.75 stream 2
  return %h : tensor<8x4xf32>
}
