// RUN: lpq-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{fixed-point word length must be in [2, 32], got 40}}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> attributes {fmt = #lpq.fixed<40, 6>} {
  return %x : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{fixed-point fractional bits (so that the grid fits float32) must be in [-120, 149], got 150}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.fixed<8, 150>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected 'symmetric'}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.fixed<8, 4, asymmetric>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{minifloat exponent bits must be in [2, 8], got 9}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.float<9, 3>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{minifloat exponent bits must be in [1, 8], got 0}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.float<0, 3, none>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{minifloat mantissa bits must be in [0, 23], got 24}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.float<5, 24>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{minifloat with 8 exponent bits must use ieee specials (others exceed float32)}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.float<8, 7, fn>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unexpected 'fn', expected 'ieee', 'fn' or 'none' once, then optionally 'nonsaturating'}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.float<4, 3, none, fn>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{block word length must be in [2, 32], got 1}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.block<1>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{block exponent bits must be in [1, 8], got 9}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.block<8, exp_bits = 9>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{block axis must be non-negative, got -1}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.block<8, axis = [-1]>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{block axis 1 is listed twice}}
  %0 = lpq.quantize %x : tensor<4x4xf32> to #lpq.block<8, axis = [1, 1]>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{per-axis blocking needs at least one axis}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.block<8, axis = []>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{tiled blocking needs exactly one axis, got 0}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.block<8, tile = 32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{tile size must be positive, got 0}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.block<8, tile = 0, axis = [0]>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown parameter 'tiles', expected one of 'axis', 'tile', 'exp_bits'}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.block<8, tiles = 32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{parameter 'tile' given twice}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.block<8, tile = 2, tile = 4, axis = [0]>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{minifloat mantissa bits must be in [0, 23], got 30}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.mx<#lpq.float<4, 30>, tile = 32, axis = [0]>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{MX element must be a #lpq.float format, got #lpq.fixed<8, 4>}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.mx<#lpq.fixed<8, 4>, tile = 32, axis = [0]>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{row axis must be non-negative, got -1}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.binary<axis = -1>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{ternary threshold factor must be finite and non-negative, got -0.500000}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.ternary<threshold = -0.5>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected an lpq number format (#lpq.fixed, #lpq.float, #lpq.block, #lpq.mx, #lpq.binary, #lpq.ternary), got 8 : i32}}
  %0 = lpq.quantize %x : tensor<4xf32> to 8 : i32
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'lpq.quantize' op block axis 2 is out of range for rank 2 (format #lpq.block<8, axis = [2]> on 'tensor<4x4xf32>')}}
  %0 = lpq.quantize %x : tensor<4x4xf32> to #lpq.block<8, axis = [2]>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @f(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'lpq.quantize' op row axis 3 is out of range for rank 2}}
  %0 = lpq.quantize %x : tensor<4x4xf32> to #lpq.ternary<axis = 3>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @f(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'lpq.quantize' op row formats need a tensor of rank >= 1}}
  %0 = lpq.quantize %x : tensor<f32> to #lpq.binary
  return %0 : tensor<f32>
}

// -----

func.func @f(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'lpq.quantize' op format #lpq.binary takes no rounding mode, got 'up'}}
  %0 = lpq.quantize %x : tensor<4x4xf32> to #lpq.binary rounding up
  return %0 : tensor<4x4xf32>
}

// -----

func.func @f(%x: tensor<4x4xf32>, %e: tensor<4x1xi32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'lpq.quantize' op 'scales' needs a block or MX format, got #lpq.fixed<8, 4>}}
  %0 = lpq.quantize %x scales %e : tensor<4x4xf32>, tensor<4x1xi32> to #lpq.fixed<8, 4>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @f(%x: tensor<4x4xf32>, %e: tensor<1x4xi32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'lpq.quantize' op 'scales' must have type 'tensor<4x1xi32>' for format #lpq.block<8, axis = [0]>, got 'tensor<1x4xi32>'}}
  %0 = lpq.quantize %x scales %e : tensor<4x4xf32>, tensor<1x4xi32> to #lpq.block<8, axis = [0]>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @f(%x: tensor<4xf64>) -> tensor<4xf64> {
  // expected-error @+1 {{'lpq.quantize' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<4xf64>'}}
  %0 = lpq.quantize %x : tensor<4xf64> to #lpq.fixed<8, 4>
  return %0 : tensor<4xf64>
}

