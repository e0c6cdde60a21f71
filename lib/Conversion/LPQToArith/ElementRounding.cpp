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
// every target computes the same bits as the reference library. Stochastic
// rounding onto block formats whose steps and bounds float32 holds takes
// the same decision from x's integer fields instead (32-bit lanes: twice as
// many per vector, no conversions); the differential tests hold both paths
// to the reference bit for bit.
//
//===----------------------------------------------------------------------===//

#include "ElementRounding.h"

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

  Value maxI(Value a, int64_t c) { return arith::MaxSIOp::create(b, a, i32(c)); }
  Value minI(Value a, int64_t c) { return arith::MinSIOp::create(b, a, i32(c)); }
  Value clampI(Value a, int64_t lo, int64_t hi) { return minI(maxI(a, lo), hi); }

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
      Value up = arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, r,
                                       threshold);
      k = arith::SelectOp::create(
          b, up, arith::AddFOp::create(b, lo, f64(1.0)), lo);
    } else {
      switch (spec.mode) {
      case Rounding::NearestEven:
        k = math::RoundEvenOp::create(b, s);
        break;
      case Rounding::NearestAway:
        k = math::RoundOp::create(b, s);
        break;
      case Rounding::TowardZero:
        k = math::TruncOp::create(b, s);
        break;
      case Rounding::Down:
        k = math::FloorOp::create(b, s);
        break;
      case Rounding::Up:
        k = math::CeilOp::create(b, s);
        break;
      }
    }
    Value r = arith::MulFOp::create(b, k, pow2(stepExp));
    // A non-zero result always has y's sign; a zero one must get it.
    return math::CopySignOp::create(b, r, y);
  }

  /// 2^e as f32 for an i32 e in [-149, 127] (subnormal below -126).
  Value pow2F32(Value e) {
    Value normal = arith::ShLIOp::create(
        b, arith::AddIOp::create(b, e, i32(127)), i32(23));
    Value shift = minI(maxI(arith::AddIOp::create(b, e, i32(149)), 0), 31);
    Value subnormal = arith::ShLIOp::create(b, i32(1), shift);
    Value isNormal =
        arith::CmpIOp::create(b, arith::CmpIPredicate::sge, e, i32(-126));
    return arith::BitcastOp::create(
        b, b.getF32Type(),
        arith::SelectOp::create(b, isNormal, normal, subnormal));
  }

  /// roundToStep(widen(x), stepExp, stochastic), narrowed, for an f32 `x`
  /// and 2^stepExp and every multiple of it up to 2^128 representable in
  /// f32 (stepExp in [-149, 127]): the same bits from the integer fields of
  /// x. With |x| = m * 2^q (m < 2^24), d = stepExp - q bits are dropped:
  /// |x| / 2^stepExp = (m >> d) + t / 2^32 with t = rem * 2^(32 - d). For
  /// x > 0 the magnitude rounds up when bits < floor(t). For x < 0,
  /// floor(x / 2^stepExp) is the magnitude rounded up, kept when
  /// bits < 2^32 - ceil(t): the magnitude rounds up when ~bits < ceil(t).
  /// +-Inf become +-2^128 (Inf); x is returned as is when d <= 0. `step`
  /// is 2^stepExp as f32.
  Value stochasticToStepF32(Value x, Value stepExp, Value step, Value bits) {
    using P = arith::CmpIPredicate;
    auto sub = [&](Value l, Value r) {
      return arith::SubIOp::create(b, l, r).getResult();
    };
    auto andI = [&](Value l, Value r) {
      return arith::AndIOp::create(b, l, r).getResult();
    };
    auto shl = [&](Value l, Value r) {
      return arith::ShLIOp::create(b, l, r).getResult();
    };
    auto shr = [&](Value l, Value r) {
      return arith::ShRUIOp::create(b, l, r).getResult();
    };
    // Shift amounts stay below 32 (unsigned minimum: negative ones become
    // 31 too, in lanes whose result is not used); m < 2^24 loses
    // everything by 31 anyway.
    auto shift = [&](Value v) {
      return arith::MinUIOp::create(b, v, i32(31)).getResult();
    };
    Value xb = arith::BitcastOp::create(b, b.getI32Type(), x);
    // All ones for negative x, zeros otherwise.
    Value negative = arith::ShRSIOp::create(b, xb, i32(31));
    Value biased = shr(andI(xb, i32(0x7fffffff)), i32(23));
    Value fraction = andI(xb, i32(0x7fffff));
    Value isNormal = arith::CmpIOp::create(b, P::ne, biased, i32(0));
    Value m = arith::OrIOp::create(
        b, fraction,
        shl(arith::ExtUIOp::create(b, b.getI32Type(), isNormal), i32(23)));
    Value q = sub(maxI(biased, 1), i32(150));
    Value d = sub(stepExp, q);
    Value dc = shift(d);
    Value kept = shr(m, dc);
    Value rem = sub(m, shl(kept, dc));
    // t = rem * 2^(32 - d): shifted left for d <= 32, right (rounded up
    // for x < 0) for d > 32.
    Value wide = arith::CmpIOp::create(b, P::sgt, d, i32(32));
    Value highShift = shift(sub(d, i32(32)));
    Value roundUp = andI(sub(shl(i32(1), highShift), i32(1)), negative);
    Value t = arith::SelectOp::create(
        b, wide, shr(arith::AddIOp::create(b, rem, roundUp), highShift),
        shl(rem, shift(sub(i32(32), d))));
    Value u = arith::XOrIOp::create(b, bits, negative);
    Value away = arith::CmpIOp::create(b, P::ult, u, t);
    Value k = arith::AddIOp::create(
        b, kept, arith::ExtUIOp::create(b, b.getI32Type(), away));
    Value rounded = arith::MulFOp::create(
        b, arith::UIToFPOp::create(b, b.getF32Type(), k), step);
    Value roundedBits = arith::OrIOp::create(
        b, arith::BitcastOp::create(b, b.getI32Type(), rounded),
        andI(xb, i32(0x80000000u)));
    Value exact = arith::CmpIOp::create(b, P::sle, d, i32(0));
    return arith::BitcastOp::create(
        b, b.getF32Type(),
        arith::SelectOp::create(b, exact, xb, roundedBits));
  }

  /// `r` where x is not NaN, x itself (bit for bit) where it is.
  Value keepNaN(Value x, Value r) {
    Value isNaN =
        arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, x, x);
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

  /// Whether overflow of a value with `y`'s sign goes to max instead of
  /// Inf/NaN: an i1, or null for "never".
  Value overflowStaysFinite(Value y, const RoundSpec &spec) {
    if (spec.stochastic)
      return {};
    switch (spec.mode) {
    case Rounding::TowardZero:
      return arith::ConstantOp::create(b, b.getBoolAttr(true));
    case Rounding::Down:
      return arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, y, f64(0));
    case Rounding::Up:
      return arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, y, f64(0));
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

    Value signedMax = math::CopySignOp::create(b, f64(maxV), y);
    bool saturating = f.saturate || f.specials == Specials::None;
    Value special =
        f.specials == Specials::FN
            ? f64(std::numeric_limits<double>::quiet_NaN())
            : math::CopySignOp::create(b, f64(HUGE_VAL), y);
    Value overflowValue = signedMax;
    if (!saturating) {
      overflowValue = special;
      if (Value finite = overflowStaysFinite(y, spec))
        overflowValue =
            arith::SelectOp::create(b, finite, signedMax, special);
    }
    Value overflow = arith::CmpFOp::create(
        b, arith::CmpFPredicate::OGT, math::AbsFOp::create(b, r), f64(maxV));
    r = arith::SelectOp::create(b, overflow, overflowValue, r);

    Value isInf = arith::CmpFOp::create(
        b, arith::CmpFPredicate::OEQ, math::AbsFOp::create(b, y),
        f64(HUGE_VAL));
    Value infValue = saturating ? signedMax
                     : f.specials == Specials::FN
                         ? f64(std::numeric_limits<double>::quiet_NaN())
                         : y;
    return arith::SelectOp::create(b, isInf, infValue, r);
  }

  Value widen(Value x) { return arith::ExtFOp::create(b, b.getF64Type(), x); }
  Value narrow(Value d) {
    return arith::TruncFOp::create(b, b.getF32Type(), d);
  }

  Value fixed(Value x, const numerics::FixedPoint &f, const RoundSpec &spec) {
    Value r = narrow(roundToStep(widen(x), i32(-f.fracBits), spec));
    float maxV = numerics::maxValue(f);
    float minV = f.symmetric
                     ? -maxV
                     : static_cast<float>(
                           -std::ldexp(1.0, f.wordLength - 1 - f.fracBits));
    return keepNaN(x, clampF32(r, minV, maxV));
  }

  Value block(Value x, Value e, const numerics::BlockFloat &f,
              const RoundSpec &spec) {
    int64_t lo = -(int64_t(1) << (f.expBits - 1));
    int64_t hi = (int64_t(1) << (f.expBits - 1)) - 1;
    e = clampI(e, lo, hi);
    Value stepExp = arith::SubIOp::create(b, e, i32(f.wordLength - 2));
    Value r, maxF;
    // Steps and bounds that float32 holds exactly: stochastic rounding in
    // 32-bit integers (twice the lanes of the float64 path, no
    // conversions).
    // (The largest bound, (2^(w-1) - 1) * 2^(hi + 2 - w), is at most
    // FLT_MAX when hi <= 127 and w <= 25.)
    if (spec.stochastic && f.wordLength <= 25 &&
        lo - (f.wordLength - 2) >= -149 && hi <= 127) {
      Value step = pow2F32(stepExp);
      r = stochasticToStepF32(x, stepExp, step, spec.bits);
      maxF = arith::MulFOp::create(
          b, f32(static_cast<float>((int64_t(1) << (f.wordLength - 1)) - 1)),
          step);
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
    Value y = arith::MulFOp::create(
        b, widen(x), pow2(arith::SubIOp::create(b, i32(0), s)));
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
  Type i32 = b.getI32Type();
  auto lo32 = [&](Value v) { return arith::TruncIOp::create(b, i32, v); };
  auto hi32 = [&](Value v) {
    return lo32(arith::ShRUIOp::create(b, v, e.i64(32)));
  };
  Value c[4] = {lo32(group), hi32(group), e.i32(stream), step};
  Value k[2] = {lo32(seed), hi32(seed)};
  Value m0 = e.i32(0xD2511F53), m1 = e.i32(0xCD9E8D57);
  Value w0 = e.i32(0x9E3779B9), w1 = e.i32(0xBB67AE85);
  for (int round = 0; round < 10; ++round) {
    auto p0 = arith::MulUIExtendedOp::create(b, m0, c[0]);
    auto p1 = arith::MulUIExtendedOp::create(b, m1, c[2]);
    Value n0 = arith::XOrIOp::create(
        b, arith::XOrIOp::create(b, p1.getHigh(), c[1]), k[0]);
    Value n2 = arith::XOrIOp::create(
        b, arith::XOrIOp::create(b, p0.getHigh(), c[3]), k[1]);
    c[0] = n0;
    c[1] = p1.getLow();
    c[2] = n2;
    c[3] = p0.getLow();
    if (round < 9) {
      k[0] = arith::AddIOp::create(b, k[0], w0);
      k[1] = arith::AddIOp::create(b, k[1], w1);
    }
  }
  auto is = [&](int w) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::eq, word, e.i32(w));
  };
  Value r = arith::SelectOp::create(b, is(2), c[2], c[3]);
  r = arith::SelectOp::create(b, is(1), c[1], r);
  return arith::SelectOp::create(b, is(0), c[0], r);
}

Value mlir::lpq::detail::emitRoundElement(ImplicitLocOpBuilder &b, Value x,
                                          const numerics::Format &format,
                                          const RoundSpec &spec, Value scale) {
  Emitter e(b);
  if (auto *f = std::get_if<numerics::FixedPoint>(&format))
    return e.fixed(x, *f, spec);
  if (auto *f = std::get_if<numerics::Minifloat>(&format))
    return e.keepNaN(x, e.narrow(e.minifloat(e.widen(x), *f, spec)));
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

Value mlir::lpq::detail::emitBlockExponent(ImplicitLocOpBuilder &b,
                                           Value amax,
                                           const numerics::Format &format) {
  Emitter e(b);
  int lo = -127, hi = 127, offset = 0;
  if (auto *f = std::get_if<numerics::BlockFloat>(&format)) {
    lo = -(1 << (f->expBits - 1));
    hi = (1 << (f->expBits - 1)) - 1;
  } else {
    offset = numerics::maxExponent(
        std::get<numerics::ScaledFloat>(format).element);
  }
  Value exp = arith::SubIOp::create(b, e.exponent(e.widen(amax)),
                                    e.i32(offset));
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
