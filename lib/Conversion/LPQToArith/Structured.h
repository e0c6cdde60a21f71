//===- Structured.h - linalg.generic building blocks -----------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// The linalg.generic shapes every lpq lowering is made of (elementwise maps,
// float64 reductions in row-major order), shared by the lowering files of
// the op families.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_LIB_CONVERSION_LPQTOARITH_STRUCTURED_H
#define LPQ_LIB_CONVERSION_LPQTOARITH_STRUCTURED_H

#include "lpq/Numerics/Numerics.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::lpq::detail {

/// The sizes of every dimension of `v` as index values.
SmallVector<Value> dimSizes(ImplicitLocOpBuilder &b, Value v);

/// The dynamic sizes of a tensor type whose dims equal `sizes` where dynamic.
SmallVector<Value> dynamicOnly(RankedTensorType type, ArrayRef<Value> sizes);

/// A zero-filled tensor (the initial value of a reduction) of this shape and
/// element type; `dynamicSizes` gives its dynamic extents.
Value zeroFilled(ImplicitLocOpBuilder &b, ArrayRef<int64_t> shape,
                 FloatType elementType, ValueRange dynamicSizes);

/// Row-major linear index (i64) of the current element of a linalg.generic
/// over a domain with these sizes.
Value linearIndex(ImplicitLocOpBuilder &b, ArrayRef<Value> sizes);

/// A generic over a domain of `sizes` (all parallel) producing one tensor of
/// `resultType` from `inputs` read through `inputMaps`.
Value elementwise(ImplicitLocOpBuilder &b, RankedTensorType resultType,
                  ArrayRef<Value> sizes, ValueRange inputs,
                  ArrayRef<AffineMap> inputMaps,
                  function_ref<Value(ImplicitLocOpBuilder &, ValueRange)> body);

/// An elementwise generic over same-typed tensors `inputs`; `body` also gets
/// the domain's sizes (for linear indices).
Value mapElements(
    ImplicitLocOpBuilder &b, ValueRange inputs,
    function_ref<Value(ImplicitLocOpBuilder &, ValueRange, ArrayRef<Value>)>
        body);

/// A float64 reduction of `x` into one value per index of `keptAxis`
/// (or a rank-0 result when keptAxis < 0), in row-major element order.
/// `term` maps (x element, extra inputs...) to the f64 term added.
Value reduceF64(ImplicitLocOpBuilder &b, Value x, int64_t keptAxis,
                ValueRange extraInputs,
                function_ref<Value(ImplicitLocOpBuilder &, ValueRange)> term);

/// |x| of an f32 as f64.
Value absF64(ImplicitLocOpBuilder &b, Value x);

/// Number of elements of `x` per index of `axis` (all of them if axis < 0),
/// as f64.
Value countPer(ImplicitLocOpBuilder &b, Value x, int64_t axis);

/// The random-number operands of a stochastic rounding.
struct StochasticOperands {
  Value seed, step;
  uint32_t stream;
};

/// Rounds `x` onto a level grid (`mode`, or stochastically with `random`)
/// with the f32 `scale`, or its own scale when `scale` is null.
Value buildGridRounding(ImplicitLocOpBuilder &b, Value x,
                        const numerics::LevelGrid &grid,
                        numerics::Rounding mode,
                        const StochasticOperands *random, Value scale = {});

/// Lowerings of lpq.grid_scale, lpq.grid_clamp and lpq.askew_direction.
void populateGridPatterns(RewritePatternSet &patterns);

} // namespace mlir::lpq::detail

#endif // LPQ_LIB_CONVERSION_LPQTOARITH_STRUCTURED_H
