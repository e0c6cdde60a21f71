//===- LPQToArith.cpp - lpq ops to linalg.generic + arith -----------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Every lpq op becomes linalg.generic ops on tensors whose bodies are arith
// and math, so upstream fusion, bufferization, tiling and vectorization
// apply unchanged:
//   - block exponents: a max-reduction of |x| over each block, then an
//     elementwise exponent extraction;
//   - rounding: one elementwise generic reading x (and the block exponents
//     through a broadcasting indexing map), Philox computed from the
//     element's linear index for stochastic rounding;
//   - row formats: float64 sum reductions in row-major order, then an
//     elementwise select;
//   - averaging: elementwise float32 arithmetic.
//
//===----------------------------------------------------------------------===//

#include "ElementRounding.h"
#include "Structured.h"

#include "lpq/Conversion/Passes.h"
#include "lpq/Dialect/LPQ/IR/LPQOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_CONVERTLPQTOARITHPASS
#include "lpq/Conversion/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;
using namespace mlir::lpq;
using namespace mlir::lpq::detail;
using utils::IteratorType;

namespace mlir::lpq::detail {

//===----------------------------------------------------------------------===//
// Shapes and indexing
//===----------------------------------------------------------------------===//

/// The sizes of every dimension of `v` as index values.
SmallVector<Value> dimSizes(ImplicitLocOpBuilder &b, Value v) {
  SmallVector<Value> sizes;
  auto type = cast<RankedTensorType>(v.getType());
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(tensor::DimOp::create(b, v, d));
  return sizes;
}

/// The dynamic sizes of a tensor type whose dims equal `sizes` where dynamic.
SmallVector<Value> dynamicOnly(RankedTensorType type, ArrayRef<Value> sizes) {
  SmallVector<Value> out;
  for (auto [d, size] : llvm::enumerate(type.getShape()))
    if (ShapedType::isDynamic(size))
      out.push_back(sizes[d]);
  return out;
}

Value emptyLike(ImplicitLocOpBuilder &b, RankedTensorType type,
                ArrayRef<Value> sizes, Type elementType) {
  return tensor::EmptyOp::create(b, type.getShape(), elementType,
                                 dynamicOnly(type, sizes));
}

/// A zero-filled tensor (the initial value of a reduction) of this shape and
/// element type; `dynamicSizes` gives its dynamic extents.
Value zeroFilled(ImplicitLocOpBuilder &b, ArrayRef<int64_t> shape,
                 FloatType elementType, ValueRange dynamicSizes) {
  Value zero = arith::ConstantOp::create(b, b.getFloatAttr(elementType, 0.0));
  Value empty = tensor::EmptyOp::create(b, shape, elementType, dynamicSizes);
  return linalg::FillOp::create(b, zero, empty).getResult(0);
}

/// Row-major linear index (i64) of the current element of a linalg.generic
/// over a domain with these sizes.
Value linearIndex(ImplicitLocOpBuilder &b, ArrayRef<Value> sizes) {
  Value index = arith::ConstantIndexOp::create(b, 0);
  for (auto [d, size] : llvm::enumerate(sizes)) {
    Value i = linalg::IndexOp::create(b, d);
    index = arith::AddIOp::create(b, arith::MulIOp::create(b, index, size), i);
  }
  return arith::IndexCastOp::create(b, b.getI64Type(), index);
}

/// Indexing of the block-exponent tensor from the element domain: kept axes
/// map through, reduced axes to 0, a tiled axis to d floordiv N.
AffineMap blockMap(MLIRContext *ctx, int64_t rank,
                   const numerics::Blocking &blocking) {
  SmallVector<AffineExpr> results;
  for (int64_t d = 0; d < rank; ++d) {
    AffineExpr dim = getAffineDimExpr(d, ctx);
    if (blocking.kind == numerics::Blocking::Kind::Tiles)
      results.push_back(d == blocking.axes[0] ? dim.floorDiv(blocking.tileSize)
                                              : dim);
    else if (llvm::is_contained(blocking.axes, d))
      results.push_back(dim);
    else
      results.push_back(getAffineConstantExpr(0, ctx));
  }
  return AffineMap::get(rank, 0, results, ctx);
}

/// A generic over the domain of `x` (all parallel) producing one tensor of
/// `resultType` from `inputs` read through `maps`.
Value elementwise(
    ImplicitLocOpBuilder &b, RankedTensorType resultType, ArrayRef<Value> sizes,
    ValueRange inputs, ArrayRef<AffineMap> inputMaps,
    function_ref<Value(ImplicitLocOpBuilder &, ValueRange)> body) {
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = emptyLike(b, resultType, sizes, resultType.getElementType());
  auto generic = linalg::GenericOp::create(
      b, TypeRange{resultType}, inputs, ValueRange{init}, maps,
      SmallVector<IteratorType>(rank, IteratorType::parallel),
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder nb(loc, nested);
        linalg::YieldOp::create(nb, body(nb, args));
      });
  return generic.getResult(0);
}

Value mapElements(
    ImplicitLocOpBuilder &b, ValueRange inputs,
    function_ref<Value(ImplicitLocOpBuilder &, ValueRange, ArrayRef<Value>)>
        body) {
  auto type = cast<RankedTensorType>(inputs[0].getType());
  SmallVector<Value> sizes = dimSizes(b, inputs[0]);
  SmallVector<AffineMap> maps(inputs.size(),
                              b.getMultiDimIdentityMap(type.getRank()));
  return elementwise(b, type, sizes, inputs, maps,
                     [&](ImplicitLocOpBuilder &nb, ValueRange args) {
                       return body(nb, args, sizes);
                     });
}

} // namespace mlir::lpq::detail

