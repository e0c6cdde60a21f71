//===- NumericsTest.cpp - Tests of the reference numerics -----------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// The reference library is the oracle for every generated kernel, so it is
// checked here against hand-computed values and against independent
// brute-force implementations (enumerating a format's values and picking
// neighbours), never against itself.
//
//===----------------------------------------------------------------------===//

#include "lpq/Numerics/Numerics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace mlir::lpq::numerics;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr Rounding kModes[] = {Rounding::NearestEven, Rounding::NearestAway,
                               Rounding::TowardZero, Rounding::Down,
                               Rounding::Up};

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float fromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// Bitwise equality, with any NaN equal to any NaN.
::testing::AssertionResult sameFloat(float expected, float actual) {
  if ((std::isnan(expected) && std::isnan(actual)) ||
      bitsOf(expected) == bitsOf(actual))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << expected << " (0x" << std::hex << bitsOf(expected)
         << "), got " << actual << " (0x" << bitsOf(actual) << ")";
}

float halfToFloat(uint16_t h) {
  int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(man), -24);
  else if (exp == 31)
    v = man ? kNaN : kInf;
  else
    v = std::ldexp(static_cast<float>(man | 0x400), exp - 25);
  return sign ? -v : v;
}

float bf16ToFloat(uint16_t h) { return fromBits(static_cast<uint32_t>(h) << 16); }

/// Every float16 and every bfloat16 value: covers all float32 binades,
/// subnormals, both zeros, both infinities and NaN.
std::vector<float> sweepInputs() {
  std::vector<float> xs;
  for (uint32_t h = 0; h < 65536; ++h) {
    xs.push_back(halfToFloat(static_cast<uint16_t>(h)));
    xs.push_back(bf16ToFloat(static_cast<uint16_t>(h)));
  }
  return xs;
}

//===----------------------------------------------------------------------===//
// Brute-force oracle for elementwise formats
//===----------------------------------------------------------------------===//

/// The non-negative finite values of a format, sorted, plus the overflow
/// value one top step above the maximum (where unbounded rounding would go
/// next). Built by enumeration, independently of the library's formulas.
struct Enumerated {
  std::vector<double> values; // ascending, values[0] == 0
  double overflow;            // max + top step
  bool ieee, fn, saturate;
  double minNeg;              // most negative finite value
  std::vector<double> grid;   // signed values, +-overflow at the ends

  void buildGrid() {
    grid.push_back(-overflow);
    if (minNeg < -values.back())
      grid.push_back(minNeg);
    for (auto it = values.rbegin(); it != values.rend(); ++it)
      if (*it != 0)
        grid.push_back(-*it);
    grid.insert(grid.end(), values.begin(), values.end());
    grid.push_back(overflow);
  }
};

Enumerated enumerate(const Minifloat &f) {
  Enumerated g;
  int bias = (1 << (f.expBits - 1)) - 1;
  int codes = 1 << f.expBits, mans = 1 << f.manBits;
  for (int e = 0; e < codes; ++e)
    for (int m = 0; m < mans; ++m) {
      bool top = e == codes - 1;
      if (top && f.specials == Specials::IEEE)
        continue;
      if (top && f.specials == Specials::FN && m == mans - 1)
        continue;
      double v = e == 0 ? std::ldexp(m, 1 - bias - f.manBits)
                        : std::ldexp(mans + m, e - bias - f.manBits);
      g.values.push_back(v);
    }
  std::sort(g.values.begin(), g.values.end());
  double maxV = g.values.back();
  int topExp = std::ilogb(maxV);
  g.overflow = maxV + std::ldexp(1.0, topExp - f.manBits);
  g.ieee = f.specials == Specials::IEEE;
  g.fn = f.specials == Specials::FN;
  g.saturate = f.saturate || f.specials == Specials::None;
  g.minNeg = -maxV;
  g.buildGrid();
  return g;
}

Enumerated enumerate(const FixedPoint &f) {
  Enumerated g;
  int64_t top = (int64_t(1) << (f.wordLength - 1)) - 1;
  for (int64_t k = 0; k <= top + 1; ++k)
    g.values.push_back(std::ldexp(static_cast<double>(k), -f.fracBits));
  g.overflow = g.values.back(); // 2^(wl-1) * step: only reachable negated
  g.values.pop_back();
  g.ieee = g.fn = false;
  g.saturate = true;
  g.minNeg = f.symmetric ? -g.values.back() : -g.overflow;
  g.buildGrid();
  return g;
}

/// Rounds x by picking between its enumerated neighbours.
float oracle(const Enumerated &g, float x, bool stochastic, Rounding mode,
             uint32_t r) {
  if (std::isnan(x))
    return x;
  double maxV = g.values.back();
  // Directed modes that never move away from zero overflow to max.
  auto towardZeroFor = [&](bool negative) {
    return !stochastic && (mode == Rounding::TowardZero ||
                           (mode == Rounding::Down && !negative) ||
                           (mode == Rounding::Up && negative));
  };
  auto overflowTo = [&](bool negative, bool towardZero) -> double {
    if (g.saturate || towardZero)
      return negative ? g.minNeg : maxV;
    if (g.fn)
      return kNaN;
    return negative ? -HUGE_VAL : HUGE_VAL;
  };
  if (std::isinf(x)) {
    if (g.saturate)
      return static_cast<float>(x < 0 ? g.minNeg : maxV);
    return g.fn ? kNaN : x;
  }
  // Signed neighbours lo <= x <= hi on the grid extended past the top.
  const std::vector<double> &grid = g.grid;
  double xd = x;
  if (xd >= g.overflow || xd <= -g.overflow) {
    bool neg = xd < 0;
    if (g.saturate)
      return static_cast<float>(neg ? g.minNeg : maxV);
    return static_cast<float>(overflowTo(neg, towardZeroFor(neg)));
  }
  auto hiIt = std::lower_bound(grid.begin(), grid.end(), xd);
  double hi = *hiIt, lo = hiIt == grid.begin() ? hi : *(hiIt - 1);
  double result = 0;
  if (hi == xd) {
    result = xd;
  } else {
    double frac = (xd - lo) / (hi - lo); // exact: power-of-two spacing
    if (stochastic) {
      result = static_cast<double>(r) < std::floor(frac * 4294967296.0) ? hi
                                                                          : lo;
    } else {
      // Neighbours differ in parity of |value| / step; ties go to even.
      bool hiEven = std::fmod(std::fabs(hi) / (hi - lo), 2.0) == 0;
      switch (mode) {
      case Rounding::NearestEven:
        result = frac < 0.5 ? lo : frac > 0.5 ? hi : (hiEven ? hi : lo);
        break;
      case Rounding::NearestAway:
        result = frac < 0.5 ? lo : frac > 0.5 ? hi : (xd > 0 ? hi : lo);
        break;
      case Rounding::TowardZero:
        result = xd > 0 ? lo : hi;
        break;
      case Rounding::Down:
        result = lo;
        break;
      case Rounding::Up:
        result = hi;
        break;
      }
    }
  }
  if (result > maxV || result < g.minNeg) {
    bool neg = result < 0;
    return static_cast<float>(overflowTo(neg, towardZeroFor(neg)));
  }
  if (result == 0)
    return std::copysign(0.0f, x);
  return static_cast<float>(result);
}

