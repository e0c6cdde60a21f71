//===- lpq-run.cpp - JIT-compile and run an lpq module --------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Compiles a module with lpq-cpu-pipeline and MLIR's ExecutionEngine and
// runs one of its functions on arguments from .npy files, random tensors or
// numbers, writing the results as .npy files; or (`lpq-run train`) trains a
// module built by lpq-train-step on Fashion-MNIST.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/IR/LPQDialect.h"
#include "lpq/Data/Idx.h"
#include "lpq/Runtime/JitRunner.h"
#include "lpq/Runtime/Trainer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <memory>
#include <random>

using namespace mlir;
using namespace mlir::lpq::runtime;
namespace cl = llvm::cl;

/// lpq-run's own options; --help hides the LLVM and MLIR options linked in.
/// The compilation flags below apply to `lpq-run train` as well.
static cl::OptionCategory lpqRunOptions("lpq-run options");

static cl::opt<std::string> inputFile(cl::cat(lpqRunOptions), cl::Positional,
                                      cl::desc("<module.mlir>"), cl::Required);
static cl::opt<std::string>
    entry(cl::cat(lpqRunOptions), "entry",
          cl::desc("Function to run (default: the only public one)"));
static cl::list<std::string> argSpecs(
    cl::cat(lpqRunOptions), "arg",
    cl::desc("One per function argument, in order: FILE.npy, rand:DxDx... "
             "(float32, normal(0, 1)), randi:LO:HI:DxD... (int32 in "
             "[LO, HI)), or a number"));
static cl::opt<bool> randomArgs(
    cl::cat(lpqRunOptions), "random-args",
    cl::desc("Make up the arguments that --arg does not give, from the "
             "function's signature: float tensors normal(0, 1), integer "
             "tensors and scalars uniform in [0, 10), float scalars 0.01, "
             "dynamic dimensions 3 (a smoke run)"));
static cl::opt<uint64_t> seed(cl::cat(lpqRunOptions), "seed",
                              cl::desc("Seed of rand:/randi:"), cl::init(0));
static cl::opt<std::string>
    outputPrefix(cl::cat(lpqRunOptions), "output",
                 cl::desc("Write result i to PREFIX<i>.npy"));
static cl::opt<int> numThreads(cl::cat(lpqRunOptions), "num-threads",
                               cl::desc("OpenMP threads (0: runtime default)"),
                               cl::init(0));
static cl::opt<bool> noThreads(cl::cat(lpqRunOptions),
                               cl::sub(cl::SubCommand::getAll()), "no-threads",
                               cl::desc("Compile without OpenMP"));
static cl::opt<bool> noVectorize(cl::cat(lpqRunOptions),
                                 cl::sub(cl::SubCommand::getAll()),
                                 "no-vectorize",
                                 cl::desc("Disable LLVM's vectorizers"));
static cl::opt<bool>
    noFusion(cl::cat(lpqRunOptions), cl::sub(cl::SubCommand::getAll()),
             "no-fusion",
             cl::desc("Do not fuse elementwise loop nests or merge OpenMP "
                      "regions (same results)"));
static cl::opt<bool> noTileContractions(
    cl::cat(lpqRunOptions), cl::sub(cl::SubCommand::getAll()),
    "no-tile-contractions",
    cl::desc("Plain loops for matmuls and convolutions (same results)"));
static cl::opt<bool> noBufferRandomWords(
    cl::cat(lpqRunOptions), cl::sub(cl::SubCommand::getAll()),
    "no-buffer-random-words",
    cl::desc("Round stochastically interleaved with Philox instead of from "
             "a buffer of random words (same results)"));
static cl::opt<bool> noSkipOnGrid(
    cl::cat(lpqRunOptions), cl::sub(cl::SubCommand::getAll()),
    "no-skip-on-grid",
    cl::desc("Round weights stochastically even when they already lie on "
             "the grid (lpq-skip-rounding-on-grid off; same results)"));
