//===- ElementRounding.cpp - Scalar rounding in arith ---------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Mirrors lib/Numerics step by step: an f32 is widened to f64 (exact),
// scaled by a power of two built from its exponent bits (exact), rounded to
// an integer there (floor/ceil/trunc/round/roundeven are exact), scaled back
// and narrowed. No step depends on fast-math or on subnormal handling, so
// every target computes the same bits as the reference library. Minifloats
// and MX elements whose values and steps float32 holds (every mode), and
// stochastic rounding onto such block formats, take the same steps in
// float32 arithmetic instead (the quotient by the step stays below 2^24,
// where they are exact; twice the lanes per vector, no conversions); the
// differential tests hold every path to the reference bit for bit.
//
//===----------------------------------------------------------------------===//

#include "ElementRounding.h"

#include "lpq/Dialect/LPQ/IR/LPQDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::lpq;
using namespace mlir::lpq::detail;
using numerics::Rounding;
using numerics::Specials;

namespace {

class Emitter {
public:
  explicit Emitter(ImplicitLocOpBuilder &b) : b(b) {}

  Value f64(double v) {
    return arith::ConstantOp::create(b, b.getF64FloatAttr(v));
  }
  Value f32(float v) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
  }
  Value i32(int64_t v) {
    return arith::ConstantOp::create(b, b.getI32IntegerAttr(v));
  }
  Value i64(int64_t v) {
    return arith::ConstantOp::create(b, b.getI64IntegerAttr(v));
  }

  /// 2^e as f64 for an i32 e in the normal f64 range.
  Value pow2(Value e) {
    Value e64 = arith::ExtSIOp::create(b, b.getI64Type(), e);
    Value biased = arith::AddIOp::create(b, e64, i64(1023));
    Value bits = arith::ShLIOp::create(b, biased, i64(52));
    return arith::BitcastOp::create(b, b.getF64Type(), bits);
  }

  /// floor(log2 |y|) of a finite non-zero f64, from its exponent bits.
  Value exponent(Value y) {
    Value bits = arith::BitcastOp::create(b, b.getI64Type(), y);
    Value shifted = arith::ShRUIOp::create(b, bits, i64(52));
    Value biased = arith::AndIOp::create(b, shifted, i64(0x7ff));
    Value e = arith::TruncIOp::create(b, b.getI32Type(), biased);
    return arith::SubIOp::create(b, e, i32(1023));
  }

  Value maxI(Value a, int64_t c) {
    return arith::MaxSIOp::create(b, a, i32(c));
  }
  Value minI(Value a, int64_t c) {
    return arith::MinSIOp::create(b, a, i32(c));
  }
  Value clampI(Value a, int64_t lo, int64_t hi) {
    return minI(maxI(a, lo), hi);
  }

  /// `s` rounded to an integer in a deterministic mode (exact for any
  /// float).
  Value roundToInteger(Value s, Rounding mode) {
    switch (mode) {
    case Rounding::NearestEven:
      return math::RoundEvenOp::create(b, s);
    case Rounding::NearestAway:
      return math::RoundOp::create(b, s);
    case Rounding::TowardZero:
      return math::TruncOp::create(b, s);
    case Rounding::Down:
      return math::FloorOp::create(b, s);
    case Rounding::Up:
      return math::CeilOp::create(b, s);
    }
    llvm_unreachable("unknown rounding mode");
  }

