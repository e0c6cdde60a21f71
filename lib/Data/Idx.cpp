//===- Idx.cpp - IDX files and Fashion-MNIST ------------------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Data/Idx.h"

#include <zlib.h>

#include <sys/stat.h>

using namespace mlir::lpq;
using runtime::Array;
using runtime::DType;

namespace {

/// gzread reads plain files as they are, so one reader serves both.
struct GzFile {
  gzFile file;
  explicit GzFile(const std::string &path) : file(gzopen(path.c_str(), "rb")) {}
  ~GzFile() {
    if (file)
      gzclose(file);
  }
  bool read(void *buffer, size_t bytes) {
    auto *p = static_cast<unsigned char *>(buffer);
    while (bytes > 0) {
      unsigned chunk = bytes > (1u << 30) ? (1u << 30) : unsigned(bytes);
      int n = gzread(file, p, chunk);
      if (n <= 0)
        return false;
      p += n;
      bytes -= n;
    }
    return true;
  }
};

bool exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

/// The paths of a split's image and label files (gzipped or not), or false
/// with the error that names the package to install.
bool findSplit(const std::string &dir, bool train, std::string &imagesPath,
               std::string &labelsPath, std::string &error) {
  std::string prefix = dir + "/" + (train ? "train" : "t10k");
  auto find = [&](const std::string &stem, std::string &found) {
    for (const std::string &path : {stem + ".gz", stem})
      if (exists(path)) {
        found = path;
        return true;
      }
    return false;
  };
  if (find(prefix + "-images-idx3-ubyte", imagesPath) &&
      find(prefix + "-labels-idx1-ubyte", labelsPath))
    return true;
  error = "Fashion-MNIST not found in '" + dir +
          "': install Debian's package dataset-fashion-mnist "
          "(apt-get install dataset-fashion-mnist)";
  return false;
}

} // namespace

std::optional<Array> data::readIdx(const std::string &path,
                                   std::string &error) {
  GzFile in(path);
  if (!in.file) {
    error = "cannot open '" + path + "'";
    return std::nullopt;
  }
  unsigned char magic[4];
  if (!in.read(magic, 4) || magic[0] != 0 || magic[1] != 0) {
    error = "'" + path + "' is not an IDX file";
    return std::nullopt;
  }
  if (magic[2] != 0x08) {
    error = "'" + path + "' holds IDX type 0x" +
            std::to_string(int(magic[2])) + "; lpq reads unsigned bytes (0x08)";
    return std::nullopt;
  }
  Array a;
  a.dtype = DType::I32;
  for (int d = 0; d < magic[3]; ++d) {
    unsigned char be[4];
    if (!in.read(be, 4)) {
      error = "'" + path + "' has a truncated header";
      return std::nullopt;
    }
    a.shape.push_back((int64_t(be[0]) << 24) | (be[1] << 16) | (be[2] << 8) |
                      be[3]);
  }
  // A corrupt header must give an error, not an allocation failure: data
  // sets of more than 2^30 bytes are beyond what the trainer loads anyway.
  int64_t elements = 1;
  for (int64_t d : a.shape) {
    if (d != 0 && elements > (int64_t(1) << 30) / d) {
      error = "'" + path +
              "' has a shape of more than 2^30 elements; a "
              "corrupt file?";
      return std::nullopt;
    }
    elements *= d;
  }
  std::vector<unsigned char> bytes(a.numElements());
  if (!in.read(bytes.data(), bytes.size())) {
    error = "'" + path + "' holds fewer bytes than its shape says";
    return std::nullopt;
  }
  a.bytes.resize(bytes.size() * 4);
  for (size_t i = 0; i < bytes.size(); ++i)
    a.data<int32_t>()[i] = bytes[i];
  return a;
}

bool data::hasFashionMNIST(const std::string &dir, std::string &error) {
  std::string images, labels;
  return findSplit(dir, /*train=*/true, images, labels, error) &&
         findSplit(dir, /*train=*/false, images, labels, error);
}

std::optional<data::Split> data::loadFashionMNIST(const std::string &dir,
                                                  bool train,
                                                  std::string &error) {
  std::string imagesPath, labelsPath;
  if (!findSplit(dir, train, imagesPath, labelsPath, error))
    return std::nullopt;
  std::optional<Array> images = readIdx(imagesPath, error);
  if (!images)
    return std::nullopt;
  std::optional<Array> labels = readIdx(labelsPath, error);
  if (!labels)
    return std::nullopt;
  if (images->shape.size() != 3 || labels->shape.size() != 1 ||
      images->shape[0] != labels->shape[0]) {
    error = "Fashion-MNIST images and labels in '" + dir + "' do not match";
    return std::nullopt;
  }
  Split s;
  int64_t n = images->shape[0];
  s.images = Array::zeros(DType::F32,
                          {n, 1, images->shape[1], images->shape[2]});
  for (int64_t i = 0; i < images->numElements(); ++i)
    s.images.data<float>()[i] =
        static_cast<float>(images->data<int32_t>()[i]) / 255.0f;
  s.labels = std::move(*labels);
  return s;
}
