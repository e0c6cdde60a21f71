//===- TestKernels.h - The kernels the integration tests compile ---*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// One module with a function per format x rounding mode x rank (dynamic
// shapes) plus statically shaped cases, shared by the CPU differential suite
// and the GPU code-generation tests.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_TEST_INTEGRATION_TESTKERNELS_H
#define LPQ_TEST_INTEGRATION_TESTKERNELS_H

#include "lpq/Dialect/LPQ/IR/LPQOps.h"

#include "mlir/AsmParser/AsmParser.h"

#include <string>
#include <vector>

namespace lpq_test {

using namespace mlir;
using namespace mlir::lpq;

inline const char *kModes[] = {"nearest_even", "nearest_away", "toward_zero", "down",
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

inline std::vector<StaticCase> staticCases() {
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
      // Axes with the same part in the blocking are merged into one loop.
      {"#lpq.float<4, 3, fn>", {2, 3, 5}},
      {"#lpq.block<8>", {4, 3, 6, 8}},
      {"#lpq.block<8, axis = [0]>", {3, 4, 6}},
      {"#lpq.block<8, axis = [0, 1]>", {2, 3, 5, 4}},
      {"#lpq.block<8, axis = [1]>", {2, 3, 4, 5}},
      {"#lpq.mx<#lpq.float<4, 3, fn>, tile = 4, axis = [2]>", {2, 3, 8, 5}},
  };
}

inline std::string staticType(const std::vector<int64_t> &shape, const char *elt) {
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

inline std::vector<FormatCase> formatCases() {
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
      {"#lpq.grid<binary>", all},
      {"#lpq.grid<levels = 3, scale = 0.25>", all},
      {"#lpq.grid<levels = 8, scale = sawb>", two},
      {"#lpq.grid<levels = 7, scale = max_abs>", two},
      {"#lpq.grid<binary, scale = mean_abs>", two},
  };
}

inline std::string tensorType(int rank) {
  std::string t = "tensor<";
  for (int i = 0; i < rank; ++i)
    t += "?x";
  return t + "f32>";
}

/// lpq.block_scale's result type for `format` on a dynamically shaped
/// tensor of this rank.
inline std::string scaleType(MLIRContext *ctx, const std::string &format, int rank) {
  numerics::Format f =
      cast<FormatAttrInterface>(parseAttribute(format, ctx)).getNumericsFormat();
  const numerics::Blocking &blocking = *numerics::blockingOf(f);
  auto input = RankedTensorType::get(
      SmallVector<int64_t>(rank, ShapedType::kDynamic), Float32Type::get(ctx));
  std::string s;
  llvm::raw_string_ostream os(s);
  os << blockScaleType(input, blocking);
  return s;
}

/// The test module: one function per kernel.
inline std::string buildModule(MLIRContext *ctx, std::vector<Kernel> &kernels) {
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

} // namespace lpq_test

#endif // LPQ_TEST_INTEGRATION_TESTKERNELS_H
