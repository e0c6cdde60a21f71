//===- GPURecomputeBlockReductions.cpp - One-block maxima in their reader -===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// A whole-tensor block quantizer (SWALP's activations and errors) takes its
// maximum in two kernels on the GPU: the maxima of its rows, a thread block
// each, then one block that reduces them, stores the maximum and the
// exponent; a third kernel rounds the tensor with that exponent. Each is a
// launch, and each waits for the one before. A maximum (or minimum, and,
// or) gives the same bits whichever threads combine which terms, and as
// often as they like, so every block of the rounding kernel can reduce the
// rows' maxima itself, a few hundred loads, and use the exponent without
// it ever going through memory: one launch fewer, and the same bits.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "Aliasing.h"
#include "GPUNests.h"
#include "GPUReductions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPURECOMPUTEBLOCKREDUCTIONSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// A kernel with a thread loop (lpq::GPUNest).
using Kernel = lpq::GPUNest;

std::optional<Kernel> matchKernel(Operation *op) {
  std::optional<Kernel> kernel = lpq::matchGPUNest(op);
  if (!kernel || !kernel->threads)
    return std::nullopt;
  return kernel;
}

/// Whether `v` is `tid == 0`.
bool isFirstThread(Value v, Value tid) {
  auto cmp = v.getDefiningOp<arith::CmpIOp>();
  if (!cmp || cmp.getPredicate() != arith::CmpIPredicate::eq)
    return false;
  return (cmp.getLhs() == tid && isConstantIntValue(cmp.getRhs(), 0)) ||
         (cmp.getRhs() == tid && isConstantIntValue(cmp.getLhs(), 0));
}

/// A buffer of one element: whatever indices a load uses, it reads that.
bool isScalarBuffer(Value base) {
  auto type = dyn_cast<MemRefType>(base.getType());
  return type && type.hasStaticShape() && type.getNumElements() == 1 &&
         base.getDefiningOp<memref::AllocOp>();
}

/// A one-block kernel whose threads combine partials with one idempotent
/// `gpu.all_reduce` and whose only stores are thread 0's, of single values
/// (`scalars`, allocations of one element), in an `scf.if` after it.
struct Producer {
  Kernel kernel;
  scf::IfOp first;
  SmallVector<Value> scalars; // bases of the buffers `first` stores into
  SmallVector<Value> reads;   // bases of the buffers the kernel reads
};

std::optional<Producer> matchProducer(Kernel &k) {
  std::optional<int64_t> upper =
      getConstantIntValue(k.blocks.getUpperBound()[0]);
  std::optional<int64_t> step = getConstantIntValue(k.blocks.getStep()[0]);
  if (!upper || !step || *upper < 1 || *upper > *step)
    return std::nullopt; // not one block
  Value tid = k.threads.getInductionVars()[0];
  Producer p{k, nullptr, {}, {}};
  gpu::AllReduceOp reduction;
  for (Operation &op : k.threads.getBody()->without_terminator()) {
    if (auto r = dyn_cast<gpu::AllReduceOp>(op)) {
      if (reduction || !r.getOp() || !lpq::isIdempotent(*r.getOp()) ||
          !r.getUniform())
        return std::nullopt;
      reduction = r;
      continue;
    }
    if (auto branch = dyn_cast<scf::IfOp>(op);
        branch && !p.first && isFirstThread(branch.getCondition(), tid) &&
        branch.getNumResults() == 0 && branch.getElseRegion().empty()) {
      p.first = branch;
      continue;
    }
  }
  if (!reduction || !p.first || !reduction->isBeforeInBlock(p.first))
    return std::nullopt;
  // Thread 0's branch: pure operations, loads and stores of scalars.
  for (Operation &op : p.first.thenBlock()->without_terminator()) {
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      Value base = lpq::viewRoot(store.getMemRef());
      if (!isScalarBuffer(base))
        return std::nullopt;
      if (!llvm::is_contained(p.scalars, base))
        p.scalars.push_back(base);
    } else if (!isa<memref::LoadOp>(op) &&
               (!isPure(&op) || op.getNumRegions() != 0)) {
      return std::nullopt;
    }
  }
  // Elsewhere: nothing but reads, and no other GPU operation.
  WalkResult result = k.threads.getBody()->walk([&](Operation *op) {
    if (p.first->isAncestor(op) && op != p.first.getOperation())
      return WalkResult::advance();
    if (op == reduction.getOperation() || isa<scf::ReduceOp>(op))
      return WalkResult::advance();
    if (isa_and_present<gpu::GPUDialect>(op->getDialect()) ||
        isa<scf::ParallelOp, memref::AllocOp, memref::AllocaOp>(op))
      return WalkResult::interrupt();
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      p.reads.push_back(lpq::viewRoot(load.getMemRef()));
      return WalkResult::advance();
    }
    if (isMemoryEffectFree(op) ||
        op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return WalkResult::advance();
    return WalkResult::interrupt();
  });
  if (result.wasInterrupted())
    return std::nullopt;
  for (Operation &op : p.first.thenBlock()->without_terminator())
    if (auto load = dyn_cast<memref::LoadOp>(op))
      p.reads.push_back(lpq::viewRoot(load.getMemRef()));
  return p;
}

