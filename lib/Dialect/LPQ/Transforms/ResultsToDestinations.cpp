//===- ResultsToDestinations.cpp - Results into caller buffers ------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
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

struct LPQResultsToDestinationsPass
    : mlir::lpq::impl::LPQResultsToDestinationsPassBase<
          LPQResultsToDestinationsPass> {
  using Base::Base;

  void runOnOperation() override {
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
      if (failed(func.eraseResults(
              llvm::BitVector(func.getNumResults(), /*t=*/true))))
        return signalPassFailure();
    }
  }
};

} // namespace
