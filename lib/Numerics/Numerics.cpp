//===- Numerics.cpp - Reference low-precision numerics --------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Every result is computed exactly: a float32 is scaled by powers of two in
// float64 (exact for all float32 inputs and all supported formats), rounded
// to an integer there, and scaled back. Nothing depends on the host's
// floating-point rounding mode.
//
//===----------------------------------------------------------------------===//

#include "lpq/Numerics/Numerics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <set>

namespace mlir::lpq::numerics {

namespace {

constexpr double kTwoTo32 = 4294967296.0;

template <typename... Ts> struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

std::string str(const char *what, int64_t lo, int64_t hi, int64_t got) {
  return std::string(what) + " must be in [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "], got " + std::to_string(got);
}

/// A request to round: a deterministic mode, or 32 random bits.
struct RoundSpec {
  bool stochastic = false;
  Rounding mode = Rounding::NearestEven;
  uint32_t bits = 0;
};

/// True when rounding a value of this sign with `spec` never moves away from
/// zero, so IEEE overflow gives the largest finite value instead of Inf.
bool roundsTowardZero(RoundSpec spec, bool negative) {
  if (spec.stochastic)
    return false;
  switch (spec.mode) {
  case Rounding::TowardZero:
    return true;
  case Rounding::Down:
    return !negative;
  case Rounding::Up:
    return negative;
  default:
    return false;
  }
}

/// Rounds `v` to an integer multiple of 2^stepExp. `v` must have at most 53
/// significant bits (every float32 does), so each step below is exact.
double roundToStep(double v, int stepExp, RoundSpec spec) {
  double s = std::ldexp(v, -stepExp);
  double lo = std::floor(s);
  double frac = s - lo;
  double k = lo;
  if (spec.stochastic) {
    double threshold = std::floor(frac * kTwoTo32);
    k = static_cast<double>(spec.bits) < threshold ? lo + 1 : lo;
  } else {
    switch (spec.mode) {
    case Rounding::NearestEven:
      if (frac != 0.5)
        k = frac < 0.5 ? lo : lo + 1;
      else
        k = std::fmod(lo, 2.0) == 0 ? lo : lo + 1;
      break;
    case Rounding::NearestAway:
      k = std::round(s);
      break;
    case Rounding::TowardZero:
      k = std::trunc(s);
      break;
    case Rounding::Down:
      k = lo;
      break;
    case Rounding::Up:
      k = std::ceil(s);
      break;
    }
  }
  double r = std::ldexp(k, stepExp);
  return r == 0 ? std::copysign(0.0, v) : r;
}

/// Rounds a non-negative float64 toward zero to float32.
float truncToFloat(double d) {
  float f = static_cast<float>(d);
  if (static_cast<double>(f) > d)
    f = std::nextafter(f, 0.0f);
  return f;
}

double pow2(int e) { return std::ldexp(1.0, e); }

//===----------------------------------------------------------------------===//
// Fixed point
//===----------------------------------------------------------------------===//

double fixedMinValue(const FixedPoint &f) {
  if (f.symmetric)
    return -static_cast<double>(maxValue(f));
  return -pow2(f.wordLength - 1 - f.fracBits);
}

float roundFixed(float x, const FixedPoint &f, RoundSpec spec) {
  if (std::isnan(x))
    return x;
  double maxV = maxValue(f);
  double minV = fixedMinValue(f);
  if (std::isinf(x))
    return static_cast<float>(x > 0 ? maxV : minV);
  double r = roundToStep(x, -f.fracBits, spec);
  r = std::min(std::max(r, minV), maxV);
  return static_cast<float>(r);
}

//===----------------------------------------------------------------------===//
// Minifloat
//===----------------------------------------------------------------------===//

/// Overflow of a minifloat: +-max, +-Inf or NaN.
double minifloatOverflow(const Minifloat &f, bool negative, RoundSpec spec) {
  double maxV = maxValue(f);
  if (f.saturate || f.specials == Specials::None ||
      roundsTowardZero(spec, negative))
    return negative ? -maxV : maxV;
  if (f.specials == Specials::FN)
    return std::numeric_limits<double>::quiet_NaN();
  return negative ? -HUGE_VAL : HUGE_VAL;
}

/// Rounds an exact float64 `y` (at most 24 significant bits) onto a
/// minifloat, in float64.
double roundMinifloat(double y, const Minifloat &f, RoundSpec spec) {
  if (std::isnan(y) || y == 0)
    return y;
  if (std::isinf(y)) {
    if (f.saturate || f.specials == Specials::None)
      return y > 0 ? maxValue(f) : -static_cast<double>(maxValue(f));
    if (f.specials == Specials::FN)
      return std::numeric_limits<double>::quiet_NaN();
    return y;
  }
  int e = std::max(std::ilogb(y), minNormalExponent(f));
  double r = roundToStep(y, e - f.manBits, spec);
  if (std::fabs(r) > maxValue(f))
    return minifloatOverflow(f, std::signbit(y), spec);
  return r;
}

float roundMinifloat(float x, const Minifloat &f, RoundSpec spec) {
  return static_cast<float>(roundMinifloat(static_cast<double>(x), f, spec));
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

/// Maps element linear indices to block linear indices.
class BlockMap {
public:
  BlockMap(const Blocking &blocking, const Shape &shape)
      : shape(shape), scaleShape(blockScaleShape(blocking, shape)) {
    divisor.assign(shape.size(), 1);
    kept.assign(shape.size(), blocking.kind == Blocking::Kind::Tiles);
    if (blocking.kind == Blocking::Kind::Axes)
      for (int64_t a : blocking.axes)
        kept[a] = true;
    if (blocking.kind == Blocking::Kind::Tiles)
      divisor[blocking.axes[0]] = blocking.tileSize;
  }

  int64_t numBlocks() const {
    int64_t n = 1;
    for (int64_t d : scaleShape)
      n *= d;
    return n;
  }

  /// Block index of every element, in row-major element order.
  std::vector<int64_t> blockOfEach() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    std::vector<int64_t> out(n);
    std::vector<int64_t> coord(shape.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t b = 0;
      for (size_t a = 0; a < shape.size(); ++a)
        b = b * scaleShape[a] + (kept[a] ? coord[a] / divisor[a] : 0);
      out[i] = b;
      for (int64_t a = static_cast<int64_t>(shape.size()) - 1; a >= 0; --a) {
        if (++coord[a] < shape[a])
          break;
        coord[a] = 0;
      }
    }
    return out;
  }

private:
  Shape shape, scaleShape;
  std::vector<int64_t> divisor;
  std::vector<bool> kept;
};

std::vector<float> blockMaxima(const std::vector<float> &x,
                               const std::vector<int64_t> &blockOf,
                               int64_t numBlocks) {
  std::vector<float> amax(numBlocks, 0.0f);
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]))
      amax[blockOf[i]] = std::max(amax[blockOf[i]], std::fabs(x[i]));
  return amax;
}

