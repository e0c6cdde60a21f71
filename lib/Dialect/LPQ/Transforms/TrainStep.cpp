//===- TrainStep.cpp - Quantized training steps from forward functions ----===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Builds `train_step`, `evaluate` and `swa_update` next to a forward
// function. The recipe decides which tensors are quantized: the pass knows
// every tensor's role because it builds the backward pass itself.
//
//===----------------------------------------------------------------------===//

#include "lpq/Autodiff/ReverseMode.h"
#include "lpq/Dialect/LPQ/IR/LPQAttrs.h"
#include "lpq/Dialect/LPQ/IR/LPQOps.h"
#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/StringSwitch.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQTRAINSTEPPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;
using namespace mlir::lpq;
using linalg::GenericOp;
using utils::IteratorType;

namespace {

enum Role { W, A, E, G, M, Acc, NumRoles };
constexpr const char *kRoleNames[NumRoles] = {"W", "A", "E", "G", "M", "Acc"};

/// How one role is quantized; no format means not at all.
struct RoleQuantizer {
  FormatAttrInterface format;
  bool stochastic = true;
  Rounding rounding = Rounding::NearestEven;
};

/// One exponent per tensor for a block format that has one per row, for
/// vectors; no quantizer at all for vectors under a row or grid format
/// (BWN/TWN, BinaryConnect and AskewSGD leave biases in full precision).
FormatAttrInterface forRank(FormatAttrInterface format, int64_t rank) {
  if (isa<BinaryAttr, TernaryAttr, GridAttr>(format) && rank <= 1)
    return {};
  auto block = dyn_cast<BlockAttr>(format);
  if (!block || rank != 1 ||
      block.getBlocking() != numerics::Blocking::Kind::Axes)
    return format;
  return BlockAttr::get(block.getContext(), block.getWordLength(),
                        block.getExpBits(), numerics::Blocking::Kind::Tensor,
                        {}, 0);
}

/// Emits the pieces of the generated functions.
class StepBuilder {
public:
  StepBuilder(ImplicitLocOpBuilder &b, ArrayRef<RoleQuantizer> roles,
              uint32_t &nextStream)
      : b(b), roles(roles), nextStream(nextStream) {}

  Value seed, step;

  /// `x` rounded as `role` prescribes (x itself when the role is off).
  Value quantize(Role role, Value x) {
    const RoleQuantizer &q = roles[role];
    if (!q.format)
      return x;
    auto type = cast<RankedTensorType>(x.getType());
    FormatAttrInterface format = forRank(q.format, type.getRank());
    if (!format)
      return x;
    Operation *op;
    if (q.stochastic)
      op =
          StochasticRoundOp::create(b, type, x, seed, step, format,
                                    b.getI32IntegerAttr(nextStream++), Value());
    else
      op = QuantizeOp::create(b, type, x, format,
                              RoundingAttr::get(b.getContext(), q.rounding),
                              Value(), gridScaleFor(x));
    op->setAttr("lpq.role", b.getStringAttr(kRoleNames[role]));
    // The weights are the accumulator the previous step rounded: with the
    // same format they are on the grid already (lpq-skip-rounding-on-grid).
    if (role == W && q.stochastic && roles[Acc].format &&
        forRank(roles[Acc].format, type.getRank()) == format)
      op->setAttr(kExpectOnGridAttrName, b.getUnitAttr());
    Value result = op->getResult(0);
    // SQ: only a fraction of the rows quantized, the others kept in full
    // precision, chosen by lpq.sq_select.
    if (role == W && sqRatio < 1.0 && isa<BinaryAttr, TernaryAttr>(format))
      result = SQSelectOp::create(
          b, type, x, result, seed, step, b.getF64FloatAttr(sqRatio),
          b.getI32IntegerAttr(nextStream++),
          SQSelectionAttr::get(b.getContext(), sqSelection));
    return result;
  }

  /// Fraction of each weight's rows that SQ quantizes (1: all), and how the
  /// rows are chosen.
  double sqRatio = 1.0;
  SQSelection sqSelection = SQSelection::Code;

  /// AskewSGD: the grid scale each weight uses (a frozen one from the
  /// trainer, or its own), by weight.
  DenseMap<Value, Value> gridScales;
  Value gridScaleFor(Value w) const { return gridScales.lookup(w); }

