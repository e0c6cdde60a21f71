//===- LPQAttrs.h - lpq number formats --------------------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_IR_LPQATTRS_H
#define LPQ_DIALECT_LPQ_IR_LPQATTRS_H

#include "lpq/Numerics/Numerics.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "lpq/Dialect/LPQ/IR/LPQEnums.h.inc"

#include "lpq/Dialect/LPQ/IR/LPQAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "lpq/Dialect/LPQ/IR/LPQAttrs.h.inc"

namespace mlir::lpq {

/// The reference-library rounding mode of a dialect rounding mode.
numerics::Rounding toNumerics(Rounding rounding);

} // namespace mlir::lpq

#endif // LPQ_DIALECT_LPQ_IR_LPQATTRS_H
