//===- ResultsToDestinations.cpp - Results into caller buffers ------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "lpq/Dialect/LPQ/Transforms/ResultDims.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQRESULTSTODESTINATIONSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// A view of the destination `out` (a function argument) with the shape of
/// `collapse`'s source, built at the start of the function so that it
/// dominates the source's producer (empty-tensor elimination needs that).
/// Null when a collapsed group has more than one dynamic extent.
Value expandedDestination(tensor::CollapseShapeOp collapse, Value out) {
  auto srcType = collapse.getSrcType();
  Block *entry = cast<BlockArgument>(out).getOwner();
  OpBuilder b = OpBuilder::atBlockBegin(entry);
  Location loc = collapse.getLoc();
  SmallVector<OpFoldResult> sizes;
  for (auto [g, group] : llvm::enumerate(collapse.getReassociationIndices())) {
    int64_t staticProduct = 1, dynamic = 0;
    for (int64_t d : group) {
      if (srcType.isDynamicDim(d))
        ++dynamic;
      else
        staticProduct *= srcType.getDimSize(d);
    }
    if (dynamic > 1)
      return {};
    for (int64_t d : group) {
      if (!srcType.isDynamicDim(d)) {
        sizes.push_back(b.getIndexAttr(srcType.getDimSize(d)));
        continue;
      }
      Value extent = memref::DimOp::create(b, loc, out, g);
      Value divisor = arith::ConstantIndexOp::create(b, loc, staticProduct);
      sizes.push_back(
          arith::DivUIOp::create(b, loc, extent, divisor).getResult());
    }
  }
  return memref::ExpandShapeOp::create(
      b, loc, MemRefType::get(srcType.getShape(), srcType.getElementType()),
      out, collapse.getReassociationIndices(), sizes);
}

/// The body of `dims`, `f`'s `lpq-result-dims` companion (`f`'s arguments,
/// one i64 per dynamic extent of `f`'s results), when it only computes
/// scalars from the arguments' extents, as it does once canonicalized: no
/// regions, no memory effects, no element of an argument read, no tensor
/// made but the extents'. Null otherwise.
Block *cheapResultDims(func::FuncOp dims, func::FuncOp f) {
  RankedTensorType extentsType = lpq::resultDimsType(f.getFunctionType());
  if (!dims || dims.isExternal() || !dims.getBody().hasOneBlock() ||
      !extentsType || dims.getArgumentTypes() != f.getArgumentTypes() ||
      dims.getResultTypes() != ArrayRef<Type>(extentsType))
    return nullptr;
  Block &body = dims.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret || ret.getNumOperands() != 1 ||
      !ret.getOperand(0).getDefiningOp<tensor::FromElementsOp>())
    return nullptr;
  for (Operation &op : body.without_terminator()) {
    bool makesTensor =
        !isa<tensor::FromElementsOp>(op) &&
        llvm::any_of(op.getResultTypes(), llvm::IsaPred<ShapedType>);
    if (op.getNumRegions() != 0 || !isMemoryEffectFree(&op) ||
        isa<tensor::ExtractOp>(op) || makesTensor)
      return nullptr;
  }
  return &body;
}

/// The extents of a function's dynamically shaped results, computed at
/// its entry: i64 scalars, and the last op computing them (null if none).
struct EntryExtents {
  SmallVector<Value> values;
  Operation *last = nullptr;
};

/// A copy of `dims`' body (a cheapResultDims) at the entry of `f` (same
/// arguments), before anything else.
EntryExtents cloneExtents(func::FuncOp f, Block &dims) {
  OpBuilder b = OpBuilder::atBlockBegin(&f.getBody().front());
  IRMapping mapping;
  for (auto [from, to] : llvm::zip(dims.getArguments(), f.getArguments()))
    mapping.map(from, to);
  auto fromElements = dims.getTerminator()
                          ->getOperand(0)
                          .getDefiningOp<tensor::FromElementsOp>();
  EntryExtents extents;
  for (Operation &op : dims.without_terminator())
    if (&op != fromElements)
      extents.last = b.clone(op, mapping);
  for (Value v : fromElements.getElements())
    extents.values.push_back(mapping.lookupOrDefault(v));
  return extents;
}

