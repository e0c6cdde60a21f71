//===- FuseRowLoops.cpp - Fuse loop nests that work row by row -----------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// A quantizer with one block per row (SWALP's weights, gradients, momentum
// and accumulator) lowers to three loop nests over the rows: the row's
// maximum, its exponent, the rounding. The optimizer update puts a dozen
// such nests one after another (the gradient's rounding, momentum and
// weights, their maxima and roundings), each a full pass over a tensor too
// big for the core's caches. Every one of them, and the contraction that
// produces the gradient, touches row i of every buffer it shares with the
// others only in its own iteration i.
//
// This pass fuses consecutive top-level `affine.for` nests over the same rows
// into one, when that holds: a nest B following A joins A's loop when every
// access of memory both touch (one of them writing it) addresses, in its
// first index, only the rows of its own iteration (A's induction variable
// plus 0 .. step-1). B's body then runs right after A's for the same rows,
// while they are in L1:
//
//   affine.for %i = 0 to 512 step 8 { A(%i .. %i + 7) }
//   affine.for %j = 0 to 512 { B(%j) }
//   // becomes
//   affine.for %i = 0 to 512 step 8 {
//     A(%i .. %i + 7)
//     affine.for %j = %i to %i + 8 { B(%j) }
//   }
//
// (with equal steps B's body joins A's directly). Views that keep the first
// axis (`expand_shape`/`collapse_shape` whose first group is [0]) address
// the rows of their source. Allocations, views and constants between the
// nests move before A. Every element is computed by the same operations
// from the same values, in the same order within a row: results are the
// same bit for bit.
//
// (A nest fused into a row loop of an earlier fusion only ever addresses
// rows through that loop's variable, never through A's, so appending it
// there keeps every row's order.)
//
// lpq-cpu-pipeline runs this pass only with `fuse-rows` (off by default):
// on the example steps, whose tensors fit in the L3 cache, the separate
// passes were as fast or faster (docs/performance.md).
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "Aliasing.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQFUSEROWLOOPSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// Marks the row loops of nests fused into a loop with a larger step.
constexpr StringLiteral kRowLoop = "lpq.rows";

/// One access of memory in a nest.
struct Access {
  /// The buffer under any views.
  Value base;
  bool write;
  /// Whether the first index stays within the rows of the nest's iteration.
  bool rowLocal;
};

/// The buffer under the views of `memref`, and whether every view keeps
/// its first axis (a reshape whose first group is [0]), so that row i of
/// the view is row i of the buffer.
std::pair<Value, bool> rowBase(Value memref) {
  bool keepsRows = true;
  while (Operation *def = memref.getDefiningOp()) {
    SmallVector<ReassociationIndices> reassociation;
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(def))
      reassociation = expand.getReassociationIndices();
    else if (auto collapse = dyn_cast<memref::CollapseShapeOp>(def))
      reassociation = collapse.getReassociationIndices();
    else if (!isa<ViewLikeOpInterface>(def))
      break;
    keepsRows &= !reassociation.empty() &&
                 reassociation.front() == ReassociationIndices{0};
    memref = cast<ViewLikeOpInterface>(def).getViewSource();
  }
  return {memref, keepsRows};
}

/// Whether `map`'s first result, over `operands`, is one of `rows`' values
/// plus a constant offset below its bound.
bool firstIndexInRows(AffineMap map, ValueRange operands,
                      const DenseMap<Value, int64_t> &rows) {
  if (map.getNumResults() == 0)
    return false;
  AffineExpr first = map.getResult(0);
  int64_t offset = 0;
  if (auto sum = dyn_cast<AffineBinaryOpExpr>(first);
      sum && sum.getKind() == AffineExprKind::Add) {
    auto constant = dyn_cast<AffineConstantExpr>(sum.getRHS());
    if (!constant)
      return false;
    offset = constant.getValue();
    first = sum.getLHS();
  }
  auto dim = dyn_cast<AffineDimExpr>(first);
  if (!dim)
    return false;
  auto it = rows.find(operands[dim.getPosition()]);
  return it != rows.end() && offset >= 0 && offset < it->second;
}

/// The accesses of memory in `loop`, whose iteration covers rows
/// [iv, iv + step) (in nests fused before, the induction variables of the
/// row loops inside it too); failure when something else in it has
/// effects.
FailureOr<SmallVector<Access>> collectAccesses(affine::AffineForOp loop) {
  DenseMap<Value, int64_t> rows;
  rows[loop.getInductionVar()] = loop.getStepAsInt();
  for (Operation &op : *loop.getBody())
    if (op.hasAttr(kRowLoop))
      rows[cast<affine::AffineForOp>(op).getInductionVar()] = 1;
  SmallVector<Access> accesses;
  WalkResult walk = loop.getBody()->walk([&](Operation *op) {
    auto record = [&](Value memref, AffineMap map, ValueRange operands,
                      bool write) {
      auto [base, keepsRows] = rowBase(memref);
      accesses.push_back(
          {base, write, keepsRows && firstIndexInRows(map, operands, rows)});
    };
    if (auto read = dyn_cast<affine::AffineReadOpInterface>(op)) {
      record(read.getMemRef(), read.getAffineMap(), read.getMapOperands(),
             false);
      return WalkResult::advance();
    }
    if (auto write = dyn_cast<affine::AffineWriteOpInterface>(op)) {
      record(write.getMemRef(), write.getAffineMap(), write.getMapOperands(),
             true);
      return WalkResult::advance();
    }
    if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
        isMemoryEffectFree(op))
      return WalkResult::advance();
    return WalkResult::interrupt();
  });
  if (walk.wasInterrupted())
    return failure();
  return accesses;
}

