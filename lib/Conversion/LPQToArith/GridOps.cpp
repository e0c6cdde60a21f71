//===- GridOps.cpp - Level grids and AskewSGD to linalg + arith -----------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Rounding onto `#lpq.grid`, `lpq.grid_clamp` and `lpq.askew_direction`:
// the grid scale is a float64 reduction (row-major order, as the reference
// library sums) or a constant, extracted as a scalar; the element work is
// one elementwise generic in float64 that repeats the reference library's
// operations one for one.
//
//===----------------------------------------------------------------------===//

#include "ElementRounding.h"
#include "Structured.h"

#include "lpq/Dialect/LPQ/IR/LPQOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::lpq;
using namespace mlir::lpq::detail;
using utils::IteratorType;
using GridScale = numerics::LevelGrid::Scale;

namespace {

Value f64Const(ImplicitLocOpBuilder &b, double v) {
  return arith::ConstantOp::create(b, b.getF64FloatAttr(v));
}

Value selectIf(ImplicitLocOpBuilder &b, arith::CmpFPredicate pred, Value x,
               Value y, Value then, Value otherwise) {
  return arith::SelectOp::create(b, arith::CmpFOp::create(b, pred, x, y), then,
                                 otherwise);
}

/// The rank-0 f64 result of a reduction as a scalar.
Value scalarOf(ImplicitLocOpBuilder &b, Value rank0) {
  return tensor::ExtractOp::create(b, rank0, ValueRange{});
}

/// max |x| over the tensor in f64 (NaN ignored), as a scalar.
Value maxAbsF64(ImplicitLocOpBuilder &b, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  Value init = zeroFilled(b, {}, b.getF64Type(), {});
  auto generic = linalg::GenericOp::create(
      b, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
      SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank),
                             AffineMap::get(rank, 0, {}, ctx)},
      SmallVector<IteratorType>(rank, IteratorType::reduction),
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder nb(loc, nested);
        linalg::YieldOp::create(nb, Value(arith::MaxNumFOp::create(
                                        nb, args[1], absF64(nb, args[0]))));
      });
  return scalarOf(b, generic.getResult(0));
}

/// The grid scale of `x` as an f32 scalar (numerics::gridScale).
Value buildGridScale(ImplicitLocOpBuilder &b, Value x,
                     const numerics::LevelGrid &grid) {
  if (grid.scale == GridScale::Fixed)
    return arith::ConstantOp::create(b, b.getF32FloatAttr(grid.fixedScale));
  auto type = cast<RankedTensorType>(x.getType());
  Value top = f64Const(b, static_cast<double>(numerics::gridTop(grid)));
  Value zero = f64Const(b, 0.0);
  Value n = countPer(b, x, -1);
  Value empty = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, n, zero);
  auto sumOf = [&](function_ref<Value(ImplicitLocOpBuilder &, Value)> term) {
    return scalarOf(
        b, reduceF64(b, x, -1, {}, [&](ImplicitLocOpBuilder &nb, ValueRange a) {
          return term(nb, a[0]);
        }));
  };
  auto absTerm = [](ImplicitLocOpBuilder &nb, Value v) {
    return absF64(nb, v);
  };
  Value s;
  switch (grid.scale) {
  case GridScale::MeanAbs: {
    Value mean = arith::DivFOp::create(b, sumOf(absTerm), n);
    s = arith::SelectOp::create(b, empty, zero,
                                arith::DivFOp::create(b, mean, top));
    break;
  }
  case GridScale::MaxAbs:
    s = arith::DivFOp::create(b, maxAbsF64(b, x), top);
    break;
  case GridScale::SAWB: {
    Value squares = sumOf([](ImplicitLocOpBuilder &nb, Value v) {
      Value d = arith::ExtFOp::create(nb, nb.getF64Type(), v);
      return Value(arith::MulFOp::create(nb, d, d));
    });
    Value rms = math::SqrtOp::create(b, arith::DivFOp::create(b, squares, n));
    Value mean = arith::DivFOp::create(b, sumOf(absTerm), n);
    Value c = arith::SubFOp::create(
        b, arith::MulFOp::create(b, f64Const(b, 12.1), rms),
        arith::MulFOp::create(b, f64Const(b, 12.2), mean));
    c = selectIf(b, arith::CmpFPredicate::OGT, c, zero, c, zero);
    s = arith::SelectOp::create(b, empty, zero,
                                arith::DivFOp::create(b, c, top));
    break;
  }
  case GridScale::Glorot: {
    Value fanIn = n, fanOut = n;
    if (type.getRank() >= 2) {
      auto fanAlong = [&](int64_t d) {
        Value extent = arith::UIToFPOp::create(
            b, b.getF64Type(),
            arith::IndexCastOp::create(b, b.getI64Type(),
                                       tensor::DimOp::create(b, x, d)));
        Value isZero =
            arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, extent, zero);
        return arith::SelectOp::create(b, isZero, zero,
                                       arith::DivFOp::create(b, n, extent));
      };
      fanIn = fanAlong(0);
      fanOut = fanAlong(1);
    }
    Value bound = math::SqrtOp::create(
        b, arith::DivFOp::create(b, f64Const(b, 1.5),
                                 arith::AddFOp::create(b, fanIn, fanOut)));
    s = arith::DivFOp::create(b, bound, top);
    break;
  }
  case GridScale::Fixed:
    break;
  }
  return arith::TruncFOp::create(b, b.getF32Type(), s);
}

