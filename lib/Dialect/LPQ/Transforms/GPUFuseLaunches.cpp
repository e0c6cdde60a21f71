//===- GPUFuseLaunches.cpp - Independent kernels in one launch ------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// After lpq-gpu-prepare-loops, every loop nest of a training step is a pair
// of parallel loops (blocks, then the threads of a block) that becomes one
// kernel launch, and most of them are small: the SWA average and the
// optimizer's update of each bias, the gradients' zero fills. Nests with the
// same block size that touch no common buffer (neither writes what the other
// reads or writes) can run as one nest over the blocks of all of them: block
// g runs the nest whose range of blocks holds g, on the thread and element
// indices it had. Between two operations that order them otherwise, the
// nests are scheduled by level (one more than the latest earlier nest they
// conflict with), so that a parameter's update joins the launch of a nest
// from elsewhere in the step; each level and block size is one launch, and
// a one-thread kernel (the loss's sum) runs on the first thread of its
// blocks in a launch of its level. Each
// element is computed by the same operations as before, by another launch:
// the same bits.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "Aliasing.h"
#include "GPUNests.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPUFUSELAUNCHESPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

using Access = lpq::BufferAccess;

/// A nest that becomes one launch (lpq::GPUNest, its block loop's step a
/// constant; `threads` null for the sequential kernels of a step, such as
/// its loss's sum) and the buffers its body touches.
struct Nest : lpq::GPUNest {
  SmallVector<Access> accesses;
};

/// The buffers `body` reads and writes; failure where an op has effects
/// this cannot attribute to a buffer, or does what a launch of its own
/// would keep apart (GPU operations other than block-wide reductions and
/// barriers, allocations, nested parallel loops, reductions with values).
/// A block-wide reduction (`gpu.all_reduce`) and a barrier involve the
/// threads of one block only, and all of them still reach it in a fused
/// launch: the test that picks a block's nest is the same for all its
/// threads.
FailureOr<SmallVector<Access>> accessesOf(Block &body) {
  SmallVector<Access> accesses;
  WalkResult r = body.walk([&](Operation *op) {
    if (isa<gpu::AllReduceOp, gpu::BarrierOp>(op))
      return WalkResult::advance();
    if (isa_and_present<gpu::GPUDialect>(op->getDialect()) ||
        isa<scf::ParallelOp, memref::AllocOp, memref::AllocaOp>(op) ||
        (isa<scf::ReduceOp>(op) && op->getNumOperands() != 0))
      return WalkResult::interrupt();
    return succeeded(lpq::appendBufferAccesses(op, accesses))
               ? WalkResult::advance()
               : WalkResult::interrupt();
  });
  if (r.wasInterrupted())
    return failure();
  return accesses;
}

/// `op` as a nest this pass can fuse, if it is one. (The pass moved the
/// constants of its block loops above them.)
std::optional<Nest> matchNest(Operation *op) {
  std::optional<lpq::GPUNest> nest = lpq::matchGPUNest(op);
  if (!nest || getConstantIntValue(nest->blocks.getStep()[0]).value_or(0) < 1)
    return std::nullopt;
  FailureOr<SmallVector<Access>> accesses = accessesOf(
      nest->threads ? *nest->threads.getBody() : *nest->blocks.getBody());
  if (failed(accesses))
    return std::nullopt;
  return Nest{*nest, std::move(*accesses)};
}

/// Whether one of `a` and `b` writes a buffer the other touches: they must
/// run in the order they come in.
bool conflict(const Nest &a, const Nest &b) {
  for (const Access &x : a.accesses)
    for (const Access &y : b.accesses)
      if ((x.write || y.write) && lpq::mayAlias(x.base, y.base))
        return true;
  return false;
}

/// One nest over the blocks of all of `group`'s, of `blockSize` threads,
/// before `at`; a one-level nest's iterations run on the first thread of
/// their blocks. With `reverse`, block g runs what block count-1-g would.
void fuse(ArrayRef<Nest *> group, int64_t blockSize, Operation *at,
          bool reverse) {
  OpBuilder b(at);
  Location loc = group.back()->blocks.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  // Nest i runs on blocks [starts[i], starts[i + 1]).
  SmallVector<Value> starts = {zero};
  for (Nest *n : group) {
    Value count = arith::CeilDivUIOp::create(
        b, loc, n->blocks.getUpperBound()[0], n->blocks.getStep()[0]);
    starts.push_back(arith::AddIOp::create(b, loc, starts.back(), count));
  }
  Value threadCount = arith::ConstantIndexOp::create(b, loc, blockSize);
  auto blocks = scf::ParallelOp::create(
      b, loc, ValueRange{zero}, ValueRange{starts.back()}, ValueRange{one});
  b.setInsertionPointToStart(blocks.getBody());
  auto threads = scf::ParallelOp::create(
      b, loc, ValueRange{zero}, ValueRange{threadCount}, ValueRange{one});
  b.setInsertionPointToStart(threads.getBody());
  Value g = blocks.getInductionVars()[0];
  if (reverse)
    g = arith::SubIOp::create(
        b, loc, arith::SubIOp::create(b, loc, starts.back(), one), g);
  for (auto [i, n] : llvm::enumerate(group)) {
    Value from =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, g, starts[i]);
    Value to = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, g,
                                     starts[i + 1]);
    Value mine = arith::AndIOp::create(b, loc, from, to);
    auto branch = scf::IfOp::create(b, loc, mine, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.thenBlock());
    // The block's first element index, as in the nest's own launch.
    Value local = arith::SubIOp::create(b, loc, g, starts[i]);
    Value first = arith::MulIOp::create(b, loc, local, n->blocks.getStep()[0]);
    IRMapping mapping;
    mapping.map(n->blocks.getInductionVars()[0], first);
    Block *body = n->blocks.getBody();
    Value tid = threads.getInductionVars()[0];
    if (n->threads) {
      mapping.map(n->threads.getInductionVars()[0], tid);
      body = n->threads.getBody();
    } else if (blockSize > 1) {
      Value firstThread =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, zero);
      auto onFirst = scf::IfOp::create(b, loc, firstThread, /*withElse=*/false);
      b.setInsertionPointToStart(onFirst.thenBlock());
    }
    for (Operation &op : body->without_terminator())
      b.clone(op, mapping);
  }
  for (Nest *n : group)
    n->blocks.erase();
}

