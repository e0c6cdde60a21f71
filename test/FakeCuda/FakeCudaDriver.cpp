//===- FakeCudaDriver.cpp - A CUDA driver without a GPU, for tests --------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// libcuda.so.1 for machines without a GPU: device memory is host memory,
// copies are memcpy, and launches check their arguments but run nothing.
// With it (LD_LIBRARY_PATH) the host side of lpq's GPU path runs end to
// end here: lpq-gpu-pipeline to cubin for the "device's" sm_90, the JIT
// loading lpq's CUDA runtime, kernel modules loaded by global constructors,
// kernel names looked up in the cubins, launch dimensions, streams, device
// allocations and their reuse, and the copies of arguments and results.
// Results are meaningless (no kernel runs). At exit it prints one line:
//   fake-cuda: L launches of K kernels from M modules, A allocations
//   (P live), E errors
// Errors (bad handles, bad dimensions, freeing unknown memory, names not
// in the cubin) are printed as they happen and make the call fail. With
// LPQ_FAKE_CUDA_TRACE set, every launch is printed with its kernel's name
// and its grid and block dimensions.
//
//===----------------------------------------------------------------------===//

#include <cuda.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

struct Module {
  std::vector<char> image;
};

struct Function {
  std::string name;
};

struct State {
  std::mutex mutex;
  std::set<Module *> modules;
  std::set<Function *> functions;
  std::set<std::string> launchedKernels;
  std::map<uintptr_t, size_t> allocations;
  std::set<void *> streams;
  size_t launches = 0, moduleLoads = 0, allocationCount = 0, errors = 0;

  ~State() {
    std::fprintf(stderr,
                 "fake-cuda: %zu launches of %zu kernels from %zu modules, "
                 "%zu allocations (%zu live), %zu errors\n",
                 launches, launchedKernels.size(), moduleLoads,
                 allocationCount, allocations.size(), errors);
  }
};

State &state() {
  static State s;
  return s;
}

CUresult fail(const char *what) {
  std::fprintf(stderr, "fake-cuda: error: %s\n", what);
  ++state().errors;
  return CUDA_ERROR_INVALID_VALUE;
}

int deviceContext; // its address is the context

} // namespace

extern "C" {

CUresult cuInit(unsigned int) { return CUDA_SUCCESS; }

CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  if (ordinal != 0)
    return fail("cuDeviceGet: no such device");
  *device = 0;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute attribute,
                              CUdevice) {
  switch (attribute) {
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:
    *value = 9;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR:
    *value = 0;
    return CUDA_SUCCESS;
  default:
    return fail("cuDeviceGetAttribute: attribute not faked");
  }
}

