//===- LPQOps.cpp - lpq dialect and operations ----------------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// The dialect, and its ops' verifiers, result-type inference and folders. Constants fold through the
// reference numerics library, so folded results are bit-identical to what
// the generated kernels compute.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/IR/LPQOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::lpq;

/// A format attribute in op assembly. The generic attribute parser takes a
/// `: type` after any attribute as its type, so op syntax places the format
/// after the operand types, where no colon follows it.
static ParseResult parseFormat(OpAsmParser &parser,
                               FormatAttrInterface &format) {
  SMLoc loc = parser.getCurrentLocation();
  Attribute attr;
  if (parser.parseAttribute(attr))
    return failure();
  format = dyn_cast<FormatAttrInterface>(attr);
  if (!format)
    return parser.emitError(loc)
           << "expected an lpq number format (#lpq.fixed, #lpq.float, "
              "#lpq.block, #lpq.mx, #lpq.binary, #lpq.ternary), got "
           << attr;
  return success();
}

static void printFormat(OpAsmPrinter &printer, Operation *,
                        FormatAttrInterface format) {
  printer.printAttributeWithoutType(format);
}

#define GET_OP_CLASSES
#include "lpq/Dialect/LPQ/IR/LPQOps.cpp.inc"

#include "lpq/Dialect/LPQ/IR/LPQDialect.cpp.inc"

void LPQDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "lpq/Dialect/LPQ/IR/LPQOps.cpp.inc"
      >();
  registerAttributes();
}

Operation *LPQDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}

namespace {

/// Folding materializes every element; beyond this size it is not worth the
/// compile time and memory.
constexpr int64_t kMaxFoldElements = int64_t(1) << 22;

numerics::Shape shapeOf(RankedTensorType type) {
  return numerics::Shape(type.getShape().begin(), type.getShape().end());
}

} // namespace

RankedTensorType mlir::lpq::blockScaleType(RankedTensorType input,
                                           const numerics::Blocking &blocking) {
  SmallVector<int64_t> shape(input.getRank(), 1);
  for (auto [axis, dim] : llvm::enumerate(input.getShape())) {
    bool kept = blocking.kind == numerics::Blocking::Kind::Tiles ||
                llvm::is_contained(blocking.axes, int64_t(axis));
    if (!kept)
      continue;
    shape[axis] = dim;
    if (blocking.kind == numerics::Blocking::Kind::Tiles &&
        blocking.axes[0] == int64_t(axis) && !ShapedType::isDynamic(dim))
      shape[axis] = dim / blocking.tileSize + (dim % blocking.tileSize != 0);
  }
  return RankedTensorType::get(shape,
                               IntegerType::get(input.getContext(), 32));
}

namespace {

/// Checks that `format` applies to tensors of `type`, and `scales` if given.
LogicalResult verifyFormatUse(Operation *op, FormatAttrInterface format,
                              RankedTensorType type, Value scales) {
  numerics::Format f = format.getNumericsFormat();
  if (auto err = numerics::checkShape(f, shapeOf(type)))
    return op->emitOpError() << *err << " (format " << format << " on "
                             << type << ")";
  if (!scales)
    return success();
  const numerics::Blocking *blocking = numerics::blockingOf(f);
  if (!blocking)
    return op->emitOpError()
           << "'scales' needs a block or MX format, got " << format;
  RankedTensorType expected = blockScaleType(type, *blocking);
  if (scales.getType() != expected)
    return op->emitOpError() << "'scales' must have type " << expected
                             << " for format " << format << ", got "
                             << scales.getType();
  return success();
}

/// The format a value is known to lie in: the result of a quantizer that
/// computed its own block scales.
std::optional<numerics::Format> knownFormat(Value v) {
  Operation *def = v.getDefiningOp();
  if (auto q = dyn_cast_or_null<QuantizeOp>(def);
      q && !q.getScales() && !q.getGridScale())
    return q.getFormat().getNumericsFormat();
  if (auto s = dyn_cast_or_null<StochasticRoundOp>(def); s && !s.getScales())
    return s.getFormat().getNumericsFormat();
  return std::nullopt;
}

/// True when rounding `input` onto `format` cannot change it.
bool isNoOp(Value input, FormatAttrInterface format, Value scales) {
  if (scales)
    return false;
  numerics::Format f = format.getNumericsFormat();
  if (numerics::isIdentityOnFloat32(f))
    return true;
  std::optional<numerics::Format> inner = knownFormat(input);
  return inner && numerics::contains(f, *inner);
}

std::optional<std::vector<float>> floatsOf(Attribute attr,
                                           RankedTensorType type) {
  auto dense = dyn_cast_or_null<DenseFPElementsAttr>(attr);
  if (!dense || !type.hasStaticShape() ||
      type.getNumElements() > kMaxFoldElements)
    return std::nullopt;
  return std::vector<float>(dense.value_begin<float>(),
                            dense.value_end<float>());
}

/// Constant scales, if the op has a constant `scales` operand; an empty
/// optional inside means "no scales operand".
std::optional<std::optional<std::vector<int32_t>>> scalesOf(Value scales,
                                                            Attribute attr) {
  if (!scales)
    return std::optional<std::vector<int32_t>>();
  auto dense = dyn_cast_or_null<DenseIntElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  std::vector<int32_t> out;
  for (const APInt &v : dense.getValues<APInt>())
    out.push_back(static_cast<int32_t>(v.getSExtValue()));
  return std::optional<std::vector<int32_t>>(std::move(out));
}

Attribute denseOf(RankedTensorType type, ArrayRef<float> values) {
  return DenseElementsAttr::get(type, values);
}

} // namespace

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  if (failed(verifyFormatUse(*this, getFormat(), getInput().getType(),
                             getScales())))
    return failure();
  numerics::Format f = getFormat().getNumericsFormat();
  if (getGridScale() && !std::holds_alternative<numerics::LevelGrid>(f))
    return emitOpError() << "'grid_scale' needs a #lpq.grid format, got "
                         << getFormat();
  if (!numerics::supportsStochasticRounding(f) &&
      getRounding() != Rounding::NearestEven)
    return emitOpError() << "format " << getFormat()
                         << " takes no rounding mode, got '"
                         << stringifyRounding(getRounding()) << "'";
  return success();
}

