//===- LPQAttrs.td - lpq number formats ----------------------*- tablegen -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_IR_LPQATTRS_TD
#define LPQ_DIALECT_LPQ_IR_LPQATTRS_TD

include "lpq/Dialect/LPQ/IR/LPQDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "lpq/Dialect/LPQ/IR/LPQAttrInterfaces.td"

//===----------------------------------------------------------------------===//
// Rounding modes
//===----------------------------------------------------------------------===//

def LPQ_Rounding : I32EnumAttr<"Rounding", "deterministic rounding mode", [
    I32EnumAttrCase<"NearestEven", 0, "nearest_even">,
    I32EnumAttrCase<"NearestAway", 1, "nearest_away">,
    I32EnumAttrCase<"TowardZero", 2, "toward_zero">,
    I32EnumAttrCase<"Down", 3, "down">,
    I32EnumAttrCase<"Up", 4, "up">]> {
  let cppNamespace = "::mlir::lpq";
  let description = [{
    `nearest_even` (ties to even, the default), `nearest_away` (ties away
    from zero, QPyTorch's float "nearest"), `toward_zero`, `down` (toward
    -Inf) and `up` (toward +Inf).
  }];
}

def LPQ_SQSelection : I32EnumAttr<"SQSelection", "SQ row selection rule", [
    I32EnumAttrCase<"Code", 0, "code">,
    I32EnumAttrCase<"Constant", 1, "constant">,
    I32EnumAttrCase<"Linear", 2, "linear">,
    I32EnumAttrCase<"Softmax", 3, "softmax">,
    I32EnumAttrCase<"Sigmoid", 4, "sigmoid">]> {
  let cppNamespace = "::mlir::lpq";
  let description = [{
    `code` (the default, the SQ authors' code): rows kept in full precision
    are drawn with probability proportional to their relative error. The
    paper's rules draw the rows to quantize instead, with probability
    proportional to f(1 / e): `constant`, `linear`, `softmax`, `sigmoid`.
  }];
}

//===----------------------------------------------------------------------===//
// Formats
//===----------------------------------------------------------------------===//

class LPQ_FormatAttr<string name, string attrMnemonic>
    : AttrDef<LPQ_Dialect, name,
              [DeclareAttrInterfaceMethods<LPQ_FormatAttrInterface>]> {
  let mnemonic = attrMnemonic;
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def LPQ_FixedAttr : LPQ_FormatAttr<"Fixed", "fixed"> {
  let summary = "Signed fixed-point format";
  let description = [{
    `#lpq.fixed<wl, fl>` holds k * 2^-fl for integers k in
    [-2^(wl-1), 2^(wl-1) - 1]: `wl` is the word length including the sign
    (2..32), `fl` the number of fractional bits (may be negative). With
    `symmetric` the most negative value is dropped. Overflow and +-Inf
    saturate; NaN stays NaN.

    Example: `#lpq.fixed<8, 6>` is the grid {-2, -2 + 1/64, ..., 127/64}.
  }];
  let parameters = (ins "int":$wordLength, "int":$fracBits,
                        "bool":$symmetric);
}

def LPQ_MinifloatAttr : LPQ_FormatAttr<"Minifloat", "float"> {
  let summary = "Minifloat format with subnormals";
  let description = [{
    `#lpq.float<e, m[, specials][, nonsaturating]>`: sign, `e` exponent bits
    (bias 2^(e-1) - 1), `m` mantissa bits, subnormals always present.
    `specials` says how the top exponent code is used:
    - `ieee` (default): Inf/NaN, as float16 (`<5, 10>`), bfloat16 (`<8, 7>`)
      and fp8 e5m2 (`<5, 2>`);
    - `fn`: only the all-ones code is NaN, no Inf, as fp8 e4m3fn
      (`<4, 3, fn>`, max 448);
    - `none`: every code is finite (QPyTorch; `<5, 10, none>` has max 131008).
    By default overflow and +-Inf saturate to +-max; `nonsaturating` gives
    IEEE overflow instead (+-Inf for `ieee`, NaN for `fn`).
  }];
  let parameters = (ins "int":$expBits, "int":$manBits,
                        "::mlir::lpq::numerics::Specials":$specials,
                        "bool":$saturate);
}

def LPQ_BlockAttr : LPQ_FormatAttr<"Block", "block"> {
  let summary = "Block floating-point format";
  let description = [{
    `#lpq.block<wl[, axis = [a, ...]][, tile = N, axis = [a]][, exp_bits = eb]>`:
    each block b shares the exponent E_b = floor(log2 max|x|) over its
    finite elements, clamped to the signed `eb`-bit range (default 8); its
    elements are q * 2^(E_b - (wl - 2)) with |q| <= 2^(wl-1) - 1.

    Blocking: without `axis` the whole tensor is one block; `axis = [0]`
    gives one block per index of axis 0 (SWALP's per-row weights); `tile = N,
    axis = [1]` cuts axis 1 into tiles of N consecutive elements (a short
    last tile is allowed). A block whose maximum is 0 quantizes to zeros.
  }];
  let parameters = (ins "int":$wordLength, "int":$expBits,
                        "::mlir::lpq::numerics::Blocking::Kind":$blocking,
                        ArrayRefParameter<"int64_t">:$axes,
                        "int64_t":$tileSize);
}

def LPQ_ScaledFloatAttr : LPQ_FormatAttr<"ScaledFloat", "mx"> {
  let summary = "MX-style scaled minifloat format";
  let description = [{
    `#lpq.mx<#lpq.float<e, m, ...>, tile = N, axis = [a]>` (OCP MX v1.0):
    each block gets a power-of-two scale 2^s, s = floor(log2 amax) - emax,
    where emax is the largest exponent of the element format, clamped to
    E8M0's [-127, 127]; elements are the minifloat applied to x / 2^s.
    Blocking is written as for `#lpq.block`.

    Example: `#lpq.mx<#lpq.float<4, 3, fn>, tile = 32, axis = [1]>` is MXFP8
    (E4M3) with blocks of 32 along axis 1.
  }];
  let parameters = (ins "MinifloatAttr":$element,
                        "::mlir::lpq::numerics::Blocking::Kind":$blocking,
                        ArrayRefParameter<"int64_t">:$axes,
                        "int64_t":$tileSize);
}

def LPQ_BinaryAttr : LPQ_FormatAttr<"Binary", "binary"> {
  let summary = "Binary row format (BWN)";
  let description = [{
    `#lpq.binary[<axis = a>]`: every row r (index along `axis`, default 0)
    becomes alpha_r * sign(w) with alpha_r = mean |w| over the row and
    sign(0) = +1.
  }];
  let parameters = (ins "int64_t":$axis);
}

def LPQ_TernaryAttr : LPQ_FormatAttr<"Ternary", "ternary"> {
  let summary = "Ternary row format (TWN)";
  let description = [{
    `#lpq.ternary[<threshold = t, axis = a>]`: the layer threshold is
    D = t * mean |W - mean(W)| (t defaults to 0.7); w > D becomes +alpha_r,
    w < -D becomes -alpha_r, anything else 0, where alpha_r is the mean |w|
    over the row's elements with |w| > D (0 if none).
  }];
  let parameters = (ins APFloatParameter<"threshold factor">:$threshold,
                        "int64_t":$axis);
}

def LPQ_GridAttr : LPQ_FormatAttr<"Grid", "grid"> {
  let summary = "Symmetric level grid with one scale per tensor (AskewSGD, "
                "BinaryConnect)";
  let description = [{
    `#lpq.grid<binary[, scale = rule]>` is s * {-1, +1};
    `#lpq.grid<levels = L[, scale = rule]>` is s * {-L, ..., L} (L = 7: a
    symmetric 4-bit grid; L = 8 with `scale = sawb`: AskewSGD's 17-level
    4-bit grid). The scale s is computed per tensor by `rule`:
    - `glorot` (default): BinaryConnect's bound sqrt(1.5 / (fan_in +
      fan_out)) / top, fan_in = size / shape[0], fan_out = size / shape[1];
    - `mean_abs`: mean |x| / top; `max_abs`: max |x| / top;
    - `sawb`: max(0, 12.1 sqrt(mean x^2) - 12.2 mean |x|) / top (SAWB);
    - a positive float: that constant,
    with top = 1 for binary and L otherwise. Values are clamped to
    [-top * s, top * s] and rounded in grid units: binary to +-1 (u >= 0 gives
    +1; stochastic rounding gives +1 with probability (u + 1) / 2, as
    BinaryConnect), levels by the rounding mode or stochastically.
  }];
  let parameters = (ins "int64_t":$levels,
                        "::mlir::lpq::numerics::LevelGrid::Scale":$scale,
                        APFloatParameter<"fixed scale">:$fixedScale);
}

#endif // LPQ_DIALECT_LPQ_IR_LPQATTRS_TD