/// u = clamp(x / s, -top, top) in f64 (x f32, s f64).
Value gridUnits(ImplicitLocOpBuilder &b, Value x, Value s, double top) {
  Value u =
      arith::DivFOp::create(b, arith::ExtFOp::create(b, b.getF64Type(), x), s);
  Value lo = f64Const(b, -top), hi = f64Const(b, top);
  u = selectIf(b, arith::CmpFPredicate::OLT, u, lo, lo, u);
  return selectIf(b, arith::CmpFPredicate::OGT, u, hi, hi, u);
}

/// True where the f32 scalar `s` is finite.
Value isFinite(ImplicitLocOpBuilder &b, Value s) {
  Value inf = arith::ConstantOp::create(
      b, b.getFloatAttr(s.getType(), std::numeric_limits<double>::infinity()));
  return arith::CmpFOp::create(b, arith::CmpFPredicate::OLT,
                               math::AbsFOp::create(b, s), inf);
}

struct GridScaleOpLowering : OpRewritePattern<GridScaleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GridScaleOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    rewriter.replaceOp(op,
                       buildGridScale(b, op.getInput(),
                                      std::get<numerics::LevelGrid>(
                                          op.getGrid().getNumericsFormat())));
    return success();
  }
};

struct GridClampOpLowering : OpRewritePattern<GridClampOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GridClampOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto grid = std::get<numerics::LevelGrid>(op.getGrid().getNumericsFormat());
    Value s =
        op.getScale() ? op.getScale() : buildGridScale(b, op.getInput(), grid);
    Value bound = arith::TruncFOp::create(
        b, b.getF32Type(),
        arith::MulFOp::create(
            b, f64Const(b, static_cast<double>(numerics::gridTop(grid))),
            arith::ExtFOp::create(b, b.getF64Type(), s)));
    Value negBound = arith::NegFOp::create(b, bound);
    rewriter.replaceOp(
        op, mapElements(
                b, op.getInput(),
                [&](ImplicitLocOpBuilder &nb, ValueRange a, ArrayRef<Value>) {
                  Value v = selectIf(nb, arith::CmpFPredicate::OLT, a[0],
                                     negBound, negBound, a[0]);
                  return selectIf(nb, arith::CmpFPredicate::OGT, v, bound,
                                  bound, v);
                }));
    return success();
  }
};