/// The range block exponents are clamped to: the signed exp_bits range for
/// block floating point, E8M0's [-127, 127] for MX scales.
std::pair<int32_t, int32_t> scaleRange(const Format &format) {
  if (auto *b = std::get_if<BlockFloat>(&format))
    return {-(1 << (b->expBits - 1)), (1 << (b->expBits - 1)) - 1};
  return {-127, 127};
}

float roundBlockElement(float x, const BlockFloat &f, int32_t e,
                        RoundSpec spec) {
  if (std::isnan(x))
    return x;
  int stepExp = e - (f.wordLength - 2);
  double maxV = truncToFloat(pow2(stepExp) * (pow2(f.wordLength - 1) - 1));
  if (std::isinf(x))
    return static_cast<float>(x > 0 ? maxV : -maxV);
  double r = roundToStep(x, stepExp, spec);
  return static_cast<float>(std::min(std::max(r, -maxV), maxV));
}

float roundScaledElement(float x, const ScaledFloat &f, int32_t s,
                         RoundSpec spec) {
  double y = roundMinifloat(std::ldexp(static_cast<double>(x), -s),
                            f.element, spec);
  return static_cast<float>(std::ldexp(y, s));
}

//===----------------------------------------------------------------------===//
// Row formats
//===----------------------------------------------------------------------===//

/// Row index of every element for rows along `axis`.
std::vector<int64_t> rowOfEach(const Shape &shape, int64_t axis) {
  Blocking rows;
  rows.kind = Blocking::Kind::Axes;
  rows.axes = {axis};
  return BlockMap(rows, shape).blockOfEach();
}

std::vector<float> quantizeBinary(const std::vector<float> &x,
                                  const Shape &shape, const RowBinary &f) {
  std::vector<int64_t> rowOf = rowOfEach(shape, f.axis);
  int64_t rows = shape[f.axis];
  std::vector<double> sum(rows, 0.0);
  std::vector<int64_t> count(rows, 0);
  for (size_t i = 0; i < x.size(); ++i) {
    sum[rowOf[i]] += std::fabs(static_cast<double>(x[i]));
    ++count[rowOf[i]];
  }
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    int64_t r = rowOf[i];
    float alpha = static_cast<float>(sum[r] / static_cast<double>(count[r]));
    out[i] = std::isnan(x[i]) ? x[i] : (x[i] < 0 ? -alpha : alpha);
  }
  return out;
}

