//===- Aliasing.h - Which buffers may be the same memory -------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_TRANSFORMS_ALIASING_H
#define LPQ_DIALECT_LPQ_TRANSFORMS_ALIASING_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::lpq {

/// The memref a view (reshape, subview, cast) was taken of, through views;
/// null for values that are not memrefs.
inline Value viewRoot(Value value) {
  auto memref = dyn_cast<TypedValue<BaseMemRefType>>(value);
  return memref ? memref::skipViewLikeOps(memref) : Value();
}

/// Whether two buffers (bases of views) may be the same memory. Distinct
/// allocations are not, and neither are distinct arguments of the function:
/// lpq's calling convention gives each argument and each result its own
/// buffer (results are written into `restrict` destinations,
/// lpq-results-to-destinations).
inline bool mayAlias(Value a, Value b) {
  if (a == b)
    return true;
  auto isDistinctBuffer = [](Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v))
      return arg.getOwner()->isEntryBlock() &&
             isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
    return isa_and_present<memref::AllocOp, memref::AllocaOp>(
        v.getDefiningOp());
  };
  return !isDistinctBuffer(a) || !isDistinctBuffer(b);
}

/// A buffer an operation reads or writes: the base of the view it uses.
struct BufferAccess {
  Value base;
  bool write;
};

/// Appends the buffers `op` itself reads and writes (not those of the ops
/// in its regions, where it has recursive effects) to `out`; failure where
/// it has effects other than reads and writes of a memref operand.
inline LogicalResult appendBufferAccesses(Operation *op,
                                          SmallVectorImpl<BufferAccess> &out) {
  if (isMemoryEffectFree(op) ||
      op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
    return success();
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return failure();
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  for (MemoryEffects::EffectInstance &e : instances) {
    auto memref = dyn_cast_or_null<TypedValue<BaseMemRefType>>(e.getValue());
    if (!memref ||
        !isa<MemoryEffects::Read, MemoryEffects::Write>(e.getEffect()))
      return failure();
    out.push_back({memref::skipViewLikeOps(memref),
                   isa<MemoryEffects::Write>(e.getEffect())});
  }
  return success();
}

} // namespace mlir::lpq

#endif // LPQ_DIALECT_LPQ_TRANSFORMS_ALIASING_H
