//===- Idx.h - IDX files and Fashion-MNIST ----------------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// The IDX format of (Fashion-)MNIST, read directly or gzip-compressed, and
// the Fashion-MNIST data set from Debian's dataset-fashion-mnist package.
// No MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DATA_IDX_H
#define LPQ_DATA_IDX_H

#include "lpq/Runtime/Npy.h"

#include <optional>
#include <string>

namespace mlir::lpq::data {

/// Where Debian's dataset-fashion-mnist package installs the data set.
inline constexpr const char *kFashionMNISTDir =
    "/usr/share/datasets/fashion-mnist";

/// Reads an IDX file of unsigned bytes (type 0x08), gzip-compressed or not,
/// into a uint8 array stored as int32 values (dtype I32) with the file's
/// shape. On failure returns nullopt and sets `error`.
std::optional<runtime::Array> readIdx(const std::string &path,
                                      std::string &error);

/// One split of Fashion-MNIST: images as float32 [N, 1, 28, 28] scaled to
/// [0, 1], labels as int32 [N] in 0..9.
struct Split {
  runtime::Array images, labels;
};

/// Loads the training (60000 images) or test (10000) split from `dir`.
/// When the files are missing, the error says which package provides them.
std::optional<Split> loadFashionMNIST(const std::string &dir, bool train,
                                      std::string &error);

/// Whether `dir` holds both splits' image and label files (without reading
/// them); otherwise sets loadFashionMNIST's error. For checking before a
/// long compilation.
bool hasFashionMNIST(const std::string &dir, std::string &error);

} // namespace mlir::lpq::data

#endif // LPQ_DATA_IDX_H
