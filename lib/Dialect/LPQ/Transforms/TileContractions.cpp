//===- TileContractions.cpp - Register-tiled contraction loop nests -------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Lowers bufferized float32 contractions (`out += a * b` summed over
// reduction loops: matmuls, the generics reverse mode makes of them,
// convolutions) to affine loop nests whose innermost body updates a tile of
// rows x (vectors x lanes) outputs held in registers. Every output element
// still adds its terms one by one, in the order of the reduction loops, with
// a multiply then an add: the result is the one the plain loop nest gives,
// bit for bit (and the one the GPU pipeline's loops give).
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "Contractions.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQTILECONTRACTIONSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;
using mlir::lpq::matchMultiplyAccumulate;
using mlir::lpq::MultiplyAccumulate;
using mlir::lpq::usesDim;

namespace {

/// A contraction `out += a * b` with static loop ranges and what its tiles
/// look like.
struct Contraction {
  linalg::LinalgOp op;
  SmallVector<int64_t> extents;
  SmallVector<AffineMap> maps; // a, b, out
  bool mulSwapped = false;     // the body multiplies b * a
  bool addSwapped = false;     // the body adds product + out
  unsigned n = 0;              // the output's last dimension: vector lanes
  std::optional<unsigned> m;   // the dimension unrolled over tile rows
  int64_t rows = 1;            // tile rows (divides the extent of m)
  lpq::OutputFill fill;        // of the whole output, just before it
};

/// Whether the operand with this map can be read as a vector along `n`:
/// `n` appears only in the last result, with coefficient 1.
bool contiguousAlong(AffineMap map, unsigned n) {
  if (map.getNumResults() == 0)
    return false;
  for (AffineExpr e : map.getResults().drop_back())
    if (e.isFunctionOfDim(n))
      return false;
  AffineExpr last = map.getResults().back();
  AffineExpr rest = simplifyAffineExpr(
      last - getAffineDimExpr(n, map.getContext()), map.getNumDims(), 0);
  return last.isFunctionOfDim(n) && !rest.isFunctionOfDim(n);
}

/// The contraction `op` computes, or nothing when it is not one this pass
/// tiles (it then keeps the default lowering).
std::optional<Contraction> matchContraction(linalg::LinalgOp op,
                                            int64_t maxRows) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return std::nullopt;
  for (Value v : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type || !type.getElementType().isF32())
      return std::nullopt;
  }

  // Register tiles store each output element once: an input that is a
  // view of the output would see other values than the plain loop nest.
  if (lpq::inputsAliasOutput(op))
    return std::nullopt;

  Contraction c;
  c.op = op;
  std::optional<MultiplyAccumulate> body =
      op.getBlock() ? matchMultiplyAccumulate(*op.getBlock()) : std::nullopt;
  if (!body)
    return std::nullopt;
  c.mulSwapped = body->mulSwapped;
  c.addSwapped = body->addSwapped;

  // Dynamic extents become symbolic loop bounds (memref.dim at the op): a
  // valid affine symbol where the op is at the function's top level.
  c.extents = op.getStaticLoopRanges();
  if (llvm::any_of(c.extents, [](int64_t e) {
        return !ShapedType::isDynamic(e) && e <= 0;
      }))
    return std::nullopt;
  if (llvm::any_of(c.extents, ShapedType::isDynamic) &&
      !isa<func::FuncOp>(op->getParentOp()))
    return std::nullopt;
  c.maps = op.getIndexingMapsArray();
  AffineMap out = c.maps[2];
  if (out.getNumResults() == 0 || !out.isProjectedPermutation() ||
      llvm::any_of(c.maps, [](AffineMap m) { return m.getNumSymbols(); }))
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < iterators.size(); ++d)
    if ((iterators[d] == utils::IteratorType::parallel) != usesDim(out, d))
      return std::nullopt;

  c.n = cast<AffineDimExpr>(out.getResults().back()).getPosition();
  if (ShapedType::isDynamic(c.extents[c.n]))
    return std::nullopt;
  c.fill = lpq::fillBefore(op);
  for (AffineMap map : ArrayRef(c.maps).take_front(2))
    if (usesDim(map, c.n) && !contiguousAlong(map, c.n))
      return std::nullopt;

  // Tile rows along an output dimension that no vector operand reads: its
  // vector loads then serve every row of the tile.
  for (AffineExpr e : out.getResults().drop_back()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    bool reused =
        llvm::none_of(ArrayRef(c.maps).take_front(2), [&](AffineMap map) {
          return usesDim(map, c.n) && usesDim(map, d);
        });
    if (!reused)
      continue;
    // A dynamic extent gets full tiles, then a remainder of single rows.
    if (ShapedType::isDynamic(c.extents[d]) && maxRows > 1) {
      c.m = d;
      c.rows = maxRows;
      break;
    }
    for (int64_t rows = maxRows; rows > 1; --rows)
      if (c.extents[d] % rows == 0) {
        c.m = d;
        c.rows = rows;
        break;
      }
    if (c.m)
      break;
  }
  return c;
}

