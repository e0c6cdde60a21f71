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

/// Fuses the producer of `operand`, an all-parallel generic with more than
/// one use, into the operand's owner, an all-parallel generic reading it
/// elementwise (identity maps on both sides), when every other user of the
/// producer comes after that consumer in the same block. The fused generic
/// also yields the producer's results that others read, and those replace
/// the producer's: each element is still computed once, and read from
/// memory once instead of twice.
bool fuseSharedProducer(RewriterBase &rewriter, OpOperand *operand) {
  auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  if (!producer || !consumer || producer->hasOneUse() ||
      !linalg::areElementwiseOpsFusable(operand) ||
      consumer.getNumParallelLoops() != consumer.getNumLoops() ||
      producer.getNumLoops() != consumer.getNumLoops() ||
      !consumer.getMatchingIndexingMap(operand).isIdentity() ||
      !producer.getIndexingMapMatchingResult(cast<OpResult>(operand->get()))
           .isIdentity())
    return false;
  Block *block = consumer->getBlock();
  if (producer->getBlock() != block)
    return false;
  for (OpOperand &use : producer->getUses()) {
    Operation *user = block->findAncestorOpInBlock(*use.getOwner());
    if (!user ||
        (user == consumer ? &use != operand : !consumer->isBeforeInBlock(user)))
      return false;
  }
  rewriter.setInsertionPoint(consumer);
  FailureOr<linalg::ElementwiseOpFusionResult> fused =
      linalg::fuseElementwiseOps(rewriter, operand);
  if (failed(fused))
    return false;
  for (auto [original, replacement] : fused->replacements)
    rewriter.replaceAllUsesWith(original, replacement);
  rewriter.eraseOp(consumer);
  rewriter.eraseOp(producer);
  return true;
}

/// Generics with a result nobody reads whose init the payload does read:
/// a sum into a filled tensor (the gradient of a parameter with one term)
/// that fused into a consumer yields it still. The init moves to the
/// inputs, after which the result is dead and goes (and a zero fill folds
/// into the payload): one write of the tensor less.
void readInitsOfDeadResults(Operation *root) {
  SmallVector<Operation *> ops;
  root->walk([&](linalg::GenericOp op) {
    if (llvm::any_of(op->getOpResults(), [&](OpResult result) {
          return result.use_empty() &&
                 !op.getMatchingBlockArgument(
                        op.getDpsInitOperand(result.getResultNumber()))
                      .use_empty();
        }))
      ops.push_back(op);
  });
  if (ops.empty())
    return;
  RewritePatternSet patterns(root->getContext());
  linalg::populateMoveInitOperandsToInputPattern(patterns);
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingOps);
  (void)applyOpPatternsGreedily(ops, std::move(patterns), config);
}

/// Applies fuseSharedProducer once; whether it fused anything.
bool fuseOneSharedProducer(Operation *root) {
  IRRewriter rewriter(root->getContext());
  WalkResult walk = root->walk([&](linalg::GenericOp consumer) {
    for (OpOperand *operand : consumer.getDpsInputOperands())
      if (fuseSharedProducer(rewriter, operand))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return walk.wasInterrupted();
}

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
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    FrozenRewritePatternSet frozen(std::move(patterns));
    // Single-use producers (upstream's patterns), then shared ones, which
    // can leave single-use producers behind.
    do {
      if (failed(applyPatternsGreedily(getOperation(), frozen)))
        return signalPassFailure();
    } while (fuseOneSharedProducer(getOperation()));
    readInitsOfDeadResults(getOperation());
    if (failed(applyPatternsGreedily(getOperation(), frozen)))
      return signalPassFailure();
  }
};

} // namespace
