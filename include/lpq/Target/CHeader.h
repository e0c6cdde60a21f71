//===- CHeader.h - C header of a module's entry points ----------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_TARGET_CHEADER_H
#define LPQ_TARGET_CHEADER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::lpq {

/// Writes a C header declaring the C-interface entry points
/// (`_mlir_ciface_<name>`) that lpq-cpu-pipeline and lpq-gpu-pipeline give
/// the public functions of `module` (as written, before lowering): tensors
/// become pointers to memref descriptor structs, results become trailing
/// caller-allocated descriptors.
LogicalResult translateToCHeader(ModuleOp module, llvm::raw_ostream &os);

} // namespace mlir::lpq

#endif // LPQ_TARGET_CHEADER_H
