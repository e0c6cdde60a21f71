//===- StepBench.cpp - Whole training steps: time, loops, regions ---------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// For the example MLP (batch 128) and CNN (batch 64), builds the float32 and
// SWALP 8-bit training steps with lpq-train-step and reports, per step:
//   - contractions (matmuls, convolutions and their adjoints);
//   - loop nests and OpenMP parallel regions after lpq-cpu-pipeline, with
//     fusion (elementwise fusion, merged regions) and without;
//   - GPU kernels launched by the lpq-gpu-pipeline version;
//   - the median time of repeated steps on 1 and 2 threads, fused (and the
//     SWALP step unfused), JIT-compiled, from the parameters and momenta
//     one step left (as in training: SWALP's weights are on the grid).
// Prints one line per model and recipe, `key=value` separated by spaces,
// for bench/step.sh.
//
//   lpq-bench-step [--repeat=N] [--models=mlp,cnn] [--device=cpu|cuda]
//                  [--fuse-rows[=false]] [--compare-skip-on-grid]
//                  [--compare-fuse-rows] [--compare-vector-width=BITS]
//
// --fuse-rows (=false) compiles the fused steps with (without)
// lpq-fuse-row-loops instead of the JIT's choice for the host (on for Intel
// CPUs with AVX-512); --compare-fuse-rows adds both steps with the other
// setting (fp32_other_rows_ms=..., swalp_other_rows_ms=...).
// --compare-skip-on-grid adds the fused SWALP step with skip-on-grid=false
// (swalp_no_skip_ms=...). --compare-vector-width=256 adds the fused float32
// and SWALP steps compiled for 256-bit vectors (fp32_width_ms=...,
// swalp_width_ms=...), against the JIT's default (512 bits with AVX-512).
//
// With --device=cuda the fused float32 and SWALP steps run on CUDA device 0
// (lpq-gpu-pipeline, cubin for its architecture; arguments stay on the
// device between the timed steps), one line per model:
//   model=mlp device=cuda fp32_ms=... swalp_ms=...
// and without a usable device it says so and measures nothing.
//
//===----------------------------------------------------------------------===//

#include "Bench.h"

#include "lpq/Dialect/LPQ/IR/LPQDialect.h"
#include "lpq/Dialect/LPQ/Transforms/Passes.h"
#include "lpq/Pipelines/Pipelines.h"
#include "lpq/Runtime/JitRunner.h"
#include "lpq/Runtime/Npy.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"

#include <algorithm>
#include <cstdio>
#include <random>

using namespace mlir;
using namespace mlir::lpq;
using namespace mlir::lpq::runtime;

/// The benchmark's own options; --help hides the LLVM ones linked in.
static llvm::cl::OptionCategory stepBenchOptions("lpq-bench-step options");

static llvm::cl::opt<int> repeat(llvm::cl::cat(stepBenchOptions), "repeat",
                                 llvm::cl::desc("Timed steps per measurement"),
                                 llvm::cl::init(50));
static llvm::cl::opt<std::string>
    models(llvm::cl::cat(stepBenchOptions), "models",
           llvm::cl::desc("Comma-separated: mlp, cnn"),
           llvm::cl::init("mlp,cnn"));
static llvm::cl::opt<llvm::cl::boolOrDefault> fuseRows(
    llvm::cl::cat(stepBenchOptions), "fuse-rows",
    llvm::cl::desc("Fused steps with lpq-fuse-row-loops (fuse-rows=true) or "
                   "without (=false); default: the JIT's choice for the "
                   "host"));
static llvm::cl::opt<bool> compareSkipOnGrid(
    llvm::cl::cat(stepBenchOptions), "compare-skip-on-grid",
    llvm::cl::desc("Also time the fused SWALP step with skip-on-grid=false "
                   "(its weights rounded every step), interleaved with the "
                   "others"));
static llvm::cl::opt<bool> compareFuseRows(
    llvm::cl::cat(stepBenchOptions), "compare-fuse-rows",
    llvm::cl::desc("Also time the fused float32 and SWALP steps with the "
                   "other fuse-rows setting (lpq-fuse-row-loops), "
                   "interleaved with the others"));
