//===- TransposeContractions.cpp - Long vector axes for contractions ------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// lpq-tile-contractions vectorizes a contraction along its output's last
// axis. A convolution's weight gradient dK[f, c, kh, kw] has a last axis of
// 5. This pass gives contractions whose output rows are shorter than half a
// vector (on tensors, before bufferization) a longer last axis: it moves the
// longest output axis that at most one input reads, and only as a whole index,
// to the end of the output and of that input (linalg.transpose copies), and
// transposes the result back.
//
// The loops, their order and the body are unchanged, so every output element
// adds the same terms in the same order: results are the same bit for bit.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "Contractions.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Matchers.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQTRANSPOSECONTRACTIONSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// The position of the result of `map` that is exactly dimension `d` when
/// `d` appears nowhere else in it; -1 when `map` does not use `d`; nothing
/// when `d` appears inside another expression.
std::optional<int64_t> wholeIndex(AffineMap map, unsigned d) {
  int64_t found = -1;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (!e.isFunctionOfDim(d))
      continue;
    auto dim = dyn_cast<AffineDimExpr>(e);
    if (!dim || found >= 0)
      return std::nullopt;
    found = static_cast<int64_t>(i);
  }
  return found;
}

/// `perm` moving position `from` to the end.
SmallVector<int64_t> moveToEnd(int64_t rank, int64_t from) {
  SmallVector<int64_t> perm;
  for (int64_t i = 0; i < rank; ++i)
    if (i != from)
      perm.push_back(i);
  perm.push_back(from);
  return perm;
}

/// A new tensor of `shape` filled with `fill`'s value.
Value filledLike(OpBuilder &b, Location loc, linalg::FillOp fill,
                 ArrayRef<int64_t> shape, Type elementType) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, elementType);
  return linalg::FillOp::create(b, loc, fill.getInputs()[0], empty)
      .getResult(0);
}

/// When `v` is a transposed copy of another tensor (a `linalg.transpose`,
/// or a generic that yields its one input through permutation maps, as
/// torch-mlir's `w.T` is): that tensor and the permutation (v's dim i is its
/// dim perm[i]).
std::optional<std::pair<Value, SmallVector<int64_t>>> copiedFrom(Value v) {
  if (auto transpose = v.getDefiningOp<linalg::TransposeOp>())
    return std::make_pair(transpose.getInput(),
                          SmallVector<int64_t>(transpose.getPermutation()));
  auto copy = v.getDefiningOp<linalg::GenericOp>();
  if (!copy || copy.getNumDpsInputs() != 1 || copy.getNumDpsInits() != 1 ||
      copy.getNumReductionLoops() != 0 || !copy.hasPureTensorSemantics())
    return std::nullopt;
  Block &body = *copy.getBlock();
  if (body.getOperations().size() != 1 ||
      body.getTerminator()->getOperand(0) != body.getArgument(0))
    return std::nullopt;
  AffineMap in = copy.getIndexingMapsArray()[0];
  AffineMap out = copy.getIndexingMapsArray()[1];
  if (!in.isPermutation() || !out.isPermutation())
    return std::nullopt;
  // Over loops numbered as the input's dims, v's dim i is dim `map(i)`.
  AffineMap map = out.compose(inversePermutation(in));
  SmallVector<int64_t> perm;
  for (AffineExpr e : map.getResults())
    perm.push_back(cast<AffineDimExpr>(e).getPosition());
  return std::make_pair(copy.getDpsInputs()[0], perm);
}

/// `v` transposed by `perm` (result dim i = v's dim perm[i]).
Value transposed(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  applyPermutationToVector(shape, perm);
  // A filled tensor (the zero-filled init) is filled again in the new shape
  // instead of copied.
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    return filledLike(b, loc, fill, shape, type.getElementType());
  // A transposed copy transposed back is the tensor it copied (the MLP's
  // w2.T, read by the forward product, then by the input gradient with the
  // other axis last).
  if (auto copied = copiedFrom(v)) {
    auto [source, inner] = *copied;
    bool identity = true;
    for (auto [i, p] : llvm::enumerate(perm))
      identity &= inner[p] == static_cast<int64_t>(i);
    if (identity)
      return source;
  }
  Value empty = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, v, empty, perm).getResult()[0];
}

