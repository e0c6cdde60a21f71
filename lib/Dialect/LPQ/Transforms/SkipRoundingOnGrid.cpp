//===- SkipRoundingOnGrid.cpp - No random bits for values on the grid -----===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Stochastic rounding leaves a value that already lies on its format's grid
// unchanged, whatever its random word (DESIGN.md 2.2: frac = 0, so
// R < floor(frac * 2^32) never holds). A training step's weight quantizer
// reads the accumulator its previous step rounded onto the same format
// (`lpq-train-step` marks such quantizers `lpq.expect_on_grid`), so after
// the first step it computes Philox for every weight only to return its
// input.
//
// For each marked `lpq.stochastic_round` of at least `min-elements`
// elements this pass checks first whether the whole input lies on the grid,
// and rounds only when it does not:
//
//   %q = lpq.quantize %x to F rounding toward_zero   // x itself iff on grid
//   %rows = and over all but axis 0 of (bits(%q) == bits(%x))
//   %on = and over %rows
//   %r = scf.if %on { %x } else { lpq.stochastic_round %x ... }
//
// Deterministic rounding toward zero of x gives x's own bits exactly when
// every element is a grid point within the format's range, with the block
// or tile scales the stochastic rounding would compute (the same input);
// stochastic rounding then returns x too (NumericsTest's
// Stochastic.OnGridIsIdentity checks this on every format, special values
// included). The check's rounding fuses into its comparison
// (lpq-fuse-elementwise): the check reads x twice (block maxima, then the
// comparison) and writes only the block exponents and the row flags.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/IR/LPQAttrs.h"
#include "lpq/Dialect/LPQ/IR/LPQOps.h"
#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQSKIPROUNDINGONGRIDPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;
using namespace mlir::lpq;

namespace {

/// A linalg.generic over `inputs` that ands `value(elements)` into an i1
/// tensor of `outputShape` (filled with true) along the dimensions of the
/// iteration space that `outputMap` drops.
Value andReduction(
    OpBuilder &b, Location loc, ValueRange inputs,
    ArrayRef<AffineMap> inputMaps, AffineMap outputMap,
    ArrayRef<int64_t> outputShape, ArrayRef<utils::IteratorType> iterators,
    function_ref<Value(OpBuilder &, Location, ValueRange)> value) {
  Value yes = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  Value empty = tensor::EmptyOp::create(b, loc, outputShape, b.getI1Type());
  Value init =
      linalg::FillOp::create(b, loc, ValueRange{yes}, ValueRange{empty})
          .getResult(0);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(outputMap);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value v = value(nb, l, args.drop_back());
        linalg::YieldOp::create(
            nb, l, ValueRange{arith::AndIOp::create(nb, l, args.back(), v)});
      });
  return generic.getResult(0);
}

/// Whether every element of `q` has the bits of the same element of `x`
/// (both static float32 tensors of the same shape), as an i1: per row
/// (axis 0, a parallel loop) first for rank >= 2, then over the rows.
Value sameBits(OpBuilder &b, Location loc, Value q, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  auto equalBits = [](OpBuilder &nb, Location l, ValueRange v) -> Value {
    Type i32 = nb.getI32Type();
    return arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                 arith::BitcastOp::create(nb, l, i32, v[0]),
                                 arith::BitcastOp::create(nb, l, i32, v[1]));
  };
  auto identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  if (rank == 1)
    return andReduction(b, loc, {q, x}, {identity, identity},
                        AffineMap::get(1, 0, {}, ctx), {},
                        {utils::IteratorType::reduction}, equalBits);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  iterators[0] = utils::IteratorType::parallel;
  Value rows =
      andReduction(b, loc, {q, x}, {identity, identity},
                   AffineMap::get(rank, 0, {getAffineDimExpr(0, ctx)}, ctx),
                   {type.getDimSize(0)}, iterators, equalBits);
  auto rowMap = AffineMap::getMultiDimIdentityMap(1, ctx);
  return andReduction(b, loc, {rows}, {rowMap}, AffineMap::get(1, 0, {}, ctx),
                      {}, {utils::IteratorType::reduction},
                      [](OpBuilder &, Location, ValueRange v) { return v[0]; });
}

struct LPQSkipRoundingOnGridPass
    : mlir::lpq::impl::LPQSkipRoundingOnGridPassBase<
          LPQSkipRoundingOnGridPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<StochasticRoundOp> marked;
    getOperation()->walk([&](StochasticRoundOp op) {
      auto type = cast<RankedTensorType>(op.getInput().getType());
      if (op->hasAttr(kExpectOnGridAttrName) && type.hasStaticShape() &&
          type.getRank() >= 1 &&
          type.getNumElements() >= static_cast<int64_t>(minElements))
        marked.push_back(op);
    });
    for (StochasticRoundOp op : marked) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      Value x = op.getInput();
      Value q = QuantizeOp::create(
          b, loc, x.getType(), x, op.getFormat(),
          RoundingAttr::get(b.getContext(), Rounding::TowardZero),
          op.getScales(), Value());
      Value on = tensor::ExtractOp::create(b, loc, sameBits(b, loc, q, x),
                                           ValueRange{});
      auto branch = scf::IfOp::create(b, loc, op.getType(), on,
                                      /*withElseRegion=*/true);
      b.setInsertionPointToStart(branch.thenBlock());
      scf::YieldOp::create(b, loc, x);
      b.setInsertionPointToStart(branch.elseBlock());
      Operation *rounding = b.clone(*op);
      rounding->removeAttr(kExpectOnGridAttrName);
      scf::YieldOp::create(b, loc, rounding->getResults());
      op.getResult().replaceAllUsesWith(branch.getResult(0));
      op.erase();
    }
  }
};

} // namespace