/// Whether B's iterations may run right after A's for the same rows.
bool rowsIndependent(ArrayRef<Access> a, ArrayRef<Access> b) {
  for (const Access &x : a)
    for (const Access &y : b) {
      if ((!x.write && !y.write) || !lpq::mayAlias(x.base, y.base))
        continue;
      if (x.base != y.base || !x.rowLocal || !y.rowLocal)
        return false;
    }
  return true;
}

/// A top-level loop over rows: from 0 to a constant multiple of its step,
/// without results.
bool isRowLoop(affine::AffineForOp loop) {
  return loop.hasConstantBounds() && loop.getConstantLowerBound() == 0 &&
         loop.getNumResults() == 0 && loop.getConstantUpperBound() > 0 &&
         loop.getConstantUpperBound() % loop.getStepAsInt() == 0;
}

/// Ops between two nests that can move before the first: allocations,
/// views and constants whose operands are defined before it.
bool canHoistBefore(Operation *op, Operation *before) {
  if (!isa<memref::AllocOp, memref::AllocaOp, memref::ExpandShapeOp,
           memref::CollapseShapeOp, arith::ConstantOp>(op))
    return false;
  return llvm::all_of(op->getOperands(), [&](Value v) {
    Operation *def = v.getDefiningOp();
    return !def || def->getBlock() != before->getBlock() ||
           def->isBeforeInBlock(before);
  });
}

/// The loop `into` ends with when it is a step-1 loop over the rows of
/// `into`'s iteration (a nest fused earlier), else null.
affine::AffineForOp trailingRowLoop(affine::AffineForOp into) {
  auto last = dyn_cast_or_null<affine::AffineForOp>(
      into.getBody()->getTerminator()->getPrevNode());
  if (!last || last.getStepAsInt() != 1 || !last->hasAttr(kRowLoop))
    return nullptr;
  return last;
}

/// Appends `from`'s body to `loop`'s, with `loop`'s induction variable for
/// `from`'s, and erases `from`.
void appendBody(affine::AffineForOp loop, affine::AffineForOp from) {
  Block *source = from.getBody();
  source->getTerminator()->erase();
  from.getInductionVar().replaceAllUsesWith(loop.getInductionVar());
  loop.getBody()->getOperations().splice(
      loop.getBody()->getTerminator()->getIterator(), source->getOperations());
  from.erase();
}

/// Moves `from`'s body into `into` (see the file comment).
void fuse(affine::AffineForOp into, affine::AffineForOp from) {
  if (from.getStepAsInt() == into.getStepAsInt())
    return appendBody(into, from);
  if (affine::AffineForOp rows = trailingRowLoop(into))
    return appendBody(rows, from);
  // Run `from` over the rows of `into`'s iteration.
  MLIRContext *ctx = into.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx);
  from->moveBefore(into.getBody()->getTerminator());
  Value iv = into.getInductionVar();
  from.setLowerBound(iv, AffineMap::get(1, 0, d0));
  from.setUpperBound(iv, AffineMap::get(1, 0, d0 + into.getStepAsInt()));
  from->setAttr(kRowLoop, UnitAttr::get(ctx));
}

/// Fuses the nests following `into` that can join it.
void fuseFollowing(affine::AffineForOp into) {
  FailureOr<SmallVector<Access>> a = collectAccesses(into);
  if (failed(a))
    return;
  while (true) {
    SmallVector<Operation *> between;
    Operation *next = into->getNextNode();
    while (next && !isa<affine::AffineForOp>(next) &&
           canHoistBefore(next, into)) {
      between.push_back(next);
      next = next->getNextNode();
    }
    auto from = dyn_cast_or_null<affine::AffineForOp>(next);
    if (!from || !isRowLoop(from) ||
        from.getConstantUpperBound() != into.getConstantUpperBound() ||
        (from.getStepAsInt() != 1 &&
         from.getStepAsInt() != into.getStepAsInt()))
      return;
    FailureOr<SmallVector<Access>> b = collectAccesses(from);
    if (failed(b) || !rowsIndependent(*a, *b))
      return;
    for (Operation *op : between)
      op->moveBefore(into);
    fuse(into, from);
    // `from`'s accesses keep their bases and row locality in `into`: its
    // induction variable becomes `into`'s (same step) or a step-1 row loop's
    // over the rows of `into`'s iteration.
    a->append(*b);
  }
}

struct LPQFuseRowLoopsPass
    : mlir::lpq::impl::LPQFuseRowLoopsPassBase<LPQFuseRowLoopsPass> {
  void runOnOperation() override {
    getOperation()->walk([](FunctionOpInterface function) {
      for (Block &block : function.getFunctionBody())
        for (Operation *op = block.empty() ? nullptr : &block.front(); op;
             op = op->getNextNode()) {
          auto loop = dyn_cast<affine::AffineForOp>(op);
          if (loop && isRowLoop(loop))
            fuseFollowing(loop);
        }
    });
    getOperation()->walk(
        [](affine::AffineForOp loop) { loop->removeAttr(kRowLoop); });
  }
};

} // namespace
