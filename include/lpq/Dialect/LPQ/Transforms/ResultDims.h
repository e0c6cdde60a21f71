//===- ResultDims.h - The functions lpq-result-dims adds --------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// The convention between lpq-result-dims, which gives every public function
// with dynamically shaped results a companion computing their extents, and
// its callers (the JIT runner, the C header translation). Header only: the
// callers need not link the passes.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_TRANSFORMS_RESULTDIMS_H
#define LPQ_DIALECT_LPQ_TRANSFORMS_RESULTDIMS_H

#include "mlir/IR/BuiltinTypes.h"

#include <string>

namespace mlir::lpq {

/// The name of the companion of `function`.
inline std::string resultDimsName(llvm::StringRef function) {
  return (function + "_result_dims").str();
}

/// The type the companion of a function of type `type` returns:
/// `tensor<Kxi64>` with K the dynamic extents among its ranked tensor
/// results; null when there are none (the function has no companion).
inline RankedTensorType resultDimsType(FunctionType type) {
  int64_t count = 0;
  for (Type t : type.getResults())
    if (auto tensor = dyn_cast<RankedTensorType>(t))
      count += tensor.getNumDynamicDims();
  if (count == 0)
    return nullptr;
  return RankedTensorType::get({count},
                               IntegerType::get(type.getContext(), 64));
}

} // namespace mlir::lpq

#endif // LPQ_DIALECT_LPQ_TRANSFORMS_RESULTDIMS_H
