//===- DifferentialTest.cpp - JIT kernels against the reference -----------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Every format x rounding mode (deterministic and stochastic) x shape,
// compiled by lpq-cpu-pipeline and run by the JIT, must give the reference
// numerics library's bits exactly: on random data with special values mixed
// in (NaN, +-Inf, +-0, subnormals, huge and tiny values), on odd sizes, size
// 1 and empty tensors, with 1 and 2 threads and with vectorization on and
// off.
//
//===----------------------------------------------------------------------===//

#include "TestKernels.h"

#include "lpq/Dialect/LPQ/IR/LPQOps.h"
#include "lpq/Runtime/JitRunner.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace mlir;
using namespace mlir::lpq;
using namespace mlir::lpq::runtime;

namespace {

using namespace lpq_test;

std::vector<std::vector<int64_t>> shapesFor(int rank) {
  switch (rank) {
  case 1:
    // 2000: two tiles of lpq-buffer-random-words, the second partial.
    return {{1}, {17}, {1000}, {2000}, {0}};
  case 2:
    return {{1, 1}, {3, 5}, {7, 33}, {64, 65}, {3, 1100}, {0, 4}, {5, 0}};
  case 3:
    return {{2, 3, 5}, {1, 1, 1}};
  default:
    return {{2, 1, 3, 4}, {3, 2, 2, 7}};
  }
}

/// Random values over many binades with special values mixed in.
std::vector<float> makeInput(int64_t n, std::mt19937 &rng) {
  const float specials[] = {0.0f,
                            -0.0f,
                            std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::denorm_min(),
                            -3 * std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::min(),
                            std::numeric_limits<float>::max(),
                            -1e30f,
                            0.5f,
                            -1.0625f};
  std::normal_distribution<float> normal(0, 1);
  std::uniform_int_distribution<int> scale(-12, 12);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<float> x(n);
  for (float &v : x) {
    int p = pick(rng);
    if (p < 4)
      v = specials[pick(rng) % (sizeof(specials) / sizeof(float))];
    else
      v = std::ldexp(normal(rng), scale(rng));
  }
  return x;
}

/// Normal values times one power of two for the whole tensor, 2^-140 to
/// 2^12, no special values: a tensor's blocks all have exponents near that
/// power, so that across shapes and kernels some have grid steps 2^s with
/// s in [-127, 0] (the block rounding's one-scaling fast path,
/// lpq-unswitch-fast-paths) and some not (values from 2^7 up, or all below
/// 2^-121, subnormals included).
std::vector<float> makeNarrowInput(int64_t n, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0, 1);
  int power = std::uniform_int_distribution<int>(-140, 12)(rng);
  std::vector<float> x(n);
  for (float &v : x)
    v = std::ldexp(normal(rng), power);
  return x;
}

bool sameBits(float a, float b) {
  if (std::isnan(a) && std::isnan(b))
    return true;
  uint32_t ua, ub;
  std::memcpy(&ua, &a, 4);
  std::memcpy(&ub, &b, 4);
  return ua == ub;
}

