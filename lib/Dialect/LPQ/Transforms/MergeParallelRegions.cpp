//===- MergeParallelRegions.cpp - One OpenMP region for many loops --------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// convert-scf-to-openmp opens one `omp.parallel` per parallel loop: a
// training step forks and joins its threads some 70 times. This pass merges
// consecutive regions of a block into one: their worksharing loops follow
// each other inside it (each ends with its implicit barrier, so every loop
// still sees the previous one's writes), sequential code between them runs
// in `omp.single` (also ending with a barrier), side-effect-free and
// read-only ops run in every thread, allocations move before the region and
// deallocations after it. The threads fork once per merged run.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQMERGEPARALLELREGIONSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// What happens to an op between two merged regions.
enum class Placement {
  Region,     // an omp.parallel: its body is inlined
  Everywhere, // no effects, or reads only: every thread runs it
  Before,     // an allocation or a view of memory (a reshape): moved
              // before the merged region
  After,      // a deallocation: moved after it
  Single,     // writes, no results: one thread runs it
  Stop        // anything else ends the run
};

bool containsParallelism(Operation *op) {
  return op
      ->walk([](Operation *inner) {
        return isa<omp::ParallelOp, omp::WsloopOp>(inner)
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Whether `op` and everything nested in it only reads memory (or has no
/// effects at all).
bool onlyReads(Operation *op) {
  bool reads = true;
  op->walk([&](Operation *inner) {
    if (isPure(inner))
      return;
    auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
    if (!effects) {
      if (!inner->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        reads = false;
      return;
    }
    if (!effects.onlyHasEffect<MemoryEffects::Read>() && !effects.hasNoEffect())
      reads = false;
  });
  return reads;
}

Placement placementOf(Operation *op) {
  if (auto parallel = dyn_cast<omp::ParallelOp>(op))
    return parallel->getNumOperands() == 0 && parallel.getRegion().hasOneBlock()
               ? Placement::Region
               : Placement::Stop;
  if (op->hasTrait<OpTrait::IsTerminator>() || containsParallelism(op))
    return Placement::Stop;
  // Heap and stack buffers of static size (a stack buffer at this level
  // serves sequential code, which runs in one thread).
  if (isa<memref::AllocOp, memref::AllocaOp>(op))
    return op->getNumOperands() == 0 ? Placement::Before : Placement::Stop;
  if (isa<memref::DeallocOp>(op))
    return Placement::After;
  // Views used after the region (reshaped results) are made before it.
  if (isa<ViewLikeOpInterface>(op) && isPure(op) && op->getNumRegions() == 0)
    return Placement::Before;
  if (onlyReads(op))
    return Placement::Everywhere;
  if (op->getNumResults() == 0)
    return Placement::Single;
  return Placement::Stop;
}

/// Merges `run` (from an omp.parallel to an omp.parallel; `placements`
/// says where each op goes) into one region.
void mergeRun(ArrayRef<Operation *> run, ArrayRef<Placement> placements) {
  Operation *first = run.front();
  OpBuilder b(first);
  Location loc = first->getLoc();
  for (auto [op, placement] : llvm::zip(run, placements))
    if (placement == Placement::Before)
      op->moveBefore(first);
  auto merged = omp::ParallelOp::create(b, loc);
  Block *body = b.createBlock(&merged.getRegion());
  SmallVector<Operation *> after;
  omp::SingleOp single;
  // Reads run by every thread are followed by a barrier before anything
  // that writes, so that no thread writes what another has yet to read.
  bool unfencedReads = false;
  for (auto [op, placement] : llvm::zip(run, placements)) {
    if (placement != Placement::Single)
      single = nullptr;
    if (unfencedReads &&
        (placement == Placement::Region || placement == Placement::Single)) {
      b.setInsertionPointToEnd(body);
      omp::BarrierOp::create(b, loc);
      unfencedReads = false;
    }
    if (placement == Placement::Everywhere && !isPure(op))
      unfencedReads = true;
    switch (placement) {
    case Placement::Region: {
      Block &inner = cast<omp::ParallelOp>(op).getRegion().front();
      for (Operation &nested :
           llvm::make_early_inc_range(inner.without_terminator()))
        nested.moveBefore(body, body->end());
      op->erase();
      break;
    }
    case Placement::Everywhere:
      op->moveBefore(body, body->end());
      break;
    case Placement::After:
      after.push_back(op);
      break;
    case Placement::Single:
      if (!single) {
        b.setInsertionPointToEnd(body);
        single = omp::SingleOp::create(b, loc, omp::SingleOperands());
        Block *singleBody = b.createBlock(&single.getRegion());
        b.setInsertionPointToEnd(singleBody);
        omp::TerminatorOp::create(b, loc);
      }
      op->moveBefore(single.getRegion().front().getTerminator());
      break;
    case Placement::Before:
    case Placement::Stop:
      break;
    }
  }
  b.setInsertionPointToEnd(body);
  omp::TerminatorOp::create(b, loc);
  Operation *insertAfter = merged;
  for (Operation *op : after) {
    op->moveAfter(insertAfter);
    insertAfter = op;
  }
}

/// Whether a value defined by an op of `run` that stays inside the merged
/// region is used after it, or an op moved before the region uses one.
bool escapes(ArrayRef<Operation *> run, ArrayRef<Placement> placements) {
  llvm::DenseMap<Operation *, Placement> inside;
  for (auto [op, p] : llvm::zip(run, placements))
    inside[op] = p;
  for (auto [op, p] : llvm::zip(run, placements)) {
    if (p == Placement::Before) {
      for (Value operand : op->getOperands()) {
        auto def = inside.find(operand.getDefiningOp());
        if (def != inside.end() && def->second != Placement::Before)
          return true;
      }
      continue;
    }
    if (p == Placement::After)
      continue;
    for (Value v : op->getResults())
      for (Operation *user : v.getUsers()) {
        Operation *top = op->getBlock()->findAncestorOpInBlock(*user);
        if (!top || !inside.contains(top))
          return true;
      }
  }
  return false;
}

void mergeBlock(Block &block) {
  SmallVector<Operation *> ops;
  SmallVector<Placement> placements;
  for (Operation &op : block) {
    ops.push_back(&op);
    placements.push_back(placementOf(&op));
  }
  size_t i = 0;
  while (i < ops.size()) {
    if (placements[i] != Placement::Region) {
      ++i;
      continue;
    }
    // The longest run from this region to a later one with nothing that
    // stops it in between, shortened until no value leaves it.
    size_t last = i, j = i + 1;
    for (; j < ops.size(); ++j) {
      Placement p = placements[j];
      if (p == Placement::Stop)
        break;
      if (p == Placement::Region)
        last = j;
    }
    auto slice = [&](auto &all) {
      return ArrayRef(all).slice(i, last - i + 1);
    };
    while (last > i && escapes(slice(ops), slice(placements))) {
      do
        --last;
      while (last > i && placements[last] != Placement::Region);
    }
    if (last > i)
      mergeRun(slice(ops), slice(placements));
    i = std::max(last, i) + 1;
  }
}

struct LPQMergeParallelRegionsPass
    : mlir::lpq::impl::LPQMergeParallelRegionsPassBase<
          LPQMergeParallelRegionsPass> {
  using Base::Base;

  void runOnOperation() override {
    for (Region &region : getOperation()->getRegions())
      for (Block &block : region)
        mergeBlock(block);
  }
};

} // namespace
