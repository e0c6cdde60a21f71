//===- Pipelines.h - lpq pass pipelines -------------------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_PIPELINES_PIPELINES_H
#define LPQ_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::lpq {

/// Options of `lpq-cpu-pipeline`.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<bool> threads{
      *this, "threads",
      llvm::cl::desc("Parallelize the outermost parallel loop of every kernel "
                     "over cores with OpenMP"),
      llvm::cl::init(true)};
  PassOptions::Option<unsigned> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("Vector width in bits LLVM's vectorizers should prefer "
                     "(0: the target's default)"),
      llvm::cl::init(0)};
};

/// The textual form of `lpq-cpu-pipeline` with these options, for printing.
std::string cpuPipelineText(const CPUPipelineOptions &options);

/// Appends `lpq-cpu-pipeline` to `pm` (a pass manager on builtin.module):
/// lpq ops to linalg/arith, elementwise fusion, results turned into
/// caller-allocated destinations, one-shot bufferization computing results
/// in those destinations, affine loops with the
/// outermost parallel loop of each nest run by OpenMP, and lowering to the
/// LLVM dialect. The result is ready for mlir-translate or the
/// ExecutionEngine; LLVM's loop vectorizer vectorizes the inner loops.
LogicalResult buildCPUPipeline(OpPassManager &pm,
                               const CPUPipelineOptions &options);

/// Registers `lpq-cpu-pipeline` with mlir-opt-style tools. It also registers
/// every upstream pass, which the pipeline is built from.
void registerLPQPipelines();

} // namespace mlir::lpq

#endif // LPQ_PIPELINES_PIPELINES_H