namespace {

//===----------------------------------------------------------------------===//
// Block exponents
//===----------------------------------------------------------------------===//

/// An axis of the rounding domain split into (extent / P, f1, f2, ...) with
/// P the product of the factors: a view of the input with more dimensions,
/// iterated so that the factors become the innermost loops.
struct Split {
  int64_t axis = -1;
  SmallVector<int64_t> factors;
  bool enabled() const { return axis >= 0; }
  int64_t product() const {
    int64_t p = 1;
    for (int64_t f : factors)
      p *= f;
    return p;
  }
};

/// `x` viewed with `split.axis` split.
Value splitView(ImplicitLocOpBuilder &b, Value x, const Split &split) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape;
  SmallVector<ReassociationIndices> groups;
  SmallVector<OpFoldResult> outputShape;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t first = shape.size();
    if (d == split.axis) {
      ReassociationIndices group{first};
      shape.push_back(type.getDimSize(d) / split.product());
      for (int64_t f : split.factors) {
        group.push_back(static_cast<int64_t>(shape.size()));
        shape.push_back(f);
      }
      groups.push_back(group);
      for (int64_t extent : ArrayRef<int64_t>(shape).drop_front(first))
        outputShape.push_back(b.getIndexAttr(extent));
      continue;
    }
    groups.push_back({first});
    shape.push_back(type.getDimSize(d));
    outputShape.push_back(
        type.isDynamicDim(d)
            ? OpFoldResult(tensor::DimOp::create(b, x, d).getResult())
            : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
  }
  return tensor::ExpandShapeOp::create(
      b, RankedTensorType::get(shape, type.getElementType()), x, groups,
      outputShape);
}

/// Groups of consecutive axes that play the same part in `format`'s
/// blocking: all in one block, or each index its own block (axes of a
/// per-axis blocking, the untiled axes of a tiling); a tiled axis stays
/// alone, and so do axis 0 when `keepAxis0` is set and every dynamic axis.
/// Rounding through a view with each group merged into one axis has fewer
/// and longer loops (a 64x8x24x24 activation becomes one loop instead of rows
/// of 24, which LLVM does not vectorize) and the same blocks and row-major
/// element indices, so the same results bit for bit.
SmallVector<ReassociationIndices> mergeableAxes(RankedTensorType type,
                                                const numerics::Format &format,
                                                bool keepAxis0) {
  const numerics::Blocking *blocking = numerics::blockingOf(format);
  auto part = [&](int64_t d) -> int64_t {
    if (!blocking || blocking->kind == numerics::Blocking::Kind::Tensor)
      return 0;
    if (blocking->kind == numerics::Blocking::Kind::Tiles)
      return d == blocking->axes[0] ? 2 : 1;
    return llvm::is_contained(blocking->axes, d) ? 1 : 0;
  };
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    // Dynamic extents are left apart: reshapes of them lower through affine
    // arithmetic after the CPU pipeline has lowered affine.
    bool merge = d > 0 && part(d) != 2 && part(d) == part(d - 1) &&
                 !(keepAxis0 && d == 1) && !type.isDynamicDim(d) &&
                 !type.isDynamicDim(d - 1);
    if (merge)
      groups.back().push_back(d);
    else
      groups.push_back({d});
  }
  return groups;
}

/// `format` with its blocking's axes renumbered for a view of the tensor
/// with `groups` of axes merged (each group's axes share one part).
numerics::Format withMergedAxes(numerics::Format format,
                                ArrayRef<ReassociationIndices> groups) {
  auto remap = [&](numerics::Blocking &blocking) {
    std::vector<int64_t> axes;
    for (auto [g, group] : llvm::enumerate(groups))
      if (llvm::is_contained(blocking.axes, group.front()))
        axes.push_back(static_cast<int64_t>(g));
    blocking.axes = axes;
  };
  if (auto *f = std::get_if<numerics::BlockFloat>(&format))
    remap(f->blocking);
  if (auto *f = std::get_if<numerics::ScaledFloat>(&format))
    remap(f->blocking);
  return format;
}