std::vector<float> quantizeTernary(const std::vector<float> &x,
                                   const Shape &shape, const RowTernary &f) {
  double n = static_cast<double>(x.size());
  double mean = 0;
  for (float v : x)
    mean += v;
  mean = x.empty() ? 0.0 : mean / n;
  double dev = 0;
  for (float v : x)
    dev += std::fabs(static_cast<double>(v) - mean);
  double delta = x.empty() ? 0.0 : f.thresholdFactor * (dev / n);

  std::vector<int64_t> rowOf = rowOfEach(shape, f.axis);
  int64_t rows = shape[f.axis];
  std::vector<double> sum(rows, 0.0);
  std::vector<int64_t> count(rows, 0);
  for (size_t i = 0; i < x.size(); ++i) {
    double a = std::fabs(static_cast<double>(x[i]));
    if (a > delta) {
      sum[rowOf[i]] += a;
      ++count[rowOf[i]];
    }
  }
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    int64_t r = rowOf[i];
    float alpha =
        count[r] ? static_cast<float>(sum[r] / static_cast<double>(count[r]))
                 : 0.0f;
    double v = x[i];
    if (std::isnan(x[i]))
      out[i] = x[i];
    else if (v > delta)
      out[i] = alpha;
    else if (v < -delta)
      out[i] = -alpha;
    else
      out[i] = std::copysign(0.0f, x[i]);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Containment of elementwise formats
//===----------------------------------------------------------------------===//

/// The finite values of an elementwise format, binade by binade.
struct Grid {
  double maxPos, maxNegAbs;
  int minStepExp;
  bool producesInf;
  /// Step exponent inside binade [2^e, 2^(e+1)).
  int (*stepExp)(const Format &, int e);
  const Format *format;
};

int fixedStepExp(const Format &f, int) {
  return -std::get<FixedPoint>(f).fracBits;
}
int minifloatStepExp(const Format &f, int e) {
  const auto &m = std::get<Minifloat>(f);
  return std::max(e, minNormalExponent(m)) - m.manBits;
}

std::optional<Grid> gridOf(const Format &f) {
  if (auto *x = std::get_if<FixedPoint>(&f))
    return Grid{maxValue(*x), -fixedMinValue(*x), -x->fracBits, false,
                fixedStepExp, &f};
  if (auto *x = std::get_if<Minifloat>(&f))
    return Grid{maxValue(*x), maxValue(*x),
                minNormalExponent(*x) - x->manBits,
                !x->saturate && x->specials == Specials::IEEE,
                minifloatStepExp, &f};
  return std::nullopt;
}

/// True when every inner value of magnitude in [2^minStepExp, top] lies on
/// the outer grid, checked binade by binade.
bool magnitudesContained(const Grid &outer, const Grid &inner, double top) {
  for (int e = inner.minStepExp; e <= std::ilogb(top); ++e) {
    int si = inner.stepExp(*inner.format, e);
    int so = outer.stepExp(*outer.format, e);
    if (so <= si)
      continue;
    // A coarser outer step is fine only where 2^e is the binade's sole
    // inner value (the top of an asymmetric fixed-point range).
    if (pow2(e) + pow2(si) <= top || e < so)
      return false;
  }
  return true;
}

bool gridContains(const Grid &outer, const Grid &inner) {
  if (inner.maxPos > outer.maxPos || inner.maxNegAbs > outer.maxNegAbs)
    return false;
  if (inner.producesInf && !outer.producesInf)
    return false;
  return magnitudesContained(outer, inner, inner.maxPos) &&
         magnitudesContained(outer, inner, inner.maxNegAbs);
}

bool sameBlocking(const Blocking &a, const Blocking &b) {
  return a.kind == b.kind && a.axes == b.axes && a.tileSize == b.tileSize;
}

std::optional<std::string> checkBlocking(const Blocking &b) {
  std::set<int64_t> seen;
  for (int64_t a : b.axes) {
    if (a < 0)
      return "block axis must be non-negative, got " + std::to_string(a);
    if (!seen.insert(a).second)
      return "block axis " + std::to_string(a) + " is listed twice";
  }
  switch (b.kind) {
  case Blocking::Kind::Tensor:
    if (!b.axes.empty())
      return std::string("whole-tensor blocking takes no axes");
    break;
  case Blocking::Kind::Axes:
    if (b.axes.empty())
      return std::string("per-axis blocking needs at least one axis");
    break;
  case Blocking::Kind::Tiles:
    if (b.axes.size() != 1)
      return "tiled blocking needs exactly one axis, got " +
             std::to_string(b.axes.size());
    if (b.tileSize < 1)
      return "tile size must be positive, got " + std::to_string(b.tileSize);
    break;
  }
  return std::nullopt;
}

/// x / s clamped to the grid's box in grid units, in float64.
double gridUnits(float x, double s, double top) {
  double u = static_cast<double>(x) / s;
  u = u < -top ? -top : u;
  return u > top ? top : u;
}

/// Rounds one element onto a level grid of scale `s` (LevelGrid's comment).
float roundOnGrid(float x, const LevelGrid &f, float s, RoundSpec spec) {
  if (std::isnan(x))
    return x;
  if (!std::isfinite(s))
    return std::numeric_limits<float>::quiet_NaN();
  if (s == 0)
    return 0.0f;
  double top = static_cast<double>(gridTop(f));
  double u = gridUnits(x, s, top);
  double k = 0;
  if (f.levels == 0) {
    if (spec.stochastic) {
      double threshold = std::floor((u + 1.0) * 0.5 * kTwoTo32);
      k = static_cast<double>(spec.bits) < threshold ? 1.0 : -1.0;
    } else {
      k = u >= 0 ? 1.0 : -1.0;
    }
  } else if (spec.stochastic) {
    double lo = std::floor(u);
    double threshold = std::floor((u - lo) * kTwoTo32);
    k = static_cast<double>(spec.bits) < threshold ? lo + 1 : lo;
  } else {
    switch (spec.mode) {
    case Rounding::NearestEven:
      k = std::nearbyint(u);
      break;
    case Rounding::NearestAway:
      k = std::round(u);
      break;
    case Rounding::TowardZero:
      k = std::trunc(u);
      break;
    case Rounding::Down:
      k = std::floor(u);
      break;
    case Rounding::Up:
      k = std::ceil(u);
      break;
    }
  }
  return static_cast<float>(k * static_cast<double>(s));
}

std::optional<std::string> checkAxis(int64_t axis, size_t rank) {
  if (axis >= static_cast<int64_t>(rank))
    return "axis " + std::to_string(axis) + " is out of range for rank " +
           std::to_string(rank);
  return std::nullopt;
}

std::vector<float> roundTensor(const std::vector<float> &x, const Shape &shape,
                               const Format &format, RoundSpec spec,
                               const RandomStream *random,
                               const std::vector<int32_t> *scales) {
  auto specAt = [&](size_t i) {
    if (random)
      spec.bits = randomBits(random->seed, random->stream, random->step, i);
    return spec;
  };
  std::vector<float> out(x.size());
  auto eachBlocked = [&](const Blocking &blocking, auto &&roundOne) {
    BlockMap map(blocking, shape);
    std::vector<int64_t> blockOf = map.blockOfEach();
    std::vector<int32_t> used;
    if (scales) {
      assert(static_cast<int64_t>(scales->size()) == map.numBlocks());
      auto [lo, hi] = scaleRange(format);
      for (int32_t e : *scales)
        used.push_back(std::min(std::max(e, lo), hi));
    } else {
      used = blockScales(x, shape, format);
    }
    for (size_t i = 0; i < x.size(); ++i)
      out[i] = roundOne(x[i], used[blockOf[i]], specAt(i));
  };
  std::visit(
      Overloaded{
          [&](const FixedPoint &f) {
            for (size_t i = 0; i < x.size(); ++i)
              out[i] = roundFixed(x[i], f, specAt(i));
          },
          [&](const Minifloat &f) {
            for (size_t i = 0; i < x.size(); ++i)
              out[i] = roundMinifloat(x[i], f, specAt(i));
          },
          [&](const BlockFloat &f) {
            eachBlocked(f.blocking, [&](float v, int32_t e, RoundSpec s) {
              return roundBlockElement(v, f, e, s);
            });
          },
          [&](const ScaledFloat &f) {
            eachBlocked(f.blocking, [&](float v, int32_t e, RoundSpec s) {
              return roundScaledElement(v, f, e, s);
            });
          },
          [&](const RowBinary &f) { out = quantizeBinary(x, shape, f); },
          [&](const RowTernary &f) { out = quantizeTernary(x, shape, f); },
          [&](const LevelGrid &f) {
            float s = gridScale(x, shape, f);
            for (size_t i = 0; i < x.size(); ++i)
              out[i] = roundOnGrid(x[i], f, s, specAt(i));
          },
      },
      format);
  return out;
}

} // namespace

