//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_RUNTIME_NPY_H
#define LPQ_RUNTIME_NPY_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::lpq::runtime {

/// Element types lpq reads and writes.
enum class DType { F32, I32, I64, F64 };

/// Bytes per element.
size_t dtypeSize(DType dtype);
/// The .npy descriptor ('<f4', '<i4', '<i8', '<f8').
const char *dtypeDescr(DType dtype);

/// A dense row-major array.
struct Array {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t numElements() const;
  template <typename T> T *data() { return reinterpret_cast<T *>(bytes.data()); }
  template <typename T> const T *data() const {
    return reinterpret_cast<const T *>(bytes.data());
  }
  /// An array of this type and shape, zero-filled.
  static Array zeros(DType dtype, std::vector<int64_t> shape);
};

/// Reads a C-order, little-endian float32/int32/int64/float64 .npy file (format
/// versions 1-3). On failure returns nullopt and sets `error`.
std::optional<Array> readNpy(const std::string &path, std::string &error);

/// Writes a .npy file (format version 1.0). Returns false and sets `error`
/// on failure.
bool writeNpy(const std::string &path, const Array &array, std::string &error);

} // namespace mlir::lpq::runtime

#endif // LPQ_RUNTIME_NPY_H