static cl::opt<bool> noRuntimeChecks(
    cl::cat(lpqRunOptions), cl::sub(cl::SubCommand::getAll()),
    "no-runtime-checks",
    cl::desc("Do not check that dynamic extents agree (a mismatch then reads "
             "out of bounds)"));
static cl::opt<cl::boolOrDefault>
    fuseRows(cl::cat(lpqRunOptions), cl::sub(cl::SubCommand::getAll()),
             "fuse-rows",
             cl::desc("Fuse consecutive loop nests over the same rows "
                      "(lpq-fuse-row-loops; same results). Default: on for "
                      "Intel CPUs with AVX-512, off elsewhere"));
static cl::opt<unsigned>
    vectorWidth(cl::cat(lpqRunOptions), cl::sub(cl::SubCommand::getAll()),
                "vector-width",
                cl::desc("Preferred vector width in bits (0: 512 on hosts "
                         "with AVX-512, else the target's default)"),
                cl::init(0));
static cl::opt<std::string>
    device(cl::cat(lpqRunOptions), "device",
           cl::desc("Where to run: cpu (default) or cuda"), cl::init("cpu"));
static cl::opt<int> repeat(cl::cat(lpqRunOptions), "repeat",
                           cl::desc("Run N times and report the median time"),
                           cl::init(1));

/// The compile options the flags ask for (CPU).
static JitOptions compileOptions() {
  JitOptions options;
  options.threads = !noThreads;
  options.vectorize = !noVectorize;
  options.vectorWidth = vectorWidth;
  options.fusion = !noFusion;
  options.tileContractions = !noTileContractions;
  options.bufferRandomWords = !noBufferRandomWords;
  options.skipOnGrid = !noSkipOnGrid;
  if (fuseRows != cl::BOU_UNSET)
    options.fuseRows = fuseRows == cl::BOU_TRUE;
  options.runtimeChecks = !noRuntimeChecks;
  return options;
}

/// Whether an array of `shape` has at most 2^34 elements (64 GiB of
/// float32): larger ones could only fail to allocate.
static bool allocatable(llvm::ArrayRef<int64_t> shape) {
  int64_t elements = 1;
  for (int64_t d : shape) {
    if (d != 0 && elements > (int64_t(1) << 34) / d)
      return false;
    elements *= d;
  }
  return true;
}

/// Parses "DxDx..." (empty: a scalar). Rejects anything but non-negative
/// integers and shapes that are not allocatable().
static std::optional<std::vector<int64_t>> parseShape(llvm::StringRef text) {
  std::vector<int64_t> shape;
  if (text.empty())
    return shape;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, 'x');
  for (llvm::StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0)
      return std::nullopt;
    shape.push_back(d);
  }
  if (!allocatable(shape))
    return std::nullopt;
  return shape;
}

static std::optional<Argument>
parseArg(llvm::StringRef spec, std::mt19937_64 &rng, std::string &error) {
  if (spec.consume_front("rand:")) {
    std::optional<std::vector<int64_t>> shape = parseShape(spec);
    if (!shape)
      return error = "bad shape '" + spec.str() +
                     "' (use e.g. 4x8; at most 2^34 elements)",
             std::nullopt;
    Array a = Array::zeros(DType::F32, *shape);
    std::normal_distribution<float> dist(0, 1);
    for (int64_t i = 0; i < a.numElements(); ++i)
      a.data<float>()[i] = dist(rng);
    return Argument::of(std::move(a));
  }
  if (spec.consume_front("randi:")) {
    auto [lo, rest] = spec.split(':');
    auto [hi, shapeText] = rest.split(':');
    int64_t l, h;
    std::optional<std::vector<int64_t>> shape = parseShape(shapeText);
    if (lo.getAsInteger(10, l) || hi.getAsInteger(10, h) || l >= h || !shape)
      return error = "bad randi spec '" + spec.str() +
                     "' (use randi:LO:HI:DxD..., LO < HI; at most 2^34 "
                     "elements)",
             std::nullopt;
    Array a = Array::zeros(DType::I32, *shape);
    std::uniform_int_distribution<int64_t> dist(l, h - 1);
    for (int64_t i = 0; i < a.numElements(); ++i)
      a.data<int32_t>()[i] = static_cast<int32_t>(dist(rng));
    return Argument::of(std::move(a));
  }
  if (spec.ends_with(".npy")) {
    std::optional<Array> a = readNpy(spec.str(), error);
    if (!a)
      return std::nullopt;
    return Argument::of(std::move(*a));
  }
  int64_t i;
  if (!spec.getAsInteger(0, i))
    return Argument::ofInteger(i);
  double v;
  if (!spec.getAsDouble(v))
    return Argument::of(v);
  error = "cannot read argument '" + spec.str() +
          "': expected FILE.npy, rand:SHAPE, randi:LO:HI:SHAPE or a number";
  return std::nullopt;
}

