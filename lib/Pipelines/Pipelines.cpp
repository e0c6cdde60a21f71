//===- Pipelines.cpp - lpq pass pipelines ---------------------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Pipelines/Pipelines.h"

#include "lpq/Conversion/Passes.h"
#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/MathExtras.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>

using namespace mlir;

namespace {
void registerUpstreamPasses() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerAllPasses();
    lpq::registerLPQPasses();
    lpq::registerLPQConversionPasses();
  });
}
} // namespace

/// Expansion and bufferization, shared by the CPU and GPU pipelines: results
/// are computed in caller-provided buffers.
/// `gatherWindows`: convolutions' input gradients take gather form, an
/// output element per iteration of the parallel loops (for the CPU's tiles
/// and the GPU's threads). `nonOverlappingWindows`: max pooling's input
/// adjoint too, elementwise (for the GPU's threads).
/// `tileLanes`: the lanes of the CPU's contraction tiles, for which short
/// output rows are transposed (1 for the GPU's warps: none are); 0 for no
/// lpq-transpose-contractions.
/// `skipOnGrid`: stochastic roundings marked lpq.expect_on_grid first check
/// whether their input lies on the grid (CPU only: the GPU's host cannot
/// branch on device memory).
/// `runtimeChecks`: dynamic extents the ops need to agree are checked where
/// the program runs; after fusion, so that fused-away ops are not checked,
/// and canonicalized: static ones fold away. The checks read only extents
/// (memref descriptors, on the host for the GPU) and indices.
/// `checkDestinations`: the caller's destinations for dynamically shaped
/// results are checked to have the results' extents.
static std::string bufferizedTensorProgram(bool fusion, bool gatherWindows,
                                           bool nonOverlappingWindows,
                                           unsigned tileLanes, bool skipOnGrid,
                                           bool runtimeChecks,
                                           bool checkDestinations) {
  std::string p = "lpq-result-dims,";
  if (skipOnGrid)
    p += "func.func(lpq-skip-rounding-on-grid),";
  p += "convert-lpq-to-arith,"
       "resolve-ranked-shaped-type-result-dims,lpq-portable-math,"
       "canonicalize,cse,";
  if (fusion)
    p += "lpq-fuse-elementwise,";
  if (runtimeChecks)
    p += "generate-runtime-verification{verbose-level=1},canonicalize,";
  if (gatherWindows)
    p += nonOverlappingWindows ? "lpq-gather-windows{non-overlapping},"
                               : "lpq-gather-windows,";
  if (tileLanes)
    p += "lpq-transpose-contractions{lanes=" + std::to_string(tileLanes) + "},";
  p += "lpq-order-loops,lpq-unshare-destinations,";
  p += checkDestinations ? "lpq-results-to-destinations{check-extents},"
                         : "lpq-results-to-destinations,";
  return p + "eliminate-empty-tensors,"
             "one-shot-bufferize{bufferize-function-boundaries "
             "function-boundary-type-conversion=identity-layout-map},"
             "buffer-deallocation-pipeline,convert-bufferization-to-memref,"
             "canonicalize,lpq-copies-to-loops,";
}

/// float32 lanes of the host's widest vectors.
static unsigned hostVectorLanes() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  if (features.lookup("avx512f"))
    return 16;
  if (features.lookup("avx"))
    return 8;
  return 4;
}

std::optional<std::string>
lpq::checkOptions(const CPUPipelineOptions &options) {
  unsigned width = options.vectorWidth, lanes = options.vectorLanes;
  if (width != 0 && (width < 64 || width > 2048 || !llvm::isPowerOf2_32(width)))
    return "vector-width must be 0 (the target's default) or a power of two "
           "from 64 to 2048 bits, got " +
           std::to_string(width);
  if (lanes != 0 && (lanes > 64 || !llvm::isPowerOf2_32(lanes)))
    return "vector-lanes must be 0 (the host's) or a power of two up to 64, "
           "got " +
           std::to_string(lanes);
  return std::nullopt;
}

std::optional<std::string>
lpq::checkOptions(const GPUPipelineOptions &options) {
  llvm::StringRef chip = options.chip.getValue();
  unsigned version;
  if (!chip.consume_front("sm_") || chip.getAsInteger(10, version))
    return "chip must be sm_<version>, e.g. sm_80 or sm_90, got '" +
           options.chip.getValue() + "'";
  const std::string &format = options.format.getValue();
  if (format != "isa" && format != "bin" && format != "fatbin")
    return "format must be isa (PTX), bin (cubin) or fatbin, got '" + format +
           "'";
  if (options.blockSize < 1 || options.blockSize > 1024)
    return "block-size must be from 1 to 1024 threads, got " +
           std::to_string(options.blockSize);
  if (options.elementsPerThread < 1)
    return "elements-per-thread must be at least 1, got " +
           std::to_string(options.elementsPerThread);
  if (options.toolkit.getValue().find_first_of(" {}") != std::string::npos)
    return "toolkit path must not contain spaces or braces, got '" +
           options.toolkit.getValue() + "'";
  return std::nullopt;
}