  /// Rounds the exact f64 `y` to a multiple of 2^stepExp; a zero result takes
  /// the sign of `y`.
  Value roundToStep(Value y, Value stepExp, const RoundSpec &spec) {
    Value s = arith::MulFOp::create(
        b, y, pow2(arith::SubIOp::create(b, i32(0), stepExp)));
    Value k;
    if (spec.stochastic) {
      Value lo = math::FloorOp::create(b, s);
      Value frac = arith::SubFOp::create(b, s, lo);
      Value threshold = math::FloorOp::create(
          b, arith::MulFOp::create(b, frac, f64(4294967296.0)));
      Value r = arith::UIToFPOp::create(b, b.getF64Type(), spec.bits);
      Value up =
          arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, r, threshold);
      k = arith::SelectOp::create(b, up, arith::AddFOp::create(b, lo, f64(1.0)),
                                  lo);
    } else {
      k = roundToInteger(s, spec.mode);
    }
    Value r = arith::MulFOp::create(b, k, pow2(stepExp));
    // A non-zero result always has y's sign; a zero one must get it.
    return math::CopySignOp::create(b, r, y);
  }

  /// 2^e as f32 for an i32 e in [-126, 127].
  Value pow2NormalF32(Value e) {
    return arith::BitcastOp::create(
        b, b.getF32Type(),
        arith::ShLIOp::create(b, arith::AddIOp::create(b, e, i32(127)),
                              i32(23)));
  }

  /// 2^e as f32 for an i32 e in [-149, 127] (subnormal below -126).
  Value pow2F32(Value e) {
    Value shift = minI(maxI(arith::AddIOp::create(b, e, i32(149)), 0), 31);
    Value subnormal = arith::BitcastOp::create(
        b, b.getF32Type(), arith::ShLIOp::create(b, i32(1), shift));
    Value isNormal =
        arith::CmpIOp::create(b, arith::CmpIPredicate::sge, e, i32(-126));
    return arith::SelectOp::create(b, isNormal, pow2NormalF32(e), subnormal);
  }

  /// v / 2^e for an f32 v and e in [-149, 127] (so -e splits into two
  /// halves whose powers of two are normal floats): two exact scalings,
  /// inexact only by overflow or underflow of the result. A non-zero
  /// quotient that underflowed to zero is returned as the smallest
  /// subnormal of v's sign: every rounding of a quotient below 2^-126 in
  /// magnitude (to an integer, and the stochastic threshold) comes out the
  /// same for both.
  /// For e in [-127, 0] (8-bit blocks: largest value below 2^7 and at least
  /// 2^-121, the usual case) one scaling by 2^-e >= 1 gives the same bits: no
  /// underflow, and overflow to Inf either way. The result selects it then, in
  /// a select marked `lpq.fast_path` that lpq-unswitch-fast-paths turns into
  /// two versions of the loop when e does not change inside it.
  Value divideByPow2F32(Value v, Value e) {
    using FP = arith::CmpFPredicate;
    Value negExp = arith::SubIOp::create(b, i32(0), e);
    Value half = arith::ShRSIOp::create(b, negExp, i32(1));
    Value rest = arith::SubIOp::create(b, negExp, half);
    Value y = arith::MulFOp::create(
        b, arith::MulFOp::create(b, v, pow2NormalF32(half)),
        pow2NormalF32(rest));
    Value lost =
        arith::AndIOp::create(b, arith::CmpFOp::create(b, FP::OEQ, y, f32(0)),
                              arith::CmpFOp::create(b, FP::ONE, v, f32(0)));
    Value general = arith::SelectOp::create(
        b, lost,
        math::CopySignOp::create(
            b, f32(std::numeric_limits<float>::denorm_min()), v),
        y);
    Value fast = arith::AndIOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::sge, negExp, i32(0)),
        arith::CmpIOp::create(b, arith::CmpIPredicate::sle, negExp, i32(127)));
    Value single =
        arith::MulFOp::create(b, v, pow2NormalF32(clampI(negExp, 0, 127)));
    auto select = arith::SelectOp::create(b, fast, single, general);
    select->setAttr(kFastPathAttrName, b.getUnitAttr());
    return select;
  }

  /// roundToStep(widen(x), stepExp, stochastic), narrowed and saturated to
  /// +-maxF, for an f32 `x`, in float32 arithmetic that is exact where it
  /// matters: for `step` = 2^stepExp with stepExp in [-149, 127] and a bound
  /// maxF below 2^24 steps. y = |x| / 2^stepExp takes two power-of-two
  /// scalings (each factor a normal float), exact unless y underflows;
  /// k = floor(y) and t = (y - k) * 2^32 are exact. For x > 0 the
  /// magnitude rounds up when bits < floor(t). For x < 0,
  /// floor(x / 2^stepExp) is the magnitude rounded up, kept when
  /// bits < 2^32 - ceil(t): the magnitude rounds up when ~bits < ceil(t).
  /// A quotient below 2^-126 has floor(t) = 0 and ceil(t) = 1 whatever its
  /// rounding (divideByPow2F32 keeps it non-zero). Quotients of 2^24 and
  /// more (Inf, NaN too) saturate anyway
  /// and are clamped to 2^24 first. A zero result keeps x's sign.
  Value stochasticToStepF32(Value x, Value stepExp, Value step, Value maxF,
                            Value bits, Value *count = nullptr) {
    using FP = arith::CmpFPredicate;
    auto select = [&](Value c, Value t, Value f) {
      return arith::SelectOp::create(b, c, t, f).getResult();
    };
    Value y = divideByPow2F32(math::AbsFOp::create(b, x), stepExp);
    Value big = f32(16777216.0f);
    y = select(arith::CmpFOp::create(b, FP::OLT, y, big), y, big);
    Value k = math::FloorOp::create(b, y);
    Value t = arith::MulFOp::create(b, arith::SubFOp::create(b, y, k),
                                    f32(4294967296.0f));
    // floor(t) for x > 0, ceil(t) = -floor(-t) for x < 0.
    Value threshold = arith::FPToUIOp::create(
        b, b.getI32Type(),
        math::AbsFOp::create(
            b, math::FloorOp::create(b, math::CopySignOp::create(b, t, x))));
    Value negative = arith::ShRSIOp::create(
        b, arith::BitcastOp::create(b, b.getI32Type(), x), i32(31));
    Value up = arith::CmpIOp::create(b, arith::CmpIPredicate::ult,
                                     arith::XOrIOp::create(b, bits, negative),
                                     threshold);
    Value steps = select(up, arith::AddFOp::create(b, k, f32(1)), k);
    if (count)
      *count = steps;
    Value magnitude = arith::MulFOp::create(b, steps, step);
    magnitude = select(arith::CmpFOp::create(b, FP::OGT, magnitude, maxF), maxF,
                       magnitude);
    return math::CopySignOp::create(b, magnitude, x);
  }

  /// roundToStep(widen(x), stepExp, deterministic mode), narrowed, in
  /// float32 arithmetic, under stochasticToStepF32's conditions: y = x /
  /// 2^stepExp (divideByPow2F32), k = mode(y) is exact, and so is k * step.
  /// `count` receives |k|.
  Value deterministicToStepF32(Value x, Value stepExp, Value step,
                               Rounding mode, Value *count = nullptr) {
    Value k = roundToInteger(divideByPow2F32(x, stepExp), mode);
    if (count)
      *count = math::AbsFOp::create(b, k);
    // A zero result keeps x's sign.
    return math::CopySignOp::create(b, arith::MulFOp::create(b, k, step), x);
  }

  /// `r` where x is not NaN, x itself (bit for bit) where it is.
  Value keepNaN(Value x, Value r) {
    Value isNaN = arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, x, x);
    return arith::SelectOp::create(b, isNaN, x, r);
  }

  Value clampF32(Value r, float lo, float hi) {
    return arith::MinimumFOp::create(
        b, arith::MaximumFOp::create(b, r, f32(lo)), f32(hi));
  }

  /// Rounds a non-negative f64 toward zero to f32.
  Value truncTowardZero(Value d) {
    Value f = arith::TruncFOp::create(b, b.getF32Type(), d);
    Value back = arith::ExtFOp::create(b, b.getF64Type(), f);
    Value tooBig = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, back, d);
    Value bits = arith::BitcastOp::create(b, b.getI32Type(), f);
    Value below = arith::BitcastOp::create(
        b, b.getF32Type(), arith::SubIOp::create(b, bits, i32(1)));
    return arith::SelectOp::create(b, tooBig, below, f);
  }

  /// A constant of `y`'s float type.
  Value constantLike(Value y, double v) {
    return arith::ConstantOp::create(b, b.getFloatAttr(y.getType(), v));
  }

  /// Whether overflow of a value with `y`'s sign goes to max instead of
  /// Inf/NaN: an i1, or null for "never".
  Value overflowStaysFinite(Value y, const RoundSpec &spec) {
    if (spec.stochastic)
      return {};
    switch (spec.mode) {
    case Rounding::TowardZero:
      return arith::ConstantOp::create(b, b.getBoolAttr(true));
    case Rounding::Down:
      return arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, y,
                                   constantLike(y, 0));
    case Rounding::Up:
      return arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, y,
                                   constantLike(y, 0));
    default:
      return {};
    }
  }

  /// Rounds an exact f64 onto a minifloat, in f64 (numerics'
  /// roundMinifloat).
  Value minifloat(Value y, const numerics::Minifloat &f,
                  const RoundSpec &spec) {
    double maxV = numerics::maxValue(f);
    Value e = maxI(exponent(y), numerics::minNormalExponent(f));
    Value r = roundToStep(y, arith::SubIOp::create(b, e, i32(f.manBits)), spec);

    Value overflow = arith::CmpFOp::create(
        b, arith::CmpFPredicate::OGT, math::AbsFOp::create(b, r), f64(maxV));
    return minifloatSpecials(
        y, r, overflow, math::CopySignOp::create(b, f64(maxV), y), f, spec);
  }

  /// minifloat()'s rules for a rounded value `r` of `v` (f64 or f32; v's
  /// sign and infinities decide), given whether r overflows the format and
  /// the bound with v's sign: overflow goes to the bound (saturating
  /// formats, and modes that round toward it), to NaN (fn formats) or to
  /// Inf; an infinite v to the bound, NaN or itself likewise.
  Value minifloatSpecials(Value v, Value r, Value overflow, Value signedMax,
                          const numerics::Minifloat &f, const RoundSpec &spec) {
    bool saturating = f.saturate || f.specials == Specials::None;
    Value nan = constantLike(v, std::numeric_limits<double>::quiet_NaN());
    Value inf = constantLike(v, HUGE_VAL);
    Value overflowValue = signedMax;
    if (!saturating) {
      overflowValue = f.specials == Specials::FN
                          ? nan
                          : math::CopySignOp::create(b, inf, v).getResult();
      if (Value finite = overflowStaysFinite(v, spec))
        overflowValue =
            arith::SelectOp::create(b, finite, signedMax, overflowValue);
    }
    r = arith::SelectOp::create(b, overflow, overflowValue, r);
    Value isInf = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ,
                                        math::AbsFOp::create(b, v), inf);
    Value infValue = saturating                   ? signedMax
                     : f.specials == Specials::FN ? nan
                                                  : v;
    return arith::SelectOp::create(b, isInf, infValue, r);
  }

  /// Whether rounding onto `f`, scaled by 2^s for any s in [-127, 127]
  /// when `scaled`, can run in float32: every value and step is a float32
  /// and the normal exponents start at or above float32's.
  static bool roundsInF32(const numerics::Minifloat &f, bool scaled) {
    int minNormal = numerics::minNormalExponent(f);
    int lowestStep = minNormal - f.manBits - (scaled ? 127 : 0);
    return f.manBits <= 23 && minNormal >= -126 && lowestStep >= -149 &&
           numerics::maxExponent(f) <= 127;
  }

  /// floor(log2 |x|) of an f32 from its exponent field: -127 for subnormals
  /// and zero.
  Value fieldExponent(Value x) {
    Value xb = arith::BitcastOp::create(b, b.getI32Type(), x);
    Value field = arith::AndIOp::create(
        b, arith::ShRUIOp::create(b, xb, i32(23)), i32(0xff));
    return arith::SubIOp::create(b, field, i32(127));
  }

  /// floor(log2 |x|) of a finite non-zero f32, subnormals included.
  Value exponentF32(Value x) {
    Value fraction = arith::AndIOp::create(
        b, arith::BitcastOp::create(b, b.getI32Type(), x), i32(0x7fffff));
    // A subnormal m * 2^-149 has floor(log2) = 31 - clz(m) - 149.
    Value subnormal = arith::SubIOp::create(
        b, i32(-118), math::CountLeadingZerosOp::create(b, fraction));
    Value e = fieldExponent(x);
    return arith::SelectOp::create(
        b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, e, i32(-127)),
        subnormal, e);
  }

  /// Rounding (any mode) of an f32 `x` onto the minifloat `f` (no `s`), or
  /// of x / 2^s onto `f`, times 2^s (an MX element with its tile's scale s
  /// in [-127, 127]), narrowed, in float32 arithmetic for formats with
  /// roundsInF32: the same bits as minifloat() in float64. The element
  /// exponent is e = max(floor(log2 |x|) - s, minNormal) (x's exponent
  /// field suffices without a scale: minNormal >= -126), the step
  /// 2^(e + s - manBits); the quotient |x| / step is below 2^(manBits + 1)
  /// <= 2^24, where stochasticToStepF32 and deterministicToStepF32 are
  /// exact, and the rounded value, count * step, is a float32 or overflows
  /// to Inf just as narrowing the float64 result does. The element
  /// overflows when count * 2^(e - manBits) > max; overflow, infinities and
  /// NaNs as in minifloat().
  Value minifloatF32(Value x, const numerics::Minifloat &f,
                     const RoundSpec &spec, Value s = {}) {
    int minNormal = numerics::minNormalExponent(f);
    Value e = s ? maxI(arith::SubIOp::create(b, exponentF32(x), s), minNormal)
                : maxI(fieldExponent(x), minNormal);
    Value stepExp = arith::SubIOp::create(b, e, i32(f.manBits));
    if (s)
      stepExp = arith::AddIOp::create(b, stepExp, s);
    // No saturation inside: overflow is decided below, as minifloat() does.
    Value count;
    Value r =
        spec.stochastic
            ? stochasticToStepF32(x, stepExp, pow2F32(stepExp),
                                  f32(std::numeric_limits<float>::infinity()),
                                  spec.bits, &count)
            : deterministicToStepF32(x, stepExp, pow2F32(stepExp), spec.mode,
                                     &count);
    float maxV = static_cast<float>(numerics::maxValue(f));
    Value overflow;
    if (s) {
      // e beyond maxExponent + 1 overflows anyway (count >= 2^manBits
      // there); capped, 2^(e - manBits) stays finite.
      Value qExp = arith::SubIOp::create(
          b, minI(e, numerics::maxExponent(f) + 1), i32(f.manBits));
      overflow = arith::CmpFOp::create(
          b, arith::CmpFPredicate::OGT,
          arith::MulFOp::create(b, count, pow2F32(qExp)), f32(maxV));
    } else {
      overflow = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT,
                                       math::AbsFOp::create(b, r), f32(maxV));
    }
    Value maxScaled =
        s ? arith::MulFOp::create(b, f32(maxV), pow2F32(s)).getResult()
          : f32(maxV);
    return keepNaN(x, minifloatSpecials(
                          x, r, overflow,
                          math::CopySignOp::create(b, maxScaled, x), f, spec));
  }

  Value widen(Value x) { return arith::ExtFOp::create(b, b.getF64Type(), x); }
  Value narrow(Value d) {
    return arith::TruncFOp::create(b, b.getF32Type(), d);
  }

  Value fixed(Value x, const numerics::FixedPoint &f, const RoundSpec &spec) {
    float maxV = numerics::maxValue(f);
    float minV = f.symmetric ? -maxV
                             : static_cast<float>(-std::ldexp(
                                   1.0, f.wordLength - 1 - f.fracBits));
    // In float32 when it holds the step and every bound exactly (word
    // lengths up to 25; the largest magnitude 2^(w-1-f) at most 2^127, the
    // step 2^-f at least 2^-149), as block formats do: quotients below
    // 2^24 are exact, larger ones saturate like the exact ones.
    bool inF32 = f.wordLength <= 25 && f.fracBits <= 149 &&
                 f.wordLength - 1 - f.fracBits <= 127;
    Value stepExp = i32(-f.fracBits), r;
    if (!inF32) {
      r = narrow(roundToStep(widen(x), stepExp, spec));
    } else {
      Value step = f32(std::ldexp(1.0f, -f.fracBits));
      r = spec.stochastic
              ? stochasticToStepF32(x, stepExp, step, f32(-minV), spec.bits)
              : deterministicToStepF32(x, stepExp, step, spec.mode);
    }
    return keepNaN(x, clampF32(r, minV, maxV));
  }

  Value block(Value x, Value e, const numerics::BlockFloat &f,
              const RoundSpec &spec) {
    int64_t lo = -(int64_t(1) << (f.expBits - 1));
    int64_t hi = (int64_t(1) << (f.expBits - 1)) - 1;
    e = clampI(e, lo, hi);
    Value stepExp = arith::SubIOp::create(b, e, i32(f.wordLength - 2));
    // Steps and bounds that float32 holds exactly: rounding in float32
    // (twice the lanes of the float64 path, no conversions). (The largest
    // bound, (2^(w-1) - 1) * 2^(hi + 2 - w), is at most FLT_MAX when
    // hi <= 127 and w <= 25.) Deterministic quotients of 2^24 and more,
    // inexact in float32 only by overflow, saturate like the exact ones.
    bool inF32 =
        f.wordLength <= 25 && lo - (f.wordLength - 2) >= -149 && hi <= 127;
    Value r, maxF;
    if (inF32) {
      Value step = pow2F32(stepExp);
      maxF = arith::MulFOp::create(
          b, f32(static_cast<float>((int64_t(1) << (f.wordLength - 1)) - 1)),
          step);
      if (spec.stochastic)
        return keepNaN(x,
                       stochasticToStepF32(x, stepExp, step, maxF, spec.bits));
      r = deterministicToStepF32(x, stepExp, step, spec.mode);
    } else {
      r = narrow(roundToStep(widen(x), stepExp, spec));
      Value maxD = arith::MulFOp::create(
          b, f64(std::ldexp(1.0, f.wordLength - 1) - 1), pow2(stepExp));
      // Bounds wider than float32's precision round toward zero.
      maxF = f.wordLength > 25 ? truncTowardZero(maxD) : narrow(maxD);
    }
    Value negMaxF = arith::NegFOp::create(b, maxF);
    // Compare and select rather than maximumf/minimumf: the bounds are
    // never NaN and never -0 (upper) or +0 (lower), so the results are the
    // same, and LLVM need not order signed zeros and NaNs of bounds it
    // cannot see (a third of the vectorized loop).
    Value above = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, r, maxF);
    r = arith::SelectOp::create(b, above, maxF, r);
    Value below =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, r, negMaxF);
    r = arith::SelectOp::create(b, below, negMaxF, r);
    return keepNaN(x, r);
  }

  Value scaled(Value x, Value s, const numerics::ScaledFloat &f,
               const RoundSpec &spec) {
    s = clampI(s, -127, 127);
    if (roundsInF32(f.element, /*scaled=*/true))
      return minifloatF32(x, f.element, spec, s);
    Value y = arith::MulFOp::create(b, widen(x),
                                    pow2(arith::SubIOp::create(b, i32(0), s)));
    Value q = minifloat(y, f.element, spec);
    return keepNaN(x, narrow(arith::MulFOp::create(b, q, pow2(s))));
  }

