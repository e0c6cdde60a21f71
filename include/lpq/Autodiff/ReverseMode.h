//===- ReverseMode.h - Reverse-mode differentiation of tensor programs -*- C++
//-*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Reverse-mode automatic differentiation of the linalg-on-tensors programs a
// torch-mlir export produces: linalg.generic (elementwise and broadcast
// bodies of arith/math ops, sum and max reductions, contractions),
// every named linalg op that generalizes to one (matmul, batch_matmul,
// convolutions, pooling, transpose, ...), tensor.expand_shape /
// collapse_shape, and lpq rounding ops (straight-through).
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_AUTODIFF_REVERSEMODE_H
#define LPQ_AUTODIFF_REVERSEMODE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

#include <functional>

namespace mlir::lpq::autodiff {

/// Replaces every named linalg op in `ops` (a list in program order) by its
/// linalg.generic form, updating the list. Fails on ops that do not
/// generalize.
LogicalResult generalizeLinalgOps(SmallVectorImpl<Operation *> &ops);

/// What to do with the adjoint of a rounding op's result before it flows to
/// the op's input (a straight-through estimator): returns the adjoint of the
/// input. The training-step builder quantizes errors here.
using StraightThroughFn =
    std::function<Value(OpBuilder &, Operation *roundingOp, Value adjoint)>;

/// Emits, at `b`'s insertion point, the reverse pass of `forward` (ops in
/// program order, already generalized): starting from `seed` as the adjoint
/// of `output`, returns the adjoint of every value in `wrt` (a zero tensor
/// where `output` does not depend on it). Ops on the path that cannot be
/// differentiated get an error naming them, at their location.
FailureOr<SmallVector<Value>>
emitReversePass(OpBuilder &b, ArrayRef<Operation *> forward, Value output,
                Value seed, ArrayRef<Value> wrt, const StraightThroughFn &st);

/// A float32 tensor of `like`'s shape filled with zeros.
Value zerosLike(OpBuilder &b, Location loc, Value like);

/// The scalar body of an elementwise generic: the result from the inputs'
/// elements.
using ScalarBodyFn =
    function_ref<Value(OpBuilder &, Location, ValueRange elements)>;

/// An elementwise linalg.generic over tensors of `inputs[0]`'s type (any
/// rank, 0 included) computing `body` per element.
Value elementwise(OpBuilder &b, Location loc, ValueRange inputs,
                  ScalarBodyFn body);

/// Elementwise sum of two tensors of the same type.
Value addTensors(OpBuilder &b, Location loc, Value x, Value y);

} // namespace mlir::lpq::autodiff

#endif // LPQ_AUTODIFF_REVERSEMODE_H
