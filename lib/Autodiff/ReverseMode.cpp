//===- ReverseMode.cpp - Reverse-mode differentiation of tensor programs --===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// One rule covers every linalg.generic: the adjoint of input k is a generic
// over the same iteration space that recomputes the forward body, takes its
// scalar derivative with respect to input k's block argument, and
// accumulates it into a tensor indexed by input k's indexing map (so loops
// that map drops become reductions: broadcasts turn into sums, a matmul's
// operand adjoints into the transposed products). Reductions are supported
// when the body yields `out + g(ins)` (sums, contractions, convolutions) or
// `max(out, g(ins))` (max reductions, max pooling: the adjoint goes to every
// element equal to the maximum).
//
//===----------------------------------------------------------------------===//

#include "lpq/Autodiff/ReverseMode.h"

#include "lpq/Dialect/LPQ/IR/LPQOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::lpq;
using linalg::GenericOp;
using utils::IteratorType;

LogicalResult autodiff::generalizeLinalgOps(SmallVectorImpl<Operation *> &ops) {
  for (Operation *&op : ops) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || isa<GenericOp>(op))
      continue;
    IRRewriter rewriter(op->getContext());
    rewriter.setInsertionPoint(op);
    FailureOr<GenericOp> generic =
        linalg::generalizeNamedOp(rewriter, linalgOp);
    if (failed(generic))
      return op->emitOpError("cannot be expressed as a linalg.generic, so "
                             "lpq cannot differentiate it");
    op = *generic;
  }
  return success();
}

Value autodiff::zerosLike(OpBuilder &b, Location loc, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, like), type.getElementType());
  Value zero =
      arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

Value autodiff::elementwise(OpBuilder &b, Location loc, ValueRange inputs,
                            ScalarBodyFn body) {
  auto type = cast<RankedTensorType>(inputs[0].getType());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, inputs[0]), type.getElementType());
  return GenericOp::create(
             b, loc, TypeRange{type}, inputs, ValueRange{empty},
             SmallVector<AffineMap>(inputs.size() + 1, id),
             SmallVector<IteratorType>(type.getRank(), IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args));
             })
      .getResult(0);
}

Value autodiff::addTensors(OpBuilder &b, Location loc, Value x, Value y) {
  return elementwise(b, loc, {x, y},
                     [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                       return arith::AddFOp::create(nb, l, a[0], a[1]);
                     });
}

