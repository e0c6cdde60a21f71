//===- GPUPrepareLoops.cpp - Loop nests ready for GPU mapping -------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPUPREPARELOOPSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

bool touchesMemory(Operation *op) {
  WalkResult r = op->walk([](Operation *inner) {
    return isa<memref::LoadOp, memref::StoreOp>(inner) ? WalkResult::interrupt()
                                                       : WalkResult::advance();
  });
  return r.wasInterrupted();
}

/// True when `v` is defined by one of `ops` (or inside one of them).
bool definedIn(Value v, const llvm::SmallPtrSetImpl<Operation *> &ops) {
  Operation *def = v.getDefiningOp();
  if (!def)
    def = v.getParentBlock()->getParentOp();
  for (; def; def = def->getParentOp())
    if (ops.contains(def))
      return true;
  return false;
}

/// True when `op` (or an op nested in it) reads a value defined by `ops`.
bool dependsOn(Operation *op, const llvm::SmallPtrSetImpl<Operation *> &ops) {
  WalkResult r = op->walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (definedIn(v, ops))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return r.wasInterrupted();
}

/// The top-level ops from the sequential loop `first` (which reads memory
/// and returns values) up to the last one that uses what they compute, so
/// that the group can run as one single-thread kernel: its values never
/// leave it. Pure ops and allocations that do not depend on the group are
/// moved above it instead. Fails at a parallel loop or the terminator.
FailureOr<SmallVector<Operation *>> valueClosedGroup(scf::ForOp first) {
  SmallVector<Operation *> group = {first};
  llvm::SmallPtrSet<Operation *, 16> members = {first};
  auto escapes = [&]() {
    for (Operation *op : group)
      for (Value r : op->getResults())
        for (Operation *user : r.getUsers()) {
          Operation *top = user;
          while (top->getParentOp() != first->getParentOp())
            top = top->getParentOp();
          if (!members.contains(top))
            return true;
        }
    return false;
  };
  Operation *next = first->getNextNode();
  while (escapes()) {
    if (!next || next->hasTrait<OpTrait::IsTerminator>() ||
        isa<scf::ParallelOp>(next))
      return failure();
    Operation *op = next;
    next = next->getNextNode();
    bool independent = !dependsOn(op, members);
    if (independent &&
        (isPure(op) || isa<memref::AllocOp, memref::AllocaOp>(op))) {
      op->moveBefore(first);
      continue;
    }
    group.push_back(op);
    members.insert(op);
  }
  return group;
}

struct LPQGPUPrepareLoopsPass
    : mlir::lpq::impl::LPQGPUPrepareLoopsPassBase<LPQGPUPrepareLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize < 1) {
      getOperation().emitError("lpq-gpu-prepare-loops: block-size must be "
                               "positive, got ")
          << blockSize;
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> parallels;
    SmallVector<scf::ForOp> serials;
    for (Operation &op : getOperation().getBody().getOps()) {
      if (auto p = dyn_cast<scf::ParallelOp>(op))
        parallels.push_back(p);
      else if (auto f = dyn_cast<scf::ForOp>(op); f && touchesMemory(f))
        serials.push_back(f);
    }
    // A sequential loop returning values (lpq.sq_select's row selection)
    // moves onto the device together with everything that uses its results
    // up to where they are stored to memory.
    SmallVector<SmallVector<Operation *>> groups;
    llvm::SmallPtrSet<Operation *, 16> grouped;
    for (scf::ForOp f : serials) {
      // A later loop may have been pulled into an earlier group.
      if (grouped.contains(f))
        continue;
      if (f.getNumResults() == 0) {
        groups.push_back({f});
        continue;
      }
      FailureOr<SmallVector<Operation *>> group = valueClosedGroup(f);
      if (failed(group)) {
        f.emitOpError("lpq-gpu-prepare-loops: the values of this sequential "
                      "loop, which reads memory, reach the host or a "
                      "parallel loop; it cannot run as a one-thread kernel");
        return signalPassFailure();
      }
      grouped.insert(group->begin(), group->end());
      groups.push_back(std::move(*group));
    }
    for (scf::ParallelOp p : parallels) {
      SmallVector<int64_t> sizes(p.getNumLoops(), 1);
      sizes.back() = blockSize;
      scf::tileParallelLoop(p, sizes, /*noMinMaxBounds=*/true);
    }
    for (ArrayRef<Operation *> group : groups) {
      Operation *f = group.front();
      OpBuilder b(f);
      Location loc = f->getLoc();
      Value zero = arith::ConstantIndexOp::create(b, loc, 0);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      auto wrapper = scf::ParallelOp::create(b, loc, ValueRange{zero},
                                             ValueRange{one}, ValueRange{one});
      for (Operation *op : group)
        op->moveBefore(wrapper.getBody()->getTerminator());
    }
  }
};

} // namespace
