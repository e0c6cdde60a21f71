//===- RollShortReductions.cpp - No full unrolling of short loops ---------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQROLLSHORTREDUCTIONSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

constexpr int64_t kMinIterations = 8, kMaxIterations = 128;
/// Elementwise loops of 8 or 12 iterations vectorize well unrolled (SLP):
/// rolled, the bias and ReLU of [64, 8, 12, 12] took 0.054-0.059 ms
/// against 0.039-0.044 ms. From 16 on, unrolling lets the vectorizer take
/// the loop around with gathers: [64, 16, 16, 16] 0.38-0.42 ms unrolled,
/// 0.032-0.039 ms rolled (one core).
constexpr int64_t kMinElementwiseIterations = 16;

/// Whether `loop` has a static trip count from `min` to kMaxIterations.
bool hasShortTripCount(scf::ForOp loop, int64_t min) {
  std::optional<APInt> trip = loop.getStaticTripCount();
  return trip && trip->getSExtValue() >= min &&
         trip->getSExtValue() <= kMaxIterations;
}

/// Whether `loop` is innermost and its only store writes
/// max/min(load of the same address, x) to an address that does not depend
/// on the loop.
bool isShortMaxReduction(scf::ForOp loop) {
  if (!hasShortTripCount(loop, kMinIterations))
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

/// Whether `loop` is innermost, of kMinElementwiseIterations to
/// kMaxIterations static iterations, and writes only through memref.store
/// whose last index is its induction variable: an elementwise loop along a
/// short contiguous axis (the bias and ReLU of a [64, 8, 24, 24]
/// activation).
bool isShortElementwiseLoop(scf::ForOp loop) {
  if (!hasShortTripCount(loop, kMinElementwiseIterations))
    return false;
  bool elementwise = true, stores = false;
  loop.getBody()->walk([&](Operation *op) {
    if (isa<LoopLikeOpInterface>(op)) {
      elementwise = false;
      return;
    }
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      stores = true;
      if (store.getIndices().empty() ||
          store.getIndices().back() != loop.getInductionVar())
        elementwise = false;
      return;
    }
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if ((effects && effects.hasEffect<MemoryEffects::Write>()) ||
        (!effects && !op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() &&
         !isa<scf::YieldOp>(op)))
      elementwise = false;
  });
  return elementwise && stores;
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
      if (isShortMaxReduction(loop) || isShortElementwiseLoop(loop))
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