private:
  ImplicitLocOpBuilder &b;
};

} // namespace

Value mlir::lpq::detail::emitRandomBits(ImplicitLocOpBuilder &b, Value seed,
                                        uint32_t stream, Value step,
                                        Value group, Value word) {
  Emitter e(b);
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  // The counter words live in 64-bit lanes whose upper halves are don't-care:
  // each product reads only the low 32 bits of its counter word (zero
  // extended, which x86 folds into pmuludq), its high word is a shift and
  // its low word the product itself. Only the four output words are
  // truncated, so no round packs or unpacks 32-bit lanes.
  auto mul = [&](Value c, uint32_t m) {
    Value low =
        arith::ExtUIOp::create(b, i64, arith::TruncIOp::create(b, i32, c));
    return arith::MulIOp::create(b, low, e.i64(m));
  };
  auto high = [&](Value p) { return arith::ShRUIOp::create(b, p, e.i64(32)); };
  auto key = [&](Value k32) { return arith::ExtUIOp::create(b, i64, k32); };
  Value c[4] = {group, high(group), e.i64(stream),
                arith::ExtUIOp::create(b, i64, step)};
  Value k[2] = {arith::TruncIOp::create(b, i32, seed),
                arith::TruncIOp::create(b, i32, high(seed))};
  Value w0 = e.i32(0x9E3779B9), w1 = e.i32(0xBB67AE85);
  for (int round = 0; round < 10; ++round) {
    Value p0 = mul(c[0], 0xD2511F53);
    Value p1 = mul(c[2], 0xCD9E8D57);
    Value n0 = arith::XOrIOp::create(
        b, arith::XOrIOp::create(b, high(p1), c[1]), key(k[0]));
    Value n2 = arith::XOrIOp::create(
        b, arith::XOrIOp::create(b, high(p0), c[3]), key(k[1]));
    c[0] = n0;
    c[1] = p1;
    c[2] = n2;
    c[3] = p0;
    if (round < 9) {
      k[0] = arith::AddIOp::create(b, k[0], w0);
      k[1] = arith::AddIOp::create(b, k[1], w1);
    }
  }
  auto out = [&](int w) { return arith::TruncIOp::create(b, i32, c[w]); };
  auto is = [&](int w) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::eq, word, e.i32(w));
  };
  Value r = arith::SelectOp::create(b, is(2), out(2), out(3));
  r = arith::SelectOp::create(b, is(1), out(1), r);
  return arith::SelectOp::create(b, is(0), out(0), r);
}

