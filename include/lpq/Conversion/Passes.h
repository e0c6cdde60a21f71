//===- Passes.h - lpq conversion passes -------------------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_CONVERSION_PASSES_H
#define LPQ_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lpq {

#define GEN_PASS_DECL
#include "lpq/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lpq/Conversion/Passes.h.inc"

/// Patterns rewriting every lpq op into linalg.generic ops with arith and
/// math bodies (see `convert-lpq-to-arith`).
void populateLPQToArithPatterns(RewritePatternSet &patterns);

} // namespace mlir::lpq

#endif // LPQ_CONVERSION_PASSES_H