/// `v` (the merged view) expanded back to `type` along `groups`; `sizeOf(d)`
/// gives the extent of a dynamic axis d of `type`.
Value expandTo(ImplicitLocOpBuilder &b, Value v, RankedTensorType type,
               ArrayRef<ReassociationIndices> groups,
               function_ref<Value(int64_t)> sizeOf) {
  SmallVector<OpFoldResult> shape;
  for (int64_t d = 0; d < type.getRank(); ++d)
    shape.push_back(type.isDynamicDim(d)
                        ? OpFoldResult(sizeOf(d))
                        : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
  return tensor::ExpandShapeOp::create(b, type, v, groups, shape);
}

/// The largest finite |x| of every block, into `init` (the f32 scale-shaped
/// tensor). Tiles that divide a static axis are reduced through a view of x
/// with the axis split into (tiles, N), so that each tile is an inner
/// reduction loop; otherwise the output is indexed by d floordiv N.
Value reduceBlockMaxima(ImplicitLocOpBuilder &b, Value x,
                        const numerics::Blocking &blocking, Value init) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();

  // A whole-tensor maximum is taken in two stages, one per index of axis 0
  // (a parallel loop) and then over those: max is exact in any order, and a
  // single reduction loop would run on one thread.
  bool beyondAxis0 = llvm::any_of(type.getShape().drop_front(),
                                  [](int64_t d) { return d != 1; });
  if (blocking.kind == numerics::Blocking::Kind::Tensor && rank >= 2 &&
      beyondAxis0) {
    numerics::Blocking rows;
    rows.kind = numerics::Blocking::Kind::Axes;
    rows.axes = {0};
    RankedTensorType partialType = blockScaleType(type, rows);
    SmallVector<Value> dynamic;
    if (partialType.isDynamicDim(0))
      dynamic.push_back(tensor::DimOp::create(b, x, 0));
    Value partialInit =
        zeroFilled(b, partialType.getShape(), b.getF32Type(), dynamic);
    Value partial = reduceBlockMaxima(b, x, rows, partialInit);
    return reduceBlockMaxima(b, partial, blocking, init);
  }
  bool tiled = blocking.kind == numerics::Blocking::Kind::Tiles;
  int64_t tileAxis = tiled ? blocking.axes[0] : -1;
  bool split = tiled && !type.isDynamicDim(tileAxis) &&
               type.getDimSize(tileAxis) % blocking.tileSize == 0;

  Value input = x;
  SmallVector<AffineExpr> outExprs;
  SmallVector<IteratorType> iterators;
  int64_t loops = rank;
  if (split) {
    // x[.., D, ..] viewed as [.., D/N, N, ..]; the N loop is the reduction.
    input = splitView(b, x, Split{tileAxis, {blocking.tileSize}});
    loops = rank + 1;
    for (int64_t l = 0; l < loops; ++l) {
      bool inner = l == tileAxis + 1;
      iterators.push_back(inner ? IteratorType::reduction
                                : IteratorType::parallel);
      if (!inner)
        outExprs.push_back(getAffineDimExpr(l, ctx));
    }
  } else {
    for (int64_t d = 0; d < rank; ++d) {
      bool kept = tiled ? d != tileAxis : llvm::is_contained(blocking.axes, d);
      iterators.push_back(kept ? IteratorType::parallel
                               : IteratorType::reduction);
    }
    outExprs = llvm::to_vector(blockMap(ctx, rank, blocking).getResults());
  }
  auto reduce = linalg::GenericOp::create(
      b, TypeRange{init.getType()}, ValueRange{input}, ValueRange{init},
      SmallVector<AffineMap>{b.getMultiDimIdentityMap(loops),
                             AffineMap::get(loops, 0, outExprs, ctx)},
      iterators, [&](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder nb(loc, nested);
        Value mag = math::AbsFOp::create(nb, args[0]);
        Value inf = arith::ConstantOp::create(
            nb, nb.getF32FloatAttr(std::numeric_limits<float>::infinity()));
        Value finite =
            arith::CmpFOp::create(nb, arith::CmpFPredicate::OLT, mag, inf);
        Value z = arith::ConstantOp::create(nb, nb.getF32FloatAttr(0));
        Value v = arith::SelectOp::create(nb, finite, mag, z);
        // Every value is a finite magnitude (never NaN, never -0) and max is
        // exact in any order: the flags only let LLVM vectorize the
        // reduction.
        Value max = arith::MaxNumFOp::create(nb, v, args[1],
                                             arith::FastMathFlags::nnan |
                                                 arith::FastMathFlags::nsz);
        linalg::YieldOp::create(nb, max);
      });
  return reduce.getResult(0);
}

/// Per-block exponents (i32, lpq.block_scale's result type) of `x`.
Value buildBlockScales(ImplicitLocOpBuilder &b, Value x,
                       const numerics::Format &format) {
  auto type = cast<RankedTensorType>(x.getType());
  const numerics::Blocking &blocking = *numerics::blockingOf(format);
  RankedTensorType scaleType = blockScaleType(type, blocking);
  int64_t rank = type.getRank();

  SmallVector<Value> sizes = dimSizes(b, x);
  SmallVector<Value> scaleSizes;
  for (int64_t d = 0; d < rank; ++d) {
    bool tiled = blocking.kind == numerics::Blocking::Kind::Tiles;
    bool kept = tiled || llvm::is_contained(blocking.axes, d);
    if (tiled && d == blocking.axes[0])
      scaleSizes.push_back(arith::CeilDivSIOp::create(
          b, sizes[d], arith::ConstantIndexOp::create(b, blocking.tileSize)));
    else
      scaleSizes.push_back(kept ? sizes[d]
                                : arith::ConstantIndexOp::create(b, 1));
  }
  // Axis 0 stays apart: a whole-tensor maximum is reduced per index of it
  // first (in parallel).
  SmallVector<ReassociationIndices> groups =
      mergeableAxes(type, format, /*keepAxis0=*/true);
  if (static_cast<int64_t>(groups.size()) < rank) {
    Value merged = tensor::CollapseShapeOp::create(b, x, groups);
    Value scales = buildBlockScales(b, merged, withMergedAxes(format, groups));
    return expandTo(b, scales, scaleType, groups,
                    [&](int64_t d) { return scaleSizes[d]; });
  }

  Value init = zeroFilled(b, scaleType.getShape(), b.getF32Type(),
                          dynamicOnly(scaleType, scaleSizes));
  Value amax = reduceBlockMaxima(b, x, blocking, init);
  return elementwise(b, scaleType, scaleSizes, ValueRange{amax},
                     {b.getMultiDimIdentityMap(rank)},
                     [&](ImplicitLocOpBuilder &nb, ValueRange args) {
                       return emitBlockExponent(nb, args[0], format);
                     });
}

//===----------------------------------------------------------------------===//
// Rounding
//===----------------------------------------------------------------------===//

