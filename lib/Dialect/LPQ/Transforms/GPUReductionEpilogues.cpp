//===- GPUReductionEpilogues.cpp - Reductions' consumers in their loop ----===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// A block quantizer lowers to four loop nests: a zero fill of its blocks'
// maxima, the maxima (a reduction into memory), the blocks' exponents
// (elementwise over the maxima) and the rounding. On the GPU each nest was a
// kernel launch, all four dependent, three of them small. This pass moves
// the fill, the exponents and, where it reads only its own row's results,
// the rounding into the loop of the reduction: each iteration of the
// reduction's parallel loop stores the fill's value into its element,
// reduces it, computes the exponent and rounds the row.
// lpq-gpu-prepare-loops then makes each iteration a thread block: the
// partials start from the fill's value, thread 0 stores the maximum and
// the exponent, and after a barrier the block's threads round the row. The
// same operations on the same values: the same bits.
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
#include "llvm/ADT/SmallBitVector.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPUREDUCTIONEPILOGUESPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// A reduction into memory that computes every element of its accumulator
/// `acc` once: a reduction nest (`matchMemoryReduction`) either directly in
/// the function (an accumulator of one element) or as the only loop of a
/// parallel loop from 0 by 1 over each dimension of `acc` whose extent is
/// not 1, with nothing else in the parallel loop's body but pure ops.
struct Reduction {
  Operation *op; // the scf.for nest or the scf.parallel around it
  lpq::MemoryReduction red;
  MemRefType accType;
};

/// Whether loop dimension `d` of `loop` runs from 0 to `extent` by 1.
bool spans(scf::ParallelOp loop, unsigned d, int64_t extent) {
  return isConstantIntValue(loop.getLowerBound()[d], 0) &&
         isConstantIntValue(loop.getUpperBound()[d], extent) &&
         isConstantIntValue(loop.getStep()[d], 1);
}

std::optional<Reduction> matchReduction(Operation *op) {
  scf::ForOp nest;
  auto parallel = dyn_cast<scf::ParallelOp>(op);
  if (parallel) {
    if (parallel.getNumReductions() != 0)
      return std::nullopt;
    for (Operation &inner : parallel.getBody()->without_terminator()) {
      if (auto f = dyn_cast<scf::ForOp>(inner); f && !nest)
        nest = f;
      else if (!isPure(&inner) || inner.getNumRegions() != 0)
        return std::nullopt;
    }
  } else {
    nest = dyn_cast<scf::ForOp>(op);
  }
  if (!nest)
    return std::nullopt;
  std::optional<lpq::MemoryReduction> red = lpq::matchMemoryReduction(nest);
  if (!red)
    return std::nullopt;
  auto accType = cast<MemRefType>(red->store.getMemRef().getType());
  if (!accType.hasStaticShape() || !accType.getLayout().isIdentity())
    return std::nullopt;
  // Each index of the store: a dimension of the parallel loop spanning the
  // accumulator's, each dimension once, or 0 where the extent is 1.
  llvm::SmallBitVector used(parallel ? parallel.getNumLoops() : 0);
  for (auto [index, extent] :
       llvm::zip_equal(red->store.getIndices(), accType.getShape())) {
    auto arg = dyn_cast<BlockArgument>(index);
    if (parallel && arg && arg.getOwner() == parallel.getBody()) {
      unsigned d = arg.getArgNumber();
      if (used.test(d) || !spans(parallel, d, extent))
        return std::nullopt;
      used.set(d);
    } else if (extent != 1 || !isConstantIntValue(index, 0)) {
      return std::nullopt;
    }
  }
  if (!used.all())
    return std::nullopt;
  return Reduction{op, *red, accType};
}

