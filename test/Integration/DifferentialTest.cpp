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

const char *kModes[] = {"nearest_even", "nearest_away", "toward_zero", "down",
                        "up"};

/// One kernel of the test module.
struct Kernel {
  std::string name;
  std::string format;       // attribute text
  int rank;
  int mode;                 // index into kModes, or -1: stochastic
  bool explicitScales = false;
  /// Static shape; empty for dynamically shaped kernels.
  std::vector<int64_t> shape = {};
};

/// Statically shaped cases: these take the split paths of the expansion
/// (tiles that divide their axis become inner loops; stochastic rounding of
/// a last axis that is a multiple of 4 computes Philox once per group).
struct StaticCase {
  std::string format;
  std::vector<int64_t> shape;
};

std::vector<StaticCase> staticCases() {
  return {
      {"#lpq.fixed<8, 6>", {6, 32}},
      {"#lpq.fixed<8, 6>", {3, 5, 8}},
      {"#lpq.float<4, 3, fn>", {12}},
      {"#lpq.float<5, 2, nonsaturating>", {7, 4}},
      {"#lpq.block<8, axis = [0]>", {5, 12}},
      {"#lpq.block<8, axis = [1]>", {5, 12}},
      {"#lpq.block<4, tile = 4, axis = [1]>", {3, 16}},
      {"#lpq.block<6, tile = 3, axis = [1]>", {4, 9}},
      {"#lpq.block<6, tile = 2, axis = [0]>", {6, 8}},
      {"#lpq.block<8, tile = 8, axis = [1]>", {3, 20}},
      {"#lpq.mx<#lpq.float<4, 3, fn>, tile = 32, axis = [1]>", {4, 64}},
      {"#lpq.mx<#lpq.float<5, 2>, tile = 6, axis = [1]>", {2, 12}},
      {"#lpq.mx<#lpq.float<2, 1, none>, tile = 4, axis = [0]>", {8, 4}},
  };
}

std::string staticType(const std::vector<int64_t> &shape, const char *elt) {
  std::string t = "tensor<";
  for (int64_t d : shape)
    t += std::to_string(d) + "x";
  return t + elt + ">";
}

/// Formats by the ranks they are tested on.
struct FormatCase {
  std::string text;
  std::vector<int> ranks;
  bool rowFormat = false;
};

std::vector<FormatCase> formatCases() {
  std::vector<int> all{1, 2, 3, 4}, two{2};
  return {
      {"#lpq.fixed<8, 6>", all},
      {"#lpq.fixed<8, 0, symmetric>", two},
      {"#lpq.fixed<16, 14>", two},
      {"#lpq.fixed<4, -2>", two},
      {"#lpq.fixed<32, 10>", two},
      {"#lpq.float<4, 3, fn>", all},
      {"#lpq.float<4, 3, fn, nonsaturating>", two},
      {"#lpq.float<5, 2>", two},
      {"#lpq.float<5, 2, nonsaturating>", two},
      {"#lpq.float<5, 10, none>", two},
      {"#lpq.float<8, 7>", two},
      {"#lpq.float<2, 1, none>", two},
      {"#lpq.float<3, 0>", two},
      {"#lpq.block<8>", all},
      {"#lpq.block<8, axis = [0]>", all},
      {"#lpq.block<8, axis = [1]>", two},
      {"#lpq.block<4, tile = 3, axis = [1]>", two},
      {"#lpq.block<6, tile = 2, axis = [0], exp_bits = 4>", two},
      {"#lpq.block<30, axis = [0]>", two},
      {"#lpq.mx<#lpq.float<4, 3, fn>, tile = 32, axis = [1]>", two},
      {"#lpq.mx<#lpq.float<5, 2>, tile = 4, axis = [0]>", all},
      {"#lpq.mx<#lpq.float<2, 1, none>, tile = 5, axis = [1]>", two},
      {"#lpq.mx<#lpq.float<4, 3, fn, nonsaturating>, tile = 3, axis = [1]>",
       two},
      {"#lpq.binary", all, true},
      {"#lpq.binary<axis = 1>", two, true},
      {"#lpq.ternary", all, true},
      {"#lpq.ternary<threshold = 0.5, axis = 1>", two, true},
  };
}

std::string tensorType(int rank) {
  std::string t = "tensor<";
  for (int i = 0; i < rank; ++i)
    t += "?x";
  return t + "f32>";
}

