//===- GPUAccessReport.cpp - Memory lines requested by GPU launches -------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// A static estimate of how coalesced each launch's memory accesses are: the
// address of every load and store of the kernel, evaluated for the 32
// threads of the first warp of the first block that reaches it (a fused
// launch dispatches its nests on the block id), gives the 128-byte lines
// one warp-wide access requests; weighted by trip counts and by the blocks
// and warps that reach it, the lines a launch requests. Every block's
// thread 0 is evaluated for the dispatch, so the pass takes time in
// proportion to blocks times accesses. Nothing is changed but the
// attributes this sets.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPUACCESSREPORTPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

constexpr int64_t kWarp = 32;
constexpr int64_t kLineBytes = 128;

/// Integer and index values of a launch's kernel (and of the host code that
/// computes its operands) for one thread of a block's first warp: thread id
/// x = `lane`, block id x = `block`, other ids 0, loop counters at the
/// values `counters` gives them or at their lower bounds.
class Evaluator {
public:
  Evaluator(gpu::LaunchFuncOp launch, gpu::GPUFuncOp kernel, int64_t block,
            int64_t lane, ArrayRef<std::pair<Value, int64_t>> counters = {})
      : launch(launch), kernel(kernel), block(block), lane(lane) {
    for (auto [counter, value] : counters)
      known[counter] = value;
  }

  std::optional<int64_t> operator()(Value v) {
    auto it = known.find(v);
    if (it != known.end())
      return it->second;
    std::optional<int64_t> result = compute(v);
    known[v] = result;
    return result;
  }

private:
  std::optional<int64_t> compute(Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      Operation *owner = arg.getOwner()->getParentOp();
      if (owner == kernel.getOperation())
        return (*this)(launch.getKernelOperands()[arg.getArgNumber()]);
      if (auto loop = dyn_cast<scf::ForOp>(owner))
        if (arg == loop.getInductionVar())
          return (*this)(loop.getLowerBound());
      if (auto loop = dyn_cast<scf::ParallelOp>(owner))
        return (*this)(loop.getLowerBound()[arg.getArgNumber()]);
      return std::nullopt;
    }
    Operation *op = v.getDefiningOp();
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      if (auto integer = dyn_cast<IntegerAttr>(constant.getValue()))
        return integer.getValue().getSExtValue();
      return std::nullopt;
    }
    if (auto id = dyn_cast<gpu::ThreadIdOp>(op))
      return id.getDimension() == gpu::Dimension::x ? lane : 0;
    if (auto id = dyn_cast<gpu::BlockIdOp>(op))
      return id.getDimension() == gpu::Dimension::x ? block : 0;
    if (isa<gpu::LaneIdOp>(op))
      return lane;
    if (auto dim = dyn_cast<gpu::BlockDimOp>(op))
      return (*this)(
          size(launch.getBlockSizeOperandValues(), dim.getDimension()));
    if (auto dim = dyn_cast<gpu::GridDimOp>(op))
      return (*this)(
          size(launch.getGridSizeOperandValues(), dim.getDimension()));
    if (auto apply = dyn_cast<affine::AffineApplyOp>(op)) {
      SmallVector<Attribute> operands;
      Builder b(op->getContext());
      for (Value operand : apply.getMapOperands()) {
        std::optional<int64_t> x = (*this)(operand);
        if (!x)
          return std::nullopt;
        operands.push_back(b.getIndexAttr(*x));
      }
      SmallVector<Attribute> folded;
      if (failed(apply.getAffineMap().constantFold(operands, folded)) ||
          folded.empty())
        return std::nullopt;
      auto result = dyn_cast<IntegerAttr>(folded[0]);
      return result ? std::optional<int64_t>(result.getInt()) : std::nullopt;
    }
    if (auto select = dyn_cast<arith::SelectOp>(op)) {
      std::optional<int64_t> c = (*this)(select.getCondition());
      if (!c)
        return std::nullopt;
      return (*this)(*c ? select.getTrueValue() : select.getFalseValue());
    }
    if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
            arith::ExtUIOp>(op))
      return (*this)(op->getOperand(0));
    if (op->getNumOperands() != 2 || op->getNumResults() != 1)
      return std::nullopt;
    std::optional<int64_t> a = (*this)(op->getOperand(0));
    std::optional<int64_t> b = (*this)(op->getOperand(1));
    if (!a || !b)
      return std::nullopt;
    int64_t x = *a, y = *b;
    bool zero = y == 0;
    return llvm::TypeSwitch<Operation *, std::optional<int64_t>>(op)
        .Case([&](arith::AddIOp) { return x + y; })
        .Case([&](arith::SubIOp) { return x - y; })
        .Case([&](arith::MulIOp) { return x * y; })
        .Case<arith::DivSIOp, arith::DivUIOp>(
            [&](auto) { return zero ? std::nullopt : std::optional(x / y); })
        .Case<arith::RemSIOp, arith::RemUIOp>(
            [&](auto) { return zero ? std::nullopt : std::optional(x % y); })
        .Case([&](arith::FloorDivSIOp) {
          return zero ? std::nullopt
                      : std::optional(llvm::divideFloorSigned(x, y));
        })
        .Case<arith::CeilDivSIOp, arith::CeilDivUIOp>([&](auto) {
          return zero ? std::nullopt
                      : std::optional(llvm::divideCeilSigned(x, y));
        })
        .Case<arith::MinSIOp, arith::MinUIOp>(
            [&](auto) { return std::min(x, y); })
        .Case<arith::MaxSIOp, arith::MaxUIOp>(
            [&](auto) { return std::max(x, y); })
        .Case([&](arith::AndIOp) { return x & y; })
        .Case([&](arith::OrIOp) { return x | y; })
        .Case([&](arith::XOrIOp) { return x ^ y; })
        .Case([&](arith::CmpIOp cmp) -> std::optional<int64_t> {
          switch (cmp.getPredicate()) {
          case arith::CmpIPredicate::eq:
            return x == y;
          case arith::CmpIPredicate::ne:
            return x != y;
          case arith::CmpIPredicate::slt:
          case arith::CmpIPredicate::ult:
            return x < y;
          case arith::CmpIPredicate::sle:
          case arith::CmpIPredicate::ule:
            return x <= y;
          case arith::CmpIPredicate::sgt:
          case arith::CmpIPredicate::ugt:
            return x > y;
          case arith::CmpIPredicate::sge:
          case arith::CmpIPredicate::uge:
            return x >= y;
          }
          return std::nullopt;
        })
        .Default([](Operation *) { return std::nullopt; });
  }

  static Value size(gpu::KernelDim3 sizes, gpu::Dimension d) {
    return d == gpu::Dimension::x   ? sizes.x
           : d == gpu::Dimension::y ? sizes.y
                                    : sizes.z;
  }

  gpu::LaunchFuncOp launch;
  gpu::GPUFuncOp kernel;
  int64_t block, lane;
  DenseMap<Value, std::optional<int64_t>> known;
};