static llvm::cl::opt<unsigned> compareVectorWidth(
    llvm::cl::cat(stepBenchOptions), "compare-vector-width",
    llvm::cl::desc("Also time the fused float32 and SWALP steps compiled for "
                   "vectors of this many bits, interleaved with the others "
                   "(0: no comparison)"),
    llvm::cl::init(0));
static llvm::cl::opt<std::string>
    device(llvm::cl::cat(stepBenchOptions), "device",
           llvm::cl::desc("Where to run the steps: cpu or cuda"),
           llvm::cl::init("cpu"));

namespace {

MLIRContext &context() {
  static MLIRContext *ctx = [] {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    registry.insert<LPQDialect>();
    auto *c = new MLIRContext(registry);
    c->loadAllAvailableDialects();
    return c;
  }();
  return *ctx;
}

std::string modelPath(const std::string &model) {
  return std::string(LPQ_SOURCE_DIR) + "/examples/" + model + ".mlir";
}

/// The training step of examples/<model>.mlir with `recipe`.
OwningOpRef<ModuleOp> trainStep(const std::string &model,
                                const std::string &recipe) {
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(modelPath(model), &context());
  PassManager pm(&context());
  if (!module ||
      failed(parsePassPipeline("lpq-train-step{recipe=" + recipe + "}", pm)) ||
      failed(pm.run(*module))) {
    std::fprintf(stderr, "cannot build the %s step of %s\n", recipe.c_str(),
                 model.c_str());
    std::exit(1);
  }
  return module;
}

/// Runs the first part of a pipeline's text (up to and including the pass
/// named `last`) on a copy of `module` and returns the copy.
OwningOpRef<ModuleOp> lowerUntil(ModuleOp module, std::string text,
                                 llvm::StringRef last) {
  size_t at = text.find(last.str());
  if (at == std::string::npos) {
    std::fprintf(stderr, "pipeline has no %s\n", last.str().c_str());
    std::exit(1);
  }
  size_t end = text.find(',', at);
  // A pass nested in func.func(...) ends with ')'.
  std::string prefix = text.substr(0, end);
  OwningOpRef<ModuleOp> copy(module.clone());
  PassManager pm(&context());
  if (failed(parsePassPipeline(prefix, pm)) || failed(pm.run(*copy))) {
    std::fprintf(stderr, "lowering failed\n");
    std::exit(1);
  }
  return copy;
}

func::FuncOp stepOf(ModuleOp module) {
  return module.lookupSymbol<func::FuncOp>("train_step");
}

/// Contractions of the step before lowering: linalg ops whose body
/// multiplies and that reduce.
int countContractions(ModuleOp module) {
  int n = 0;
  stepOf(module).walk([&](linalg::LinalgOp op) {
    if (op.getNumReductionLoops() == 0)
      return;
    bool multiplies = false;
    op.getBlock()->walk([&](arith::MulFOp) { multiplies = true; });
    n += multiplies;
  });
  return n;
}

/// The options of the fused steps: the JIT's defaults, with --fuse-rows.
JitOptions fusedOptions() {
  JitOptions options;
  if (fuseRows != llvm::cl::BOU_UNSET)
    options.fuseRows = fuseRows == llvm::cl::BOU_TRUE;
  return options;
}

struct LoopCounts {
  int regions = 0;   // omp.parallel executed per step
  int nests = 0;     // worksharing loops + sequential top-level loops
};

/// Regions and loop nests of train_step after convert-scf-to-openmp (and
/// the region merging when fusing). Regions nested in sequential loops
/// count once per iteration of those loops.
LoopCounts countLoops(ModuleOp module, bool fusion) {
  CPUPipelineOptions options;
  options.fusion = fusion;
  options.fuseRows = hostFuseRows(fusedOptions().fuseRows);
  OwningOpRef<ModuleOp> lowered =
      lowerUntil(module, cpuPipelineText(options),
                 fusion ? "lpq-merge-parallel-regions" : "convert-scf-to-openmp");
  LoopCounts counts;
  func::FuncOp step = stepOf(*lowered);
  step.walk([&](omp::ParallelOp op) {
    int64_t times = 1;
    for (Operation *p = op->getParentOp(); p != step; p = p->getParentOp())
      if (auto loop = dyn_cast<scf::ForOp>(p)) {
        std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
        std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
        std::optional<int64_t> st = getConstantIntValue(loop.getStep());
        if (lb && ub && st && *st > 0)
          times *= std::max<int64_t>(0, (*ub - *lb + *st - 1) / *st);
      }
    counts.regions += times;
  });
  step.walk([&](omp::WsloopOp) { ++counts.nests; });
  // Sequential nests: outermost loops, a loop in two versions (the then
  // branch of an scf.if whose else branch has loops too, as
  // lpq-unswitch-fast-paths makes them) once.
  step.walk([&](scf::ForOp loop) {
    for (Operation *p = loop->getParentOp(); p != step; p = p->getParentOp()) {
      if (isa<scf::ForOp, omp::WsloopOp>(p))
        return;
      if (auto branch = dyn_cast<scf::IfOp>(p);
          branch &&
          branch.getThenRegion().isAncestor(loop->getParentRegion()) &&
          !branch.getElseRegion().getOps<scf::ForOp>().empty())
        return;
    }
    ++counts.nests;
  });
  return counts;
}

/// What train_step launches on a GPU: kernels, and the warp-wide memory
/// accesses they run and the 128-byte lines these request
/// (lpq-gpu-access-report's static estimate).
struct KernelCounts {
  int kernels = 0;
  int64_t accesses = 0, lines = 0;
  /// The most accesses one thread of one kernel runs in sequence.
  int64_t threadAccesses = 0;
};

/// lpq-gpu-pipeline up to outlining, then lpq-gpu-access-report.
KernelCounts countKernels(ModuleOp module) {
  OwningOpRef<ModuleOp> lowered = lowerUntil(
      module, gpuPipelineText(GPUPipelineOptions()), "gpu-kernel-outlining");
  PassManager pm(&context());
  if (failed(parsePassPipeline("lpq-gpu-access-report", pm)) ||
      failed(pm.run(*lowered))) {
    std::fprintf(stderr, "lpq-gpu-access-report failed\n");
    std::exit(1);
  }
  KernelCounts counts;
  stepOf(*lowered).walk([&](gpu::LaunchFuncOp launch) {
    ++counts.kernels;
    for (auto [name, total] : {std::pair{"lpq.warp_accesses", &counts.accesses},
                               std::pair{"lpq.memory_lines", &counts.lines}})
      if (auto n = launch->getAttrOfType<IntegerAttr>(name))
        *total += n.getInt();
    if (auto n = launch->getAttrOfType<IntegerAttr>("lpq.thread_accesses"))
      counts.threadAccesses = std::max(counts.threadAccesses, n.getInt());
  });
  return counts;
}

/// The parameters of a float32 or SWALP train_step: its arguments are the
/// parameters, their momenta, then images, labels, lr, seed and step; it
/// returns the loss, the logits, then new parameters and momenta.
size_t stepParams(FunctionType type) { return (type.getNumInputs() - 5) / 2; }

/// Realistic arguments: parameters normal(0, 0.05), momenta 0, images in
/// [0, 1), labels in [0, 10), lr 0.05, seed 1, step 0. (Each variant then
/// runs one step and times the following ones from the state it left.)
std::vector<Argument> stepArguments(FunctionType type) {
  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal(0.f, 0.05f);
  std::uniform_real_distribution<float> uniform(0.f, 1.f);
  std::vector<Argument> args;
  size_t numParams = stepParams(type);
  for (auto [i, t] : llvm::enumerate(type.getInputs())) {
    auto tensor = dyn_cast<RankedTensorType>(t);
    if (!tensor) {
      args.push_back(t.isF32() ? Argument::of(0.05)
                               : Argument::ofInteger(i == type.getNumInputs() - 2));
      continue;
    }
    std::vector<int64_t> shape(tensor.getShape().begin(),
                               tensor.getShape().end());
    if (!tensor.getElementType().isF32()) {
      Array a = Array::zeros(DType::I32, shape);
      for (int64_t k = 0; k < a.numElements(); ++k)
        a.data<int32_t>()[k] = static_cast<int32_t>(rng() % 10);
      args.push_back(Argument::of(std::move(a)));
      continue;
    }
    Array a = Array::zeros(DType::F32, shape);
    for (int64_t k = 0; k < a.numElements(); ++k)
      a.data<float>()[k] = i < numParams    ? normal(rng)
                           : i < 2 * numParams ? 0.f
                                               : uniform(rng);
    args.push_back(Argument::of(std::move(a)));
  }
  return args;
}

/// A compiled step with its arguments, timed interleaved with the others
/// so that drifts of the machine's speed affect all alike.
struct Variant {
  std::unique_ptr<JitModule> jit;
  std::vector<Argument> args;
  std::vector<Array> results;
  std::vector<double> times;