// -----

func.func @f(%x: tensor<4x4xf32>, %seed: i64, %step: i32) -> tensor<4x4xf32> {
  // expected-error @+1 {{'lpq.stochastic_round' op format #lpq.ternary has no stochastic rounding}}
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<4x4xf32> to #lpq.ternary stream 0
  return %0 : tensor<4x4xf32>
}

// -----

// expected-note @+1 {{prior use here}}
func.func @f(%x: tensor<4x4xf32>, %seed: i32, %step: i32) -> tensor<4x4xf32> {
  // expected-error @+1 {{use of value '%seed' expects different type than prior uses: 'i64' vs 'i32'}}
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<4x4xf32> to #lpq.fixed<8, 4> stream 0
  return %0 : tensor<4x4xf32>
}

// -----

func.func @f(%x: tensor<4x4xf32>) -> tensor<4x1xi32> {
  // expected-error @+1 {{'lpq.block_scale' op needs a block or MX format, got #lpq.fixed<8, 4>}}
  %0 = lpq.block_scale %x : tensor<4x4xf32> for #lpq.fixed<8, 4>
  return %0 : tensor<4x1xi32>
}

// -----

func.func @f(%x: tensor<4x4xf32>) -> tensor<4x1xi32> {
  // expected-error @+1 {{'lpq.block_scale' op block axis 5 is out of range for rank 2 (format #lpq.block<8, axis = [5]> on 'tensor<4x4xf32>')}}
  %0 = lpq.block_scale %x : tensor<4x4xf32> for #lpq.block<8, axis = [5]>
  return %0 : tensor<4x1xi32>
}

// -----

func.func @f(%a: tensor<4xf32>, %x: tensor<5xf32>, %n: i32) -> tensor<4xf32> {
  // expected-error @+1 {{'lpq.average' op failed to verify that all of {average, value, result} have same type}}
  %0 = "lpq.average"(%a, %x, %n) : (tensor<4xf32>, tensor<5xf32>, i32) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @sq_ratio(%w: tensor<8x4xf32>, %s: i64, %t: i32) -> tensor<8x4xf32> {
  // expected-error @+1 {{ratio must be in [0, 1], got 1.5}}
  %h = lpq.sq_select %w, %w, %s, %t : tensor<8x4xf32> ratio 1.5 stream 0
  return %h : tensor<8x4xf32>
}

// -----

func.func @sq_rank(%w: tensor<f32>, %s: i64, %t: i32) -> tensor<f32> {
  // expected-error @+1 {{needs a tensor of rank >= 1 (rows along dim 0)}}
  %h = lpq.sq_select %w, %w, %s, %t : tensor<f32> ratio 0.5 stream 0
  return %h : tensor<f32>
}

// -----

func.func @grid_levels(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{grid levels must be in [0, 16777216], got -2}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.grid<levels = -2>
  return %0 : tensor<4xf32>
}

// -----

func.func @grid_scale(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown grid scale 'median'}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.grid<binary, scale = median>
  return %0 : tensor<4xf32>
}

// -----

func.func @grid_fixed_scale(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{grid scale must be positive and finite}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.grid<binary, scale = -1.0>
  return %0 : tensor<4xf32>
}

// -----

func.func @grid_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{grid needs 'binary' or 'levels = L' with L >= 1}}
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.grid<scale = sawb>
  return %0 : tensor<4xf32>
}

// -----

func.func @askew_alpha(%w: tensor<4xf32>, %e: f32) -> tensor<4xf32> {
  // expected-error @+1 {{alpha must be positive and finite, got 0}}
  %0 = lpq.askew_direction %w, %w, %e, %e : tensor<4xf32> on #lpq.grid<binary> alpha 0.0
  return %0 : tensor<4xf32>
}

// -----

func.func @grid_scale_needs_grid(%x: tensor<4xf32>, %s: f32) -> tensor<4xf32> {
  // expected-error @+1 {{'grid_scale' needs a #lpq.grid format}}
  %0 = lpq.quantize %x grid_scale %s : tensor<4xf32> to #lpq.fixed<8, 6>
  return %0 : tensor<4xf32>
}
