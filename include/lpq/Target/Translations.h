//===- Translations.h - lpq's mlir-translate registrations ------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_TARGET_TRANSLATIONS_H
#define LPQ_TARGET_TRANSLATIONS_H

namespace mlir::lpq {

/// Registers `--lpq-to-c-header` and `--lpq-gpu-kernels` (with its
/// `--kernel-dir` option) with mlir-translate-style tools.
void registerLPQTranslations();

} // namespace mlir::lpq

#endif // LPQ_TARGET_TRANSLATIONS_H
