//===- PortableMath.cpp - Math functions every backend computes alike ----===//
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
// float32 square roots are correctly rounded on the CPU, but libdevice's
// __nv_sqrtf is sqrt.approx.f32 unless the __CUDA_PREC_SQRT reflection is
// set: they are computed in float64 and rounded to float32, which is
// correctly rounded (53 >= 2 * 24 + 2 bits) on every backend.
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

/// sqrt(x) for float32 x (scalar or vector) as float32(sqrt(float64(x))).
struct SqrtInFloat64 : OpRewritePattern<math::SqrtOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::SqrtOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return failure();
    Type wide = rewriter.getF64Type();
    if (auto vector = dyn_cast<VectorType>(type))
      wide = vector.clone(wide);
    Location loc = op.getLoc();
    Value x = arith::ExtFOp::create(rewriter, loc, wide, op.getOperand());
    Value root = math::SqrtOp::create(rewriter, loc, x);
    rewriter.replaceOpWithNewOp<arith::TruncFOp>(op, type, root);
    return success();
  }
};

struct LPQPortableMathPass
    : mlir::lpq::impl::LPQPortableMathPassBase<LPQPortableMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) {
          // Upstream passes operation names ("math.exp").
          return name.consume_front("math.") && kPortable.contains(name);
        });
    patterns.add<SqrtInFloat64>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