/// Emits the loop nest of one contraction in place of the op.
class TileEmitter {
public:
  TileEmitter(Contraction c, int64_t lanes, int64_t vectors)
      : c(std::move(c)), lanes(lanes), vectors(vectors),
        b(this->c.op.getOperation()), loc(this->c.op.getLoc()) {}

  void emit() {
    SmallVector<Range> ranges = c.op.createLoopRanges(b, loc);
    for (unsigned d = 0; d < ranges.size(); ++d)
      if (ShapedType::isDynamic(c.extents[d]))
        upper[d] = getValueOrCreateConstantIndexOp(b, loc, ranges[d].size);
    if (!c.m || !upper[*c.m] || c.rows == 1) {
      emitNest(RowPart::All);
      return;
    }
    // Tiles of c.rows rows up to the last multiple of c.rows, then tiles
    // of one row.
    emitNest(RowPart::FullTiles);
    b.setInsertionPoint(c.op);
    emitNest(RowPart::Remainder);
  }

private:
  /// Which rows of a dynamic tile-row dimension a nest covers.
  enum class RowPart { All, FullTiles, Remainder };

  void emitNest(RowPart part) {
    // Rows per tile: single rows after the full tiles.
    int64_t rows = part == RowPart::Remainder ? 1 : c.rows;
    SmallVector<AffineExpr> dims(c.extents.size());
    SmallVector<Value> operands;
    AffineMap out = c.maps[2];
    // Outer loops: the output's dimensions but the last, in its order,
    // except that a loop of fewer than 4 iterations does not stay outermost
    // when another has more: the outermost loop is the one spread over
    // threads (a weight gradient's 8 output channels make one tile of 8
    // rows). Each output element's sum is inside one tile whatever the order.
    SmallVector<unsigned> outer;
    for (AffineExpr e : out.getResults().drop_back())
      outer.push_back(cast<AffineDimExpr>(e).getPosition());
    // (A dynamic extent counts as many iterations.)
    auto trips = [&](unsigned d) {
      if (upper[d])
        return std::numeric_limits<int64_t>::max();
      return d == c.m ? c.extents[d] / c.rows : c.extents[d];
    };
    if (!outer.empty()) {
      auto most = llvm::max_element(
          outer, [&](unsigned a, unsigned b) { return trips(a) < trips(b); });
      if (trips(outer.front()) < 4 && trips(*most) > trips(outer.front()))
        std::rotate(outer.begin(), most, most + 1);
    }
    for (unsigned d : outer) {
      affine::AffineForOp loop = d == c.m ? loopOverRows(part) : loopOver(d, 1);
      b.setInsertionPointToStart(loop.getBody());
      dims[d] = b.getAffineDimExpr(operands.size());
      operands.push_back(loop.getInductionVar());
    }
    // Along the lanes: full tiles, then the remaining whole vectors, then
    // the remaining elements in narrower vectors.
    int64_t extent = c.extents[c.n], step = lanes * vectors;
    int64_t full = extent / step * step;
    if (full) {
      OpBuilder::InsertionGuard guard(b);
      auto loop = affine::AffineForOp::create(b, loc, 0, full, step);
      b.setInsertionPointToStart(loop.getBody());
      dims[c.n] = b.getAffineDimExpr(operands.size());
      SmallVector<Value> inner(operands);
      inner.push_back(loop.getInductionVar());
      emitTile(dims, inner, rows, vectors, lanes);
    }
    int64_t rest = (extent - full) / lanes;
    if (rest) {
      dims[c.n] = b.getAffineConstantExpr(full);
      emitTile(dims, operands, rows, rest, lanes);
    }
    // The last elements: one column of narrower vectors (half the lanes,
    // a quarter, ..., single elements), so a short row stays vectorized.
    int64_t start = full + rest * lanes;
    for (int64_t width = lanes / 2; width >= 1; width /= 2) {
      if (extent - start < width)
        continue;
      dims[c.n] = b.getAffineConstantExpr(start);
      emitTile(dims, operands, rows, 1, width);
      start += width;
    }
  }

