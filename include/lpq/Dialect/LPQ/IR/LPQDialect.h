//===- LPQDialect.h - The lpq dialect ---------------------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_IR_LPQDIALECT_H
#define LPQ_DIALECT_LPQ_IR_LPQDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"

#include "lpq/Dialect/LPQ/IR/LPQDialect.h.inc"

namespace mlir::lpq {

/// Marks an `arith.select %c, %fast, %general` that the lowering of the
/// rounding ops emits where a cheaper computation `%fast` gives the same
/// bits as `%general` whenever `%c` holds, and `%c` depends only on a block
/// scale (constant along a row of a per-row block format):
/// lpq-unswitch-fast-paths versions the loop around it on `%c`.
inline constexpr llvm::StringLiteral kFastPathAttrName = "lpq.fast_path";

} // namespace mlir::lpq

#endif // LPQ_DIALECT_LPQ_IR_LPQDIALECT_H
