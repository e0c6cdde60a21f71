//===- Passes.td - lpq conversion passes ---------------------*- tablegen -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_CONVERSION_PASSES_TD
#define LPQ_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLPQToArithPass : Pass<"convert-lpq-to-arith"> {
  let summary = "Expand lpq ops into linalg.generic ops with arith/math bodies";
  let description = [{
    Rewrites every lpq op into `linalg.generic` ops on tensors whose bodies
    are `arith` and `math` ops (Philox4x32-10 included), bit-identical to the
    reference numerics library (docs/numerics.md), so upstream fusion,
    bufferization, tiling and vectorization apply unchanged.

    - `lpq.block_scale`: a max-reduction of |x| over the finite elements of
      each block (the exponent tensor indexed through `d floordiv N` for
      tiles and `0` for reduced axes), then an elementwise exponent
      extraction.
    - `lpq.quantize` / `lpq.stochastic_round` on fixed-point, minifloat,
      block and MX formats: one elementwise generic; block exponents come
      from the `scales` operand or from the reduction above. Rounding is done
      exactly in f64: scaling by powers of two built from exponent bits, then
      `math.roundeven` / `math.round` / `math.trunc` / `math.floor` /
      `math.ceil`, or the stochastic comparison against Philox bits drawn
      from the element's row-major linear index.
    - Binary and ternary row formats: f64 sum reductions, then an
      elementwise select.
    - `lpq.average`: elementwise f32 subtract, divide, add.

    Rounding and block maxima run through a view of the tensor with
    consecutive static axes that play the same part in the blocking merged
    (`tensor.collapse_shape`, then `tensor.expand_shape` of the result): an
    elementwise format or a whole-tensor block rounds in one loop, a per-row
    block over (rows, rest), so that no loop is as short as a 24-wide image
    row. Blocks and row-major element indices are those of the original
    tensor, so the results are the same bit for bit.

    Example: `lpq.quantize %x : tensor<8xf32> to #lpq.fixed<8, 4>` becomes a
    `linalg.generic` whose body is `arith.extf`, `arith.mulf`,
    `math.roundeven`, `arith.mulf`, `math.copysign`, `arith.truncf`, a clamp
    and a NaN select.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::scf::SCFDialect",
  ];
}

#endif // LPQ_CONVERSION_PASSES_TD
