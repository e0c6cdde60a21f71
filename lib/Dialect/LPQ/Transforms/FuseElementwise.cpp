//===- FuseElementwise.cpp - Elementwise fusion without recomputation -----===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQFUSEELEMENTWISEPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

struct LPQFuseElementwisePass
    : mlir::lpq::impl::LPQFuseElementwisePassBase<LPQFuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      auto producer = fused->get().getDefiningOp<linalg::LinalgOp>();
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      return producer && consumer && producer->hasOneUse() &&
             producer.getNumLoops() == consumer.getNumLoops();
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