namespace {

/// Whether the scalar reverse pass has a rule for `op` (constants need
/// none).
bool hasScalarRule(Operation &op) {
  return isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
             arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp,
             arith::MaxNumFOp, arith::MinNumFOp, arith::SelectOp,
             arith::ConstantOp, math::ExpOp, math::LogOp, math::TanhOp,
             math::SqrtOp, math::AbsFOp>(op);
}

/// Scalar reverse mode over the ops of one generic body (already cloned in
/// order into the adjoint generic).
class ScalarReverse {
public:
  ScalarReverse(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  void seed(Value v, Value adjoint) { accumulate(v, adjoint); }
  Value adjointOf(Value v) const { return adjoints.lookup(v); }

  /// Propagates adjoints backwards through `ops` (in program order; a body
  /// checkBody() accepted).
  void run(ArrayRef<Operation *> ops) {
    for (Operation *op : llvm::reverse(ops))
      if (op->getNumResults() == 1)
        if (Value d = adjoints.lookup(op->getResult(0)))
          step(op, d);
  }

private:
  void accumulate(Value v, Value d) {
    if (!isa<FloatType>(v.getType()))
      return;
    Value &slot = adjoints[v];
    slot = slot ? arith::AddFOp::create(b, loc, slot, d).getResult() : d;
  }
  Value constant(Type t, double v) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v));
  }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value neg(Value x) { return arith::NegFOp::create(b, loc, x); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }

  /// max(x, y): the adjoint goes to the larger operand, half to each on a
  /// tie (as torch.maximum); `isMax` false gives min.
  void minMax(Value x, Value y, Value d, bool isMax) {
    Value zero = constant(d.getType(), 0.0);
    Value half = mul(d, constant(d.getType(), 0.5));
    Value xWins = cmp(
        isMax ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT, x, y);
    Value tie = cmp(arith::CmpFPredicate::OEQ, x, y);
    Value dx = select(xWins, d, select(tie, half, zero));
    Value dy = select(xWins, zero, select(tie, half, d));
    accumulate(x, dx);
    accumulate(y, dy);
  }

  void step(Operation *op, Value d) {
    Value y = op->getResult(0);
    auto operand = [&](unsigned i) { return op->getOperand(i); };
    if (isa<arith::AddFOp>(op)) {
      accumulate(operand(0), d);
      accumulate(operand(1), d);
    } else if (isa<arith::SubFOp>(op)) {
      accumulate(operand(0), d);
      accumulate(operand(1), neg(d));
    } else if (isa<arith::MulFOp>(op)) {
      accumulate(operand(0), mul(d, operand(1)));
      accumulate(operand(1), mul(d, operand(0)));
    } else if (isa<arith::DivFOp>(op)) {
      accumulate(operand(0), div(d, operand(1)));
      accumulate(operand(1), neg(div(mul(d, y), operand(1))));
    } else if (isa<arith::NegFOp>(op)) {
      accumulate(operand(0), neg(d));
    } else if (isa<arith::MaximumFOp, arith::MaxNumFOp>(op)) {
      minMax(operand(0), operand(1), d, /*isMax=*/true);
    } else if (isa<arith::MinimumFOp, arith::MinNumFOp>(op)) {
      minMax(operand(0), operand(1), d, /*isMax=*/false);
    } else if (isa<arith::SelectOp>(op)) {
      Value zero = constant(d.getType(), 0.0);
      accumulate(operand(1), select(operand(0), d, zero));
      accumulate(operand(2), select(operand(0), zero, d));
    } else if (isa<math::ExpOp>(op)) {
      accumulate(operand(0), mul(d, y));
    } else if (isa<math::LogOp>(op)) {
      accumulate(operand(0), div(d, operand(0)));
    } else if (isa<math::TanhOp>(op)) {
      Value one = constant(d.getType(), 1.0);
      accumulate(operand(0),
                 mul(d, arith::SubFOp::create(b, loc, one, mul(y, y))));
    } else if (isa<math::SqrtOp>(op)) {
      accumulate(operand(0), div(mul(d, constant(d.getType(), 0.5)), y));
    } else if (isa<math::AbsFOp>(op)) {
      Value zero = constant(d.getType(), 0.0);
      Value sign =
          select(cmp(arith::CmpFPredicate::OLT, operand(0), zero), neg(d), d);
      accumulate(operand(0), sign);
    }
  }

  OpBuilder &b;
  Location loc;
  DenseMap<Value, Value> adjoints;
};

/// How a generic combines its output block argument with the body.
enum class Combine { None, Sum, Max };

/// A generic's differentiable structure: the yielded value `g` that depends
/// on inputs only, and how it is combined with the output.
struct GenericShape {
  Combine combine = Combine::None;
  Value g;
};

FailureOr<GenericShape> analyzeGeneric(GenericOp op) {
  if (op.getNumDpsInits() != 1 || op->getNumResults() != 1)
    return op.emitOpError("with several results cannot be differentiated by "
                          "lpq yet");
  Block &body = op.getRegion().front();
  Value yielded = body.getTerminator()->getOperand(0);
  BlockArgument out = op.getMatchingBlockArgument(op.getDpsInitOperand(0));
  if (op.getNumReductionLoops() == 0)
    return GenericShape{Combine::None, yielded};
  Operation *def = yielded.getDefiningOp();
  Combine combine = Combine::None;
  if (isa_and_nonnull<arith::AddFOp>(def))
    combine = Combine::Sum;
  else if (isa_and_nonnull<arith::MaximumFOp, arith::MaxNumFOp>(def))
    combine = Combine::Max;
  if (combine != Combine::None && out.hasOneUse()) {
    if (def->getOperand(0) == out)
      return GenericShape{combine, def->getOperand(1)};
    if (def->getOperand(1) == out)
      return GenericShape{combine, def->getOperand(0)};
  }
  return op.emitOpError("is a reduction lpq cannot differentiate: the body "
                        "must yield `out + f(ins)` or `max(out, f(ins))`");
}