/// The `scf.if` branches around `op` in its kernel: a fused launch's
/// dispatch on the block id, bounds checks. Each with whether `op` is in its
/// then-region.
using Branches = SmallVector<std::pair<scf::IfOp, bool>>;
Branches branchesAround(Operation *op, gpu::GPUFuncOp kernel) {
  Branches branches;
  for (Operation *p = op; p->getParentOp() != kernel; p = p->getParentOp())
    if (auto branch = dyn_cast<scf::IfOp>(p->getParentOp()))
      branches.push_back(
          {branch, p->getParentRegion() == &branch.getThenRegion()});
  return branches;
}

/// Whether `thread` takes every branch of `branches` (a condition that
/// cannot be evaluated counts as taken).
bool takes(const Branches &branches, Evaluator &thread) {
  return llvm::all_of(branches, [&](auto branch) {
    std::optional<int64_t> c = thread(branch.first.getCondition());
    return !c || (*c != 0) == branch.second;
  });
}

/// The 128-byte lines that one warp-wide execution of an access (a load or
/// store of `memref` at `indices`, inside `branches`) requests from the
/// threads of `lanes` that take the branches, or nothing when an address is
/// unknown.
std::optional<int64_t> linesPerWarp(ArrayRef<Evaluator *> lanes,
                                    const Branches &branches, Value memref,
                                    ValueRange indices) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  if (ShapedType::isDynamic(offset))
    offset = 0;
  Type element = type.getElementType();
  int64_t bytes =
      element.isIntOrFloat() ? (element.getIntOrFloatBitWidth() + 7) / 8 : 8;
  llvm::SmallSet<int64_t, kWarp> lines;
  for (Evaluator *lane : lanes) {
    if (!takes(branches, *lane))
      continue;
    int64_t linear = offset;
    for (auto [index, stride] : llvm::zip(indices, strides)) {
      std::optional<int64_t> i = (*lane)(index);
      if (!i)
        return std::nullopt;
      linear += *i * stride;
    }
    lines.insert(llvm::divideFloorSigned(linear * bytes, kLineBytes));
  }
  return static_cast<int64_t>(lines.size());
}

