//===- TemporaryPool.h - Reuse of lowered code's device buffers -*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Device buffers for lowered code's temporaries, kept for reuse once freed
// (as PyTorch's caching allocator does): a training step allocates the same
// sizes at every call, and cuMemAlloc/cuMemFree cost more than small
// kernels (cuMemFree also waits for the device). Lowered code frees a
// buffer on the stream of the launches that use it, possibly before they
// ran: such a buffer is handed out again only for the same stream (stream
// order makes that safe) until the stream is done, which lowered code
// says by destroying it after waiting for it. Buffers are kept until the
// process exits. Plain C++ over an allocation function, so that it is
// tested without a GPU (test/Unit/TemporaryPoolTest.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_RUNTIME_TEMPORARYPOOL_H
#define LPQ_RUNTIME_TEMPORARYPOOL_H

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace mlir::lpq::runtime {

class TemporaryPool {
public:
  /// `allocate` makes a new buffer (null on failure); `report` receives
  /// misuse.
  TemporaryPool(std::function<void *(uint64_t)> allocate,
                std::function<void(const std::string &)> report)
      : allocate(std::move(allocate)), report(std::move(report)) {}

  /// A buffer of `bytes` for use on `stream` (null: the legacy stream).
  void *take(uint64_t bytes, const void *stream) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto [first, last] = free.equal_range(bytes);
      for (auto it = first; it != last; ++it) {
        if (it->second.stream && it->second.stream != stream)
          continue;
        void *p = it->second.pointer;
        free.erase(it);
        taken[p] = bytes;
        return p;
      }
    }
    void *p = allocate(bytes);
    std::lock_guard<std::mutex> lock(mutex);
    if (p)
      taken[p] = bytes;
    return p;
  }

  /// Gives back a buffer take() returned; work queued on `stream` may
  /// still use it.
  void give(void *pointer, const void *stream) {
    if (!pointer)
      return;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = taken.find(pointer);
    if (it == taken.end()) {
      report("a device buffer freed twice, or not allocated by lpq's "
             "runtime");
      return;
    }
    free.emplace(it->second, Entry{pointer, stream});
    taken.erase(it);
  }

  /// Everything queued on `stream` has finished and the stream goes away:
  /// buffers given back on it are free for every stream.
  void streamDone(const void *stream) {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto &[bytes, entry] : free)
      if (entry.stream == stream)
        entry.stream = nullptr;
  }

  /// Buffers allocated so far (taken and free).
  size_t size() {
    std::lock_guard<std::mutex> lock(mutex);
    return taken.size() + free.size();
  }

private:
  struct Entry {
    void *pointer;
    /// The stream that may still use the buffer; null: none.
    const void *stream;
  };
  std::function<void *(uint64_t)> allocate;
  std::function<void(const std::string &)> report;
  std::mutex mutex;
  std::multimap<uint64_t, Entry> free;
  std::map<void *, uint64_t> taken;
};

} // namespace mlir::lpq::runtime

#endif // LPQ_RUNTIME_TEMPORARYPOOL_H