/// How to split the domain of a rounding. Tiles of a static axis they divide
/// become an inner loop (the tile's exponent is then loop-invariant).
/// Stochastic rounding groups the last axis by 4 when it is static and a
/// multiple of 4: the four elements of a Philox group are then the innermost
/// loop and Philox is computed once per group.
Split chooseSplit(RankedTensorType type, const numerics::Format &format,
                  bool stochastic) {
  int64_t last = type.getRank() - 1;
  auto divides = [&](int64_t axis, int64_t n) {
    return axis >= 0 && !type.isDynamicDim(axis) && type.getDimSize(axis) > 0 &&
           type.getDimSize(axis) % n == 0;
  };
  int64_t tileAxis = -1, tile = 0;
  if (numerics::hasBlockScales(format)) {
    const numerics::Blocking &blocking = *numerics::blockingOf(format);
    if (blocking.kind == numerics::Blocking::Kind::Tiles) {
      tileAxis = blocking.axes[0];
      tile = blocking.tileSize;
    }
  }
  // Tiles along the last axis that are multiples of 4 keep each group of 4
  // inside one tile, so grouping applies to them too.
  if (stochastic && divides(last, 4) && (tileAxis != last || tile % 4 == 0))
    return {last, {4}};
  if (tileAxis >= 0 && divides(tileAxis, tile))
    return {tileAxis, {tile}};
  return {};
}

/// Rounds `x` onto an elementwise, block or MX format.
Value buildRounding(ImplicitLocOpBuilder &b, Value x,
                    const numerics::Format &format, numerics::Rounding mode,
                    Value scales, const StochasticOperands *random) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  if (numerics::hasBlockScales(format) && !scales)
    scales = buildBlockScales(b, x, format);
  SmallVector<ReassociationIndices> merging =
      mergeableAxes(type, format, /*keepAxis0=*/false);
  if (static_cast<int64_t>(merging.size()) < rank) {
    Value merged = tensor::CollapseShapeOp::create(b, x, merging);
    if (scales)
      scales = tensor::CollapseShapeOp::create(b, scales, merging);
    Value rounded = buildRounding(b, merged, withMergedAxes(format, merging),
                                  mode, scales, random);
    return expandTo(b, rounded, type, merging, [&](int64_t d) {
      return tensor::DimOp::create(b, x, d).getResult();
    });
  }

  Split split = chooseSplit(type, format, random != nullptr);
  Value input = split.enabled() ? splitView(b, x, split) : x;
  auto domainType = cast<RankedTensorType>(input.getType());
  int64_t loops = domainType.getRank();
  // Original coordinates as expressions of the domain's loops.
  int64_t extra = split.factors.size();
  SmallVector<AffineExpr> original;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t l = split.enabled() && d > split.axis ? d + extra : d;
    AffineExpr e = getAffineDimExpr(l, ctx);
    if (split.enabled() && d == split.axis)
      for (auto [i, f] : llvm::enumerate(split.factors))
        e = e * f + getAffineDimExpr(l + 1 + i, ctx);
    original.push_back(e);
  }
  SmallVector<Value> inputs{input};
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(loops)};
  SmallVector<Value> domainSizes = dimSizes(b, input);
  bool grouped = random && split.enabled() && split.axis == rank - 1 &&
                 split.factors.back() == 4;
  if (scales) {
    const numerics::Blocking &blocking = *numerics::blockingOf(format);
    AffineMap scaleMap = blockMap(ctx, rank, blocking)
                             .compose(AffineMap::get(loops, 0, original, ctx));
    // Grouped by 4 along a tiled last axis: (4g + k) floordiv N is
    // g floordiv (N/4) since k < 4, which keeps the scale the same for the
    // whole group.
    if (grouped && blocking.kind == numerics::Blocking::Kind::Tiles &&
        blocking.axes[0] == rank - 1) {
      SmallVector<AffineExpr> results(scaleMap.getResults());
      results.back() =
          getAffineDimExpr(loops - 2, ctx).floorDiv(blocking.tileSize / 4);
      scaleMap = AffineMap::get(loops, 0, results, ctx);
      // Several groups per tile (MX's 32 elements): the scales are first
      // copied out to one per group, so that the rounding loop reads them
      // at an affine address. Only then does LLVM vectorize it: inside the
      // outlined parallel region it needs runtime alias checks, and it
      // cannot bound an address with a floordiv in it. (The copy has fewer
      // loops than the rounding, so lpq-fuse-elementwise keeps it apart.)
      if (blocking.tileSize > 4) {
        auto groupType = RankedTensorType::get(
            domainType.getShape().drop_back(),
            cast<RankedTensorType>(scales.getType()).getElementType());
        scales = elementwise(
            b, groupType, ArrayRef<Value>(domainSizes).drop_back(),
            ValueRange{scales}, {AffineMap::get(loops - 1, 0, results, ctx)},
            [](ImplicitLocOpBuilder &, ValueRange args) { return args[0]; });
        scaleMap = AffineMap::getMultiDimIdentityMap(loops, ctx)
                       .getMajorSubMap(loops - 1);
      }
    }
    inputs.push_back(scales);
    maps.push_back(scaleMap);
  }
  Value result = elementwise(
      b, domainType, domainSizes, inputs, maps,
      [&](ImplicitLocOpBuilder &nb, ValueRange args) {
        RoundSpec spec;
        spec.mode = mode;
        if (random) {
          spec.stochastic = true;
          if (grouped) {
            // The outer loops index the group; the inner loop the word.
            Value group =
                linearIndex(nb, ArrayRef<Value>(domainSizes).drop_back());
            Value word = arith::IndexCastOp::create(
                nb, nb.getI32Type(), linalg::IndexOp::create(nb, loops - 1));
            spec.bits = emitRandomBits(nb, random->seed, random->stream,
                                       random->step, group, word);
          } else {
            spec.bits =
                emitRandomBitsAt(nb, random->seed, random->stream, random->step,
                                 linearIndex(nb, domainSizes));
          }
        }
        return emitRoundElement(nb, args[0], format, spec,
                                args.size() > 2 ? args[1] : Value());
      });
  if (!split.enabled())
    return result;
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0, l = 0; d < rank; ++d) {
    ReassociationIndices group{l++};
    if (d == split.axis)
      for (int64_t i = 0; i < extra; ++i)
        group.push_back(l++);
    groups.push_back(group);
  }
  return tensor::CollapseShapeOp::create(b, type, result, groups);
}

