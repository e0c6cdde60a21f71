//===- LPQAttrs.cpp - lpq number formats ----------------------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Parsers, printers and verifiers of the format attributes. Parameter checks
// are the reference numerics library's, so the dialect and the library agree
// on what a valid format is.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/IR/LPQAttrs.h"
#include "lpq/Dialect/LPQ/IR/LPQDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::lpq;
using BlockingKind = numerics::Blocking::Kind;

#include "lpq/Dialect/LPQ/IR/LPQAttrInterfaces.cpp.inc"
#include "lpq/Dialect/LPQ/IR/LPQEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "lpq/Dialect/LPQ/IR/LPQAttrs.cpp.inc"

namespace {

constexpr double kDefaultTernaryThreshold = 0.7;
constexpr int kDefaultBlockExpBits = 8;

LogicalResult check(function_ref<InFlightDiagnostic()> emitError,
                    const numerics::Format &format) {
  if (auto err = numerics::checkFormat(format))
    return emitError() << *err;
  return success();
}

numerics::Blocking makeBlocking(BlockingKind kind, ArrayRef<int64_t> axes,
                                int64_t tileSize) {
  numerics::Blocking b;
  b.kind = kind;
  b.axes.assign(axes.begin(), axes.end());
  b.tileSize = tileSize;
  return b;
}

/// Parses `key = value` entries separated by commas, after a leading comma
/// when `leadingComma` is set, calling `parseValue` for each key. Unknown and
/// repeated keys are errors.
ParseResult parseEntries(AsmParser &p, ArrayRef<StringRef> allowed,
                         bool leadingComma,
                         function_ref<ParseResult(StringRef)> parseValue) {
  SmallVector<StringRef> seen;
  bool needComma = leadingComma;
  while (!needComma || succeeded(p.parseOptionalComma())) {
    needComma = true;
    SMLoc loc = p.getCurrentLocation();
    StringRef key;
    if (p.parseKeyword(&key))
      return failure();
    if (!llvm::is_contained(allowed, key)) {
      auto diag = p.emitError(loc) << "unknown parameter '" << key
                                   << "', expected one of ";
      llvm::interleaveComma(allowed, diag,
                            [&](StringRef k) { diag << "'" << k << "'"; });
      return failure();
    }
    if (llvm::is_contained(seen, key))
      return p.emitError(loc) << "parameter '" << key << "' given twice";
    seen.push_back(key);
    if (p.parseEqual() || parseValue(key))
      return failure();
  }
  return success();
}

/// Blocking entries of block and MX formats.
struct BlockingEntries {
  std::optional<SmallVector<int64_t>> axes;
  std::optional<int64_t> tile;
  std::optional<int> expBits;

  BlockingKind kind() const {
    if (tile)
      return BlockingKind::Tiles;
    return axes ? BlockingKind::Axes : BlockingKind::Tensor;
  }
  SmallVector<int64_t> axisList() const {
    return axes.value_or(SmallVector<int64_t>{});
  }
};

ParseResult parseBlockingEntries(AsmParser &p, ArrayRef<StringRef> allowed,
                                 BlockingEntries &e) {
  return parseEntries(p, allowed, /*leadingComma=*/true, [&](StringRef key) {
    if (key == "axis") {
      e.axes.emplace();
      return p.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&]() {
        return p.parseInteger(e.axes->emplace_back());
      });
    }
    if (key == "tile")
      return p.parseInteger(e.tile.emplace());
    return p.parseInteger(e.expBits.emplace());
  });
}

void printBlocking(AsmPrinter &p, BlockingKind kind, ArrayRef<int64_t> axes,
                   int64_t tileSize) {
  if (kind == BlockingKind::Tiles)
    p << ", tile = " << tileSize;
  if (kind != BlockingKind::Tensor) {
    p << ", axis = [";
    llvm::interleaveComma(axes, p);
    p << "]";
  }
}

} // namespace

void LPQDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "lpq/Dialect/LPQ/IR/LPQAttrs.cpp.inc"
      >();
}