//===----------------------------------------------------------------------===//
// Format properties
//===----------------------------------------------------------------------===//

std::optional<std::string> checkFormat(const Format &format) {
  return std::visit(
      Overloaded{
          [](const FixedPoint &f) -> std::optional<std::string> {
            if (f.wordLength < 2 || f.wordLength > 32)
              return str("fixed-point word length", 2, 32, f.wordLength);
            if (f.fracBits < f.wordLength - 128 || f.fracBits > 149)
              return str("fixed-point fractional bits (so that the grid fits "
                         "float32)",
                         f.wordLength - 128, 149, f.fracBits);
            return std::nullopt;
          },
          [](const Minifloat &f) -> std::optional<std::string> {
            int minExp = f.specials == Specials::None ? 1 : 2;
            if (f.expBits < minExp || f.expBits > 8)
              return str("minifloat exponent bits", minExp, 8, f.expBits);
            if (f.manBits < 0 || f.manBits > 23)
              return str("minifloat mantissa bits", 0, 23, f.manBits);
            if (f.expBits == 8 && f.specials != Specials::IEEE)
              return std::string("minifloat with 8 exponent bits must use "
                                 "ieee specials (others exceed float32)");
            return std::nullopt;
          },
          [](const BlockFloat &f) -> std::optional<std::string> {
            if (f.wordLength < 2 || f.wordLength > 32)
              return str("block word length", 2, 32, f.wordLength);
            if (f.expBits < 1 || f.expBits > 8)
              return str("block exponent bits", 1, 8, f.expBits);
            return checkBlocking(f.blocking);
          },
          [](const ScaledFloat &f) -> std::optional<std::string> {
            if (auto err = checkFormat(f.element))
              return "MX element: " + *err;
            return checkBlocking(f.blocking);
          },
          [](const RowBinary &f) -> std::optional<std::string> {
            if (f.axis < 0)
              return "row axis must be non-negative, got " +
                     std::to_string(f.axis);
            return std::nullopt;
          },
          [](const RowTernary &f) -> std::optional<std::string> {
            if (f.axis < 0)
              return "row axis must be non-negative, got " +
                     std::to_string(f.axis);
            if (!(f.thresholdFactor >= 0) || std::isinf(f.thresholdFactor))
              return "ternary threshold factor must be finite and "
                     "non-negative, got " +
                     std::to_string(f.thresholdFactor);
            return std::nullopt;
          },
          [](const LevelGrid &f) -> std::optional<std::string> {
            if (f.levels < 0 || f.levels > (1 << 24))
              return str("grid levels", 0, 1 << 24, f.levels);
            if (f.scale == LevelGrid::Scale::Fixed &&
                !(f.fixedScale > 0 && std::isfinite(f.fixedScale)))
              return "grid scale must be positive and finite, got " +
                     std::to_string(f.fixedScale);
            return std::nullopt;
          },
      },
      format);
}