/// Loops that map `m` indexes one-to-one (a plain dimension used once) are
/// parallel in the adjoint that writes through `m`; all others reduce.
SmallVector<IteratorType> adjointIterators(AffineMap m) {
  SmallVector<int> uses(m.getNumDims(), 0);
  SmallVector<bool> plain(m.getNumDims(), false);
  for (AffineExpr e : m.getResults()) {
    e.walk([&](AffineExpr sub) {
      if (auto dim = dyn_cast<AffineDimExpr>(sub))
        ++uses[dim.getPosition()];
    });
    if (auto dim = dyn_cast<AffineDimExpr>(e))
      plain[dim.getPosition()] = true;
  }
  SmallVector<IteratorType> iterators;
  for (unsigned d = 0; d < m.getNumDims(); ++d)
    iterators.push_back(plain[d] && uses[d] == 1 ? IteratorType::parallel
                                                 : IteratorType::reduction);
  return iterators;
}

/// The adjoint of `operand` (an input, or the init of an elementwise
/// generic) given the adjoint `dy` of the generic's result.
Value emitGenericAdjoint(OpBuilder &b, GenericOp op, const GenericShape &shape,
                         OpOperand &operand, Value dy) {
  Location loc = op.getLoc();
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(init);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *in : op.getDpsInputOperands()) {
    inputs.push_back(in->get());
    maps.push_back(op.getMatchingIndexingMap(in));
  }
  inputs.push_back(init->get());
  maps.push_back(outMap);
  inputs.push_back(dy);
  maps.push_back(outMap);
  if (shape.combine == Combine::Max) {
    inputs.push_back(op->getResult(0));
    maps.push_back(outMap);
  }
  AffineMap targetMap = op.getMatchingIndexingMap(&operand);
  maps.push_back(targetMap);
  Value target = autodiff::zerosLike(b, loc, operand.get());

  Block &fwd = op.getRegion().front();
  unsigned numFwdArgs = fwd.getNumArguments();
  auto generic = GenericOp::create(
      b, loc, TypeRange{target.getType()}, inputs, ValueRange{target}, maps,
      adjointIterators(targetMap),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        IRMapping mapping;
        for (unsigned i = 0; i < numFwdArgs; ++i)
          mapping.map(fwd.getArgument(i), args[i]);
        SmallVector<Operation *> cloned;
        for (Operation &inner : fwd.without_terminator())
          cloned.push_back(nb.clone(inner, mapping));
        Value dyArg = args[numFwdArgs];
        ScalarReverse reverse(nb, l);
        Value g = mapping.lookupOrDefault(shape.g);
        if (shape.combine == Combine::Max) {
          Value yArg = args[numFwdArgs + 1];
          Value isMax =
              arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, g, yArg);
          Value zero = arith::ConstantOp::create(
              nb, l, nb.getFloatAttr(dyArg.getType(), 0.0));
          dyArg = arith::SelectOp::create(nb, l, isMax, dyArg, zero);
        }
        reverse.seed(g, dyArg);
        reverse.run(cloned);
        Value acc = args.back();
        Value d = reverse.adjointOf(
            args[op.getMatchingBlockArgument(&operand).getArgNumber()]);
        Value result =
            d ? arith::AddFOp::create(nb, l, acc, d).getResult() : acc;
        linalg::YieldOp::create(nb, l, result);
      });
  return generic.getResult(0);
}