/// Schedules `segment`'s nests, which may be reordered among themselves,
/// into launches before `at`. A nest's level is one more than the highest
/// level of the earlier nests it conflicts with (0 if none): nests of one
/// level are independent, and every conflicting pair keeps its order
/// across levels. Each (level, block size) is one launch, in level order;
/// a one-level nest (one-thread blocks) takes the block size of a nest of
/// its level, running on its blocks' first threads. Before that, a nest
/// alone with its block size at its level moves to the latest level it can
/// join, if every nest that must follow it is still later: one launch
/// fewer.
void schedule(MutableArrayRef<Nest> segment, Operation *at, bool reverse) {
  size_t n = segment.size();
  SmallVector<SmallVector<size_t>> after(n); // later nests that conflict
  SmallVector<int64_t> level(n, 0);
  for (size_t j = 0; j < n; ++j)
    for (size_t i = 0; i < j; ++i)
      if (conflict(segment[i], segment[j])) {
        after[i].push_back(j);
        level[j] = std::max(level[j], level[i] + 1);
      }
  int64_t levels = n ? *llvm::max_element(level) + 1 : 0;
  auto oneLevel = [&](size_t k) { return !segment[k].threads; };
  // The block size of the launch nest k joins at level l.
  auto sizeAt = [&](size_t k, int64_t l) {
    if (!oneLevel(k))
      return segment[k].blockSize;
    for (size_t m = 0; m < n; ++m)
      if (level[m] == l && !oneLevel(m))
        return segment[m].blockSize;
    return int64_t(1);
  };
  auto count = [&](int64_t l, int64_t blockSize) {
    return llvm::count_if(llvm::seq<size_t>(0, n), [&](size_t k) {
      return level[k] == l && sizeAt(k, l) == blockSize;
    });
  };
  for (size_t j = n; j-- > 0;) {
    if (count(level[j], sizeAt(j, level[j])) != 1)
      continue;
    int64_t latest = levels - 1;
    for (size_t k : after[j])
      latest = std::min(latest, level[k] - 1);
    for (int64_t l = latest; l > level[j]; --l)
      if (count(l, sizeAt(j, l)) != 0 ||
          (!oneLevel(j) && count(l, 1) != 0 &&
           llvm::all_of(llvm::seq<size_t>(0, n), [&](size_t k) {
             return level[k] != l || oneLevel(k);
           }))) {
        level[j] = l;
        break;
      }
  }
  // Groups in level order, then in the order of their first nest.
  SmallVector<std::pair<int64_t, int64_t>> keys;
  for (size_t k = 0; k < n; ++k) {
    std::pair<int64_t, int64_t> key = {level[k], sizeAt(k, level[k])};
    if (!llvm::is_contained(keys, key))
      keys.push_back(key);
  }
  llvm::stable_sort(keys, [](auto &a, auto &b) { return a.first < b.first; });
  for (auto [l, blockSize] : keys) {
    SmallVector<Nest *> group;
    for (size_t k = 0; k < n; ++k)
      if (level[k] == l && sizeAt(k, l) == blockSize)
        group.push_back(&segment[k]);
    if (group.size() == 1)
      group.front()->blocks->moveBefore(at);
    else
      fuse(group, blockSize, at, reverse);
  }
}

/// Schedules the nests of each segment of `block`: the ops between two
/// that have memory effects (other than nests and allocations) or
/// regions. Nests move to the end of their segment; the allocations and
/// the operations without memory effects of the segment stay before them.
void fuseSegments(Block &block, bool reverse) {
  SmallVector<Nest> segment;
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (std::optional<Nest> nest = matchNest(&op)) {
      segment.push_back(std::move(*nest));
      continue;
    }
    if ((isMemoryEffectFree(&op) && op.getNumRegions() == 0 &&
         !op.hasTrait<OpTrait::IsTerminator>()) ||
        isa<memref::AllocOp, memref::AllocaOp>(op))
      continue;
    schedule(segment, &op, reverse);
    segment.clear();
  }
  assert(segment.empty() && "a block ends with its terminator");
}

struct LPQGPUFuseLaunchesPass
    : mlir::lpq::impl::LPQGPUFuseLaunchesPassBase<LPQGPUFuseLaunchesPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    // Constants in a nest's block loop, around its thread loop (a
    // block-wide reduction's thread count), go above it.
    for (auto blocks : func.getBody().front().getOps<scf::ParallelOp>())
      for (Operation &op :
           llvm::make_early_inc_range(blocks.getBody()->without_terminator()))
        if (op.hasTrait<OpTrait::ConstantLike>())
          op.moveBefore(blocks);
    fuseSegments(func.getBody().front(), reverseBlocks);
  }
};

} // namespace
