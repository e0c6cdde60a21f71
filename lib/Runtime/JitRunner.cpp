//===- JitRunner.cpp - JIT-compile and run lpq modules --------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Runtime/JitRunner.h"

#include "lpq/Dialect/LPQ/Transforms/ResultDims.h"
#include "lpq/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#ifdef LPQ_HAVE_CUDA_RUNTIME
#include "lpq/Runtime/CudaRuntime.h"
#endif
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <malloc.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

// From the OpenMP runtime (libomp) the kernels run on.
extern "C" void omp_set_num_threads(int);

using namespace mlir;
using namespace mlir::lpq::runtime;

JitModule::~JitModule() = default;

std::optional<DType> mlir::lpq::runtime::dtypeOf(Type t) {
  if (t.isF32())
    return DType::F32;
  if (t.isInteger(32))
    return DType::I32;
  if (t.isInteger(64))
    return DType::I64;
  if (t.isF64())
    return DType::F64;
  return std::nullopt;
}

std::optional<std::string> mlir::lpq::runtime::cudaUnavailable() {
#ifdef LPQ_HAVE_CUDA_RUNTIME
  return cuda::initialize();
#else
  return std::string("lpq was built without the CUDA toolkit");
#endif
}

std::optional<double> mlir::lpq::runtime::cudaCopySeconds(size_t bytes,
                                                          int repeat) {
#ifdef LPQ_HAVE_CUDA_RUNTIME
  if (cudaUnavailable())
    return std::nullopt;
  void *src = cuda::allocate(bytes), *dst = cuda::allocate(bytes);
  std::vector<double> times;
  for (int r = 0; r <= std::max(repeat, 1); ++r) {
    auto start = std::chrono::steady_clock::now();
    cuda::copyOnDevice(dst, src, bytes);
    cuda::synchronize();
    if (r > 0) // the first copy warms up
      times.push_back(std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count());
  }
  cuda::release(src);
  cuda::release(dst);
  if (cuda::takeError())
    return std::nullopt;
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
#else
  return std::nullopt;
#endif
}

void mlir::lpq::runtime::setNumThreads(int threads) {
  if (threads > 0)
    omp_set_num_threads(threads);
}

namespace {

std::string describe(const Array &a) {
  std::string s = a.dtype == DType::F32   ? "float32"
                  : a.dtype == DType::I32 ? "int32"
                  : a.dtype == DType::F64 ? "float64"
                                          : "int64";
  s += " array of shape ";
  for (size_t i = 0; i < a.shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(a.shape[i]);
  if (a.shape.empty())
    s += "()";
  return s;
}

std::string str(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// LLVM's O3 pipeline for the host, with the vectorizers on or off.
std::function<llvm::Error(llvm::Module *)>
makeTransformer(bool vectorize, llvm::TargetMachine *tm) {
  return [vectorize, tm](llvm::Module *m) -> llvm::Error {
    llvm::PipelineTuningOptions tuning;
    tuning.LoopVectorization = vectorize;
    tuning.SLPVectorization = vectorize;
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm, tuning);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm =
        pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
    mpm.run(*m, mam);
    return llvm::Error::success();
  };
}

/// A failed runtime check (`cf.assert` from the pipelines' runtime-checks,
/// on the host) calls puts(message), then abort(). In the JIT the message
/// goes to stderr, and the process exits with status 1 instead of a signal
/// (which would leave the message in stdout's buffer and print LLVM's crash
/// report).
extern "C" int lpqRuntimeCheckMessage(const char *message) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", message);
  return 0;
}

extern "C" void lpqRuntimeCheckFailed() {
  std::fprintf(stderr, "lpq: a runtime check of the compiled program failed "
                       "(above); stopping\n");
  std::fflush(stderr);
  std::_Exit(1);
}

} // namespace

/// Whether the host's CPU has AVX-512 (its foundation, `avx512f`).
static bool hostHasAVX512() {
  return llvm::sys::getHostCPUFeatures().lookup("avx512f");
}