OpFoldResult QuantizeOp::fold(FoldAdaptor adaptor) {
  if (getGridScale())
    return {};
  if (isNoOp(getInput(), getFormat(), getScales()))
    return getInput();
  RankedTensorType type = getType();
  auto x = floatsOf(adaptor.getInput(), type);
  auto scales = scalesOf(getScales(), adaptor.getScales());
  if (!x || !scales)
    return {};
  const std::vector<int32_t> *scalePtr = *scales ? &**scales : nullptr;
  return denseOf(type, numerics::quantize(*x, shapeOf(type),
                                          getFormat().getNumericsFormat(),
                                          toNumerics(getRounding()),
                                          scalePtr));
}

//===----------------------------------------------------------------------===//
// StochasticRoundOp
//===----------------------------------------------------------------------===//

LogicalResult StochasticRoundOp::verify() {
  numerics::Format f = getFormat().getNumericsFormat();
  if (!numerics::supportsStochasticRounding(f))
    return emitOpError() << "format " << getFormat()
                         << " has no stochastic rounding";
  return verifyFormatUse(*this, getFormat(), getInput().getType(),
                         getScales());
}

LogicalResult SQSelectOp::verify() {
  double ratio = getRatio().convertToDouble();
  if (!(ratio >= 0.0 && ratio <= 1.0))
    return emitOpError() << "ratio must be in [0, 1], got " << ratio;
  if (getType().getRank() < 1)
    return emitOpError("needs a tensor of rank >= 1 (rows along dim 0)");
  return success();
}

LogicalResult AskewDirectionOp::verify() {
  double alpha = getAlpha().convertToDouble();
  if (!(alpha > 0.0) || std::isinf(alpha))
    return emitOpError() << "alpha must be positive and finite, got " << alpha;
  return success();
}

OpFoldResult StochasticRoundOp::fold(FoldAdaptor adaptor) {
  if (isNoOp(getInput(), getFormat(), getScales()))
    return getInput();
  RankedTensorType type = getType();
  auto x = floatsOf(adaptor.getInput(), type);
  auto seed = dyn_cast_or_null<IntegerAttr>(adaptor.getSeed());
  auto step = dyn_cast_or_null<IntegerAttr>(adaptor.getStep());
  auto scales = scalesOf(getScales(), adaptor.getScales());
  if (!x || !seed || !step || !scales)
    return {};
  numerics::RandomStream random{seed.getValue().getZExtValue(), getStream(),
                                static_cast<uint32_t>(
                                    step.getValue().getZExtValue())};
  const std::vector<int32_t> *scalePtr = *scales ? &**scales : nullptr;
  return denseOf(type, numerics::stochasticRound(
                           *x, shapeOf(type), getFormat().getNumericsFormat(),
                           random, scalePtr));
}

//===----------------------------------------------------------------------===//
// BlockScaleOp
//===----------------------------------------------------------------------===//

LogicalResult BlockScaleOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  auto input = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  auto format = dyn_cast_or_null<FormatAttrInterface>(adaptor.getFormat());
  if (!input || !format)
    return emitOptionalError(location,
                             "'lpq.block_scale' needs a ranked tensor and a "
                             "format");
  numerics::Format f = format.getNumericsFormat();
  const numerics::Blocking *blocking = numerics::blockingOf(f);
  if (!blocking)
    return emitOptionalError(location,
                             "'lpq.block_scale' op needs a block or MX "
                             "format, got ",
                             format);
  if (auto err = numerics::checkShape(f, shapeOf(input)))
    return emitOptionalError(location, "'lpq.block_scale' op ", *err,
                             " (format ", format, " on ", input, ")");
  inferredReturnTypes.push_back(blockScaleType(input, *blocking));
  return success();
}

LogicalResult BlockScaleOp::verify() {
  return verifyFormatUse(*this, getFormat(), getInput().getType(), Value());
}

OpFoldResult BlockScaleOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = getInput().getType();
  auto x = floatsOf(adaptor.getInput(), type);
  if (!x)
    return {};
  std::vector<int32_t> scales = numerics::blockScales(
      *x, shapeOf(type), getFormat().getNumericsFormat());
  return DenseElementsAttr::get(getType(), ArrayRef<int32_t>(scales));
}

//===----------------------------------------------------------------------===//
// AverageOp
//===----------------------------------------------------------------------===//

OpFoldResult AverageOp::fold(FoldAdaptor adaptor) {
  RankedTensorType type = getType();
  auto avg = floatsOf(adaptor.getAverage(), type);
  auto value = floatsOf(adaptor.getValue(), type);
  auto count = dyn_cast_or_null<IntegerAttr>(adaptor.getCount());
  if (!avg || !value || !count)
    return {};
  int64_t n = count.getValue().getSExtValue();
  std::vector<float> out(avg->size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = numerics::average((*avg)[i], (*value)[i], n);
  return denseOf(type, out);
}
