//===- lpq-translate.cpp - lpq's translations -----------------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// mlir-translate with the lpq dialect and lpq's translations
// (`--lpq-to-c-header`, `--lpq-gpu-kernels`) beside the upstream ones
// (`--mlir-to-llvmir`).
//
//===----------------------------------------------------------------------===//

#include "lpq/Target/Translations.h"

#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::registerAllTranslations();
  mlir::lpq::registerLPQTranslations();
  return mlir::failed(mlir::mlirTranslateMain(argc, argv, "lpq-translate"));
}