AffineMap permuteResults(AffineMap map, ArrayRef<int64_t> perm) {
  SmallVector<AffineExpr> results;
  for (int64_t p : perm)
    results.push_back(map.getResult(p));
  return AffineMap::get(map.getNumDims(), map.getNumSymbols(), results,
                        map.getContext());
}

/// Whether `op` is a static float32 multiply-accumulate contraction of two
/// inputs whose output map is a projected permutation.
bool isContraction(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0 || !op.hasPureTensorSemantics() ||
      !lpq::matchMultiplyAccumulate(*op.getBlock()))
    return false;
  for (Value v : op->getOperands()) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
      return false;
  }
  return op.getIndexingMapsArray()[2].isProjectedPermutation();
}

/// `op` with new inputs, output and maps (same loops and body); its result
/// replaces `op`'s.
linalg::GenericOp rebuild(OpBuilder &b, linalg::GenericOp op, ValueRange inputs,
                          Value init, ArrayRef<AffineMap> maps) {
  auto generic = linalg::GenericOp::create(
      b, op.getLoc(), TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      op.getIteratorTypesArray());
  generic.getRegion().takeBody(op.getRegion());
  return generic;
}

/// Makes the output's last axis, along which lpq-tile-contractions
/// vectorizes, the last (contiguous) axis of each input that reads it, by a
/// transposed copy of that input (C[m, n] += A[m, k] * B[n, k] reads B
/// with a stride per lane otherwise: a 128x784 by 784x512 product took 40
/// ms instead of about 1). Returns whether it did.
bool makeVectorAxisContiguous(linalg::GenericOp op, int64_t lanes) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap out = maps[2];
  if (out.getNumResults() < 1)
    return false;
  unsigned d =
      cast<AffineDimExpr>(out.getResult(out.getNumResults() - 1)).getPosition();
  // Short rows are the business of transpose() below.
  if (2 * op.getStaticLoopRanges()[d] < lanes)
    return false;
  OpBuilder b(op);
  SmallVector<Value> inputs(op.getDpsInputs());
  bool changed = false;
  for (int64_t k = 0; k < 2; ++k) {
    std::optional<int64_t> at = wholeIndex(maps[k], d);
    int64_t inputRank = maps[k].getNumResults();
    if (!at || *at < 0 || *at == inputRank - 1)
      continue;
    SmallVector<int64_t> perm = moveToEnd(inputRank, *at);
    inputs[k] = transposed(b, op.getLoc(), inputs[k], perm);
    maps[k] = permuteResults(maps[k], perm);
    changed = true;
  }
  if (!changed)
    return false;
  linalg::GenericOp generic = rebuild(b, op, inputs, op.getDpsInits()[0], maps);
  op.getResult(0).replaceAllUsesWith(generic.getResult(0));
  op.erase();
  return true;
}

/// Whether `copy` (one input, one init) yields its input: as it is, or
/// added to an init filled with +0.0 when `fill`, the contraction's init,
/// is +0.0 too (reverse mode accumulates an adjoint into a zero-filled
/// tensor). A sum accumulated from +0.0 is never -0.0 (round to nearest),
/// so +0.0 + x is x, bit for bit, NaN payloads included.
bool yieldsInput(linalg::GenericOp copy, linalg::FillOp fill) {
  Block &body = *copy.getBlock();
  Value in = body.getArgument(0), out = body.getArgument(1);
  Value yielded = cast<linalg::YieldOp>(body.getTerminator()).getOperand(0);
  if (yielded == in && body.getOperations().size() == 1)
    return true;
  auto add = yielded.getDefiningOp<arith::AddFOp>();
  if (!add || body.getOperations().size() != 2)
    return false;
  bool inAndOut = (add.getLhs() == in && add.getRhs() == out) ||
                  (add.getLhs() == out && add.getRhs() == in);
  auto outFill = copy.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  return inAndOut && outFill &&
         matchPattern(outFill.getInputs()[0], m_PosZeroFloat()) &&
         matchPattern(fill.getInputs()[0], m_PosZeroFloat());
}

