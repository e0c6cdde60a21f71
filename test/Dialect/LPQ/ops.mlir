// RUN: lpq-opt %s | FileCheck %s
// RUN: lpq-opt %s | lpq-opt | FileCheck %s
// RUN: lpq-opt %s --mlir-print-op-generic | lpq-opt | FileCheck %s

// CHECK-LABEL: func @formats
func.func @formats(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: lpq.quantize %{{.*}} : tensor<4x8xf32> to #lpq.fixed<8, 6>
  %0 = lpq.quantize %x : tensor<4x8xf32> to #lpq.fixed<8, 6>
  // CHECK: to #lpq.fixed<4, -2, symmetric>
  %1 = lpq.quantize %0 : tensor<4x8xf32> to #lpq.fixed<4, -2, symmetric>
  // CHECK: to #lpq.float<4, 3, fn>
  %2 = lpq.quantize %1 : tensor<4x8xf32> to #lpq.float<4, 3, fn>
  // CHECK: to #lpq.float<5, 2>
  %3 = lpq.quantize %2 : tensor<4x8xf32> to #lpq.float<5, 2, ieee>
  // CHECK: to #lpq.float<5, 2, nonsaturating>
  %4 = lpq.quantize %3 : tensor<4x8xf32> to #lpq.float<5, 2, nonsaturating>
  // CHECK: to #lpq.float<4, 3, fn, nonsaturating>
  %5 = lpq.quantize %4 : tensor<4x8xf32> to #lpq.float<4, 3, fn, nonsaturating>
  // CHECK: to #lpq.float<5, 10, none>
  %6 = lpq.quantize %5 : tensor<4x8xf32> to #lpq.float<5, 10, none>
  // CHECK: to #lpq.block<8>
  %7 = lpq.quantize %6 : tensor<4x8xf32> to #lpq.block<8>
  // CHECK: to #lpq.block<8, axis = [0]>
  %8 = lpq.quantize %7 : tensor<4x8xf32> to #lpq.block<8, axis = [0]>
  // CHECK: to #lpq.block<6, axis = [0, 1], exp_bits = 5>
  %9 = lpq.quantize %8 : tensor<4x8xf32> to #lpq.block<6, exp_bits = 5, axis = [0, 1]>
  // CHECK: to #lpq.block<8, tile = 4, axis = [1]>
  %10 = lpq.quantize %9 : tensor<4x8xf32> to #lpq.block<8, tile = 4, axis = [1]>
  // CHECK: to #lpq.mx<#lpq.float<4, 3, fn>, tile = 32, axis = [1]>
  %11 = lpq.quantize %10 : tensor<4x8xf32> to #lpq.mx<#lpq.float<4, 3, fn>, tile = 32, axis = [1]>
  // CHECK: to #lpq.mx<#lpq.float<2, 1, none>>
  %12 = lpq.quantize %11 : tensor<4x8xf32> to #lpq.mx<#lpq.float<2, 1, none>>
  // CHECK: to #lpq.binary{{$}}
  %13 = lpq.quantize %12 : tensor<4x8xf32> to #lpq.binary
  // CHECK: to #lpq.binary<axis = 1>
  %14 = lpq.quantize %13 : tensor<4x8xf32> to #lpq.binary<axis = 1>
  // CHECK: to #lpq.ternary{{$}}
  %15 = lpq.quantize %14 : tensor<4x8xf32> to #lpq.ternary<threshold = 0.7, axis = 0>
  // CHECK: to #lpq.ternary<threshold = 0.5, axis = 1>
  %16 = lpq.quantize %15 : tensor<4x8xf32> to #lpq.ternary<axis = 1, threshold = 0.5>
  return %16 : tensor<4x8xf32>
}