std::optional<std::string> checkShape(const Format &format,
                                      const Shape &shape) {
  auto blocked = [&](const Blocking &b) -> std::optional<std::string> {
    for (int64_t a : b.axes)
      if (auto err = checkAxis(a, shape.size()))
        return "block " + *err;
    return std::nullopt;
  };
  auto rows = [&](int64_t axis) -> std::optional<std::string> {
    if (shape.empty())
      return std::string("row formats need a tensor of rank >= 1");
    if (auto err = checkAxis(axis, shape.size()))
      return "row " + *err;
    return std::nullopt;
  };
  return std::visit(
      Overloaded{
          [](const FixedPoint &) -> std::optional<std::string> {
            return std::nullopt;
          },
          [](const Minifloat &) -> std::optional<std::string> {
            return std::nullopt;
          },
          [&](const BlockFloat &f) { return blocked(f.blocking); },
          [&](const ScaledFloat &f) { return blocked(f.blocking); },
          [&](const RowBinary &f) { return rows(f.axis); },
          [&](const RowTernary &f) { return rows(f.axis); },
          [](const LevelGrid &) -> std::optional<std::string> {
            return std::nullopt;
          },
      },
      format);
}

float maxValue(const FixedPoint &f) {
  return truncToFloat((pow2(f.wordLength - 1) - 1) * pow2(-f.fracBits));
}

int minNormalExponent(const Minifloat &f) { return 2 - (1 << (f.expBits - 1)); }

int maxExponent(const Minifloat &f) {
  int bias = (1 << (f.expBits - 1)) - 1;
  if (f.specials == Specials::IEEE ||
      (f.specials == Specials::FN && f.manBits == 0))
    return bias;
  return bias + 1;
}