/// When the only use of `op`'s result is a transposing copy (a generic
/// that yields its one input, or adds it to zeros, both maps permutations;
/// reverse mode writes a weight gradient dW^T and transposes it, into the
/// zero-filled adjoint of W when that has other readers than the optimizer
/// update, e.g. a gradient quantizer) and `op` accumulates into a
/// filled tensor, computes the transposed result directly: the output map
/// composed with the copy's permutation, a fill of the copy's shape. Every
/// element adds the same terms in the same order. Returns the new
/// contraction, or `op`.
linalg::GenericOp absorbTransposedCopy(linalg::GenericOp op) {
  if (!op->hasOneUse())
    return op;
  auto copy = dyn_cast<linalg::GenericOp>(*op->user_begin());
  auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  if (!copy || !fill || copy.getNumDpsInputs() != 1 ||
      copy.getNumDpsInits() != 1 || copy.getDpsInputs()[0] != op.getResult(0) ||
      copy.getNumReductionLoops() != 0 || !copy.hasPureTensorSemantics())
    return op;
  if (!yieldsInput(copy, fill))
    return op;
  AffineMap in = copy.getIndexingMapsArray()[0];
  AffineMap out = copy.getIndexingMapsArray()[1];
  if (!in.isPermutation() || !out.isPermutation())
    return op;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[2] = out.compose(inversePermutation(in)).compose(maps[2]);
  OpBuilder b(copy);
  auto type = cast<RankedTensorType>(copy.getResult(0).getType());
  Value init =
      filledLike(b, op.getLoc(), fill, type.getShape(), type.getElementType());
  linalg::GenericOp generic = rebuild(b, op, op.getDpsInputs(), init, maps);
  copy.getResult(0).replaceAllUsesWith(generic.getResult(0));
  auto copyFill = copy.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  copy.erase();
  op.erase();
  // Unused fills on tensors would still be bufferized into filled buffers.
  // (A square gradient may share one fill between both, after CSE.)
  if (copyFill == fill)
    copyFill = nullptr;
  for (linalg::FillOp f : {fill, copyFill})
    if (f && f->use_empty())
      f.erase();
  return generic;
}

/// When every use of `op`'s result is an input of a generic that reads it
/// through the same permutation other than the identity (reverse mode's
/// dW^T read transposed by the fused optimizer update, or by a gradient
/// quantizer's maxima and rounding) and `op` accumulates into a filled
/// tensor, lays `op`'s result out as they read it: the output map composed
/// with the inverse permutation, a fill of the new shape, and the identity
/// map in the readers. Every element adds the same terms in the same
/// order, and the readers' loads become contiguous. Returns the new
/// contraction, or `op`.
linalg::GenericOp layOutForReaders(linalg::GenericOp op) {
  auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  if (!fill || op->use_empty())
    return op;
  AffineMap read;
  for (OpOperand &use : op->getUses()) {
    auto reader = dyn_cast<linalg::GenericOp>(use.getOwner());
    if (!reader || !reader.hasPureTensorSemantics() || !reader.isDpsInput(&use))
      return op;
    AffineMap map = reader.getMatchingIndexingMap(&use);
    if (read && map != read)
      return op;
    read = map;
  }
  // Matrices only: on the CNN's 4-D weight gradients the effect was lost
  // in the noise of the measurements, against a clear gain on the MLP's.
  if (read.getNumResults() != 2 || !read.isPermutation() || read.isIdentity())
    return op;
  auto type = cast<RankedTensorType>(op.getResult(0).getType());
  SmallVector<int64_t> shape(type.getRank());
  for (auto [i, e] : llvm::enumerate(read.getResults()))
    shape[cast<AffineDimExpr>(e).getPosition()] = type.getDimSize(i);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[2] = inversePermutation(read).compose(maps[2]);
  OpBuilder b(op);
  Value init = filledLike(b, op.getLoc(), fill, shape, type.getElementType());
  linalg::GenericOp generic = rebuild(b, op, op.getDpsInputs(), init, maps);
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(read.getNumDims(), b.getContext());
  for (OpOperand &use : llvm::make_early_inc_range(op->getUses())) {
    auto reader = cast<linalg::GenericOp>(use.getOwner());
    SmallVector<AffineMap> readerMaps = reader.getIndexingMapsArray();
    readerMaps[use.getOperandNumber()] = identity;
    reader.setIndexingMapsAttr(b.getAffineMapArrayAttr(readerMaps));
    use.set(generic.getResult(0));
  }
  op.erase();
  if (fill->use_empty())
    fill.erase();
  return generic;
}

