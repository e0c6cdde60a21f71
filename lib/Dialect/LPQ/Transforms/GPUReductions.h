//===- GPUReductions.h - Reductions GPU blocks may reorder ------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_TRANSFORMS_GPUREDUCTIONS_H
#define LPQ_DIALECT_LPQ_TRANSFORMS_GPUREDUCTIONS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/ADT/TypeSwitch.h"

#include <optional>

namespace mlir::lpq {

/// The gpu.all_reduce operation of a combining op whose result does not
/// depend on the order or the multiplicity of its inputs (associative,
/// commutative, idempotent), so a block of threads may fold the same
/// elements in any order and each its own copy of the initial value.
/// minnumf/maxnumf qualify up to the sign of a zero result and
/// minimumf/maximumf up to the payload of a NaN result, which lpq's block
/// maxima never see: they combine magnitudes with infinities and NaNs
/// mapped to zero.
inline std::optional<gpu::AllReduceOperation>
idempotentReduction(Operation *op) {
  using K = gpu::AllReduceOperation;
  return llvm::TypeSwitch<Operation *, std::optional<K>>(op)
      .Case([](arith::MaxNumFOp) { return K::MAXNUMF; })
      .Case([](arith::MinNumFOp) { return K::MINNUMF; })
      .Case([](arith::MaximumFOp) { return K::MAXIMUMF; })
      .Case([](arith::MinimumFOp) { return K::MINIMUMF; })
      .Case([](arith::MaxSIOp) { return K::MAXSI; })
      .Case([](arith::MinSIOp) { return K::MINSI; })
      .Case([](arith::MaxUIOp) { return K::MAXUI; })
      .Case([](arith::MinUIOp) { return K::MINUI; })
      .Case([](arith::AndIOp) { return K::AND; })
      .Case([](arith::OrIOp) { return K::OR; })
      .Default(std::nullopt);
}

} // namespace mlir::lpq

#endif // LPQ_DIALECT_LPQ_TRANSFORMS_GPUREDUCTIONS_H
