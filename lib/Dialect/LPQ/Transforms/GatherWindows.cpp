//===- GatherWindows.cpp - Scatter-form windows to gather form ------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Reverse mode writes the adjoint of a convolution's input in scatter form:
// dx[b, c, h + kh, w + kw] += dy[b, f, h, w] * k[f, c, kh, kw], with every
// loop but b and c a reduction, since the output is indexed by h + kh. This
// pass rewrites such generics to gather form over a zero-padded operand,
// dx[b, c, y, x] += pad(dy)[b, f, y + u, x + v] * k[f, c, K-1-u, L-1-v],
// whose output map is a permutation, so the output's dimensions are
// parallel loops and lpq-tile-contractions applies.
//
// Each output element still adds its real terms in the same order: the new
// reduction loop takes the place of whichever of the pair came first in the
// loop order and runs in that loop's direction. The padding adds terms
// `0 * k`: with finite k these are +-0, and adding +-0 to a sum that started
// at +0 changes nothing (round-to-nearest never produces -0 from +0 and
// nonzero terms), so results are unchanged bit for bit; a non-finite k would
// make them NaN where the scatter form has no term (documented).
//
// With `non-overlapping`, windows that tile the output exactly (max
// pooling's input adjoint: dx[b, c, 2 oh + kh, 2 ow + kw] += ...) become
// elementwise, each output element reading its one window at
// [h floordiv 2, h mod 2]: it receives the same single term either way.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "Contractions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGATHERWINDOWSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// One windowed output index `d_p + d_r`: `padded` is the dimension whose
/// operands get padded, `window` the one the new reduction runs over.
struct Window {
  unsigned result; // position in the output map
  unsigned padded, window;
};

bool isPlainDim(AffineExpr e, unsigned d) {
  auto dim = dyn_cast<AffineDimExpr>(e);
  return dim && dim.getPosition() == d;
}

/// Whether `d` appears in `map` only as whole results.
bool onlyPlain(AffineMap map, unsigned d) {
  return llvm::all_of(map.getResults(), [&](AffineExpr e) {
    return !e.isFunctionOfDim(d) || isPlainDim(e, d);
  });
}

/// Whether dimension `a` or `b` appears in a result of `out` other than
/// result `i`.
bool inOtherResults(AffineMap out, unsigned i, unsigned a, unsigned b) {
  for (auto [j, e] : llvm::enumerate(out.getResults()))
    if (j != i && (e.isFunctionOfDim(a) || e.isFunctionOfDim(b)))
      return true;
  return false;
}

/// `op` replaced by a generic over `inputs` with `maps` and `iterators`,
/// its body and inits.
linalg::GenericOp replaceLoops(OpBuilder &b, linalg::GenericOp op,
                               ValueRange inputs, ArrayRef<AffineMap> maps,
                               ArrayRef<utils::IteratorType> iterators) {
  auto generic =
      linalg::GenericOp::create(b, op.getLoc(), op->getResultTypes(), inputs,
                                op.getDpsInits(), maps, iterators);
  generic.getRegion().takeBody(op.getRegion());
  op->replaceAllUsesWith(generic->getResults());
  op->erase();
  return generic;
}

std::optional<Window> findWindow(linalg::GenericOp op) {
  // Only `out + a * b`: a padded operand then adds 0 * k, which leaves
  // the sum unchanged (another combination, e.g. a max, would not be).
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.hasIndexSemantics() ||
      !lpq::matchMultiplyAccumulate(*op.getBlock()))
    return std::nullopt;
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  if (llvm::any_of(extents, ShapedType::isDynamic))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap out = maps.back();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (auto [i, e] : llvm::enumerate(out.getResults())) {
    auto sum = dyn_cast<AffineBinaryOpExpr>(e);
    if (!sum || sum.getKind() != AffineExprKind::Add)
      continue;
    auto lhs = dyn_cast<AffineDimExpr>(sum.getLHS());
    auto rhs = dyn_cast<AffineDimExpr>(sum.getRHS());
    if (!lhs || !rhs || lhs == rhs)
      continue;
    unsigned a = lhs.getPosition(), b = rhs.getPosition();
    if (inOtherResults(out, i, a, b) ||
        iterators[a] != utils::IteratorType::reduction ||
        iterators[b] != utils::IteratorType::reduction)
      continue;
    // Reduce over the shorter of the two (the kernel), pad along the other.
    unsigned window = extents[a] <= extents[b] ? a : b;
    unsigned padded = window == a ? b : a;
    if (!llvm::all_of(ArrayRef(maps).drop_back(), [&](AffineMap m) {
          return onlyPlain(m, padded) && onlyPlain(m, window);
        }))
      continue;
    return Window{static_cast<unsigned>(i), padded, window};
  }
  return std::nullopt;
}