/// Whether `consumer` can run inside `r`'s loop, element by element: a
/// parallel loop from 0 by 1 over exactly the accumulator's shape, whose
/// body (no regions) reads the accumulator only at its own element, writes
/// nothing the reduction reads or writes, and does nothing else with
/// effects than loads and stores.
bool isElementwiseConsumer(scf::ParallelOp consumer, Reduction r) {
  ArrayRef<int64_t> shape = r.accType.getShape();
  if (consumer.getNumReductions() != 0 ||
      consumer.getNumLoops() != shape.size())
    return false;
  for (auto [d, extent] : llvm::enumerate(shape))
    if (!spans(consumer, d, extent))
      return false;
  Value acc = r.red.store.getMemRef();
  // What the reduction reads (the accumulator included).
  SmallVector<Value> read;
  r.red.nest.back().getBody()->walk([&](memref::LoadOp load) {
    read.push_back(lpq::viewRoot(load.getMemRef()));
  });
  bool readsAcc = false;
  for (Operation &op : consumer.getBody()->without_terminator()) {
    if (op.getNumRegions() != 0)
      return false;
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      if (!lpq::mayAlias(lpq::viewRoot(load.getMemRef()), acc))
        continue;
      if (load.getMemRef() != acc ||
          load.getIndices() != ValueRange(consumer.getInductionVars()))
        return false;
      readsAcc = true;
    } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
      Value base = lpq::viewRoot(store.getMemRef());
      if (llvm::any_of(read, [&](Value v) { return lpq::mayAlias(v, base); }))
        return false;
    } else if (!isPure(&op)) {
      return false;
    }
  }
  return readsAcc;
}

/// Whether `op` may lie between two nests this pass puts together: a pure
/// op or an allocation (moved above both).
bool mayLieBetween(Operation *op) {
  return op->getNumRegions() == 0 &&
         (isPure(op) || isa<memref::AllocOp, memref::AllocaOp>(op));
}

/// The first parallel loop after `op` with nothing but pure ops and
/// allocations between (which go into `between`).
scf::ParallelOp nextParallel(Operation *op,
                             SmallVectorImpl<Operation *> &between) {
  for (Operation *next = op->getNextNode(); next; next = next->getNextNode()) {
    if (auto p = dyn_cast<scf::ParallelOp>(next))
      return p;
    if (!mayLieBetween(next))
      return {};
    between.push_back(next);
  }
  return {};
}

/// `r`'s parallel loop; a reduction directly in the function first gets a
/// parallel loop of one iteration around it.
scf::ParallelOp wrapInParallel(Reduction &r) {
  auto parallel = dyn_cast<scf::ParallelOp>(r.op);
  if (!parallel) {
    OpBuilder b(r.op);
    Location loc = r.op->getLoc();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    parallel = scf::ParallelOp::create(b, loc, ValueRange{zero},
                                       ValueRange{one}, ValueRange{one});
    r.op->moveBefore(parallel.getBody()->getTerminator());
    r.op = parallel;
  }
  return parallel;
}

/// Moves `consumer`'s body into `r`'s loop, after the reduction nest. Each
/// consumer index is the reduction's store index of the same dimension
/// (its loop variable, or 0).
void fuse(Reduction &r, scf::ParallelOp consumer,
          ArrayRef<Operation *> between) {
  for (Operation *op : between)
    op->moveBefore(r.op);
  scf::ParallelOp parallel = wrapInParallel(r);
  IRMapping map;
  map.map(consumer.getInductionVars(), r.red.store.getIndices());
  OpBuilder b(parallel.getBody()->getTerminator());
  for (Operation &op : consumer.getBody()->without_terminator())
    b.clone(op, map);
  consumer.erase();
}

/// The product of the static trip counts of `loops`' dimensions `dims`, or
/// nullopt where one is not static.
std::optional<int64_t> staticIterations(scf::ParallelOp loop,
                                        ArrayRef<unsigned> dims) {
  int64_t n = 1;
  for (unsigned d : dims) {
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[d]);
    std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[d]);
    std::optional<int64_t> step = getConstantIntValue(loop.getStep()[d]);
    if (!lb || !ub || !step || *step <= 0)
      return std::nullopt;
    n *= llvm::divideCeilSigned(std::max<int64_t>(*ub - *lb, 0), *step);
  }
  return n;
}

/// How a consumer works through `r`'s elements one reduction iteration at
/// a time: `outer[k]` is the consumer dimension that walks `r`'s k-th
/// loop variable; the others stay a parallel loop inside the iteration.
struct RowLocal {
  SmallVector<std::pair<unsigned, Value>> outer; // consumer dim, r's variable
  SmallVector<unsigned> inner;
};

