// RUN: lpq-opt %s -canonicalize -split-input-file | FileCheck %s

/// Constants fold through the reference numerics library; fixed<8, 6> tops
/// out at 127/64.
// CHECK-LABEL: func @fold_fixed
func.func @fold_fixed() -> tensor<6xf32> {
  // CHECK: %[[C:.*]] = arith.constant dense<[1.984375, 1.984375, -2.000000e+00, 1.984375, -2.000000e+00, 0.000000e+00]> : tensor<6xf32>
  // CHECK-NOT: lpq.quantize
  // CHECK: return %[[C]]
  %c = arith.constant dense<[2.0, 1.99, -2.0, 100.0, -100.0, 0.001]> : tensor<6xf32>
  %0 = lpq.quantize %c : tensor<6xf32> to #lpq.fixed<8, 6>
  return %0 : tensor<6xf32>
}

// -----

// CHECK-LABEL: func @fold_e4m3_away
func.func @fold_e4m3_away() -> tensor<4xf32> {
  // CHECK: arith.constant dense<[1.125000e+00, 4.480000e+02, -4.480000e+02, 0x7FC00000]>
  %c = arith.constant dense<[1.0625, 1000.0, 0xFF800000, 0x7FC00000]> : tensor<4xf32>
  %0 = lpq.quantize %c : tensor<4xf32> to #lpq.float<4, 3, fn> rounding nearest_away
  return %0 : tensor<4xf32>
}

// -----

/// Per-row block exponents: row 0 has amax 3 (E = 1, step 1/32), row 1 is
/// all zeros.
// CHECK-LABEL: func @fold_block
func.func @fold_block() -> (tensor<2x3xf32>, tensor<2x1xi32>) {
  // CHECK-DAG: arith.constant dense<{{\[\[}}1.000000e+00, -3.000000e+00, 9.375000e-02], [0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<2x3xf32>
  // CHECK-DAG: arith.constant dense<{{\[\[}}1], [-128]]> : tensor<2x1xi32>
  %c = arith.constant dense<[[1.0, -3.0, 0.1], [0.0, 0.0, 0.0]]> : tensor<2x3xf32>
  %0 = lpq.quantize %c : tensor<2x3xf32> to #lpq.block<8, axis = [0]>
  %1 = lpq.block_scale %c : tensor<2x3xf32> for #lpq.block<8, axis = [0]>
  return %0, %1 : tensor<2x3xf32>, tensor<2x1xi32>
}

// -----

/// Stochastic rounding folds when the seed and step are constants too:
/// Philox word for element 0 of (seed 0, stream 0, step 0) is 0x6627e8d5,
/// above 0.25 * 2^32, so 2.25 rounds down; element 1 draws 0xe169c58d, above
/// 0.75 * 2^32 (0xc0000000), so 2.75 rounds down too.
// CHECK-LABEL: func @fold_stochastic
func.func @fold_stochastic() -> tensor<2xf32> {
  // CHECK: arith.constant dense<2.000000e+00> : tensor<2xf32>
  %c = arith.constant dense<[2.25, 2.75]> : tensor<2xf32>
  %seed = arith.constant 0 : i64
  %step = arith.constant 0 : i32
  %0 = lpq.stochastic_round %c, %seed, %step : tensor<2xf32> to #lpq.fixed<8, 0> stream 0
  return %0 : tensor<2xf32>
}

// -----