  /// A loop over dimension `d` from 0 to its extent, by `step`.
  affine::AffineForOp loopOver(unsigned d, int64_t step,
                               ValueRange iterArgs = {}) {
    if (!upper[d])
      return affine::AffineForOp::create(b, loc, 0, c.extents[d], step,
                                         iterArgs);
    return affine::AffineForOp::create(
        b, loc, ValueRange{}, b.getConstantAffineMap(0), ValueRange{upper[d]},
        AffineMap::get(0, 1, b.getAffineSymbolExpr(0)), step, iterArgs);
  }

  /// The loop over the tile-row dimension: all of it by tiles of `c.rows`,
  /// or (dynamic extent) its full tiles, or the rows after them one by one.
  affine::AffineForOp loopOverRows(RowPart part) {
    unsigned m = *c.m;
    int64_t tileRows = c.rows;
    if (part == RowPart::All)
      return loopOver(m, tileRows);
    AffineExpr s0 = b.getAffineSymbolExpr(0);
    AffineMap fullEnd = AffineMap::get(0, 1, s0.floorDiv(tileRows) * tileRows);
    if (part == RowPart::FullTiles)
      return affine::AffineForOp::create(
          b, loc, ValueRange{}, b.getConstantAffineMap(0), ValueRange{upper[m]},
          fullEnd, tileRows);
    return affine::AffineForOp::create(b, loc, ValueRange{upper[m]}, fullEnd,
                                       ValueRange{upper[m]},
                                       AffineMap::get(0, 1, s0), 1);
  }

  /// The indices of an operand read through `map` at tile row `r`, column
  /// `col`, as a map over `numOperands` loop variables.
  AffineMap at(AffineMap map, ArrayRef<AffineExpr> dims, unsigned numOperands,
               int64_t r, int64_t col, int64_t width) {
    SmallVector<AffineExpr> shifted(dims);
    if (c.m)
      shifted[*c.m] = shifted[*c.m] + r;
    shifted[c.n] = shifted[c.n] + col * width;
    return map.replaceDimsAndSymbols(shifted, {}, numOperands, 0);
  }

  Value load(Value memref, AffineMap map, ValueRange operands, Type type) {
    if (isa<VectorType>(type))
      return affine::AffineVectorLoadOp::create(b, loc, cast<VectorType>(type),
                                                memref, map, operands);
    return affine::AffineLoadOp::create(b, loc, memref, map, operands);
  }

  void store(Value value, Value memref, AffineMap map, ValueRange operands) {
    if (isa<VectorType>(value.getType()))
      affine::AffineVectorStoreOp::create(b, loc, value, memref, map, operands);
    else
      affine::AffineStoreOp::create(b, loc, value, memref, map, operands);
  }

  /// One tile: rows x cols accumulators of `width` lanes starting at
  /// `dims`, loaded, updated over every reduction index in order, stored.
  void emitTile(SmallVector<AffineExpr> dims, SmallVector<Value> operands,
                int64_t rows, int64_t cols, int64_t width) {
    Type f32 = b.getF32Type();
    Type accType = width > 1 ? VectorType::get({width}, f32) : f32;
    Value outMem = c.op.getDpsInitOperand(0)->get();
    SmallVector<Value> accs;
    // Accumulators start from the output's values, or from the value that
    // fills it (`v + a*b` in the same order: the same bits).
    Value filled = c.fill.value;
    if (filled && width > 1)
      filled = vector::BroadcastOp::create(b, loc, accType, filled);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t col = 0; col < cols; ++col)
        accs.push_back(
            filled ? filled
                   : load(outMem,
                          at(c.maps[2], dims, operands.size(), r, col, width),
                          operands, accType));

