//===- RandomBits.h - Recognizing Philox in lowered loops -------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_TRANSFORMS_RANDOMBITS_H
#define LPQ_DIALECT_LPQ_TRANSFORMS_RANDOMBITS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

namespace mlir::lpq {

/// Whether `op` multiplies by one of Philox4x32's round multipliers, which
/// `convert-lpq-to-arith` emits for every evaluation of Philox4x32-10.
inline bool isPhiloxMultiply(Operation *op) {
  if (!isa<arith::MulIOp, arith::MulUIExtendedOp>(op))
    return false;
  return llvm::any_of(op->getOperands(), [](Value v) {
    APInt c;
    if (!matchPattern(v, m_ConstantInt(&c)))
      return false;
    uint64_t m = c.getZExtValue();
    return m == 0xD2511F53 || m == 0xCD9E8D57;
  });
}

} // namespace mlir::lpq

#endif // LPQ_DIALECT_LPQ_TRANSFORMS_RANDOMBITS_H
