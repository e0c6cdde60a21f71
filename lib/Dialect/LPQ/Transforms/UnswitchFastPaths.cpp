//===- UnswitchFastPaths.cpp - Loop versions for exact fast paths ---------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// convert-lpq-to-arith divides a block's values by the block's power of two
// in two exact scalings, then repairs a quotient that underflowed to zero.
// When the grid step is 2^s with s in [-127, 0] (8-bit blocks: the block's
// largest value below 2^7 and at least 2^-121: nearly always), one scaling
// gives the same bits. The lowering emits both and
//
//   %q = arith.select %fast, %single, %general {lpq.fast_path}
//
// with %fast computed from the block exponent; computing both costs more
// than the general path alone. Where the block exponent does not change
// inside the innermost loop around the select (a per-row or per-tensor
// block: the loop loads the exponent at indices it does not vary, from an
// allocation it does not write), this pass computes %fast once before the
// loop and versions the loop on it:
//
//   scf.if %fast { <the loop, %q = %single> } else { <the loop, %q = %general>
//   }
//
// Elsewhere (MX tiles change exponent along a row; a select outside any
// loop; with `unswitch=false`, as in the GPU pipeline) %q becomes %general.
// Every element gets the same bits as before; only the instructions that
// compute them change (the SWALP rounding loop: 47-49 instructions per 32
// elements, 55-57 with the general path alone).
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/IR/LPQDialect.h"
#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "Aliasing.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQUNSWITCHFASTPATHSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// The innermost affine.for or scf.for around `op`, or null when a parallel
/// loop or the function comes first.
Operation *enclosingLoop(Operation *op) {
  for (Operation *p = op->getParentOp(); p; p = p->getParentOp()) {
    if (isa<affine::AffineForOp, scf::ForOp>(p))
      return p;
    if (isa<affine::AffineParallelOp, scf::ParallelOp>(p) ||
        p->hasTrait<OpTrait::IsIsolatedFromAbove>())
      return nullptr;
  }
  return nullptr;
}

/// Whether `loop` may write to (or free) memory that `root`, an allocation,
/// holds: a write to a view of it, or an operation with unknown effects.
bool mayWrite(Operation *loop, Value root) {
  WalkResult walk = loop->walk([&](Operation *op) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects) {
      return op->hasTrait<OpTrait::HasRecursiveMemoryEffects>()
                 ? WalkResult::advance()
                 : WalkResult::interrupt();
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &e : instances) {
      if (!isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect()))
        continue;
      Value target = e.getValue();
      if (!target || lpq::viewRoot(target) == root)
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return walk.wasInterrupted();
}

/// Collects, in an order that defines before it uses, the operations inside
/// `loop` that compute `value`, when `value` is the same in every iteration:
/// pure operations without regions, and loads at indices defined outside
/// the loop from an allocation (memref.alloc or alloca) the loop does not
/// write. False when it may change.
bool collectInvariantSlice(Operation *loop, Value value,
                           SetVector<Operation *> &slice) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return !loop->isAncestor(value.getParentBlock()->getParentOp());
  if (!loop->isAncestor(def) || slice.contains(def))
    return true;
  if (def->getNumRegions() != 0)
    return false;
  if (!isMemoryEffectFree(def)) {
    Value memref;
    if (auto load = dyn_cast<affine::AffineLoadOp>(def))
      memref = load.getMemRef();
    else if (auto load = dyn_cast<memref::LoadOp>(def))
      memref = load.getMemRef();
    else
      return false;
    Value root = lpq::viewRoot(memref);
    if (!root.getDefiningOp<memref::AllocOp>() &&
        !root.getDefiningOp<memref::AllocaOp>())
      return false;
    if (mayWrite(loop, root))
      return false;
  }
  for (Value operand : def->getOperands())
    if (!collectInvariantSlice(loop, operand, slice))
      return false;
  slice.insert(def);
  return true;
}

/// Replaces a marked select by one of its values.
void resolve(arith::SelectOp select, bool fast) {
  select.getResult().replaceAllUsesWith(fast ? select.getTrueValue()
                                             : select.getFalseValue());
  select->erase();
}

/// Versions `loop` (no results) on the condition of `selects` (all in it,
/// sharing that condition, computed by `slice` inside the loop): the slice
/// is cloned before the loop, and an scf.if runs a copy of the loop with
/// the fast values where it holds and the loop itself with the general
/// ones where it does not.
void versionLoop(Operation *loop, MutableArrayRef<arith::SelectOp> selects,
                 const SetVector<Operation *> &slice) {
  OpBuilder b(loop);
  IRMapping hoisted;
  for (Operation *op : slice)
    b.clone(*op, hoisted);
  Value condition = hoisted.lookupOrDefault(selects.front().getCondition());
  auto branch = scf::IfOp::create(b, loop->getLoc(), condition,
                                  /*withElseRegion=*/true);
  b.setInsertionPointToStart(branch.thenBlock());
  IRMapping copy;
  b.clone(*loop, copy);
  loop->moveBefore(branch.elseBlock(), branch.elseBlock()->begin());
  for (arith::SelectOp &select : selects) {
    resolve(cast<arith::SelectOp>(copy.lookup(select.getOperation())), true);
    resolve(select, false);
  }
}

struct LPQUnswitchFastPathsPass
    : mlir::lpq::impl::LPQUnswitchFastPathsPassBase<LPQUnswitchFastPathsPass> {
  using Base::Base;

  void runOnOperation() override {
    // The marked selects, by the innermost loop around them.
    llvm::MapVector<Operation *, SmallVector<arith::SelectOp>> byLoop;
    SmallVector<arith::SelectOp> outside;
    getOperation()->walk([&](arith::SelectOp select) {
      if (!select->hasAttr(lpq::kFastPathAttrName))
        return;
      Operation *loop = unswitch ? enclosingLoop(select) : nullptr;
      if (loop && loop->getNumResults() == 0)
        byLoop[loop].push_back(select);
      else
        outside.push_back(select);
    });
    for (arith::SelectOp select : outside)
      resolve(select, false);
    for (auto &[loop, selects] : byLoop) {
      // Versions on the first select's condition; selects on other
      // conditions take their general value (no versions of versions).
      Value condition = selects.front().getCondition();
      SmallVector<arith::SelectOp> same;
      for (arith::SelectOp select : selects) {
        if (select.getCondition() == condition)
          same.push_back(select);
        else
          resolve(select, false);
      }
      SetVector<Operation *> slice;
      if (collectInvariantSlice(loop, condition, slice))
        versionLoop(loop, same, slice);
      else
        for (arith::SelectOp select : same)
          resolve(select, false);
    }
    // Copies of marked selects that versioning an outer loop made after
    // its inner loop was listed (the lowering puts them in innermost loops
    // only): their general value.
    getOperation()->walk([&](arith::SelectOp select) {
      if (select->hasAttr(lpq::kFastPathAttrName))
        resolve(select, false);
    });
  }
};

} // namespace
