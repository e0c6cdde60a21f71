//===- Numerics.h - Reference low-precision numerics ------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// The reference implementation of every lpq number format, rounding mode and
// the Philox4x32-10 random-number scheme, element by element. It has no MLIR
// dependency: constant folding uses it, and every generated kernel is tested
// bit for bit against it. docs/numerics.md is the prose specification.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_NUMERICS_NUMERICS_H
#define LPQ_NUMERICS_NUMERICS_H

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mlir::lpq::numerics {

//===----------------------------------------------------------------------===//
// Formats
//===----------------------------------------------------------------------===//

/// Deterministic rounding modes.
enum class Rounding { NearestEven, NearestAway, TowardZero, Down, Up };

/// How a minifloat uses its top exponent code.
enum class Specials {
  /// Top exponent code is Inf/NaN (float16, bfloat16, fp8 e5m2).
  IEEE,
  /// Only the all-ones code is NaN, there is no Inf (fp8 e4m3fn).
  FN,
  /// Every code is finite (QPyTorch's convention).
  None,
};

/// Signed fixed point: k * 2^-fracBits, k in [-2^(wl-1), 2^(wl-1)-1]; the
/// symmetric variant drops -2^(wl-1). Overflow always saturates.
struct FixedPoint {
  int wordLength = 8;
  int fracBits = 0;
  bool symmetric = false;
};

/// Minifloat with `expBits` exponent bits (bias 2^(e-1)-1), `manBits`
/// mantissa bits and subnormals.
struct Minifloat {
  int expBits = 8;
  int manBits = 23;
  Specials specials = Specials::IEEE;
  /// Overflow and +-Inf become +-max; otherwise IEEE gives +-Inf, FN gives
  /// NaN (None always saturates: it has neither).
  bool saturate = true;
};

/// How a tensor is cut into blocks that share a scale.
struct Blocking {
  enum class Kind {
    /// One block: the whole tensor.
    Tensor,
    /// One block per index of `axes` (the other axes are reduced over).
    Axes,
    /// Tiles of `tileSize` consecutive elements along `axes[0]`.
    Tiles,
  };
  Kind kind = Kind::Tensor;
  std::vector<int64_t> axes;
  int64_t tileSize = 0;
};

/// Block floating point: per block b, E_b = floor(log2 max|x|) clamped to the
/// signed expBits range, step 2^(E_b - (wl-2)), |q| <= 2^(wl-1)-1.
struct BlockFloat {
  int wordLength = 8;
  int expBits = 8;
  Blocking blocking;
};

/// OCP MX-style scaled minifloat: per block a power-of-two scale
/// 2^(floor(log2 amax) - emax(element)) clamped to E8M0's [-127, 127].
struct ScaledFloat {
  Minifloat element;
  Blocking blocking;
};

/// BWN: each row r (index along `axis`) becomes alpha_r * sign(w), alpha_r the
/// mean of |w| over the row, sign(0) = +1.
struct RowBinary {
  int64_t axis = 0;
};

/// TWN: layer threshold D = factor * mean|W - mean(W)|; w > D -> +alpha_r,
/// w < -D -> -alpha_r, else 0; alpha_r the mean |w| over the row's |w| > D.
struct RowTernary {
  int64_t axis = 0;
  double thresholdFactor = 0.7;
};

/// A symmetric grid s * P with one scale s per tensor: P = {-1, +1} (binary)
/// when `levels` is 0, the integers -levels..levels otherwise. The grid's
/// box is [-top * s, top * s], top = max(1, levels). Rounding, in float64:
/// u = clamp(x / s, -top, top); levels: the integer k that the rounding mode
/// gives for u (stochastic: floor(u) + 1 when the random bits are below
/// floor(frac(u) * 2^32)); binary: +1 for u >= 0, else -1 (every
/// deterministic mode; stochastic: +1 when the bits are below
/// floor((u + 1) / 2 * 2^32), BinaryConnect's hard-sigmoid binarization);
/// the result is k * s rounded to float32. NaN stays NaN; s = 0 gives +0; a
/// non-finite s gives NaN. The scale rule:
struct LevelGrid {
  enum class Scale {
    /// mean |x| (float64 sum in row-major order) / top.
    MeanAbs,
    /// max |x| (NaN ignored) / top.
    MaxAbs,
    /// SAWB: max(0, 12.1 sqrt(mean x^2) - 12.2 mean |x|) / top.
    SAWB,
    /// BinaryConnect's Glorot bound sqrt(1.5 / (fan_in + fan_out)) / top,
    /// fan_in = size / shape[0], fan_out = size / shape[1] (rank >= 2; both
    /// the size otherwise).
    Glorot,
    /// The constant `fixedScale`.
    Fixed,
  };
  int64_t levels = 0;
  Scale scale = Scale::Glorot;
  float fixedScale = 1.0f;
};

using Format = std::variant<FixedPoint, Minifloat, BlockFloat, ScaledFloat,
                            RowBinary, RowTernary, LevelGrid>;

using Shape = std::vector<int64_t>;

//===----------------------------------------------------------------------===//
// Format properties
//===----------------------------------------------------------------------===//

/// Returns an error message if the format's parameters are out of range, or
/// std::nullopt when it is valid. Tensor-dependent checks (axes against the
/// rank) are done by checkShape.
std::optional<std::string> checkFormat(const Format &format);

/// Returns an error message if the format cannot be applied to a tensor of
/// this shape (an axis out of range), or std::nullopt.
std::optional<std::string> checkShape(const Format &format, const Shape &shape);

/// Largest finite value of an elementwise format, rounded toward zero to
/// float32 where the format is finer than float32.
float maxValue(const FixedPoint &format);
float maxValue(const Minifloat &format);

/// Exponent of the smallest normal number of a minifloat (1 - bias).
int minNormalExponent(const Minifloat &format);
/// Exponent of the largest finite binade of a minifloat.
int maxExponent(const Minifloat &format);

/// True for formats quantized one element at a time (fixed point, minifloat).
bool isElementwise(const Format &format);
/// True for formats with per-block scales (block floating point, MX).
bool hasBlockScales(const Format &format);
/// The blocking of a block or MX format; null for other formats.
const Blocking *blockingOf(const Format &format);

/// True for formats that stochastic rounding applies to (all but the row
/// binary/ternary formats).
bool supportsStochasticRounding(const Format &format);

/// True when rounding any output of `inner` onto `outer`, with any
/// deterministic mode or stochastically, returns it unchanged (so a second
/// quantizer can be removed). Conservative: false when unsure.
bool contains(const Format &outer, const Format &inner);

/// True when quantizing onto `format` is the identity on every float32.
bool isIdentityOnFloat32(const Format &format);

/// Shape of the per-block exponent tensor: the input's rank, extent 1 along
/// reduced axes, ceil(d/N) along a tiled axis, d along kept axes.
Shape blockScaleShape(const Blocking &blocking, const Shape &shape);

//===----------------------------------------------------------------------===//
// Philox4x32-10
//===----------------------------------------------------------------------===//

/// Philox4x32-10 (Random123) of a counter under a key.
std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> counter,
                                   std::array<uint32_t, 2> key);

