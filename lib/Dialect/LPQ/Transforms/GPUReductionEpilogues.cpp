//===- GPUReductionEpilogues.cpp - Reductions' consumers in their loop ----===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// A block quantizer lowers to three loop nests: the maxima of its blocks (a
// reduction into memory), the blocks' exponents (elementwise over the
// maxima) and the rounding. On the GPU each nest is a kernel launch, and the
// exponents' is a launch of a few threads between two dependent ones. This
// pass moves such an elementwise nest into the loop of the reduction it
// reads: each iteration of the reduction's parallel loop, once its element
// is reduced, runs the consumer's body for that element. lpq-gpu-prepare-loops
// then runs it in the first thread of the element's block, after the
// block-wide reduction. The same operations on the same values: the same
// bits.
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

bool isConstantIndex(Value v, int64_t c) {
  std::optional<int64_t> value = getConstantIntValue(v);
  return value && *value == c;
}

/// Whether loop dimension `d` of `loop` runs from 0 to `extent` by 1.
bool spans(scf::ParallelOp loop, unsigned d, int64_t extent) {
  return isConstantIndex(loop.getLowerBound()[d], 0) &&
         isConstantIndex(loop.getUpperBound()[d], extent) &&
         isConstantIndex(loop.getStep()[d], 1);
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
    } else if (extent != 1 || !isConstantIndex(index, 0)) {
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

/// The first parallel loop after `op` with nothing but pure ops and
/// allocations between (which go into `between`).
scf::ParallelOp nextParallel(Operation *op,
                             SmallVectorImpl<Operation *> &between) {
  for (Operation *next = op->getNextNode(); next; next = next->getNextNode()) {
    if (auto p = dyn_cast<scf::ParallelOp>(next))
      return p;
    if (next->getNumRegions() != 0 ||
        !(isPure(next) || isa<memref::AllocOp, memref::AllocaOp>(next)))
      return {};
    between.push_back(next);
  }
  return {};
}

/// Moves `consumer`'s body into `r`'s loop, after the reduction nest; a
/// reduction directly in the function first gets a parallel loop of one
/// iteration around it. Each consumer index is the reduction's store index
/// of the same dimension (its loop variable, or 0).
void fuse(Reduction &r, scf::ParallelOp consumer,
          ArrayRef<Operation *> between) {
  for (Operation *op : between)
    op->moveBefore(r.op);
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
  IRMapping map;
  map.map(consumer.getInductionVars(), r.red.store.getIndices());
  OpBuilder b(parallel.getBody()->getTerminator());
  for (Operation &op : consumer.getBody()->without_terminator())
    b.clone(op, map);
  consumer.erase();
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
      SmallVector<Operation *> between;
      scf::ParallelOp consumer = nextParallel(op, between);
      if (!consumer || !isElementwiseConsumer(consumer, *r))
        continue;
      fused.insert(consumer);
      fuse(*r, consumer, between);
    }
  }
};

} // namespace
