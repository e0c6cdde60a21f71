//===- GPUReductions.h - Reductions GPU blocks may reorder ------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_TRANSFORMS_GPUREDUCTIONS_H
#define LPQ_DIALECT_LPQ_TRANSFORMS_GPUREDUCTIONS_H

#include "Aliasing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

#include <optional>

namespace mlir::lpq {

/// The gpu.all_reduce operation of a combining op whose result does not
/// depend on the order or the multiplicity of its inputs (associative,
/// commutative, idempotent), so a block of threads may fold the same
/// elements in any order and each its own copy of the initial value.
/// minnumf/maxnumf qualify up to the sign of a zero result and
/// minimumf/maximumf up to the payload of a NaN result, which lpq's block
/// maxima never see: they combine magnitudes with infinities and NaNs
/// mapped to zero.
inline std::optional<gpu::AllReduceOperation>
idempotentReduction(Operation *op) {
  using K = gpu::AllReduceOperation;
  return llvm::TypeSwitch<Operation *, std::optional<K>>(op)
      .Case([](arith::MaxNumFOp) { return K::MAXNUMF; })
      .Case([](arith::MinNumFOp) { return K::MINNUMF; })
      .Case([](arith::MaximumFOp) { return K::MAXIMUMF; })
      .Case([](arith::MinimumFOp) { return K::MINIMUMF; })
      .Case([](arith::MaxSIOp) { return K::MAXSI; })
      .Case([](arith::MinSIOp) { return K::MINSI; })
      .Case([](arith::MaxUIOp) { return K::MAXUI; })
      .Case([](arith::MinUIOp) { return K::MINUI; })
      .Case([](arith::AndIOp) { return K::AND; })
      .Case([](arith::OrIOp) { return K::OR; })
      .Default(std::nullopt);
}

/// Whether `kind` is one of the idempotent reductions above.
inline bool isIdempotent(gpu::AllReduceOperation kind) {
  using K = gpu::AllReduceOperation;
  switch (kind) {
  case K::MAXNUMF:
  case K::MINNUMF:
  case K::MAXIMUMF:
  case K::MINIMUMF:
  case K::MAXSI:
  case K::MINSI:
  case K::MAXUI:
  case K::MINUI:
  case K::AND:
  case K::OR:
    return true;
  default:
    return false;
  }
}

/// A reduction into memory: a perfect nest of `scf.for` loops whose
/// innermost body loads acc[I] from a fresh allocation, combines it with a
/// value computed from the rest of the body by an idempotent reduction and
/// stores the result back to acc[I], with I and every loop bound defined
/// outside the nest. (This is what `convert-linalg-to-parallel-loops`
/// makes of the reduction dimensions of lpq's block maxima.) With
/// `sideStores`, the body may also store into other buffers before that
/// (lpq-gpu-reduction-prologues: the elementwise producer of the reduced
/// values, computed in the loop, stores them); each iteration still runs
/// once, in any order.
struct MemoryReduction {
  SmallVector<scf::ForOp> nest; // outermost first
  memref::LoadOp load;
  memref::StoreOp store;
  Operation *combine = nullptr;
  gpu::AllReduceOperation kind;
};

inline std::optional<MemoryReduction>
matchMemoryReduction(scf::ForOp outer, bool sideStores = false) {
  MemoryReduction r;
  for (scf::ForOp f = outer;;) {
    if (f.getNumResults() != 0)
      return std::nullopt;
    for (Value v : {f.getLowerBound(), f.getUpperBound(), f.getStep()})
      if (!outer.isDefinedOutsideOfLoop(v))
        return std::nullopt;
    r.nest.push_back(f);
    Block *body = f.getBody();
    auto inner = dyn_cast<scf::ForOp>(body->front());
    if (!inner || body->getOperations().size() != 2)
      break;
    f = inner;
  }
  Block *body = r.nest.back().getBody();
  SmallVector<memref::StoreOp> others;
  for (Operation &op : body->without_terminator()) {
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      if (r.store)
        others.push_back(r.store);
      r.store = store;
    } else if (!isa<memref::LoadOp>(op) &&
               !(isPure(&op) && op.getNumRegions() == 0)) {
      return std::nullopt;
    }
  }
  if (!r.store || !r.store.getMemRef().getDefiningOp<memref::AllocOp>())
    return std::nullopt;
  Value acc = r.store.getMemRef();
  if (!others.empty() && !sideStores)
    return std::nullopt;
  // A side store's buffer is read by no iteration (which could then see
  // another's store, in whatever order the iterations run).
  for (memref::StoreOp other : others) {
    Value base = memref::skipViewLikeOps(cast<MemrefValue>(other.getMemRef()));
    if (base == acc)
      return std::nullopt;
    for (auto load : body->getOps<memref::LoadOp>())
      if (mayAlias(memref::skipViewLikeOps(cast<MemrefValue>(load.getMemRef())),
                   base))
        return std::nullopt;
  }
  for (Value index : r.store.getIndices())
    if (!outer.isDefinedOutsideOfLoop(index))
      return std::nullopt;
  for (auto load : body->getOps<memref::LoadOp>()) {
    if (memref::skipViewLikeOps(cast<MemrefValue>(load.getMemRef())) != acc)
      continue;
    if (r.load || load.getMemRef() != acc ||
        load.getIndices() != r.store.getIndices())
      return std::nullopt;
    r.load = load;
  }
  if (!r.load || !r.load->hasOneUse())
    return std::nullopt;
  r.combine = r.store.getValueToStore().getDefiningOp();
  if (!r.combine || r.combine->getBlock() != body || !r.combine->hasOneUse() ||
      *r.load->user_begin() != r.combine)
    return std::nullopt;
  std::optional<gpu::AllReduceOperation> kind =
      idempotentReduction(r.combine);
  if (!kind)
    return std::nullopt;
  r.kind = *kind;
  return r;
}

/// The elements `red`'s nest folds (the product of its loops' trip counts),
/// or nullopt where a trip count is not static.
inline std::optional<int64_t> foldedElements(const MemoryReduction &red) {
  int64_t total = 1;
  for (scf::ForOp f : red.nest) {
    std::optional<APInt> trip = f.getStaticTripCount();
    if (!trip)
      return std::nullopt;
    total *= trip->getSExtValue();
  }
  return total;
}

} // namespace mlir::lpq

#endif // LPQ_DIALECT_LPQ_TRANSFORMS_GPUREDUCTIONS_H
