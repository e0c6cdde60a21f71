//===- UnshareDestinations.cpp - One destination tensor per op ------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQUNSHAREDESTINATIONSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// A fresh tensor.empty (or fill of a fresh tensor.empty) like `def`,
/// built before `user`.
Value cloneDestination(Operation *def, Operation *user) {
  OpBuilder b(user);
  if (isa<tensor::EmptyOp>(def))
    return b.clone(*def)->getResult(0);
  auto fill = cast<linalg::FillOp>(b.clone(*def));
  OpOperand &out = fill.getDpsInitsMutable()[0];
  if (auto empty = out.get().getDefiningOp<tensor::EmptyOp>()) {
    b.setInsertionPoint(fill);
    out.set(b.clone(*empty)->getResult(0));
  }
  return fill.getResult(0);
}

struct LPQUnshareDestinationsPass
    : mlir::lpq::impl::LPQUnshareDestinationsPassBase<
          LPQUnshareDestinationsPass> {
  void runOnOperation() override {
    // The first destination use of each empty tensor or fill keeps it (in
    // program order); every later one gets a clone.
    llvm::DenseSet<Value> taken;
    getOperation()->walk([&](DestinationStyleOpInterface op) {
      for (OpOperand &init : op.getDpsInitsMutable()) {
        Value v = init.get();
        Operation *def = v.getDefiningOp();
        if (!isa<RankedTensorType>(v.getType()) ||
            !isa_and_present<tensor::EmptyOp, linalg::FillOp>(def))
          continue;
        if (!taken.insert(v).second)
          init.set(cloneDestination(def, op));
      }
    });
  }
};

} // namespace