float maxValue(const Minifloat &f) {
  // FN reserves the all-ones mantissa of the top binade for NaN.
  int topMantissaLoss =
      f.specials == Specials::FN && f.manBits > 0 ? 1 - f.manBits : -f.manBits;
  double significand = 2.0 - pow2(topMantissaLoss);
  if (f.specials == Specials::FN && f.manBits == 0)
    significand = 1.0;
  return static_cast<float>(significand * pow2(maxExponent(f)));
}

bool isElementwise(const Format &format) {
  return std::holds_alternative<FixedPoint>(format) ||
         std::holds_alternative<Minifloat>(format);
}

bool hasBlockScales(const Format &format) {
  return std::holds_alternative<BlockFloat>(format) ||
         std::holds_alternative<ScaledFloat>(format);
}

const Blocking *blockingOf(const Format &format) {
  if (auto *b = std::get_if<BlockFloat>(&format))
    return &b->blocking;
  if (auto *s = std::get_if<ScaledFloat>(&format))
    return &s->blocking;
  return nullptr;
}

bool supportsStochasticRounding(const Format &format) {
  return isElementwise(format) || hasBlockScales(format) ||
         std::holds_alternative<LevelGrid>(format);
}

bool contains(const Format &outer, const Format &inner) {
  if (auto go = gridOf(outer))
    if (auto gi = gridOf(inner))
      return gridContains(*go, *gi);
  if (auto *o = std::get_if<BlockFloat>(&outer))
    if (auto *i = std::get_if<BlockFloat>(&inner))
      return sameBlocking(o->blocking, i->blocking) &&
             o->wordLength >= i->wordLength && o->expBits >= i->expBits;
  if (auto *o = std::get_if<ScaledFloat>(&outer))
    if (auto *i = std::get_if<ScaledFloat>(&inner))
      return sameBlocking(o->blocking, i->blocking) && i->element.saturate &&
             maxExponent(o->element) == maxExponent(i->element) &&
             contains(Format(o->element), Format(i->element));
  if (auto *o = std::get_if<RowBinary>(&outer))
    if (auto *i = std::get_if<RowBinary>(&inner))
      return o->axis == i->axis;
  // The same grid with a scale that does not depend on the values (a
  // constant, or Glorot's from the shape) gives the same points again.
  // Data-dependent scales change with the data: nothing is assumed.
  if (auto *o = std::get_if<LevelGrid>(&outer))
    if (auto *i = std::get_if<LevelGrid>(&inner))
      return o->levels == i->levels && o->scale == i->scale &&
             (o->scale == LevelGrid::Scale::Glorot ||
              (o->scale == LevelGrid::Scale::Fixed &&
               o->fixedScale == i->fixedScale));
  return false;
}

bool isIdentityOnFloat32(const Format &format) {
  auto *m = std::get_if<Minifloat>(&format);
  return m && m->expBits == 8 && m->manBits == 23 &&
         m->specials == Specials::IEEE && !m->saturate;
}