//===----------------------------------------------------------------------===//
// Row formats
//===----------------------------------------------------------------------===//

} // namespace

namespace mlir::lpq::detail {

/// A float64 reduction of `x` into one value per index of `keptAxis`
/// (or a rank-0 result when keptAxis < 0), in row-major element order.
Value reduceF64(ImplicitLocOpBuilder &b, Value x, int64_t keptAxis,
                ValueRange extraInputs,
                function_ref<Value(ImplicitLocOpBuilder &, ValueRange)> term) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  SmallVector<AffineExpr> outExprs;
  if (keptAxis >= 0) {
    shape.push_back(type.getDimSize(keptAxis));
    if (type.isDynamicDim(keptAxis))
      dyn.push_back(tensor::DimOp::create(b, x, keptAxis));
    outExprs.push_back(getAffineDimExpr(keptAxis, ctx));
  }
  auto resultType = RankedTensorType::get(shape, b.getF64Type());
  Value init = zeroFilled(b, shape, b.getF64Type(), dyn);
  SmallVector<IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d)
    iterators.push_back(d == keptAxis ? IteratorType::parallel
                                      : IteratorType::reduction);
  SmallVector<Value> inputs{x};
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  for (Value v : extraInputs) {
    inputs.push_back(v);
    maps.push_back(AffineMap::get(rank, 0, {}, ctx));
  }
  maps.push_back(AffineMap::get(rank, 0, outExprs, ctx));
  auto generic = linalg::GenericOp::create(
      b, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        ImplicitLocOpBuilder nb(loc, nested);
        Value t = term(nb, args.drop_back());
        linalg::YieldOp::create(
            nb, Value(arith::AddFOp::create(nb, args.back(), t)));
      });
  return generic.getResult(0);
}

Value absF64(ImplicitLocOpBuilder &b, Value x) {
  return math::AbsFOp::create(b, arith::ExtFOp::create(b, b.getF64Type(), x));
}

/// Number of elements of `x` per index of `axis` (all of them if axis < 0),
/// as f64.
Value countPer(ImplicitLocOpBuilder &b, Value x, int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  Value n = arith::ConstantIndexOp::create(b, 1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (d != axis)
      n = arith::MulIOp::create(b, n, tensor::DimOp::create(b, x, d));
  Value n64 = arith::IndexCastOp::create(b, b.getI64Type(), n);
  return arith::SIToFPOp::create(b, b.getF64Type(), n64);
}

} // namespace mlir::lpq::detail

namespace {

Value buildBinary(ImplicitLocOpBuilder &b, Value x,
                  const numerics::RowBinary &f) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  Value sums = reduceF64(b, x, f.axis, {},
                         [](ImplicitLocOpBuilder &nb, ValueRange args) {
                           return absF64(nb, args[0]);
                         });
  Value count = countPer(b, x, f.axis);
  AffineMap rowMap =
      AffineMap::get(rank, 0, getAffineDimExpr(f.axis, b.getContext()));
  return elementwise(
      b, type, dimSizes(b, x), ValueRange{x, sums},
      {b.getMultiDimIdentityMap(rank), rowMap},
      [&](ImplicitLocOpBuilder &nb, ValueRange args) {
        Value alpha = arith::TruncFOp::create(
            nb, nb.getF32Type(), arith::DivFOp::create(nb, args[1], count));
        Value zero = arith::ConstantOp::create(nb, nb.getF32FloatAttr(0));
        Value negative =
            arith::CmpFOp::create(nb, arith::CmpFPredicate::OLT, args[0], zero);
        Value r = arith::SelectOp::create(
            nb, negative, arith::NegFOp::create(nb, alpha), alpha);
        return emitKeepNaN(nb, args[0], r);
      });
}

