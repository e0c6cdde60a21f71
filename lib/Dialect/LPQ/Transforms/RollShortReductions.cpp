//===- RollShortReductions.cpp - No full unrolling of short maxima --------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/AsmParser/AsmParser.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQROLLSHORTREDUCTIONSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

constexpr int64_t kMinIterations = 8, kMaxIterations = 128;

/// Whether `loop` is innermost and its only store writes
/// max/min(load of the same address, x) to an address that does not depend
/// on the loop.
bool isShortMaxReduction(scf::ForOp loop) {
  std::optional<APInt> trip = loop.getStaticTripCount();
  if (!trip || trip->getSExtValue() < kMinIterations ||
      trip->getSExtValue() > kMaxIterations)
    return false;
  SmallVector<memref::StoreOp> stores;
  bool nested = false;
  loop.getBody()->walk([&](Operation *op) {
    if (isa<LoopLikeOpInterface>(op))
      nested = true;
    if (auto s = dyn_cast<memref::StoreOp>(op))
      stores.push_back(s);
  });
  if (nested || stores.size() != 1 || stores[0]->getParentOp() != loop)
    return false;
  memref::StoreOp store = stores[0];
  if (llvm::any_of(store.getIndices(), [&](Value i) {
        return i == loop.getInductionVar();
      }))
    return false;
  Operation *combine = store.getValueToStore().getDefiningOp();
  if (!isa_and_present<arith::MaxNumFOp, arith::MinNumFOp, arith::MaximumFOp,
                       arith::MinimumFOp, arith::MaxSIOp, arith::MinSIOp,
                       arith::MaxUIOp, arith::MinUIOp>(combine))
    return false;
  return llvm::any_of(combine->getOperands(), [&](Value v) {
    auto load = v.getDefiningOp<memref::LoadOp>();
    return load && load.getMemRef() == store.getMemRef() &&
           load.getIndices() == store.getIndices();
  });
}

struct LPQRollShortReductionsPass
    : mlir::lpq::impl::LPQRollShortReductionsPassBase<
          LPQRollShortReductionsPass> {
  void runOnOperation() override {
    Attribute rolled = parseAttribute(
        "#llvm.loop_annotation<unroll = <disable = true>>", &getContext());
    // convert-scf-to-cf moves this attribute to the loop's back edge, and
    // the conversion to the LLVM dialect keeps it there as a discardable
    // attribute, which the translation to LLVM IR ignores.
    constexpr llvm::StringLiteral name = "llvm.loop_annotation";
    getOperation()->walk([&](scf::ForOp loop) {
      if (isShortMaxReduction(loop))
        loop->setAttr(name, rolled);
    });
    // After lowering to the LLVM dialect: into llvm.br's own attribute.
    getOperation()->walk([&](LLVM::BrOp br) {
      if (auto a = br->getDiscardableAttr(name)) {
        br.setLoopAnnotationAttr(cast<LLVM::LoopAnnotationAttr>(a));
        br->removeDiscardableAttr(name);
      }
    });
  }
};

} // namespace