class Differential : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    registry.insert<LPQDialect>();
    context = new MLIRContext(registry);
    context->loadAllAvailableDialects();
    source = buildModule(context, kernels);
  }
  static void TearDownTestSuite() {
    jits.clear();
    delete context;
  }

  /// The test module compiled with these options (cached).
  static JitModule &compiled(const JitOptions &options) {
    int key = options.threads * 2 + options.vectorize +
              4 * static_cast<int>(options.vectorWidth) +
              (options.cuda ? 1 << 20 : 0) +
              (options.gpuLoopsOnHost ? 1 << 21 : 0);
    auto it = jits.find(key);
    if (it != jits.end())
      return *it->second;
    return *(jits[key] = compileText(source, options));
  }

  /// `text` parsed and compiled with `options` (by default for the CPU);
  /// null, with a failure that says why, when either step fails.
  static std::unique_ptr<JitModule>
  compileText(llvm::StringRef text, const JitOptions &options = JitOptions{}) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, context);
    if (!module) {
      ADD_FAILURE() << "the test module does not parse";
      return nullptr;
    }
    std::string error;
    std::unique_ptr<JitModule> jit =
        JitModule::compile(*module, options, error);
    if (!jit)
      ADD_FAILURE() << error;
    return jit;
  }

  /// Runs every kernel on every shape and compares with the reference.
  void checkAll(bool threads, bool vectorize, int numThreads,
                unsigned vectorWidth = 0) {
    checkAll(JitOptions{threads, vectorize, vectorWidth, false}, numThreads);
  }

  void checkAll(const JitOptions &options, int numThreads,
                std::vector<float> (*makeValues)(int64_t,
                                                 std::mt19937 &) = makeInput) {
    JitModule &jit = compiled(options);
    setNumThreads(numThreads);
    std::mt19937 rng(20261123);
    int64_t compared = 0, mismatches = 0;
    for (const Kernel &k : kernels) {
      auto format = cast<FormatAttrInterface>(parseAttribute(k.format, context))
                        .getNumericsFormat();
      std::vector<std::vector<int64_t>> shapes =
          k.shape.empty() ? shapesFor(k.rank)
                          : std::vector<std::vector<int64_t>>{k.shape};
      for (const std::vector<int64_t> &shape : shapes) {
        Array x = Array::zeros(DType::F32, shape);
        std::vector<float> values = makeValues(x.numElements(), rng);
        std::memcpy(x.bytes.data(), values.data(), values.size() * 4);
        std::vector<Argument> args{Argument::of(x)};
        numerics::RandomStream random{0x0123456789abcdefULL, 5, 17};
        if (k.mode < 0) {
          args.push_back(
              Argument::ofInteger(static_cast<int64_t>(random.seed)));
          args.push_back(Argument::ofInteger(random.step));
        }
        std::string error;
        auto out = jit.run(k.name, args, error);
        ASSERT_TRUE(out) << error;
        std::vector<float> expected =
            k.mode < 0
                ? numerics::stochasticRound(values, shape, format, random)
                : numerics::quantize(values, shape, format,
                                     static_cast<numerics::Rounding>(k.mode));
        const float *got = (*out)[0].data<float>();
        for (size_t i = 0; i < expected.size(); ++i, ++compared) {
          if (sameBits(expected[i], got[i]))
            continue;
          if (++mismatches <= 10)
            ADD_FAILURE() << k.format << " "
                          << (k.mode < 0 ? "stochastic" : kModes[k.mode])
                          << (k.explicitScales ? " (explicit scales)" : "")
                          << " rank " << k.rank << " element " << i
                          << ": x = " << values[i] << ", expected "
                          << expected[i] << ", got " << got[i];
        }
      }
    }
    EXPECT_EQ(mismatches, 0) << "out of " << compared << " elements";
    EXPECT_GT(compared, 100000);
  }

  static inline MLIRContext *context;
  static inline std::string source;
  static inline std::vector<Kernel> kernels;
  static inline std::map<int, std::unique_ptr<JitModule>> jits;
};

} // namespace

TEST_F(Differential, TwoThreadsVectorized) { checkAll(true, true, 2); }
TEST_F(Differential, OneThreadVectorized) { checkAll(true, true, 1); }
TEST_F(Differential, SequentialScalar) { checkAll(false, false, 1); }
TEST_F(Differential, TwoThreads128BitVectors) { checkAll(true, true, 2, 128); }
TEST_F(Differential, NarrowRangeTensors) {
  checkAll(JitOptions{true, true, 0, false}, 2, makeNarrowInput);
}

/// The same kernels through lpq-gpu-pipeline on CUDA device 0, bit for bit
/// against the reference. Skipped (with the reason) without a CUDA device.
TEST_F(Differential, Cuda) {
  if (std::optional<std::string> why = cudaUnavailable())
    GTEST_SKIP() << "no CUDA device: " << *why;
  JitOptions options;
  options.cuda = true;
  checkAll(options, 0);
}

/// The GPU pipeline's loop nests (Philox groups per thread, several
/// iterations per thread, in-bounds checks; small blocks so that the odd
/// sizes end inside a block and inside a thread's iterations) run on the
/// host: the distribution over blocks and threads must not change a bit.
TEST_F(Differential, GPULoopsOnHost) {
  JitOptions options;
  options.gpuLoopsOnHost = true;
  options.gpuBlockSize = 32;
  options.gpuElementsPerThread = 3;
  checkAll(options, 1);
}

