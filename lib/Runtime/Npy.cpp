//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Runtime/Npy.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace mlir::lpq::runtime;

size_t mlir::lpq::runtime::dtypeSize(DType dtype) {
  return dtype == DType::I64 || dtype == DType::F64 ? 8 : 4;
}

const char *mlir::lpq::runtime::dtypeDescr(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "<f4";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::F64:
    return "<f8";
  }
  return "";
}

int64_t Array::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Array Array::zeros(DType dtype, std::vector<int64_t> shape) {
  Array a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.bytes.assign(a.numElements() * dtypeSize(dtype), 0);
  return a;
}

namespace {

/// The value of `key` in a .npy header dict, up to the next top-level comma
/// or closing brace.
std::optional<std::string> headerValue(const std::string &header,
                                       const std::string &key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos)
    return std::nullopt;
  size_t colon = header.find(':', k);
  if (colon == std::string::npos)
    return std::nullopt;
  size_t start = colon + 1, end = start;
  int depth = 0;
  for (; end < header.size(); ++end) {
    char c = header[end];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  std::string v = header.substr(start, end - start);
  size_t a = v.find_first_not_of(" "), b = v.find_last_not_of(" ");
  return a == std::string::npos ? std::string() : v.substr(a, b - a + 1);
}

} // namespace

std::optional<Array> mlir::lpq::runtime::readNpy(const std::string &path,
                                                 std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return std::nullopt;
  }
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = "'" + path + "' is not a .npy file";
    return std::nullopt;
  }
  uint32_t headerLen = 0;
  if (magic[6] == 1) {
    unsigned char len[2];
    in.read(reinterpret_cast<char *>(len), 2);
    headerLen = len[0] | (len[1] << 8);
  } else {
    unsigned char len[4];
    in.read(reinterpret_cast<char *>(len), 4);
    headerLen = len[0] | (len[1] << 8) | (len[2] << 16) |
                (uint32_t(len[3]) << 24);
  }
  if (!in || headerLen > (1u << 20)) {
    error = "'" + path + "' has a truncated header";
    return std::nullopt;
  }
  std::string header(headerLen, '\0');
  if (!in.read(header.data(), headerLen)) {
    error = "'" + path + "' has a truncated header";
    return std::nullopt;
  }
  auto descr = headerValue(header, "descr");
  auto order = headerValue(header, "fortran_order");
  auto shape = headerValue(header, "shape");
  if (!descr || !order || !shape) {
    error = "'" + path + "' has a malformed header";
    return std::nullopt;
  }
  Array a;
  if (*descr == "'<f4'")
    a.dtype = DType::F32;
  else if (*descr == "'<i4'")
    a.dtype = DType::I32;
  else if (*descr == "'<i8'")
    a.dtype = DType::I64;
  else if (*descr == "'<f8'")
    a.dtype = DType::F64;
  else {
    error = "'" + path + "' has dtype " + *descr +
            "; lpq reads float32, int32, int64 and float64 ('<f4', '<i4', '<i8', '<f8')";
    return std::nullopt;
  }
  if (*order != "False") {
    error = "'" + path + "' is in Fortran order; save it in C order";
    return std::nullopt;
  }
  std::string dims = *shape;
  for (char &c : dims)
    if (c == '(' || c == ')' || c == ',')
      c = ' ';
  std::istringstream ds(dims);
  std::string token;
  int64_t elements = 1, nonZeroProduct = 1;
  while (ds >> token) {
    char *end = nullptr;
    errno = 0;
    long long d = std::strtoll(token.c_str(), &end, 10);
    if (*end != '\0' || errno != 0 || d < 0) {
      error = "'" + path + "' has a bad dimension '" + token + "' in shape " +
              *shape;
      return std::nullopt;
    }
    a.shape.push_back(d);
    // The product of the non-zero dimensions must fit, or element counts
    // computed from the shape later would overflow even when a zero
    // dimension makes the array empty.
    if (d != 0 && nonZeroProduct > INT64_MAX / 8 / d) {
      error = "'" + path + "' has a shape too large for any file: " + *shape;
      return std::nullopt;
    }
    if (d != 0)
      nonZeroProduct *= d;
    elements *= d;
  }
  // Compare with what the file holds before allocating, so that a corrupt
  // shape gives an error rather than an allocation failure.
  std::streampos dataStart = in.tellg();
  in.seekg(0, std::ios::end);
  int64_t available = static_cast<int64_t>(in.tellg() - dataStart);
  in.seekg(dataStart);
  if (elements * static_cast<int64_t>(dtypeSize(a.dtype)) > available) {
    error = "'" + path + "' holds fewer elements than its shape says";
    return std::nullopt;
  }
  a.bytes.resize(elements * dtypeSize(a.dtype));
  if (!in.read(reinterpret_cast<char *>(a.bytes.data()), a.bytes.size())) {
    error = "'" + path + "' holds fewer elements than its shape says";
    return std::nullopt;
  }
  return a;
}

bool mlir::lpq::runtime::writeNpy(const std::string &path, const Array &array,
                                  std::string &error) {
  std::string header = "{'descr': '" + std::string(dtypeDescr(array.dtype)) +
                       "', 'fortran_order': False, 'shape': (";
  for (int64_t d : array.shape)
    header += std::to_string(d) + ", ";
  if (!array.shape.empty())
    header.resize(header.size() - (array.shape.size() == 1 ? 1 : 2));
  header += "), }";
  while ((10 + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    error = "cannot write '" + path + "'";
    return false;
  }
  out.write("\x93NUMPY\x01\x00", 8);
  unsigned char len[2] = {static_cast<unsigned char>(header.size() & 0xff),
                          static_cast<unsigned char>(header.size() >> 8)};
  out.write(reinterpret_cast<char *>(len), 2);
  out << header;
  out.write(reinterpret_cast<const char *>(array.bytes.data()),
            array.bytes.size());
  if (!out) {
    error = "error writing '" + path + "'";
    return false;
  }
  return true;
}
