//===- LPQOps.td - lpq operations ----------------------------*- tablegen -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_IR_LPQOPS_TD
#define LPQ_DIALECT_LPQ_IR_LPQOPS_TD

include "lpq/Dialect/LPQ/IR/LPQAttrs.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

defvar LPQ_F32Tensor = RankedTensorOf<[F32]>;
defvar LPQ_ScaleTensor = RankedTensorOf<[I32]>;

def LPQ_QuantizeOp : LPQ_Op<"quantize",
    [Pure, AllTypesMatch<["input", "result"]>, AttrSizedOperandSegments]> {
  let summary = "Round a float32 tensor onto a number format";
  let description = [{
    Rounds every element of `input` onto `format` with a deterministic
    `rounding` mode (default `nearest_even`); the result is a float32 tensor
    of the same type whose values all lie in the format. Block and MX formats
    compute their block exponents from `input` unless `scales` supplies them
    (as `lpq.block_scale` computes them), which lets a pass compute the
    exponents where the data is produced. Row formats (`#lpq.binary`,
    `#lpq.ternary`) take no rounding mode. A level grid (`#lpq.grid`) takes
    its scale from `grid_scale` when given (a frozen scale, as AskewSGD
    freezes SAWB's once it anneals) instead of computing it from `input`.

    NaN stays NaN; overflow and +-Inf follow the format's saturation rule;
    zero results keep the sign of their input.

    Example:
    ```mlir
    %q = lpq.quantize %x : tensor<16xf32> to #lpq.float<4, 3, fn>
        rounding nearest_away
    %w = lpq.quantize %x scales %e : tensor<4x8xf32>, tensor<4x1xi32>
        to #lpq.block<8, axis = [0]>
    ```
  }];
  let arguments = (ins LPQ_F32Tensor:$input,
                       LPQ_FormatAttrInterface:$format,
                       DefaultValuedAttr<LPQ_Rounding,
                                         "::mlir::lpq::Rounding::NearestEven">:$rounding,
                       Optional<LPQ_ScaleTensor>:$scales,
                       Optional<F32>:$gridScale);
  let results = (outs LPQ_F32Tensor:$result);
  let assemblyFormat = [{
    $input (`scales` $scales^)? (`grid_scale` $gridScale^)? `:` type($input)
    (`,` type($scales)^)? `to` custom<Format>($format)
    (`rounding` $rounding^)? attr-dict
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def LPQ_StochasticRoundOp : LPQ_Op<"stochastic_round",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Stochastically round a float32 tensor onto a number format";
  let description = [{
    Rounds every element x of `input` onto `format` stochastically: with δ
    the format's grid step at x (after dividing by the block scale where the
    format has one), lo = floor(x/δ)·δ and frac = x/δ - floor(x/δ), the
    result is lo + δ when R < floor(frac · 2^32) and lo otherwise, followed by
    the format's saturation. R is the element's 32-bit word of
    Philox4x32-10 with key `seed` and counter (i/4 low, i/4 high, `stream`,
    `step`), i the element's row-major index: results do not depend on
    tiling, threads or device. Distinct ops need distinct `stream` ids
    (`lpq-assign-streams` makes them so); `step` is the training iteration.

    Example:
    ```mlir
    %q = lpq.stochastic_round %x, %seed, %step : tensor<4x8xf32>
        to #lpq.block<8, axis = [0]> stream 3
    ```
  }];
  let arguments = (ins LPQ_F32Tensor:$input, I64:$seed, I32:$step,
                       LPQ_FormatAttrInterface:$format,
                       I32Attr:$stream,
                       Optional<LPQ_ScaleTensor>:$scales);
  let results = (outs LPQ_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $seed `,` $step (`scales` $scales^)? `:` type($input)
    (`,` type($scales)^)? `to` custom<Format>($format) `stream` $stream
    attr-dict
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def LPQ_SQSelectOp : LPQ_Op<"sq_select",
    [Pure, AllTypesMatch<["weights", "quantized", "result"]>]> {
  let summary = "Stochastic Quantization: hybrid weights, rows kept in full "
                "precision by error-proportional roulette";
  let description = [{
    SQ (Dong et al., BMVC 2017; the authors' code rule): `quantized` is
    `weights` rounded onto a format (BWN or TWN in the paper). Each row r
    (index along dim 0) has the relative error
    e_r = sum|w - q| / sum|w| (float64, row-major order; 0 for an all-zero
    row). floor((1 - `ratio`) * rows) rows are kept in full precision, drawn
    by roulette without replacement with probability proportional to e_r:
    draw j uses u = R_j * 2^-32 * (sum of the unpicked rows' errors), R_j
    the 32 random bits that `lpq.stochastic_round` would use for element j
    with the same `seed`, `step` and `stream`, and picks the first unpicked
    row whose running error sum exceeds u. The result takes the kept rows
    from `weights` and the others from `quantized`. `ratio` = 1 quantizes
    every row.

    `selection` picks the paper's rules instead (Dong et al. 2017, 3.2):
    rows - floor((1 - ratio) * rows) rows to *quantize* are drawn by the same
    roulette over f(x_r), x_r = 1 / (e_r + 1e-7), with f = 1 (`constant`),
    x (`linear`), exp(x - max x) (`softmax`) or 1 / (1 + exp(-x))
    (`sigmoid`); the other rows are kept.

    Example:
    ```mlir
    %q = lpq.quantize %w : tensor<64x256xf32> to #lpq.binary
    %h = lpq.sq_select %w, %q, %seed, %step : tensor<64x256xf32> ratio 0.75 stream 4
    ```
  }];
  let arguments = (ins LPQ_F32Tensor:$weights, LPQ_F32Tensor:$quantized,
                       I64:$seed, I32:$step, F64Attr:$ratio, I32Attr:$stream,
                       DefaultValuedAttr<LPQ_SQSelection,
                                         "::mlir::lpq::SQSelection::Code">:$selection);
  let results = (outs LPQ_F32Tensor:$result);
  let assemblyFormat = [{
    $weights `,` $quantized `,` $seed `,` $step `:` type($result)
    `ratio` $ratio `stream` $stream (`selection` $selection^)? attr-dict
  }];
  let hasVerifier = 1;
}

def LPQ_GridClampOp : LPQ_Op<"grid_clamp",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Clamp a tensor to the box of a level grid";
  let description = [{
    Clamps every element of `input` to [-top * s, top * s], where s is the
    grid scale of `input` under `grid` and top its largest point in grid
    units (1 for binary, L for `levels = L`): the box that BinaryConnect and
    AskewSGD keep their real-valued weights in. NaN stays NaN. With `scale`,
    that scale replaces the input's own.

    Example:
    ```mlir
    %c = lpq.grid_clamp %w : tensor<256x784xf32> to #lpq.grid<binary>
    ```
  }];
  let arguments = (ins LPQ_F32Tensor:$input, LPQ_GridAttr:$grid,
                       Optional<F32>:$scale);
  let results = (outs LPQ_F32Tensor:$result);
  let assemblyFormat = [{
    $input (`scale` $scale^)? `:` type($input) `to` qualified($grid) attr-dict
  }];
}

def LPQ_GridScaleOp : LPQ_Op<"grid_scale", [Pure]> {
  let summary = "The scale of a level grid for a tensor";
  let description = [{
    The grid scale s of `input` under `grid` (its `scale` rule: Glorot's
    bound from the shape, mean or max |x|, SAWB, or a constant), in float64
    arithmetic rounded once to float32. `lpq.grid_clamp`,
    `lpq.askew_direction` and `lpq.quantize` take such a scale as an operand
    to use a frozen one.

    Example:
    ```mlir
    %s = lpq.grid_scale %w : tensor<256x784xf32> for #lpq.grid<levels = 8, scale = sawb>
    ```
  }];
  let arguments = (ins LPQ_F32Tensor:$input, LPQ_GridAttr:$grid);
  let results = (outs F32:$scale);
  let assemblyFormat = [{
    $input `:` type($input) `for` qualified($grid) attr-dict
  }];
}

def LPQ_AskewDirectionOp : LPQ_Op<"askew_direction",
    [Pure, AllTypesMatch<["weights", "gradient", "result"]>]> {
  let summary = "AskewSGD: the gradient, or the skewed direction that "
                "restores feasibility";
  let description = [{
    AskewSGD (Leconte et al., AISTATS 2023): each weight w should lie within
    `eps` of a point of `grid`, measured as g(u) = (u - a)^2 (u - b)^2 in
    grid units u = clamp(w / s, -top, top), s the grid scale of `weights`,
    a and b the nearest and second-nearest grid points (ties: the lower).
    With phi = eps - g(u) and K = s * `alpha` * phi / (2 (u - a) (u - b)
    (1e-6 + (u - a) + (u - b))) (float64, the 1e-6 as in the authors'
    code), the result is `gradient` where u is a grid point, or phi >= 0
    (feasible), or (-gradient) * K > K^2 (the gradient already restores
    feasibility faster); elsewhere it is -K clamped to
    [-s / (4 lr), s / (4 lr)] (at most a quarter grid step per update at
    learning rate `lr`; at a midpoint, where (u - a) + (u - b) = 0, the
    1e-6 makes K large and positive, so the weight moves up). The optimizer
    then steps with the result in place of the gradient. A NaN weight gives
    NaN. With `scale`, that scale is used instead of the weights' own.

    Example:
    ```mlir
    %d = lpq.askew_direction %w, %g, %eps, %lr : tensor<10x784xf32>
        on #lpq.grid<levels = 8, scale = sawb> alpha 1.0
    ```
  }];
  let arguments = (ins LPQ_F32Tensor:$weights, LPQ_F32Tensor:$gradient,
                       F32:$eps, F32:$lr, LPQ_GridAttr:$grid, F64Attr:$alpha,
                       Optional<F32>:$scale);
  let results = (outs LPQ_F32Tensor:$result);
  let assemblyFormat = [{
    $weights `,` $gradient `,` $eps `,` $lr (`scale` $scale^)? `:`
    type($result) `on` qualified($grid) `alpha` $alpha attr-dict
  }];
  let hasVerifier = 1;
}

def LPQ_BlockScaleOp : LPQ_Op<"block_scale",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "Per-block exponents of a block or MX format";
  let description = [{
    Computes the exponent of every block of `input` under a block floating
    point format (E_b = floor(log2 max|x|) over the block's finite elements,
    clamped; the low end of the range for an all-zero block) or an MX format
    (the scale exponent s). The result has the input's rank: extent 1 along
    axes the blocks reduce over, ceil(d/N) along a tiled axis, d along kept
    axes. `lpq.quantize` and `lpq.stochastic_round` accept it as `scales`.

    Example:
    ```mlir
    %e = lpq.block_scale %x : tensor<4x8xf32> for #lpq.block<8, axis = [0]>
    // %e : tensor<4x1xi32>
    ```
  }];
  let arguments = (ins LPQ_F32Tensor:$input, LPQ_FormatAttrInterface:$format);
  let results = (outs LPQ_ScaleTensor:$scales);
  let assemblyFormat = [{
    $input `:` type($input) `for` custom<Format>($format) attr-dict
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def LPQ_AverageOp : LPQ_Op<"average",
    [Pure, AllTypesMatch<["average", "value", "result"]>]> {
  let summary = "Stochastic weight averaging: one step of a running mean";
  let description = [{
    Returns average + (value - average) / (count + 1), elementwise in float32
    (a subtraction, a division by float32(count + 1) and an addition, each
    rounded to nearest even): the mean of `count + 1` models when `average`
    is the mean of the first `count`.

    Example:
    ```mlir
    %avg1 = lpq.average %avg, %w, %n : tensor<10x784xf32>
    ```
  }];
  let arguments = (ins LPQ_F32Tensor:$average, LPQ_F32Tensor:$value,
                       I32:$count);
  let results = (outs LPQ_F32Tensor:$result);
  let assemblyFormat = [{
    $average `,` $value `,` $count attr-dict `:` type($result)
  }];
  let hasFolder = 1;
}

#endif // LPQ_DIALECT_LPQ_IR_LPQOPS_TD