/// Whether `consumer` can run inside `r`'s loop (after the epilogue), its
/// dimensions that follow `r`'s loop variables taken from them: it reads
/// what `r` writes (the accumulator, and what the epilogue stores at the
/// accumulator's index) only at the same index of the iteration it runs
/// in, writes nothing `r` reads or writes, has no regions, and does no more
/// work per iteration than the reduction (so that a block of threads
/// reducing one row can round it too; a whole tensor's maximum over its
/// rows' maxima is not followed by the whole tensor's rounding).
std::optional<RowLocal> rowLocalConsumer(scf::ParallelOp consumer,
                                         Reduction r) {
  if (consumer.getNumReductions() != 0)
    return std::nullopt;
  auto parallel = dyn_cast<scf::ParallelOp>(r.op);
  Block *body = parallel ? parallel.getBody() : nullptr;
  ValueRange index = r.red.store.getIndices();
  // What r writes: the accumulator and the epilogue's stores, each at
  // `index`; what it reads.
  SmallVector<Value> written = {r.red.store.getMemRef()};
  SmallVector<Value> read;
  WalkResult walk = r.op->walk([&](Operation *op) {
    if (auto load = dyn_cast<memref::LoadOp>(op))
      read.push_back(lpq::viewRoot(load.getMemRef()));
    if (auto store = dyn_cast<memref::StoreOp>(op);
        store && store != r.red.store) {
      if (store->getBlock() != body || store.getIndices() != index ||
          lpq::viewRoot(store.getMemRef()) != store.getMemRef())
        return WalkResult::interrupt();
      written.push_back(store.getMemRef());
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return std::nullopt;
  // The consumer dimension of each of r's loop variables in `index`.
  llvm::DenseMap<Value, unsigned> dimOf;
  bool dependent = false;
  for (Operation &op : consumer.getBody()->without_terminator()) {
    if (op.getNumRegions() != 0)
      return std::nullopt;
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      Value base = lpq::viewRoot(load.getMemRef());
      if (llvm::none_of(written,
                        [&](Value w) { return lpq::mayAlias(w, base); }))
        continue;
      dependent = true;
      // A one-element buffer (a whole tensor's maximum, its exponent) may
      // be read through a reshape, at index 0 of every dimension.
      auto baseType = dyn_cast<MemRefType>(base.getType());
      if (baseType && baseType.hasStaticShape() &&
          baseType.getNumElements() == 1 &&
          llvm::all_of(load.getIndices(),
                       [](Value v) { return isConstantIntValue(v, 0); }) &&
          llvm::is_contained(written, base))
        continue;
      if (!llvm::is_contained(written, load.getMemRef()))
        return std::nullopt;
      for (auto [mine, theirs] : llvm::zip_equal(load.getIndices(), index)) {
        if (!body || !isa<BlockArgument>(theirs) ||
            cast<BlockArgument>(theirs).getOwner() != body) {
          if (!isConstantIntValue(mine, 0))
            return std::nullopt;
          continue;
        }
        auto arg = dyn_cast<BlockArgument>(mine);
        if (!arg || arg.getOwner() != consumer.getBody())
          return std::nullopt;
        auto [it, inserted] = dimOf.try_emplace(theirs, arg.getArgNumber());
        if (it->second != arg.getArgNumber())
          return std::nullopt;
      }
    } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
      Value base = lpq::viewRoot(store.getMemRef());
      auto aliases = [&](Value v) { return lpq::mayAlias(v, base); };
      if (llvm::any_of(written, aliases) || llvm::any_of(read, aliases))
        return std::nullopt;
    } else if (!isPure(&op)) {
      return std::nullopt;
    }
  }
  if (!dependent)
    return std::nullopt;
  RowLocal rows;
  llvm::SmallBitVector taken(consumer.getNumLoops());
  if (body)
    for (BlockArgument v : body->getArguments()) {
      // (A loop of one iteration around a reduction into one element is
      // not in `index`; every other loop variable is, by matchReduction.)
      if (!llvm::is_contained(index, v))
        continue;
      auto it = dimOf.find(v);
      if (it == dimOf.end() || taken.test(it->second))
        return std::nullopt;
      unsigned d = it->second;
      if (!spans(
              consumer, d,
              *getConstantIntValue(parallel.getUpperBound()[v.getArgNumber()])))
        return std::nullopt;
      taken.set(d);
      rows.outer.push_back({d, v});
    }
  for (unsigned d = 0; d < consumer.getNumLoops(); ++d)
    if (!taken.test(d))
      rows.inner.push_back(d);
  std::optional<int64_t> work = staticIterations(consumer, rows.inner);
  std::optional<int64_t> reduced = lpq::foldedElements(r.red);
  if (!work || !reduced || *work > *reduced)
    return std::nullopt;
  return rows;
}

/// Moves `consumer` into `r`'s loop, after everything else in it, as a
/// parallel loop over its inner dimensions (or its body alone, when it has
/// none).
void fuseRows(Reduction &r, scf::ParallelOp consumer, const RowLocal &rows,
              ArrayRef<Operation *> between) {
  for (Operation *op : between)
    op->moveBefore(r.op);
  scf::ParallelOp parallel = wrapInParallel(r);
  IRMapping map;
  for (auto [d, v] : rows.outer)
    map.map(consumer.getInductionVars()[d], v);
  OpBuilder b(parallel.getBody()->getTerminator());
  if (!rows.inner.empty()) {
    SmallVector<Value> lbs, ubs, steps;
    for (unsigned d : rows.inner) {
      lbs.push_back(consumer.getLowerBound()[d]);
      ubs.push_back(consumer.getUpperBound()[d]);
      steps.push_back(consumer.getStep()[d]);
    }
    auto inner = scf::ParallelOp::create(b, consumer.getLoc(), lbs, ubs, steps);
    for (auto [k, d] : llvm::enumerate(rows.inner))
      map.map(consumer.getInductionVars()[d], inner.getInductionVars()[k]);
    b.setInsertionPoint(inner.getBody()->getTerminator());
  }
  for (Operation &op : consumer.getBody()->without_terminator())
    b.clone(op, map);
  consumer.erase();
}

/// Whether `fill` stores one value defined outside it into every element of
/// `r`'s accumulator and does nothing else: the reduction's start, which
/// can be stored by each of its iterations into its own element instead.
bool fillsAccumulator(scf::ParallelOp fill, Reduction r) {
  ArrayRef<int64_t> shape = r.accType.getShape();
  if (fill.getNumReductions() != 0 || fill.getNumLoops() != shape.size())
    return false;
  for (auto [d, extent] : llvm::enumerate(shape))
    if (!spans(fill, d, extent))
      return false;
  Block *body = fill.getBody();
  auto store = dyn_cast<memref::StoreOp>(body->front());
  return store && body->getOperations().size() == 2 &&
         store.getMemRef() == r.red.store.getMemRef() &&
         store.getIndices() == ValueRange(fill.getInductionVars()) &&
         fill.isDefinedOutsideOfLoop(store.getValueToStore());
}

/// The parallel loop before `op` with nothing but pure ops and allocations
/// between.
scf::ParallelOp previousParallel(Operation *op) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto p = dyn_cast<scf::ParallelOp>(prev))
      return p;
    if (!mayLieBetween(prev))
      return {};
  }
  return {};
}

