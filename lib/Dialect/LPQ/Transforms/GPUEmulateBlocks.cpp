//===- GPUEmulateBlocks.cpp - Thread blocks run on the host ---------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// The GPU pipeline's loop nests run on the host in tests (lpq's
// GPU-loops-on-host pipeline), but a thread loop that synchronizes its
// threads (a block-wide reduction, `gpu.all_reduce`, or a `gpu.barrier`)
// cannot run one thread after the other as it stands. This pass splits such
// a loop at each synchronization into phases: every thread runs one phase
// before any thread starts the next. Values a later phase uses live in a
// buffer with one element per thread; a block-wide reduction is folded
// sequentially over its operands between the phases. Within a phase the
// threads run in reverse order, so that a missing barrier (thread 0's store
// read by the others in the same phase) shows in the results.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPUEMULATEBLOCKSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

bool synchronizes(Operation &op) {
  return isa<gpu::AllReduceOp, gpu::BarrierOp>(op);
}

/// `a` combined with `b` by a block-wide reduction of kind `kind`.
FailureOr<Value> combine(OpBuilder &b, Location loc,
                         gpu::AllReduceOperation kind, Value x, Value y) {
  using K = gpu::AllReduceOperation;
  bool isFloat = isa<FloatType>(x.getType());
  switch (kind) {
  case K::MAXNUMF:
    return arith::MaxNumFOp::create(b, loc, x, y).getResult();
  case K::MINNUMF:
    return arith::MinNumFOp::create(b, loc, x, y).getResult();
  case K::MAXIMUMF:
    return arith::MaximumFOp::create(b, loc, x, y).getResult();
  case K::MINIMUMF:
    return arith::MinimumFOp::create(b, loc, x, y).getResult();
  case K::MAXSI:
    return arith::MaxSIOp::create(b, loc, x, y).getResult();
  case K::MINSI:
    return arith::MinSIOp::create(b, loc, x, y).getResult();
  case K::MAXUI:
    return arith::MaxUIOp::create(b, loc, x, y).getResult();
  case K::MINUI:
    return arith::MinUIOp::create(b, loc, x, y).getResult();
  case K::AND:
    return arith::AndIOp::create(b, loc, x, y).getResult();
  case K::OR:
    return arith::OrIOp::create(b, loc, x, y).getResult();
  case K::XOR:
    return arith::XOrIOp::create(b, loc, x, y).getResult();
  case K::ADD:
    return isFloat ? arith::AddFOp::create(b, loc, x, y).getResult()
                   : arith::AddIOp::create(b, loc, x, y).getResult();
  case K::MUL:
    return isFloat ? arith::MulFOp::create(b, loc, x, y).getResult()
                   : arith::MulIOp::create(b, loc, x, y).getResult();
  }
  return failure();
}

