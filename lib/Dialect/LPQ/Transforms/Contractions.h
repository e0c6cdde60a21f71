//===- Contractions.h - Matching `out += a * b` and its fill ----*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_TRANSFORMS_CONTRACTIONS_H
#define LPQ_DIALECT_LPQ_TRANSFORMS_CONTRACTIONS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir::lpq {

/// The operand order of a linalg body that yields `out + a * b` (no
/// fast-math flags) for block arguments (a, b, out).
struct MultiplyAccumulate {
  bool mulSwapped; // the body multiplies b * a
  bool addSwapped; // the body adds product + out
};

/// Whether `body` (arguments a, b, out) is exactly a multiply then an add
/// of the product to `out`; the operand order when it is.
inline std::optional<MultiplyAccumulate> matchMultiplyAccumulate(Block &body) {
  if (body.getNumArguments() != 3 || body.getOperations().size() != 3)
    return std::nullopt;
  auto mul = dyn_cast<arith::MulFOp>(&body.front());
  auto add = mul ? dyn_cast<arith::AddFOp>(mul->getNextNode()) : nullptr;
  auto yield = add ? dyn_cast<linalg::YieldOp>(add->getNextNode()) : nullptr;
  if (!yield || yield.getNumOperands() != 1 || yield.getOperand(0) != add ||
      mul.getFastmath() != arith::FastMathFlags::none ||
      add.getFastmath() != arith::FastMathFlags::none)
    return std::nullopt;
  Value a = body.getArgument(0), b = body.getArgument(1),
        out = body.getArgument(2);
  // (x, y) in the given or the swapped order; nothing otherwise.
  auto order = [](Value lhs, Value rhs, Value x,
                  Value y) -> std::optional<bool> {
    if (lhs == x && rhs == y)
      return false;
    if (lhs == y && rhs == x)
      return true;
    return std::nullopt;
  };
  std::optional<bool> mulSwapped = order(mul.getLhs(), mul.getRhs(), a, b);
  std::optional<bool> addSwapped = order(add.getLhs(), add.getRhs(), out, mul);
  if (!mulSwapped || !addSwapped)
    return std::nullopt;
  return MultiplyAccumulate{*mulSwapped, *addSwapped};
}

/// Whether one of `map`'s results uses loop dimension `dim`.
bool usesDim(AffineMap map, unsigned dim);

/// Whether one of `op`'s memref inputs is a view of the same buffer as its
/// (first) output: a lowering that keeps sums in registers and stores each
/// output element once would then read other values than the plain loop
/// nest, which updates the output term by term.
bool inputsAliasOutput(linalg::LinalgOp op);

/// A fill of a contraction's whole output buffer just before it.
struct OutputFill {
  Operation *fill = nullptr; // linalg.fill, or a generic without inputs
  Value value;               // what it stores to every element
};

/// The fill of `op`'s output buffer before it in its block, with nothing in
/// between that may read or write that buffer, and with `op` not reading it
/// through its inputs: a lowering of `op` that stores every output element
/// can start its sums from the fill's value and erase the fill. Empty when
/// there is none.
OutputFill fillBefore(linalg::LinalgOp op);

} // namespace mlir::lpq

#endif // LPQ_DIALECT_LPQ_TRANSFORMS_CONTRACTIONS_H
