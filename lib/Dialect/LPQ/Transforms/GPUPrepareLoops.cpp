//===- GPUPrepareLoops.cpp - Loop nests ready for GPU mapping -------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "GPUReductions.h"
#include "RandomBits.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"

#include <numeric>

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPUPREPARELOOPSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;
using mlir::lpq::matchMemoryReduction;
using mlir::lpq::MemoryReduction;

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

/// Moves what the host would compute from device memory into the kernels
/// that use it: every load outside any loop, and the pure ops computing on
/// its value (a grid scale from a reduction's result, a loss scaled before
/// it is stored), are cloned at the start of each top-level parallel loop
/// that uses them and erased. Fails, with an error, when such a value
/// reaches anything else (the host's control flow, an allocation's size, a
/// call) or memory the load reads is written before a kernel using it.
LogicalResult sinkHostLoads(func::FuncOp function) {
  Block &body = function.getBody().front();
  llvm::SetVector<Operation *> slice;
  for (Operation &op : body) {
    bool derived = llvm::any_of(op.getOperands(), [&](Value v) {
      return v.getDefiningOp() && slice.contains(v.getDefiningOp());
    });
    if (isa<memref::LoadOp>(op) ||
        (derived && isPure(&op) && op.getNumRegions() == 0))
      slice.insert(&op);
  }
  if (slice.empty())
    return success();
  for (Operation &op : body) {
    if (slice.contains(&op))
      continue;
    // The slice's values this op uses, and the slice ops computing them.
    llvm::SmallPtrSet<Operation *, 16> needed;
    SmallVector<Operation *> worklist;
    op.walk([&](Operation *inner) {
      for (Value v : inner->getOperands())
        if (Operation *def = v.getDefiningOp();
            def && slice.contains(def) && needed.insert(def).second)
          worklist.push_back(def);
    });
    if (needed.empty())
      continue;
    auto parallel = dyn_cast<scf::ParallelOp>(op);
    if (!parallel)
      return op.emitOpError("lpq-gpu-prepare-loops: uses a value the host "
                            "would read from device memory; only kernels "
                            "may use it");
    while (!worklist.empty())
      for (Value v : worklist.pop_back_val()->getOperands())
        if (Operation *def = v.getDefiningOp();
            def && slice.contains(def) && needed.insert(def).second)
          worklist.push_back(def);
    // The memory read must not change between the load and the kernel.
    for (Operation *load : needed) {
      auto read = dyn_cast<memref::LoadOp>(load);
      if (!read)
        continue;
      for (Operation *between = load->getNextNode();
           between != op.getNextNode(); between = between->getNextNode()) {
        WalkResult written = between->walk([&](memref::StoreOp store) {
          return store.getMemRef() == read.getMemRef() ? WalkResult::interrupt()
                                                       : WalkResult::advance();
        });
        if (written.wasInterrupted())
          return read.emitOpError("lpq-gpu-prepare-loops: the host reads "
                                  "device memory that is written before the "
                                  "kernel using the value");
      }
    }
    IRMapping mapping;
    OpBuilder b = OpBuilder::atBlockBegin(parallel.getBody());
    for (Operation *s : slice)
      if (needed.contains(s))
        b.clone(*s, mapping);
    op.walk([&](Operation *inner) {
      for (OpOperand &use : inner->getOpOperands())
        if (Value to = mapping.lookupOrNull(use.get()))
          use.set(to);
    });
  }
  for (Operation *op : llvm::reverse(slice)) {
    if (!op->use_empty())
      return op->emitOpError("lpq-gpu-prepare-loops: its value, read from "
                             "device memory, still reaches the host");
    op->erase();
  }
  return success();
}

/// The number of iterations of a loop from `lb` to `ub` by `step`:
/// max(ceildiv(ub - lb, step), 0).
Value tripCount(OpBuilder &b, Location loc, Value lb, Value ub, Value step,
                Value zero) {
  Value span = arith::SubIOp::create(b, loc, ub, lb);
  return arith::MaxSIOp::create(
      b, loc, arith::CeilDivSIOp::create(b, loc, span, step), zero);
}