template <typename F> void sweepAgainstOracle(const F &format) {
  Enumerated g = enumerate(format);
  std::mt19937 rng(1234);
  int failures = 0;
  for (float x : sweepInputs()) {
    for (Rounding mode : kModes) {
      float expected = oracle(g, x, false, mode, 0);
      float actual = quantize(x, format, mode);
      if (!sameFloat(expected, actual) && ++failures < 10)
        ADD_FAILURE() << "x = " << x << " mode " << int(mode) << ": "
                      << sameFloat(expected, actual).message();
    }
    uint32_t r = rng();
    float expected = oracle(g, x, true, Rounding::NearestEven, r);
    float actual = stochasticRound(x, format, r);
    if (!sameFloat(expected, actual) && ++failures < 10)
      ADD_FAILURE() << "x = " << x << " stochastic r = " << r << ": "
                    << sameFloat(expected, actual).message();
  }
  EXPECT_EQ(failures, 0);
}

} // namespace

//===----------------------------------------------------------------------===//
// Philox4x32-10
//===----------------------------------------------------------------------===//

TEST(Philox, KnownAnswers) {
  using A4 = std::array<uint32_t, 4>;
  EXPECT_EQ(philox4x32({0, 0, 0, 0}, {0, 0}),
            (A4{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                       {0xffffffff, 0xffffffff}),
            (A4{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                       {0xa4093822, 0x299f31d0}),
            (A4{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, ElementCounterLayout) {
  uint64_t seed = 0x0123456789abcdefULL;
  uint64_t index = (uint64_t(5) << 32) * 4 + 4 * 7 + 2; // j = 5 * 2^32 + 7
  auto words = philox4x32({7, 5, 11, 13}, {0x89abcdef, 0x01234567});
  EXPECT_EQ(randomBits(seed, 11, 13, index), words[2]);
  for (uint32_t w = 0; w < 4; ++w)
    EXPECT_EQ(randomBits(seed, 11, 13, index - 2 + w), words[w]);
  EXPECT_NE(randomBits(seed, 12, 13, index), words[2]);
  EXPECT_NE(randomBits(seed, 11, 14, index), words[2]);
}

//===----------------------------------------------------------------------===//
// Format parameters
//===----------------------------------------------------------------------===//

TEST(Format, MaxValues) {
  EXPECT_EQ(maxValue(Minifloat{4, 3, Specials::FN}), 448.0f);
  EXPECT_EQ(maxValue(Minifloat{5, 2, Specials::IEEE}), 57344.0f);
  EXPECT_EQ(maxValue(Minifloat{5, 10, Specials::IEEE}), 65504.0f);
  EXPECT_EQ(maxValue(Minifloat{5, 10, Specials::None}), 131008.0f);
  EXPECT_EQ(maxValue(Minifloat{8, 7, Specials::IEEE}),
            bf16ToFloat(0x7f7f));
  EXPECT_EQ(maxValue(Minifloat{8, 23, Specials::IEEE}),
            std::numeric_limits<float>::max());
  EXPECT_EQ(maxValue(Minifloat{2, 1, Specials::None}), 6.0f); // fp4 e2m1
  EXPECT_EQ(maxValue(FixedPoint{8, 6}), 127.0f / 64);
  // 2^31 - 1 is not a float32: the bound rounds toward zero.
  EXPECT_EQ(maxValue(FixedPoint{32, 0}), 2147483520.0f);
}

TEST(Format, Diagnostics) {
  EXPECT_EQ(checkFormat(FixedPoint{40, 0}).value_or(""),
            "fixed-point word length must be in [2, 32], got 40");
  EXPECT_TRUE(checkFormat(FixedPoint{8, 150}).has_value());
  EXPECT_TRUE(checkFormat(FixedPoint{8, -121}).has_value());
  EXPECT_FALSE(checkFormat(FixedPoint{8, -120}).has_value());
  EXPECT_EQ(checkFormat(Minifloat{9, 3}).value_or(""),
            "minifloat exponent bits must be in [2, 8], got 9");
  EXPECT_TRUE(checkFormat(Minifloat{8, 7, Specials::FN}).has_value());
  EXPECT_TRUE(checkFormat(Minifloat{4, 24}).has_value());
  EXPECT_FALSE(checkFormat(Minifloat{1, 2, Specials::None}).has_value());
  EXPECT_TRUE(checkFormat(Minifloat{1, 2, Specials::IEEE}).has_value());
  BlockFloat tiles{8, 8, {Blocking::Kind::Tiles, {0, 1}, 32}};
  EXPECT_EQ(checkFormat(tiles).value_or(""),
            "tiled blocking needs exactly one axis, got 2");
  BlockFloat repeated{8, 8, {Blocking::Kind::Axes, {1, 1}, 0}};
  EXPECT_EQ(checkFormat(repeated).value_or(""),
            "block axis 1 is listed twice");
  EXPECT_TRUE(checkFormat(BlockFloat{8, 9, {}}).has_value());
  EXPECT_TRUE(checkFormat(RowTernary{0, -1.0}).has_value());
  EXPECT_EQ(checkShape(BlockFloat{8, 8, {Blocking::Kind::Axes, {2}, 0}},
                       {4, 4})
                .value_or(""),
            "block axis 2 is out of range for rank 2");
  EXPECT_TRUE(checkShape(RowBinary{0}, {}).has_value());
}

//===----------------------------------------------------------------------===//
// Exhaustive sweeps against the enumeration oracle
//===----------------------------------------------------------------------===//

TEST(Sweep, E4M3FN) { sweepAgainstOracle(Minifloat{4, 3, Specials::FN}); }
TEST(Sweep, E4M3FNNonSaturating) {
  sweepAgainstOracle(Minifloat{4, 3, Specials::FN, false});
}
TEST(Sweep, E5M2) { sweepAgainstOracle(Minifloat{5, 2, Specials::IEEE}); }
TEST(Sweep, E5M2NonSaturating) {
  sweepAgainstOracle(Minifloat{5, 2, Specials::IEEE, false});
}
TEST(Sweep, E2M1None) { sweepAgainstOracle(Minifloat{2, 1, Specials::None}); }
TEST(Sweep, E3M0) { sweepAgainstOracle(Minifloat{3, 0, Specials::IEEE}); }
TEST(Sweep, E5M10) { sweepAgainstOracle(Minifloat{5, 10, Specials::IEEE}); }
TEST(Sweep, E5M10None) {
  sweepAgainstOracle(Minifloat{5, 10, Specials::None});
}
TEST(Sweep, BF16) { sweepAgainstOracle(Minifloat{8, 7, Specials::IEEE}); }
TEST(Sweep, Fixed8_4) { sweepAgainstOracle(FixedPoint{8, 4}); }
TEST(Sweep, Fixed8_4Symmetric) { sweepAgainstOracle(FixedPoint{8, 4, true}); }
TEST(Sweep, Fixed4_NegativeFrac) { sweepAgainstOracle(FixedPoint{4, -3}); }
TEST(Sweep, Fixed16_14) { sweepAgainstOracle(FixedPoint{16, 14}); }

/// Float16 values are exactly representable in e5m10 and float32 values in
/// e8m23, so quantizing onto them is the identity (Inf and NaN included for
/// the non-saturating IEEE forms).
TEST(Sweep, IdentityFormats) {
  Minifloat f16{5, 10, Specials::IEEE, false};
  Minifloat f32{8, 23, Specials::IEEE, false};
  for (uint32_t h = 0; h < 65536; ++h) {
    float x = halfToFloat(static_cast<uint16_t>(h));
    for (Rounding mode : kModes) {
      ASSERT_TRUE(sameFloat(x, quantize(x, f16, mode))) << h;
      ASSERT_TRUE(sameFloat(x, quantize(x, f32, mode))) << h;
    }
  }
  EXPECT_TRUE(isIdentityOnFloat32(f32));
  EXPECT_FALSE(isIdentityOnFloat32(Minifloat{8, 23, Specials::IEEE, true}));
}

//===----------------------------------------------------------------------===//
// Special values, every format
//===----------------------------------------------------------------------===//

namespace {
struct SpecialCase {
  const char *name;
  Format format;
  float max;        // largest finite value
  float posInf;     // what +Inf becomes
  float tiny;       // what the smallest float32 subnormal becomes
  float minNormal;  // what 2^-126 becomes
};
} // namespace

TEST(Specials, EveryFormat) {
  float sub = std::numeric_limits<float>::denorm_min();
  float minN = std::numeric_limits<float>::min();
  float fmax = std::numeric_limits<float>::max();
  std::vector<SpecialCase> cases = {
      {"fixed<8,6>", FixedPoint{8, 6}, 127.0f / 64, 127.0f / 64, 0, 0},
      {"fixed<16,149>", FixedPoint{16, 149}, 32767 * sub, 32767 * sub, sub,
       32767 * sub},
      {"e4m3fn", Minifloat{4, 3, Specials::FN}, 448, 448, 0, 0},
      {"e4m3fn nonsat", Minifloat{4, 3, Specials::FN, false}, 448, kNaN, 0, 0},
      {"e5m2", Minifloat{5, 2}, 57344, 57344, 0, 0},
      {"e5m2 nonsat", Minifloat{5, 2, Specials::IEEE, false}, 57344, kInf, 0,
       0},
      {"e5m10 none", Minifloat{5, 10, Specials::None}, 131008, 131008, 0, 0},
      {"bf16", Minifloat{8, 7}, bf16ToFloat(0x7f7f), bf16ToFloat(0x7f7f), 0,
       minN},
      {"f32 nonsat", Minifloat{8, 23, Specials::IEEE, false}, fmax, kInf, sub,
       minN},
  };
  for (const SpecialCase &c : cases) {
    SCOPED_TRACE(c.name);
    for (Rounding mode : {Rounding::NearestEven, Rounding::NearestAway}) {
      auto q = [&](float x) {
        return quantize(std::vector<float>{x}, {1}, c.format, mode)[0];
      };
      EXPECT_TRUE(sameFloat(0.0f, q(0.0f)));
      EXPECT_TRUE(sameFloat(-0.0f, q(-0.0f)));
      EXPECT_TRUE(std::isnan(q(kNaN)));
      EXPECT_TRUE(sameFloat(c.posInf, q(kInf)));
      EXPECT_TRUE(sameFloat(c.max, q(c.max)));
      EXPECT_TRUE(sameFloat(c.tiny, q(sub)));
      EXPECT_TRUE(sameFloat(-c.tiny, q(-sub))) << "sign of zero kept";
      EXPECT_TRUE(sameFloat(c.minNormal, q(minN)));
      if (!std::isnan(c.posInf)) {
        EXPECT_TRUE(sameFloat(-c.posInf, q(-kInf)) ||
                    // asymmetric fixed point saturates -Inf lower than -max
                    std::holds_alternative<FixedPoint>(c.format));
        EXPECT_TRUE(sameFloat(c.max == fmax ? fmax : c.posInf, q(fmax)));
      }
    }
  }
}

/// Block, MX and row formats on the same special values: the block scale comes
/// from the finite elements, Inf saturates, NaN stays, signed zeros stay, and
/// a block of only tiny values clamps its exponent and flushes to signed zero.
TEST(Specials, BlockMXAndRows) {
  float sub = std::numeric_limits<float>::denorm_min();
  float fmax = std::numeric_limits<float>::max();
  float minN = std::numeric_limits<float>::min();
  std::vector<float> x{0.0f, -0.0f, kNaN, kInf, -kInf, sub, fmax, minN};
  Shape shape{8};
  float blockMax = 127 * std::ldexp(1.0f, 121); // E = 127, step 2^121
  std::vector<float> expectBlock{0.0f,      -0.0f,    kNaN, blockMax,
                                 -blockMax, 0.0f,     blockMax, 0.0f};
  for (Rounding mode : {Rounding::NearestEven, Rounding::NearestAway}) {
    std::vector<float> q = quantize(x, shape, BlockFloat{8, 8, {}}, mode);
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_TRUE(sameFloat(expectBlock[i], q[i])) << i;
  }
  float mxMax = 448 * std::ldexp(1.0f, 119); // s = 127 - 8
  std::vector<float> expectMX{0.0f, -0.0f, kNaN, mxMax, -mxMax, 0.0f, mxMax,
                              0.0f};
  ScaledFloat mx{Minifloat{4, 3, Specials::FN}, {}};
  std::vector<float> q = quantize(x, shape, mx, Rounding::NearestEven);
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_TRUE(sameFloat(expectMX[i], q[i])) << i;

  std::vector<float> tiny{sub, -3 * sub};
  EXPECT_EQ(blockScales(tiny, {2}, BlockFloat{8, 8, {}}),
            (std::vector<int32_t>{-128}));
  EXPECT_EQ(blockScales(tiny, {2}, mx), (std::vector<int32_t>{-127}));
  std::vector<float> qt = quantize(tiny, {2}, BlockFloat{8, 8, {}},
                                   Rounding::NearestEven);
  EXPECT_TRUE(sameFloat(0.0f, qt[0]));
  EXPECT_TRUE(sameFloat(-0.0f, qt[1]));

  // A NaN in a row makes the row's scale NaN; other rows are unaffected.
  std::vector<float> rows{kNaN, 1.0f, -2.0f, 4.0f};
  std::vector<float> b = quantize(rows, {2, 2}, RowBinary{0},
                                  Rounding::NearestEven);
  EXPECT_TRUE(std::isnan(b[0]) && std::isnan(b[1]));
  EXPECT_EQ(b[2], -3.0f);
  EXPECT_EQ(b[3], 3.0f);
}

/// IEEE overflow rounds toward the largest finite value in the directions
/// that never move away from zero.
TEST(Specials, DirectedOverflow) {
  Minifloat e5m2{5, 2, Specials::IEEE, false};
  EXPECT_EQ(quantize(1e6f, e5m2, Rounding::TowardZero), 57344.0f);
  EXPECT_EQ(quantize(1e6f, e5m2, Rounding::Down), 57344.0f);
  EXPECT_EQ(quantize(1e6f, e5m2, Rounding::Up), kInf);
  EXPECT_EQ(quantize(-1e6f, e5m2, Rounding::Up), -57344.0f);
  EXPECT_EQ(quantize(-1e6f, e5m2, Rounding::Down), -kInf);
  // 61440 is the tie between max and the next step: max's mantissa is odd.
  EXPECT_EQ(quantize(61440.0f, e5m2, Rounding::NearestEven), kInf);
  EXPECT_EQ(quantize(61439.0f, e5m2, Rounding::NearestEven), 57344.0f);
  // e4m3fn's max (448 = 1.110b * 2^8) has an even mantissa: the tie at 464
  // stays finite, just above it becomes NaN.
  Minifloat e4m3{4, 3, Specials::FN, false};
  EXPECT_EQ(quantize(464.0f, e4m3, Rounding::NearestEven), 448.0f);
  EXPECT_TRUE(std::isnan(quantize(465.0f, e4m3, Rounding::NearestEven)));
}

//===----------------------------------------------------------------------===//
// Tie cases, every mode
//===----------------------------------------------------------------------===//

namespace {
struct TieCase {
  float x;
  float even, away, towardZero, down, up;
};

void checkTies(const Format &format, const std::vector<TieCase> &cases) {
  for (const TieCase &c : cases) {
    float expected[] = {c.even, c.away, c.towardZero, c.down, c.up};
    for (int m = 0; m < 5; ++m) {
      std::vector<float> in{c.x};
      float got = quantize(in, {1}, format, kModes[m])[0];
      EXPECT_TRUE(sameFloat(expected[m], got))
          << "x = " << c.x << " mode " << m;
    }
  }
}
} // namespace

TEST(Ties, FixedPoint) {
  checkTies(FixedPoint{8, 0}, {
                                  // x     even  away  tz    down  up
                                  {2.5f, 2, 3, 2, 2, 3},
                                  {3.5f, 4, 4, 3, 3, 4},
                                  {-2.5f, -2, -3, -2, -3, -2},
                                  {-3.5f, -4, -4, -3, -4, -3},
                                  {0.5f, 0, 1, 0, 0, 1},
                                  {-0.5f, -0.0f, -1, -0.0f, -1, -0.0f},
                                  {2.25f, 2, 2, 2, 2, 3},
                                  {-2.75f, -3, -3, -2, -3, -2},
                              });
  checkTies(FixedPoint{8, 2}, {{0.125f, 0, 0.25f, 0, 0, 0.25f},
                               {0.375f, 0.5f, 0.5f, 0.25f, 0.25f, 0.5f}});
}

TEST(Ties, Minifloat) {
  // e4m3: step 1/8 in [1, 2), 1/512 for subnormals.
  checkTies(Minifloat{4, 3, Specials::FN},
            {
                {1.0625f, 1, 1.125f, 1, 1, 1.125f},
                {1.1875f, 1.25f, 1.25f, 1.125f, 1.125f, 1.25f},
                {-1.0625f, -1, -1.125f, -1, -1.125f, -1},
                {1.0f / 1024, 0, 1.0f / 512, 0, 0, 1.0f / 512},
                {3.0f / 1024, 1.0f / 256, 1.0f / 256, 1.0f / 512,
                 1.0f / 512, 1.0f / 256},
                {-1.0f / 1024, -0.0f, -1.0f / 512, -0.0f, -1.0f / 512,
                 -0.0f},
                // tie at a binade edge: 1.9375 lies between 1.875 and 2
                {1.9375f, 2, 2, 1.875f, 1.875f, 2},
            });
}

TEST(Ties, Block) {
  // Whole tensor, wl = 4: amax 4 -> E = 2, step 2^(2-2) = 1, |q| <= 7.
  BlockFloat f{4, 8, {}};
  std::vector<float> x{4.0f, 2.5f, -2.5f, 1.5f, -0.5f, 6.5f};
  std::vector<std::vector<float>> expected = {
      {4, 2, -2, 2, -0.0f, 6}, // nearest_even
      {4, 3, -3, 2, -1, 7},    // nearest_away
      {4, 2, -2, 1, -0.0f, 6}, // toward_zero
      {4, 2, -3, 1, -1, 6},    // down
      {4, 3, -2, 2, -0.0f, 7}, // up
  };
  for (int m = 0; m < 5; ++m) {
    std::vector<float> got = quantize(x, {6}, f, kModes[m]);
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_TRUE(sameFloat(expected[m][i], got[i])) << "mode " << m << " i " << i;
  }
}

//===----------------------------------------------------------------------===//
// Block floating point
//===----------------------------------------------------------------------===//

TEST(Block, PerRowExponents) {
  BlockFloat f{8, 8, {Blocking::Kind::Axes, {0}, 0}};
  std::vector<float> x{1.0f, -3.0f, 0.1f, // row 0: amax 3 -> E 1
                       0.0f, 0.0f,  0.0f, // row 1: all zero
                       100.f, kNaN, -kInf}; // row 2: amax 100 -> E 6
  EXPECT_EQ(blockScaleShape(f.blocking, {3, 3}), (Shape{3, 1}));
  EXPECT_EQ(blockScales(x, {3, 3}, f), (std::vector<int32_t>{1, -128, 6}));
  std::vector<float> q = quantize(x, {3, 3}, f, Rounding::NearestEven);
  // Row 0: step 2^(1-6) = 1/32.
  EXPECT_EQ(q[0], 1.0f);
  EXPECT_EQ(q[1], -3.0f);
  EXPECT_EQ(q[2], 3.0f / 32); // 0.1 * 32 = 3.2 -> 3
  EXPECT_TRUE(sameFloat(0.0f, q[3]));
  EXPECT_EQ(q[6], 100.0f);
  EXPECT_TRUE(std::isnan(q[7]));
  EXPECT_EQ(q[8], -127.0f); // -Inf saturates: step 2^(6-6) = 1, |q| <= 127
}

TEST(Block, TilesWithShortLastTile) {
  BlockFloat f{4, 8, {Blocking::Kind::Tiles, {1}, 2}};
  Shape shape{2, 5};
  std::vector<float> x{1, 2, 0.25f, 0.5f, 8, //
                       -1, 0, 0, 0, 3};
  EXPECT_EQ(blockScaleShape(f.blocking, shape), (Shape{2, 3}));
  EXPECT_EQ(blockScales(x, shape, f),
            (std::vector<int32_t>{1, -1, 3, 0, -128, 1}));
  std::vector<float> q = quantize(x, shape, f, Rounding::NearestEven);
  // Tile (0,0): E 1, step 0.5, |q| <= 7 -> 1, 2.
  EXPECT_EQ(q[0], 1);
  EXPECT_EQ(q[1], 2);
  EXPECT_EQ(q[4], 8);
  EXPECT_EQ(q[9], 3);
}

TEST(Block, ExponentClamp) {
  // eb = 2: exponents in [-2, 1]; 100 saturates to 7 * 2^(1-2) = 3.5.
  BlockFloat f{4, 2, {}};
  std::vector<float> x{100.0f, 0.001f};
  EXPECT_EQ(blockScales(x, {2}, f), (std::vector<int32_t>{1}));
  std::vector<float> q = quantize(x, {2}, f, Rounding::NearestEven);
  EXPECT_EQ(q[0], 3.5f);
  EXPECT_EQ(q[1], 0.0f);
  // Explicit scales are clamped to the same range.
  std::vector<int32_t> scales{40};
  EXPECT_EQ(quantize(x, {2}, f, Rounding::NearestEven, &scales)[0], 3.5f);
}

TEST(Block, ExplicitScalesMatchComputed) {
  BlockFloat f{8, 8, {Blocking::Kind::Axes, {1}, 0}};
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0, 3);
  std::vector<float> x(6 * 5);
  for (float &v : x)
    v = dist(rng);
  std::vector<int32_t> scales = blockScales(x, {6, 5}, f);
  EXPECT_EQ(scales.size(), 5u);
  EXPECT_EQ(quantize(x, {6, 5}, f, Rounding::NearestEven),
            quantize(x, {6, 5}, f, Rounding::NearestEven, &scales));
  RandomStream rs{42, 1, 2};
  EXPECT_EQ(stochasticRound(x, {6, 5}, f, rs),
            stochasticRound(x, {6, 5}, f, rs, &scales));
}

//===----------------------------------------------------------------------===//
// MX
//===----------------------------------------------------------------------===//

TEST(MX, E4M3Tiles) {
  ScaledFloat f{Minifloat{4, 3, Specials::FN}, {Blocking::Kind::Tiles, {0}, 4}};
  std::vector<float> x{1.0f, 3.0f, 0.1f, -0.2f, // amax 3: s = 1 - 8 = -7
                       0, 0, 0, 0,              // all zero: s = -127
                       1e-3f, kInf, kNaN, 0};   // amax 1e-3: s = -10 - 8
  EXPECT_EQ(blockScales(x, {12}, f),
            (std::vector<int32_t>{-7, -127, -18}));
  std::vector<float> q = quantize(x, {12}, f, Rounding::NearestEven);
  EXPECT_EQ(q[0], 1.0f);
  EXPECT_EQ(q[1], 3.0f);
  EXPECT_EQ(q[2], 13.0f / 128); // 12.8 in [8, 16) step 1 -> 13
  EXPECT_EQ(q[3], -26.0f / 128); // 25.6 in [16, 32) step 2 -> 26
  EXPECT_TRUE(sameFloat(0.0f, q[4]));
  EXPECT_EQ(q[8], std::ldexp(1.0f, -10)); // 1e-3 * 2^18 = 262.1 -> 256
  EXPECT_EQ(q[9], 448.0f * std::ldexp(1.0f, -18));
  EXPECT_TRUE(std::isnan(q[10]));
}

//===----------------------------------------------------------------------===//
// Binary and ternary rows
//===----------------------------------------------------------------------===//

TEST(Rows, Binary) {
  std::vector<float> w{1, -2, 0, 3, //
                       -1, -1, 2, 0};
  std::vector<float> q = quantize(w, {2, 4}, RowBinary{0},
                                  Rounding::NearestEven);
  EXPECT_EQ(q, (std::vector<float>{1.5f, -1.5f, 1.5f, 1.5f, //
                                   -1, -1, 1, 1}));
  std::vector<float> cols = quantize(w, {2, 4}, RowBinary{1},
                                     Rounding::NearestEven);
  EXPECT_EQ(cols[0], 1.0f);
  EXPECT_EQ(cols[4], -1.0f);
  EXPECT_EQ(cols[1], -1.5f);
}

TEST(Rows, Ternary) {
  std::vector<float> w{1, -2, 0.1f, 3, //
                       -0.2f, 0.3f, 0.2f, 0};
  // mean = 0.55; mean |w - 0.55| = (0.45+2.55+0.45+2.45+0.75+0.25+0.35+0.55)/8
  //      = 0.975; threshold 0.7 * 0.975 = 0.6825.
  std::vector<float> q = quantize(w, {2, 4}, RowTernary{0, 0.7},
                                  Rounding::NearestEven);
  EXPECT_EQ(q, (std::vector<float>{2, -2, 0, 2, //
                                   -0.0f, 0, 0, 0}));
  EXPECT_TRUE(std::signbit(q[4]));
}

//===----------------------------------------------------------------------===//
// Stochastic rounding
//===----------------------------------------------------------------------===//

namespace {
/// Mean error of 10^6 stochastic roundings of x must be within 4 standard
/// errors of zero (deterministic: the seed is fixed).
void checkUnbiased(const Format &format, float x, double step) {
  const int64_t n = 1000000;
  std::vector<float> xs(n, x);
  RandomStream rs{20261123, 5, 17};
  std::vector<float> q = stochasticRound(xs, {n}, format, rs);
  double sum = 0;
  for (float v : q)
    sum += static_cast<double>(v) - x;
  double mean = sum / n;
  double lo = std::floor(x / step) * step;
  double p = (x - lo) / step;
  double se = step * std::sqrt(p * (1 - p) / n);
  EXPECT_LE(std::fabs(mean), 4 * se) << "x = " << x << " mean " << mean;
  // Every result is one of the two neighbours.
  for (float v : q)
    ASSERT_TRUE(v == static_cast<float>(lo) ||
                v == static_cast<float>(lo + step));
}
} // namespace

TEST(Stochastic, Unbiased) {
  checkUnbiased(FixedPoint{8, 2}, 0.3f, 0.25);
  checkUnbiased(FixedPoint{8, 2}, -0.3f, 0.25);
  checkUnbiased(Minifloat{4, 3, Specials::FN}, 1.3f, 0.125);
  checkUnbiased(Minifloat{4, 3, Specials::FN}, -5.1f, 0.5);
  checkUnbiased(Minifloat{5, 2}, 0.0001f, std::ldexp(1.0, -16));
  // Whole-tensor block of identical values: amax 0.7 -> E -1, step 2^-7.
  checkUnbiased(BlockFloat{8, 8, {}}, 0.7f, std::ldexp(1.0, -7));
}

TEST(Stochastic, ProbabilityThreshold) {
  FixedPoint f{8, 0};
  // frac = 0.25: round up exactly when r < 2^30.
  EXPECT_EQ(stochasticRound(2.25f, f, (1u << 30) - 1), 3.0f);
  EXPECT_EQ(stochasticRound(2.25f, f, 1u << 30), 2.0f);
  EXPECT_EQ(stochasticRound(-2.25f, f, (3u << 30) - 1), -2.0f);
  EXPECT_EQ(stochasticRound(-2.25f, f, 3u << 30), -3.0f);
  // On-grid values never move.
  EXPECT_EQ(stochasticRound(2.0f, f, 0), 2.0f);
  // -0.25 rounds up to zero (r < 0.75 * 2^32), which keeps the sign.
  EXPECT_TRUE(sameFloat(-0.0f, stochasticRound(-0.25f, f, 0)));
  EXPECT_EQ(stochasticRound(-0.25f, f, 0xffffffffu), -1.0f);
}

/// lpq-skip-rounding-on-grid's premise: where rounding a tensor toward zero
/// gives its own bits back, stochastic rounding does too, for every random
/// word. Checked on tensors already rounded onto each format (the premise
/// must hold there, so the test cannot pass vacuously), with special values
/// put in, and on random tensors (where it holds for few of them).
TEST(Stochastic, OnGridIsIdentity) {
  float sub = std::numeric_limits<float>::denorm_min();
  float fmax = std::numeric_limits<float>::max();
  Shape shape{6, 16};
  Blocking rows{Blocking::Kind::Axes, {0}, 0};
  Blocking tiles{Blocking::Kind::Tiles, {1}, 8};
  std::vector<std::pair<std::string, Format>> formats = {
      {"block<8> per tensor", BlockFloat{8, 8, {}}},
      {"block<8> per row", BlockFloat{8, 8, rows}},
      {"block<4, exp 4> per row", BlockFloat{4, 4, rows}},
      {"fixed<8,6>", FixedPoint{8, 6}},
      {"fixed<8,6> symmetric", FixedPoint{8, 6, true}},
      {"e4m3fn", Minifloat{4, 3, Specials::FN}},
      {"e4m3fn nonsat", Minifloat{4, 3, Specials::FN, false}},
      {"e5m2", Minifloat{5, 2}},
      {"e5m2 nonsat", Minifloat{5, 2, Specials::IEEE, false}},
      {"e2m1 none", Minifloat{2, 1, Specials::None}},
      {"bf16", Minifloat{8, 7}},
      {"MX e4m3 /8", ScaledFloat{Minifloat{4, 3, Specials::FN}, tiles}},
  };
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> specials{0.0f, -0.0f, kNaN, kInf, -kInf, sub, -sub, fmax};
  auto sameBits = [](const std::vector<float> &a, const std::vector<float> &b) {
    return std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  };
  for (const auto &[name, format] : formats) {
    SCOPED_TRACE(name);
    int onGrid = 0;
    for (int trial = 0; trial < 40; ++trial) {
      std::vector<float> x(96);
      for (float &v : x)
        v = normal(rng) * std::ldexp(1.0f, trial % 7 - 3);
      bool rounded = trial % 4 != 3;
      if (rounded)
        x = quantize(x, shape, format, Rounding::NearestEven);
      if (trial % 2 == 1)
        x[trial % x.size()] = specials[trial / 2 % specials.size()];
      std::vector<float> q = quantize(x, shape, format, Rounding::TowardZero);
      if (!sameBits(q, x)) {
        EXPECT_FALSE(rounded && trial % 2 == 0)
            << "a rounded tensor is not on the grid (trial " << trial << ")";
        continue;
      }
      ++onGrid;
      for (uint32_t step : {0u, 1u, 77u}) {
        std::vector<float> s = stochasticRound(x, shape, format, {7, 3, step});
        for (size_t i = 0; i < x.size(); ++i)
          EXPECT_TRUE(sameFloat(x[i], s[i]))
              << "trial " << trial << " element " << i << " step " << step;
      }
    }
    // The 20 rounded tensors, and some with a special value (signed zeros
    // at least).
    EXPECT_GT(onGrid, 20);
  }
}

TEST(Stochastic, BitsFollowLinearIndex) {
  // The same linear index gets the same bits whatever the shape.
  FixedPoint f{8, 4};
  std::vector<float> x(24);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = 0.01f * static_cast<float>(i) + 0.003f;
  RandomStream rs{99, 3, 4};
  EXPECT_EQ(stochasticRound(x, {24}, f, rs),
            stochasticRound(x, {2, 3, 4}, f, rs));
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_EQ(stochasticRound(x, {24}, f, rs)[i],
              stochasticRound(x[i], f, randomBits(99, 3, 4, i)));
}

//===----------------------------------------------------------------------===//
// Containment
//===----------------------------------------------------------------------===//

namespace {
/// Brute force: every finite value of `inner` and +-max/+-Inf as `inner`
/// produces them survive rounding onto `outer` in every mode.
template <typename O, typename I> bool bruteContains(const O &outer, const I &inner) {
  Enumerated g = enumerate(inner);
  std::vector<float> outputs;
  for (double v : g.values) {
    outputs.push_back(static_cast<float>(v));
    outputs.push_back(static_cast<float>(-v));
  }
  outputs.push_back(static_cast<float>(g.minNeg));
  outputs.push_back(quantize(kInf, inner, Rounding::NearestEven));
  outputs.push_back(quantize(-kInf, inner, Rounding::NearestEven));
  for (float v : outputs)
    for (Rounding mode : kModes)
      if (!sameFloat(v, quantize(v, outer, mode)))
        return false;
  return true;
}
} // namespace

TEST(Contains, AgreesWithBruteForce) {
  std::vector<FixedPoint> fixeds = {{4, 2}, {6, 2}, {6, 3}, {5, 4, true},
                                    {8, 4}, {4, -1}, {3, 0}};
  std::vector<Minifloat> floats = {
      {2, 1, Specials::None}, {3, 2}, {4, 3, Specials::FN}, {4, 3},
      {5, 2},                 {5, 2, Specials::IEEE, false},
      {5, 10},                {5, 10, Specials::IEEE, false}};
  int checked = 0;
  auto check = [&](auto outer, auto inner) {
    EXPECT_EQ(contains(Format(outer), Format(inner)),
              bruteContains(outer, inner))
        << "outer #" << checked / 15 << " inner #" << checked % 15;
    ++checked;
  };
  for (auto &o : fixeds) {
    for (auto &i : fixeds)
      check(o, i);
    for (auto &i : floats)
      check(o, i);
  }
  for (auto &o : floats) {
    for (auto &i : fixeds)
      check(o, i);
    for (auto &i : floats)
      check(o, i);
  }
  EXPECT_EQ(checked, 15 * 15);
  // Spot checks of the interesting answers.
  EXPECT_TRUE(contains(Format(Minifloat{5, 10}), Format(Minifloat{4, 3, Specials::FN})));
  EXPECT_FALSE(contains(Format(Minifloat{5, 2}), Format(Minifloat{4, 3, Specials::FN})));
  EXPECT_TRUE(contains(Format(Minifloat{5, 10}), Format(FixedPoint{8, 4})));
}

TEST(Contains, BlockFormats) {
  Blocking rows{Blocking::Kind::Axes, {0}, 0};
  EXPECT_TRUE(contains(BlockFloat{8, 8, rows}, BlockFloat{6, 8, rows}));
  EXPECT_FALSE(contains(BlockFloat{6, 8, rows}, BlockFloat{8, 8, rows}));
  EXPECT_FALSE(contains(BlockFloat{8, 8, {}}, BlockFloat{8, 8, rows}));
  // Checked on data: the second quantization changes nothing.
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0, 10);
  std::vector<float> x(8 * 16);
  for (float &v : x)
    v = dist(rng);
  std::vector<float> once = quantize(x, {8, 16}, BlockFloat{6, 8, rows},
                                     Rounding::NearestAway);
  for (Rounding mode : kModes)
    EXPECT_EQ(quantize(once, {8, 16}, BlockFloat{8, 8, rows}, mode), once);
  EXPECT_TRUE(contains(RowBinary{0}, RowBinary{0}));
  EXPECT_FALSE(contains(RowTernary{0, 0.7}, RowTernary{0, 0.7}));
}

//===----------------------------------------------------------------------===//
// Averaging
//===----------------------------------------------------------------------===//

TEST(Average, RunningMean) {
  EXPECT_EQ(average(0.0f, 3.0f, 0), 3.0f);
  EXPECT_EQ(average(3.0f, 6.0f, 1), 4.5f);
  EXPECT_EQ(average(4.5f, 0.0f, 2), 3.0f);
  // float32 arithmetic, each step rounded: (1 - 0) / 3 then added.
  EXPECT_EQ(average(0.0f, 1.0f, 2), 1.0f / 3.0f);
}

//===----------------------------------------------------------------------===//
// Stochastic Quantization (SQ) row selection
//===----------------------------------------------------------------------===//

TEST(SQ, RelativeErrorsAndCounts) {
  // Rows: error 0.5, 0 (exact), 0 (all zero), 1.0.
  std::vector<float> w = {2, -2, 1, 1, 0, 0, 1, -1};
  std::vector<float> q = {1, -1, 1, 1, 0, 0, 0, 0};
  // ratio 1: everything quantized; ratio 0: every row with an error kept,
  // zero-error rows never (the roulette cannot pick them).
  std::vector<bool> all = sqKeptRows(w, q, {4, 2}, 1.0, {1, 2, 3});
  EXPECT_EQ(std::count(all.begin(), all.end(), true), 0);
  std::vector<bool> none = sqKeptRows(w, q, {4, 2}, 0.0, {1, 2, 3});
  EXPECT_EQ(none, (std::vector<bool>{true, false, false, true}));
  // Hybrid: kept rows from w, the others from q.
  std::vector<float> h = sqSelect(w, q, {4, 2}, 0.0, {1, 2, 3});
  EXPECT_EQ(h, (std::vector<float>{2, -2, 1, 1, 0, 0, 1, -1}));
}

TEST(SQ, SelectionFollowsTheErrors) {
  // One draw among rows with relative errors 0.1, 0.2, 0.3, 0.4: over 40000
  // steps each row is kept with probability e_r / sum e, within 4 standard
  // errors.
  std::vector<float> w(4 * 10, 1.0f), q(4 * 10, 1.0f);
  for (int r = 0; r < 4; ++r)
    q[r * 10] = 1.0f - (r + 1); // row error (r + 1) / 10
  const int steps = 40000;
  std::vector<int> counts(4, 0);
  for (int s = 0; s < steps; ++s) {
    std::vector<bool> kept =
        sqKeptRows(w, q, {4, 10}, 0.75, {42, 7, static_cast<uint32_t>(s)});
    ASSERT_EQ(std::count(kept.begin(), kept.end(), true), 1);
    for (int r = 0; r < 4; ++r)
      counts[r] += kept[r];
  }
  for (int r = 0; r < 4; ++r) {
    double p = (r + 1) / 10.0;
    double se = std::sqrt(p * (1 - p) / steps);
    EXPECT_NEAR(counts[r] / double(steps), p, 4 * se) << "row " << r;
  }
}

TEST(SQ, WithoutReplacement) {
  // Two draws among three rows: never the same row twice, and the second
  // draw renormalizes over the rows left.
  std::vector<float> w(3 * 4, 1.0f), q(3 * 4, 1.0f);
  q[0] = 0.0f; q[4] = 0.0f; q[8] = -1.0f; // errors 0.25, 0.25, 0.5
  int both01 = 0;
  const int steps = 20000;
  for (int s = 0; s < steps; ++s) {
    std::vector<bool> kept =
        sqKeptRows(w, q, {3, 4}, 1.0 / 3.0, {9, 1, static_cast<uint32_t>(s)});
    ASSERT_EQ(std::count(kept.begin(), kept.end(), true), 2);
    both01 += kept[0] && kept[1];
  }
  // P(rows 0 and 1) = 2 * 0.25 * (0.25 / 0.75) = 1/6.
  double p = 1.0 / 6.0, se = std::sqrt(p * (1 - p) / steps);
  EXPECT_NEAR(both01 / double(steps), p, 4 * se);
}

//===----------------------------------------------------------------------===//
// Level grids and AskewSGD
//===----------------------------------------------------------------------===//

TEST(LevelGrid, Scales) {
  using S = LevelGrid::Scale;
  EXPECT_EQ(gridScale({1, -3}, {2}, LevelGrid{0, S::MeanAbs}), 2.0f);
  EXPECT_EQ(gridScale({1, -3}, {2}, LevelGrid{3, S::MeanAbs}),
            static_cast<float>(2.0 / 3.0));
  EXPECT_EQ(gridScale({1, -6, 2}, {3}, LevelGrid{3, S::MaxAbs}), 2.0f);
  // Equal magnitudes: 12.1 - 12.2 < 0, so SAWB's scale is 0.
  EXPECT_EQ(gridScale({1, -1, 1, -1}, {4}, LevelGrid{8, S::SAWB}), 0.0f);
  // rms = sqrt(5/2), mean = 1.5.
  EXPECT_EQ(gridScale({1, -2}, {2}, LevelGrid{8, S::SAWB}),
            static_cast<float>((12.1 * std::sqrt(2.5) - 12.2 * 1.5) / 8));
  std::vector<float> w(10 * 784, 0.3f);
  EXPECT_EQ(gridScale(w, {10, 784}, LevelGrid{0, S::Glorot}),
            static_cast<float>(std::sqrt(1.5 / (784 + 10))));
  EXPECT_EQ(gridScale(w, {10, 784}, LevelGrid{0, S::Fixed, 0.5f}), 0.5f);
  EXPECT_EQ(gridScale({}, {0}, LevelGrid{0, S::MeanAbs}), 0.0f);
}

TEST(LevelGrid, Rounding) {
  LevelGrid binary{0, LevelGrid::Scale::Fixed, 1.0f};
  std::vector<float> b = quantize({0.3f, -0.3f, 0.0f, -0.0f, 7.0f, NAN}, {6},
                                  binary, Rounding::NearestEven);
  EXPECT_EQ(b[0], 1.0f);
  EXPECT_EQ(b[1], -1.0f);
  EXPECT_EQ(b[2], 1.0f);
  EXPECT_EQ(b[3], 1.0f);
  EXPECT_EQ(b[4], 1.0f);
  EXPECT_TRUE(std::isnan(b[5]));
  LevelGrid levels{3, LevelGrid::Scale::Fixed, 0.25f};
  std::vector<float> x = {0.375f, 0.125f, 10.0f, -0.3f};
  std::vector<float> even = quantize(x, {4}, levels, Rounding::NearestEven);
  EXPECT_EQ(even, (std::vector<float>{0.5f, 0.0f, 0.75f, -0.25f}));
  std::vector<float> away = quantize(x, {4}, levels, Rounding::NearestAway);
  EXPECT_EQ(away, (std::vector<float>{0.5f, 0.25f, 0.75f, -0.25f}));
  std::vector<float> down = quantize(x, {4}, levels, Rounding::Down);
  EXPECT_EQ(down, (std::vector<float>{0.25f, 0.0f, 0.75f, -0.5f}));
  // Data-dependent scale 0: zeros.
  std::vector<float> z = quantize({0.0f, 0.0f}, {2},
                                  LevelGrid{0, LevelGrid::Scale::MeanAbs},
                                  Rounding::NearestEven);
  EXPECT_EQ(z, (std::vector<float>{0.0f, 0.0f}));
}

// BinaryConnect's stochastic binarization: P(+1) = (u + 1) / 2.
TEST(LevelGrid, StochasticBinarizationProbability) {
  LevelGrid binary{0, LevelGrid::Scale::Fixed, 2.0f};
  const int n = 200000;
  std::vector<float> x(n, 1.0f); // u = 0.5: P(+1) = 0.75
  std::vector<float> r =
      stochasticRound(x, {n}, binary, RandomStream{7, 1, 3});
  int up = 0;
  for (float v : r) {
    ASSERT_TRUE(v == 2.0f || v == -2.0f);
    up += v > 0;
  }
  double p = static_cast<double>(up) / n;
  double se = std::sqrt(0.75 * 0.25 / n);
  EXPECT_NEAR(p, 0.75, 4 * se);
}

// Hand-computed AskewSGD directions (ALGORITHMS.md 3).
TEST(AskewSGD, DirectionHandComputed) {
  LevelGrid binary{0, LevelGrid::Scale::Fixed, 1.0f};
  // w = 0.5: a = 1, b = -1, g(u) = 0.25 * 2.25 = 0.5625 > eps = 0.5:
  // infeasible. K = 0.1 * (-0.0625) / (2 * -0.5 * 1.5 * (1e-6 + 1.0)).
  double k = 0.1 * -0.0625 / (-1.5 * 1.000001);
  EXPECT_NEAR(k, 0.0041666625, 1e-12);
  std::vector<float> d =
      askewDirection({0.5f, 0.5f, 1.0f, 0.9f, 0.0f}, {0.01f, -0.05f, 3.0f,
                                                      0.2f, 0.01f},
                     {5}, binary, 0.5f, 0.1, 0.1f);
  // A small gradient does not restore feasibility: the skewed direction -K
  // (a step of -lr * (-K) moves w toward 1).
  EXPECT_EQ(d[0], static_cast<float>(-k));
  // -g * K = 0.05 K > K^2: the gradient already moves toward the grid.
  EXPECT_EQ(d[1], -0.05f);
  // On a grid point, and feasible (g(0.9) = 0.01 * 3.61 < 0.5): gradient.
  EXPECT_EQ(d[2], 3.0f);
  EXPECT_EQ(d[3], 0.2f);
  // At the midpoint 0 the 1e-6 term makes K huge: clipped to s/(4 lr).
  EXPECT_EQ(d[4], -2.5f);

  // 17-level grid, s = 0.5: w = 1.3 is u = 2.6 (a = 3, b = 2,
  // g = 0.16 * 0.36 = 0.0576).
  LevelGrid levels{8, LevelGrid::Scale::Fixed, 0.5f};
  EXPECT_EQ(askewDirection({1.3f}, {0.0f}, {1}, levels, 0.0625f, 1.0, 1.0f)[0],
            0.0f); // feasible at eps = 1/16
  double k2 = 0.5 * (0.01 - 0.16 * 0.36) /
              (2 * -0.4 * 0.6 * (1e-6 + (2.6 - 3) + (2.6 - 2)));
  std::vector<float> tight =
      askewDirection({1.3f}, {0.0f}, {1}, levels, 0.01f, 1.0, 0.1f);
  EXPECT_NEAR(tight[0], -k2, 1e-6);
  EXPECT_LT(tight[0], 0.0f); // w grows toward a = 3 (1.5)
  // With lr = 1 the same K exceeds s / 4 = 0.125 and is clipped.
  EXPECT_EQ(askewDirection({1.3f}, {0.0f}, {1}, levels, 0.01f, 1.0, 1.0f)[0],
            -0.125f);
  // At a midpoint (u = 2.5) da + db = 0: the authors' 1e-6 decides, K is
  // huge and positive, clipped to s / (4 lr): w moves up a quarter step.
  EXPECT_EQ(askewDirection({1.25f}, {0.0f}, {1}, levels, 0.01f, 1.0, 0.1f)[0],
            -1.25f);
  // Outside the box: clamped onto the top point, so the gradient.
  EXPECT_EQ(askewDirection({5.0f}, {0.7f}, {1}, levels, 0.0f, 1.0, 0.1f)[0],
            0.7f);
  EXPECT_TRUE(std::isnan(
      askewDirection({NAN}, {0.7f}, {1}, levels, 0.0f, 1.0, 0.1f)[0]));
}

TEST(LevelGrid, ClampAndChecks) {
  LevelGrid levels{3, LevelGrid::Scale::Fixed, 0.25f};
  EXPECT_EQ(gridClamp({1.0f, -0.5f, 0.7f}, {3}, levels),
            (std::vector<float>{0.75f, -0.5f, 0.7f}));
  EXPECT_TRUE(checkFormat(LevelGrid{-1}).has_value());
  EXPECT_TRUE(
      checkFormat(LevelGrid{0, LevelGrid::Scale::Fixed, -1.0f}).has_value());
  EXPECT_FALSE(checkFormat(LevelGrid{8, LevelGrid::Scale::SAWB}).has_value());
  EXPECT_TRUE(supportsStochasticRounding(LevelGrid{}));
  EXPECT_TRUE(contains(LevelGrid{}, LevelGrid{}));
  EXPECT_FALSE(contains(LevelGrid{0, LevelGrid::Scale::MeanAbs},
                        LevelGrid{0, LevelGrid::Scale::MeanAbs}));
}

// The paper's linear rule: one row is quantized per draw, with probability
// proportional to 1 / e (errors 0.2, 0.4, 0.8 -> 4/7, 2/7, 1/7); the
// constant rule is uniform.
TEST(SQ, PaperSelectionFunctions) {
  std::vector<float> w(12, 1.0f), q(12);
  const float errors[] = {0.2f, 0.4f, 0.8f};
  for (int i = 0; i < 12; ++i)
    q[i] = 1.0f - errors[i / 4];
  const int n = 30000;
  for (auto [selection, expected] :
       {std::pair{SQSelection::Linear, std::array<double, 3>{4. / 7, 2. / 7,
                                                             1. / 7}},
        std::pair{SQSelection::Constant,
                  std::array<double, 3>{1. / 3, 1. / 3, 1. / 3}}}) {
    std::array<int, 3> quantized = {0, 0, 0};
    for (int s = 0; s < n; ++s) {
      // ratio 1/3: floor(2/3 * 3) = 2 rows kept, one quantized.
      std::vector<bool> kept = sqKeptRows(w, q, {3, 4}, 1.0 / 3.0,
                                          {5, 2, static_cast<uint32_t>(s)},
                                          selection);
      ASSERT_EQ(std::count(kept.begin(), kept.end(), false), 1);
      for (int r = 0; r < 3; ++r)
        quantized[r] += !kept[r];
    }
    for (int r = 0; r < 3; ++r) {
      double p = static_cast<double>(quantized[r]) / n;
      EXPECT_NEAR(p, expected[r],
                  4 * std::sqrt(expected[r] * (1 - expected[r]) / n))
          << "row " << r;
    }
  }
  // Softmax and sigmoid weights of x = 1 / e: softmax strongly prefers the
  // smallest error, sigmoid is nearly uniform at these x (all >= 1.25).
  int soft = 0, sig = 0;
  for (int s = 0; s < 3000; ++s) {
    RandomStream r{8, 1, static_cast<uint32_t>(s)};
    soft += !sqKeptRows(w, q, {3, 4}, 1.0 / 3.0, r, SQSelection::Softmax)[0];
    sig += !sqKeptRows(w, q, {3, 4}, 1.0 / 3.0, r, SQSelection::Sigmoid)[0];
  }
  // exp(5 - 5) / (1 + exp(-2.5) + exp(-3.75)) = 0.902...
  EXPECT_NEAR(soft / 3000.0, 0.9028, 0.03);
  // sigmoid(5) / (sigmoid(5) + sigmoid(2.5) + sigmoid(1.25)) = 0.3661...
  EXPECT_NEAR(sig / 3000.0, 0.3661, 0.035);
}
