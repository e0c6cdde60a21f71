//===- lpq-opt.cpp - The lpq optimizer driver -----------------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// mlir-opt with the lpq dialect, its passes and its pipelines registered
// beside every upstream dialect and pass.
//
//===----------------------------------------------------------------------===//

#include "lpq/Conversion/Passes.h"
#include "lpq/Dialect/LPQ/IR/LPQDialect.h"
#include "lpq/Dialect/LPQ/Transforms/Passes.h"
#include "lpq/Pipelines/Pipelines.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates device code to LLVM IR and PTX.
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<mlir::lpq::LPQDialect>();
  mlir::lpq::registerLPQPipelines();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "lpq optimizer driver: low-precision training\n", registry));
}