/// A store of the reduction's accumulator element before its nest in the
/// same block (a fill that lpq-gpu-reduction-epilogues folded into the
/// reduction's loop), or null.
memref::StoreOp startingStore(MemoryReduction red) {
  scf::ForOp outer = red.nest.front();
  for (Operation *op = outer->getPrevNode(); op; op = op->getPrevNode())
    if (auto store = dyn_cast<memref::StoreOp>(op))
      if (store.getMemRef() == red.store.getMemRef() &&
          store.getIndices() == red.store.getIndices())
        return store;
  return {};
}

/// The induction variables, from lower bounds `lbs` by `steps`, at linear
/// position `k` of a nest with trip counts `trips` (the last fastest).
SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value k,
                               ValueRange lbs, ValueRange steps,
                               ArrayRef<Value> trips) {
  SmallVector<Value> ivs(trips.size());
  Value rest = k;
  for (int64_t d = static_cast<int64_t>(trips.size()) - 1; d >= 0; --d) {
    Value pos = rest;
    if (d > 0) {
      pos = arith::RemSIOp::create(b, loc, rest, trips[d]);
      rest = arith::DivSIOp::create(b, loc, rest, trips[d]);
    }
    ivs[d] = arith::AddIOp::create(
        b, loc, lbs[d], arith::MulIOp::create(b, loc, pos, steps[d]));
  }
  return ivs;
}

/// Rewrites `red`, the only memory-touching op of the parallel loop
/// `parallel`'s body, into a block-wide reduction: the body moves into a
/// nested `scf.parallel` over `threads` threads; thread t folds the nest's
/// iterations t, t + threads, ... (consecutive threads read consecutive
/// elements) into a private partial that starts from acc[I], the block
/// combines the partials with `gpu.all_reduce` and thread 0 stores the
/// result. Every element is folded exactly once and acc[I] once per thread,
/// which an idempotent reduction does not notice, so the result equals the
/// sequential loop's bit for bit. What follows the nest in the body (an
/// epilogue that `lpq-gpu-reduction-epilogues` moved there, reading acc[I])
/// runs in thread 0 after its store, up to a parallel loop (the consumer
/// that rounds the row), which stays for `distributeOverBlock`. Returns the
/// thread loop.
scf::ParallelOp rewriteAsBlockReduction(scf::ParallelOp parallel,
                                        MemoryReduction red, int64_t threads) {
  scf::ForOp outer = red.nest.front();
  Location loc = outer.getLoc();
  OpBuilder b(outer);
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  // Trip counts and their product.
  SmallVector<Value> trips;
  Value total = index(1);
  Value zero = index(0);
  for (scf::ForOp f : red.nest) {
    Value trip = tripCount(b, loc, f.getLowerBound(), f.getUpperBound(),
                           f.getStep(), zero);
    trips.push_back(trip);
    total = arith::MulIOp::create(b, loc, total, trip);
  }
  // The thread loop takes the whole body of `parallel`.
  Block *body = parallel.getBody();
  b.setInsertionPointToStart(body);
  auto threadLoop =
      scf::ParallelOp::create(b, loc, ValueRange{index(0)},
                              ValueRange{index(threads)}, ValueRange{index(1)});
  Block *threadBody = threadLoop.getBody();
  while (threadLoop->getNextNode() != body->getTerminator())
    threadLoop->getNextNode()->moveBefore(threadBody->getTerminator());
  // (The ops defined above `outer` in the old body, the trip counts among
  // them, now precede it in the thread loop.)
  Value t = threadLoop.getInductionVars()[0];
  b.setInsertionPoint(outer);
  // The partials start from acc[I], or from the value a folded fill stores
  // there first (lpq-gpu-reduction-epilogues), which thread 0's store of
  // the result then replaces.
  memref::StoreOp start = startingStore(red);
  Value init =
      start ? start.getValueToStore() : b.clone(*red.load)->getResult(0);
  auto strided = scf::ForOp::create(
      b, loc, t, total, index(threads), ValueRange{init},
      [&](OpBuilder &nb, Location l, Value k, ValueRange iter) {
        IRMapping map;
        SmallVector<Value> lbs, steps;
        for (scf::ForOp f : red.nest) {
          lbs.push_back(f.getLowerBound());
          steps.push_back(f.getStep());
        }
        for (auto [f, iv] : llvm::zip_equal(
                 red.nest, delinearize(nb, l, k, lbs, steps, trips)))
          map.map(f.getInductionVar(), iv);
        map.map(red.load.getResult(), iter[0]);
        for (Operation &op : red.nest.back().getBody()->without_terminator())
          if (&op != red.load.getOperation() && &op != red.store.getOperation())
            nb.clone(op, map);
        scf::YieldOp::create(nb, l, map.lookup(red.combine->getResult(0)));
      });
  auto all = gpu::AllReduceOp::create(
      b, loc, strided.getResult(0),
      gpu::AllReduceOperationAttr::get(b.getContext(), red.kind),
      /*uniform=*/true);
  Value first =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, t, index(0));
  auto ifFirst = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
  b.setInsertionPointToStart(ifFirst.thenBlock());
  memref::StoreOp::create(b, loc, all.getResult(), red.store.getMemRef(),
                          red.store.getIndices());
  if (start)
    start.erase();
  while (outer->getNextNode() != threadBody->getTerminator() &&
         !isa<scf::ParallelOp>(outer->getNextNode()))
    outer->getNextNode()->moveBefore(ifFirst.thenBlock()->getTerminator());
  outer.erase();
  return threadLoop;
}

