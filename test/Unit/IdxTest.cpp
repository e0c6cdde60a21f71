//===- IdxTest.cpp - IDX reading and Fashion-MNIST ------------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Data/Idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>

using namespace mlir::lpq;

namespace {

/// A 2x3 IDX file of unsigned bytes 0..5.
std::string idxBytes() {
  std::string s = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3};
  for (char c = 0; c < 6; ++c)
    s.push_back(static_cast<char>(c * 50));
  return s;
}

std::string tempPath(const char *name) {
  return std::string(::testing::TempDir()) + name;
}

} // namespace

TEST(Idx, ReadsPlainAndGzipped) {
  std::string plain = tempPath("lpq-test.idx"), gz = tempPath("lpq-test.idx.gz");
  std::ofstream(plain, std::ios::binary) << idxBytes();
  gzFile f = gzopen(gz.c_str(), "wb");
  std::string bytes = idxBytes();
  gzwrite(f, bytes.data(), bytes.size());
  gzclose(f);
  for (const std::string &path : {plain, gz}) {
    std::string error;
    auto a = data::readIdx(path, error);
    ASSERT_TRUE(a) << error;
    EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(a->data<int32_t>()[5], 250);
    EXPECT_EQ(a->data<int32_t>()[1], 50);
  }
  std::remove(plain.c_str());
  std::remove(gz.c_str());
}

TEST(Idx, Errors) {
  std::string error;
  EXPECT_FALSE(data::readIdx("/nonexistent/file.idx", error));
  EXPECT_EQ(error, "cannot open '/nonexistent/file.idx'");
  std::string truncated = tempPath("lpq-trunc.idx");
  std::ofstream(truncated, std::ios::binary) << idxBytes().substr(0, 14);
  EXPECT_FALSE(data::readIdx(truncated, error));
  EXPECT_NE(error.find("fewer bytes than its shape says"), std::string::npos);
  std::remove(truncated.c_str());
  // A corrupt header (three dimensions of 2^32 - 1) is an error, not an
  // allocation of 2^96 bytes.
  std::string corrupt = tempPath("lpq-corrupt.idx");
  std::string header = {0, 0, 8, 3};
  for (int d = 0; d < 3; ++d)
    header += std::string(4, '\xff');
  std::ofstream(corrupt, std::ios::binary) << header;
  EXPECT_FALSE(data::readIdx(corrupt, error));
  EXPECT_NE(error.find("has a shape of more than 2^30 elements"),
            std::string::npos)
      << error;
  std::remove(corrupt.c_str());
  EXPECT_FALSE(data::loadFashionMNIST("/nonexistent", false, error));
  EXPECT_NE(error.find("apt-get install dataset-fashion-mnist"),
            std::string::npos);
}

/// The test split of Debian's dataset-fashion-mnist: 10000 images of 28x28
/// in [0, 1], 1000 of each of the 10 classes.
TEST(FashionMNIST, TestSplit) {
  std::string error;
  auto split = data::loadFashionMNIST(data::kFashionMNISTDir, false, error);
  ASSERT_TRUE(split) << error;
  EXPECT_EQ(split->images.shape, (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(split->labels.shape, (std::vector<int64_t>{10000}));
  std::vector<int> counts(10, 0);
  for (int64_t i = 0; i < 10000; ++i) {
    int32_t label = split->labels.data<int32_t>()[i];
    ASSERT_GE(label, 0);
    ASSERT_LT(label, 10);
    ++counts[label];
  }
  for (int c : counts)
    EXPECT_EQ(c, 1000);
  float lo = 1, hi = 0;
  for (int64_t i = 0; i < split->images.numElements(); ++i) {
    lo = std::min(lo, split->images.data<float>()[i]);
    hi = std::max(hi, split->images.data<float>()[i]);
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
}