/// Whether `op` (a kernel or an operation between kernels) may write a
/// buffer in `bases`; unknown effects count as writes.
bool mayWrite(Operation *op, ArrayRef<Value> bases) {
  if (isa<memref::AllocOp, memref::AllocaOp>(op))
    return false;
  SmallVector<lpq::BufferAccess> accesses;
  WalkResult r = op->walk([&](Operation *inner) {
    if (isa<gpu::AllReduceOp, gpu::BarrierOp>(inner))
      return WalkResult::advance();
    return succeeded(lpq::appendBufferAccesses(inner, accesses))
               ? WalkResult::advance()
               : WalkResult::interrupt();
  });
  return r.wasInterrupted() ||
         llvm::any_of(accesses, [&](const lpq::BufferAccess &a) {
           return a.write && llvm::any_of(bases, [&](Value b) {
                    return lpq::mayAlias(a.base, b);
                  });
         });
}

/// The loads of `scalars` in `op`'s regions.
SmallVector<memref::LoadOp> loadsOf(Operation *op, ArrayRef<Value> scalars) {
  SmallVector<memref::LoadOp> loads;
  op->walk([&](memref::LoadOp load) {
    if (llvm::is_contained(scalars, lpq::viewRoot(load.getMemRef())))
      loads.push_back(load);
  });
  return loads;
}

/// The kernel that reads `p`'s scalars, if there is one, it can take `p`'s
/// work, and nothing else reads them after `p`: the next kernel that reads
/// one, with at least `p`'s threads, and nothing in between that writes
/// what `p` reads.
std::optional<Kernel> findConsumer(Producer &p) {
  Operation *producer = p.kernel.blocks;
  std::optional<Kernel> consumer;
  for (Operation *op = producer->getNextNode(); op; op = op->getNextNode()) {
    if (!loadsOf(op, p.scalars).empty()) {
      consumer = matchKernel(op);
      break;
    }
    if (mayWrite(op, p.reads) || mayWrite(op, p.scalars))
      return std::nullopt;
  }
  if (!consumer || consumer->blockSize < p.kernel.blockSize ||
      mayWrite(consumer->blocks, p.scalars))
    return std::nullopt;
  // The scalars' users after the producer: the consumer and deallocations.
  for (Value base : p.scalars) {
    SmallVector<Value> worklist = {base};
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      for (Operation *user : v.getUsers()) {
        if (isa<ViewLikeOpInterface>(user)) {
          llvm::append_range(worklist, user->getResults());
          continue;
        }
        if (isa<memref::DeallocOp>(user))
          continue;
        Operation *top = producer->getBlock()->findAncestorOpInBlock(*user);
        if (top && (top == producer || top->isBeforeInBlock(producer)))
          continue;
        if (top == consumer->blocks.getOperation() && isa<memref::LoadOp>(user))
          continue;
        return std::nullopt;
      }
    }
  }
  return consumer;
}

