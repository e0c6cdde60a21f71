//===- GPUPrepareLoops.cpp - Loop nests ready for GPU mapping -------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQGPUPREPARELOOPSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

bool touchesMemory(Operation *op) {
  WalkResult r = op->walk([](Operation *inner) {
    return isa<memref::LoadOp, memref::StoreOp>(inner) ? WalkResult::interrupt()
                                                       : WalkResult::advance();
  });
  return r.wasInterrupted();
}

struct LPQGPUPrepareLoopsPass
    : mlir::lpq::impl::LPQGPUPrepareLoopsPassBase<LPQGPUPrepareLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize < 1) {
      getOperation().emitError("lpq-gpu-prepare-loops: block-size must be "
                               "positive, got ")
          << blockSize;
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> parallels;
    SmallVector<scf::ForOp> serials;
    for (Operation &op : getOperation().getBody().getOps()) {
      if (auto p = dyn_cast<scf::ParallelOp>(op))
        parallels.push_back(p);
      else if (auto f = dyn_cast<scf::ForOp>(op); f && touchesMemory(f))
        serials.push_back(f);
    }
    for (scf::ForOp f : serials)
      if (f.getNumResults() != 0) {
        f.emitOpError("lpq-gpu-prepare-loops: a sequential loop that reads "
                      "memory and returns values cannot be moved onto the "
                      "device yet (e.g. lpq.sq_select's row selection)");
        return signalPassFailure();
      }
    for (scf::ParallelOp p : parallels) {
      SmallVector<int64_t> sizes(p.getNumLoops(), 1);
      sizes.back() = blockSize;
      scf::tileParallelLoop(p, sizes, /*noMinMaxBounds=*/true);
    }
    for (scf::ForOp f : serials) {
      OpBuilder b(f);
      Location loc = f.getLoc();
      Value zero = arith::ConstantIndexOp::create(b, loc, 0);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      auto wrapper = scf::ParallelOp::create(b, loc, ValueRange{zero},
                                             ValueRange{one}, ValueRange{one});
      f->moveBefore(wrapper.getBody()->getTerminator());
    }
  }
};

} // namespace