/// The vector width the CPU pipeline prefers when the options leave it to
/// the target (0): 512 bits on hosts with AVX-512. LLVM's tuning for Intel
/// server CPUs prefers 256 bits (to spare the clock). With 512, lpq's
/// stochastic rounding (Philox, the decision) makes the SWALP steps 4-6%
/// faster, while the MLP's float32 step is 2-3% slower (docs/performance.md,
/// "Vector width"): quantized steps are what lpq is for.
unsigned mlir::lpq::runtime::hostVectorWidth(unsigned requested) {
  if (requested != 0)
    return requested;
  return hostHasAVX512() ? 512 : 0;
}

/// Whether the host's CPU is an Intel one (CPUID's vendor string).
static bool hostIsIntel() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
    return false;
  char vendor[12];
  std::memcpy(vendor, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  return llvm::StringRef(vendor, 12) == "GenuineIntel";
#else
  return false;
#endif
}

/// `fuse-rows` when the options leave it to the host. On an Intel Xeon with
/// AVX-512 (Emerald Rapids) fusing the nests over the same rows made the
/// MLP's SWALP step 4-6% faster and the CNN's about 1% (float32 steps
/// within 1-3%); on AMD's Zen 4 it made the MLP's SWALP step 4-9% slower
/// (docs/performance.md, "lpq-fuse-row-loops"). Same results either way.
bool mlir::lpq::runtime::hostFuseRows(std::optional<bool> requested) {
  if (requested)
    return *requested;
  return hostHasAVX512() && hostIsIntel();
}

/// The GPU pipelines' loop shape and checks, as `options` ask.
static void setGPULoopOptions(mlir::lpq::GPUPipelineOptions &gpuOptions,
                              const JitOptions &options) {
  gpuOptions.blockSize = options.gpuBlockSize;
  gpuOptions.elementsPerThread = options.gpuElementsPerThread;
  gpuOptions.runtimeChecks = options.runtimeChecks;
  gpuOptions.testReverseBlocks = options.gpuReverseBlocks;
}

