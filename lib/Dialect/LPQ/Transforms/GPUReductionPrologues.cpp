//===- GPUReductionPrologues.cpp - Elementwise producers in their reduction
//===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// A block quantizer's maxima read the tensor it rounds, and that tensor is
// most often the result of an elementwise nest (a bias and a ReLU, the
// ReLU's adjoint): on the GPU one launch writes it, the next one reads it
// back for the maxima. This pass moves such a producer into the loop of the
// row reduction that first reads it: the reduction computes each element
// where it loaded it and stores it there, so every element is still
// computed once, by the same operations, and written to the same place
// before anything later reads it. One launch and one pass over the tensor
// fewer; the same bits.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "Aliasing.h"
#include "GPUReductions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPUREDUCTIONPROLOGUESPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// Whether `loop` runs each dimension from 0 by 1 to a constant; its
/// extents.
std::optional<SmallVector<int64_t>> staticExtents(scf::ParallelOp loop) {
  SmallVector<int64_t> extents;
  for (auto [lb, ub, step] : llvm::zip_equal(
           loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> u = getConstantIntValue(ub);
    if (!isConstantIntValue(lb, 0) || !isConstantIntValue(step, 1) || !u)
      return std::nullopt;
    extents.push_back(*u);
  }
  return extents;
}

/// An elementwise nest: a parallel loop from 0 by 1 over static extents,
/// without reductions, whose body is loads and pure operations and, last,
/// one store at the loop's indices in order.
struct Producer {
  scf::ParallelOp loop;
  memref::StoreOp store;
  SmallVector<int64_t> extents;
  SmallVector<Value> reads; // bases of the buffers it loads
};

std::optional<Producer> matchProducer(Operation *op) {
  auto loop = dyn_cast<scf::ParallelOp>(op);
  if (!loop || loop.getNumReductions() != 0 || loop.getNumResults() != 0)
    return std::nullopt;
  std::optional<SmallVector<int64_t>> extents = staticExtents(loop);
  if (!extents)
    return std::nullopt;
  Block *body = loop.getBody();
  auto store =
      dyn_cast_or_null<memref::StoreOp>(body->getTerminator()->getPrevNode());
  if (!store || ValueRange(store.getIndices()) != loop.getInductionVars())
    return std::nullopt;
  Producer p{loop, store, *extents, {}};
  for (Operation &op : body->without_terminator()) {
    if (auto load = dyn_cast<memref::LoadOp>(op))
      p.reads.push_back(lpq::viewRoot(load.getMemRef()));
    else if (&op != store.getOperation() &&
             !(isPure(&op) && op.getNumRegions() == 0))
      return std::nullopt;
  }
  return p;
}

/// The buffers `op` may read and write, or failure where it has effects
/// this cannot attribute to a buffer.
struct Effects {
  SmallVector<Value> reads, writes;
};

FailureOr<Effects> effectsOf(Operation *op) {
  Effects out;
  if (isa<memref::AllocOp, memref::AllocaOp>(op))
    return out;
  SmallVector<lpq::BufferAccess> accesses;
  WalkResult r = op->walk([&](Operation *inner) {
    return succeeded(lpq::appendBufferAccesses(inner, accesses))
               ? WalkResult::advance()
               : WalkResult::interrupt();
  });
  if (r.wasInterrupted())
    return failure();
  for (lpq::BufferAccess &a : accesses)
    (a.write ? out.writes : out.reads).push_back(a.base);
  return out;
}

bool anyAlias(ArrayRef<Value> a, ArrayRef<Value> b) {
  return llvm::any_of(a, [&](Value x) {
    return llvm::any_of(b, [&](Value y) { return lpq::mayAlias(x, y); });
  });
}

/// A row reduction that reads `p`'s output first: a parallel loop over
/// `p`'s leading extents whose body holds one reduction loop (a memory
/// reduction) over its last extent, loading the output only at [rows...,
/// j] in that loop or after it.
struct Consumer {
  scf::ParallelOp rows;
  scf::ForOp loop;
  SmallVector<memref::LoadOp> loads; // of the output, in `loop`
};

std::optional<Consumer> matchConsumer(Operation *op, Producer &p) {
  auto rows = dyn_cast<scf::ParallelOp>(op);
  if (!rows || rows.getNumReductions() != 0)
    return std::nullopt;
  std::optional<SmallVector<int64_t>> extents = staticExtents(rows);
  if (!extents || ArrayRef(*extents) != ArrayRef(p.extents).drop_back())
    return std::nullopt;
  auto loops = rows.getBody()->getOps<scf::ForOp>();
  if (!llvm::hasSingleElement(loops))
    return std::nullopt;
  scf::ForOp loop = *loops.begin();
  std::optional<APInt> trip = loop.getStaticTripCount();
  std::optional<lpq::MemoryReduction> red = lpq::matchMemoryReduction(loop);
  if (!red || red->nest.size() != 1 ||
      !isConstantIntValue(loop.getLowerBound(), 0) ||
      !isConstantIntValue(loop.getStep(), 1) || !trip ||
      trip->getSExtValue() != p.extents.back())
    return std::nullopt;
  Consumer c{rows, loop, {}};
  Value out = p.store.getMemRef();
  SmallVector<Value> indices(rows.getInductionVars());
  indices.push_back(loop.getInductionVar());
  bool ok = true;
  rows.walk([&](Operation *inner) {
    if (auto store = dyn_cast<memref::StoreOp>(inner);
        store &&
        lpq::mayAlias(lpq::viewRoot(store.getMemRef()), lpq::viewRoot(out)))
      ok = false;
    auto load = dyn_cast<memref::LoadOp>(inner);
    if (!load ||
        !lpq::mayAlias(lpq::viewRoot(load.getMemRef()), lpq::viewRoot(out)))
      return;
    if (load->getParentOp() == loop.getOperation() && load.getMemRef() == out &&
        ValueRange(load.getIndices()) == indices)
      c.loads.push_back(load);
    else if (loop->isProperAncestor(load) ||
             !loop->isBeforeInBlock(
                 rows.getBody()->findAncestorOpInBlock(*load)))
      ok = false;
  });
  if (!ok || c.loads.empty())
    return std::nullopt;
  // The producer's inputs stay as they are until the consumer has read
  // them all.
  FailureOr<Effects> effects = effectsOf(rows);
  if (failed(effects) || anyAlias(effects->writes, p.reads))
    return std::nullopt;
  return c;
}

/// The consumer of `p`'s output, if it is the next operation to touch it
/// and nothing between writes what `p` reads.
std::optional<Consumer> findConsumer(Producer &p) {
  Value out = lpq::viewRoot(p.store.getMemRef());
  for (Operation *op = p.loop->getNextNode(); op; op = op->getNextNode()) {
    FailureOr<Effects> effects = effectsOf(op);
    if (failed(effects))
      return std::nullopt;
    if (anyAlias(effects->reads, out) || anyAlias(effects->writes, out))
      return matchConsumer(op, p);
    if (anyAlias(effects->writes, p.reads))
      return std::nullopt;
  }
  return std::nullopt;
}

/// Computes `p`'s element where `c`'s loop loads it, stores it there, and
/// erases `p`.
void fuse(Producer &p, Consumer &c) {
  OpBuilder b(c.loads.front());
  IRMapping mapping;
  for (auto [from, to] :
       llvm::zip(ValueRange(p.loop.getInductionVars()).drop_back(),
                 c.rows.getInductionVars()))
    mapping.map(from, to);
  mapping.map(p.loop.getInductionVars().back(), c.loop.getInductionVar());
  for (Operation &op : p.loop.getBody()->without_terminator())
    b.clone(op, mapping);
  Value value = mapping.lookup(p.store.getValueToStore());
  for (memref::LoadOp load : c.loads) {
    load.getResult().replaceAllUsesWith(value);
    load.erase();
  }
  p.loop.erase();
}

struct LPQGPUReductionProloguesPass
    : mlir::lpq::impl::LPQGPUReductionProloguesPassBase<
          LPQGPUReductionProloguesPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    for (Operation &op :
         llvm::make_early_inc_range(func.getBody().front().getOperations()))
      if (std::optional<Producer> p = matchProducer(&op))
        if (std::optional<Consumer> c = findConsumer(*p))
          fuse(*p, *c);
  }
};

} // namespace