/// lpq.block_scale's result type for `format` on a dynamically shaped
/// tensor of this rank.
std::string scaleType(MLIRContext *ctx, const std::string &format, int rank) {
  numerics::Format f =
      cast<FormatAttrInterface>(parseAttribute(format, ctx)).getNumericsFormat();
  const numerics::Blocking &blocking =
      std::holds_alternative<numerics::BlockFloat>(f)
          ? std::get<numerics::BlockFloat>(f).blocking
          : std::get<numerics::ScaledFloat>(f).blocking;
  auto input = RankedTensorType::get(
      SmallVector<int64_t>(rank, ShapedType::kDynamic), Float32Type::get(ctx));
  std::string s;
  llvm::raw_string_ostream os(s);
  os << blockScaleType(input, blocking);
  return s;
}

/// The test module: one function per kernel.
std::string buildModule(MLIRContext *ctx, std::vector<Kernel> &kernels) {
  std::string m;
  int id = 0;
  for (const FormatCase &fc : formatCases()) {
    for (int rank : fc.ranks) {
      std::string t = tensorType(rank);
      auto add = [&](int mode, bool scales) {
        Kernel k{"k" + std::to_string(id++), fc.text, rank, mode, scales};
        if (mode < 0) {
          m += "func.func @" + k.name + "(%x: " + t +
               ", %seed: i64, %step: i32) -> " + t + " {\n";
          std::string s = scales ? " scales %e" : "";
          std::string st = scales ? ", " + scaleType(ctx, fc.text, rank) : "";
          if (scales)
            m += "  %e = lpq.block_scale %x : " + t + " for " + fc.text + "\n";
          m += "  %q = lpq.stochastic_round %x, %seed, %step" + s + " : " +
               t + st + " to " + fc.text + " stream 5\n";
        } else {
          m += "func.func @" + k.name + "(%x: " + t + ") -> " + t + " {\n";
          std::string s = scales ? " scales %e" : "";
          std::string st = scales ? ", " + scaleType(ctx, fc.text, rank) : "";
          if (scales)
            m += "  %e = lpq.block_scale %x : " + t + " for " + fc.text + "\n";
          m += "  %q = lpq.quantize %x" + s + " : " + t + st + " to " +
               fc.text;
          if (!fc.rowFormat)
            m += " rounding " + std::string(kModes[mode]);
          m += "\n";
        }
        m += "  return %q : " + t + "\n}\n";
        kernels.push_back(k);
      };
      if (fc.rowFormat) {
        add(0, false);
        continue;
      }
      for (int mode = -1; mode < 5; ++mode)
        add(mode, false);
      if (fc.text.find("block<") != std::string::npos ||
          fc.text.find("mx<") != std::string::npos) {
        add(0, true);
        add(-1, true);
      }
    }
  }
  for (const StaticCase &sc : staticCases()) {
    std::string t = staticType(sc.shape, "f32");
    for (int mode : {-1, 0, 3}) {
      Kernel k{"s" + std::to_string(id++), sc.format,
               static_cast<int>(sc.shape.size()), mode, false, sc.shape};
      if (mode < 0)
        m += "func.func @" + k.name + "(%x: " + t +
             ", %seed: i64, %step: i32) -> " + t + " {\n" +
             "  %q = lpq.stochastic_round %x, %seed, %step : " + t + " to " +
             sc.format + " stream 5\n";
      else
        m += "func.func @" + k.name + "(%x: " + t + ") -> " + t + " {\n" +
             "  %q = lpq.quantize %x : " + t + " to " + sc.format +
             " rounding " + kModes[mode] + "\n";
      m += "  return %q : " + t + "\n}\n";
      kernels.push_back(k);
    }
  }
  return m;
}

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
  static JitModule &compiled(bool threads, bool vectorize,
                             unsigned vectorWidth = 0) {
    int key = threads * 2 + vectorize + 4 * static_cast<int>(vectorWidth);
    auto it = jits.find(key);
    if (it != jits.end())
      return *it->second;
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, context);
    EXPECT_TRUE(module);
    std::string error;
    auto jit = JitModule::compile(
        *module, JitOptions{threads, vectorize, vectorWidth}, error);
    EXPECT_TRUE(jit) << error;
    return *(jits[key] = std::move(jit));
  }

  /// Runs every kernel on every shape and compares with the reference.
  void checkAll(bool threads, bool vectorize, int numThreads,
                unsigned vectorWidth = 0) {
    JitModule &jit = compiled(threads, vectorize, vectorWidth);
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
