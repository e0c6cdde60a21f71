//===- CudaRuntime.cpp - The CUDA runtime lpq kernels call ----------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// The driver API is loaded with dlopen: nothing links against libcuda, so
// lpq's tools run (on the CPU) where no driver is installed. Errors are
// recorded, not fatal: after the first one every call does nothing, and the
// caller (the JIT runner) reports it when the kernel returns.
//
//===----------------------------------------------------------------------===//

#include "lpq/Runtime/CudaRuntime.h"

#include "TemporaryPool.h"

#include <cuda.h>
#include <dlfcn.h>

#include <cstdint>
#include <mutex>

using namespace mlir::lpq::runtime;

namespace {

/// The driver entry points lpq uses, resolved from libcuda.so.1.
struct Driver {
#define LPQ_CU(name) decltype(&::name) name = nullptr;
  LPQ_CU(cuInit)
  LPQ_CU(cuDeviceGetCount)
  LPQ_CU(cuDeviceGet)
  LPQ_CU(cuDeviceGetAttribute)
  LPQ_CU(cuDevicePrimaryCtxRetain)
  LPQ_CU(cuCtxSetCurrent)
  LPQ_CU(cuGetErrorString)
  LPQ_CU(cuModuleLoadData)
  LPQ_CU(cuModuleUnload)
  LPQ_CU(cuModuleGetFunction)
  LPQ_CU(cuLaunchKernel)
  LPQ_CU(cuStreamCreate)
  LPQ_CU(cuStreamDestroy)
  LPQ_CU(cuStreamSynchronize)
  LPQ_CU(cuMemAlloc)
  LPQ_CU(cuMemFree)
  LPQ_CU(cuMemcpy)
  LPQ_CU(cuMemcpyAsync)
  LPQ_CU(cuCtxSynchronize)
  LPQ_CU(cuMemsetD32Async)
#undef LPQ_CU
  CUcontext context = nullptr;
  std::string error;
};

Driver &driver() {
  static Driver d;
  return d;
}

std::mutex errorMutex;
std::optional<std::string> firstError;

void record(const std::string &message) {
  std::lock_guard<std::mutex> lock(errorMutex);
  if (!firstError)
    firstError = message;
}

bool failed() {
  std::lock_guard<std::mutex> lock(errorMutex);
  return firstError.has_value();
}

/// Checks a driver result; records and returns false on failure.
bool check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return true;
  const char *text = nullptr;
  if (driver().cuGetErrorString)
    driver().cuGetErrorString(result, &text);
  record(std::string(what) + " failed: " + (text ? text : "unknown error") +
         " (CUDA error " + std::to_string(result) + ")");
  return false;
}

std::optional<std::string> load() {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (!lib)
    return std::string("the CUDA driver (libcuda.so.1) is not installed");
  Driver &d = driver();
  // cuda.h maps some names to versioned symbols (cuMemAlloc ->
  // cuMemAlloc_v2); resolve the symbol the header's name stands for.
#define LPQ_STR2(x) #x
#define LPQ_STR(x) LPQ_STR2(x)
#define LPQ_RESOLVE(name)                                                      \
  d.name = reinterpret_cast<decltype(d.name)>(dlsym(lib, LPQ_STR(name)));      \
  if (!d.name)                                                                 \
    return std::string("the CUDA driver lacks " LPQ_STR(name));
  LPQ_RESOLVE(cuInit)
  LPQ_RESOLVE(cuDeviceGetCount)
  LPQ_RESOLVE(cuDeviceGet)
  LPQ_RESOLVE(cuDeviceGetAttribute)
  LPQ_RESOLVE(cuDevicePrimaryCtxRetain)
  LPQ_RESOLVE(cuCtxSetCurrent)
  LPQ_RESOLVE(cuGetErrorString)
  LPQ_RESOLVE(cuModuleLoadData)
  LPQ_RESOLVE(cuModuleUnload)
  LPQ_RESOLVE(cuModuleGetFunction)
  LPQ_RESOLVE(cuLaunchKernel)
  LPQ_RESOLVE(cuStreamCreate)
  LPQ_RESOLVE(cuStreamDestroy)
  LPQ_RESOLVE(cuStreamSynchronize)
  LPQ_RESOLVE(cuMemAlloc)
  LPQ_RESOLVE(cuMemFree)
  LPQ_RESOLVE(cuMemcpy)
  LPQ_RESOLVE(cuMemcpyAsync)
  LPQ_RESOLVE(cuCtxSynchronize)
  LPQ_RESOLVE(cuMemsetD32Async)
#undef LPQ_RESOLVE
  if (d.cuInit(0) != CUDA_SUCCESS)
    return std::string("cuInit failed: no usable CUDA driver or device");
  int count = 0;
  if (d.cuDeviceGetCount(&count) != CUDA_SUCCESS || count == 0)
    return std::string("no CUDA device is present");
  CUdevice device;
  if (d.cuDeviceGet(&device, 0) != CUDA_SUCCESS ||
      d.cuDevicePrimaryCtxRetain(&d.context, device) != CUDA_SUCCESS)
    return std::string("cannot create a context on CUDA device 0");
  return std::nullopt;
}

/// Makes the primary context current on the calling thread, initializing
/// the driver first (lowered modules load their kernels from global
/// constructors, before any other call).
bool enter() {
  if (failed())
    return false;
  if (std::optional<std::string> why = cuda::initialize()) {
    record(*why);
    return false;
  }
  return check(driver().cuCtxSetCurrent(driver().context), "cuCtxSetCurrent");
}

} // namespace