/// Splits the thread loop `threads` (0 to a constant by 1) at its
/// synchronizations; see the file comment.
LogicalResult emulate(scf::ParallelOp threads) {
  Location loc = threads.getLoc();
  std::optional<int64_t> count =
      getConstantIntValue(threads.getUpperBound()[0]);
  if (threads.getNumLoops() != 1 || threads.getNumReductions() != 0 ||
      getConstantIntValue(threads.getLowerBound()[0]) != 0 ||
      getConstantIntValue(threads.getStep()[0]) != 1 || !count || *count < 1)
    return threads.emitOpError(
        "lpq-gpu-emulate-blocks: a thread loop that synchronizes must run "
        "from 0 to a constant by 1");
  Block *body = threads.getBody();
  // The phases, and the synchronization after each but the last.
  SmallVector<SmallVector<Operation *>> phases(1);
  SmallVector<Operation *> syncs;
  for (Operation &op : body->without_terminator()) {
    if (synchronizes(op)) {
      syncs.push_back(&op);
      phases.emplace_back();
      continue;
    }
    if (op.walk([](Operation *inner) {
            return synchronizes(*inner) ? WalkResult::interrupt()
                                        : WalkResult::advance();
          }).wasInterrupted())
      return op.emitOpError("lpq-gpu-emulate-blocks: a synchronization "
                            "nested in this op cannot be emulated");
    phases.back().push_back(&op);
  }
  // The phase of each op of the body.
  llvm::DenseMap<Operation *, unsigned> phaseOf;
  for (auto [k, phase] : llvm::enumerate(phases))
    for (Operation *op : phase)
      phaseOf[op] = k;
  for (auto [k, sync] : llvm::enumerate(syncs))
    phaseOf[sync] = k;
  // Values used after the phase that defines them: one buffer element per
  // thread. (A reduction's result is uniform: one value, no buffer.)
  llvm::SetVector<Value> crossing;
  for (Operation &op : body->without_terminator()) {
    if (synchronizes(op))
      continue;
    for (Value result : op.getResults())
      for (OpOperand &use : result.getUses()) {
        Operation *user = use.getOwner();
        while (user->getBlock() != body)
          user = user->getParentOp();
        if (phaseOf.lookup(user) > phaseOf[&op] ||
            (isa<gpu::AllReduceOp>(user) &&
             phaseOf.lookup(user) == phaseOf[&op]))
          crossing.insert(result);
      }
  }
  OpBuilder b(threads);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value last = arith::ConstantIndexOp::create(b, loc, *count - 1);
  Value end = arith::ConstantIndexOp::create(b, loc, *count);
  // (On the heap: the thread loop usually sits in a loop over blocks.)
  llvm::DenseMap<Value, Value> buffers;
  for (Value v : crossing)
    buffers[v] =
        memref::AllocOp::create(b, loc, MemRefType::get({*count}, v.getType()));
  IRMapping uniform; // reductions' results
  for (auto [k, phase] : llvm::enumerate(phases)) {
    // Thread count-1-i in iteration i.
    auto loop = scf::ForOp::create(b, loc, zero, end, one);
    OpBuilder in = OpBuilder::atBlockTerminator(loop.getBody());
    Value t = arith::SubIOp::create(in, loc, last, loop.getInductionVar());
    IRMapping map = uniform;
    map.map(threads.getInductionVars()[0], t);
    for (Value v : crossing) {
      Operation *def = v.getDefiningOp();
      if (phaseOf[def] < k)
        map.map(v, memref::LoadOp::create(in, loc, buffers[v], t));
    }
    for (Operation *op : phase) {
      Operation *copy = in.clone(*op, map);
      for (auto [result, copied] :
           llvm::zip_equal(op->getResults(), copy->getResults()))
        if (crossing.contains(result))
          memref::StoreOp::create(in, loc, copied, buffers[result], t);
    }
    if (k == syncs.size())
      break;
    auto reduce = dyn_cast<gpu::AllReduceOp>(syncs[k]);
    if (!reduce)
      continue;
    if (!reduce.getBody().empty() || !reduce.getOp())
      return reduce.emitOpError(
          "lpq-gpu-emulate-blocks: only reductions named by their operation "
          "can be emulated");
    Value operands = buffers[reduce.getValue()];
    Value first = memref::LoadOp::create(b, loc, operands, zero);
    auto fold = scf::ForOp::create(
        b, loc, one, end, one, ValueRange{first},
        [&](OpBuilder &nb, Location l, Value i, ValueRange acc) {
          Value next = memref::LoadOp::create(nb, l, operands, i);
          FailureOr<Value> c = combine(nb, l, *reduce.getOp(), acc[0], next);
          scf::YieldOp::create(nb, l, *c);
        });
    uniform.map(reduce.getResult(), fold.getResult(0));
  }
  for (Value v : crossing)
    memref::DeallocOp::create(b, loc, buffers[v]);
  threads.erase();
  return success();
}

struct LPQGPUEmulateBlocksPass
    : mlir::lpq::impl::LPQGPUEmulateBlocksPassBase<LPQGPUEmulateBlocksPass> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk([&](scf::ParallelOp p) {
      if (llvm::any_of(p.getBody()->without_terminator(), synchronizes))
        loops.push_back(p);
    });
    for (scf::ParallelOp p : loops)
      if (failed(emulate(p)))
        return signalPassFailure();
  }
};

} // namespace