/// --random-args: an argument of type `t` (see the option's description).
static std::optional<Argument> randomArg(Type t, std::mt19937_64 &rng,
                                         std::string &error) {
  std::uniform_int_distribution<int32_t> small(0, 9);
  auto tensor = dyn_cast<RankedTensorType>(t);
  if (!tensor) {
    if (isa<FloatType>(t))
      return Argument::of(0.01);
    return Argument::ofInteger(small(rng));
  }
  std::optional<DType> dtype = dtypeOf(tensor.getElementType());
  std::vector<int64_t> shape;
  for (int64_t d : tensor.getShape())
    shape.push_back(ShapedType::isDynamic(d) ? 3 : d);
  if (!dtype || !allocatable(shape)) {
    llvm::raw_string_ostream(error)
        << "--random-args cannot make a " << t
        << " (element types f32, f64, i32, i64; at most 2^34 elements)";
    return std::nullopt;
  }
  Array a = Array::zeros(*dtype, shape);
  std::normal_distribution<double> normal(0, 1);
  for (int64_t i = 0; i < a.numElements(); ++i)
    switch (*dtype) {
    case DType::F32:
      a.data<float>()[i] = static_cast<float>(normal(rng));
      break;
    case DType::F64:
      a.data<double>()[i] = normal(rng);
      break;
    case DType::I32:
      a.data<int32_t>()[i] = small(rng);
      break;
    case DType::I64:
      a.data<int64_t>()[i] = small(rng);
      break;
    }
  return Argument::of(std::move(a));
}

static void summarize(llvm::raw_ostream &os, size_t index, const Array &a) {
  os << "result #" << index << ": " << dtypeDescr(a.dtype) << " [";
  for (size_t i = 0; i < a.shape.size(); ++i)
    os << (i ? "x" : "") << a.shape[i];
  os << "]";
  int64_t n = a.numElements();
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += a.dtype == DType::F32   ? a.data<float>()[i]
           : a.dtype == DType::F64 ? a.data<double>()[i]
           : a.dtype == DType::I32 ? a.data<int32_t>()[i]
                                   : static_cast<double>(a.data<int64_t>()[i]);
  os << " sum " << llvm::format("%g", sum) << " first:";
  for (int64_t i = 0; i < std::min<int64_t>(n, 6); ++i) {
    if (a.dtype == DType::F32)
      os << " " << llvm::format("%g", a.data<float>()[i]);
    else if (a.dtype == DType::F64)
      os << " " << llvm::format("%g", a.data<double>()[i]);
    else if (a.dtype == DType::I32)
      os << " " << a.data<int32_t>()[i];
    else
      os << " " << a.data<int64_t>()[i];
  }
  os << "\n";
}

static cl::SubCommand trainCommand(
    "train", "Train a module built by `lpq-opt --lpq-train-step` on "
             "Fashion-MNIST");