  Variant(ModuleOp module, const JitOptions &options) {
    OwningOpRef<ModuleOp> copy(module.clone());
    FunctionType type = stepOf(*copy).getFunctionType();
    args = stepArguments(type);
    std::string error;
    jit = JitModule::compile(*copy, options, error);
    if (!jit) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::exit(1);
    }
    // The state training is in from its second step on: the parameters
    // (SWALP: rounded onto the accumulator's grid) and momenta one step
    // produced, as the trainer passes them back.
    std::optional<std::vector<Array>> first =
        jit->run("train_step", args, error);
    if (!first) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::exit(1);
    }
    for (size_t i = 0; i < 2 * stepParams(type); ++i)
      args[i] = Argument::of(std::move((*first)[2 + i]));
  }

  /// Five consecutive steps; the first warms the caches and is not
  /// recorded.
  void runRound() {
    std::string error;
    std::vector<double> seconds;
    if (!jit->runRepeated("train_step", args, 5, results, seconds, error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::exit(1);
    }
    for (size_t i = 1; i < seconds.size(); ++i)
      times.push_back(1e3 * seconds[i]);
  }

  double median() {
    std::sort(times.begin(), times.end());
    double m = times[times.size() / 2];
    times.clear();
    return m;
  }
};

/// Median times (ms) of every variant on `threads` threads, measured in
/// interleaved rounds of 5 consecutive steps each (the first of a round
/// warms the caches and is not recorded).
std::vector<double> medians(std::vector<Variant> &variants, int threads) {
  setNumThreads(threads);
  for (int round = 0; round < (repeat + 3) / 4; ++round)
    for (Variant &v : variants)
      v.runRound();
  std::vector<double> result;
  for (Variant &v : variants)
    result.push_back(v.median());
  return result;
}