CUresult cuDevicePrimaryCtxRetain(CUcontext *context, CUdevice) {
  *context = reinterpret_cast<CUcontext>(&deviceContext);
  return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext context) {
  if (context != reinterpret_cast<CUcontext>(&deviceContext))
    return fail("cuCtxSetCurrent: unknown context");
  return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize() { return CUDA_SUCCESS; }

CUresult cuGetErrorString(CUresult, const char **text) {
  *text = "fake-cuda error (see its messages)";
  return CUDA_SUCCESS;
}

CUresult cuModuleLoadData(CUmodule *module, const void *image) {
  const char *bytes = static_cast<const char *>(image);
  if (!bytes || std::memcmp(bytes, "\x7f" "ELF", 4) != 0)
    return fail("cuModuleLoadData: not a cubin (ELF) image");
  // An ELF image's size: the end of its section header table.
  uint64_t shoff;
  uint16_t shentsize, shnum;
  std::memcpy(&shoff, bytes + 0x28, 8);
  std::memcpy(&shentsize, bytes + 0x3A, 2);
  std::memcpy(&shnum, bytes + 0x3C, 2);
  uint64_t size = shoff + uint64_t(shentsize) * shnum;
  auto *m = new Module{std::vector<char>(bytes, bytes + size)};
  std::lock_guard<std::mutex> lock(state().mutex);
  state().modules.insert(m);
  ++state().moduleLoads;
  *module = reinterpret_cast<CUmodule>(m);
  return CUDA_SUCCESS;
}

CUresult cuModuleUnload(CUmodule module) {
  std::lock_guard<std::mutex> lock(state().mutex);
  auto *m = reinterpret_cast<Module *>(module);
  if (!state().modules.erase(m))
    return fail("cuModuleUnload: unknown module");
  delete m;
  return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction *function, CUmodule module,
                             const char *name) {
  std::lock_guard<std::mutex> lock(state().mutex);
  auto *m = reinterpret_cast<Module *>(module);
  if (!state().modules.count(m))
    return fail("cuModuleGetFunction: unknown module");
  // The kernel's symbol name, NUL-terminated, in the image's string table.
  std::string symbol = std::string(name) + '\0';
  auto it = std::search(m->image.begin(), m->image.end(), symbol.begin(),
                        symbol.end());
  if (it == m->image.end())
    return fail(("cuModuleGetFunction: no kernel " + std::string(name) +
                 " in the module")
                    .c_str());
  auto *f = new Function{std::to_string(reinterpret_cast<uintptr_t>(m)) +
                         "/" + name};
  state().functions.insert(f);
  *function = reinterpret_cast<CUfunction>(f);
  return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(CUfunction function, unsigned gridX, unsigned gridY,
                        unsigned gridZ, unsigned blockX, unsigned blockY,
                        unsigned blockZ, unsigned sharedBytes, CUstream stream,
                        void **params, void **extra) {
  std::lock_guard<std::mutex> lock(state().mutex);
  auto *f = reinterpret_cast<Function *>(function);
  if (!state().functions.count(f))
    return fail("cuLaunchKernel: unknown function");
  if (!gridX || !gridY || !gridZ || gridY > 65535 || gridZ > 65535)
    return fail("cuLaunchKernel: bad grid dimensions");
  if (!blockX || !blockY || !blockZ ||
      uint64_t(blockX) * blockY * blockZ > 1024 || blockZ > 64)
    return fail("cuLaunchKernel: bad block dimensions");
  if (sharedBytes > 48 * 1024)
    return fail("cuLaunchKernel: more dynamic shared memory than 48 KiB");
  if (stream && !state().streams.count(stream))
    return fail("cuLaunchKernel: unknown stream");
  if (!params && !extra)
    return fail("cuLaunchKernel: no parameters");
  ++state().launches;
  state().launchedKernels.insert(f->name);
  if (std::getenv("LPQ_FAKE_CUDA_TRACE"))
    std::fprintf(stderr, "fake-cuda: launch %s grid %u,%u,%u block %u,%u,%u\n",
                 f->name.substr(f->name.find('/') + 1).c_str(), gridX, gridY,
                 gridZ, blockX, blockY, blockZ);
  return CUDA_SUCCESS;
}

CUresult cuStreamCreate(CUstream *stream, unsigned int) {
  std::lock_guard<std::mutex> lock(state().mutex);
  void *s = std::malloc(1);
  state().streams.insert(s);
  *stream = static_cast<CUstream>(s);
  return CUDA_SUCCESS;
}

CUresult cuStreamDestroy(CUstream stream) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!state().streams.erase(stream))
    return fail("cuStreamDestroy: unknown stream");
  std::free(stream);
  return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream stream) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (stream && !state().streams.count(stream))
    return fail("cuStreamSynchronize: unknown stream");
  return CUDA_SUCCESS;
}

CUresult cuMemAlloc(CUdeviceptr *pointer, size_t bytes) {
  void *p = std::calloc(bytes ? bytes : 1, 1);
  std::lock_guard<std::mutex> lock(state().mutex);
  state().allocations[reinterpret_cast<uintptr_t>(p)] = bytes;
  ++state().allocationCount;
  *pointer = reinterpret_cast<CUdeviceptr>(p);
  return CUDA_SUCCESS;
}

CUresult cuMemFree(CUdeviceptr pointer) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!state().allocations.erase(pointer))
    return fail("cuMemFree: not a device allocation");
  std::free(reinterpret_cast<void *>(pointer));
  return CUDA_SUCCESS;
}

/// Whether [p, p + bytes) lies in one allocation; host memory counts as
/// valid too (cuMemcpy takes unified addresses).
static bool inAllocation(CUdeviceptr p, size_t bytes) {
  auto &a = state().allocations;
  auto it = a.upper_bound(p);
  if (it == a.begin())
    return false;
  --it;
  return p + bytes <= it->first + it->second;
}

CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!inAllocation(dst, bytes) && !inAllocation(src, bytes))
    return fail("cuMemcpy: neither side is device memory");
  std::memcpy(reinterpret_cast<void *>(dst), reinterpret_cast<void *>(src),
              bytes);
  return CUDA_SUCCESS;
}

CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                       CUstream) {
  return cuMemcpy(dst, src, bytes);
}

CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t count,
                          CUstream) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!inAllocation(dst, count * 4))
    return fail("cuMemsetD32Async: not device memory");
  auto *p = reinterpret_cast<unsigned int *>(dst);
  for (size_t i = 0; i < count; ++i)
    p[i] = value;
  return CUDA_SUCCESS;
}

} // extern "C"
