//===- GPUNests.h - The loop nests that become GPU launches ----*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_TRANSFORMS_GPUNESTS_H
#define LPQ_DIALECT_LPQ_TRANSFORMS_GPUNESTS_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <optional>

namespace mlir::lpq {

/// A launch as lpq-gpu-prepare-loops leaves it: `blocks` (one dimension
/// from 0, no results) around `threads` (one dimension from 0 to the
/// constant `blockSize` by 1, no results), with nothing else in `blocks`
/// but constants; or, where `blocks` holds no parallel loop, `blocks`
/// alone, a launch of one-thread blocks (`threads` null, `blockSize` 1).
struct GPUNest {
  scf::ParallelOp blocks, threads;
  int64_t blockSize;
};

inline std::optional<GPUNest> matchGPUNest(Operation *op) {
  auto blocks = dyn_cast<scf::ParallelOp>(op);
  if (!blocks || blocks.getNumLoops() != 1 || blocks.getNumResults() != 0 ||
      !isConstantIntValue(blocks.getLowerBound()[0], 0))
    return std::nullopt;
  auto inner = blocks.getBody()->getOps<scf::ParallelOp>();
  if (inner.empty())
    return GPUNest{blocks, nullptr, 1};
  scf::ParallelOp threads = *inner.begin();
  for (Operation &op : blocks.getBody()->without_terminator())
    if (&op != threads.getOperation() && !op.hasTrait<OpTrait::ConstantLike>())
      return std::nullopt;
  if (threads.getNumLoops() != 1 || threads.getNumResults() != 0 ||
      !isConstantIntValue(threads.getLowerBound()[0], 0) ||
      !isConstantIntValue(threads.getStep()[0], 1))
    return std::nullopt;
  std::optional<int64_t> size = getConstantIntValue(threads.getUpperBound()[0]);
  if (!size || *size < 1)
    return std::nullopt;
  return GPUNest{blocks, threads, *size};
}

} // namespace mlir::lpq

#endif // LPQ_DIALECT_LPQ_TRANSFORMS_GPUNESTS_H