/// The 32 random bits of element `index` (row-major linear index) of the
/// tensor that a stochastic rounding op with this stream rounds at `step`.
uint32_t randomBits(uint64_t seed, uint32_t stream, uint32_t step,
                    uint64_t index);

/// Random-number parameters of one stochastic rounding op.
struct RandomStream {
  uint64_t seed = 0;
  uint32_t stream = 0;
  uint32_t step = 0;
};

//===----------------------------------------------------------------------===//
// Scalar rounding
//===----------------------------------------------------------------------===//

/// Rounds one float32 onto an elementwise format.
float quantize(float x, const FixedPoint &format, Rounding rounding);
float quantize(float x, const Minifloat &format, Rounding rounding);
/// Stochastically rounds one float32 with 32 random bits `r` (DESIGN 2.2).
float stochasticRound(float x, const FixedPoint &format, uint32_t r);
float stochasticRound(float x, const Minifloat &format, uint32_t r);

//===----------------------------------------------------------------------===//
// Tensor rounding
//===----------------------------------------------------------------------===//

/// Per-block scale exponents of `x` (row-major, `shape`) under a block or MX
/// format, laid out row-major in blockScaleShape(). For block floating point
/// the exponent is E_b; for MX it is the scale exponent.
std::vector<int32_t> blockScales(const std::vector<float> &x,
                                 const Shape &shape, const Format &format);

/// Rounds a row-major tensor onto `format`. `scales`, when given, replaces the
/// block exponents the format would compute (block and MX formats only).
std::vector<float> quantize(const std::vector<float> &x, const Shape &shape,
                            const Format &format, Rounding rounding,
                            const std::vector<int32_t> *scales = nullptr);