/// Threads per block for a reduction over `total` elements: `blockSize`,
/// or fewer (a power of two, at least four warps) for a short static nest;
/// 0 when the nest is statically shorter than four warps (a pooling
/// window), which one thread folds faster than a block would. The only
/// output of a nest (`oneOutput`: a whole tensor's maximum over its rows'
/// maxima, a bias's) takes `blockSize` threads however short it is: one
/// step instead of a thread's serial loop, a block size its neighbours
/// share (lpq-gpu-fuse-launches), and the shape
/// lpq-gpu-recompute-block-reductions moves into its reader.
int64_t reductionThreads(const MemoryReduction &red, int64_t blockSize,
                         bool oneOutput) {
  constexpr int64_t minThreads = 128;
  std::optional<int64_t> total = lpq::foldedElements(red);
  if (!total || oneOutput)
    return blockSize;
  if (*total < minThreads)
    return 0;
  return std::min<int64_t>(llvm::PowerOf2Ceil(*total), blockSize);
}

/// Whether `p` runs one iteration.
bool runsOnce(scf::ParallelOp p) {
  for (auto [lb, ub, step] :
       llvm::zip_equal(p.getLowerBound(), p.getUpperBound(), p.getStep())) {
    std::optional<APInt> trips = constantTripCount(
        lb, ub, step, /*isSigned=*/true,
        [](Value, Value, bool) { return std::optional<llvm::APSInt>(); });
    if (!trips || !trips->isOne())
      return false;
  }
  return true;
}