std::unique_ptr<JitModule> JitModule::compile(ModuleOp module,
                                              const JitOptions &options,
                                              std::string &error) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    // Compiled steps allocate their temporaries (megabytes for a training
    // step) on every call. glibc serves blocks above its mmap threshold with
    // fresh mappings, so each call would pay page faults and zeroing for all
    // of them (4x the MLP step's time on these VMs): keep freed memory in
    // the heap for reuse instead.
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
  }();
  (void)initialized;

  std::unique_ptr<JitModule> jit(new JitModule());
  for (auto f : module.getOps<func::FuncOp>()) {
    if (f.isExternal() || !f.isPublic())
      continue;
    FunctionType type = f.getFunctionType();
    jit->signatures[f.getSymName()] = type;
    // The pipelines' lpq-result-dims adds NAME_result_dims, which returns
    // the extents of NAME's dynamically shaped results.
    if (RankedTensorType dims = lpq::resultDimsType(type))
      jit->resultDims[lpq::resultDimsName(f.getSymName())] =
          FunctionType::get(module.getContext(), type.getInputs(), {dims});
  }

  MLIRContext *ctx = module.getContext();
  DialectRegistry registry;
  registerAllToLLVMIRTranslations(registry);
  ctx->appendDialectRegistry(registry);

  PassManager pm(ctx);
  std::string pipelineErrors;
  llvm::raw_string_ostream errs(pipelineErrors);
  jit->cuda = options.cuda;
  if (options.cuda) {
    if (std::optional<std::string> why = cudaUnavailable()) {
      error = "cannot run on CUDA: " + *why;
      return nullptr;
    }
#ifdef LPQ_HAVE_CUDA_RUNTIME
    GPUPipelineOptions gpuOptions;
    gpuOptions.chip = cuda::architecture();
    gpuOptions.format = "bin";
    // The toolkit whose ptxas makes the cubins (default /usr/local/cuda).
    const char *toolkit = std::getenv("LPQ_CUDA_TOOLKIT");
    if (toolkit && *toolkit)
      gpuOptions.toolkit = toolkit;
    setGPULoopOptions(gpuOptions, options);
    if (failed(buildGPUPipeline(pm, gpuOptions))) {
      error = "cannot build lpq-gpu-pipeline";
      return nullptr;
    }
#endif
  } else if (options.gpuLoopsOnHost) {
    GPUPipelineOptions gpuOptions;
    setGPULoopOptions(gpuOptions, options);
    if (failed(buildGPULoopsOnHostPipeline(pm, gpuOptions))) {
      error = "cannot build the GPU loop nests for the host";
      return nullptr;
    }
  } else {
    CPUPipelineOptions pipelineOptions;
    pipelineOptions.threads = options.threads;
    pipelineOptions.vectorWidth = hostVectorWidth(options.vectorWidth);
    pipelineOptions.fusion = options.fusion;
    pipelineOptions.tileContractions = options.tileContractions;
    pipelineOptions.bufferRandomWords = options.bufferRandomWords;
    pipelineOptions.skipOnGrid = options.skipOnGrid;
    pipelineOptions.fuseRows = hostFuseRows(options.fuseRows);
    pipelineOptions.runtimeChecks = options.runtimeChecks;
    if (std::optional<std::string> why = checkOptions(pipelineOptions)) {
      error = "lpq-cpu-pipeline: " + *why;
      return nullptr;
    }
    if (failed(buildCPUPipeline(pm, pipelineOptions))) {
      error = "cannot build lpq-cpu-pipeline";
      return nullptr;
    }
  }
  {
    ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
      errs << d.getLocation() << ": " << d.str() << "\n";
      return success();
    });
    if (failed(pm.run(module))) {
      error = std::string("lowering with ") +
              (options.cuda ? "lpq-gpu-pipeline" : "lpq-cpu-pipeline") +
              " failed:\n" + pipelineErrors;
      return nullptr;
    }
  }

  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder) {
    error = llvm::toString(tmBuilder.takeError());
    return nullptr;
  }
  auto tm = tmBuilder->createTargetMachine();
  if (!tm) {
    error = llvm::toString(tm.takeError());
    return nullptr;
  }
  ExecutionEngineOptions engineOptions;
  // The options hold a function_ref: the transformer must outlive create().
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeTransformer(options.vectorize, tm->get());
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // LPQ_PERF=1: name the JIT-compiled functions for `perf record -k 1` +
  // `perf inject --jit`.
  engineOptions.enablePerfNotificationListener = std::getenv("LPQ_PERF");
  // The libraries kernels may call; the variables relocate them (a copy of
  // the tools on a machine without LLVM, as scripts/device-bundle.sh makes).
  // lpq's pipelines call only malloc and free on the host today, so
  // LPQ_RUNNER_UTILS=none leaves MLIR's runner utilities out.
  auto library = [](const char *variable, const char *path) {
    const char *set = std::getenv(variable);
    return std::string(set && *set ? set : path);
  };
  std::string runnerUtils = library(
      "LPQ_RUNNER_UTILS", "/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so");
  SmallVector<StringRef> libs;
  if (runnerUtils != "none")
    libs.push_back(runnerUtils);
#ifdef LPQ_HAVE_CUDA_RUNTIME
  std::string cudaRuntime =
      library("LPQ_CUDA_RUNTIME", LPQ_CUDA_RUNTIME_PATH);
  if (options.cuda)
    libs.push_back(cudaRuntime);
#endif
  engineOptions.sharedLibPaths = libs;
  auto engine = ExecutionEngine::create(module, engineOptions, std::move(*tm));
  if (!engine) {
    error = "JIT compilation failed: " + llvm::toString(engine.takeError());
    return nullptr;
  }
  jit->engine = std::move(*engine);
  jit->engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    auto bind = [&](const char *name, auto *function) {
      symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(function),
                                 llvm::JITSymbolFlags::Exported};
    };
    bind("puts", &lpqRuntimeCheckMessage);
    bind("abort", &lpqRuntimeCheckFailed);
    return symbols;
  });
  // Runs global constructors: GPU modules load their kernels there.
  jit->engine->initialize();
#ifdef LPQ_HAVE_CUDA_RUNTIME
  if (options.cuda)
    if (std::optional<std::string> e = cuda::takeError()) {
      error = "loading the GPU kernels failed: " + *e;
      return nullptr;
    }
#endif
  return jit;
}