/// Stochastically rounds a row-major tensor onto `format`.
std::vector<float> stochasticRound(const std::vector<float> &x,
                                   const Shape &shape, const Format &format,
                                   const RandomStream &random,
                                   const std::vector<int32_t> *scales = nullptr);

/// SQ (Stochastic Quantization, the authors' code rule): which rows (indices
/// along axis 0) of `w` stay in full precision when `q` is its quantized
/// form and a fraction `ratio` of the rows is to be quantized. Row r's
/// relative error is e_r = sum|w - q| / sum|w| (float64 sums in row-major
/// order; 0 for an all-zero row, NaN rows count as 0). floor((1 - ratio) * N)
/// draws, roulette without replacement: draw j takes
/// u = randomBits(seed, stream, step, j) * 2^-32 * T, T the sum of the
/// unpicked rows' errors in row order, and picks the first unpicked row whose
/// running sum of errors (row order) exceeds u; a draw with T = 0 picks
/// nothing.
///
/// The paper's variants (Dong et al. 2017, section 3.2) choose the rows to
/// *quantize* instead: N - floor((1 - ratio) * N) draws by the same roulette
/// over the weights f(x_r), x_r = 1 / (e_r + 1e-7), f constant (1), linear
/// (x), softmax (exp(x - max x)) or sigmoid (1 / (1 + exp(-x))); the rows
/// not drawn are kept.
enum class SQSelection { Code, Constant, Linear, Softmax, Sigmoid };

std::vector<bool> sqKeptRows(const std::vector<float> &w,
                             const std::vector<float> &q, const Shape &shape,
                             double ratio, const RandomStream &random,
                             SQSelection selection = SQSelection::Code);

/// SQ's hybrid weights: the rows sqKeptRows() keeps come from `w`, the
/// others from `q`.
std::vector<float> sqSelect(const std::vector<float> &w,
                            const std::vector<float> &q, const Shape &shape,
                            double ratio, const RandomStream &random,
                            SQSelection selection = SQSelection::Code);

//===----------------------------------------------------------------------===//
// Level grids and AskewSGD
//===----------------------------------------------------------------------===//

/// The largest grid point in grid units: 1 for binary, `levels` otherwise.
int64_t gridTop(const LevelGrid &grid);

/// The grid scale s of a tensor (float64 arithmetic, rounded once to
/// float32; 0 for an empty tensor under a data-dependent rule).
float gridScale(const std::vector<float> &x, const Shape &shape,
                const LevelGrid &grid);

/// `x` clamped to the grid's box [-top * s, top * s], s = `scale` or
/// gridScale(x). NaN stays NaN; s = 0 gives zeros.
std::vector<float> gridClamp(const std::vector<float> &x, const Shape &shape,
                             const LevelGrid &grid,
                             std::optional<float> scale = std::nullopt);

/// Rounds `x` onto the grid with the given scale instead of its own.
std::vector<float> quantizeOnGrid(const std::vector<float> &x,
                                  const LevelGrid &grid, float scale,
                                  Rounding rounding);

/// AskewSGD's replacement gradient (ALGORITHMS.md 3) for weights `w` with
/// gradient `g` under tolerance `eps`, step size `alpha` and learning rate
/// `lr`; s = `scale` or gridScale(w). Per element, in float64: u = clamp(w / s, -top,
/// top); a the nearest grid point (ties: the lower), b the second nearest
/// (on u's side of a); da = u - a, db = u - b; phi = eps - da^2 db^2;
/// K = (s alpha) phi / ((2 da) db (1e-6 + da + db)), the 1e-6 as in the
/// authors' code. The result is g when da db = 0, or phi >= 0, or
/// (-g) K > K^2, or s is not a positive finite number; otherwise
/// -clamp(K, -s / (4 lr), s / (4 lr)) rounded to float32. A NaN weight
/// gives NaN.
std::vector<float> askewDirection(const std::vector<float> &w,
                                  const std::vector<float> &g,
                                  const Shape &shape, const LevelGrid &grid,
                                  float eps, double alpha, float lr,
                                  std::optional<float> scale = std::nullopt);

/// The SWA running mean avg + (x - avg) / (n + 1), in float32.
float average(float avg, float x, int64_t n);

} // namespace mlir::lpq::numerics

#endif // LPQ_NUMERICS_NUMERICS_H