static cl::opt<std::string> trainInput(cl::cat(lpqRunOptions), cl::Positional,
                                       cl::sub(trainCommand),
                                       cl::desc("<module.mlir>"), cl::Required);
static cl::opt<int> epochs(cl::cat(lpqRunOptions), "epochs",
                           cl::sub(trainCommand),
                           cl::desc("Epochs (default 10)"), cl::init(10));
static cl::opt<double> learningRate(cl::cat(lpqRunOptions), "lr",
                                    cl::sub(trainCommand),
                                    cl::desc("Initial learning rate"),
                                    cl::init(0.05));
static cl::opt<int> swaStart(
    cl::cat(lpqRunOptions), "swa-start", cl::sub(trainCommand),
    cl::desc("Average the weights once per epoch from this epoch on "
             "(-1: never; default: 2/3 of the epochs for the swalp recipe, "
             "never otherwise)"),
    cl::init(-2));
static cl::opt<double> swaLr(cl::cat(lpqRunOptions), "swa-lr",
                             cl::sub(trainCommand),
                             cl::desc("Learning rate while averaging"),
                             cl::init(0.01));
static cl::opt<uint64_t> trainSeed(cl::cat(lpqRunOptions), "seed",
                                   cl::sub(trainCommand),
                                   cl::desc("Seed of initialization, "
                                            "shuffling and stochastic "
                                            "rounding"),
                                   cl::init(0));
static cl::opt<std::string> dataDir(cl::cat(lpqRunOptions), "data-dir",
                                    cl::sub(trainCommand),
                                    cl::desc("Fashion-MNIST IDX files"),
                                    cl::init(lpq::data::kFashionMNISTDir));
static cl::opt<int64_t> trainLimit(cl::cat(lpqRunOptions), "train-limit",
                                   cl::sub(trainCommand),
                                   cl::desc("Use the first N training "
                                            "images (0: all)"),
                                   cl::init(0));
static cl::opt<int64_t>
    batchSize(cl::cat(lpqRunOptions), "batch", cl::sub(trainCommand),
              cl::desc("Examples per step, for a model whose batch dimension "
                       "is dynamic (tensor<?x...>; default 128)"),
              cl::init(0));
static cl::opt<int64_t> testLimit(cl::cat(lpqRunOptions), "test-limit",
                                  cl::sub(trainCommand),
                                  cl::desc("Use the first N test images "
                                           "(0: all)"),
                                  cl::init(0));
static cl::opt<std::string>
    metricsPath(cl::cat(lpqRunOptions), "metrics", cl::sub(trainCommand),
                cl::desc("Write per-epoch metrics to FILE (.json or .csv)"));
static cl::opt<std::string> plotPath(cl::cat(lpqRunOptions), "plot",
                                     cl::sub(trainCommand),
                                     cl::desc("Plot the curves to FILE.png "
                                              "(needs gnuplot)"));
static cl::opt<std::string>
    dataSet(cl::cat(lpqRunOptions), "data", cl::sub(trainCommand),
            cl::desc("fashion-mnist (default), synthetic-regression (SWALP's "
                     "quadratic experiment: a loss=mse model, distances to the "
                     "optimum) or synthetic-logistic (AskewSGD's toy problem: "
                     "labels from a binary w*, a [N, d] -> [N, 2] model)"),
            cl::init("fashion-mnist"));
static cl::opt<int64_t> steps(cl::cat(lpqRunOptions), "steps",
                              cl::sub(trainCommand),
                              cl::desc("synthetic-regression: SGD steps"),
                              cl::init(20000));
static cl::opt<int64_t>
    examples(cl::cat(lpqRunOptions), "examples", cl::sub(trainCommand),
             cl::desc("synthetic data: training examples (default 4096 for "
                      "regression, 6000 for logistic)"),
             cl::init(0));
static cl::opt<double> eps0(cl::cat(lpqRunOptions), "eps0",
                            cl::sub(trainCommand),
                            cl::desc("askewsgd: starting tolerance (default: "
                                     "the module's lpq.askew_eps0, every "
                                     "weight feasible)"),
                            cl::init(-1));
