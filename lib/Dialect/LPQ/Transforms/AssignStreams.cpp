//===- AssignStreams.cpp - Distinct random streams per op -----------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/IR/LPQOps.h"
#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "llvm/ADT/DenseSet.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQASSIGNSTREAMSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;
using namespace mlir::lpq;

namespace {

struct LPQAssignStreamsPass
    : mlir::lpq::impl::LPQAssignStreamsPassBase<LPQAssignStreamsPass> {
  using Base::Base;

  void runOnOperation() override {
    // Every op that draws random bits: stochastic rounding and SQ's
    // selection share one stream space.
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<StochasticRoundOp, SQSelectOp>(op))
        ops.push_back(op);
    });
    auto streamOf = [](Operation *op) {
      return static_cast<uint32_t>(
          op->getAttrOfType<IntegerAttr>("stream").getInt());
    };
    auto setStream = [](Operation *op, uint32_t stream) {
      op->setAttr("stream", IntegerAttr::get(
                                IntegerType::get(op->getContext(), 32), stream));
    };
    if (renumber) {
      uint32_t next = 0;
      for (Operation *op : ops)
        setStream(op, next++);
      return;
    }
    llvm::DenseSet<uint32_t> used;
    SmallVector<Operation *> duplicates;
    for (Operation *op : ops)
      if (!used.insert(streamOf(op)).second)
        duplicates.push_back(op);
    uint32_t next = 0;
    for (Operation *op : duplicates) {
      while (used.contains(next))
        ++next;
      used.insert(next);
      setStream(op, next);
    }
  }
};

} // namespace