Value buildTernary(ImplicitLocOpBuilder &b, Value x,
                   const numerics::RowTernary &f) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  Value n = countPer(b, x, -1);
  Value zero64 = arith::ConstantOp::create(b, b.getF64FloatAttr(0));
  Value nonEmpty =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, n, zero64);
  auto scalarOf = [&](Value rank0) {
    return tensor::ExtractOp::create(b, rank0, ValueRange{});
  };
  auto meanOf = [&](Value sum) {
    return arith::SelectOp::create(
        b, nonEmpty, arith::DivFOp::create(b, scalarOf(sum), n), zero64);
  };
  Value mean = meanOf(
      reduceF64(b, x, -1, {}, [](ImplicitLocOpBuilder &nb, ValueRange a) {
        return Value(arith::ExtFOp::create(nb, nb.getF64Type(), a[0]));
      }));
  Value meanT = tensor::FromElementsOp::create(
      b, RankedTensorType::get({}, b.getF64Type()), ValueRange{mean});
  Value dev = meanOf(reduceF64(
      b, x, -1, ValueRange{meanT}, [](ImplicitLocOpBuilder &nb, ValueRange a) {
        Value v = arith::ExtFOp::create(nb, nb.getF64Type(), a[0]);
        return Value(
            math::AbsFOp::create(nb, arith::SubFOp::create(nb, v, a[1])));
      }));
  Value delta = arith::MulFOp::create(
      b, arith::ConstantOp::create(b, b.getF64FloatAttr(f.thresholdFactor)),
      dev);
  Value deltaT = tensor::FromElementsOp::create(
      b, RankedTensorType::get({}, b.getF64Type()), ValueRange{delta});
  auto above = [](ImplicitLocOpBuilder &nb, Value v, Value d) {
    return arith::CmpFOp::create(nb, arith::CmpFPredicate::OGT, absF64(nb, v),
                                 d);
  };
  Value sums = reduceF64(
      b, x, f.axis, ValueRange{deltaT},
      [&](ImplicitLocOpBuilder &nb, ValueRange a) {
        Value z = arith::ConstantOp::create(nb, nb.getF64FloatAttr(0));
        return Value(arith::SelectOp::create(nb, above(nb, a[0], a[1]),
                                             absF64(nb, a[0]), z));
      });
  Value counts = reduceF64(
      b, x, f.axis, ValueRange{deltaT},
      [&](ImplicitLocOpBuilder &nb, ValueRange a) {
        Value z = arith::ConstantOp::create(nb, nb.getF64FloatAttr(0));
        Value one = arith::ConstantOp::create(nb, nb.getF64FloatAttr(1));
        return Value(
            arith::SelectOp::create(nb, above(nb, a[0], a[1]), one, z));
      });
  MLIRContext *ctx = b.getContext();
  AffineMap rowMap = AffineMap::get(rank, 0, getAffineDimExpr(f.axis, ctx));
  return elementwise(
      b, type, dimSizes(b, x), ValueRange{x, sums, counts, deltaT},
      {b.getMultiDimIdentityMap(rank), rowMap, rowMap,
       AffineMap::get(rank, 0, {}, ctx)},
      [&](ImplicitLocOpBuilder &nb, ValueRange a) {
        Value z64 = arith::ConstantOp::create(nb, nb.getF64FloatAttr(0));
        Value z32 = arith::ConstantOp::create(nb, nb.getF32FloatAttr(0));
        Value hasAny =
            arith::CmpFOp::create(nb, arith::CmpFPredicate::OGT, a[2], z64);
        Value alpha = arith::SelectOp::create(
            nb, hasAny,
            arith::TruncFOp::create(nb, nb.getF32Type(),
                                    arith::DivFOp::create(nb, a[1], a[2])),
            z32);
        Value v = arith::ExtFOp::create(nb, nb.getF64Type(), a[0]);
        Value pos =
            arith::CmpFOp::create(nb, arith::CmpFPredicate::OGT, v, a[3]);
        Value neg = arith::CmpFOp::create(nb, arith::CmpFPredicate::OLT, v,
                                          arith::NegFOp::create(nb, a[3]));
        Value r = math::CopySignOp::create(nb, z32, a[0]);
        r = arith::SelectOp::create(nb, neg, arith::NegFOp::create(nb, alpha),
                                    r);
        r = arith::SelectOp::create(nb, pos, alpha, r);
        return emitKeepNaN(nb, a[0], r);
      });
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct QuantizeOpLowering : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    numerics::Format format = op.getFormat().getNumericsFormat();
    Value result;
    if (auto *f = std::get_if<numerics::RowBinary>(&format))
      result = buildBinary(b, op.getInput(), *f);
    else if (auto *f = std::get_if<numerics::RowTernary>(&format))
      result = buildTernary(b, op.getInput(), *f);
    else if (auto *f = std::get_if<numerics::LevelGrid>(&format))
      result =
          buildGridRounding(b, op.getInput(), *f, toNumerics(op.getRounding()),
                            nullptr, op.getGridScale());
    else
      result =
          buildRounding(b, op.getInput(), format, toNumerics(op.getRounding()),
                        op.getScales(), nullptr);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct StochasticRoundOpLowering : OpRewritePattern<StochasticRoundOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(StochasticRoundOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    StochasticOperands random{op.getSeed(), op.getStep(), op.getStream()};
    numerics::Format format = op.getFormat().getNumericsFormat();
    if (auto *grid = std::get_if<numerics::LevelGrid>(&format)) {
      rewriter.replaceOp(op, buildGridRounding(b, op.getInput(), *grid,
                                               numerics::Rounding::NearestEven,
                                               &random));
      return success();
    }
    rewriter.replaceOp(op, buildRounding(b, op.getInput(), format,
                                         numerics::Rounding::NearestEven,
                                         op.getScales(), &random));
    return success();
  }
};

struct BlockScaleOpLowering : OpRewritePattern<BlockScaleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BlockScaleOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    rewriter.replaceOp(
        op,
        buildBlockScales(b, op.getInput(), op.getFormat().getNumericsFormat()));
    return success();
  }
};