static cl::opt<double> epsDecay(cl::cat(lpqRunOptions), "eps-decay",
                                cl::sub(trainCommand),
                                cl::desc("askewsgd: tolerance factor per "
                                         "epoch once annealing starts"),
                                cl::init(0.6));
static cl::opt<int> epsDecayStart(
    cl::cat(lpqRunOptions), "eps-decay-start", cl::sub(trainCommand),
    cl::desc("askewsgd: first annealed epoch (0-based; default: a quarter "
             "of the epochs)"),
    cl::init(-1));
static cl::opt<double> noise(cl::cat(lpqRunOptions), "noise",
                             cl::sub(trainCommand),
                             cl::desc("synthetic-regression: label noise"),
                             cl::init(0.0));
static cl::opt<int64_t> averageFrom(
    cl::cat(lpqRunOptions), "average-from", cl::sub(trainCommand),
    cl::desc("synthetic-regression: average every step from this step on"),
    cl::init(1000));
static cl::opt<std::string> initParams(
    cl::cat(lpqRunOptions), "init-params", cl::sub(trainCommand),
    cl::desc("Start from the parameters PREFIX<k>.npy (e.g. the previous SQ "
             "stage's)"),
    cl::value_desc("PREFIX"));
static cl::opt<std::string>
    saveParams(cl::cat(lpqRunOptions), "save-params", cl::sub(trainCommand),
               cl::desc("Write the final parameters to PREFIX<k>.npy"),
               cl::value_desc("PREFIX"));
static cl::opt<bool> noProgress(cl::cat(lpqRunOptions), "no-progress",
                                cl::sub(trainCommand),
                                cl::desc("No progress bar"));
static cl::opt<int> trainThreads(cl::cat(lpqRunOptions), "num-threads",
                                 cl::sub(trainCommand),
                                 cl::desc("OpenMP threads (0: runtime "
                                          "default)"),
                                 cl::init(0));

/// lpq-run passes ranked tensors and scalars; anything else in a public
/// function's signature (memrefs, unranked tensors, vectors) would only fail
/// deep in the LLVM translation, so it is reported first.
static std::optional<std::string> unsupportedSignature(ModuleOp module) {
  for (auto function : module.getOps<func::FuncOp>()) {
    if (function.isPrivate() || function.isExternal())
      continue;
    FunctionType type = function.getFunctionType();
    auto check = [&](TypeRange types,
                     const char *what) -> std::optional<std::string> {
      for (auto [i, t] : llvm::enumerate(types)) {
        if (isa<RankedTensorType>(t) || t.isIntOrIndexOrFloat())
          continue;
        std::string text;
        llvm::raw_string_ostream os(text);
        os << "function '" << function.getSymName() << "' " << what << " #" << i
           << " has type " << t
           << "; lpq-run runs functions on ranked tensors and scalars";
        return text;
      }
      return std::nullopt;
    };
    if (auto error = check(type.getInputs(), "argument"))
      return error;
    if (auto error = check(type.getResults(), "result"))
      return error;
  }
  return std::nullopt;
}

static int fail(const std::string &message) {
  llvm::errs() << "lpq-run: error: " << message << "\n";
  return 1;
}

/// An output FILE (or PREFIX) can be written only into an existing,
/// writable directory; checked before training so that a typo does not cost
/// the whole run.
static std::optional<std::string> checkOutputPath(llvm::StringRef flag,
                                                  llvm::StringRef path) {
  if (path.empty())
    return std::nullopt;
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  if (dir.empty())
    dir = ".";
  if (!llvm::sys::fs::is_directory(dir) ||
      llvm::sys::fs::access(dir, llvm::sys::fs::AccessMode::Write))
    return "--" + flag.str() + "=" + path.str() + ": directory '" + dir.str() +
           "' does not exist or is not writable";
  return std::nullopt;
}

