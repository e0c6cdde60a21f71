//===- LPQOps.h - lpq operations --------------------------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_IR_LPQOPS_H
#define LPQ_DIALECT_LPQ_IR_LPQOPS_H

#include "lpq/Dialect/LPQ/IR/LPQAttrs.h"
#include "lpq/Dialect/LPQ/IR/LPQDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "lpq/Dialect/LPQ/IR/LPQOps.h.inc"

namespace mlir::lpq {

/// The type of the per-block exponents of a tensor of type `input` (the
/// result type of lpq.block_scale): the input's rank, extent 1 along reduced
/// axes, ceil(d/N) along a tiled axis, d along kept axes (dynamic where the
/// input's extent is).
RankedTensorType blockScaleType(RankedTensorType input,
                                const numerics::Blocking &blocking);

} // namespace mlir::lpq

#endif // LPQ_DIALECT_LPQ_IR_LPQOPS_H
