//===- UnrollRandomGroups.cpp - Unroll the words of a Philox group --------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Stochastic rounding of a static last axis that is a multiple of 4 loops
// over groups of four elements with the word of the Philox group innermost.
// LLVM hoists Philox out of the word loop but unrolls that loop only while
// the rounding body is under its size threshold, and vectorizes the group
// loop only once the word loop is gone. This pass fully unrolls innermost
// affine loops of at most `max-iterations` iterations that compute random
// bits (a multiplication by one of Philox's round multipliers).
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"
#include "RandomBits.h"

#include "mlir/Dialect/Affine/Analysis/LoopAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/LoopUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQUNROLLRANDOMGROUPSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// Whether `loop` has no nested loop and computes random bits.
bool isRandomGroupLoop(affine::AffineForOp loop) {
  bool nested = false, random = false;
  loop.getBody()->walk([&](Operation *op) {
    if (isa<affine::AffineForOp, affine::AffineParallelOp>(op))
      nested = true;
    else if (lpq::isPhiloxMultiply(op))
      random = true;
  });
  return random && !nested;
}

struct LPQUnrollRandomGroupsPass
    : mlir::lpq::impl::LPQUnrollRandomGroupsPassBase<
          LPQUnrollRandomGroupsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<affine::AffineForOp> loops;
    getOperation()->walk([&](affine::AffineForOp loop) {
      std::optional<uint64_t> trips = affine::getConstantTripCount(loop);
      if (trips && *trips <= maxIterations && isRandomGroupLoop(loop))
        loops.push_back(loop);
    });
    for (affine::AffineForOp loop : loops)
      if (failed(affine::loopUnrollFull(loop)))
        return signalPassFailure();
  }
};

} // namespace