/// Range checks of the training options shared by every data set.
static std::optional<std::string> checkTrainOptions() {
  // LLVM's parser lets a subcommand take the top-level options too: those
  // of a single run would be silently ignored by the trainer.
  const cl::Option *runOptions[] = {&entry,      std::addressof(argSpecs),
                                    &randomArgs, &outputPrefix,
                                    &repeat,     &device};
  for (const cl::Option *o : runOptions)
    if (o->getNumOccurrences())
      return "--" + o->ArgStr.str() +
             " is an option of running one function; `lpq-run train` "
             "does not take it (it trains on the CPU)";
  if (batchSize < 0)
    return std::string("--batch must be >= 1 (0: the model's, or 128)");
  if (epochs < 1 || !(learningRate > 0))
    return std::string("--epochs must be >= 1 and --lr > 0");
  if (swaStart < -1 && swaStart.getNumOccurrences())
    return std::string("--swa-start must be an epoch (>= 0) or -1 (never)");
  if (!(swaLr > 0))
    return std::string("--swa-lr must be > 0");
  if (trainLimit < 0 || testLimit < 0 || examples < 0)
    return std::string(
        "--train-limit, --test-limit and --examples must be >= 0 (0: all / "
        "the default)");
  if (steps < 1 || averageFrom < 0 || !(noise >= 0))
    return std::string("--steps must be >= 1, --average-from and --noise >= 0");
  if (trainThreads < 0)
    return std::string("--num-threads must be >= 0 (0: runtime default)");
  if (eps0.getNumOccurrences() && !(eps0 >= 0))
    return std::string("--eps0 must be >= 0");
  if (epsDecayStart.getNumOccurrences() && epsDecayStart < 0)
    return std::string("--eps-decay-start must be an epoch (>= 0)");
  if (!(epsDecay > 0 && epsDecay <= 1))
    return std::string("--eps-decay must be in (0, 1]");
  for (auto [flag, path] :
       {std::pair<llvm::StringRef, llvm::StringRef>{"metrics", metricsPath},
        {"plot", plotPath},
        {"save-params", saveParams}})
    if (std::optional<std::string> error = checkOutputPath(flag, path))
      return error;
  return std::nullopt;
}

/// SWALP's quadratic experiment: linear regression on synthetic data.
static int runRegression(ModuleOp module) {
  std::string error;
  RegressionOptions options;
  if (examples > 0)
    options.examples = examples;
  options.noise = noise;
  options.steps = steps;
  options.lr = learningRate;
  options.averageFrom = averageFrom;
  options.seed = trainSeed;
  std::unique_ptr<JitModule> jit =
      JitModule::compile(module, compileOptions(), error);
  if (!jit)
    return fail(error);
  setNumThreads(trainThreads);
  std::optional<std::vector<RegressionPoint>> points =
      trainRegression(*jit, options, llvm::errs(), error);
  if (!points)
    return fail(error);
  const RegressionPoint &last = points->back();
  llvm::outs() << "final distance to the optimum: "
               << llvm::format("%.4g", last.distance) << " (iterate)";
  if (!std::isnan(last.averageDistance))
    llvm::outs() << ", " << llvm::format("%.4g", last.averageDistance)
                 << " (average)";
  llvm::outs() << "\n";
  if (!metricsPath.empty()) {
    if (!writeRegressionMetrics(metricsPath, *points, error))
      return fail(error);
    llvm::outs() << "wrote " << metricsPath << "\n";
  }
  if (!plotPath.empty()) {
    auto recipe = module->getAttrOfType<StringAttr>("lpq.recipe");
    if (!plotRegression(plotPath, *points,
                        "linear regression, " +
                            (recipe ? recipe.str() : std::string("?")),
                        error))
      llvm::errs() << "lpq-run: warning: no plot: " << error << "\n";
    else
      llvm::outs() << "wrote " << plotPath << "\n";
  }
  return 0;
}