/// How often thread 0 of `block` runs `op`, inside `branches`: the trip
/// counts of the loops around it (a loop of unknown extent counts once),
/// where the loops that hold one of the branches and run at most 16 times
/// count the iterations that take the branches (the bounds check of each of
/// a thread's iterations). `thread0` is that thread, counters at their
/// lower bounds.
int64_t runsPerThread(Operation *op, const Branches &branches,
                      gpu::LaunchFuncOp launch, gpu::GPUFuncOp kernel,
                      int64_t block, Evaluator &thread0) {
  int64_t trips = 1;
  // Enumerated loops: counter, first value, step, trips.
  SmallVector<std::tuple<Value, int64_t, int64_t, int64_t>> enumerated;
  for (Operation *p = op->getParentOp(); p && p != kernel;
       p = p->getParentOp()) {
    auto loop = dyn_cast<scf::ForOp>(p);
    if (!loop)
      continue;
    std::optional<int64_t> lb = thread0(loop.getLowerBound());
    std::optional<int64_t> ub = thread0(loop.getUpperBound());
    std::optional<int64_t> step = thread0(loop.getStep());
    if (!lb || !ub || !step || *step <= 0)
      continue;
    int64_t n = std::max<int64_t>(0, llvm::divideCeil(*ub - *lb, *step));
    bool guards = llvm::any_of(branches, [&](auto branch) {
      return loop->isProperAncestor(branch.first);
    });
    if (guards && n <= 16 && enumerated.size() < 2)
      enumerated.push_back({loop.getInductionVar(), *lb, *step, n});
    else
      trips *= n;
  }
  int64_t combinations = 1;
  for (auto [counter, first, step, n] : enumerated)
    combinations *= n;
  int64_t taken = 0;
  for (int64_t c = 0; c < combinations; ++c) {
    SmallVector<std::pair<Value, int64_t>, 2> counters;
    int64_t rest = c;
    for (auto [counter, first, step, n] : enumerated) {
      counters.push_back({counter, first + (rest % n) * step});
      rest /= n;
    }
    Evaluator thread(launch, kernel, block, 0, counters);
    taken += takes(branches, thread);
  }
  return trips * taken;
}

/// Threads of a launch, evaluated on demand.
class LaunchEvaluators {
public:
  LaunchEvaluators(gpu::LaunchFuncOp launch, gpu::GPUFuncOp kernel,
                   int64_t lanes)
      : launch(launch), kernel(kernel), lanes(lanes) {}

  /// Thread `t` of `block`.
  Evaluator &thread(int64_t block, int64_t t) {
    std::unique_ptr<Evaluator> &e = threads[{block, t}];
    if (!e)
      e = std::make_unique<Evaluator>(launch, kernel, block, t);
    return *e;
  }

  /// The first warp's threads in `block`.
  SmallVector<Evaluator *> warp(int64_t block) {
    SmallVector<Evaluator *> w;
    for (int64_t t = 0; t < lanes; ++t)
      w.push_back(&thread(block, t));
    return w;
  }

private:
  gpu::LaunchFuncOp launch;
  gpu::GPUFuncOp kernel;
  int64_t lanes;
  DenseMap<std::pair<int64_t, int64_t>, std::unique_ptr<Evaluator>> threads;
};

/// The blocks whose thread 0 takes `branches`: their count and the first.
std::pair<int64_t, int64_t> blocksRunning(const Branches &branches,
                                          int64_t blocks,
                                          LaunchEvaluators &evaluators) {
  int64_t count = 0, first = -1;
  for (int64_t b = 0; b < blocks; ++b) {
    if (!takes(branches, evaluators.thread(b, 0)))
      continue;
    ++count;
    if (first < 0)
      first = b;
  }
  return {count, first};
}