/// Stochastic decisions at their boundaries. Random inputs almost never land
/// where rounding up and keeping differ by one unit of the threshold (for
/// x < 0 the magnitude rounds up when ~bits < ceil(t), for x > 0 when
/// bits < floor(t), t = frac * 2^32): floor for ceil would pass them. Here
/// the inputs are built from each element's random bits u (bits, or ~bits
/// for x < 0) so that t is u, u + 1/2 or u + 1 (|x| = t * 2^-32 steps,
/// exact in float32 for u < 2^22), and every result is checked against the
/// reference and against the expected value: the float32 path of block
/// formats (dynamic shape, and a static one with Philox shared by four
/// elements), the float32 path of fixed point (16 bits) and its float64
/// path (32 bits).
TEST_F(Differential, StochasticDecisionBoundaries) {
  struct Case {
    const char *type, *format;
    float step;
    int64_t tile = 0; // MX: a 1 at the start of every tile fixes its scale
  };
  const Case cases[] = {
      {"tensor<?xf32>", "#lpq.block<8>", 0x1p-6f},
      {"tensor<512x2048xf32>", "#lpq.block<8>", 0x1p-6f},
      {"tensor<?xf32>", "#lpq.fixed<16, 8>", 0x1p-8f},
      {"tensor<?xf32>", "#lpq.fixed<32, 10>", 0x1p-10f},
      // Below the smallest subnormal step, 2^(minNormal - manBits).
      {"tensor<?xf32>", "#lpq.float<4, 3, fn>", 0x1p-9f},
      {"tensor<1024x1024xf32>", "#lpq.float<5, 2>", 0x1p-16f},
      // Tile scale 2^(0 - 8): steps of 2^(-6 - 8 - 3) below the tile's
      // smallest normal.
      {"tensor<1024x1024xf32>",
       "#lpq.mx<#lpq.float<4, 3, fn>, tile = 32, axis = [1]>", 0x1p-17f, 32},
  };
  constexpr int numCases = std::size(cases);
  std::string source;
  for (int c = 0; c < numCases; ++c)
    source += llvm::formatv(
        "func.func @sr{0}(%x: {1}, %seed: i64, %step: i32) -> {1} {{\n"
        "  %r = lpq.stochastic_round %x, %seed, %step : {1} to {2} "
        "stream 11\n  return %r : {1}\n}\n",
        c, cases[c].type, cases[c].format);
  std::unique_ptr<JitModule> jit = compileText(source);
  ASSERT_TRUE(jit);
  std::string error;
  const numerics::RandomStream random{0x9e3779b97f4a7c15ULL, 11, 3};
  const int64_t n = 512 * 2048;
  for (int c = 0; c < numCases; ++c) {
    auto format =
        cast<FormatAttrInterface>(parseAttribute(cases[c].format, context))
            .getNumericsFormat();
    std::vector<float> x(n), want(n, std::nanf(""));
    std::mt19937 rng(c);
    std::uniform_real_distribution<float> small(-0.5f, 0.5f);
    int64_t boundaries = 0;
    for (int64_t i = 0; i < n; ++i) {
      uint32_t bits =
          numerics::randomBits(random.seed, random.stream, random.step, i);
      bool negative = i % 2;
      uint32_t u = negative ? ~bits : bits;
      bool fixesScale = cases[c].tile ? i % cases[c].tile == 0 : i == 0;
      if (fixesScale || u >= (1u << 22)) {
        // x[0] = 1 fixes the block exponent at 0 (step 2^-6).
        x[i] = fixesScale ? 1.0f : small(rng) * (cases[c].tile ? 0.5f : 1.0f);
        continue;
      }
      ++boundaries;
      int kind = (i / 2) % 3; // t = u, u + 1/2, u + 1
      double t = u + 0.5 * kind;
      x[i] = static_cast<float>(std::ldexp(t, -32) * cases[c].step);
      bool up = negative ? u < std::ceil(t) : u < std::floor(t);
      if (negative) {
        x[i] = -x[i];
        want[i] = up ? -cases[c].step : -0.0f;
      } else {
        want[i] = up ? cases[c].step : 0.0f;
      }
    }
    EXPECT_GT(boundaries, 500);
    // The case's static shape, or n elements for a dynamic one.
    auto type = cast<RankedTensorType>(parseType(cases[c].type, context));
    std::vector<int64_t> shape = type.hasStaticShape()
                                     ? std::vector<int64_t>(type.getShape())
                                     : std::vector<int64_t>{n};
    Array xa = Array::zeros(DType::F32, shape);
    std::memcpy(xa.bytes.data(), x.data(), n * 4);
    auto seed = static_cast<int64_t>(random.seed);
    auto out = jit->run("sr" + std::to_string(c),
                        {Argument::of(xa), Argument::ofInteger(seed),
                         Argument::ofInteger(random.step)},
                        error);
    ASSERT_TRUE(out) << error;
    std::vector<float> expected =
        numerics::stochasticRound(x, shape, format, random);
    const float *got = (*out)[0].data<float>();
    int64_t mismatches = 0;
    for (int64_t i = 0; i < n; ++i) {
      bool ok = sameBits(expected[i], got[i]) &&
                (std::isnan(want[i]) || sameBits(want[i], got[i]));
      if (!ok && ++mismatches <= 10)
        ADD_FAILURE() << cases[c].format << " " << cases[c].type << " element "
                      << i << ": x = " << x[i] << ", reference " << expected[i]
                      << ", boundary value " << want[i] << ", got " << got[i];
    }
    EXPECT_EQ(mismatches, 0) << cases[c].format << " " << cases[c].type;
  }
}

