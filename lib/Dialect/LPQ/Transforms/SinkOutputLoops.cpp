//===- SinkOutputLoops.cpp - Vectorize across a reduction's outputs -------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// A reduction whose innermost loop is a reduction loop, e.g. the bias
// gradient db[i] += dy[j, i] over the batch j, or a max-pool
// out[b, c, h, w] = max(out, in[b, c, 2h + kh, 2w + kw]) over the window,
// runs one scalar dependent chain per output element: LLVM cannot vectorize
// the inner loop without reassociating float sums. Its outputs, though, are
// independent. This pass moves the loop that walks the output's last,
// contiguous axis innermost, below the reduction loops, so that the innermost
// loop runs over neighbouring outputs and vectorizes. Every output element
// still takes its terms in the same order (the permutation is checked against
// the nest's dependences), so results are the same bit for bit. When that loop
// is the outermost one (the loop OpenMP distributes), it is strip-mined into
// tiles of whole cache lines first and only its intra-tile loop moves; an
// inner one moves only when the outermost loop is over outputs too, so that
// OpenMP still gets one parallel loop outside the reductions.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Affine/Analysis/AffineAnalysis.h"
#include "mlir/Dialect/Affine/Analysis/LoopAnalysis.h"
#include "mlir/Dialect/Affine/Analysis/Utils.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/IR/AffineValueMap.h"
#include "mlir/Dialect/Affine/LoopUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQSINKOUTPUTLOOPSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;
using affine::AffineForOp;