/// `value` reversed along dimension `dim`.
Value reversed(OpBuilder &b, Location loc, Value value, unsigned dim) {
  auto type = cast<RankedTensorType>(value.getType());
  unsigned rank = type.getRank();
  SmallVector<AffineExpr> flipped;
  for (unsigned d = 0; d < rank; ++d)
    flipped.push_back(d == dim
                          ? (type.getDimSize(d) - 1) - b.getAffineDimExpr(d)
                          : b.getAffineDimExpr(d));
  Value empty =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<AffineMap> maps{AffineMap::get(rank, 0, flipped, b.getContext()),
                              b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{value}, ValueRange{empty},
             maps, iterators,
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, args[0]);
             })
      .getResult(0);
}

/// Rewrites one window of `op` to gather form; returns the new op.
linalg::GenericOp rewriteWindow(linalg::GenericOp op, const Window &w) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned numDims = extents.size();
  int64_t p = extents[w.padded], k = extents[w.window];
  auto outType = cast<RankedTensorType>(op.getDpsInits()[0].getType());
  int64_t y = outType.getDimSize(w.result);

  // The new reduction u sits where the earlier of the pair was, the new
  // parallel output index at the later one's place.
  unsigned first = std::min(w.padded, w.window);
  unsigned second = std::max(w.padded, w.window);
  AffineExpr u = getAffineDimExpr(first, ctx);
  AffineExpr yExpr = getAffineDimExpr(second, ctx);
  // Terms of one output in the old order: by the earlier dimension
  // ascending. If that is the padded one, the window runs backwards: its
  // operands are read from reversed copies (so that u stays a plain index
  // linalg can infer its range from).
  bool paddedFirst = first == w.padded;
  AffineExpr paddedIndex = paddedFirst ? yExpr + u : yExpr + (k - 1) - u;

  Value zero;
  SmallVector<Value> inputs;
  SmallVector<AffineMap> newMaps;
  for (auto [i, operand] : llvm::enumerate(op.getDpsInputs())) {
    AffineMap map = maps[i];
    SmallVector<AffineExpr> results;
    Value value = operand;
    for (auto [r, e] : llvm::enumerate(map.getResults())) {
      if (isPlainDim(e, w.window)) {
        if (paddedFirst)
          value = reversed(b, loc, value, r);
        results.push_back(u);
        continue;
      }
      if (!isPlainDim(e, w.padded)) {
        results.push_back(e);
        continue;
      }
      // Pad this dimension of the operand: indices y + u - (K - 1) span
      // [-(K - 1), Y - 1].
      auto type = cast<RankedTensorType>(value.getType());
      SmallVector<int64_t> shape(type.getShape());
      int64_t high = std::max<int64_t>(0, y - p);
      shape[r] += (k - 1) + high;
      SmallVector<OpFoldResult> lows(shape.size(), b.getIndexAttr(0));
      SmallVector<OpFoldResult> highs(shape.size(), b.getIndexAttr(0));
      lows[r] = b.getIndexAttr(k - 1);
      highs[r] = b.getIndexAttr(high);
      if (!zero)
        zero = arith::ConstantOp::create(b, loc,
                                         b.getZeroAttr(type.getElementType()));
      value = tensor::PadOp::create(
          b, loc, RankedTensorType::get(shape, type.getElementType()), value,
          lows, highs, zero);
      results.push_back(paddedIndex);
    }
    inputs.push_back(value);
    newMaps.push_back(AffineMap::get(numDims, 0, results, ctx));
  }
  SmallVector<AffineExpr> outResults(maps.back().getResults());
  outResults[w.result] = yExpr;
  newMaps.push_back(AffineMap::get(numDims, 0, outResults, ctx));
  iterators[first] = utils::IteratorType::reduction;
  iterators[second] = utils::IteratorType::parallel;

  return replaceLoops(b, op, inputs, newMaps, iterators);
}

/// One output index `s * o + k` of non-overlapping windows: `o` and `k`
/// reduction dimensions, `k` of extent s, the output's extent s times o's.
struct StridedWindow {
  unsigned result; // position in the output map
  unsigned outer, inner;
  int64_t stride;
};