/// Stochastic roundings marked lpq.expect_on_grid (lpq-skip-rounding-on-grid
/// checks whether the input lies on the grid and returns it if so) against
/// the reference, with the check on and off: inputs rounded onto the format
/// (the check passes), the same with one element moved off the grid by one
/// float32 ulp, and random inputs with special values.
TEST_F(Differential, SkipRoundingOnGrid) {
  const char *formats[] = {
      "#lpq.block<8, axis = [0]>", "#lpq.block<8>", "#lpq.fixed<8, 6>",
      "#lpq.float<4, 3, fn>",
      "#lpq.mx<#lpq.float<4, 3, fn>, tile = 32, axis = [1]>"};
  const std::vector<int64_t> shape{256, 512}; // at least min-elements
  const char *type = "tensor<256x512xf32>";
  std::string text;
  for (size_t f = 0; f < std::size(formats); ++f)
    text += llvm::formatv(
        "func.func @g{0}(%x: {1}, %seed: i64, %step: i32) -> {1} {{\n"
        "  %r = lpq.stochastic_round %x, %seed, %step : {1} to {2} "
        "stream 4 {{lpq.expect_on_grid}\n  return %r : {1}\n}\n",
        f, type, formats[f]);
  JitOptions noSkip;
  noSkip.skipOnGrid = false;
  std::unique_ptr<JitModule> skipping = compileText(text);
  std::unique_ptr<JitModule> plain = compileText(text, noSkip);
  ASSERT_TRUE(skipping && plain);
  const numerics::RandomStream random{0x243f6a8885a308d3ULL, 4, 9};
  std::mt19937 rng(4);
  int64_t n = shape[0] * shape[1];
  for (size_t f = 0; f < std::size(formats); ++f) {
    auto format = cast<FormatAttrInterface>(parseAttribute(formats[f], context))
                      .getNumericsFormat();
    std::vector<float> randomInput = makeInput(n, rng);
    std::vector<float> onGrid = numerics::quantize(
        randomInput, shape, format, numerics::Rounding::NearestEven);
    std::vector<float> offByOne = onGrid;
    for (int64_t i = n / 3;; ++i)
      if (std::isfinite(offByOne[i]) && offByOne[i] != 0) {
        offByOne[i] = std::nextafter(offByOne[i], 0.0f);
        break;
      }
    for (const auto *x : {&onGrid, &offByOne, &randomInput}) {
      std::vector<float> expected =
          numerics::stochasticRound(*x, shape, format, random);
      Array xa = Array::zeros(DType::F32, shape);
      std::memcpy(xa.bytes.data(), x->data(), n * 4);
      for (JitModule *jit : {skipping.get(), plain.get()}) {
        std::string error;
        auto out =
            jit->run("g" + std::to_string(f),
                     {Argument::of(xa),
                      Argument::ofInteger(static_cast<int64_t>(random.seed)),
                      Argument::ofInteger(random.step)},
                     error);
        ASSERT_TRUE(out) << error;
        const float *got = (*out)[0].data<float>();
        int64_t mismatches = 0;
        for (int64_t i = 0; i < n; ++i)
          if (!sameBits(expected[i], got[i]) && ++mismatches <= 5)
            ADD_FAILURE() << formats[f] << " input "
                          << (x == &onGrid     ? "on the grid"
                              : x == &offByOne ? "one element off the grid"
                                               : "random")
                          << (jit == plain.get() ? " (check off)" : "")
                          << " element " << i << ": x = " << (*x)[i]
                          << ", expected " << expected[i] << ", got " << got[i];
        EXPECT_EQ(mismatches, 0) << formats[f];
      }
    }
    // The two inputs differ where the check must see it.
    EXPECT_NE(std::memcmp(onGrid.data(), offByOne.data(), n * 4), 0);
  }
}

