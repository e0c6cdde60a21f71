//===- GPUReductionLoops.cpp - Reductions accumulated in registers --------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Lowers bufferized reductions (contractions `out += a * b`, sums such as
// bias gradients) to one parallel loop over the output's elements, each
// element loaded once, carried through the reduction loops and stored once,
// instead of loaded and stored at every term as
// `convert-linalg-to-parallel-loops` does (on the GPU that is device
// memory: nothing there proves the operands do not alias). A fill of the
// output just before is folded into the accumulator's start. The body runs
// on the same values in the same order: the same bits.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "Contractions.h"
#include "GPUReductions.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPUREDUCTIONLOOPSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// A reduction this pass lowers, and the fill of its output it folds, if
/// any.
struct Reduction {
  linalg::LinalgOp op;
  lpq::OutputFill fill;
};

std::optional<Reduction> matchReduction(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0 || op.getNumParallelLoops() == 0 ||
      !op.getBlock() ||
      op.getNumLoops() != op.getNumParallelLoops() + op.getNumReductionLoops())
    return std::nullopt;
  // Max/min/and/or reductions are lpq-gpu-prepare-loops' to make
  // block-wide (block maxima).
  Operation *combine =
      op.getBlock()->getTerminator()->getOperand(0).getDefiningOp();
  if (combine && lpq::idempotentReduction(combine))
    return std::nullopt;
  // An input that is a view of the output would see the results stored as
  // they finish, elements the plain loop nest updates term by term.
  if (!isa<MemRefType>(op.getDpsInitOperand(0)->get().getType()) ||
      lpq::inputsAliasOutput(op))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (llvm::any_of(maps, [](AffineMap m) { return m.getNumSymbols() != 0; }))
    return std::nullopt;
  // Every parallel loop names an output element and no reduction loop does:
  // each iteration of the parallel loop owns one element.
  AffineMap outMap = maps.back();
  if (!outMap.isProjectedPermutation())
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < iterators.size(); ++d)
    if ((iterators[d] == utils::IteratorType::parallel) !=
        lpq::usesDim(outMap, d))
      return std::nullopt;
  return Reduction{op, lpq::fillBefore(op)};
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

void lower(const Reduction &r) {
  linalg::LinalgOp op = r.op;
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Range> ranges = op.createLoopRanges(b, loc);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  // Bounds of every loop, materialized before the nest.
  SmallVector<Value> lbs, ubs, steps;
  for (const Range &range : ranges) {
    lbs.push_back(getValueOrCreateConstantIndexOp(b, loc, range.offset));
    ubs.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
    steps.push_back(getValueOrCreateConstantIndexOp(b, loc, range.stride));
  }
  // The parallel loops in the order of the output's dimensions: the loop
  // is linearized with its last dimension fastest, so consecutive GPU
  // threads store consecutive output elements.
  SmallVector<unsigned> outputDims;
  for (AffineExpr e : maps.back().getResults())
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
  SmallVector<Value> outIndices = indicesAt(b, loc, maps.back(), ivs);
  Value init =
      r.fill.value
          ? r.fill.value
          : memref::LoadOp::create(b, loc, outMem, outIndices).getResult();

  // The reduction loops in their order, each carrying the accumulator.
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
  // The body on the inputs' elements (scalars as they are) and the
  // accumulator.
  Block &body = *op.getBlock();
  IRMapping mapping;
  for (OpOperand *input : op.getDpsInputOperands()) {
    Value v = input->get();
    if (isa<MemRefType>(v.getType()))
      v = memref::LoadOp::create(
          b, loc, v, indicesAt(b, loc, maps[input->getOperandNumber()], ivs));
    mapping.map(body.getArgument(input->getOperandNumber()), v);
  }
  mapping.map(body.getArgument(op.getNumDpsInputs()),
              loops.back().getRegionIterArgs()[0]);
  for (Operation &inner : body.without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
  scf::YieldOp::create(
      b, loc, mapping.lookupOrDefault(body.getTerminator()->getOperand(0)));

  b.setInsertionPointAfter(loops.front());
  memref::StoreOp::create(b, loc, loops.front().getResult(0), outMem,
                          outIndices);
}

struct LPQGPUReductionLoopsPass
    : mlir::lpq::impl::LPQGPUReductionLoopsPassBase<LPQGPUReductionLoopsPass> {
  void runOnOperation() override {
    SmallVector<Reduction> found;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (std::optional<Reduction> r = matchReduction(op))
        found.push_back(*r);
    });
    for (const Reduction &r : found) {
      lower(r);
      r.op->erase();
      // Every element of the output is stored by the loop.
      if (r.fill.fill)
        r.fill.fill->erase();
    }
  }
};

} // namespace
