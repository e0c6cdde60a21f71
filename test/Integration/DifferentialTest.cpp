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
    return {{1}, {17}, {1000}, {0}};
  case 2:
    return {{1, 1}, {3, 5}, {7, 33}, {64, 65}, {0, 4}, {5, 0}};
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
              (options.cuda ? 1 << 20 : 0);
    auto it = jits.find(key);
    if (it != jits.end())
      return *it->second;
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, context);
    EXPECT_TRUE(module);
    std::string error;
    auto jit = JitModule::compile(*module, options, error);
    EXPECT_TRUE(jit) << error;
    return *(jits[key] = std::move(jit));
  }

  /// Runs every kernel on every shape and compares with the reference.
  void checkAll(bool threads, bool vectorize, int numThreads,
                unsigned vectorWidth = 0) {
    checkAll(JitOptions{threads, vectorize, vectorWidth, false}, numThreads);
  }

  void checkAll(const JitOptions &options, int numThreads) {
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
        std::vector<float> values = makeInput(x.numElements(), rng);
        std::memcpy(x.bytes.data(), values.data(), values.size() * 4);
        std::vector<Argument> args{Argument::of(x)};
        numerics::RandomStream random{0x0123456789abcdefULL, 5, 17};
        if (k.mode < 0) {
          args.push_back(Argument::ofInteger(static_cast<int64_t>(random.seed)));
          args.push_back(Argument::ofInteger(random.step));
        }
        std::string error;
        auto out = jit.run(k.name, args, error);
        ASSERT_TRUE(out) << error;
        std::vector<float> expected =
            k.mode < 0 ? numerics::stochasticRound(values, shape, format,
                                                   random)
                       : numerics::quantize(
                             values, shape, format,
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

/// The same kernels through lpq-gpu-pipeline on CUDA device 0, bit for bit
/// against the reference. Skipped (with the reason) without a CUDA device.
TEST_F(Differential, Cuda) {
  if (std::optional<std::string> why = cudaUnavailable())
    GTEST_SKIP() << "no CUDA device: " << *why;
  JitOptions options;
  options.cuda = true;
  checkAll(options, 0);
}

/// lpq.average against numerics::average.
TEST_F(Differential, Average) {
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      "func.func @avg(%a: tensor<?xf32>, %x: tensor<?xf32>, %n: i32) -> "
      "tensor<?xf32> {\n"
      "  %r = lpq.average %a, %x, %n : tensor<?xf32>\n"
      "  return %r : tensor<?xf32>\n}\n",
      context);
  ASSERT_TRUE(module);
  std::string error;
  auto jit = JitModule::compile(*module, JitOptions{}, error);
  ASSERT_TRUE(jit) << error;
  std::mt19937 rng(5);
  for (int n : {0, 1, 6, 1000}) {
    Array a = Array::zeros(DType::F32, {513}), x = a;
    std::vector<float> av = makeInput(513, rng), xv = makeInput(513, rng);
    std::memcpy(a.bytes.data(), av.data(), 513 * 4);
    std::memcpy(x.bytes.data(), xv.data(), 513 * 4);
    auto out = jit->run("avg", {Argument::of(a), Argument::of(x),
                                Argument::of(n)},
                        error);
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
TEST_F(Differential, SQSelect) {
  const char *text = R"mlir(
func.func @bwn(%w: tensor<?x7xf32>, %s: i64, %t: i32) -> tensor<?x7xf32> {
  %q = lpq.quantize %w : tensor<?x7xf32> to #lpq.binary
  %h = lpq.sq_select %w, %q, %s, %t : tensor<?x7xf32> ratio 0.5 stream 3
  return %h : tensor<?x7xf32>
}
func.func @twn(%w: tensor<24x3x2xf32>, %s: i64, %t: i32) -> tensor<24x3x2xf32> {
  %q = lpq.quantize %w : tensor<24x3x2xf32> to #lpq.ternary
  %h = lpq.sq_select %w, %q, %s, %t : tensor<24x3x2xf32> ratio 0.875 stream 9
  return %h : tensor<24x3x2xf32>
}
func.func @none(%w: tensor<?x5xf32>, %s: i64, %t: i32) -> tensor<?x5xf32> {
  %q = lpq.quantize %w : tensor<?x5xf32> to #lpq.binary
  %h = lpq.sq_select %w, %q, %s, %t : tensor<?x5xf32> ratio 0.0 stream 1
  return %h : tensor<?x5xf32>
}
)mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, context);
  ASSERT_TRUE(module);
  std::string error;
  auto jit = JitModule::compile(*module, JitOptions{}, error);
  ASSERT_TRUE(jit) << error;
  std::mt19937 rng(11);
  struct Case {
    const char *name;
    std::vector<int64_t> shape;
    double ratio;
    uint32_t stream;
    numerics::Format format;
  };
  std::vector<Case> cases = {
      {"bwn", {40, 7}, 0.5, 3, numerics::RowBinary{}},
      {"bwn", {1, 7}, 0.5, 3, numerics::RowBinary{}},
      {"bwn", {0, 7}, 0.5, 3, numerics::RowBinary{}},
      {"twn", {24, 3, 2}, 0.875, 9, numerics::RowTernary{}},
      {"none", {13, 5}, 0.0, 1, numerics::RowBinary{}}};
  int64_t keptTotal = 0;
  for (const Case &c : cases)
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
      auto out = jit->run(c.name,
                          {Argument::of(w),
                           Argument::ofInteger(static_cast<int64_t>(random.seed)),
                           Argument::ofInteger(step)},
                          error);
      ASSERT_TRUE(out) << error;
      std::vector<float> q =
          numerics::quantize(values, c.shape, c.format,
                             numerics::Rounding::NearestEven);
      std::vector<float> expected =
          numerics::sqSelect(values, q, c.shape, c.ratio, random);
      std::vector<bool> kept =
          numerics::sqKeptRows(values, q, c.shape, c.ratio, random);
      keptTotal += std::count(kept.begin(), kept.end(), true);
      for (size_t i = 0; i < expected.size(); ++i)
        ASSERT_TRUE(sameBits(expected[i], (*out)[0].data<float>()[i]))
            << c.name << " step " << step << " element " << i;
    }
  // floor(0.5 * 40) + floor(0.5 * 1) + floor(0.125 * 24) + 13 rows, x 3.
  EXPECT_EQ(keptTotal, 3 * (20 + 0 + 3 + 13 - 1));
}
