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
    SmallVector<StochasticRoundOp> ops;
    getOperation().walk([&](StochasticRoundOp op) { ops.push_back(op); });
    if (renumber) {
      uint32_t next = 0;
      for (StochasticRoundOp op : ops)
        op.setStream(next++);
      return;
    }
    llvm::DenseSet<uint32_t> used;
    SmallVector<StochasticRoundOp> duplicates;
    for (StochasticRoundOp op : ops)
      if (!used.insert(op.getStream()).second)
        duplicates.push_back(op);
    uint32_t next = 0;
    for (StochasticRoundOp op : duplicates) {
      while (used.contains(next))
        ++next;
      used.insert(next);
      op.setStream(next);
    }
  }
};

} // namespace