/// The fused float32 and SWALP steps on CUDA device 0.
int benchCuda() {
  if (std::optional<std::string> why = cudaUnavailable()) {
    std::printf("skipped: no CUDA device to run on (%s)\n", why->c_str());
    return 0;
  }
  for (llvm::StringRef model : llvm::split(models, ',')) {
    OwningOpRef<ModuleOp> fp32 = trainStep(model.str(), "fp32");
    OwningOpRef<ModuleOp> swalp = trainStep(model.str(), "swalp");
    std::vector<Variant> variants;
    JitOptions onDevice = fusedOptions();
    onDevice.cuda = true;
    variants.emplace_back(*fp32, onDevice);
    variants.emplace_back(*swalp, onDevice);
    std::vector<double> ms = medians(variants, 0);
    std::printf("model=%s device=cuda gpu_kernels_fp32=%d gpu_kernels_swalp=%d "
                "fp32_ms=%.3f swalp_ms=%.3f\n",
                model.str().c_str(), countKernels(*fp32).kernels,
                countKernels(*swalp).kernels, ms[0], ms[1]);
    std::fflush(stdout);
  }
  return 0;
}

} // namespace

int mlir::lpq::bench::stepMain(int argc, char **argv) {
  llvm::cl::HideUnrelatedOptions(stepBenchOptions);
  llvm::cl::ParseCommandLineOptions(argc, argv, "lpq training-step benchmark\n");
  if (repeat < 1) {
    std::fprintf(stderr, "--repeat must be at least 1\n");
    return 1;
  }
  registerLPQPasses();
  registerLPQPipelines();
  if (device != "cpu" && device != "cuda") {
    std::fprintf(stderr, "--device must be cpu or cuda\n");
    return 1;
  }
  for (llvm::StringRef model : llvm::split(models, ','))
    if (model.empty() || model.contains('/') ||
        !llvm::sys::fs::exists(modelPath(model.str()))) {
      std::fprintf(stderr,
                   "no model '%s': --models takes names of examples/NAME.mlir "
                   "(mlp, cnn), separated by commas\n",
                   model.str().c_str());
      return 1;
    }
  if (device == "cuda")
    return benchCuda();
  // The vector width the fused steps are compiled for (0: LLVM's default
  // for the host), for bench/step.sh's header.
  std::printf("vector_width=%u\n", hostVectorWidth(fusedOptions().vectorWidth));
  std::printf("fuse_rows=%d\n", hostFuseRows(fusedOptions().fuseRows));
  for (llvm::StringRef model : llvm::split(models, ',')) {
    // fp32 fused, SWALP fused, SWALP unfused (and SWALP fused without
    // lpq-skip-rounding-on-grid).
    OwningOpRef<ModuleOp> fp32 = trainStep(model.str(), "fp32");
    OwningOpRef<ModuleOp> swalp = trainStep(model.str(), "swalp");
    for (auto [name, module] :
         {std::pair<const char *, ModuleOp>{"fp32", *fp32},
          std::pair<const char *, ModuleOp>{"swalp", *swalp}}) {
      LoopCounts fused = countLoops(module, true);
      LoopCounts unfused = countLoops(module, false);
      KernelCounts gpu = countKernels(module);
      std::printf("model=%s recipe=%s contractions=%d nests_fused=%d "
                  "nests_unfused=%d regions_fused=%d regions_unfused=%d "
                  "gpu_kernels=%d gpu_accesses=%lld gpu_lines=%lld "
                  "gpu_thread_accesses=%lld\n",
                  model.str().c_str(), name, countContractions(module),
                  fused.nests, unfused.nests, fused.regions, unfused.regions,
                  gpu.kernels, static_cast<long long>(gpu.accesses),
                  static_cast<long long>(gpu.lines),
                  static_cast<long long>(gpu.threadAccesses));
    }
    std::vector<Variant> variants;
    JitOptions fused = fusedOptions(), unfused = fused;
    unfused.fusion = unfused.tileContractions = false;
    variants.emplace_back(*fp32, fused);
    variants.emplace_back(*swalp, fused);
    variants.emplace_back(*swalp, unfused);
    if (compareSkipOnGrid) {
      JitOptions noSkip = fused;
      noSkip.skipOnGrid = false;
      variants.emplace_back(*swalp, noSkip);
    }
    // Both steps compiled with `options`; returns the index of the first.
    auto addBoth = [&](const JitOptions &options) {
      size_t first = variants.size();
      variants.emplace_back(*fp32, options);
      variants.emplace_back(*swalp, options);
      return first;
    };
    size_t rowsFirst = 0, widthFirst = 0;
    if (compareFuseRows) {
      JitOptions rows = fused;
      rows.fuseRows = !hostFuseRows(fused.fuseRows);
      rowsFirst = addBoth(rows);
    }
    if (compareVectorWidth) {
      JitOptions width = fused;
      width.vectorWidth = compareVectorWidth;
      widthFirst = addBoth(width);
    }
    for (int threads : {1, 2}) {
      std::vector<double> ms = medians(variants, threads);
      std::printf("model=%s threads=%d fp32_ms=%.3f swalp_ms=%.3f "
                  "swalp_unfused_ms=%.3f",
                  model.str().c_str(), threads, ms[0], ms[1], ms[2]);
      if (compareSkipOnGrid)
        std::printf(" swalp_no_skip_ms=%.3f", ms[3]);
      if (compareFuseRows)
        std::printf(" fp32_other_rows_ms=%.3f swalp_other_rows_ms=%.3f",
                    ms[rowsFirst], ms[rowsFirst + 1]);
      if (compareVectorWidth)
        std::printf(" fp32_width_ms=%.3f swalp_width_ms=%.3f", ms[widthFirst],
                    ms[widthFirst + 1]);
      std::printf("\n");
    }
    std::fflush(stdout);
  }
  return 0;
}