Value mlir::lpq::detail::emitRoundElement(ImplicitLocOpBuilder &b, Value x,
                                          const numerics::Format &format,
                                          const RoundSpec &spec, Value scale) {
  Emitter e(b);
  if (auto *f = std::get_if<numerics::FixedPoint>(&format))
    return e.fixed(x, *f, spec);
  if (auto *f = std::get_if<numerics::Minifloat>(&format)) {
    if (Emitter::roundsInF32(*f, /*scaled=*/false))
      return e.minifloatF32(x, *f, spec);
    return e.keepNaN(x, e.narrow(e.minifloat(e.widen(x), *f, spec)));
  }
  if (auto *f = std::get_if<numerics::BlockFloat>(&format))
    return e.block(x, scale, *f, spec);
  if (auto *f = std::get_if<numerics::ScaledFloat>(&format))
    return e.scaled(x, scale, *f, spec);
  llvm_unreachable("row formats are not rounded element by element");
}

Value mlir::lpq::detail::emitKeepNaN(ImplicitLocOpBuilder &b, Value x,
                                     Value r) {
  return Emitter(b).keepNaN(x, r);
}

Value mlir::lpq::detail::emitBlockExponent(ImplicitLocOpBuilder &b, Value amax,
                                           const numerics::Format &format) {
  Emitter e(b);
  int lo = -127, hi = 127, offset = 0;
  if (auto *f = std::get_if<numerics::BlockFloat>(&format)) {
    lo = -(1 << (f->expBits - 1));
    hi = (1 << (f->expBits - 1)) - 1;
  } else {
    offset =
        numerics::maxExponent(std::get<numerics::ScaledFloat>(format).element);
  }
  Value exp =
      arith::SubIOp::create(b, e.exponent(e.widen(amax)), e.i32(offset));
  Value isZero =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, amax, e.f32(0));
  exp = arith::SelectOp::create(b, isZero, e.i32(lo), exp);
  return e.clampI(exp, lo, hi);
}

Value mlir::lpq::detail::emitRandomBitsAt(ImplicitLocOpBuilder &b, Value seed,
                                          uint32_t stream, Value step,
                                          Value index) {
  Value group = arith::ShRUIOp::create(
      b, index, arith::ConstantOp::create(b, b.getI64IntegerAttr(2)));
  Value word = arith::TruncIOp::create(
      b, b.getI32Type(),
      arith::AndIOp::create(
          b, index, arith::ConstantOp::create(b, b.getI64IntegerAttr(3))));
  return emitRandomBits(b, seed, stream, step, group, word);
}
