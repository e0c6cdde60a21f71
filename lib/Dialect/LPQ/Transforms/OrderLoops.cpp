//===- OrderLoops.cpp - Contiguous innermost loops for reductions ---------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQORDERLOOPSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// How many operands of `op` have `dim` as their last, fastest-varying
/// index.
unsigned contiguousAlong(linalg::GenericOp op, unsigned dim) {
  unsigned count = 0;
  for (AffineMap map : op.getIndexingMapsArray()) {
    if (map.getNumResults() == 0)
      continue;
    auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (last && last.getPosition() == dim)
      ++count;
  }
  return count;
}

/// The order that walks memory contiguously in the innermost loop (new loop
/// i is old loop order[i]), or empty when the current one is as good.
SmallVector<unsigned> contiguousOrder(linalg::GenericOp op) {
  if (op.getNumReductionLoops() == 0 || op.getNumDpsInits() != 1)
    return {};
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() == 0 || !out.isProjectedPermutation())
    return {};
  unsigned numLoops = op.getNumLoops();
  unsigned inner = cast<AffineDimExpr>(out.getResults().back()).getPosition();
  if (inner == numLoops - 1 ||
      contiguousAlong(op, inner) <= contiguousAlong(op, numLoops - 1))
    return {};
  SmallVector<unsigned> order;
  for (AffineExpr e : out.getResults().drop_back())
    order.push_back(cast<AffineDimExpr>(e).getPosition());
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < numLoops; ++d)
    if (d != inner && !llvm::is_contained(order, d) &&
        iterators[d] == utils::IteratorType::parallel)
      order.push_back(d);
  for (unsigned d = 0; d < numLoops; ++d)
    if (iterators[d] == utils::IteratorType::reduction)
      order.push_back(d);
  order.push_back(inner);
  return order;
}

/// The new loop order for `op`, or empty when the current one is kept:
/// contiguous inner loops, and a parallel loop outermost, so that the loop
/// nest is one parallel loop over sequential ones (a reduction outermost
/// would run a parallel region per reduction step).
SmallVector<unsigned> betterOrder(linalg::GenericOp op) {
  SmallVector<unsigned> order = contiguousOrder(op);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (order.empty())
    order = llvm::to_vector(llvm::seq<unsigned>(0, op.getNumLoops()));
  auto parallel = llvm::find_if(order, [&](unsigned d) {
    return iterators[d] == utils::IteratorType::parallel;
  });
  if (parallel != order.end() && parallel != order.begin()) {
    unsigned d = *parallel;
    order.erase(parallel);
    order.insert(order.begin(), d);
  }
  if (llvm::equal(order, llvm::seq<unsigned>(0, op.getNumLoops())))
    return {};
  return order;
}

struct LPQOrderLoopsPass
    : mlir::lpq::impl::LPQOrderLoopsPassBase<LPQOrderLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> ops;
    getOperation()->walk([&](linalg::GenericOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : ops) {
      SmallVector<unsigned> order = betterOrder(op);
      if (order.empty())
        continue;
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, order)))
        return signalPassFailure();
    }
  }
};

} // namespace