  /// `frozen` (an f32 argument) where it is positive, else the grid scale of
  /// `w` itself: AskewSGD freezes the scale once it anneals.
  Value frozenOrOwnScale(Value w, Value frozen, GridAttr grid) {
    Value own = GridScaleOp::create(b, w, grid);
    Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
    Value given =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, frozen, zero);
    Value scale = arith::SelectOp::create(b, given, frozen, own);
    gridScales[w] = scale;
    return scale;
  }

  /// Clones the body of `forward` with `args` for its arguments, weights
  /// through Q_W and activations entering contractions through Q_A. Returns
  /// the cloned ops (generalized to linalg.generic), the value returned, and
  /// the activation quantizers.
  FailureOr<Value> cloneForward(func::FuncOp forward, ValueRange args,
                                const llvm::BitVector &isParam,
                                SmallVectorImpl<Operation *> &ops,
                                SmallVectorImpl<Value> &weights,
                                DenseSet<Operation *> &actQuantizers) {
    if (!forward.getBody().hasOneBlock())
      return forward.emitOpError("must have a single block (structured "
                                 "control flow only)");
    IRMapping mapping;
    Block &body = forward.getBody().front();
    for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
      Value v = args[i];
      if (isParam[i]) {
        v = quantize(W, v);
        weights.push_back(v);
      }
      mapping.map(arg, v);
    }
    // Activations are values computed from the input batch (not from
    // parameters and constants alone, like transposed weights); the batch
    // itself and its reshapes are not quantized.
    DenseSet<Value> fromData, input;
    for (auto [i, arg] : llvm::enumerate(body.getArguments()))
      if (!isParam[i]) {
        fromData.insert(arg);
        input.insert(arg);
      }
    Value result;
    for (Operation &op : body) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        if (ret.getNumOperands() != 1)
          return ret.emitOpError("of the forward function must return the "
                                 "logits alone");
        result = mapping.lookup(ret.getOperand(0));
        break;
      }
      if (llvm::any_of(op.getOperands(),
                       [&](Value v) { return fromData.contains(v); }))
        for (Value r : op.getResults())
          fromData.insert(r);
      if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op) &&
          input.contains(op.getOperand(0)))
        input.insert(op.getResult(0));
      Operation *clone = b.clone(op, mapping);
      if (isa<linalg::ContractionOpInterface, linalg::ConvolutionOpInterface>(
              op)) {
        // Q_A on each computed activation entering a matmul/convolution:
        // not the network input, not parameters.
        auto linalgOp = cast<linalg::LinalgOp>(clone);
        for (auto [k, operand] : llvm::enumerate(
                 cast<linalg::LinalgOp>(op).getDpsInputOperands())) {
          Value v = operand->get();
          if (input.contains(v) || !fromData.contains(v))
            continue;
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(clone);
          Value q = quantize(A, linalgOp.getDpsInputOperand(k)->get());
          if (roles[A].format) {
            actQuantizers.insert(q.getDefiningOp());
            ops.push_back(q.getDefiningOp());
          }
          linalgOp.getDpsInputOperand(k)->set(q);
        }
      }
      ops.push_back(clone);
    }
    if (!result)
      return forward.emitOpError("has no return");
    // Generalizing replaces ops: find the returned value again.
    auto opResult = dyn_cast<OpResult>(result);
    unsigned resultNumber = opResult ? opResult.getResultNumber() : 0;
    auto *it = llvm::find(ops, result.getDefiningOp());
    if (failed(autodiff::generalizeLinalgOps(ops)))
      return failure();
    if (opResult && it != ops.end())
      result = (*it)->getResult(resultNumber);
    return result;
  }

  /// Mean softmax cross-entropy of `logits` [N, C] against `labels` [N]
  /// (i32) and its gradient with respect to the logits.
  std::pair<Value, Value> crossEntropy(Value logits, Value labels) {
    MLIRContext *ctx = b.getContext();
    auto type = cast<RankedTensorType>(logits.getType());
    Type ft = type.getElementType();
    AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx);
    AffineMap ij = AffineMap::get(2, 0, {i, j}, ctx);
    AffineMap iOnly = AffineMap::get(2, 0, {i}, ctx);
    SmallVector<IteratorType> rowReduce = {IteratorType::parallel,
                                           IteratorType::reduction};
    Value n = tensor::DimOp::create(b, logits, 0);
    Value rows = tensor::EmptyOp::create(
        b, SmallVector<OpFoldResult>{OpFoldResult(n)}, ft);
    // Row maxima, then sum of exp(l - max) and the label's logit.
    Value mx =
        GenericOp::create(
            b, TypeRange{rows.getType()}, ValueRange{logits},
            ValueRange{filled(rows, -INFINITY)},
            SmallVector<AffineMap>{ij, iOnly}, rowReduce,
            [](OpBuilder &nb, Location l, ValueRange a) {
              linalg::YieldOp::create(
                  nb, l,
                  arith::MaximumFOp::create(nb, l, a[1], a[0]).getResult());
            })
            .getResult(0);
    auto isLabel = [](OpBuilder &nb, Location l, Value label) {
      Value jIdx = linalg::IndexOp::create(nb, l, 1);
      Value jI32 = arith::IndexCastOp::create(nb, l, nb.getI32Type(), jIdx);
      return arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, jI32, label)
          .getResult();
    };
    auto sums = GenericOp::create(
        b, TypeRange{rows.getType(), rows.getType()},
        ValueRange{logits, mx, labels},
        ValueRange{filled(rows, 0.0), filled(rows, 0.0)},
        SmallVector<AffineMap>{ij, iOnly, iOnly, iOnly, iOnly}, rowReduce,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value e = math::ExpOp::create(
              nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
          Value zero = arith::ConstantOp::create(nb, l, nb.getFloatAttr(ft, 0));
          Value picked =
              arith::SelectOp::create(nb, l, isLabel(nb, l, a[2]), a[0], zero);
          linalg::YieldOp::create(
              nb, l,
              ValueRange{arith::AddFOp::create(nb, l, a[3], e),
                         arith::AddFOp::create(nb, l, a[4], picked)});
        });
    Value se = sums.getResult(0), picked = sums.getResult(1);
    Value invN = inverseBatchSize(logits);
    // loss = sum_i (max_i + log(se_i) - picked_i) / N
    auto scalarType = RankedTensorType::get({}, ft);
    Value scalar = tensor::EmptyOp::create(b, ArrayRef<int64_t>{}, ft);
    AffineMap i1 = AffineMap::get(1, 0, {getAffineDimExpr(0, ctx)}, ctx);
    AffineMap none = AffineMap::get(1, 0, {}, ctx);
    Value total =
        GenericOp::create(
            b, TypeRange{scalarType}, ValueRange{mx, se, picked},
            ValueRange{filled(scalar, 0.0)},
            SmallVector<AffineMap>{i1, i1, i1, none},
            SmallVector<IteratorType>{IteratorType::reduction},
            [](OpBuilder &nb, Location l, ValueRange a) {
              Value lse = arith::AddFOp::create(
                  nb, l, a[0], math::LogOp::create(nb, l, a[1]));
              Value term = arith::SubFOp::create(nb, l, lse, a[2]);
              linalg::YieldOp::create(
                  nb, l, arith::AddFOp::create(nb, l, a[3], term).getResult());
            })
            .getResult(0);
    Value loss = scaled(total, invN);
    // dlogits = (softmax - onehot) / N
    Value grad = tensor::EmptyOp::create(
        b, tensor::getMixedSizes(b, b.getLoc(), logits), ft);
    Value dlogits =
        GenericOp::create(
            b, TypeRange{type}, ValueRange{logits, mx, se, labels},
            ValueRange{grad},
            SmallVector<AffineMap>{ij, iOnly, iOnly, iOnly, ij},
            SmallVector<IteratorType>(2, IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange a) {
              Value e = math::ExpOp::create(
                  nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
              Value p = arith::DivFOp::create(nb, l, e, a[2]);
              Value one =
                  arith::ConstantOp::create(nb, l, nb.getFloatAttr(ft, 1));
              Value zero =
                  arith::ConstantOp::create(nb, l, nb.getFloatAttr(ft, 0));
              Value onehot = arith::SelectOp::create(
                  nb, l, isLabel(nb, l, a[3]), one, zero);
              Value diff = arith::SubFOp::create(nb, l, p, onehot);
              linalg::YieldOp::create(
                  nb, l, arith::MulFOp::create(nb, l, diff, invN).getResult());
            })
            .getResult(0);
    return {loss, dlogits};
  }

  /// sum((y - t)^2) / (2 N) over predictions `y` [N, C] and targets `t`,
  /// and its gradient (y - t) / N.
  std::pair<Value, Value> meanSquaredError(Value y, Value t) {
    MLIRContext *ctx = b.getContext();
    auto type = cast<RankedTensorType>(y.getType());
    Type ft = type.getElementType();
    Value invN = inverseBatchSize(y);
    Value half = arith::ConstantOp::create(b, b.getFloatAttr(ft, 0.5));
    Value grad = elementwise(
        {y, t}, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::MulFOp::create(
              nb, l, arith::SubFOp::create(nb, l, a[0], a[1]), invN);
        });
    auto scalarType = RankedTensorType::get({}, ft);
    Value init =
        filled(tensor::EmptyOp::create(b, ArrayRef<int64_t>{}, ft), 0.0);
    AffineMap id = b.getMultiDimIdentityMap(2);
    AffineMap none = AffineMap::get(2, 0, {}, ctx);
    Value total =
        GenericOp::create(
            b, TypeRange{scalarType}, ValueRange{y, t}, ValueRange{init},
            SmallVector<AffineMap>{id, id, none},
            SmallVector<IteratorType>(2, IteratorType::reduction),
            [](OpBuilder &nb, Location l, ValueRange a) {
              Value d = arith::SubFOp::create(nb, l, a[0], a[1]);
              Value sq = arith::MulFOp::create(nb, l, d, d);
              linalg::YieldOp::create(
                  nb, l, arith::AddFOp::create(nb, l, a[2], sq).getResult());
            })
            .getResult(0);
    return {scaled(total, arith::MulFOp::create(b, half, invN)), grad};
  }

  /// 1 / N for a batch `t` [N, ...], in its element type.
  Value inverseBatchSize(Value t) {
    Type ft = cast<RankedTensorType>(t.getType()).getElementType();
    Value n = tensor::DimOp::create(b, t, 0);
    Value nF = arith::UIToFPOp::create(
        b, ft, arith::IndexCastOp::create(b, b.getI64Type(), n));
    return arith::DivFOp::create(
        b, arith::ConstantOp::create(b, b.getFloatAttr(ft, 1.0)), nF);
  }

  /// The 0-d tensor `total` times the scalar `factor`.
  Value scaled(Value total, Value factor) {
    return elementwise({total},
                       [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         return arith::MulFOp::create(nb, l, a[0], factor);
                       });
  }

  /// `t` filled with `v`.
  Value filled(Value t, double v) {
    Type ft = cast<RankedTensorType>(t.getType()).getElementType();
    Value c = arith::ConstantOp::create(b, b.getFloatAttr(ft, v));
    return linalg::FillOp::create(b, c, t).getResult(0);
  }

  /// An elementwise generic over same-shaped tensors with scalar operands
  /// captured by `body`.
  Value elementwise(ValueRange inputs, autodiff::ScalarBodyFn body) {
    return autodiff::elementwise(b, b.getLoc(), inputs, body);
  }