/// Moves `p`'s work to the start of `c`'s threads: thread t of each of
/// `c`'s blocks does what thread t mod size of `p`'s block did (threads
/// beyond `p`'s repeat others' terms: the same result for an idempotent
/// reduction), every thread does thread 0's scalar work without the
/// stores, and `c` uses the stored values instead of loading them.
void recompute(Producer &p, Kernel &c) {
  // The reader's loads, before the producer's own (a reduction that starts
  // from the scalar's stored value loads it) join them.
  SmallVector<memref::LoadOp> loads = loadsOf(c.blocks, p.scalars);
  OpBuilder b = OpBuilder::atBlockBegin(c.threads.getBody());
  Location loc = p.kernel.blocks.getLoc();
  IRMapping mapping;
  mapping.map(p.kernel.blocks.getInductionVars()[0],
              p.kernel.blocks.getLowerBound()[0]);
  Value tid = c.threads.getInductionVars()[0];
  if (c.blockSize != p.kernel.blockSize)
    tid = arith::RemUIOp::create(
        b, loc, tid,
        arith::ConstantIndexOp::create(b, loc, p.kernel.blockSize));
  mapping.map(p.kernel.threads.getInductionVars()[0], tid);
  for (Operation &op : p.kernel.blocks.getBody()->without_terminator())
    if (&op != p.kernel.threads.getOperation())
      b.clone(op, mapping);
  DenseMap<Value, Value> stored; // scalar base -> the value last stored
  for (Operation &op : p.kernel.threads.getBody()->without_terminator()) {
    if (&op != p.first.getOperation()) {
      b.clone(op, mapping);
      continue;
    }
    for (Operation &inner : p.first.thenBlock()->without_terminator()) {
      if (auto store = dyn_cast<memref::StoreOp>(inner)) {
        stored[lpq::viewRoot(store.getMemRef())] =
            mapping.lookupOrDefault(store.getValueToStore());
        continue;
      }
      if (auto load = dyn_cast<memref::LoadOp>(inner)) {
        auto it = stored.find(lpq::viewRoot(load.getMemRef()));
        if (it != stored.end()) {
          mapping.map(load.getResult(), it->second);
          continue;
        }
      }
      b.clone(inner, mapping);
    }
  }
  for (memref::LoadOp load : loads) {
    load.getResult().replaceAllUsesWith(
        stored.lookup(lpq::viewRoot(load.getMemRef())));
    load.erase();
  }
  p.kernel.blocks.erase();
}

/// Whether every scalar `c` loads is one `p` stores, with its type.
bool storesWhatIsLoaded(Producer &p, Kernel &c) {
  DenseMap<Value, Type> stored;
  for (Operation &op : p.first.thenBlock()->without_terminator())
    if (auto store = dyn_cast<memref::StoreOp>(op))
      stored[lpq::viewRoot(store.getMemRef())] =
          store.getValueToStore().getType();
  return llvm::all_of(loadsOf(c.blocks, p.scalars), [&](memref::LoadOp l) {
    return stored.lookup(lpq::viewRoot(l.getMemRef())) == l.getType();
  });
}

struct LPQGPURecomputeBlockReductionsPass
    : mlir::lpq::impl::LPQGPURecomputeBlockReductionsPassBase<
          LPQGPURecomputeBlockReductionsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    for (Operation &op :
         llvm::make_early_inc_range(func.getBody().front().getOperations())) {
      std::optional<Kernel> kernel = matchKernel(&op);
      if (!kernel)
        continue;
      std::optional<Producer> producer = matchProducer(*kernel);
      if (!producer)
        continue;
      std::optional<Kernel> consumer = findConsumer(*producer);
      if (consumer && storesWhatIsLoaded(*producer, *consumer))
        recompute(*producer, *consumer);
    }
  }
};

} // namespace