std::string lpq::cpuPipelineText(const CPUPipelineOptions &options) {
  unsigned lanes = options.vectorLanes ? options.vectorLanes
                                       : hostVectorLanes();
  std::string p = bufferizedTensorProgram(
      options.fusion, options.tileContractions,
      /*nonOverlappingWindows=*/false, options.tileContractions ? lanes : 0,
      options.skipOnGrid, options.runtimeChecks,
      /*checkDestinations=*/options.runtimeChecks);
  if (options.tileContractions) {
    // Tiles of up to rows x 3 vectors: 12 accumulators in the 16 registers of
    // AVX2, 24 in the 32 of AVX-512.
    unsigned rows = lanes >= 16 ? 8 : 4;
    p += "func.func(lpq-tile-contractions{lanes=" + std::to_string(lanes) +
         " rows=" + std::to_string(rows) + "}),";
  }
  p += "func.func(convert-linalg-to-affine-loops),";
  if (options.tileContractions)
    p += "func.func(lpq-vectorize-transposes,lpq-sink-output-loops),";
  if (options.fusion && options.fuseRows)
    p += "func.func(lpq-fuse-row-loops),";
  // Only the outermost parallel loop is parallelized: reductions stay
  // sequential, in row-major order, which the float64 sums of the row
  // formats rely on for bit-exact results.
  if (options.threads)
    p += "func.func(affine-parallelize{max-nested=1}),";
  p += "func.func(";
  if (options.bufferRandomWords)
    p += "lpq-buffer-random-words,";
  p += "lpq-unroll-random-groups,lpq-unswitch-fast-paths),lower-affine,"
       "canonicalize,"
       "func.func(lpq-roll-short-reductions),";
  if (options.threads)
    p += "convert-scf-to-openmp,";
  if (options.threads && options.fusion)
    p += "func.func(lpq-merge-parallel-regions),";
  // (expand-strided-metadata makes affine.apply of dynamic extents.)
  p += "expand-strided-metadata,lower-affine,finalize-memref-to-llvm,"
       "convert-scf-to-cf,convert-to-llvm,reconcile-unrealized-casts,"
       "lpq-roll-short-reductions";
  if (options.vectorWidth)
    p += ",lpq-set-vector-width{width=" +
         std::to_string(options.vectorWidth) + "}";
  return p;
}

/// Expansion, bufferization and the loop nests shaped for blocks and threads.
static std::string gpuLoopNests(const lpq::GPUPipelineOptions &options,
                                bool onHost) {
  // Destinations unchecked: lpq-run sizes them with the extents the
  // result-dims kernels compute, which the fake CUDA driver its tests run
  // against does not run (a check would stop every dynamic result there).
  // Threads of a warp take consecutive output elements along the last axis
  // (lpq-gpu-prepare-loops): with one lane, lpq-transpose-contractions gives
  // every input that reads that axis it contiguously (a warp's load of
  // w[n, k] for 32 outputs n touched 32 lines, of w.T[k, n] one) and
  // rearranges no short rows.
  return bufferizedTensorProgram(
             /*fusion=*/true, /*gatherWindows=*/true,
             /*nonOverlappingWindows=*/options.poolAdjointElementwise,
             /*tileLanes=*/options.transposeContractions ? 1 : 0,
             /*skipOnGrid=*/false, options.runtimeChecks,
             /*checkDestinations=*/false) +
         "func.func(lpq-gpu-reduction-loops,"
         "convert-linalg-to-parallel-loops),"
         "func.func(lpq-gpu-reduction-epilogues,lpq-gpu-reduction-prologues,"
         "lpq-gpu-prepare-loops{block-size=" +
         std::to_string(options.blockSize) +
         " elements-per-thread=" + std::to_string(options.elementsPerThread) +
         "},lpq-gpu-recompute-block-reductions," +
         (onHost ? "lpq-gpu-emulate-blocks," : "") +
         "lpq-unswitch-fast-paths{unswitch=false},lpq-gpu-fuse-launches" +
         (options.testReverseBlocks ? "{reverse-blocks}" : "") + "),";
}

std::string lpq::gpuLoopsOnHostPipelineText(const GPUPipelineOptions &options) {
  return gpuLoopNests(options, /*onHost=*/true) +
         "lower-affine,canonicalize,expand-strided-metadata,lower-affine,"
         "finalize-memref-to-llvm,convert-scf-to-cf,convert-to-llvm,"
         "reconcile-unrealized-casts";
}