// CHECK-LABEL: func @fold_average
func.func @fold_average() -> tensor<2xf32> {
  // CHECK: arith.constant dense<[4.500000e+00, 1.000000e+00]> : tensor<2xf32>
  %a = arith.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %w = arith.constant dense<[6.0, 2.0]> : tensor<2xf32>
  %n = arith.constant 1 : i32
  %0 = lpq.average %a, %w, %n : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

/// Nearest rounding is idempotent: the second quantizer goes.
// CHECK-LABEL: func @idempotent
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
func.func @idempotent(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK: %[[Q:.*]] = lpq.quantize %[[X]] : tensor<8xf32> to #lpq.float<4, 3, fn>
  // CHECK-NOT: lpq.quantize
  // CHECK: return %[[Q]]
  %0 = lpq.quantize %x : tensor<8xf32> to #lpq.float<4, 3, fn>
  %1 = lpq.quantize %0 : tensor<8xf32> to #lpq.float<4, 3, fn> rounding up
  return %1 : tensor<8xf32>
}

// -----

/// A format that contains the input's format changes nothing: e4m3 values are
/// all float16 values, fixed<8, 4> values all fixed<12, 6> values, and a
/// stochastic rounding's output is on its own grid.
// CHECK-LABEL: func @contained
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>, %[[SEED:.*]]: i64, %[[STEP:.*]]: i32)
func.func @contained(%x: tensor<8xf32>, %seed: i64, %step: i32) -> (tensor<8xf32>, tensor<8xf32>, tensor<4x8xf32>) {
  // CHECK: %[[A:.*]] = lpq.quantize %[[X]] : tensor<8xf32> to #lpq.float<4, 3, fn>
  // CHECK: %[[B:.*]] = lpq.stochastic_round %[[X]], %[[SEED]], %[[STEP]] : tensor<8xf32> to #lpq.fixed<8, 4> stream 1
  // CHECK: %[[C:.*]] = lpq.quantize %{{.*}} : tensor<4x8xf32> to #lpq.block<6, axis = [0]>
  // CHECK-NOT: lpq.quantize
  // CHECK-NOT: lpq.stochastic_round
  // CHECK: return %[[A]], %[[B]], %[[C]]
  %0 = lpq.quantize %x : tensor<8xf32> to #lpq.float<4, 3, fn>
  %1 = lpq.quantize %0 : tensor<8xf32> to #lpq.float<5, 10>
  %2 = lpq.stochastic_round %x, %seed, %step : tensor<8xf32> to #lpq.fixed<8, 4> stream 1
  %3 = lpq.stochastic_round %2, %seed, %step : tensor<8xf32> to #lpq.fixed<12, 6> stream 2
  %w = tensor.empty() : tensor<4x8xf32>
  %4 = lpq.quantize %w : tensor<4x8xf32> to #lpq.block<6, axis = [0]>
  %5 = lpq.quantize %4 : tensor<4x8xf32> to #lpq.block<8, axis = [0]> rounding nearest_away
  return %1, %3, %5 : tensor<8xf32>, tensor<8xf32>, tensor<4x8xf32>
}

// -----

/// Non-saturating float32 holds every float32: the quantizer is the identity.
// CHECK-LABEL: func @identity
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
func.func @identity(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK-NEXT: return %[[X]]
  %0 = lpq.quantize %x : tensor<8xf32> to #lpq.float<8, 23, nonsaturating>
  return %0 : tensor<8xf32>
}

// -----

/// Quantizers that can change their input stay: a finer grid followed by a
/// coarser one, a different blocking, TWN (its threshold moves), saturating
/// float32 (it clamps Inf), and explicit scales.
// CHECK-LABEL: func @kept
func.func @kept(%x: tensor<4x8xf32>, %e: tensor<4x1xi32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  // CHECK-COUNT-9: lpq.quantize
  %0 = lpq.quantize %x : tensor<4x8xf32> to #lpq.float<5, 10>
  %1 = lpq.quantize %0 : tensor<4x8xf32> to #lpq.float<4, 3, fn>
  %2 = lpq.quantize %x : tensor<4x8xf32> to #lpq.block<8, axis = [0]>
  %3 = lpq.quantize %2 : tensor<4x8xf32> to #lpq.block<8>
  %4 = lpq.quantize %x : tensor<4x8xf32> to #lpq.ternary
  %5 = lpq.quantize %4 : tensor<4x8xf32> to #lpq.ternary
  %6 = lpq.quantize %x : tensor<4x8xf32> to #lpq.float<8, 23>
  %7 = lpq.quantize %x scales %e : tensor<4x8xf32>, tensor<4x1xi32> to #lpq.block<8, axis = [0]>
  %8 = lpq.quantize %7 scales %e : tensor<4x8xf32>, tensor<4x1xi32> to #lpq.block<8, axis = [0]>
  return %1, %3, %5, %6, %8 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
