//===- Translations.cpp - lpq's mlir-translate registrations --------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Target/Translations.h"

#include "lpq/Dialect/LPQ/IR/LPQDialect.h"
#include "lpq/Target/CHeader.h"
#include "lpq/Target/GPUKernels.h"

#include "mlir/InitAllDialects.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

using namespace mlir;

void mlir::lpq::registerLPQTranslations() {
  // Both read modules as lpq's tools produce them: lpq ops and any upstream
  // dialect (tensor code as written, LLVM/GPU/NVVM after the pipelines).
  auto dialects = [](DialectRegistry &registry) {
    registerAllDialects(registry);
    registry.insert<LPQDialect>();
  };
  static TranslateFromMLIRRegistration cHeader(
      "lpq-to-c-header",
      "C header of the entry points of a module compiled by lpq's pipelines",
      [](ModuleOp module, llvm::raw_ostream &os) {
        return translateToCHeader(module, os);
      },
      dialects);

  static llvm::cl::opt<std::string> kernelDir(
      "kernel-dir",
      llvm::cl::desc("Directory that --lpq-gpu-kernels writes the kernel "
                     "files to"),
      llvm::cl::value_desc("directory"));
  static TranslateFromMLIRRegistration gpuKernels(
      "lpq-gpu-kernels",
      "Write the PTX/cubin of a module compiled by -lpq-gpu-pipeline to "
      "--kernel-dir, one file per kernel module, and print a JSON manifest",
      [](ModuleOp module, llvm::raw_ostream &os) -> LogicalResult {
        if (kernelDir.empty())
          return mlir::emitError(module.getLoc(),
                                 "--lpq-gpu-kernels writes one file per "
                                 "kernel module: give the directory with "
                                 "--kernel-dir=DIR");
        return writeGPUKernelFiles(module, kernelDir, os);
      },
      dialects);
}
