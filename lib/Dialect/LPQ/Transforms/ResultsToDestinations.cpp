//===- ResultsToDestinations.cpp - Results into caller buffers ------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

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

struct LPQResultsToDestinationsPass
    : mlir::lpq::impl::LPQResultsToDestinationsPassBase<
          LPQResultsToDestinationsPass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || !func.isPublic() ||
          func.getNumResults() == 0)
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
      Block &entry = func.getBody().front();
      SmallVector<Value> outs;
      for (Type t : destinations)
        outs.push_back(entry.addArgument(t, func.getLoc()));
      func.walk([&](func::ReturnOp ret) {
        OpBuilder b(ret);
        for (auto [value, out] : llvm::zip(ret.getOperands(), outs)) {
          // A collapsed result is written through an expanded view of the
          // destination, so that its producer can compute in place.
          Value dest = out;
          if (auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>()) {
            auto srcType = collapse.getSrcType();
            dest = memref::ExpandShapeOp::create(
                b, ret.getLoc(),
                MemRefType::get(srcType.getShape(), srcType.getElementType()),
                out, collapse.getReassociationIndices(),
                tensor::getMixedSizes(b, ret.getLoc(), collapse.getSrc()));
            value = collapse.getSrc();
          }
          bufferization::MaterializeInDestinationOp::create(
              b, ret.getLoc(), TypeRange{}, value, dest, b.getUnitAttr(),
              b.getUnitAttr());
        }
        func::ReturnOp::create(b, ret.getLoc());
        ret.erase();
      });
      SmallVector<Type> inputs(type.getInputs());
      inputs.append(destinations);
      func.setFunctionType(FunctionType::get(&getContext(), inputs, {}));
      func.setAllResultAttrs(ArrayRef<DictionaryAttr>{});
    }
  }
};

} // namespace