Shape blockScaleShape(const Blocking &blocking, const Shape &shape) {
  Shape out(shape.size(), 1);
  if (blocking.kind == Blocking::Kind::Axes)
    for (int64_t a : blocking.axes)
      out[a] = shape[a];
  if (blocking.kind == Blocking::Kind::Tiles) {
    out = shape;
    int64_t a = blocking.axes[0];
    out[a] = shape[a] / blocking.tileSize + (shape[a] % blocking.tileSize != 0);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Philox4x32-10
//===----------------------------------------------------------------------===//

std::array<uint32_t, 4> philox4x32(std::array<uint32_t, 4> ctr,
                                   std::array<uint32_t, 2> key) {
  constexpr uint32_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
  constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kMul0) * ctr[0];
    uint64_t p1 = static_cast<uint64_t>(kMul1) * ctr[2];
    uint32_t hi0 = p0 >> 32, lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = p1 >> 32, lo1 = static_cast<uint32_t>(p1);
    ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return ctr;
}

uint32_t randomBits(uint64_t seed, uint32_t stream, uint32_t step,
                    uint64_t index) {
  uint64_t j = index / 4;
  auto out = philox4x32({static_cast<uint32_t>(j),
                         static_cast<uint32_t>(j >> 32), stream, step},
                        {static_cast<uint32_t>(seed),
                         static_cast<uint32_t>(seed >> 32)});
  return out[index % 4];
}

//===----------------------------------------------------------------------===//
// Stochastic Quantization (SQ)
//===----------------------------------------------------------------------===//

std::vector<bool> sqKeptRows(const std::vector<float> &w,
                             const std::vector<float> &q, const Shape &shape,
                             double ratio, const RandomStream &random,
                             SQSelection selection) {
  int64_t rows = shape.empty() ? 1 : shape[0];
  int64_t size = rows == 0 ? 0 : static_cast<int64_t>(w.size()) / rows;
  std::vector<double> error(rows, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    double diff = 0, norm = 0;
    for (int64_t i = r * size; i < (r + 1) * size; ++i) {
      diff += std::fabs(static_cast<double>(w[i]) - q[i]);
      norm += std::fabs(static_cast<double>(w[i]));
    }
    double e = diff / norm;
    error[r] = norm == 0 || std::isnan(e) ? 0.0 : e;
  }
  auto kept = static_cast<int64_t>(std::floor((1.0 - ratio) * rows));
  bool code = selection == SQSelection::Code;
  // Roulette weights: the errors (rows to keep), or f(1 / e) (rows to
  // quantize).
  std::vector<double> weight(error);
  if (!code) {
    double top = -INFINITY;
    for (double &v : weight) {
      v = 1.0 / (v + 1e-7);
      top = std::fmax(top, v);
    }
    for (double &v : weight)
      switch (selection) {
      case SQSelection::Constant:
        v = 1.0;
        break;
      case SQSelection::Linear:
        break;
      case SQSelection::Softmax:
        v = std::exp(v - top);
        break;
      case SQSelection::Sigmoid:
        v = 1.0 / (1.0 + std::exp(-v));
        break;
      case SQSelection::Code:
        break;
      }
  }
  std::vector<bool> picked(rows, false);
  int64_t draws = code ? kept : rows - kept;
  for (int64_t j = 0; j < draws; ++j) {
    double total = 0;
    for (int64_t r = 0; r < rows; ++r)
      if (!picked[r])
        total += weight[r];
    double u = randomBits(random.seed, random.stream, random.step, j) *
               0x1p-32 * total;
    double running = 0;
    for (int64_t r = 0; r < rows; ++r) {
      if (picked[r])
        continue;
      running += weight[r];
      if (running > u) {
        picked[r] = true;
        break;
      }
    }
  }
  if (!code)
    picked.flip();
  return picked;
}

std::vector<float> sqSelect(const std::vector<float> &w,
                            const std::vector<float> &q, const Shape &shape,
                            double ratio, const RandomStream &random,
                            SQSelection selection) {
  std::vector<bool> kept = sqKeptRows(w, q, shape, ratio, random, selection);
  int64_t rows = kept.size();
  int64_t size = rows == 0 ? 0 : static_cast<int64_t>(w.size()) / rows;
  std::vector<float> out(w.size());
  for (size_t i = 0; i < w.size(); ++i)
    out[i] = kept[i / size] ? w[i] : q[i];
  return out;
}

//===----------------------------------------------------------------------===//
// Level grids and AskewSGD
//===----------------------------------------------------------------------===//

std::vector<float> quantizeOnGrid(const std::vector<float> &x,
                                  const LevelGrid &grid, float scale,
                                  Rounding rounding) {
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    out[i] = roundOnGrid(x[i], grid, scale, RoundSpec{false, rounding, 0});
  return out;
}

int64_t gridTop(const LevelGrid &grid) {
  return grid.levels == 0 ? 1 : grid.levels;
}

float gridScale(const std::vector<float> &x, const Shape &shape,
                const LevelGrid &grid) {
  double top = static_cast<double>(gridTop(grid));
  double n = static_cast<double>(x.size());
  auto sumOf = [&](auto term) {
    double sum = 0;
    for (float v : x)
      sum += term(static_cast<double>(v));
    return sum;
  };
  switch (grid.scale) {
  case LevelGrid::Scale::Fixed:
    return grid.fixedScale;
  case LevelGrid::Scale::MeanAbs:
    if (x.empty())
      return 0.0f;
    return static_cast<float>(
        sumOf([](double v) { return std::fabs(v); }) / n / top);
  case LevelGrid::Scale::MaxAbs: {
    double m = 0;
    for (float v : x)
      m = std::fmax(m, std::fabs(static_cast<double>(v)));
    return static_cast<float>(m / top);
  }
  case LevelGrid::Scale::SAWB: {
    if (x.empty())
      return 0.0f;
    double rms = std::sqrt(sumOf([](double v) { return v * v; }) / n);
    double mean = sumOf([](double v) { return std::fabs(v); }) / n;
    double c = 12.1 * rms - 12.2 * mean;
    return static_cast<float>((c > 0 ? c : 0.0) / top);
  }
  case LevelGrid::Scale::Glorot: {
    double fanIn = n, fanOut = n;
    if (shape.size() >= 2) {
      fanIn = shape[0] == 0 ? 0.0 : n / static_cast<double>(shape[0]);
      fanOut = shape[1] == 0 ? 0.0 : n / static_cast<double>(shape[1]);
    }
    return static_cast<float>(std::sqrt(1.5 / (fanIn + fanOut)) / top);
  }
  }
  return 0.0f;
}

std::vector<float> gridClamp(const std::vector<float> &x, const Shape &shape,
                             const LevelGrid &grid, std::optional<float> scale) {
  float s = scale ? *scale : gridScale(x, shape, grid);
  float bound = static_cast<float>(static_cast<double>(gridTop(grid)) * s);
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    float v = x[i];
    v = v < -bound ? -bound : v;
    out[i] = v > bound ? bound : v;
  }
  return out;
}