std::vector<std::string> JitModule::entryNames() const {
  std::vector<std::string> names;
  for (const auto &e : signatures)
    names.push_back(e.getKey().str());
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<FunctionType> JitModule::signature(llvm::StringRef name) const {
  auto it = signatures.find(name);
  if (it == signatures.end())
    return std::nullopt;
  return it->second;
}

std::optional<std::vector<Array>> JitModule::run(llvm::StringRef name,
                                                 llvm::ArrayRef<Argument> args,
                                                 std::string &error) {
  std::vector<Array> results;
  if (!runInto(name, args, results, error))
    return std::nullopt;
  return results;
}

bool JitModule::runInto(llvm::StringRef name, llvm::ArrayRef<Argument> args,
                        std::vector<Array> &results, std::string &error) {
  std::vector<double> times;
  return runRepeated(name, args, 1, results, times, error);
}

bool JitModule::runRepeated(llvm::StringRef name,
                            llvm::ArrayRef<Argument> args, int repeat,
                            std::vector<Array> &results,
                            std::vector<double> &times, std::string &error) {
  std::optional<FunctionType> type = signature(name);
  if (auto it = resultDims.find(name); !type && it != resultDims.end())
    type = it->second;
  if (!type) {
    error = "no function '" + name.str() + "'";
    return false;
  }
  if (type->getNumInputs() != args.size()) {
    error = "function '" + name.str() + "' takes " +
            std::to_string(type->getNumInputs()) + " arguments, " +
            std::to_string(args.size()) + " given";
    return false;
  }

  // Every LLVM-level argument lives in a slot; invokePacked gets pointers to
  // the slots. A memref is (allocated, aligned, offset, sizes, strides).
  std::deque<int64_t> slots;
  SmallVector<void *> packed;
  auto push = [&](int64_t v) {
    slots.push_back(v);
    packed.push_back(&slots.back());
  };
  // On CUDA every tensor lives in device memory for the call.
  std::vector<void *> deviceBuffers;
  auto dataPointer = [&](const Array &a) -> const void * {
#ifdef LPQ_HAVE_CUDA_RUNTIME
    if (cuda) {
      void *d = cuda::allocate(a.bytes.size());
      deviceBuffers.push_back(d);
      return d;
    }
#endif
    return a.bytes.data();
  };
  auto pushMemref = [&](const Array &a) {
    auto ptr = reinterpret_cast<int64_t>(dataPointer(a));
    push(ptr);
    push(ptr);
    push(0);
    for (int64_t d : a.shape)
      push(d);
    int64_t stride = 1;
    std::vector<int64_t> strides(a.shape.size());
    for (int64_t d = static_cast<int64_t>(a.shape.size()) - 1; d >= 0; --d) {
      strides[d] = stride;
      stride *= a.shape[d];
    }
    for (int64_t s : strides)
      push(s);
  };

  std::vector<const Array *> inputs;
  inputs.reserve(args.size());
  for (auto [i, t] : llvm::enumerate(type->getInputs())) {
    std::string where = "argument #" + std::to_string(i);
    if (auto tensor = dyn_cast<RankedTensorType>(t)) {
      std::optional<DType> dtype = dtypeOf(tensor.getElementType());
      if (!dtype) {
        error = where + ": element type " + str(tensor.getElementType()) +
                " is not supported (f32, f64, i32, i64)";
        return false;
      }
      if (!args[i].array) {
        error = where + ": expected " + str(t) + ", got a number";
        return false;
      }
      const Array &a = *args[i].array;
      bool fits = a.dtype == *dtype &&
                  static_cast<int64_t>(a.shape.size()) == tensor.getRank();
      for (int64_t d = 0; fits && d < tensor.getRank(); ++d)
        fits = tensor.isDynamicDim(d) || tensor.getDimSize(d) == a.shape[d];
      if (!fits) {
        error = where + ": expected " + str(t) + ", got " + describe(a);
        return false;
      }
      inputs.push_back(&a);
      continue;
    }
    if (args[i].array) {
      error = where + ": expected a " + str(t) + " number, got " +
              describe(*args[i].array);
      return false;
    }
    inputs.push_back(nullptr);
  }
  for (auto [i, t] : llvm::enumerate(type->getInputs())) {
    if (isa<RankedTensorType>(t)) {
      pushMemref(*inputs[i]);
      continue;
    }
    double v = args[i].number;
    if (t.isF32()) {
      float f = static_cast<float>(v);
      int64_t bits = 0;
      std::memcpy(&bits, &f, 4);
      push(bits);
    } else if (t.isF64()) {
      int64_t bits;
      std::memcpy(&bits, &v, 8);
      push(bits);
    } else if (t.isIntOrIndex()) {
      push(args[i].integer);
    } else {
      error = "argument #" + std::to_string(i) + ": type " + str(t) +
              " is not supported";
      return false;
    }
  }

  // The extents of dynamically shaped results, from NAME_result_dims.
  std::vector<int64_t> extents;
  if (std::string dimsName = lpq::resultDimsName(name);
      resultDims.count(dimsName)) {
    std::vector<Array> dims;
    if (!runInto(dimsName, args, dims, error))
      return false;
    extents.assign(dims[0].data<int64_t>(),
                   dims[0].data<int64_t>() + dims[0].numElements());
  }
  size_t nextExtent = 0;

  // Result arrays of the right type and shape are reused as they are.
  results.resize(type->getNumResults());
  for (auto [r, t] : llvm::enumerate(type->getResults())) {
    auto tensor = dyn_cast<RankedTensorType>(t);
    std::optional<DType> dtype =
        tensor ? dtypeOf(tensor.getElementType()) : std::nullopt;
    if (!dtype) {
      error = "result #" + std::to_string(r) + ": type " + str(t) +
              " is not supported: results are ranked tensors of f32, f64, "
              "i32 or i64 (return a scalar as a 0-d tensor)";
      return false;
    }
    std::vector<int64_t> shape(tensor.getShape().begin(),
                               tensor.getShape().end());
    int64_t elements = 1;
    for (int64_t &d : shape) {
      if (ShapedType::isDynamic(d)) {
        if (nextExtent >= extents.size() || extents[nextExtent] < 0) {
          error = "result #" + std::to_string(r) + " (" + str(t) +
                  "): the module computes no valid extents for it (compile "
                  "it with lpq-cpu-pipeline, whose lpq-result-dims adds " +
                  lpq::resultDimsName(name) + ")";
          return false;
        }
        d = extents[nextExtent++];
      }
      // (A corrupt extent must not become an allocation of exabytes.)
      if (d != 0 && elements > (int64_t(1) << 36) / d) {
        error = "result #" + std::to_string(r) + " (" + str(t) +
                ") would have more than 2^36 elements";
        return false;
      }
      elements *= d;
    }
    Array &out = results[r];
    if (out.dtype != *dtype || out.shape != shape ||
        out.bytes.size() != out.numElements() * dtypeSize(*dtype))
      results[r] = Array::zeros(*dtype, shape);
  }
  for (Array &a : results)
    pushMemref(a);

#ifdef LPQ_HAVE_CUDA_RUNTIME
  // Inputs come first among the device buffers, in argument order.
  if (cuda) {
    size_t b = 0;
    for (const Array *a : inputs)
      if (a)
        cuda::copyToDevice(deviceBuffers[b++], a->bytes.data(),
                           a->bytes.size());
    cuda::synchronize();
  }
#endif
  for (int r = 0; r < std::max(repeat, 1); ++r) {
    auto start = std::chrono::steady_clock::now();
    if (llvm::Error e = engine->invokePacked(name, packed)) {
      error = "running '" + name.str() + "' failed: " +
              llvm::toString(std::move(e));
      return false;
    }
#ifdef LPQ_HAVE_CUDA_RUNTIME
    if (cuda)
      cuda::synchronize();
#endif
    times.push_back(std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  }
#ifdef LPQ_HAVE_CUDA_RUNTIME
  if (cuda) {
    size_t first = deviceBuffers.size() - results.size();
    for (size_t r = 0; r < results.size(); ++r)
      cuda::copyToHost(results[r].bytes.data(), deviceBuffers[first + r],
                       results[r].bytes.size());
    for (void *d : deviceBuffers)
      cuda::release(d);
    if (std::optional<std::string> e = cuda::takeError()) {
      error = "running '" + name.str() + "' on CUDA failed: " + *e;
      return false;
    }
  }
#endif
  return true;
}
