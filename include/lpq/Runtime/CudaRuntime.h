//===- CudaRuntime.h - The CUDA runtime lpq kernels call --------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Host code lowered by lpq-gpu-pipeline calls the `mgpu*` functions (module
// loading, kernel launches, streams, device memory) that MLIR's GPU-to-LLVM
// lowering emits; lib/Runtime/CudaRuntime.cpp implements them over the CUDA
// driver API, which it loads at run time (libcuda.so.1), so programs linked
// with it start on machines without a GPU and report that cleanly.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_RUNTIME_CUDARUNTIME_H
#define LPQ_RUNTIME_CUDARUNTIME_H

#include <cstddef>
#include <optional>
#include <string>

namespace mlir::lpq::runtime::cuda {

/// Loads the driver, initializes it and makes device 0's primary context
/// current. Returns an error message when no CUDA device can be used.
std::optional<std::string> initialize();

/// The architecture of device 0 ("sm_90"); initialize() must have succeeded.
std::string architecture();

/// Device memory.
void *allocate(size_t bytes);
void release(void *pointer);
void copyToDevice(void *device, const void *host, size_t bytes);
void copyToHost(void *host, const void *device, size_t bytes);
void copyOnDevice(void *dst, const void *src, size_t bytes);

/// Waits until everything queued on the device has finished (copies from
/// pageable host memory may still be in flight when cuMemcpy returns, and
/// lowered code launches on its own non-blocking streams).
void synchronize();

/// The first error any runtime call reported since the last call of this
/// function (and clears it), or nullopt.
std::optional<std::string> takeError();

} // namespace mlir::lpq::runtime::cuda

#endif // LPQ_RUNTIME_CUDARUNTIME_H