// CHECK-LABEL: func @rounding_modes
func.func @rounding_modes(%x: tensor<16xf32>) -> tensor<16xf32> {
  // CHECK: to #lpq.fixed<8, 4>{{$}}
  %0 = lpq.quantize %x : tensor<16xf32> to #lpq.fixed<8, 4> rounding nearest_even
  // CHECK: rounding nearest_away
  %1 = lpq.quantize %0 : tensor<16xf32> to #lpq.fixed<8, 3> rounding nearest_away
  // CHECK: rounding toward_zero
  %2 = lpq.quantize %1 : tensor<16xf32> to #lpq.fixed<8, 2> rounding toward_zero
  // CHECK: rounding down
  %3 = lpq.quantize %2 : tensor<16xf32> to #lpq.fixed<8, 1> rounding down
  // CHECK: rounding up {note = "kept"}
  %4 = lpq.quantize %3 : tensor<16xf32> to #lpq.fixed<8, 0> rounding up {note = "kept"}
  return %4 : tensor<16xf32>
}

// CHECK-LABEL: func @stochastic_and_scales
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[SEED:.*]]: i64, %[[STEP:.*]]: i32)
func.func @stochastic_and_scales(%x: tensor<4x8xf32>, %seed: i64, %step: i32) -> tensor<4x8xf32> {
  // CHECK: %[[S:.*]] = lpq.stochastic_round %[[X]], %[[SEED]], %[[STEP]] : tensor<4x8xf32> to #lpq.block<8, axis = [0]> stream 7
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<4x8xf32> to #lpq.block<8, axis = [0]> stream 7
  // CHECK: %[[E:.*]] = lpq.block_scale %[[S]] : tensor<4x8xf32> for #lpq.block<8, axis = [0]>
  %e = lpq.block_scale %0 : tensor<4x8xf32> for #lpq.block<8, axis = [0]>
  // CHECK: %[[Q:.*]] = lpq.quantize %[[S]] scales %[[E]] : tensor<4x8xf32>, tensor<4x1xi32> to #lpq.block<8, axis = [0]>
  %1 = lpq.quantize %0 scales %e : tensor<4x8xf32>, tensor<4x1xi32> to #lpq.block<8, axis = [0]>
  // CHECK: %[[M:.*]] = lpq.block_scale %[[Q]] : tensor<4x8xf32> for #lpq.mx<#lpq.float<4, 3, fn>, tile = 3, axis = [1]>
  %m = lpq.block_scale %1 : tensor<4x8xf32> for #lpq.mx<#lpq.float<4, 3, fn>, tile = 3, axis = [1]>
  // CHECK: lpq.stochastic_round %[[Q]], %[[SEED]], %[[STEP]] scales %[[M]] : tensor<4x8xf32>, tensor<4x3xi32> to #lpq.mx<#lpq.float<4, 3, fn>, tile = 3, axis = [1]> stream 8
  %2 = lpq.stochastic_round %1, %seed, %step scales %m : tensor<4x8xf32>, tensor<4x3xi32> to #lpq.mx<#lpq.float<4, 3, fn>, tile = 3, axis = [1]> stream 8
  return %2 : tensor<4x8xf32>
}

/// Block exponents keep the input's rank: reduced axes have extent 1, tiled
/// axes ceil(d / N), kept axes d (dynamic where the input is).
// CHECK-LABEL: func @block_scale_types
func.func @block_scale_types(%x: tensor<?x10x3xf32>, %s: tensor<f32>) -> (tensor<1x1x1xi32>, tensor<?x1x1xi32>, tensor<?x3x3xi32>, tensor<i32>, tensor<?x1x3xi32>) {
  %0 = lpq.block_scale %x : tensor<?x10x3xf32> for #lpq.block<8>
  %1 = lpq.block_scale %x : tensor<?x10x3xf32> for #lpq.block<8, axis = [0]>
  %2 = lpq.block_scale %x : tensor<?x10x3xf32> for #lpq.block<8, tile = 4, axis = [1]>
  %3 = lpq.block_scale %s : tensor<f32> for #lpq.block<8>
  %4 = lpq.block_scale %x : tensor<?x10x3xf32> for #lpq.block<8, tile = 9223372036854775807, axis = [1]>
  // CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x1x1xi32>, tensor<?x1x1xi32>, tensor<?x3x3xi32>, tensor<i32>, tensor<?x1x3xi32>
  return %0, %1, %2, %3, %4 : tensor<1x1x1xi32>, tensor<?x1x1xi32>, tensor<?x3x3xi32>, tensor<i32>, tensor<?x1x3xi32>
}