/// Checks, before anything is emitted, that the scalar reverse pass can
/// handle every op of the body that a float value flows through.
LogicalResult checkBody(GenericOp op) {
  for (Operation &inner : op.getRegion().front().without_terminator()) {
    if (inner.getNumResults() != 1 ||
        !isa<FloatType>(inner.getResult(0).getType()))
      continue;
    if (hasScalarRule(inner) ||
        llvm::none_of(inner.getOperandTypes(), llvm::IsaPred<FloatType>))
      continue;
    return inner.emitOpError()
           << "cannot be differentiated by lpq (in the body of the "
              "linalg.generic at "
           << op.getLoc()
           << "; supported: arith.addf/subf/mulf/divf/negf/maximumf/"
              "minimumf/maxnumf/minnumf/select, math.exp/log/tanh/sqrt/absf)";
  }
  return success();
}

} // namespace

FailureOr<SmallVector<Value>>
autodiff::emitReversePass(OpBuilder &b, ArrayRef<Operation *> forward,
                          Value output, Value seed, ArrayRef<Value> wrt,
                          const StraightThroughFn &st) {
  // Active values: those that depend on a value in `wrt`.
  llvm::SetVector<Value> active(wrt.begin(), wrt.end());
  for (Operation *op : forward)
    if (llvm::any_of(op->getOperands(),
                     [&](Value v) { return active.contains(v); }))
      for (Value r : op->getResults())
        if (isa<RankedTensorType>(r.getType()) &&
            isa<FloatType>(
                cast<RankedTensorType>(r.getType()).getElementType()))
          active.insert(r);

  DenseMap<Value, Value> adjoints;
  auto accumulate = [&](Value v, Value d, Location loc) {
    if (!active.contains(v))
      return;
    Value &slot = adjoints[v];
    slot = slot ? addTensors(b, loc, slot, d) : d;
  };
  adjoints[output] = seed;

  for (Operation *op : llvm::reverse(forward)) {
    if (op->getNumResults() != 1) {
      if (llvm::any_of(op->getResults(),
                       [&](Value r) { return adjoints.count(r); }))
        return op->emitOpError("with several results cannot be "
                               "differentiated by lpq");
      continue;
    }
    Value d = adjoints.lookup(op->getResult(0));
    if (!d)
      continue;
    Location loc = op->getLoc();
    if (auto generic = dyn_cast<GenericOp>(op)) {
      FailureOr<GenericShape> shape = analyzeGeneric(generic);
      if (failed(shape) || failed(checkBody(generic)))
        return failure();
      for (OpOperand *in : generic.getDpsInputOperands())
        if (active.contains(in->get()))
          accumulate(in->get(), emitGenericAdjoint(b, generic, *shape, *in, d),
                     loc);
      OpOperand *init = generic.getDpsInitOperand(0);
      if (active.contains(init->get())) {
        if (shape->combine == Combine::Sum)
          accumulate(init->get(), d, loc);
        else if (shape->combine == Combine::None)
          accumulate(init->get(),
                     emitGenericAdjoint(b, generic, *shape, *init, d), loc);
        else
          return generic.emitOpError("max reduction with an initial value "
                                     "that depends on parameters cannot be "
                                     "differentiated by lpq");
      }
      continue;
    }
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
      Value src = collapse.getSrc();
      Value expanded = tensor::ExpandShapeOp::create(
          b, loc, src.getType(), d, collapse.getReassociationIndices(),
          tensor::getMixedSizes(b, loc, src));
      accumulate(src, expanded, loc);
      continue;
    }
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
      Value src = expand.getSrc();
      Value collapsed = tensor::CollapseShapeOp::create(
          b, loc, src.getType(), d, expand.getReassociationIndices());
      accumulate(src, collapsed, loc);
      continue;
    }
    if (isa<QuantizeOp, StochasticRoundOp>(op)) {
      accumulate(op->getOperand(0), st ? st(b, op, d) : d, loc);
      continue;
    }
    if (llvm::any_of(op->getOperands(),
                     [&](Value v) { return active.contains(v); }))
      return op->emitOpError(
          "cannot be differentiated by lpq (supported: linalg ops that "
          "generalize to linalg.generic, tensor.expand_shape/collapse_shape, "
          "lpq rounding ops)");
  }

  SmallVector<Value> result;
  for (Value v : wrt) {
    Value d = adjoints.lookup(v);
    result.push_back(d ? d : zerosLike(b, v.getLoc(), v));
  }
  return result;
}