static int runTraining(ModuleOp module) {
  if (std::optional<std::string> error = checkTrainOptions())
    return fail(*error);
  if (dataSet == "synthetic-regression")
    return runRegression(module);
  if (dataSet != "fashion-mnist" && dataSet != "synthetic-logistic")
    return fail("--data must be fashion-mnist, synthetic-regression or "
                "synthetic-logistic, got '" +
                dataSet + "'");
  std::string error;
  std::optional<TrainableModule> info = inspectTrainableModule(module, error);
  if (!info)
    return fail(error);
  TrainOptions options;
  options.dataDir = dataDir;
  options.epochs = epochs;
  options.lr = learningRate;
  options.swaStart = swaStart;
  if (swaStart == -2)
    options.swaStart =
        info->recipe == "swalp" ? std::max(1, (2 * epochs + 2) / 3) : -1;
  options.swaLr = swaLr;
  options.seed = trainSeed;
  options.trainLimit = trainLimit;
  options.testLimit = testLimit;
  options.batch = batchSize;
  options.progress = !noProgress && llvm::errs().is_displayed();
  options.initParams = initParams;
  options.saveParams = saveParams;
  options.data = dataSet;
  if (examples > 0)
    options.examples = examples;
  options.eps0 = eps0;
  options.epsDecay = epsDecay;
  options.epsDecayStart = epsDecayStart;
  if (!std::isnan(info->askewEps0))
    llvm::errs() << "  askewsgd tolerance: "
                 << (eps0 >= 0 ? static_cast<double>(eps0) : info->askewEps0)
                 << ", x" << static_cast<double>(epsDecay)
                 << " per epoch from epoch "
                 << (epsDecayStart >= 0 ? epsDecayStart : epochs / 4) << "\n";

  if (!checkTrainInputs(*info, options, error))
    return fail(error);
  bool openBatch = ShapedType::isDynamic(info->batch);
  if (!specializeBatch(module, *info, options, error))
    return fail(error);

  llvm::errs() << "lpq-run train: recipe "
               << (info->recipe.empty() ? "?" : info->recipe) << ", "
               << epochs << " epochs, lr " << options.lr;
  if (options.swaStart >= 0)
    llvm::errs() << ", averaging from epoch " << options.swaStart
                 << " at lr " << options.swaLr;
  llvm::errs() << ", seed " << options.seed << "\n";
  if (openBatch)
    llvm::errs() << "  the model's batch is dynamic: compiled for batches of "
                 << info->batch << "\n";
  JitOptions jitOptions = compileOptions();
  unsigned width = hostVectorWidth(jitOptions.vectorWidth);
  llvm::errs() << "  compiling ("
               << (width ? std::to_string(width) + "-bit vectors"
                         : std::string("the target's vector width"))
               << ", row fusion "
               << (hostFuseRows(jitOptions.fuseRows) ? "on" : "off")
               << ")...\n";
  std::unique_ptr<JitModule> jit =
      JitModule::compile(module, jitOptions, error);
  if (!jit)
    return fail(error);
  setNumThreads(trainThreads);
  std::optional<std::vector<EpochMetrics>> metrics =
      train(*jit, *info, options, llvm::errs(), error);
  if (!metrics)
    return fail(error);
  const EpochMetrics &last = metrics->back();
  llvm::outs() << "final test accuracy: "
               << llvm::format("%.2f%%", 100 * last.testAccuracy);
  if (!std::isnan(last.swaTestAccuracy))
    llvm::outs() << ", averaged model: "
                 << llvm::format("%.2f%%", 100 * last.swaTestAccuracy);
  llvm::outs() << "\n";
  if (!metricsPath.empty()) {
    if (!writeMetrics(metricsPath, *metrics, options, info->recipe, error))
      return fail(error);
    llvm::outs() << "wrote " << metricsPath << "\n";
  }
  if (!plotPath.empty()) {
    if (!plotMetrics(plotPath, *metrics, "lpq " + info->recipe, error))
      llvm::errs() << "lpq-run: warning: no plot: " << error << "\n";
    else
      llvm::outs() << "wrote " << plotPath << "\n";
  }
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(lpqRunOptions);
  cl::HideUnrelatedOptions(lpqRunOptions, trainCommand);
  cl::ParseCommandLineOptions(
      argc, argv,
      "lpq-run: JIT-compile an MLIR module with lpq-cpu-pipeline and run a "
      "function\n\n  lpq-run model.mlir --entry=f --arg=x.npy --arg=rand:4x8 "
      "--arg=7 --output=out\n"
      "  lpq-run train model.train.mlir --epochs=10 --metrics=m.json "
      "--plot=m.png\n");

  bool training = static_cast<bool>(trainCommand);
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<lpq::LPQDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string error;
  const std::string &path = training ? trainInput : inputFile;
  auto file = openInputFile(path, &error);
  if (!file)
    return fail(error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return fail("cannot parse '" + path + "'");
  if (std::optional<std::string> why = unsupportedSignature(*module))
    return fail(*why);
  if (training)
    return runTraining(*module);

  JitOptions options = compileOptions();
  if (numThreads < 0)
    return fail("--num-threads must be >= 0 (0: runtime default)");
  if (repeat < 0)
    return fail("--repeat must be >= 0");
  if (device != "cpu" && device != "cuda")
    return fail("--device must be cpu or cuda, got '" + device + "'");
  options.cuda = device == "cuda";
  std::unique_ptr<JitModule> jit = JitModule::compile(*module, options, error);
  if (!jit)
    return fail(error);
  setNumThreads(numThreads);

  std::vector<std::string> names = jit->entryNames();
  std::string name = entry;
  if (name.empty()) {
    if (names.size() != 1)
      return fail("the module has " + std::to_string(names.size()) +
                  " public functions; choose one with --entry");
    name = names.front();
  }
  if (!jit->signature(name)) {
    std::string list;
    for (const std::string &n : names)
      list += (list.empty() ? "" : ", ") + n;
    return fail("no function '" + name + "' in '" + inputFile +
                "'; functions: " + list);
  }

  std::mt19937_64 rng(seed);
  std::vector<Argument> args;
  for (const std::string &spec : argSpecs) {
    std::optional<Argument> a = parseArg(spec, rng, error);
    if (!a)
      return fail(error);
    args.push_back(std::move(*a));
  }
  if (randomArgs) {
    TypeRange inputs = jit->signature(name)->getInputs();
    for (size_t i = args.size(); i < inputs.size(); ++i) {
      std::optional<Argument> a = randomArg(inputs[i], rng, error);
      if (!a)
        return fail("argument #" + std::to_string(i) + ": " + error);
      args.push_back(std::move(*a));
    }
  }

  // Repeated runs reuse the result buffers (and on CUDA the device copies of
  // the arguments), so the times are the kernels'.
  std::vector<double> times;
  std::optional<std::vector<Array>> results(std::in_place);
  if (!jit->runRepeated(name, args, std::max(1, repeat.getValue()), *results,
                        times, error))
    return fail(error);
  for (size_t i = 0; i < results->size(); ++i) {
    summarize(llvm::outs(), i, (*results)[i]);
    if (!outputPrefix.empty()) {
      std::string path = outputPrefix + std::to_string(i) + ".npy";
      if (!writeNpy(path, (*results)[i], error))
        return fail(error);
      llvm::outs() << "  wrote " << path << "\n";
    }
  }
  if (repeat > 1) {
    std::sort(times.begin(), times.end());
    llvm::outs() << "median time over " << times.size() << " runs: "
                 << llvm::format("%.3f", times[times.size() / 2] * 1e3)
                 << " ms (fastest " << llvm::format("%.3f", times.front() * 1e3)
                 << " ms)\n";
  }
  return 0;
}