struct AverageOpLowering : OpRewritePattern<AverageOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AverageOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value n = arith::ExtSIOp::create(b, b.getI64Type(), op.getCount());
    n = arith::AddIOp::create(
        b, n, arith::ConstantOp::create(b, b.getI64IntegerAttr(1)));
    Value divisor = arith::SIToFPOp::create(b, b.getF32Type(), n);
    Value result = mapElements(
        b, ValueRange{op.getAverage(), op.getValue()},
        [&](ImplicitLocOpBuilder &nb, ValueRange a, ArrayRef<Value>) {
          Value delta = arith::SubFOp::create(nb, a[1], a[0]);
          Value step = arith::DivFOp::create(nb, delta, divisor);
          return Value(arith::AddFOp::create(nb, a[0], step));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The paper's SQ roulette weights f(x), x = 1 / (e + 1e-7), from the row
/// errors (numerics::sqKeptRows).
Value paperSelectionWeights(ImplicitLocOpBuilder &b, Value errors,
                            ArrayRef<Value> rowSizes, SQSelection selection) {
  auto rowType = cast<RankedTensorType>(errors.getType());
  AffineMap id = b.getMultiDimIdentityMap(1);
  Value xs = elementwise(
      b, rowType, rowSizes, ValueRange{errors}, {id},
      [](ImplicitLocOpBuilder &nb, ValueRange a) {
        Value tiny = arith::ConstantOp::create(nb, nb.getF64FloatAttr(1e-7));
        Value one = arith::ConstantOp::create(nb, nb.getF64FloatAttr(1));
        return Value(arith::DivFOp::create(
            nb, one, arith::AddFOp::create(nb, a[0], tiny)));
      });
  Value top;
  if (selection == SQSelection::Softmax) {
    MLIRContext *ctx = b.getContext();
    Value minusInf = arith::ConstantOp::create(
        b, b.getF64FloatAttr(-std::numeric_limits<double>::infinity()));
    Value empty =
        tensor::EmptyOp::create(b, ArrayRef<int64_t>{}, b.getF64Type());
    Value init = linalg::FillOp::create(b, minusInf, empty).getResult(0);
    auto reduce = linalg::GenericOp::create(
        b, TypeRange{init.getType()}, ValueRange{xs}, ValueRange{init},
        SmallVector<AffineMap>{id, AffineMap::get(1, 0, {}, ctx)},
        SmallVector<IteratorType>{IteratorType::reduction},
        [](OpBuilder &nested, Location loc, ValueRange a) {
          linalg::YieldOp::create(
              nested, loc,
              Value(arith::MaxNumFOp::create(nested, loc, a[1], a[0])));
        });
    top = tensor::ExtractOp::create(b, reduce.getResult(0), ValueRange{});
  }
  return elementwise(
      b, rowType, rowSizes, ValueRange{xs}, {id},
      [&](ImplicitLocOpBuilder &nb, ValueRange a) -> Value {
        Value one = arith::ConstantOp::create(nb, nb.getF64FloatAttr(1));
        switch (selection) {
        case SQSelection::Constant:
          return one;
        case SQSelection::Softmax:
          return math::ExpOp::create(nb, arith::SubFOp::create(nb, a[0], top));
        case SQSelection::Sigmoid:
          return arith::DivFOp::create(
              nb, one,
              arith::AddFOp::create(
                  nb, one,
                  math::ExpOp::create(nb, arith::NegFOp::create(nb, a[0]))));
        default:
          return a[0];
        }
      });
}

/// SQ's row selection: float64 row errors by a reduction generic, the
/// roulette draws as sequential scf loops over the rows (their number is
/// small: one per output channel), the hybrid as an elementwise select.
struct SQSelectOpLowering : OpRewritePattern<SQSelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SQSelectOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    MLIRContext *ctx = b.getContext();
    RankedTensorType type = op.getType();
    int64_t rank = type.getRank();
    Type f64 = b.getF64Type(), i8 = b.getI8Type();
    SmallVector<Value> sizes = dimSizes(b, op.getWeights());
    Value rows = sizes[0];
    SmallVector<Value> rowSizes = {rows};
    SmallVector<Value> dynRows = ShapedType::isDynamic(type.getDimSize(0))
                                     ? rowSizes
                                     : SmallVector<Value>{};
    SmallVector<int64_t> rowShape = {type.getDimSize(0)};
    AffineMap id = b.getMultiDimIdentityMap(rank);
    AffineMap rowMap = AffineMap::get(rank, 0, {getAffineDimExpr(0, ctx)}, ctx);

    // sum |w - q| and sum |w| per row, in float64 and row-major order.
    SmallVector<IteratorType> iterators(rank, IteratorType::reduction);
    iterators[0] = IteratorType::parallel;
    Value zeros = zeroFilled(b, rowShape, b.getF64Type(), dynRows);
    auto sums = linalg::GenericOp::create(
        b, TypeRange{zeros.getType(), zeros.getType()},
        ValueRange{op.getWeights(), op.getQuantized()},
        ValueRange{zeros, zeros},
        SmallVector<AffineMap>{id, id, rowMap, rowMap}, iterators,
        [&](OpBuilder &nested, Location loc, ValueRange a) {
          ImplicitLocOpBuilder nb(loc, nested);
          Value w = arith::ExtFOp::create(nb, f64, a[0]);
          Value q = arith::ExtFOp::create(nb, f64, a[1]);
          Value diff =
              math::AbsFOp::create(nb, arith::SubFOp::create(nb, w, q));
          linalg::YieldOp::create(
              nb, ValueRange{arith::AddFOp::create(nb, a[2], diff),
                             arith::AddFOp::create(
                                 nb, a[3], math::AbsFOp::create(nb, w))});
        });
    auto rowType = cast<RankedTensorType>(zeros.getType());
    Value zeroF = arith::ConstantOp::create(b, b.getF64FloatAttr(0.0));
    Value errors = elementwise(
        b, rowType, rowSizes, ValueRange{sums.getResult(0), sums.getResult(1)},
        {b.getMultiDimIdentityMap(1), b.getMultiDimIdentityMap(1)},
        [&](ImplicitLocOpBuilder &nb, ValueRange a) {
          Value e = arith::DivFOp::create(nb, a[0], a[1]);
          Value bad = arith::OrIOp::create(
              nb,
              arith::CmpFOp::create(nb, arith::CmpFPredicate::OEQ, a[1], zeroF),
              arith::CmpFOp::create(nb, arith::CmpFPredicate::UNO, e, e));
          return Value(arith::SelectOp::create(nb, bad, zeroF, e));
        });

    // The authors' code draws floor((1 - ratio) * rows) rows to keep with
    // weights e; the paper's rules draw the other rows, to quantize, with
    // weights f(1 / (e + 1e-7)).
    bool code = op.getSelection() == SQSelection::Code;
    Value weights = errors;
    if (!code)
      weights = paperSelectionWeights(b, errors, rowSizes, op.getSelection());
    Value rowsF = arith::UIToFPOp::create(
        b, f64, arith::IndexCastOp::create(b, b.getI64Type(), rows));
    Value keepFraction = arith::ConstantOp::create(
        b, b.getF64FloatAttr(1.0 - op.getRatio().convertToDouble()));
    Value draws = arith::IndexCastOp::create(
        b, b.getIndexType(),
        arith::FPToSIOp::create(
            b, b.getI64Type(),
            math::FloorOp::create(
                b, arith::MulFOp::create(b, keepFraction, rowsF))));
    if (!code)
      draws = arith::SubIOp::create(b, rows, draws);
    Value zeroI8 = arith::ConstantOp::create(b, b.getIntegerAttr(i8, 0));
    Value oneI8 = arith::ConstantOp::create(b, b.getIntegerAttr(i8, 1));
    Value keptEmpty = tensor::EmptyOp::create(b, rowShape, i8, dynRows);
    Value kept0 = linalg::FillOp::create(b, zeroI8, keptEmpty).getResult(0);
    Value c0 = arith::ConstantIndexOp::create(b, 0);
    Value c1 = arith::ConstantIndexOp::create(b, 1);
    uint32_t stream = op.getStream();
    auto loop = scf::ForOp::create(
        b, c0, draws, c1, ValueRange{kept0},
        [&](OpBuilder &nested, Location loc, Value j, ValueRange iter) {
          ImplicitLocOpBuilder nb(loc, nested);
          Value kept = iter[0];
          auto unpickedError = [&](ImplicitLocOpBuilder &ib, Value n) {
            Value k = tensor::ExtractOp::create(ib, kept, ValueRange{n});
            Value e = tensor::ExtractOp::create(ib, weights, ValueRange{n});
            Value free =
                arith::CmpIOp::create(ib, arith::CmpIPredicate::eq, k, zeroI8);
            return std::make_pair(
                free, Value(arith::SelectOp::create(ib, free, e, zeroF)));
          };
          // Sum of the unpicked rows' errors.
          auto total = scf::ForOp::create(
              nb, c0, rows, c1, ValueRange{zeroF},
              [&](OpBuilder &inner, Location l, Value n, ValueRange acc) {
                ImplicitLocOpBuilder ib(l, inner);
                Value add = arith::AddFOp::create(ib, acc[0],
                                                  unpickedError(ib, n).second);
                scf::YieldOp::create(ib, add);
              });
          // u = R_j * 2^-32 * total.
          Value j64 = arith::IndexCastOp::create(nb, nb.getI64Type(), j);
          Value bits =
              emitRandomBitsAt(nb, op.getSeed(), stream, op.getStep(), j64);
          Value u = arith::MulFOp::create(
              nb,
              arith::MulFOp::create(
                  nb, arith::UIToFPOp::create(nb, f64, bits),
                  arith::ConstantOp::create(nb, nb.getF64FloatAttr(0x1p-32))),
              total.getResult(0));
          // The first unpicked row whose running error sum exceeds u (rows
          // while none is found; `rows` as "none").
          auto search = scf::ForOp::create(
              nb, c0, rows, c1, ValueRange{rows, zeroF},
              [&](OpBuilder &inner, Location l, Value n, ValueRange acc) {
                ImplicitLocOpBuilder ib(l, inner);
                auto [free, e] = unpickedError(ib, n);
                Value searching = arith::CmpIOp::create(
                    ib, arith::CmpIPredicate::eq, acc[0], rows);
                Value running = arith::AddFOp::create(ib, acc[1], e);
                Value hit = arith::AndIOp::create(
                    ib, arith::AndIOp::create(ib, searching, free),
                    arith::CmpFOp::create(ib, arith::CmpFPredicate::OGT,
                                          running, u));
                Value found = arith::SelectOp::create(ib, hit, n, acc[0]);
                Value nextRunning =
                    arith::SelectOp::create(ib, searching, running, acc[1]);
                scf::YieldOp::create(ib, ValueRange{found, nextRunning});
              });
          Value picked = search.getResult(0);
          Value any = arith::CmpIOp::create(nb, arith::CmpIPredicate::ult,
                                            picked, rows);
          auto update = scf::IfOp::create(
              nb, any,
              [&](OpBuilder &inner, Location l) {
                Value set = tensor::InsertOp::create(inner, l, oneI8, kept,
                                                     ValueRange{picked});
                scf::YieldOp::create(inner, l, set);
              },
              [&](OpBuilder &inner, Location l) {
                scf::YieldOp::create(inner, l, kept);
              });
          scf::YieldOp::create(nb, update.getResult(0));
        });
    Value keptRows = loop.getResult(0);
    Value hybrid = elementwise(
        b, type, sizes,
        ValueRange{op.getWeights(), op.getQuantized(), keptRows},
        {id, id, rowMap}, [&](ImplicitLocOpBuilder &nb, ValueRange a) {
          Value keep = arith::CmpIOp::create(
              nb, code ? arith::CmpIPredicate::ne : arith::CmpIPredicate::eq,
              a[2], zeroI8);
          return Value(arith::SelectOp::create(nb, keep, a[0], a[1]));
        });
    rewriter.replaceOp(op, hybrid);
    return success();
  }
};

struct ConvertLPQToArithPass
    : mlir::lpq::impl::ConvertLPQToArithPassBase<ConvertLPQToArithPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLPQToArithPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    WalkResult left = getOperation()->walk([](Operation *op) {
      if (isa<LPQDialect>(op->getDialect())) {
        op->emitOpError("could not be converted to arith");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

void mlir::lpq::populateLPQToArithPatterns(RewritePatternSet &patterns) {
  patterns.add<QuantizeOpLowering, StochasticRoundOpLowering,
               BlockScaleOpLowering, AverageOpLowering, SQSelectOpLowering>(
      patterns.getContext());
  populateGridPatterns(patterns);
}