numerics::Rounding mlir::lpq::toNumerics(Rounding rounding) {
  switch (rounding) {
  case Rounding::NearestEven:
    return numerics::Rounding::NearestEven;
  case Rounding::NearestAway:
    return numerics::Rounding::NearestAway;
  case Rounding::TowardZero:
    return numerics::Rounding::TowardZero;
  case Rounding::Down:
    return numerics::Rounding::Down;
  case Rounding::Up:
    return numerics::Rounding::Up;
  }
  llvm_unreachable("unknown rounding mode");
}

//===----------------------------------------------------------------------===//
// FixedAttr
//===----------------------------------------------------------------------===//

numerics::Format FixedAttr::getNumericsFormat() const {
  return numerics::FixedPoint{getWordLength(), getFracBits(), getSymmetric()};
}

LogicalResult FixedAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                int wordLength, int fracBits, bool symmetric) {
  return check(emitError,
               numerics::FixedPoint{wordLength, fracBits, symmetric});
}

Attribute FixedAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  int wordLength, fracBits;
  bool symmetric = false;
  if (p.parseLess() || p.parseInteger(wordLength) || p.parseComma() ||
      p.parseInteger(fracBits))
    return {};
  if (succeeded(p.parseOptionalComma())) {
    if (p.parseKeyword("symmetric"))
      return {};
    symmetric = true;
  }
  if (p.parseGreater())
    return {};
  return getChecked([&] { return p.emitError(loc); }, p.getContext(),
                    wordLength, fracBits, symmetric);
}

void FixedAttr::print(AsmPrinter &p) const {
  p << "<" << getWordLength() << ", " << getFracBits();
  if (getSymmetric())
    p << ", symmetric";
  p << ">";
}

//===----------------------------------------------------------------------===//
// MinifloatAttr
//===----------------------------------------------------------------------===//

numerics::Format MinifloatAttr::getNumericsFormat() const {
  return numerics::Minifloat{getExpBits(), getManBits(), getSpecials(),
                             getSaturate()};
}

LogicalResult
MinifloatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      int expBits, int manBits, numerics::Specials specials,
                      bool saturate) {
  return check(emitError,
               numerics::Minifloat{expBits, manBits, specials, saturate});
}

Attribute MinifloatAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  int expBits, manBits;
  numerics::Specials specials = numerics::Specials::IEEE;
  bool saturate = true;
  if (p.parseLess() || p.parseInteger(expBits) || p.parseComma() ||
      p.parseInteger(manBits))
    return {};
  bool seenSpecials = false;
  while (succeeded(p.parseOptionalComma())) {
    SMLoc kwLoc = p.getCurrentLocation();
    StringRef kw;
    if (p.parseKeyword(&kw))
      return {};
    if (kw == "nonsaturating" && saturate) {
      saturate = false;
      continue;
    }
    std::optional<numerics::Specials> s =
        llvm::StringSwitch<std::optional<numerics::Specials>>(kw)
            .Case("ieee", numerics::Specials::IEEE)
            .Case("fn", numerics::Specials::FN)
            .Case("none", numerics::Specials::None)
            .Default(std::nullopt);
    if (!s || seenSpecials || !saturate) {
      p.emitError(kwLoc) << "unexpected '" << kw
                         << "', expected 'ieee', 'fn' or 'none' once, then "
                            "optionally 'nonsaturating'";
      return {};
    }
    specials = *s;
    seenSpecials = true;
  }
  if (p.parseGreater())
    return {};
  return getChecked([&] { return p.emitError(loc); }, p.getContext(), expBits,
                    manBits, specials, saturate);
}

void MinifloatAttr::print(AsmPrinter &p) const {
  p << "<" << getExpBits() << ", " << getManBits();
  if (getSpecials() == numerics::Specials::FN)
    p << ", fn";
  if (getSpecials() == numerics::Specials::None)
    p << ", none";
  if (!getSaturate())
    p << ", nonsaturating";
  p << ">";
}

//===----------------------------------------------------------------------===//
// BlockAttr
//===----------------------------------------------------------------------===//

numerics::Format BlockAttr::getNumericsFormat() const {
  return numerics::BlockFloat{getWordLength(), getExpBits(),
                              makeBlocking(getBlocking(), getAxes(),
                                           getTileSize())};
}

LogicalResult BlockAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                int wordLength, int expBits,
                                BlockingKind blocking, ArrayRef<int64_t> axes,
                                int64_t tileSize) {
  return check(emitError,
               numerics::BlockFloat{wordLength, expBits,
                                    makeBlocking(blocking, axes, tileSize)});
}