std::optional<std::string> cuda::initialize() {
  static std::once_flag once;
  static std::optional<std::string> status;
  std::call_once(once, [] { status = load(); });
  return status;
}

std::string cuda::architecture() {
  int major = 0, minor = 0;
  CUdevice device;
  Driver &d = driver();
  if (enter() && check(d.cuDeviceGet(&device, 0), "cuDeviceGet")) {
    d.cuDeviceGetAttribute(
        &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
    d.cuDeviceGetAttribute(
        &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
  }
  return "sm_" + std::to_string(major) + std::to_string(minor);
}

void *cuda::allocate(size_t bytes) {
  CUdeviceptr p = 0;
  if (enter())
    check(driver().cuMemAlloc(&p, bytes ? bytes : 1), "cuMemAlloc");
  return reinterpret_cast<void *>(p);
}

void cuda::release(void *pointer) {
  if (pointer && enter())
    check(driver().cuMemFree(reinterpret_cast<CUdeviceptr>(pointer)),
          "cuMemFree");
}

void cuda::copyToDevice(void *device, const void *host, size_t bytes) {
  if (bytes && enter())
    check(driver().cuMemcpy(reinterpret_cast<CUdeviceptr>(device),
                            reinterpret_cast<CUdeviceptr>(host), bytes),
          "cuMemcpy to the device");
}

void cuda::copyToHost(void *host, const void *device, size_t bytes) {
  if (bytes && enter())
    check(driver().cuMemcpy(reinterpret_cast<CUdeviceptr>(host),
                            reinterpret_cast<CUdeviceptr>(device), bytes),
          "cuMemcpy to the host");
}

void cuda::copyOnDevice(void *dst, const void *src, size_t bytes) {
  if (bytes && enter())
    check(driver().cuMemcpy(reinterpret_cast<CUdeviceptr>(dst),
                            reinterpret_cast<CUdeviceptr>(src), bytes),
          "cuMemcpy on the device");
}

void cuda::synchronize() {
  if (enter())
    check(driver().cuCtxSynchronize(), "cuCtxSynchronize");
}

std::optional<std::string> cuda::takeError() {
  std::lock_guard<std::mutex> lock(errorMutex);
  std::optional<std::string> e = std::move(firstError);
  firstError.reset();
  return e;
}

//===----------------------------------------------------------------------===//
// The mgpu* functions lowered host code calls
//===----------------------------------------------------------------------===//

namespace {

/// Freed temporaries of lowered code, for reuse (see TemporaryPool.h).
TemporaryPool &temporaries() {
  // Never destroyed: lowered code may free buffers from static destructors.
  static TemporaryPool *pool =
      new TemporaryPool([](uint64_t bytes) { return cuda::allocate(bytes); },
                        [](const std::string &message) { record(message); });
  return *pool;
}

} // namespace

extern "C" {

CUmodule mgpuModuleLoad(void *data, size_t /*size*/) {
  CUmodule module = nullptr;
  if (enter())
    check(driver().cuModuleLoadData(&module, data), "cuModuleLoadData");
  return module;
}

void mgpuModuleUnload(CUmodule module) {
  if (module && enter())
    check(driver().cuModuleUnload(module), "cuModuleUnload");
}

CUfunction mgpuModuleGetFunction(CUmodule module, const char *name) {
  CUfunction function = nullptr;
  if (module && enter())
    check(driver().cuModuleGetFunction(&function, module, name),
          "cuModuleGetFunction");
  return function;
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, CUstream stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  if (!function || !enter())
    return;
  // A loop over an empty tensor launches no threads: nothing to do (the
  // driver would reject the empty grid or block).
  if (!gridX || !gridY || !gridZ || !blockX || !blockY || !blockZ)
    return;
  check(driver().cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY,
                                blockZ, smem, stream, params, extra),
        "cuLaunchKernel");
}

CUstream mgpuStreamCreate() {
  CUstream stream = nullptr;
  if (enter())
    check(driver().cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
          "cuStreamCreate");
  return stream;
}

void mgpuStreamDestroy(CUstream stream) {
  if (!stream || !enter())
    return;
  // Wait first: buffers freed on the stream become free for every stream.
  check(driver().cuStreamSynchronize(stream), "cuStreamSynchronize");
  temporaries().streamDone(stream);
  check(driver().cuStreamDestroy(stream), "cuStreamDestroy");
}

void mgpuStreamSynchronize(CUstream stream) {
  if (stream && enter())
    check(driver().cuStreamSynchronize(stream), "cuStreamSynchronize");
}

void *mgpuMemAlloc(uint64_t bytes, CUstream stream, bool isHostShared) {
  if (isHostShared) {
    record("host-shared GPU allocations are not supported by lpq's runtime");
    return nullptr;
  }
  return temporaries().take(bytes, stream);
}

void mgpuMemFree(void *pointer, CUstream stream) {
  temporaries().give(pointer, stream);
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, CUstream stream) {
  if (bytes && enter())
    check(driver().cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                                 reinterpret_cast<CUdeviceptr>(src), bytes,
                                 stream),
          "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned int value, size_t count,
                  CUstream stream) {
  if (count && enter())
    check(driver().cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value,
                                    count, stream),
          "cuMemsetD32Async");
}

} // extern "C"
