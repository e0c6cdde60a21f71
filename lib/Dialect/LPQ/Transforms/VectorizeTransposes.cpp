//===- VectorizeTransposes.cpp - Transposing copies in 8x8 blocks ---------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// A transposing copy (out[i, j] = in[j, i], e.g. the copy of W that gives
// `x @ W^T` a contiguous operand) lowers to a loop nest that reads a column
// of `in` for every row of `out`: one scalar load and store per element, a
// new cache line per load. This pass rewrites such a nest, when both extents
// are multiples of 8, into 8x8 blocks: eight 8-float row loads, the block
// transposed in registers by three rounds of two-input shuffles (24 in all),
// eight 8-float row stores. Every element is copied unchanged.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQVECTORIZETRANSPOSESPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

constexpr int64_t kBlock = 8;

/// A 2-D memref of f32 with rows contiguous.
bool isPlainMatrix(Value memref) {
  auto type = dyn_cast<MemRefType>(memref.getType());
  return type && type.getRank() == 2 && type.hasStaticShape() &&
         type.getElementType().isF32() && type.getLayout().isIdentity();
}

/// Whether `map` with `operands` is exactly [first, second].
bool indexes(AffineMap map, ValueRange operands, Value first, Value second) {
  if (map.getNumResults() != 2 || map.getNumSymbols() != 0)
    return false;
  auto dimIs = [&](AffineExpr e, Value v) {
    auto d = dyn_cast<AffineDimExpr>(e);
    return d && operands[d.getPosition()] == v;
  };
  return dimIs(map.getResult(0), first) && dimIs(map.getResult(1), second);
}

bool hasBlockBounds(affine::AffineForOp loop) {
  return loop.hasConstantBounds() && loop.getConstantLowerBound() == 0 &&
         loop.getStepAsInt() == 1 && loop.getConstantUpperBound() > 0 &&
         loop.getConstantUpperBound() % kBlock == 0;
}

/// The load of `outer { inner { store(load(in[j, i]), out[i, j]) } }`.
affine::AffineLoadOp matchTranspose(affine::AffineForOp outer) {
  if (!hasBlockBounds(outer))
    return nullptr;
  Block *outerBody = outer.getBody();
  auto inner = dyn_cast<affine::AffineForOp>(outerBody->front());
  if (!inner || inner->getNextNode() != outerBody->getTerminator() ||
      !hasBlockBounds(inner))
    return nullptr;
  Block *body = inner.getBody();
  if (body->getOperations().size() != 3)
    return nullptr;
  auto load = dyn_cast<affine::AffineLoadOp>(body->front());
  auto store = dyn_cast<affine::AffineStoreOp>(load ? load->getNextNode()
                                                    : nullptr);
  if (!load || !store || store.getValue() != load.getResult() ||
      !isPlainMatrix(load.getMemRef()) || !isPlainMatrix(store.getMemRef()) ||
      load.getMemRef() == store.getMemRef())
    return nullptr;
  Value i = outer.getInductionVar(), j = inner.getInductionVar();
  if (!indexes(load.getAffineMap(), load.getMapOperands(), j, i) ||
      !indexes(store.getAffineMap(), store.getMapOperands(), i, j))
    return nullptr;
  return load;
}

/// The elements of `x` ++ `y` that `mask` picks.
Value shuffle(OpBuilder &b, Location loc, Value x, Value y,
              ArrayRef<int64_t> mask) {
  return vector::ShuffleOp::create(b, loc, x, y, mask);
}

/// Transposes the 8x8 block whose rows are `rows`; returns its columns.
SmallVector<Value> transpose8x8(OpBuilder &b, Location loc,
                                ArrayRef<Value> rows) {
  // Rows k, k+1 -> pairs of their elements 0,1,4,5 and 2,3,6,7.
  SmallVector<Value> t(8), u(8), c(8);
  for (int k = 0; k < 8; k += 2) {
    t[k] = shuffle(b, loc, rows[k], rows[k + 1], {0, 8, 1, 9, 4, 12, 5, 13});
    t[k + 1] =
        shuffle(b, loc, rows[k], rows[k + 1], {2, 10, 3, 11, 6, 14, 7, 15});
  }
  // Quarters of four rows.
  for (int h = 0; h < 8; h += 4)
    for (int p = 0; p < 2; ++p) {
      u[h + 2 * p] =
          shuffle(b, loc, t[h + p], t[h + p + 2], {0, 1, 8, 9, 4, 5, 12, 13});
      u[h + 2 * p + 1] = shuffle(b, loc, t[h + p], t[h + p + 2],
                                 {2, 3, 10, 11, 6, 7, 14, 15});
    }
  // Halves of all eight rows: columns m and m + 4.
  for (int m = 0; m < 4; ++m) {
    c[m] = shuffle(b, loc, u[m], u[m + 4], {0, 1, 2, 3, 8, 9, 10, 11});
    c[m + 4] = shuffle(b, loc, u[m], u[m + 4], {4, 5, 6, 7, 12, 13, 14, 15});
  }
  return c;
}

void vectorize(affine::AffineForOp outer, affine::AffineLoadOp load) {
  auto inner = cast<affine::AffineForOp>(outer.getBody()->front());
  auto store = cast<affine::AffineStoreOp>(load->getNextNode());
  Value in = load.getMemRef(), out = store.getMemRef();
  Location loc = outer.getLoc();
  MLIRContext *ctx = outer.getContext();
  outer.setStep(kBlock);
  inner.setStep(kBlock);
  Value i0 = outer.getInductionVar(), j0 = inner.getInductionVar();
  OpBuilder b(store);
  auto vectorType = VectorType::get({kBlock}, b.getF32Type());
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  SmallVector<Value> rows;
  for (int64_t k = 0; k < kBlock; ++k)
    rows.push_back(affine::AffineVectorLoadOp::create(
        b, loc, vectorType, in, AffineMap::get(2, 0, {d1 + k, d0}, ctx),
        ValueRange{i0, j0}));
  SmallVector<Value> columns = transpose8x8(b, loc, rows);
  for (int64_t m = 0; m < kBlock; ++m)
    affine::AffineVectorStoreOp::create(
        b, loc, columns[m], out, AffineMap::get(2, 0, {d0 + m, d1}, ctx),
        ValueRange{i0, j0});
  store.erase();
  load.erase();
}

struct LPQVectorizeTransposesPass
    : mlir::lpq::impl::LPQVectorizeTransposesPassBase<
          LPQVectorizeTransposesPass> {
  void runOnOperation() override {
    SmallVector<std::pair<affine::AffineForOp, affine::AffineLoadOp>> nests;
    getOperation()->walk([&](affine::AffineForOp loop) {
      if (affine::AffineLoadOp load = matchTranspose(loop))
        nests.push_back({loop, load});
    });
    for (auto [loop, load] : nests)
      vectorize(loop, load);
  }
};

} // namespace
