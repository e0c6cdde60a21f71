//===- PortableMath.cpp - float32 math functions every backend computes alike ===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// math.exp, math.log and the other float32 transcendental functions would
// become calls of the C library on the CPU (glibc's expf) and of libdevice
// on NVIDIA GPUs (__nv_expf, with ex2.approx): two implementations, whose
// last bits differ, and which also change with the glibc version. Upstream
// MLIR's polynomial approximations compute them from IEEE operations and
// fused multiply-adds only, which every backend rounds the same way, so a
// loss's exp and log give the same bits on the CPU and the GPU.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/StringSet.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQPORTABLEMATHPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// The functions replaced (float32 only; upstream has no float64
/// approximations).
const llvm::StringSet<> kPortable = {
    "exp", "expm1", "log", "log2", "log1p", "tanh", "erf", "erfc",
    "atan", "atan2", "sin", "cos", "asin", "acos", "cbrt"};

struct LPQPortableMathPass
    : mlir::lpq::impl::LPQPortableMathPassBase<LPQPortableMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) {
          // Upstream passes operation names ("math.exp").
          return name.consume_front("math.") && kPortable.contains(name);
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