/// Replaces `fill` by a store of its value, in each iteration of `r`'s loop,
/// into the element the iteration reduces, just before the reduction.
void foldFill(Reduction &r, scf::ParallelOp fill) {
  auto store = cast<memref::StoreOp>(fill.getBody()->front());
  wrapInParallel(r);
  OpBuilder b(r.red.nest.front());
  memref::StoreOp::create(b, store.getLoc(), store.getValueToStore(),
                          store.getMemRef(), r.red.store.getIndices());
  fill.erase();
}

struct LPQGPUReductionEpiloguesPass
    : mlir::lpq::impl::LPQGPUReductionEpiloguesPassBase<
          LPQGPUReductionEpiloguesPass> {
  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    for (Operation &op : getOperation().getOps())
      if (isa<scf::ParallelOp, scf::ForOp>(op))
        candidates.push_back(&op);
    llvm::SmallPtrSet<Operation *, 16> fused;
    for (Operation *op : candidates) {
      if (fused.contains(op))
        continue;
      std::optional<Reduction> r = matchReduction(op);
      if (!r)
        continue;
      if (scf::ParallelOp fill = previousParallel(r->op);
          fill && fillsAccumulator(fill, *r))
        foldFill(*r, fill);
      SmallVector<Operation *> between;
      scf::ParallelOp consumer = nextParallel(r->op, between);
      if (consumer && isElementwiseConsumer(consumer, *r)) {
        fused.insert(consumer);
        fuse(*r, consumer, between);
        between.clear();
        consumer = nextParallel(r->op, between);
      }
      if (!consumer)
        continue;
      if (std::optional<RowLocal> rows = rowLocalConsumer(consumer, *r)) {
        fused.insert(consumer);
        fuseRows(*r, consumer, *rows, between);
      }
    }
  }
};

} // namespace