    OpBuilder::InsertionGuard guard(b);
    SmallVector<affine::AffineForOp> loops;
    SmallVector<utils::IteratorType> iterators = c.op.getIteratorTypesArray();
    for (unsigned d = 0; d < iterators.size(); ++d) {
      if (iterators[d] != utils::IteratorType::reduction)
        continue;
      ValueRange init =
          loops.empty() ? ValueRange(accs) : loops.back().getRegionIterArgs();
      affine::AffineForOp loop = loopOver(d, 1, init);
      if (!loops.empty())
        affine::AffineYieldOp::create(b, loc, loop.getResults());
      b.setInsertionPointToStart(loop.getBody());
      dims[d] = b.getAffineDimExpr(operands.size());
      operands.push_back(loop.getInductionVar());
      loops.push_back(loop);
    }

    // Operand values of the tile: loaded once per row they depend on and
    // once per column when they run along the lanes.
    auto operandValues = [&](unsigned i) {
      AffineMap map = c.maps[i];
      Value memref = c.op.getDpsInputOperand(i)->get();
      bool perRow = c.m && usesDim(map, *c.m);
      bool perCol = usesDim(map, c.n);
      SmallVector<Value> values(rows * cols);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t col = 0; col < cols; ++col) {
          int64_t r0 = perRow ? r : 0, col0 = perCol ? col : 0;
          if (r0 != r || col0 != col) {
            values[r * cols + col] = values[r0 * cols + col0];
            continue;
          }
          AffineMap indices = at(map, dims, operands.size(), r, col, width);
          Value v = load(memref, indices, operands, perCol ? accType : f32);
          if (!perCol && width > 1)
            v = vector::BroadcastOp::create(b, loc, accType, v);
          values[r * cols + col] = v;
        }
      return values;
    };
    SmallVector<Value> as = operandValues(0), bs = operandValues(1);
    ValueRange current = loops.back().getRegionIterArgs();
    SmallVector<Value> updated;
    for (size_t k = 0; k < accs.size(); ++k) {
      Value product = c.mulSwapped
                          ? arith::MulFOp::create(b, loc, bs[k], as[k])
                          : arith::MulFOp::create(b, loc, as[k], bs[k]);
      updated.push_back(
          c.addSwapped ? arith::AddFOp::create(b, loc, product, current[k])
                       : arith::AddFOp::create(b, loc, current[k], product));
    }
    affine::AffineYieldOp::create(b, loc, updated);

    b.setInsertionPointAfter(loops.front());
    operands.resize(operands.size() - loops.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t col = 0; col < cols; ++col)
        store(loops.front().getResult(r * cols + col), outMem,
              at(c.maps[2], dims, operands.size(), r, col, width), operands);
  }

  Contraction c;
  int64_t lanes, vectors;
  OpBuilder b;
  Location loc;
  /// The extents of the dynamic dimensions (null for static ones).
  SmallVector<Value> upper = SmallVector<Value>(c.extents.size());
};

struct LPQTileContractionsPass
    : mlir::lpq::impl::LPQTileContractionsPassBase<LPQTileContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (lanes < 1 || vectors < 1 || rows < 1) {
      getOperation()->emitError()
          << "lpq-tile-contractions: lanes, vectors and rows must be at "
             "least 1";
      return signalPassFailure();
    }
    SmallVector<Contraction> found;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (std::optional<Contraction> c =
              matchContraction(op, static_cast<int64_t>(rows)))
        found.push_back(*c);
    });
    for (Contraction &c : found) {
      TileEmitter(c, static_cast<int64_t>(lanes), static_cast<int64_t>(vectors))
          .emit();
      c.op->erase();
      // Every element of the output is stored by the tiles.
      if (c.fill.fill)
        c.fill.fill->erase();
    }
  }
};

} // namespace