std::string lpq::gpuPipelineText(const GPUPipelineOptions &options) {
  std::string p = gpuLoopNests(options, /*onHost=*/false);
  p += "func.func(gpu-map-parallel-loops),"
       "func.func(convert-parallel-loops-to-gpu),"
       "lpq-gpu-device-allocations,gpu-launch-sink-index-computations,"
       "gpu-kernel-outlining,";
  if (options.accessReport)
    p += "lpq-gpu-access-report{remarks},";
  p += "lower-affine,"
       "canonicalize,"
       // PTX ISA 8.0 covers sm_80 and sm_90 (sm_90 needs at least 7.8).
       "nvvm-attach-target{chip=" +
       options.chip.getValue() +
       " features=+ptx80 O=3},"
       // A runtime check's cf.assert lowers by splitting its block, which
       // an scf region cannot hold: structured control flow becomes cf
       // first, in the kernels (whose asserts become __assertfail) and on
       // the host (where the checks sit in scf.if's over non-empty loops).
       "gpu.module(convert-scf-to-cf,convert-gpu-to-nvvm,canonicalize,cse),"
       "func.func(gpu-async-region,convert-scf-to-cf),gpu-to-llvm,"
       "expand-strided-metadata,"
       "lower-affine,finalize-memref-to-llvm,"
       "convert-scf-to-cf,"
       "convert-to-llvm,reconcile-unrealized-casts,"
       "gpu-module-to-binary{format=" +
       options.format.getValue() + " toolkit=" + options.toolkit.getValue() +
       "}";
  return p;
}

/// Checks the options (a bad one goes to `reportError`, prefixed with the
/// pipeline's name), then parses the pipeline's text into `pm`.
template <typename Options>
static LogicalResult buildChecked(
    OpPassManager &pm, llvm::StringRef name, const Options &options,
    std::string (*text)(const Options &),
    llvm::function_ref<LogicalResult(const llvm::Twine &)> reportError) {
  if (std::optional<std::string> error = lpq::checkOptions(options))
    return reportError(name + ": " + *error);
  registerUpstreamPasses();
  return parsePassPipeline(text(options), pm, llvm::errs());
}

/// Reports an option error of a pipeline built from C++ on stderr.
static LogicalResult printError(const llvm::Twine &message) {
  llvm::errs() << message << "\n";
  return failure();
}

LogicalResult lpq::buildGPUPipeline(OpPassManager &pm,
                                    const GPUPipelineOptions &options) {
  return buildChecked(pm, "lpq-gpu-pipeline", options, gpuPipelineText,
                      printError);
}

LogicalResult
lpq::buildGPULoopsOnHostPipeline(OpPassManager &pm,
                                 const GPUPipelineOptions &options) {
  return buildChecked(pm, "lpq-gpu-pipeline", options,
                      gpuLoopsOnHostPipelineText, printError);
}

LogicalResult lpq::buildCPUPipeline(OpPassManager &pm,
                                    const CPUPipelineOptions &options) {
  return buildChecked(pm, "lpq-cpu-pipeline", options, cpuPipelineText,
                      printError);
}

/// Registers a pipeline whose bad options are reported as errors of the
/// tool's pipeline parser (PassPipelineRegistration cannot fail).
template <typename Options>
static void registerPipeline(llvm::StringRef name, llvm::StringRef description,
                             std::string (*text)(const Options &)) {
  registerPassPipeline(
      name, description,
      [name, text](
          OpPassManager &pm, llvm::StringRef optionsText,
          llvm::function_ref<LogicalResult(const llvm::Twine &)> errorHandler)
          -> LogicalResult {
        Options options;
        if (failed(options.parseFromString(optionsText)))
          return failure();
        return buildChecked(pm, name, options, text, errorHandler);
      },
      [](llvm::function_ref<void(const detail::PassOptions &)> handler) {
        handler(Options());
      });
}

void lpq::registerLPQPipelines() {
  registerUpstreamPasses();
  registerPipeline<CPUPipelineOptions>(
      "lpq-cpu-pipeline",
      "Lower lpq ops and the tensor program around them to the LLVM dialect "
      "for CPUs: expansion, fusion, bufferization, OpenMP, vectorizable loops",
      cpuPipelineText);
  registerPipeline<GPUPipelineOptions>(
      "lpq-gpu-pipeline",
      "Lower lpq ops and the tensor program around them to NVIDIA GPU "
      "kernels (PTX or cubin through NVVM) and host code calling the GPU "
      "runtime",
      gpuPipelineText);
}
