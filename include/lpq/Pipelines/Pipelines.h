//===- Pipelines.h - lpq pass pipelines -------------------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_PIPELINES_PIPELINES_H
#define LPQ_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <optional>
#include <string>

namespace mlir::lpq {

/// Options of `lpq-cpu-pipeline`.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<bool> threads{
      *this, "threads",
      llvm::cl::desc("Parallelize the outermost parallel loop of every kernel "
                     "over cores with OpenMP"),
      llvm::cl::init(true)};
  PassOptions::Option<unsigned> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("Vector width in bits LLVM's vectorizers should prefer "
                     "(0: the target's default)"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> fusion{
      *this, "fusion",
      llvm::cl::desc("Fuse elementwise loop nests and merge parallel regions "
                     "(off: one loop nest and one OpenMP region per op, for "
                     "comparisons; results are the same bit for bit)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> tileContractions{
      *this, "tile-contractions",
      llvm::cl::desc("Lower matmuls and convolutions (and convolution "
                     "adjoints, in gather form) to register-tiled vector "
                     "loops (off: plain loops; same results)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> bufferRandomWords{
      *this, "buffer-random-words",
      llvm::cl::desc("Evaluate Philox for a tile of stochastic roundings "
                     "first and round in element order "
                     "(lpq-buffer-random-words; off: rounding interleaved "
                     "with Philox; same results)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> skipOnGrid{
      *this, "skip-on-grid",
      llvm::cl::desc("Check whether the input of a stochastic rounding marked "
                     "lpq.expect_on_grid (a training step's weights) already "
                     "lies on the grid, and compute no random bits if so "
                     "(lpq-skip-rounding-on-grid; same results)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fuseRows{
      *this, "fuse-rows",
      llvm::cl::desc("Fuse consecutive loop nests over the same rows, e.g. "
                     "per-row block quantizers into the contraction that "
                     "produces their input (lpq-fuse-row-loops; with fusion; "
                     "same results; off by default: faster on Intel Xeons "
                     "with AVX-512, where the JIT turns it on, slower on "
                     "AMD Zen 4)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> runtimeChecks{
      *this, "runtime-checks",
      llvm::cl::desc("Check at run time that dynamic extents agree where the "
                     "program needs them to (upstream "
                     "generate-runtime-verification: a mismatch prints the "
                     "failing op and aborts instead of reading out of "
                     "bounds; static extents are checked at compile time), "
                     "and that the caller's destinations have the dynamic "
                     "extents of the results"),
      llvm::cl::init(true)};
  PassOptions::Option<unsigned> vectorLanes{
      *this, "vector-lanes",
      llvm::cl::desc("float32 lanes of the contraction tiles (0: the host's: "
                     "16 with AVX-512, 8 with AVX, else 4)"),
      llvm::cl::init(0)};
};

/// Options of `lpq-gpu-pipeline`.
struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("NVIDIA GPU architecture, e.g. sm_80, sm_90"),
      llvm::cl::init("sm_80")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Device code format: isa (PTX), bin (cubin, needs "
                     "ptxas), fatbin"),
      llvm::cl::init("isa")};
  PassOptions::Option<int64_t> blockSize{
      *this, "block-size", llvm::cl::desc("Threads per block (1 to 1024)"),
      llvm::cl::init(256)};
  PassOptions::Option<int64_t> elementsPerThread{
      *this, "elements-per-thread",
      llvm::cl::desc("Iterations of each parallel loop one thread runs (one "
                     "Philox group of four elements counts as one)"),
      llvm::cl::init(4)};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit", llvm::cl::desc("CUDA toolkit (for ptxas)"),
      llvm::cl::init("/usr/local/cuda")};
  PassOptions::Option<bool> runtimeChecks{
      *this, "runtime-checks",
      llvm::cl::desc("Check at run time that dynamic extents agree where the "
                     "program needs them to, as lpq-cpu-pipeline does: the "
                     "host's checks print the failing op and abort; checks "
                     "inside kernels (indices computed in a loop) stop the "
                     "kernel with a device-side assertion"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> transposeContractions{
      *this, "transpose-contractions",
      llvm::cl::desc("Lay contractions out for coalesced loads "
                     "(lpq-transpose-contractions with lanes=1): an input "
                     "indexed by the output's last axis gets that axis last, "
                     "and a weight gradient is computed in its weight's "
                     "layout. Same results"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> poolAdjointElementwise{
      *this, "pool-adjoint-elementwise",
      llvm::cl::desc("Rewrite max pooling's input adjoint (non-overlapping "
                     "windows) from scatter form into one thread per element "
                     "(lpq-gather-windows' non-overlapping). Same results"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> accessReport{
      *this, "access-report",
      llvm::cl::desc("Report, as a remark on each launch, the warp-wide "
                     "memory accesses it runs and the 128-byte lines they "
                     "request (lpq-gpu-access-report: a static estimate)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> testReverseBlocks{
      *this, "test-reverse-blocks",
      llvm::cl::desc("For tests: the blocks of fused launches run in reverse "
                     "order (lpq-gpu-fuse-launches' reverse-blocks)"),
      llvm::cl::init(false)};
};

/// What is wrong with these options (vector-width not 0 or a power of two
/// from 64 to 2048 bits, vector-lanes not 0 or a power of two up to 64),
/// or nothing. buildCPUPipeline refuses options this reports.
std::optional<std::string> checkOptions(const CPUPipelineOptions &options);

/// The same for `lpq-gpu-pipeline`: chip sm_<digits>, format isa, bin or
/// fatbin, block-size 1 to 1024 (CUDA's limit of threads per block),
/// elements-per-thread at least 1, a toolkit path without spaces or braces.
std::optional<std::string> checkOptions(const GPUPipelineOptions &options);

/// The textual form of `lpq-cpu-pipeline` with these options, for printing.
std::string cpuPipelineText(const CPUPipelineOptions &options);

/// Appends `lpq-cpu-pipeline` to `pm` (a pass manager on builtin.module):
/// lpq ops to linalg/arith, elementwise fusion, results turned into
/// caller-allocated destinations, one-shot bufferization computing results
/// in those destinations, affine loops with the
/// outermost parallel loop of each nest run by OpenMP, and lowering to the
/// LLVM dialect. The result is ready for mlir-translate or the
/// ExecutionEngine; LLVM's loop vectorizer vectorizes the inner loops.
LogicalResult buildCPUPipeline(OpPassManager &pm,
                               const CPUPipelineOptions &options);

/// The textual form of `lpq-gpu-pipeline` with these options.
std::string gpuPipelineText(const GPUPipelineOptions &options);

/// Appends `lpq-gpu-pipeline` to `pm`: the CPU pipeline's expansion and
/// bufferization, then every loop nest mapped to a `gpu.launch` (innermost
/// parallel dimension tiled by the block size, whole-tensor reductions as
/// one-thread kernels), temporaries in device memory, kernels outlined and
/// lowered through NVVM to PTX or cubin, host code lowered to LLVM with
/// GPU runtime calls (`mgpu*`).
LogicalResult buildGPUPipeline(OpPassManager &pm,
                               const GPUPipelineOptions &options);

/// The GPU pipeline's loop nests run on the host instead: expansion,
/// bufferization and `lpq-gpu-prepare-loops` as in `lpq-gpu-pipeline`
/// (without block-wide reductions, which need a GPU), then the grid and
/// block loops run sequentially and the module is lowered to the LLVM
/// dialect for the CPU. Results must equal the CPU pipeline's bit for bit:
/// the differential tests use it to check the GPU's loop distribution
/// (Philox groups per thread, iterations per thread, in-bounds checks)
/// without a GPU.
std::string gpuLoopsOnHostPipelineText(const GPUPipelineOptions &options);
LogicalResult buildGPULoopsOnHostPipeline(OpPassManager &pm,
                                          const GPUPipelineOptions &options);

/// Registers `lpq-cpu-pipeline` and `lpq-gpu-pipeline` with mlir-opt-style tools. It also registers
/// every upstream pass, which the pipeline is built from.
void registerLPQPipelines();

} // namespace mlir::lpq

#endif // LPQ_PIPELINES_PIPELINES_H
