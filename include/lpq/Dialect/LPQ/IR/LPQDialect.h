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

#endif // LPQ_DIALECT_LPQ_IR_LPQDIALECT_H
