//===- Passes.h - lpq dialect passes ----------------------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_H
#define LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_H

#include "lpq/Dialect/LPQ/IR/LPQDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::lpq {

/// Marks a stochastic rounding whose input usually lies on its format's grid
/// already (a weight quantizer reading the accumulator that the previous
/// training step rounded onto the same format); lpq-skip-rounding-on-grid
/// checks that before computing random bits.
inline constexpr llvm::StringLiteral kExpectOnGridAttrName =
    "lpq.expect_on_grid";

#define GEN_PASS_DECL
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"

} // namespace mlir::lpq

#endif // LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_H
