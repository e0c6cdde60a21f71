//===- SetVectorWidth.cpp - Preferred vector width for LLVM ---------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQSETVECTORWIDTHPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

struct LPQSetVectorWidthPass
    : mlir::lpq::impl::LPQSetVectorWidthPassBase<LPQSetVectorWidthPass> {
  using Base::Base;

  void runOnOperation() override {
    if (width == 0)
      return;
    MLIRContext *ctx = &getContext();
    Attribute entry = ArrayAttr::get(
        ctx, {StringAttr::get(ctx, "prefer-vector-width"),
              StringAttr::get(ctx, std::to_string(width))});
    getOperation().walk([&](LLVM::LLVMFuncOp func) {
      if (func.isExternal())
        return;
      SmallVector<Attribute> passthrough;
      if (ArrayAttr existing = func.getPassthroughAttr())
        for (Attribute a : existing) {
          auto pair = dyn_cast<ArrayAttr>(a);
          bool same = pair && pair.size() == 2 &&
                      cast<StringAttr>(pair[0]).getValue() ==
                          "prefer-vector-width";
          if (!same)
            passthrough.push_back(a);
        }
      passthrough.push_back(entry);
      func.setPassthroughAttr(ArrayAttr::get(ctx, passthrough));
    });
  }
};

} // namespace