std::vector<float> askewDirection(const std::vector<float> &w,
                                  const std::vector<float> &g,
                                  const Shape &shape, const LevelGrid &grid,
                                  float eps, double alpha, float lr,
                                  std::optional<float> scale) {
  double s = scale ? *scale : gridScale(w, shape, grid);
  double top = static_cast<double>(gridTop(grid));
  bool usable = s > 0 && std::isfinite(s);
  double clip = s / (4.0 * static_cast<double>(lr));
  std::vector<float> out(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    if (std::isnan(w[i])) {
      out[i] = w[i];
      continue;
    }
    if (!usable) {
      out[i] = g[i];
      continue;
    }
    double u = gridUnits(w[i], s, top);
    double a, b;
    if (grid.levels == 0) {
      a = u > 0 ? 1.0 : -1.0;
      b = -a;
    } else {
      a = std::ceil(u - 0.5);
      b = u > a ? a + 1 : a - 1;
    }
    double da = u - a, db = u - b;
    double phi = static_cast<double>(eps) - da * da * (db * db);
    double k = s * alpha * phi / (2.0 * da * db * (1e-6 + da + db));
    double grad = g[i];
    bool direct = da * db == 0 || phi >= 0 || -grad * k > k * k;
    if (direct) {
      out[i] = g[i];
      continue;
    }
    k = k < -clip ? -clip : k;
    k = k > clip ? clip : k;
    out[i] = static_cast<float>(-k);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Rounding entry points
//===----------------------------------------------------------------------===//

float quantize(float x, const FixedPoint &f, Rounding rounding) {
  return roundFixed(x, f, RoundSpec{false, rounding, 0});
}
float quantize(float x, const Minifloat &f, Rounding rounding) {
  return roundMinifloat(x, f, RoundSpec{false, rounding, 0});
}
float stochasticRound(float x, const FixedPoint &f, uint32_t r) {
  return roundFixed(x, f, RoundSpec{true, Rounding::NearestEven, r});
}
float stochasticRound(float x, const Minifloat &f, uint32_t r) {
  return roundMinifloat(x, f, RoundSpec{true, Rounding::NearestEven, r});
}

std::vector<int32_t> blockScales(const std::vector<float> &x,
                                 const Shape &shape, const Format &format) {
  const Blocking *blocking = blockingOf(format);
  auto [lo, hi] = scaleRange(format);
  int offset = 0;
  if (auto *s = std::get_if<ScaledFloat>(&format))
    offset = maxExponent(s->element);
  assert(blocking && "blockScales needs a block or MX format");
  BlockMap map(*blocking, shape);
  std::vector<float> amax = blockMaxima(x, map.blockOfEach(), map.numBlocks());
  std::vector<int32_t> out(amax.size());
  for (size_t b = 0; b < amax.size(); ++b) {
    int32_t e = amax[b] > 0 ? std::ilogb(amax[b]) - offset : lo;
    out[b] = std::min(std::max(e, lo), hi);
  }
  return out;
}

std::vector<float> quantize(const std::vector<float> &x, const Shape &shape,
                            const Format &format, Rounding rounding,
                            const std::vector<int32_t> *scales) {
  return roundTensor(x, shape, format, RoundSpec{false, rounding, 0}, nullptr,
                     scales);
}

std::vector<float> stochasticRound(const std::vector<float> &x,
                                   const Shape &shape, const Format &format,
                                   const RandomStream &random,
                                   const std::vector<int32_t> *scales) {
  assert(supportsStochasticRounding(format));
  return roundTensor(x, shape, format,
                     RoundSpec{true, Rounding::NearestEven, 0}, &random,
                     scales);
}

float average(float avg, float x, int64_t n) {
  float delta = x - avg;
  float step = delta / static_cast<float>(n + 1);
  return avg + step;
}

} // namespace mlir::lpq::numerics
