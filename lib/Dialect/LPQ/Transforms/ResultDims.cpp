//===- ResultDims.cpp - Extents of dynamically shaped results -------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/ResultDims.h"
#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQRESULTDIMSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

struct LPQResultDimsPass
    : mlir::lpq::impl::LPQResultDimsPassBase<LPQResultDimsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // A constant extent index outside the rank is undefined behaviour that
    // upstream folders read out of bounds on (a crash in the GPU pipeline):
    // the first pass of both pipelines refuses it.
    auto inRange = [](auto dim) {
      std::optional<int64_t> index = dim.getConstantIndex();
      int64_t rank = cast<ShapedType>(dim.getSource().getType()).getRank();
      if (!index || (*index >= 0 && *index < rank))
        return WalkResult::advance();
      dim.emitOpError("dimension ")
          << *index << " is out of range for rank " << rank;
      return WalkResult::interrupt();
    };
    WalkResult badDim = module.walk([&](Operation *op) {
      if (auto dim = dyn_cast<tensor::DimOp>(op))
        return inRange(dim);
      if (auto dim = dyn_cast<memref::DimOp>(op))
        return inRange(dim);
      return WalkResult::advance();
    });
    if (badDim.wasInterrupted())
      return signalPassFailure();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> functions;
    for (auto f : module.getOps<func::FuncOp>())
      if (f.isPublic() && !f.isExternal() &&
          lpq::resultDimsType(f.getFunctionType()))
        functions.push_back(f);
    for (func::FuncOp f : functions) {
      std::string name = lpq::resultDimsName(f.getSymName());
      if (symbols.lookup(name)) {
        f.emitError() << "lpq-result-dims: the module already has a '" << name
                      << "', the name of the function that computes the "
                         "extents of '"
                      << f.getSymName() << "''s dynamic results";
        return signalPassFailure();
      }
      RankedTensorType dimsType = lpq::resultDimsType(f.getFunctionType());
      auto dims = cast<func::FuncOp>(f->clone());
      dims.setSymName(name);
      dims.setType(FunctionType::get(&getContext(), f.getArgumentTypes(),
                                     {dimsType}));
      dims.removeResAttrsAttr();
      dims.walk([&](func::ReturnOp ret) {
        OpBuilder b(ret);
        Location loc = ret.getLoc();
        SmallVector<Value> extents;
        for (Value v : ret.getOperands()) {
          auto tensor = dyn_cast<RankedTensorType>(v.getType());
          if (!tensor)
            continue;
          for (int64_t d = 0; d < tensor.getRank(); ++d)
            if (tensor.isDynamicDim(d))
              extents.push_back(arith::IndexCastOp::create(
                  b, loc, b.getI64Type(), tensor::DimOp::create(b, loc, v, d)));
        }
        Value result =
            tensor::FromElementsOp::create(b, loc, dimsType, extents);
        func::ReturnOp::create(b, loc, result);
        ret.erase();
      });
      symbols.insert(dims, std::next(Block::iterator(f)));
    }
  }
};

} // namespace