/// Whether the last dimension of `p` walks the four words of Philox groups
/// (convert-lpq-to-arith's form of stochastic rounding over a last axis that
/// is a multiple of 4): a static trip count of 4 and random bits computed
/// in the body.
bool walksPhiloxWords(scf::ParallelOp p) {
  if (p.getNumLoops() < 2 || p.getNumReductions() != 0)
    return false;
  std::optional<int64_t> lb = getConstantIntValue(p.getLowerBound().back());
  std::optional<int64_t> ub = getConstantIntValue(p.getUpperBound().back());
  std::optional<int64_t> step = getConstantIntValue(p.getStep().back());
  if (!lb || !ub || step != 1 || *ub - *lb != 4)
    return false;
  return p.getBody()
      ->walk([](Operation *op) {
        return lpq::isPhiloxMultiply(op) ? WalkResult::interrupt()
                                         : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Moves the last dimension of `p` into a sequential `scf.for` inside the
/// body of a new loop over the other dimensions, which it returns: each
/// thread then rounds the four elements of one Philox group and evaluates
/// Philox once for them (LLVM hoists it out of the word loop, as on the
/// CPU) instead of four threads evaluating it once each.
scf::ParallelOp sequentializeLastDim(RewriterBase &rewriter,
                                     scf::ParallelOp p) {
  Location loc = p.getLoc();
  rewriter.setInsertionPoint(p);
  auto outer = scf::ParallelOp::create(
      rewriter, loc, p.getLowerBound().drop_back(),
      p.getUpperBound().drop_back(), p.getStep().drop_back());
  rewriter.setInsertionPointToStart(outer.getBody());
  auto words = scf::ForOp::create(rewriter, loc, p.getLowerBound().back(),
                                  p.getUpperBound().back(), p.getStep().back());
  SmallVector<Value> ivs(outer.getInductionVars());
  ivs.push_back(words.getInductionVar());
  Block *body = p.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, words.getBody()->getTerminator(), ivs);
  rewriter.eraseOp(p);
  return outer;
}

/// Runs `inner`, a parallel loop in the body of `threadLoop` (thread `t` of
/// `threads`) after a block-wide reduction and its epilogue in thread 0,
/// over the block's threads: a barrier first (what thread 0 stored is read
/// by all), then thread t runs the iterations t, t + threads, ... of the
/// loop's linearized dimensions (consecutive threads on consecutive
/// elements), each Philox group's four words in one thread.
void distributeOverBlock(scf::ParallelOp threadLoop, scf::ParallelOp inner,
                         int64_t threads) {
  Location loc = inner.getLoc();
  OpBuilder b(inner);
  gpu::BarrierOp::create(b, loc);
  bool words = walksPhiloxWords(inner);
  unsigned n = inner.getNumLoops() - (words ? 1 : 0);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value total = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> trips;
  for (unsigned d = 0; d < n; ++d) {
    trips.push_back(tripCount(b, loc, inner.getLowerBound()[d],
                              inner.getUpperBound()[d], inner.getStep()[d],
                              zero));
    total = arith::MulIOp::create(b, loc, total, trips.back());
  }
  Value t = threadLoop.getInductionVars()[0];
  Value stride = arith::ConstantIndexOp::create(b, loc, threads);
  auto strided = scf::ForOp::create(b, loc, t, total, stride);
  b.setInsertionPoint(strided.getBody()->getTerminator());
  IRMapping map;
  for (auto [iv, value] :
       llvm::zip(inner.getInductionVars(),
                 delinearize(b, loc, strided.getInductionVar(),
                             inner.getLowerBound().take_front(n),
                             inner.getStep().take_front(n), trips)))
    map.map(iv, value);
  if (words) {
    auto wordLoop = scf::ForOp::create(b, loc, inner.getLowerBound().back(),
                                       inner.getUpperBound().back(),
                                       inner.getStep().back());
    map.map(inner.getInductionVars().back(), wordLoop.getInductionVar());
    b.setInsertionPoint(wordLoop.getBody()->getTerminator());
  }
  for (Operation &op : inner.getBody()->without_terminator())
    b.clone(op, map);
  inner.erase();
}

/// Replaces the parallel loops directly in `p`'s body (a consumer that
/// lpq-gpu-reduction-epilogues moved into a reduction's loop, where the
/// reduction stays one thread's) by sequential loops over the same
/// iterations: each thread of `p` runs them in order.
void sequentializeNested(scf::ParallelOp p) {
  for (auto inner :
       llvm::make_early_inc_range(p.getBody()->getOps<scf::ParallelOp>())) {
    OpBuilder b(inner);
    scf::buildLoopNest(
        b, inner.getLoc(), inner.getLowerBound(), inner.getUpperBound(),
        inner.getStep(), [&](OpBuilder &nb, Location, ValueRange ivs) {
          IRMapping map;
          map.map(inner.getInductionVars(), ivs);
          for (Operation &op : inner.getBody()->without_terminator())
            nb.clone(op, map);
        });
    inner.erase();
  }
}

/// Distributes the one-dimensional parallel loop `p` over thread blocks of
/// `blockSize` threads running `perThread` iterations each: thread t of
/// block b runs iterations (b * perThread + j) * blockSize + t for
/// j < perThread (one warp reads consecutive elements at every j), each
/// behind an in-bounds check. The outer loop becomes the grid, the inner
/// one the block.
void distributeOverThreads(RewriterBase &rewriter, scf::ParallelOp p,
                           int64_t blockSize, int64_t perThread) {
  Location loc = p.getLoc();
  rewriter.setInsertionPoint(p);
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
  };
  Value zero = index(0), one = index(1), threadCount = index(blockSize);
  Value tile = index(blockSize * perThread), iterations = index(perThread);
  Value lb = p.getLowerBound()[0], step = p.getStep()[0];
  Value trip =
      tripCount(rewriter, loc, lb, p.getUpperBound()[0], step, zero);
  auto blocks = scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                                        ValueRange{trip}, ValueRange{tile});
  rewriter.setInsertionPointToStart(blocks.getBody());
  auto threads =
      scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                              ValueRange{threadCount}, ValueRange{one});
  rewriter.setInsertionPointToStart(threads.getBody());
  Value i = arith::AddIOp::create(rewriter, loc, blocks.getInductionVars()[0],
                                  threads.getInductionVars()[0]);
  if (perThread > 1) {
    auto each = scf::ForOp::create(rewriter, loc, zero, iterations, one);
    rewriter.setInsertionPointToStart(each.getBody());
    i = arith::AddIOp::create(
        rewriter, loc, i,
        arith::MulIOp::create(rewriter, loc, each.getInductionVar(),
                              threadCount));
  }
  Value inBounds = arith::CmpIOp::create(rewriter, loc,
                                         arith::CmpIPredicate::slt, i, trip);
  auto guard = scf::IfOp::create(rewriter, loc, inBounds,
                                 /*withElseRegion=*/false);
  rewriter.setInsertionPointToStart(guard.thenBlock());
  Value iv = arith::AddIOp::create(
      rewriter, loc, lb, arith::MulIOp::create(rewriter, loc, i, step));
  Block *body = p.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, guard.thenBlock()->getTerminator(),
                             ValueRange{iv});
  rewriter.eraseOp(p);
}