/// lpq.average against numerics::average.
TEST_F(Differential, Average) {
  std::unique_ptr<JitModule> jit = compileText(
      "func.func @avg(%a: tensor<?xf32>, %x: tensor<?xf32>, %n: i32) -> "
      "tensor<?xf32> {\n"
      "  %r = lpq.average %a, %x, %n : tensor<?xf32>\n"
      "  return %r : tensor<?xf32>\n}\n");
  ASSERT_TRUE(jit);
  std::string error;
  std::mt19937 rng(5);
  for (int n : {0, 1, 6, 1000}) {
    Array a = Array::zeros(DType::F32, {513}), x = a;
    std::vector<float> av = makeInput(513, rng), xv = makeInput(513, rng);
    std::memcpy(a.bytes.data(), av.data(), 513 * 4);
    std::memcpy(x.bytes.data(), xv.data(), 513 * 4);
    auto out = jit->run(
        "avg", {Argument::of(a), Argument::of(x), Argument::of(n)}, error);
    ASSERT_TRUE(out) << error;
    for (int i = 0; i < 513; ++i)
      ASSERT_TRUE(sameBits(numerics::average(av[i], xv[i], n),
                           (*out)[0].data<float>()[i]))
          << i;
  }
}

/// lpq.sq_select (with BWN and TWN as the quantized weights) against
/// numerics::sqSelect: the same rows kept, the same hybrid, bit for bit,
/// for static and dynamic shapes, several ratios, seeds and steps, and rows
/// of zeros (error 0: never kept).
// Level grids with data-dependent scales, lpq.grid_clamp and AskewSGD's
// direction on weight-like data (the special-value mix of checkAll makes
// those scales infinite): weights on grid points, at midpoints, zeros and a
// NaN among normal values; eps from feasible-everywhere to 0.
TEST_F(Differential, GridAndAskewDirection) {
  const char *grids[] = {"#lpq.grid<binary>",
                         "#lpq.grid<binary, scale = 1.0>",
                         "#lpq.grid<binary, scale = mean_abs>",
                         "#lpq.grid<levels = 8, scale = sawb>",
                         "#lpq.grid<levels = 7, scale = max_abs>",
                         "#lpq.grid<levels = 3, scale = 0.25>"};
  std::string text;
  for (auto [i, grid] : llvm::enumerate(grids)) {
    std::string n = std::to_string(i), g = grid;
    text += "func.func @askew" + n +
            "(%w: tensor<?x?xf32>, %g: tensor<?x?xf32>, %eps: f32, %lr: f32) "
            "-> tensor<?x?xf32> {\n  %d = lpq.askew_direction %w, %g, %eps, "
            "%lr : tensor<?x?xf32> on " +
            g + " alpha 0.5\n  return %d : tensor<?x?xf32>\n}\n";
    text += "func.func @clamp" + n +
            "(%w: tensor<?x?xf32>) -> tensor<?x?xf32> {\n  %c = "
            "lpq.grid_clamp %w : tensor<?x?xf32> to " +
            g + "\n  return %c : tensor<?x?xf32>\n}\n";
    text += "func.func @round" + n +
            "(%w: tensor<?x?xf32>, %s: i64, %t: i32) -> (tensor<?x?xf32>, "
            "tensor<?x?xf32>) {\n  %q = lpq.quantize %w : tensor<?x?xf32> to " +
            g +
            "\n  %r = lpq.stochastic_round %w, %s, %t : tensor<?x?xf32> "
            "to " +
            g +
            " stream 2\n  return %q, %r : tensor<?x?xf32>, "
            "tensor<?x?xf32>\n}\n";
  }
  // A given (frozen) scale instead of the tensor's own.
  text += R"mlir(
func.func @frozen(%w: tensor<?x?xf32>, %g: tensor<?x?xf32>, %eps: f32,
                  %lr: f32, %s: f32)
    -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) {
  %d = lpq.askew_direction %w, %g, %eps, %lr scale %s : tensor<?x?xf32>
      on #lpq.grid<levels = 8, scale = sawb> alpha 1.0
  %c = lpq.grid_clamp %w scale %s : tensor<?x?xf32>
      to #lpq.grid<levels = 8, scale = sawb>
  %q = lpq.quantize %w grid_scale %s : tensor<?x?xf32>
      to #lpq.grid<levels = 8, scale = sawb> rounding nearest_away
  return %d, %c, %q : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
}
)mlir";
  std::unique_ptr<JitModule> jit = compileText(text);
  ASSERT_TRUE(jit);
  std::string error;
  {
    std::mt19937 frozenRng(5);
    std::normal_distribution<float> normal(0, 0.05f);
    std::vector<int64_t> shape = {9, 31};
    Array w = Array::zeros(DType::F32, shape), g = w;
    for (int64_t k = 0; k < w.numElements(); ++k) {
      w.data<float>()[k] = normal(frozenRng);
      g.data<float>()[k] = normal(frozenRng);
    }
    std::vector<float> wv(w.data<float>(), w.data<float>() + w.numElements());
    std::vector<float> gv(g.data<float>(), g.data<float>() + g.numElements());
    numerics::LevelGrid sawb{8, numerics::LevelGrid::Scale::SAWB};
    float scale = 0.01f, eps = 0.01f, lr = 0.1f;
    auto out = jit->run("frozen",
                        {Argument::of(w), Argument::of(g),
                         Argument::of(static_cast<double>(eps)),
                         Argument::of(static_cast<double>(lr)),
                         Argument::of(static_cast<double>(scale))},
                        error);
    ASSERT_TRUE(out) << error;
    std::vector<float> d =
        numerics::askewDirection(wv, gv, shape, sawb, eps, 1.0, lr, scale);
    std::vector<float> c = numerics::gridClamp(wv, shape, sawb, scale);
    std::vector<float> q = numerics::quantizeOnGrid(
        wv, sawb, scale, numerics::Rounding::NearestAway);
    for (size_t k = 0; k < wv.size(); ++k) {
      ASSERT_TRUE(sameBits(d[k], (*out)[0].data<float>()[k])) << k;
      ASSERT_TRUE(sameBits(c[k], (*out)[1].data<float>()[k])) << k;
      ASSERT_TRUE(sameBits(q[k], (*out)[2].data<float>()[k])) << k;
    }
    // The frozen scale is not the tensor's own: the box is +-0.08.
    EXPECT_EQ(*std::max_element(c.begin(), c.end()), 0.08f);
  }
  std::mt19937 rng(23);
  std::normal_distribution<float> normal(0, 1);
  int64_t skewed = 0, compared = 0;
  for (auto [i, grid] : llvm::enumerate(grids)) {
    auto format = std::get<numerics::LevelGrid>(
        cast<FormatAttrInterface>(parseAttribute(grid, context))
            .getNumericsFormat());
    std::string n = std::to_string(i);
    for (std::vector<int64_t> shape :
         {std::vector<int64_t>{16, 33}, {1, 5}, {0, 3}, {300, 7}}) {
      Array w = Array::zeros(DType::F32, shape), g = w;
      std::vector<float> wv(w.numElements()), gv(wv.size());
      for (size_t k = 0; k < wv.size(); ++k) {
        wv[k] = 0.05f * normal(rng);
        gv[k] = (k % 5 == 0 ? 10.0f : 0.01f) * normal(rng);
      }
      // Grid points and midpoints of the fixed-scale grids, zeros, a NaN.
      for (size_t k = 0; k + 7 < wv.size(); k += 7) {
        wv[k] = 0.5f * static_cast<float>(k % 3);
        wv[k + 1] = 0.125f * static_cast<float>(k % 5);
        wv[k + 2] = 0.0f;
      }
      if (wv.size() > 40)
        wv[40] = std::numeric_limits<float>::quiet_NaN();
      std::memcpy(w.bytes.data(), wv.data(), wv.size() * 4);
      std::memcpy(g.bytes.data(), gv.data(), gv.size() * 4);
      for (float eps : {1.0f, 0.0625f, 1e-3f, 0.0f}) {
        float lr = 0.05f;
        auto out = jit->run("askew" + n,
                            {Argument::of(w), Argument::of(g),
                             Argument::of(static_cast<double>(eps)),
                             Argument::of(static_cast<double>(lr))},
                            error);
        ASSERT_TRUE(out) << error;
        std::vector<float> expected =
            numerics::askewDirection(wv, gv, shape, format, eps, 0.5, lr);
        for (size_t k = 0; k < expected.size(); ++k, ++compared) {
          skewed += !std::isnan(wv[k]) && expected[k] != gv[k];
          ASSERT_TRUE(sameBits(expected[k], (*out)[0].data<float>()[k]))
              << grid << " eps " << eps << " element " << k << ": w = " << wv[k]
              << ", g = " << gv[k] << ", expected " << expected[k] << ", got "
              << (*out)[0].data<float>()[k];
        }
      }
      auto clamped = jit->run("clamp" + n, {Argument::of(w)}, error);
      ASSERT_TRUE(clamped) << error;
      std::vector<float> expected = numerics::gridClamp(wv, shape, format);
      for (size_t k = 0; k < expected.size(); ++k, ++compared)
        ASSERT_TRUE(sameBits(expected[k], (*clamped)[0].data<float>()[k]))
            << grid << " clamp element " << k;
      numerics::RandomStream random{0xabcULL, 2, 9};
      auto rounded =
          jit->run("round" + n,
                   {Argument::of(w),
                    Argument::ofInteger(static_cast<int64_t>(random.seed)),
                    Argument::ofInteger(random.step)},
                   error);
      ASSERT_TRUE(rounded) << error;
      std::vector<float> nearest = numerics::quantize(
          wv, shape, format, numerics::Rounding::NearestEven);
      std::vector<float> stochastic =
          numerics::stochasticRound(wv, shape, format, random);
      for (size_t k = 0; k < nearest.size(); ++k, compared += 2) {
        ASSERT_TRUE(sameBits(nearest[k], (*rounded)[0].data<float>()[k]))
            << grid << " nearest element " << k;
        ASSERT_TRUE(sameBits(stochastic[k], (*rounded)[1].data<float>()[k]))
            << grid << " stochastic element " << k;
      }
    }
  }
  // The skewed branch is exercised, not only the plain gradient.
  EXPECT_GT(skewed, 1000);
  EXPECT_GT(compared, 50000);
}

