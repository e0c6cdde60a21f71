//===- ElementRounding.h - Scalar rounding in arith -------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Emits the arith/math ops that round one element exactly as the reference
// numerics library does, and Philox4x32-10 in arith. Used inside the bodies
// of the linalg.generic ops the LPQ-to-arith conversion creates.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_LIB_CONVERSION_LPQTOARITH_ELEMENTROUNDING_H
#define LPQ_LIB_CONVERSION_LPQTOARITH_ELEMENTROUNDING_H

#include "lpq/Numerics/Numerics.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::lpq::detail {

/// How to round: a deterministic mode, or stochastically with `bits` (i32).
struct RoundSpec {
  bool stochastic = false;
  numerics::Rounding mode = numerics::Rounding::NearestEven;
  Value bits;
};

/// The 32 random bits (i32) of a stochastic rounding op with this seed
/// (i64), stream and step (i32) for the element with row-major linear index
/// 4 * group + word: word `word` (i32, 0..3) of Philox4x32-10 at counter
/// (group (i64), stream, step). The four elements of a group share one
/// Philox evaluation when the compiler sees `group` is the same for them.
Value emitRandomBits(ImplicitLocOpBuilder &b, Value seed, uint32_t stream,
                     Value step, Value group, Value word);

/// The same bits for the element with row-major linear index `index` (i64):
/// group index / 4, word index % 4.
Value emitRandomBitsAt(ImplicitLocOpBuilder &b, Value seed, uint32_t stream,
                       Value step, Value index);

/// Rounds the f32 `x` onto a fixed-point, minifloat, block or MX format.
/// Block and MX formats take the element's block exponent `scale` (i32).
Value emitRoundElement(ImplicitLocOpBuilder &b, Value x,
                       const numerics::Format &format, const RoundSpec &spec,
                       Value scale = {});

/// `r` where the f32 `x` is not NaN, and `x` itself (bit for bit) where it
/// is: every lpq op passes NaN through unchanged.
Value emitKeepNaN(ImplicitLocOpBuilder &b, Value x, Value r);

/// The block exponent (i32) of a block or MX format from the block's largest
/// finite magnitude `amax` (f32, >= 0).
Value emitBlockExponent(ImplicitLocOpBuilder &b, Value amax,
                        const numerics::Format &format);

} // namespace mlir::lpq::detail

#endif // LPQ_LIB_CONVERSION_LPQTOARITH_ELEMENTROUNDING_H