private:
  ImplicitLocOpBuilder &b;
  ArrayRef<RoleQuantizer> roles;
  uint32_t &nextStream;
};

struct LPQTrainStepPass
    : mlir::lpq::impl::LPQTrainStepPassBase<LPQTrainStepPass> {
  using Base::Base;

  bool sqRecipe() const { return recipe == "sq-bwn" || recipe == "sq-twn"; }
  bool gridRecipe() const {
    return recipe == "binaryconnect" || recipe == "askewsgd";
  }
  /// The parsed `grid` option of binaryconnect / askewsgd.
  GridAttr gridAttr;

  /// An error about the pass's options or the module as a whole, reported
  /// at the module's location without printing the module after it.
  InFlightDiagnostic optionError() {
    return mlir::emitError(getOperation().getLoc());
  }

  /// The recipe's quantizers with the per-role overrides applied.
  FailureOr<SmallVector<RoleQuantizer>> buildRoles() {
    MLIRContext *ctx = &getContext();
    SmallVector<RoleQuantizer> roles(NumRoles);
    bool sq = recipe == "sq-bwn" || recipe == "sq-twn";
    bool rowFormat = sq || recipe == "bwn" || recipe == "twn";
    if (recipe != "fp32" && recipe != "sgd-lp" && recipe != "swalp" &&
        !rowFormat && !gridRecipe()) {
      optionError()
          << "lpq-train-step: unknown recipe '" << recipe
          << "' (expected fp32, sgd-lp, swalp, bwn, twn, sq-bwn, sq-twn, "
             "binaryconnect or askewsgd)";
      return failure();
    }
    if (gridRecipe()) {
      auto parsed = dyn_cast_if_present<GridAttr>(parseAttribute(grid, ctx));
      if (!parsed) {
        optionError()
            << "lpq-train-step: grid '" << grid
            << "' is not an #lpq.grid attribute (e.g. #lpq.grid<binary> or "
               "#lpq.grid<levels = 8, scale = sawb>)";
        return failure();
      }
      gridAttr = parsed;
      if (!(askewAlpha > 0.0) || std::isinf(askewAlpha)) {
        optionError() << "lpq-train-step: askew-alpha must be positive, got "
                      << static_cast<double>(askewAlpha);
        return failure();
      }
    }
    if (!symbolizeSQSelection(sqSelectionName)) {
      optionError()
          << "lpq-train-step: unknown sq-selection '" << sqSelectionName
          << "' (expected code, constant, linear, softmax or sigmoid)";
      return failure();
    }
    if (!(sqRatio >= 0.0 && sqRatio <= 1.0)) {
      optionError() << "lpq-train-step: sq-ratio must be in [0, 1], got "
                    << static_cast<double>(sqRatio);
      return failure();
    }
    if (!(momentum >= 0.0 && momentum < 1.0)) {
      optionError() << "lpq-train-step: momentum must be in [0, 1), got "
                    << static_cast<double>(momentum);
      return failure();
    }
    if (!(weightDecay >= 0.0) || std::isinf(weightDecay)) {
      optionError()
          << "lpq-train-step: weight-decay must be finite and >= 0, got "
          << static_cast<double>(weightDecay);
      return failure();
    }
    if (rowFormat) {
      // BWN / TWN weights for the forward pass, straight-through gradients
      // to the real weights, everything else in float32.
      bool binary = recipe == "bwn" || recipe == "sq-bwn";
      roles[W].format = binary ? FormatAttrInterface(BinaryAttr::get(ctx, 0))
                               : FormatAttrInterface(TernaryAttr::get(
                                     ctx, llvm::APFloat(0.7), 0));
      roles[W].stochastic = false;
    } else if (recipe == "binaryconnect") {
      // The forward pass uses the weights rounded onto the grid
      // (deterministically unless w-rounding=stochastic), straight-through
      // gradients; the real weights are clamped to the grid's box.
      roles[W].format = gridAttr;
      roles[W].stochastic = false;
    } else if (recipe == "askewsgd") {
      // Real-valued weights in the forward pass; the grid enters through
      // lpq.askew_direction and the box clamp (and `evaluate`).
    } else if (recipe != "fp32") {
      if (wordLength < 2 || wordLength > 25) {
        optionError() << "lpq-train-step: word-length must be in [2, 25], got "
                      << static_cast<int>(wordLength);
        return failure();
      }
      for (Role r : {W, G, M, Acc})
        roles[r].format = BlockAttr::get(
            ctx, wordLength, 8, numerics::Blocking::Kind::Axes, {0}, 0);
      for (Role r : {A, E})
        roles[r].format = BlockAttr::get(
            ctx, wordLength, 8, numerics::Blocking::Kind::Tensor, {}, 0);
    }
    const std::string *formats[NumRoles] = {&wFormat, &aFormat, &eFormat,
                                            &gFormat, &mFormat, &accFormat};
    const std::string *roundings[NumRoles] = {&wRounding, &aRounding,
                                              &eRounding, &gRounding,
                                              &mRounding, &accRounding};
    for (unsigned r = 0; r < NumRoles; ++r) {
      StringRef text = *formats[r];
      if (text == "none") {
        roles[r].format = {};
      } else if (!text.empty()) {
        Attribute attr = parseAttribute(text, ctx);
        auto format = dyn_cast_if_present<FormatAttrInterface>(attr);
        if (!format) {
          optionError()
              << "lpq-train-step: " << kRoleNames[r] << " format '" << text
              << "' is not an lpq format attribute (e.g. #lpq.block<8, "
                 "axis = [0]>, #lpq.fixed<8, 6>, or none)";
          return failure();
        }
        roles[r].format = format;
      }
      StringRef rounding = *roundings[r];
      if (rounding.empty())
        continue;
      if (rounding == "stochastic") {
        if (roles[r].format && !numerics::supportsStochasticRounding(
                                   roles[r].format.getNumericsFormat())) {
          optionError() << "lpq-train-step: " << kRoleNames[r] << " format "
                        << roles[r].format << " has no stochastic rounding";
          return failure();
        }
        roles[r].stochastic = true;
        continue;
      }
      std::optional<Rounding> mode = symbolizeRounding(rounding);
      if (!mode) {
        optionError()
            << "lpq-train-step: unknown rounding '" << rounding << "' for "
            << kRoleNames[r]
            << " (stochastic, nearest_even, nearest_away, toward_zero, down "
               "or up)";
        return failure();
      }
      roles[r].stochastic = false;
      roles[r].rounding = *mode;
    }
    return roles;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>(forwardName);
    if (!forward || forward.isExternal()) {
      optionError() << "lpq-train-step: no forward function '" << forwardName
                    << "' with a body";
      return signalPassFailure();
    }
    FailureOr<SmallVector<RoleQuantizer>> roles = buildRoles();
    if (failed(roles))
      return signalPassFailure();
    FunctionType fwdType = forward.getFunctionType();
    llvm::BitVector isParam(fwdType.getNumInputs());
    SmallVector<Type> paramTypes, dataTypes;
    for (unsigned i = 0; i < fwdType.getNumInputs(); ++i) {
      isParam[i] = static_cast<bool>(forward.getArgAttr(i, "lpq.param"));
      auto type = dyn_cast<RankedTensorType>(fwdType.getInput(i));
      if (isParam[i] &&
          (!type || !isa<Float32Type, Float64Type>(type.getElementType()))) {
        forward.emitError()
            << "parameter #" << i << " must be a float32 or float64 tensor";
        return signalPassFailure();
      }
      (isParam[i] ? paramTypes : dataTypes).push_back(fwdType.getInput(i));
    }
    if (paramTypes.empty()) {
      forward.emitError("has no parameter: mark them with `{lpq.param}`");
      return signalPassFailure();
    }
    auto logitsType = fwdType.getNumResults() == 1
                          ? dyn_cast<RankedTensorType>(fwdType.getResult(0))
                          : RankedTensorType();
    if (!logitsType || logitsType.getRank() != 2 ||
        !isa<Float32Type, Float64Type>(logitsType.getElementType())) {
      forward.emitError("must return float logits [N, C]");
      return signalPassFailure();
    }
    Type elem = logitsType.getElementType();
    bool quantized =
        gridRecipe() || llvm::any_of(*roles, [](const RoleQuantizer &q) {
          return bool(q.format);
        });
    if (quantized && (!elem.isF32() || llvm::any_of(paramTypes, [](Type t) {
          return !cast<RankedTensorType>(t).getElementType().isF32();
        }))) {
      forward.emitError("must compute in float32 for a quantized recipe "
                        "(float64 models train with recipe=fp32 only)");
      return signalPassFailure();
    }
    for (StringRef name : {"train_step", "evaluate", "swa_update"})
      if (module.lookupSymbol(name)) {
        optionError() << "lpq-train-step: the module already has a '" << name
                      << "'";
        return signalPassFailure();
      }

    uint32_t nextStream = 0;
    module.walk([&](StochasticRoundOp op) {
      nextStream = std::max(nextStream, op.getStream() + 1);
    });
    MLIRContext *ctx = &getContext();
    ImplicitLocOpBuilder b(forward.getLoc(), ctx);
    b.setInsertionPointAfter(forward);
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    unsigned numParams = paramTypes.size();
    int64_t batch = logitsType.getDimSize(0);
    bool mse = loss == "mse";
    bool askew = recipe == "askewsgd";
    // AskewSGD constrains the parameters of rank >= 2; each has a scale
    // argument (0: its own scale; positive: frozen) and result.
    unsigned numGridParams = llvm::count_if(paramTypes, [](Type t) {
      return cast<RankedTensorType>(t).getRank() >= 2;
    });
    if (!mse && loss != "cross-entropy") {
      optionError() << "lpq-train-step: unknown loss '" << loss
                    << "' (expected cross-entropy or mse)";
      return signalPassFailure();
    }
    auto labelsType =
        mse ? Type(logitsType) : Type(RankedTensorType::get({batch}, i32));
    auto scalarType = RankedTensorType::get({}, elem);

    // Interleaves params and data back into the forward's argument order.
    auto forwardArgs = [&](ValueRange params, ValueRange data) {
      SmallVector<Value> args;
      unsigned p = 0, d = 0;
      for (unsigned i = 0; i < isParam.size(); ++i)
        args.push_back(isParam[i] ? params[p++] : data[d++]);
      return args;
    };

    // train_step
    {
      SmallVector<Type> inputs(paramTypes);
      inputs.append(paramTypes);
      inputs.append(dataTypes);
      inputs.append({labelsType, elem, i64, i32});
      if (askew) {
        inputs.push_back(elem);
        inputs.append(numGridParams, elem);
      }
      SmallVector<Type> results = {scalarType, logitsType};
      results.append(paramTypes);
      results.append(paramTypes);
      if (askew)
        results.append(numGridParams, scalarType);
      auto fn = func::FuncOp::create(b, "train_step",
                                     b.getFunctionType(inputs, results));
      Block *entry = fn.addEntryBlock();
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(entry);
      ValueRange args = entry->getArguments();
      ValueRange params = args.take_front(numParams);
      ValueRange momenta = args.slice(numParams, numParams);
      ValueRange data = args.slice(2 * numParams, dataTypes.size());
      unsigned tail = 2 * numParams + dataTypes.size();
      Value labels = args[tail], lr = args[tail + 1];
      StepBuilder sb(b, *roles, nextStream);
      sb.sqRatio = sqRecipe() ? static_cast<double>(sqRatio) : 1.0;
      sb.sqSelection = *symbolizeSQSelection(sqSelectionName);
      sb.seed = args[tail + 2];
      sb.step = args[tail + 3];
      Value eps = askew ? args[tail + 4] : Value();
      SmallVector<Value> scaleArgs;
      if (askew)
        scaleArgs.append(args.begin() + tail + 5,
                         args.begin() + tail + 5 + numGridParams);

      SmallVector<Operation *> ops;
      SmallVector<Value> weights;
      DenseSet<Operation *> actQuantizers;
      FailureOr<Value> logits =
          sb.cloneForward(forward, forwardArgs(params, data), isParam, ops,
                          weights, actQuantizers);
      if (failed(logits))
        return signalPassFailure();
      auto [lossValue, dlogits] = mse ? sb.meanSquaredError(*logits, labels)
                                      : sb.crossEntropy(*logits, labels);
      autodiff::StraightThroughFn errorQuantizer = [&](OpBuilder &,
                                                       Operation *op, Value d) {
        return actQuantizers.contains(op) ? sb.quantize(E, d) : d;
      };
      FailureOr<SmallVector<Value>> grads = autodiff::emitReversePass(
          b, ops, *logits, dlogits, weights, errorQuantizer);
      if (failed(grads))
        return signalPassFailure();

      Value mu = arith::ConstantOp::create(b, b.getFloatAttr(elem, momentum));
      Value wd =
          arith::ConstantOp::create(b, b.getFloatAttr(elem, weightDecay));
      SmallVector<Value> newParams, newMomenta, usedScales;
      for (unsigned k = 0; k < numParams; ++k) {
        Value g = sb.quantize(G, (*grads)[k]);
        auto paramType = cast<RankedTensorType>(paramTypes[k]);
        // Grid recipes constrain the weights of rank >= 2 (not biases).
        bool onGrid = gridAttr && paramType.getRank() >= 2;
        Value scale;
        if (askew && onGrid) {
          scale = sb.frozenOrOwnScale(params[k], scaleArgs[usedScales.size()],
                                      gridAttr);
          usedScales.push_back(tensor::FromElementsOp::create(
              b, scalarType, ValueRange{scale}));
          g = AskewDirectionOp::create(b, paramType, params[k], g, eps, lr,
                                       gridAttr,
                                       b.getF64FloatAttr(askewAlpha), scale);
        }
        // m' = mu * m + (g + wd * p)
        Value m = sb.elementwise(
            {g, params[k], momenta[k]},
            [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
              Value d = arith::AddFOp::create(
                  nb, l, a[0], arith::MulFOp::create(nb, l, wd, a[1]));
              return arith::AddFOp::create(
                  nb, l, arith::MulFOp::create(nb, l, mu, a[2]), d);
            });
        // p' = p - lr * m'
        Value p = sb.elementwise(
            {params[k], m},
            [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
              return arith::SubFOp::create(
                  nb, l, a[0], arith::MulFOp::create(nb, l, lr, a[1]));
            });
        // The box of the updated weights: their own scale until the trainer
        // freezes it (with the pre-update scale, a data-dependent box such
        // as SAWB's keeps shrinking and the weights collapse to 0).
        if (askew && onGrid)
          p = GridClampOp::create(
              b, paramType, p, gridAttr,
              sb.frozenOrOwnScale(p, scaleArgs[usedScales.size() - 1],
                                  gridAttr));
        else if (onGrid)
          p = GridClampOp::create(b, paramType, p, gridAttr, Value());
        newParams.push_back(sb.quantize(Acc, p));
        newMomenta.push_back(sb.quantize(M, m));
      }
      SmallVector<Value> returned = {lossValue, *logits};
      returned.append(newParams);
      returned.append(newMomenta);
      returned.append(usedScales);
      func::ReturnOp::create(b, returned);
      b.setInsertionPointAfter(fn);
    }

    // evaluate
    {
      SmallVector<Type> inputs(paramTypes);
      inputs.append(dataTypes);
      inputs.append({i64, i32});
      if (askew)
        inputs.append(numGridParams, elem);
      auto fn = func::FuncOp::create(b, "evaluate",
                                     b.getFunctionType(inputs, {logitsType}));
      Block *entry = fn.addEntryBlock();
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(entry);
      ValueRange args = entry->getArguments();
      // AskewSGD's model is its weights rounded onto the grid.
      SmallVector<RoleQuantizer> evalRoles(*roles);
      if (askew) {
        evalRoles[W].format = gridAttr;
        evalRoles[W].stochastic = false;
      }
      StepBuilder sb(b, evalRoles, nextStream);
      sb.sqRatio = sqRecipe() ? static_cast<double>(sqRatio) : 1.0;
      sb.sqSelection = *symbolizeSQSelection(sqSelectionName);
      unsigned seedAt = numParams + dataTypes.size();
      sb.seed = args[seedAt];
      sb.step = args[seedAt + 1];
      if (askew)
        for (unsigned k = 0, j = 0; k < numParams; ++k)
          if (cast<RankedTensorType>(paramTypes[k]).getRank() >= 2)
            sb.frozenOrOwnScale(args[k], args[seedAt + 2 + j++], gridAttr);
      SmallVector<Operation *> ops;
      SmallVector<Value> weights;
      DenseSet<Operation *> actQuantizers;
      FailureOr<Value> logits =
          sb.cloneForward(forward,
                          forwardArgs(args.take_front(numParams),
                                      args.slice(numParams, dataTypes.size())),
                          isParam, ops, weights, actQuantizers);
      if (failed(logits))
        return signalPassFailure();
      func::ReturnOp::create(b, *logits);
    }

    // swa_update (lpq.average is float32)
    if (elem.isF32()) {
      SmallVector<Type> inputs(paramTypes);
      inputs.append(paramTypes);
      inputs.push_back(i32);
      auto fn = func::FuncOp::create(b, "swa_update",
                                     b.getFunctionType(inputs, paramTypes));
      Block *entry = fn.addEntryBlock();
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(entry);
      ValueRange args = entry->getArguments();
      SmallVector<Value> averaged;
      for (unsigned k = 0; k < numParams; ++k)
        averaged.push_back(AverageOp::create(b, paramTypes[k], args[k],
                                             args[numParams + k], args.back()));
      func::ReturnOp::create(b, averaged);
    }
    module->setAttr("lpq.recipe", b.getStringAttr(recipe));
    // The tolerance that makes every weight feasible (the largest gap
    // (u - a)^2 (u - b)^2: grid spacing 2 for binary, 1 for levels), where
    // AskewSGD's annealing starts.
    if (askew)
      module->setAttr("lpq.askew_eps0",
                      b.getF32FloatAttr(gridAttr.getLevels() == 0 ? 1.0f
                                                                  : 0.0625f));
    module->setAttr("lpq.loss", b.getStringAttr(loss));
  }
};

} // namespace
