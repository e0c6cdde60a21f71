//===- GPUContractionLoops.cpp - Contractions summed in registers ---------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Lowers bufferized contractions (`out += a * b` summed over reduction loops)
// to one parallel loop over the output's elements, each element loaded once,
// carried through the reduction loops and stored once, instead of loaded and
// stored at every term as `convert-linalg-to-parallel-loops` does (on the GPU
// that is device memory: nothing there proves the operands do not alias).
// A fill of the output just before is folded into the sums' start. The
// terms are added in the same order, multiply then add: the same bits.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "Contractions.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPUCONTRACTIONLOOPSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// A contraction this pass lowers, with its multiply-add's operand order
/// and the fill of its output it folds, if any.
struct Contraction {
  linalg::LinalgOp op;
  lpq::MultiplyAccumulate body;
  lpq::OutputFill fill;
};

std::optional<Contraction> matchContraction(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0 ||
      op.getNumParallelLoops() == 0 || !op.getBlock() ||
      !llvm::all_of(op->getOperandTypes(), llvm::IsaPred<MemRefType>))
    return std::nullopt;
  std::optional<lpq::MultiplyAccumulate> body =
      lpq::matchMultiplyAccumulate(*op.getBlock());
  if (!body)
    return std::nullopt;
  // An input that is a view of the output would see the sums stored as they
  // finish, elements the plain loop nest updates term by term.
  auto base = [](Value v) {
    return memref::skipViewLikeOps(cast<MemrefValue>(v));
  };
  Value out = base(op.getDpsInitOperand(0)->get());
  if (llvm::any_of(op.getDpsInputs(),
                   [&](Value in) { return base(in) == out; }))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (llvm::any_of(maps, [](AffineMap m) { return m.getNumSymbols() != 0; }))
    return std::nullopt;
  // Every parallel loop names an output element and no reduction loop does:
  // each iteration of the parallel loop owns one element.
  AffineMap outMap = maps[2];
  if (!outMap.isProjectedPermutation())
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < iterators.size(); ++d)
    if ((iterators[d] == utils::IteratorType::parallel) !=
        lpq::usesDim(outMap, d))
      return std::nullopt;
  return Contraction{op, *body, lpq::fillBefore(op)};
}

/// The indices `map` gives for the loop variables `ivs`.
SmallVector<Value> indicesAt(OpBuilder &b, Location loc, AffineMap map,
                             ArrayRef<Value> ivs) {
  SmallVector<Value> indices;
  for (AffineExpr e : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(e)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, e), ivs));
  }
  return indices;
}

void lower(const Contraction &c) {
  linalg::LinalgOp op = c.op;
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Range> ranges = op.createLoopRanges(b, loc);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  // Bounds of every loop, materialized before the nest.
  SmallVector<Value> lbs, ubs, steps;
  for (const Range &r : ranges) {
    lbs.push_back(getValueOrCreateConstantIndexOp(b, loc, r.offset));
    ubs.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
    steps.push_back(getValueOrCreateConstantIndexOp(b, loc, r.stride));
  }
  // The parallel loops in the order of the output's dimensions: the loop
  // is linearized with its last dimension fastest, so consecutive GPU
  // threads store consecutive output elements.
  SmallVector<unsigned> outputDims;
  for (AffineExpr e : maps[2].getResults())
    outputDims.push_back(cast<AffineDimExpr>(e).getPosition());
  auto ofOutput = [&](ArrayRef<Value> all) {
    return llvm::map_to_vector(outputDims, [&](unsigned d) { return all[d]; });
  };
  auto parallel = scf::ParallelOp::create(b, loc, ofOutput(lbs), ofOutput(ubs),
                                          ofOutput(steps));
  b.setInsertionPointToStart(parallel.getBody());
  SmallVector<Value> ivs(ranges.size());
  for (auto [d, iv] : llvm::zip_equal(outputDims, parallel.getInductionVars()))
    ivs[d] = iv;

  Value outMem = op.getDpsInitOperand(0)->get();
  SmallVector<Value> outIndices = indicesAt(b, loc, maps[2], ivs);
  Value init =
      c.fill.value
          ? c.fill.value
          : memref::LoadOp::create(b, loc, outMem, outIndices).getResult();

  // The reduction loops in their order, each carrying the running sum.
  SmallVector<scf::ForOp> loops;
  OpBuilder::InsertionGuard guard(b);
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (iterators[d] != utils::IteratorType::reduction)
      continue;
    Value start = loops.empty() ? init : loops.back().getRegionIterArgs()[0];
    auto loop =
        scf::ForOp::create(b, loc, lbs[d], ubs[d], steps[d], ValueRange{start});
    if (!loops.empty())
      scf::YieldOp::create(b, loc, loop.getResults());
    b.setInsertionPointToStart(loop.getBody());
    ivs[d] = loop.getInductionVar();
    loops.push_back(loop);
  }
  auto operand = [&](unsigned i) -> Value {
    return memref::LoadOp::create(b, loc, op.getDpsInputOperand(i)->get(),
                                  indicesAt(b, loc, maps[i], ivs));
  };
  Value x = operand(0), y = operand(1);
  Value product = c.body.mulSwapped ? arith::MulFOp::create(b, loc, y, x)
                                    : arith::MulFOp::create(b, loc, x, y);
  Value sum = loops.back().getRegionIterArgs()[0];
  Value updated = c.body.addSwapped
                      ? arith::AddFOp::create(b, loc, product, sum)
                      : arith::AddFOp::create(b, loc, sum, product);
  scf::YieldOp::create(b, loc, updated);

  b.setInsertionPointAfter(loops.front());
  memref::StoreOp::create(b, loc, loops.front().getResult(0), outMem,
                          outIndices);
}

struct LPQGPUContractionLoopsPass
    : mlir::lpq::impl::LPQGPUContractionLoopsPassBase<
          LPQGPUContractionLoopsPass> {
  void runOnOperation() override {
    SmallVector<Contraction> found;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (std::optional<Contraction> c = matchContraction(op))
        found.push_back(*c);
    });
    for (const Contraction &c : found) {
      lower(c);
      c.op->erase();
      // Every element of the output is stored by the loop.
      if (c.fill.fill)
        c.fill.fill->erase();
    }
  }
};

} // namespace