TEST_F(Differential, SQSelect) {
  using numerics::SQSelection;
  struct Case {
    std::vector<int64_t> shape;
    const char *type; // the kernel's tensor type (dim 0 dynamic or not)
    const char *format;
    double ratio;
    uint32_t stream;
    SQSelection selection = SQSelection::Code;
  };
  std::vector<Case> cases = {
      {{40, 7}, "tensor<?x7xf32>", "#lpq.binary", 0.75, 3, SQSelection::Linear},
      {{9, 7}, "tensor<?x7xf32>", "#lpq.ternary", 0.5, 4, SQSelection::Softmax},
      {{17, 7}, "tensor<?x7xf32>", "#lpq.binary", 0.5, 5, SQSelection::Sigmoid},
      {{16, 7},
       "tensor<?x7xf32>",
       "#lpq.binary",
       0.875,
       6,
       SQSelection::Constant},
      {{0, 7}, "tensor<?x7xf32>", "#lpq.binary", 0.75, 3, SQSelection::Linear},
      {{40, 7}, "tensor<?x7xf32>", "#lpq.binary", 0.5, 3},
      {{1, 7}, "tensor<?x7xf32>", "#lpq.binary", 0.5, 3},
      {{0, 7}, "tensor<?x7xf32>", "#lpq.binary", 0.5, 3},
      {{24, 3, 2}, "tensor<24x3x2xf32>", "#lpq.ternary", 0.875, 9},
      {{13, 5}, "tensor<?x5xf32>", "#lpq.binary", 0.0, 1}};
  const char *selections[] = {"code", "constant", "linear", "softmax",
                              "sigmoid"};
  // One kernel per case: the format, then the selection of its rows.
  std::string text;
  for (auto [i, c] : llvm::enumerate(cases)) {
    std::string t = c.type;
    text += "func.func @c" + std::to_string(i) + "(%w: " + t +
            ", %s: i64, %t: i32) -> " + t +
            " {\n  %q = lpq.quantize %w : " + t + " to " + c.format +
            "\n  %h = lpq.sq_select %w, %q, %s, %t : " + t + " ratio " +
            std::to_string(c.ratio) + " stream " + std::to_string(c.stream) +
            " selection " + selections[static_cast<int>(c.selection)] +
            "\n  return %h : " + t + "\n}\n";
  }
  std::unique_ptr<JitModule> jit = compileText(text);
  ASSERT_TRUE(jit);
  std::string error;
  std::mt19937 rng(11);
  int64_t keptTotal = 0;
  for (auto [k, c] : llvm::enumerate(cases))
    for (uint32_t step : {0u, 1u, 77u}) {
      Array w = Array::zeros(DType::F32, c.shape);
      std::vector<float> values(w.numElements());
      std::normal_distribution<float> normal(0, 1);
      for (size_t i = 0; i < values.size(); ++i)
        values[i] = normal(rng);
      // Zero rows (error 0) and a NaN-free mix of scales.
      if (c.shape[0] > 3)
        for (int64_t i = 0; i < w.numElements() / c.shape[0]; ++i)
          values[2 * (w.numElements() / c.shape[0]) + i] = 0.0f;
      std::memcpy(w.bytes.data(), values.data(), values.size() * 4);
      numerics::RandomStream random{0xfeedULL + step, c.stream, step};
      auto out =
          jit->run("c" + std::to_string(k),
                   {Argument::of(w),
                    Argument::ofInteger(static_cast<int64_t>(random.seed)),
                    Argument::ofInteger(step)},
                   error);
      ASSERT_TRUE(out) << error;
      std::vector<float> q = numerics::quantize(
          values, c.shape,
          cast<FormatAttrInterface>(parseAttribute(c.format, context))
              .getNumericsFormat(),
          numerics::Rounding::NearestEven);
      std::vector<float> expected =
          numerics::sqSelect(values, q, c.shape, c.ratio, random, c.selection);
      std::vector<bool> kept = numerics::sqKeptRows(values, q, c.shape, c.ratio,
                                                    random, c.selection);
      keptTotal += std::count(kept.begin(), kept.end(), true);
      for (size_t i = 0; i < expected.size(); ++i)
        ASSERT_TRUE(sameBits(expected[i], (*out)[0].data<float>()[i]))
            << "case " << k << " step " << step << " element " << i;
    }
  // Code rule: floor(0.5 * 40) + floor(0.5 * 1) + floor(0.125 * 24) + 13
  // rows; paper rules (the rest quantized): floor(0.25 * 40) +
  // floor(0.5 * 17) + floor(0.125 * 16), and for softmax on 9 rows 8 kept,
  // not 4: the zero row's x = 1e7 leaves every other row a weight of
  // exp(x - 1e7) = 0, so after it the draws pick nothing; x 3 steps.
  EXPECT_EQ(keptTotal, 3 * (20 + 0 + 3 + 13 - 1 + 10 + 8 + 8 + 2));
}