Attribute BlockAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  int wordLength;
  BlockingEntries e;
  if (p.parseLess() || p.parseInteger(wordLength) ||
      parseBlockingEntries(p, {"axis", "tile", "exp_bits"}, e) ||
      p.parseGreater())
    return {};
  return getChecked([&] { return p.emitError(loc); }, p.getContext(),
                    wordLength, e.expBits.value_or(kDefaultBlockExpBits),
                    e.kind(), e.axisList(), e.tile.value_or(0));
}

void BlockAttr::print(AsmPrinter &p) const {
  p << "<" << getWordLength();
  printBlocking(p, getBlocking(), getAxes(), getTileSize());
  if (getExpBits() != kDefaultBlockExpBits)
    p << ", exp_bits = " << getExpBits();
  p << ">";
}

//===----------------------------------------------------------------------===//
// ScaledFloatAttr
//===----------------------------------------------------------------------===//

numerics::Format ScaledFloatAttr::getNumericsFormat() const {
  return numerics::ScaledFloat{
      std::get<numerics::Minifloat>(getElement().getNumericsFormat()),
      makeBlocking(getBlocking(), getAxes(), getTileSize())};
}

LogicalResult
ScaledFloatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        MinifloatAttr element, BlockingKind blocking,
                        ArrayRef<int64_t> axes, int64_t tileSize) {
  if (!element)
    return emitError() << "MX format needs a #lpq.float element format";
  return check(
      emitError,
      numerics::ScaledFloat{
          std::get<numerics::Minifloat>(element.getNumericsFormat()),
          makeBlocking(blocking, axes, tileSize)});
}

Attribute ScaledFloatAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  Attribute element;
  if (p.parseLess())
    return {};
  SMLoc elementLoc = p.getCurrentLocation();
  if (p.parseAttribute(element))
    return {};
  auto minifloat = dyn_cast<MinifloatAttr>(element);
  if (!minifloat) {
    p.emitError(elementLoc) << "MX element must be a #lpq.float format, got "
                            << element;
    return {};
  }
  BlockingEntries e;
  if (parseBlockingEntries(p, {"axis", "tile"}, e) || p.parseGreater())
    return {};
  return getChecked([&] { return p.emitError(loc); }, p.getContext(),
                    minifloat, e.kind(), e.axisList(), e.tile.value_or(0));
}

void ScaledFloatAttr::print(AsmPrinter &p) const {
  p << "<";
  p.printAttribute(getElement());
  printBlocking(p, getBlocking(), getAxes(), getTileSize());
  p << ">";
}

//===----------------------------------------------------------------------===//
// BinaryAttr and TernaryAttr
//===----------------------------------------------------------------------===//

numerics::Format BinaryAttr::getNumericsFormat() const {
  return numerics::RowBinary{getAxis()};
}

LogicalResult BinaryAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t axis) {
  return check(emitError, numerics::RowBinary{axis});
}

Attribute BinaryAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  int64_t axis = 0;
  if (succeeded(p.parseOptionalLess()) &&
      (parseEntries(p, {"axis"}, /*leadingComma=*/false,
                    [&](StringRef) { return p.parseInteger(axis); }) ||
       p.parseGreater()))
    return {};
  return getChecked([&] { return p.emitError(loc); }, p.getContext(), axis);
}

void BinaryAttr::print(AsmPrinter &p) const {
  if (getAxis() != 0)
    p << "<axis = " << getAxis() << ">";
}

numerics::Format TernaryAttr::getNumericsFormat() const {
  return numerics::RowTernary{getAxis(), getThreshold().convertToDouble()};
}

LogicalResult TernaryAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  llvm::APFloat threshold, int64_t axis) {
  if (&threshold.getSemantics() != &llvm::APFloat::IEEEdouble())
    return emitError() << "ternary threshold factor must be a double";
  return check(emitError,
               numerics::RowTernary{axis, threshold.convertToDouble()});
}

