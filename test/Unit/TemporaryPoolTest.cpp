//===- TemporaryPoolTest.cpp - Reuse of device temporaries ----------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// The CUDA runtime's cache of freed temporaries, over a fake allocator: a
// buffer is reused for the same size, never for another stream while work
// queued on the stream it was freed on may still use it, and for any stream
// once that stream is done.
//
//===----------------------------------------------------------------------===//

#include "TemporaryPool.h"

#include <gtest/gtest.h>

#include <vector>

using mlir::lpq::runtime::TemporaryPool;

namespace {

struct FakeDevice {
  std::vector<std::unique_ptr<char[]>> buffers;
  std::vector<std::string> errors;
  TemporaryPool pool{[this](uint64_t bytes) {
                       buffers.push_back(std::make_unique<char[]>(bytes));
                       return static_cast<void *>(buffers.back().get());
                     },
                     [this](const std::string &e) { errors.push_back(e); }};
};

int streamA, streamB; // their addresses stand for two streams

TEST(TemporaryPool, ReusesFreedBuffersOfTheSameSizeOnTheSameStream) {
  FakeDevice d;
  void *p = d.pool.take(256, &streamA);
  d.pool.give(p, &streamA);
  EXPECT_EQ(d.pool.take(256, &streamA), p);
  EXPECT_NE(d.pool.take(256, &streamA), p); // p is taken again
  EXPECT_NE(d.pool.take(512, &streamA), p); // another size
  EXPECT_EQ(d.buffers.size(), 3u);
  EXPECT_TRUE(d.errors.empty());
}

TEST(TemporaryPool, KeepsBuffersFromOtherStreamsUntilTheirStreamIsDone) {
  FakeDevice d;
  void *p = d.pool.take(256, &streamA);
  d.pool.give(p, &streamA); // kernels on A may still use p
  void *q = d.pool.take(256, &streamB);
  EXPECT_NE(q, p);
  d.pool.give(q, &streamB);
  d.pool.streamDone(&streamA); // now p is free for B too
  void *r = d.pool.take(256, &streamB), *s = d.pool.take(256, &streamB);
  EXPECT_TRUE((r == p && s == q) || (r == q && s == p));
  EXPECT_EQ(d.buffers.size(), 2u);
}

TEST(TemporaryPool, BuffersFreedOnNoStreamAreFreeForAll) {
  FakeDevice d;
  void *p = d.pool.take(64, nullptr);
  d.pool.give(p, nullptr);
  EXPECT_EQ(d.pool.take(64, &streamA), p);
}

TEST(TemporaryPool, ReportsFreeingAnUnknownOrFreedBuffer) {
  FakeDevice d;
  void *p = d.pool.take(64, &streamA);
  d.pool.give(p, &streamA);
  d.pool.give(p, &streamA);
  int local;
  d.pool.give(&local, &streamA);
  EXPECT_EQ(d.errors.size(), 2u);
  EXPECT_EQ(d.pool.size(), 1u);
}

} // namespace