// CHECK-LABEL: func @average
func.func @average(%avg: tensor<3xf32>, %w: tensor<3xf32>, %n: i32) -> tensor<3xf32> {
  // CHECK: lpq.average %{{.*}}, %{{.*}}, %{{.*}} : tensor<3xf32>
  %0 = lpq.average %avg, %w, %n : tensor<3xf32>
  return %0 : tensor<3xf32>
}

/// Aliases of formats are usable wherever a format is.
#w = #lpq.block<8, axis = [0]>
// CHECK-LABEL: func @alias
func.func @alias(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // CHECK: to #lpq.block<8, axis = [0]>
  %0 = lpq.quantize %x : tensor<2x2xf32> to #w
  return %0 : tensor<2x2xf32>
}

/// SQ's selection op round-trips.
// CHECK-LABEL: func @sq_select
// CHECK: lpq.sq_select %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<8x4xf32> ratio 7.500000e-01 stream 2
func.func @sq_select(%w: tensor<8x4xf32>, %seed: i64, %step: i32) -> tensor<8x4xf32> {
  %q = lpq.quantize %w : tensor<8x4xf32> to #lpq.binary
  %h = lpq.sq_select %w, %q, %seed, %step : tensor<8x4xf32> ratio 0.75 stream 2
  return %h : tensor<8x4xf32>
}

// CHECK-LABEL: func @grids
func.func @grids(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>, %eps: f32, %lr: f32,
                 %s: i64, %t: i32) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  // CHECK: lpq.quantize %{{.*}} : tensor<4x8xf32> to #lpq.grid<binary>
  %0 = lpq.quantize %w : tensor<4x8xf32> to #lpq.grid<binary, scale = glorot>
  // CHECK: to #lpq.grid<levels = 8, scale = sawb> rounding nearest_away
  %1 = lpq.quantize %0 : tensor<4x8xf32> to #lpq.grid<levels = 8, scale = sawb> rounding nearest_away
  // CHECK: lpq.stochastic_round {{.*}} to #lpq.grid<binary, scale = 1.0> stream 3
  %2 = lpq.stochastic_round %1, %s, %t : tensor<4x8xf32> to #lpq.grid<binary, scale = 1.0> stream 3
  // CHECK: lpq.grid_clamp %{{.*}} : tensor<4x8xf32> to #lpq.grid<levels = 7, scale = max_abs>
  %3 = lpq.grid_clamp %2 : tensor<4x8xf32> to #lpq.grid<levels = 7, scale = max_abs>
  // CHECK: lpq.askew_direction %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x8xf32> on #lpq.grid<binary, scale = mean_abs> alpha 1.000000e-01
  %4 = lpq.askew_direction %3, %g, %eps, %lr : tensor<4x8xf32> on #lpq.grid<binary, scale = mean_abs> alpha 0.1
  return %2, %3, %4 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func @sq_selection
func.func @sq_selection(%w: tensor<4x8xf32>, %s: i64, %t: i32) -> tensor<4x8xf32> {
  %q = lpq.quantize %w : tensor<4x8xf32> to #lpq.binary
  // CHECK: lpq.sq_select {{.*}} ratio 5.000000e-01 stream 1{{$}}
  %0 = lpq.sq_select %w, %q, %s, %t : tensor<4x8xf32> ratio 0.5 stream 1 selection code
  // CHECK: lpq.sq_select {{.*}} ratio 5.000000e-01 stream 2 selection softmax
  %1 = lpq.sq_select %0, %q, %s, %t : tensor<4x8xf32> ratio 0.5 stream 2 selection softmax
  return %1 : tensor<4x8xf32>
}