struct AskewDirectionOpLowering : OpRewritePattern<AskewDirectionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AskewDirectionOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto grid = std::get<numerics::LevelGrid>(op.getGrid().getNumericsFormat());
    double top = static_cast<double>(numerics::gridTop(grid));
    Type f64 = b.getF64Type();
    Value s32 = op.getScale() ? op.getScale()
                              : buildGridScale(b, op.getWeights(), grid);
    Value s = arith::ExtFOp::create(b, f64, s32);
    Value zero = f64Const(b, 0.0);
    Value usable = arith::AndIOp::create(
        b, arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, s, zero),
        isFinite(b, s));
    Value clip = arith::DivFOp::create(
        b, s,
        arith::MulFOp::create(b, f64Const(b, 4.0),
                              arith::ExtFOp::create(b, f64, op.getLr())));
    Value negClip = arith::NegFOp::create(b, clip);
    Value eps = arith::ExtFOp::create(b, f64, op.getEps());
    Value sAlpha = arith::MulFOp::create(
        b, s, f64Const(b, op.getAlpha().convertToDouble()));
    Value result = mapElements(
        b, ValueRange{op.getWeights(), op.getGradient()},
        [&](ImplicitLocOpBuilder &nb, ValueRange a, ArrayRef<Value>) {
          Value w = a[0], g = a[1];
          Value u = gridUnits(nb, w, s, top);
          Value one = f64Const(nb, 1.0);
          Value pa, pb;
          if (grid.levels == 0) {
            pa = selectIf(nb, arith::CmpFPredicate::OGT, u, zero, one,
                          f64Const(nb, -1.0));
            pb = arith::NegFOp::create(nb, pa);
          } else {
            pa = math::CeilOp::create(
                nb, arith::SubFOp::create(nb, u, f64Const(nb, 0.5)));
            pb = selectIf(nb, arith::CmpFPredicate::OGT, u, pa,
                          arith::AddFOp::create(nb, pa, one),
                          arith::SubFOp::create(nb, pa, one));
          }
          Value da = arith::SubFOp::create(nb, u, pa);
          Value db = arith::SubFOp::create(nb, u, pb);
          Value gap =
              arith::MulFOp::create(nb, arith::MulFOp::create(nb, da, da),
                                    arith::MulFOp::create(nb, db, db));
          Value phi = arith::SubFOp::create(nb, eps, gap);
          Value denom = arith::MulFOp::create(
              nb,
              arith::MulFOp::create(
                  nb, arith::MulFOp::create(nb, f64Const(nb, 2.0), da), db),
              arith::AddFOp::create(
                  nb, arith::AddFOp::create(nb, f64Const(nb, 1e-6), da), db));
          Value k = arith::DivFOp::create(
              nb, arith::MulFOp::create(nb, sAlpha, phi), denom);
          Value grad = arith::ExtFOp::create(nb, f64, g);
          Value onPoint =
              arith::CmpFOp::create(nb, arith::CmpFPredicate::OEQ,
                                    arith::MulFOp::create(nb, da, db), zero);
          Value feasible =
              arith::CmpFOp::create(nb, arith::CmpFPredicate::OGE, phi, zero);
          Value faster = arith::CmpFOp::create(
              nb, arith::CmpFPredicate::OGT,
              arith::MulFOp::create(nb, arith::NegFOp::create(nb, grad), k),
              arith::MulFOp::create(nb, k, k));
          Value direct = arith::OrIOp::create(
              nb, arith::OrIOp::create(nb, onPoint, feasible), faster);
          k = selectIf(nb, arith::CmpFPredicate::OLT, k, negClip, negClip, k);
          k = selectIf(nb, arith::CmpFPredicate::OGT, k, clip, clip, k);
          Value skewed = arith::TruncFOp::create(nb, nb.getF32Type(),
                                                 arith::NegFOp::create(nb, k));
          Value r = arith::SelectOp::create(nb, direct, g, skewed);
          r = arith::SelectOp::create(nb, usable, r, g);
          return emitKeepNaN(nb, w, r);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

Value mlir::lpq::detail::buildGridRounding(ImplicitLocOpBuilder &b, Value x,
                                           const numerics::LevelGrid &grid,
                                           numerics::Rounding mode,
                                           const StochasticOperands *random,
                                           Value scale) {
  double top = static_cast<double>(numerics::gridTop(grid));
  Value s32 = scale ? scale : buildGridScale(b, x, grid);
  Value s = arith::ExtFOp::create(b, b.getF64Type(), s32);
  Value zero32 = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
  Value nan32 = arith::ConstantOp::create(
      b, b.getF32FloatAttr(std::numeric_limits<float>::quiet_NaN()));
  Value sIsZero =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, s32, zero32);
  Value sFinite = isFinite(b, s32);
  return mapElements(
      b, x, [&](ImplicitLocOpBuilder &nb, ValueRange a, ArrayRef<Value> sizes) {
        Value u = gridUnits(nb, a[0], s, top);
        Value one = f64Const(nb, 1.0);
        Value threshold, lo, hi;
        if (random) {
          Value bits = arith::UIToFPOp::create(
              nb, nb.getF64Type(),
              emitRandomBitsAt(nb, random->seed, random->stream, random->step,
                               linearIndex(nb, sizes)));
          Value frac;
          if (grid.levels == 0) {
            lo = f64Const(nb, -1.0);
            hi = one;
            frac = arith::MulFOp::create(nb, arith::AddFOp::create(nb, u, one),
                                         f64Const(nb, 0.5));
          } else {
            lo = math::FloorOp::create(nb, u);
            hi = arith::AddFOp::create(nb, lo, one);
            frac = arith::SubFOp::create(nb, u, lo);
          }
          threshold = math::FloorOp::create(
              nb, arith::MulFOp::create(nb, frac, f64Const(nb, 4294967296.0)));
          u = selectIf(nb, arith::CmpFPredicate::OLT, bits, threshold, hi, lo);
        } else if (grid.levels == 0) {
          u = selectIf(nb, arith::CmpFPredicate::OGE, u, f64Const(nb, 0.0), one,
                       f64Const(nb, -1.0));
        } else {
          switch (mode) {
          case numerics::Rounding::NearestEven:
            u = math::RoundEvenOp::create(nb, u);
            break;
          case numerics::Rounding::NearestAway:
            u = math::RoundOp::create(nb, u);
            break;
          case numerics::Rounding::TowardZero:
            u = math::TruncOp::create(nb, u);
            break;
          case numerics::Rounding::Down:
            u = math::FloorOp::create(nb, u);
            break;
          case numerics::Rounding::Up:
            u = math::CeilOp::create(nb, u);
            break;
          }
        }
        Value r = arith::TruncFOp::create(nb, nb.getF32Type(),
                                          arith::MulFOp::create(nb, u, s));
        r = arith::SelectOp::create(nb, sIsZero, zero32, r);
        r = arith::SelectOp::create(nb, sFinite, r, nan32);
        return emitKeepNaN(nb, a[0], r);
      });
}

void mlir::lpq::detail::populateGridPatterns(RewritePatternSet &patterns) {
  patterns
      .add<GridScaleOpLowering, GridClampOpLowering, AskewDirectionOpLowering>(
          patterns.getContext());
}