/// Rewrites `op` when a longer output axis can be made its last; returns
/// whether it did.
bool transpose(linalg::GenericOp op, int64_t lanes) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap out = maps[2];
  if (out.getNumResults() < 2)
    return false;
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  auto dimAt = [&](unsigned i) {
    return cast<AffineDimExpr>(out.getResult(i)).getPosition();
  };
  int64_t rank = out.getNumResults();
  int64_t lastExtent = extents[dimAt(rank - 1)];
  // Rows of half a vector or more stay: transposing the output and an input
  // of the second convolution (rows of 8 of 16 lanes) or of a gather-form
  // input adjoint (rows of 12) made them slower, not faster.
  if (2 * lastExtent >= lanes)
    return false;

  // The longest output axis that at most one input reads, as a whole index.
  int64_t best = -1, bestInput = -1, bestIndex = -1;
  for (int64_t i = 0; i + 1 < rank; ++i) {
    unsigned d = dimAt(i);
    if (extents[d] <= lastExtent ||
        (best >= 0 && extents[d] <= extents[dimAt(best)]))
      continue;
    int64_t input = -1, index = -1;
    bool ok = true;
    for (int64_t k = 0; k < 2 && ok; ++k) {
      std::optional<int64_t> at = wholeIndex(maps[k], d);
      if (!at || (*at >= 0 && input >= 0))
        ok = false;
      else if (*at >= 0) {
        input = k;
        index = *at;
      }
    }
    if (ok) {
      best = i;
      bestInput = input;
      bestIndex = index;
    }
  }
  if (best < 0)
    return false;

  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Value> inputs(op.getDpsInputs());
  if (bestInput >= 0) {
    int64_t inputRank = maps[bestInput].getNumResults();
    if (bestIndex != inputRank - 1) {
      SmallVector<int64_t> perm = moveToEnd(inputRank, bestIndex);
      inputs[bestInput] = transposed(b, loc, inputs[bestInput], perm);
      maps[bestInput] = permuteResults(maps[bestInput], perm);
    }
  }
  SmallVector<int64_t> outPerm = moveToEnd(rank, best);
  Value init = transposed(b, loc, op.getDpsInits()[0], outPerm);
  maps[2] = permuteResults(out, outPerm);
  linalg::GenericOp generic = rebuild(b, op, inputs, init, maps);
  Value back = transposed(b, loc, generic.getResult(0),
                          invertPermutationVector(outPerm));
  op.getResult(0).replaceAllUsesWith(back);
  op.erase();
  return true;
}

struct LPQTransposeContractionsPass
    : mlir::lpq::impl::LPQTransposeContractionsPassBase<
          LPQTransposeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    // Named contractions (linalg.matmul with any indexing maps,
    // batch_matmul, ...) as generics, which lpq-tile-contractions tiles.
    SmallVector<linalg::LinalgOp> named;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (!isa<linalg::GenericOp>(op) && linalg::isaContractionOpInterface(op))
        named.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : named) {
      rewriter.setInsertionPoint(op);
      (void)linalg::generalizeNamedOp(rewriter, op);
    }
    // (Contractions only: absorbTransposedCopy erases the copies.)
    SmallVector<linalg::GenericOp> contractions;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (isContraction(op))
        contractions.push_back(op);
    });
    for (linalg::GenericOp op : contractions) {
      linalg::GenericOp absorbed = absorbTransposedCopy(op);
      op = absorbed != op ? absorbed : layOutForReaders(op);
      auto width = static_cast<int64_t>(lanes);
      if (!makeVectorAxisContiguous(op, width))
        transpose(op, width);
    }
  }
};

} // namespace