namespace {

/// Upper bound of an intra-tile loop's extent when the loop to move is the
/// outermost one: a few vectors of floats.
constexpr int64_t kMaxTile = 64;
/// float32 elements per 64-byte cache line.
constexpr int64_t kLineFloats = 16;
/// Iterations from which an inner loop streaming its input counts as long.
constexpr int64_t kLongStream = 16;

/// The single scalar affine.store of the innermost loop's body, when the body
/// holds nothing else with side effects but affine loads.
affine::AffineStoreOp onlyStore(AffineForOp innermost) {
  affine::AffineStoreOp store;
  for (Operation &op : innermost.getBody()->without_terminator()) {
    if (auto s = dyn_cast<affine::AffineStoreOp>(op)) {
      if (store)
        return nullptr;
      store = s;
      continue;
    }
    if (isa<affine::AffineLoadOp>(op) || isMemoryEffectFree(&op))
      continue;
    return nullptr;
  }
  return store;
}

/// The position in `band` of the loop whose induction variable alone, with
/// coefficient 1, gives the last subscript of `access`; -1 if none.
int contiguousLoop(const affine::AffineValueMap &access,
                   ArrayRef<AffineForOp> band) {
  AffineMap map = access.getAffineMap();
  if (map.getNumResults() == 0)
    return -1;
  AffineExpr last = map.getResults().back();
  int found = -1;
  for (unsigned d = 0; d < map.getNumDims(); ++d) {
    if (!last.isFunctionOfDim(d))
      continue;
    if (found >= 0)
      return -1;
    auto it = llvm::find_if(band, [&](AffineForOp loop) {
      return loop.getInductionVar() == access.getOperand(d);
    });
    if (it == band.end())
      return -1;
    AffineExpr rest =
        simplifyAffineExpr(last - getAffineDimExpr(d, map.getContext()),
                           map.getNumDims(), map.getNumSymbols());
    if (!isa<AffineConstantExpr>(rest))
      return -1;
    found = it - band.begin();
  }
  return found;
}

/// Whether `loop`'s induction variable appears in a subscript of `access`.
bool indexes(const affine::AffineValueMap &access, AffineForOp loop) {
  for (unsigned r = 0; r < access.getNumResults(); ++r)
    if (access.isFunctionOf(r, loop.getInductionVar()))
      return true;
  return false;
}

/// Whether the reduction combines in an order that LLVM must keep (float
/// addition, subtraction, multiplication): then it cannot vectorize the
/// innermost loop whatever its memory access.
bool isOrderedReduction(affine::AffineStoreOp store) {
  Operation *combine = store.getValueToStore().getDefiningOp();
  return combine && isa<arith::AddFOp, arith::SubFOp, arith::MulFOp>(combine);
}

/// Whether a load of `innermost`'s body other than from `output` walks its
/// memref's last axis along `innermost` with coefficient 1, over at least
/// `kLongStream` iterations: an inner loop LLVM vectorizes as it is when the
/// reduction is order-free (max, min, integer operations).
bool streamsInputs(AffineForOp innermost, Value output) {
  std::optional<uint64_t> trips = affine::getConstantTripCount(innermost);
  if (trips && *trips < uint64_t(kLongStream))
    return false;
  AffineForOp loop[] = {innermost};
  for (auto load : innermost.getBody()->getOps<affine::AffineLoadOp>()) {
    if (load.getMemRef() == output)
      continue;
    affine::MemRefAccess access(load);
    affine::AffineValueMap map;
    access.getAccessMap(&map);
    if (contiguousLoop(map, loop) == 0)
      return true;
  }
  return false;
}

/// The intra-tile extent when the loop to move is the outermost one: the
/// largest multiple of kLineFloats dividing `extent`, at most
/// min(kMaxTile, extent / 2) so that at least two tiles remain for the
/// threads; 0 if there is none. Whole cache lines per tile keep two threads
/// from writing the same line on every iteration (a tile of 4 outputs made
/// a channel sum 3.5x slower on two threads).
int64_t tileSize(int64_t extent) {
  for (int64_t t = std::min(kMaxTile, extent / 2) / kLineFloats * kLineFloats;
       t >= kLineFloats; t -= kLineFloats)
    if (extent % t == 0)
      return t;
  return 0;
}

/// The permutation map (loop i goes to position map[i]) that moves loop `p`
/// of a band of `n` loops innermost and keeps the others in order.
SmallVector<unsigned> sinkPermutation(unsigned n, unsigned p) {
  SmallVector<unsigned> map(n);
  for (unsigned i = 0; i < n; ++i)
    map[i] = i < p ? i : i - 1;
  map[p] = n - 1;
  return map;
}

/// Sinks the output's contiguous loop of the nest rooted at `root`, if it
/// is a reduction nest of the shape described above.
void sinkOutputLoop(AffineForOp root) {
  SmallVector<AffineForOp> band;
  affine::getPerfectlyNestedLoops(band, root);
  if (band.size() < 2)
    return;
  affine::AffineStoreOp store = onlyStore(band.back());
  if (!store)
    return;
  affine::MemRefAccess access(store);
  affine::AffineValueMap accessMap;
  access.getAccessMap(&accessMap);
  // The innermost loop must be a reduction: the store does not move with it.
  if (indexes(accessMap, band.back()))
    return;
  if (!isOrderedReduction(store) &&
      streamsInputs(band.back(), store.getMemRef()))
    return;
  int p = contiguousLoop(accessMap, band);
  if (p < 0)
    return;
  AffineForOp sink = band[p];
  if (!sink.hasConstantBounds() || sink.getConstantLowerBound() != 0 ||
      sink.getStepAsInt() != 1)
    return;
  SmallVector<unsigned> perm = sinkPermutation(band.size(), p);
  if (!affine::isValidLoopInterchangePermutation(band, perm))
    return;
  if (p > 0) {
    // Only below an outer loop over outputs, which stays the one OpenMP
    // distributes: a nest with a reduction outermost would get a parallel
    // region for every iteration of the loops above the moved one.
    if (indexes(accessMap, band.front()))
      affine::permuteLoops(band, perm);
    return;
  }
  // The outermost loop stays a loop over tiles of outputs for the threads.
  int64_t tile = tileSize(sink.getConstantUpperBound());
  if (tile == 0)
    return;
  SmallVector<AffineForOp> tiled;
  if (failed(
          affine::tilePerfectlyNested(band.front(), {unsigned(tile)}, &tiled)))
    return;
  SmallVector<AffineForOp> inner;
  affine::getPerfectlyNestedLoops(inner, tiled[1]);
  affine::permuteLoops(inner, sinkPermutation(inner.size(), 0));
}

struct LPQSinkOutputLoopsPass
    : mlir::lpq::impl::LPQSinkOutputLoopsPassBase<LPQSinkOutputLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<AffineForOp> roots;
    getOperation()->walk([&](AffineForOp loop) {
      if (!loop->getParentOfType<AffineForOp>())
        roots.push_back(loop);
    });
    for (AffineForOp root : roots)
      sinkOutputLoop(root);
  }
};

} // namespace
