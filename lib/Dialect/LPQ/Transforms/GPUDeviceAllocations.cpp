//===- GPUDeviceAllocations.cpp - Temporaries in device memory ------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPUDEVICEALLOCATIONSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

struct LPQGPUDeviceAllocationsPass
    : mlir::lpq::impl::LPQGPUDeviceAllocationsPassBase<
          LPQGPUDeviceAllocationsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (op->getParentOfType<gpu::GPUModuleOp>())
        return;
      if (isa<memref::AllocOp, memref::DeallocOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        auto device = gpu::AllocOp::create(
            b, alloc.getLoc(), alloc.getType(), /*asyncToken=*/Type(),
            /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
            alloc.getSymbolOperands(), /*hostShared=*/false);
        alloc.replaceAllUsesWith(device.getMemref());
      } else {
        auto dealloc = cast<memref::DeallocOp>(op);
        gpu::DeallocOp::create(b, dealloc.getLoc(), /*asyncToken=*/Type(),
                               ValueRange(), dealloc.getMemref());
      }
      op->erase();
    }
  }
};

} // namespace
