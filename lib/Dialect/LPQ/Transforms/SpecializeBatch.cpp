//===- SpecializeBatch.cpp - One batch size for a dynamic-batch model -----===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Gives the dynamic leading dimension of public functions' tensor arguments
// a static extent: the argument takes the static type, and a tensor.cast
// back to the old type feeds its uses. Nothing else changes here; the
// pipelines' canonicalizations fold the casts into the ops that read them
// (linalg ops, tensor.dim, reshapes) and so carry the extent through.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQSPECIALIZEBATCHPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

struct LPQSpecializeBatchPass
    : mlir::lpq::impl::LPQSpecializeBatchPassBase<LPQSpecializeBatchPass> {
  using Base::Base;

  void runOnOperation() override {
    if (size <= 0) {
      getOperation().emitError("lpq-specialize-batch: size must be positive, "
                               "got ")
          << static_cast<int64_t>(size);
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || !func.isPublic())
        continue;
      Block &entry = func.getBody().front();
      OpBuilder b = OpBuilder::atBlockBegin(&entry);
      SmallVector<Type> inputs(func.getArgumentTypes());
      for (BlockArgument arg : entry.getArguments()) {
        auto type = dyn_cast<RankedTensorType>(arg.getType());
        if (!type || type.getRank() == 0 || !type.isDynamicDim(0))
          continue;
        SmallVector<int64_t> shape(type.getShape());
        shape[0] = size;
        auto specialized = type.clone(shape);
        arg.setType(specialized);
        auto cast = tensor::CastOp::create(b, arg.getLoc(), type, arg);
        arg.replaceAllUsesExcept(cast, cast);
        inputs[arg.getArgNumber()] = specialized;
      }
      func.setFunctionType(
          b.getFunctionType(inputs, func.getFunctionType().getResults()));
    }
  }
};

} // namespace
