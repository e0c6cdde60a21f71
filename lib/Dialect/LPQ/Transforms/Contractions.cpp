//===- Contractions.cpp - Matching a contraction's output fill ------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "Contractions.h"
#include "Aliasing.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace {

/// The value `op` writes to every element of the buffer `out`, when it is a
/// fill of it: `linalg.fill`, or a `linalg.generic` without inputs whose
/// body yields a value from outside (what fusion leaves of a fill).
Value filledWith(Operation *op, Value out) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureBufferSemantics() ||
      linalgOp.getNumDpsInits() != 1 ||
      linalgOp.getDpsInitOperand(0)->get() != out)
    return {};
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return fill.getDpsInputOperand(0)->get();
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 0 ||
      generic.getNumReductionLoops() != 0 ||
      !generic.getIndexingMapsArray()[0].isIdentity())
    return {};
  Block &body = generic.getRegion().front();
  Value v = body.getTerminator()->getOperand(0);
  if (body.getOperations().size() != 1 || v.getParentBlock() == &body)
    return {};
  return v;
}

/// Whether `op` only computes and checks values, reading and writing no
/// memory: the runtime checks `generate-runtime-verification` puts between
/// a fill and a contraction with dynamic extents (an `scf.if` of index
/// arithmetic and `cf.assert`s). An assertion that fails stops the program,
/// so whether the fill was stored no longer matters.
bool onlyChecks(Operation *op) {
  return !op->walk([](Operation *inner) {
              if (isa<cf::AssertOp>(inner) ||
                  inner->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
                  isMemoryEffectFree(inner))
                return WalkResult::advance();
              return WalkResult::interrupt();
            }).wasInterrupted();
}

/// Whether `op`, between a fill of `out` and the contraction into it, may
/// read or write `out`: it uses one of `aliases` (`out` and the views made
/// of it), or has effects it does not tie to a value, or (when `out` is not
/// a fresh allocation, which only its views can reach) has any effect.
bool mayTouch(Operation *op, const llvm::SmallPtrSetImpl<Value> &aliases,
              bool outIsFresh) {
  if (isMemoryEffectFree(op) || onlyChecks(op))
    return false;
  if (llvm::any_of(op->getOperands(),
                   [&](Value v) { return aliases.contains(v); }))
    return true;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return true;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::any_of(instances, [&](MemoryEffects::EffectInstance &e) {
    if (isa<MemoryEffects::Allocate>(e.getEffect()))
      return false;
    return !e.getValue() || !outIsFresh || aliases.contains(e.getValue());
  });
}

} // namespace

bool lpq::usesDim(AffineMap map, unsigned dim) {
  return llvm::any_of(map.getResults(),
                      [&](AffineExpr e) { return e.isFunctionOfDim(dim); });
}

bool lpq::inputsAliasOutput(linalg::LinalgOp op) {
  Value out = lpq::viewRoot(op.getDpsInitOperand(0)->get());
  return out && llvm::any_of(op.getDpsInputs(), [&](Value in) {
           return lpq::viewRoot(in) == out;
         });
}

lpq::OutputFill lpq::fillBefore(linalg::LinalgOp op) {
  Value out = op.getDpsInitOperand(0)->get();
  llvm::SmallPtrSet<Value, 8> aliases;
  SmallVector<Value> work{out};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!aliases.insert(v).second)
      continue;
    for (Operation *user : v.getUsers())
      for (Value r : user->getResults())
        if (isa<BaseMemRefType>(r.getType()))
          work.push_back(r);
  }
  // The contraction itself must not read the filled values.
  if (llvm::any_of(op.getDpsInputs(),
                   [&](Value v) { return aliases.contains(v); }))
    return {};
  bool outIsFresh = out.getDefiningOp<memref::AllocOp>() ||
                    out.getDefiningOp<memref::AllocaOp>();
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (Value v = filledWith(prev, out))
      return {prev, v};
    if (mayTouch(prev, aliases, outIsFresh))
      return {};
  }
  return {};
}
