//===- GPUFuseLaunches.cpp - Independent kernels in one launch ------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// After lpq-gpu-prepare-loops, every loop nest of a training step is a pair
// of parallel loops (blocks, then the threads of a block) that becomes one
// kernel launch, and most of them are small: the SWA average and the
// optimizer's update of each bias, the gradients' zero fills. Consecutive
// nests with the same block size that touch no common buffer (neither
// writes what the other reads or writes) become one nest over the blocks of
// all of them: block g runs the nest whose range of blocks holds g, on the
// thread and element indices it had. Each element is computed by the same
// operations as before, by another launch: the same bits.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "Aliasing.h"

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

/// A buffer a nest reads or writes.
struct Access {
  Value base; // through views
  bool write;
};

/// A nest that becomes one launch: `blocks` (0 to `upper` by a constant
/// step, one dimension) around `threads` (0 to a constant by 1, one dimension), with
/// nothing else in `blocks`' body; the buffers its body touches.
struct Nest {
  scf::ParallelOp blocks, threads;
  int64_t blockSize;
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
    if (isMemoryEffectFree(op) ||
        op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return WalkResult::advance();
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects)
      return WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (MemoryEffects::EffectInstance &e : instances) {
      auto memref = dyn_cast_or_null<TypedValue<BaseMemRefType>>(e.getValue());
      if (!memref ||
          !isa<MemoryEffects::Read, MemoryEffects::Write>(e.getEffect()))
        return WalkResult::interrupt();
      accesses.push_back({memref::skipViewLikeOps(memref),
                          isa<MemoryEffects::Write>(e.getEffect())});
    }
    return WalkResult::advance();
  });
  if (r.wasInterrupted())
    return failure();
  return accesses;
}

/// `op` as a nest this pass can fuse, if it is one.
std::optional<Nest> matchNest(Operation *op) {
  auto blocks = dyn_cast<scf::ParallelOp>(op);
  if (!blocks || blocks.getNumLoops() != 1 || blocks.getNumResults() != 0 ||
      getConstantIntValue(blocks.getLowerBound()[0]) != 0 ||
      getConstantIntValue(blocks.getStep()[0]).value_or(0) < 1)
    return std::nullopt;
  Block *outer = blocks.getBody();
  auto threads = dyn_cast<scf::ParallelOp>(outer->front());
  if (!threads || outer->getOperations().size() != 2 ||
      threads.getNumLoops() != 1 || threads.getNumResults() != 0 ||
      getConstantIntValue(threads.getLowerBound()[0]) != 0 ||
      getConstantIntValue(threads.getStep()[0]) != 1)
    return std::nullopt;
  std::optional<int64_t> blockSize =
      getConstantIntValue(threads.getUpperBound()[0]);
  if (!blockSize || *blockSize < 1)
    return std::nullopt;
  FailureOr<SmallVector<Access>> accesses = accessesOf(*threads.getBody());
  if (failed(accesses))
    return std::nullopt;
  return Nest{blocks, threads, *blockSize, std::move(*accesses)};
}

/// Whether `b` may run in the same launch as `a`: same block size, and no
/// buffer that one writes and the other touches.
bool independent(const Nest &a, const Nest &b) {
  if (a.blockSize != b.blockSize)
    return false;
  for (const Access &x : a.accesses)
    for (const Access &y : b.accesses)
      if ((x.write || y.write) && lpq::mayAlias(x.base, y.base))
        return false;
  return true;
}

/// One nest over the blocks of all of `group`'s, in place of the last;
/// with `reverse`, block g runs what block count-1-g would.
void fuse(MutableArrayRef<Nest> group, bool reverse) {
  scf::ParallelOp last = group.back().blocks;
  OpBuilder b(last);
  Location loc = last.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  // Nest i runs on blocks [starts[i], starts[i + 1]).
  SmallVector<Value> starts = {zero};
  for (Nest &n : group) {
    Value count = arith::CeilDivUIOp::create(
        b, loc, n.blocks.getUpperBound()[0], n.blocks.getStep()[0]);
    starts.push_back(arith::AddIOp::create(b, loc, starts.back(), count));
  }
  Value threadCount =
      arith::ConstantIndexOp::create(b, loc, group.front().blockSize);
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
    Value first = arith::MulIOp::create(b, loc, local, n.blocks.getStep()[0]);
    IRMapping mapping;
    mapping.map(n.blocks.getInductionVars()[0], first);
    mapping.map(n.threads.getInductionVars()[0], threads.getInductionVars()[0]);
    for (Operation &op : n.threads.getBody()->without_terminator())
      b.clone(op, mapping);
  }
  for (Nest &n : group)
    n.blocks.erase();
}

/// Fuses runs of independent nests among `block`'s ops; what lies between
/// two nests of a run must be free of memory effects or an allocation (it
/// then runs before the fused nest, in place of the last).
void fuseRuns(Block &block, bool reverse) {
  SmallVector<Nest> run;
  auto flush = [&]() {
    if (run.size() > 1)
      fuse(run, reverse);
    run.clear();
  };
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (std::optional<Nest> nest = matchNest(&op)) {
      if (!llvm::all_of(run,
                        [&](const Nest &n) { return independent(n, *nest); }))
        flush();
      run.push_back(std::move(*nest));
      continue;
    }
    // Allocations the later nests may use stay before the fused nest.
    if ((isMemoryEffectFree(&op) && op.getNumRegions() == 0) ||
        isa<memref::AllocOp, memref::AllocaOp>(op))
      continue;
    flush();
  }
  flush();
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
    fuseRuns(func.getBody().front(), reverseBlocks);
  }
};

} // namespace