/// Iterations per thread for a loop of `p`'s trip count: `perThread`, or 1
/// when the loop statically fits one block (more would only idle threads).
int64_t iterationsPerThread(scf::ParallelOp p, int64_t blockSize,
                            int64_t perThread) {
  std::optional<int64_t> lb = getConstantIntValue(p.getLowerBound()[0]);
  std::optional<int64_t> ub = getConstantIntValue(p.getUpperBound()[0]);
  std::optional<int64_t> step = getConstantIntValue(p.getStep()[0]);
  if (lb && ub && step && *step > 0 &&
      llvm::divideCeilSigned(std::max<int64_t>(*ub - *lb, 0), *step) <=
          blockSize)
    return 1;
  return perThread;
}

struct LPQGPUPrepareLoopsPass
    : mlir::lpq::impl::LPQGPUPrepareLoopsPassBase<LPQGPUPrepareLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize < 1) {
      getOperation().emitError("lpq-gpu-prepare-loops: block-size must be "
                               "positive, got ")
          << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    if (elementsPerThread < 1) {
      getOperation().emitError("lpq-gpu-prepare-loops: elements-per-thread "
                               "must be positive, got ")
          << static_cast<int64_t>(elementsPerThread);
      return signalPassFailure();
    }
    // A declaration has nothing to prepare.
    if (getOperation().isExternal())
      return;
    SmallVector<scf::ParallelOp> parallels;
    // Sequential loops that touch memory, and stores outside any loop (the
    // extents of tensor.from_elements, a loss): device memory is not the
    // host's to touch. (Loads outside loops move into kernels at the end.)
    SmallVector<scf::ForOp> serials;
    SmallVector<Operation *> hostStores;
    for (Operation &op : getOperation().getBody().getOps()) {
      if (auto p = dyn_cast<scf::ParallelOp>(op))
        parallels.push_back(p);
      else if (auto f = dyn_cast<scf::ForOp>(op); f && touchesMemory(f))
        serials.push_back(f);
      else if (isa<memref::StoreOp>(op))
        hostStores.push_back(&op);
    }
    // One linear dimension per nest: gpu-map-parallel-loops gives only three
    // dimensions to the hardware and runs the rest sequentially (a rank-4
    // nest got one thread per block), and a short innermost dimension would
    // leave most of a tile idle.
    IRRewriter rewriter(&getContext());
    // One thread per Philox group, not per element.
    llvm::SmallPtrSet<Operation *, 8> randomGroups;
    for (scf::ParallelOp &p : parallels)
      if (walksPhiloxWords(p)) {
        p = sequentializeLastDim(rewriter, p);
        randomGroups.insert(p);
      }
    for (scf::ParallelOp &p : parallels) {
      // (collapseParallelLoops rebuilds the loop without reduction values.)
      if (p.getNumLoops() == 1 || p.getNumReductions() != 0)
        continue;
      std::vector<unsigned> all(p.getNumLoops());
      std::iota(all.begin(), all.end(), 0u);
      Operation *next = p->getNextNode();
      bool random = randomGroups.erase(p);
      collapseParallelLoops(rewriter, p, {all});
      p = cast<scf::ParallelOp>(next->getPrevNode());
      if (random)
        randomGroups.insert(p);
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
        f.emitOpError("lpq-gpu-prepare-loops: the values of this "
                      "sequential loop, which reads memory, reach the host "
                      "or a parallel loop; it cannot run as a one-thread "
                      "kernel");
        return signalPassFailure();
      }
      grouped.insert(group->begin(), group->end());
      groups.push_back(std::move(*group));
    }
    // The other stores, runs of consecutive ones together.
    for (Operation *store : hostStores) {
      if (grouped.contains(store))
        continue;
      Operation *previous = store->getPrevNode();
      if (groups.empty() || !previous || groups.back().back() != previous ||
          !isa<memref::StoreOp>(previous))
        groups.emplace_back();
      groups.back().push_back(store);
    }
    // Reductions into memory become block-wide reductions: one thread block
    // per element of the parallel loop (per row of block maxima), one block
    // for a serial nest.
    llvm::SmallPtrSet<Operation *, 8> reduced;
    for (scf::ParallelOp p : parallels) {
      if (!blockReductions || randomGroups.contains(p))
        continue;
      auto loops = p.getBody()->getOps<scf::ForOp>();
      if (!llvm::hasSingleElement(loops))
        continue;
      scf::ForOp f = *loops.begin();
      std::optional<MemoryReduction> red =
          matchMemoryReduction(f, /*sideStores=*/true);
      // Pure ops before the nest; after it, an epilogue of loads, stores
      // and pure ops (lpq-gpu-reduction-epilogues).
      auto simple = [](Operation &op) {
        return op.getNumRegions() == 0 &&
               (isPure(&op) || isa<memref::LoadOp, memref::StoreOp>(op));
      };
      // Last, possibly, a parallel loop (the consumer that rounds the row).
      Operation *last = p.getBody()->getTerminator()->getPrevNode();
      auto consumer = dyn_cast_or_null<scf::ParallelOp>(last);
      if (!red || (consumer && consumer.getNumReductions() != 0))
        continue;
      Operation *start = startingStore(*red);
      if (!llvm::all_of(p.getBody()->without_terminator(), [&](Operation &op) {
            if (op.isBeforeInBlock(f))
              return (isPure(&op) && op.getNumRegions() == 0) || &op == start;
            return &op == f.getOperation() ||
                   (consumer && &op == consumer.getOperation()) || simple(op);
          }))
        continue;
      int64_t threads = reductionThreads(*red, blockSize, runsOnce(p));
      if (threads == 0)
        continue;
      scf::ParallelOp threadLoop = rewriteAsBlockReduction(p, *red, threads);
      if (consumer)
        distributeOverBlock(threadLoop, consumer, threads);
      reduced.insert(p);
    }
    for (scf::ParallelOp p : parallels) {
      if (reduced.contains(p))
        continue;
      sequentializeNested(p);
      distributeOverThreads(rewriter, p, blockSize,
                            iterationsPerThread(p, blockSize,
                                                elementsPerThread));
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
      // A lone reduction runs on one block of threads instead of one thread.
      if (group.size() == 1 && blockReductions && isa<scf::ForOp>(f))
        if (std::optional<MemoryReduction> red =
                matchMemoryReduction(cast<scf::ForOp>(f), /*sideStores=*/true))
          if (int64_t threads =
                  reductionThreads(*red, blockSize, /*oneOutput=*/true))
            rewriteAsBlockReduction(wrapper, *red, threads);
    }
    if (failed(sinkHostLoads(getOperation())))
      return signalPassFailure();
  }
};

} // namespace
