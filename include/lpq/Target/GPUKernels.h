//===- GPUKernels.h - GPU kernel binaries written to files ------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_TARGET_GPUKERNELS_H
#define LPQ_TARGET_GPUKERNELS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::lpq {

/// Writes every object of every `gpu.binary` of `module` (the output of
/// lpq-gpu-pipeline) to `dir` as `<binary>.<chip>.<ptx|cubin|fatbin|bc>`, and
/// a JSON manifest to `os`: the files with their chips, formats, sizes and
/// kernel names, and for each host function the kernels it launches, in
/// order, with the types of their parameters.
LogicalResult writeGPUKernelFiles(ModuleOp module, StringRef dir,
                                  llvm::raw_ostream &os);

} // namespace mlir::lpq

#endif // LPQ_TARGET_GPUKERNELS_H