/// The output results of `op` that index non-overlapping windows, when every
/// reduction dimension is an `o` or `k` of one of them (used nowhere else in
/// the output) and the body does not read loop indices: each output element
/// then receives exactly one term. Nothing otherwise.
std::optional<SmallVector<StridedWindow>>
findStridedWindows(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics() ||
      op.getNumReductionLoops() == 0 || op.hasIndexSemantics())
    return std::nullopt;
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  AffineMap out = op.getIndexingMapsArray().back();
  auto outType = cast<RankedTensorType>(op.getDpsInits()[0].getType());
  if (!outType.hasStaticShape() || ShapedType::isDynamicShape(extents))
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  auto isReduction = [&](unsigned d) {
    return iterators[d] == utils::IteratorType::reduction;
  };
  SmallVector<StridedWindow> windows;
  llvm::SmallDenseSet<unsigned> covered;
  for (auto [i, e] : llvm::enumerate(out.getResults())) {
    if (isa<AffineDimExpr>(e))
      continue;
    auto add = dyn_cast<AffineBinaryOpExpr>(e);
    if (!add || add.getKind() != AffineExprKind::Add)
      return std::nullopt;
    AffineExpr lhs = add.getLHS(), rhs = add.getRHS();
    if (isa<AffineDimExpr>(lhs))
      std::swap(lhs, rhs);
    auto mul = dyn_cast<AffineBinaryOpExpr>(lhs);
    auto inner = dyn_cast<AffineDimExpr>(rhs);
    if (!mul || mul.getKind() != AffineExprKind::Mul || !inner)
      return std::nullopt;
    auto outer = dyn_cast<AffineDimExpr>(mul.getLHS());
    auto stride = dyn_cast<AffineConstantExpr>(mul.getRHS());
    if (!outer || !stride)
      return std::nullopt;
    unsigned o = outer.getPosition(), k = inner.getPosition();
    int64_t s = stride.getValue();
    if (o == k || !isReduction(o) || !isReduction(k) || extents[k] != s ||
        outType.getDimSize(i) != s * extents[o] || !covered.insert(o).second ||
        !covered.insert(k).second || inOtherResults(out, i, o, k))
      return std::nullopt;
    windows.push_back({static_cast<unsigned>(i), o, k, s});
  }
  for (unsigned d = 0; d < iterators.size(); ++d)
    if (isReduction(d) && !covered.contains(d))
      return std::nullopt;
  if (windows.empty())
    return std::nullopt;
  return windows;
}

/// Rewrites `op` (see findStridedWindows) with one parallel loop `y` per window
/// index: `o` becomes `y floordiv s` and `k` becomes `y mod s` in the
/// inputs, and the output reads `y`. Every output element adds the one term
/// it received, so results are the same bit for bit.
void rewriteStridedWindows(linalg::GenericOp op,
                           ArrayRef<StridedWindow> windows) {
  MLIRContext *context = op.getContext();
  unsigned numDims = op.getNumLoops();
  llvm::SmallDenseSet<unsigned> inners;
  for (const StridedWindow &t : windows)
    inners.insert(t.inner);
  // Kept dimensions, renumbered; each `o` becomes its window's `y`.
  SmallVector<AffineExpr> replacement(numDims);
  unsigned kept = 0;
  for (unsigned d = 0; d < numDims; ++d)
    if (!inners.contains(d))
      replacement[d] = getAffineDimExpr(kept++, context);
  SmallVector<AffineExpr> outerOf(numDims);
  for (const StridedWindow &t : windows) {
    AffineExpr y = replacement[t.outer];
    replacement[t.outer] = y.floorDiv(t.stride);
    replacement[t.inner] = y % t.stride;
    outerOf[t.outer] = y;
  }
  SmallVector<AffineMap> maps;
  for (AffineMap map : op.getIndexingMapsArray()) {
    AffineMap replaced =
        map.replaceDimsAndSymbols(replacement, {}, kept, map.getNumSymbols());
    // An input read at the output's window index reads y.
    for (const StridedWindow &t : windows) {
      AffineExpr y = outerOf[t.outer];
      replaced =
          replaced.replace(y.floorDiv(t.stride) * t.stride + y % t.stride, y,
                           kept, map.getNumSymbols());
    }
    maps.push_back(replaced);
  }
  AffineMap out = op.getIndexingMapsArray().back();
  SmallVector<AffineExpr> outResults;
  for (auto [i, e] : llvm::enumerate(out.getResults())) {
    const StridedWindow *window = llvm::find_if(
        windows, [&](const StridedWindow &t) { return t.result == i; });
    outResults.push_back(
        window != windows.end()
            ? outerOf[window->outer]
            : replacement[cast<AffineDimExpr>(e).getPosition()]);
  }
  maps.back() = AffineMap::get(kept, out.getNumSymbols(), outResults, context);
  SmallVector<utils::IteratorType> iterators(kept,
                                             utils::IteratorType::parallel);
  OpBuilder b(op);
  replaceLoops(b, op, op.getDpsInputs(), maps, iterators);
}

struct LPQGatherWindowsPass
    : mlir::lpq::impl::LPQGatherWindowsPassBase<LPQGatherWindowsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> ops;
    getOperation()->walk([&](linalg::GenericOp op) { ops.push_back(op); });
    for (linalg::GenericOp op : ops) {
      if (nonOverlapping)
        if (std::optional<SmallVector<StridedWindow>> windows =
                findStridedWindows(op)) {
          rewriteStridedWindows(op, *windows);
          continue;
        }
      while (std::optional<Window> w = findWindow(op))
        op = rewriteWindow(op, *w);
    }
    // Each window padded its dimension separately: one pad of the padded
    // tensor per window. Merged, the input is copied once, not once per
    // window.
    RewritePatternSet patterns(&getContext());
    tensor::PadOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