/// lpq-portable-math's float32 exp and log (polynomials of IEEE operations
/// and fmas, the same on every backend) against float64 exp and log
/// rounded to float32, on 2^20 inputs each: exp on [-87, 88], log over
/// 2^-115 .. 2^115. Prints the figures docs/usage.md quotes (exp at most
/// 1.01 ulp, log 0.84 ulp): the bound is 1.5 ulp, since these are
/// approximations, not correctly rounded functions.
TEST_F(Differential, PortableMathAccuracy) {
  constexpr int64_t n = 1 << 20;
  std::string t = "tensor<" + std::to_string(n) + "xf32>";
  std::string text = "func.func @f(%x: " + t + ", %y: " + t + ") -> (" + t +
                     ", " + t + ") {\n  %e = tensor.empty() : " + t +
                     "\n  %r:2 = linalg.generic {indexing_maps = ["
                     "affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, "
                     "affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], "
                     "iterator_types = [\"parallel\"]} ins(%x, %y : " +
                     t + ", " + t + ") outs(%e, %e : " + t + ", " + t +
                     ") {\n  ^bb0(%a: f32, %b: f32, %o: f32, %p: f32):\n"
                     "    %u = math.exp %a : f32\n"
                     "    %v = math.log %b : f32\n"
                     "    linalg.yield %u, %v : f32, f32\n  } -> (" +
                     t + ", " + t + ")\n  return %r#0, %r#1 : " + t + ", " +
                     t + "\n}\n";
  std::unique_ptr<JitModule> jit = compileText(text);
  ASSERT_TRUE(jit);
  std::string error;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> expIn(-87.0f, 88.0f),
      logExp(-80.0f, 80.0f);
  Array x = Array::zeros(DType::F32, {n}), y = Array::zeros(DType::F32, {n});
  for (int64_t i = 0; i < n; ++i) {
    x.data<float>()[i] = expIn(rng);
    y.data<float>()[i] = std::exp(logExp(rng));
  }
  auto out = jit->run("f", {Argument::of(x), Argument::of(y)}, error);
  ASSERT_TRUE(out) << error;
  // |got - exact| in units of the last place of exact rounded to float32.
  auto measure = [](const char *name, const float *in, const float *got,
                    double (*exact)(double)) {
    double worst = 0;
    int64_t correct = 0;
    for (int64_t i = 0; i < n; ++i) {
      double e = exact(in[i]);
      float rounded = static_cast<float>(e);
      double ulp = std::nextafter(std::fabs(rounded),
                                  std::numeric_limits<float>::infinity()) -
                   std::fabs(rounded);
      worst = std::max(worst, std::fabs(got[i] - e) / ulp);
      correct += sameBits(got[i], rounded);
    }
    std::printf("portable %s: at most %.2f ulp, %.1f%% correctly rounded\n",
                name, worst, 100.0 * correct / n);
    return worst;
  };
  EXPECT_LT(measure("exp", x.data<float>(), (*out)[0].data<float>(),
                    [](double v) { return std::exp(v); }),
            1.5);
  EXPECT_LT(measure("log", y.data<float>(), (*out)[1].data<float>(),
                    [](double v) { return std::log(v); }),
            1.5);
}