Attribute TernaryAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  double threshold = kDefaultTernaryThreshold;
  int64_t axis = 0;
  if (succeeded(p.parseOptionalLess()) &&
      (parseEntries(p, {"threshold", "axis"}, /*leadingComma=*/false,
                    [&](StringRef key) {
                      return key == "axis" ? p.parseInteger(axis)
                                           : p.parseFloat(threshold);
                    }) ||
       p.parseGreater()))
    return {};
  return getChecked([&] { return p.emitError(loc); }, p.getContext(),
                    llvm::APFloat(threshold), axis);
}

void TernaryAttr::print(AsmPrinter &p) const {
  bool defaultThreshold =
      getThreshold().convertToDouble() == kDefaultTernaryThreshold;
  if (defaultThreshold && getAxis() == 0)
    return;
  p << "<";
  if (!defaultThreshold) {
    SmallString<16> text;
    getThreshold().toString(text);
    p << "threshold = " << text;
    if (getAxis() != 0)
      p << ", ";
  }
  if (getAxis() != 0)
    p << "axis = " << getAxis();
  p << ">";
}

//===----------------------------------------------------------------------===//
// GridAttr
//===----------------------------------------------------------------------===//

namespace {
using GridScale = numerics::LevelGrid::Scale;

constexpr std::pair<GridScale, StringLiteral> kGridScaleNames[] = {
    {GridScale::Glorot, "glorot"},
    {GridScale::MeanAbs, "mean_abs"},
    {GridScale::MaxAbs, "max_abs"},
    {GridScale::SAWB, "sawb"}};

numerics::LevelGrid toLevelGrid(int64_t levels, GridScale scale,
                                const llvm::APFloat &fixedScale) {
  return numerics::LevelGrid{levels, scale,
                             static_cast<float>(fixedScale.convertToDouble())};
}
} // namespace

numerics::Format GridAttr::getNumericsFormat() const {
  return toLevelGrid(getLevels(), getScale(), getFixedScale());
}

LogicalResult GridAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               int64_t levels, GridScale scale,
                               llvm::APFloat fixedScale) {
  if (&fixedScale.getSemantics() != &llvm::APFloat::IEEEdouble())
    return emitError() << "grid scale must be a double";
  return check(emitError, toLevelGrid(levels, scale, fixedScale));
}

Attribute GridAttr::parse(AsmParser &p, Type) {
  SMLoc loc = p.getCurrentLocation();
  int64_t levels = 0;
  GridScale scale = GridScale::Glorot;
  double fixedScale = 1.0;
  if (p.parseLess())
    return {};
  bool leadingComma = succeeded(p.parseOptionalKeyword("binary"));
  auto parseScale = [&]() -> ParseResult {
    StringRef rule;
    if (succeeded(p.parseOptionalKeyword(&rule))) {
      for (auto [kind, name] : kGridScaleNames)
        if (rule == name) {
          scale = kind;
          return success();
        }
      return p.emitError(p.getCurrentLocation())
             << "unknown grid scale '" << rule
             << "', expected glorot, mean_abs, max_abs, sawb or a number";
    }
    scale = GridScale::Fixed;
    return p.parseFloat(fixedScale);
  };
  SmallVector<StringRef> keys = {"scale"};
  if (!leadingComma)
    keys.push_back("levels");
  if (parseEntries(p, keys, leadingComma,
                   [&](StringRef key) {
                     return key == "levels" ? p.parseInteger(levels)
                                            : parseScale();
                   }) ||
      p.parseGreater())
    return {};
  if (!leadingComma && levels == 0) {
    p.emitError(loc) << "grid needs 'binary' or 'levels = L' with L >= 1";
    return {};
  }
  return getChecked([&] { return p.emitError(loc); }, p.getContext(), levels,
                    scale, llvm::APFloat(fixedScale));
}

void GridAttr::print(AsmPrinter &p) const {
  p << "<";
  if (getLevels() == 0)
    p << "binary";
  else
    p << "levels = " << getLevels();
  if (getScale() == GridScale::Fixed) {
    SmallString<16> text;
    getFixedScale().toString(text);
    // Keep a decimal point so that the value parses back as a float.
    if (!StringRef(text).contains_insensitive(".") &&
        !StringRef(text).contains_insensitive("e"))
      text += ".0";
    p << ", scale = " << text;
  } else if (getScale() != GridScale::Glorot) {
    for (auto [kind, name] : kGridScaleNames)
      if (kind == getScale())
        p << ", scale = " << name;
  }
  p << ">";
}