/// The warps of `block` whose first thread takes `branches` (a bounds check
/// leaves the warps past a short loop's end idle).
int64_t warpsRunning(const Branches &branches, int64_t block,
                     int64_t warpsPerBlock, LaunchEvaluators &evaluators) {
  int64_t count = 0;
  for (int64_t w = 0; w < warpsPerBlock; ++w)
    count += takes(branches, evaluators.thread(block, w * kWarp));
  return count;
}

struct LPQGPUAccessReportPass
    : mlir::lpq::impl::LPQGPUAccessReportPassBase<LPQGPUAccessReportPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([&](gpu::LaunchFuncOp launch) { report(launch); });
  }

  void report(gpu::LaunchFuncOp launch) {
    auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
        launch, launch.getKernel());
    if (!kernel)
      return;
    Evaluator host(launch, kernel, 0, 0);
    SmallVector<int64_t, 6> sizes;
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    for (Value v : {block.x, block.y, block.z, grid.x, grid.y, grid.z}) {
      std::optional<int64_t> n = host(v);
      if (!n || *n < 0) {
        if (remarks)
          launch.emitRemark("lpq-gpu-access-report: launch sizes not "
                            "constant; no estimate");
        return;
      }
      sizes.push_back(*n);
    }
    Builder b(launch.getContext());
    auto set = [&](int64_t accesses, int64_t lines, int64_t unknown,
                   int64_t longest) {
      launch->setAttr("lpq.warp_accesses", b.getI64IntegerAttr(accesses));
      launch->setAttr("lpq.memory_lines", b.getI64IntegerAttr(lines));
      launch->setAttr("lpq.unknown_accesses", b.getI64IntegerAttr(unknown));
      launch->setAttr("lpq.thread_accesses", b.getI64IntegerAttr(longest));
    };
    // An empty grid (an empty tensor's loop) is not launched.
    if (llvm::is_contained(sizes, 0)) {
      set(0, 0, 0, 0);
      if (remarks)
        launch.emitRemark("lpq-gpu-access-report: empty launch");
      return;
    }
    int64_t threads = sizes[0] * sizes[1] * sizes[2];
    int64_t blocks = sizes[3], otherBlocks = sizes[4] * sizes[5];
    int64_t warpsPerBlock = llvm::divideCeil(threads, kWarp);
    LaunchEvaluators evaluators(launch, kernel, std::min(threads, kWarp));

    int64_t accesses = 0, lines = 0, unknown = 0;
    // The accesses thread 0 of a block runs, by the first block that runs
    // them (a fused launch's nests dispatch on disjoint ranges of blocks).
    DenseMap<int64_t, int64_t> perThread;
    kernel.walk([&](Operation *op) {
      Value memref;
      ValueRange indices;
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        memref = load.getMemRef();
        indices = load.getIndices();
      } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
        memref = store.getMemRef();
        indices = store.getIndices();
      } else {
        return;
      }
      Branches branches = branchesAround(op, kernel);
      auto [running, first] = blocksRunning(branches, blocks, evaluators);
      if (running == 0)
        return;
      int64_t ofThread = runsPerThread(op, branches, launch, kernel, first,
                                       evaluators.thread(first, 0));
      perThread[first] += ofThread;
      int64_t runs = running * otherBlocks *
                     warpsRunning(branches, first, warpsPerBlock, evaluators) *
                     ofThread;
      std::optional<int64_t> perWarp =
          linesPerWarp(evaluators.warp(first), branches, memref, indices);
      accesses += runs;
      lines += runs * perWarp.value_or(1);
      if (!perWarp)
        unknown += runs;
    });
    int64_t longest = 0;
    for (auto [first, n] : perThread)
      longest = std::max(longest, n);
    set(accesses, lines, unknown, longest);
    if (remarks)
      launch.emitRemark() << "kernel " << launch.getKernelName() << ": "
                          << blocks * otherBlocks * warpsPerBlock << " warps, "
                          << accesses << " warp-wide accesses, " << lines
                          << " lines of 128 bytes, " << unknown
                          << " accesses unknown, at most " << longest
                          << " accesses by one thread";
  }
};

} // namespace
