//===- CopiesToLoops.cpp - memref.copy as linalg.copy ---------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQCOPIESTOLOOPSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

struct LPQCopiesToLoopsPass
    : mlir::lpq::impl::LPQCopiesToLoopsPassBase<LPQCopiesToLoopsPass> {
  void runOnOperation() override {
    getOperation()->walk([](memref::CopyOp copy) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    });
  }
};

} // namespace