/// A `cf.assert` per dynamic extent of `f`'s results (`resultTypes`, now
/// written into the destinations `outs`) that the destination has the
/// extent computed at the entry, right after it.
void assertExtents(func::FuncOp f, const EntryExtents &extents,
                   TypeRange resultTypes, ValueRange outs) {
  OpBuilder b = OpBuilder::atBlockBegin(&f.getBody().front());
  if (extents.last)
    b.setInsertionPointAfter(extents.last);
  Location loc = f.getLoc();
  int64_t next = 0;
  for (auto [k, type, out] : llvm::enumerate(resultTypes, outs)) {
    auto tensor = cast<RankedTensorType>(type);
    for (int64_t d = 0; d < tensor.getRank(); ++d) {
      if (!tensor.isDynamicDim(d))
        continue;
      Value expected = extents.values[next++];
      Value given = arith::IndexCastOp::create(
          b, loc, b.getI64Type(), memref::DimOp::create(b, loc, out, d));
      Value same = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         given, expected);
      std::string message;
      llvm::raw_string_ostream os(message);
      os << "lpq: result #" << k << " of @" << f.getSymName()
         << ": its destination's dimension #" << d
         << " differs from the result's (@"
         << lpq::resultDimsName(f.getSymName())
         << " computes the extents to allocate)";
      cf::AssertOp::create(b, loc, same, message);
    }
  }
}

struct LPQResultsToDestinationsPass
    : mlir::lpq::impl::LPQResultsToDestinationsPassBase<
          LPQResultsToDestinationsPass> {
  using Base::Base;

  void runOnOperation() override {
    // The extents of dynamically shaped results, computed at the entry of
    // their functions from the companions as written (before those get
    // destinations too).
    llvm::DenseMap<Operation *, EntryExtents> extents;
    if (checkExtents) {
      SymbolTable symbols(getOperation());
      for (auto func : getOperation().getOps<func::FuncOp>())
        if (func.isPublic() && !func.isExternal())
          if (Block *dims =
                  cheapResultDims(symbols.lookup<func::FuncOp>(
                                      lpq::resultDimsName(func.getSymName())),
                                  func))
            extents[func] = cloneExtents(func, *dims);
    }
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || !func.isPublic())
        continue;
      // Entry points also get a C interface (`_mlir_ciface_<name>`, memref
      // descriptors by pointer) that lpq-translate's C header declares.
      func->setAttr("llvm.emit_c_interface", UnitAttr::get(&getContext()));
      // lpq's own argument markers (`lpq.param`) mean nothing to LLVM.
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        if (DictionaryAttr dict = func.getArgAttrDict(i))
          for (NamedAttribute attr : SmallVector<NamedAttribute>(dict.getValue()))
            if (attr.getName().strref().starts_with("lpq."))
              func.removeArgAttr(i, attr.getName());
      if (func.getNumResults() == 0)
        continue;
      FunctionType type = func.getFunctionType();
      SmallVector<Type> destinations;
      for (Type t : type.getResults()) {
        auto tensor = dyn_cast<RankedTensorType>(t);
        if (!tensor)
          break;
        destinations.push_back(
            MemRefType::get(tensor.getShape(), tensor.getElementType()));
      }
      if (destinations.size() != type.getNumResults()) {
        func.emitRemark("lpq-results-to-destinations: kept the results of ")
            << func.getSymName() << ": not all are ranked tensors";
        continue;
      }
      // The interface keeps argument attributes and the type in step.
      unsigned first = func.getNumArguments();
      SmallVector<unsigned> positions(destinations.size(), first);
      SmallVector<DictionaryAttr> attrs(destinations.size(),
                                        DictionaryAttr::get(&getContext()));
      SmallVector<Location> locs(destinations.size(), func.getLoc());
      if (failed(func.insertArguments(positions, destinations, attrs, locs)))
        return signalPassFailure();
      SmallVector<Value> outs(func.getArguments().drop_front(first));
      func.walk([&](func::ReturnOp ret) {
        OpBuilder b(ret);
        for (auto [value, out] : llvm::zip(ret.getOperands(), outs)) {
          // A collapsed result is written through an expanded view of the
          // destination, so that its producer can compute in place.
          Value dest = out;
          if (auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>())
            if (Value view = expandedDestination(collapse, out)) {
              dest = view;
              value = collapse.getSrc();
            }
          bufferization::MaterializeInDestinationOp::create(
              b, ret.getLoc(), TypeRange{}, value, dest, b.getUnitAttr(),
              b.getUnitAttr());
        }
        func::ReturnOp::create(b, ret.getLoc());
        ret.erase();
      });
      if (auto it = extents.find(func); it != extents.end())
        assertExtents(func, it->second, type.getResults(), outs);
      if (failed(func.eraseResults(
              llvm::BitVector(func.getNumResults(), /*t=*/true))))
        return signalPassFailure();
    }
  }
};

} // namespace
