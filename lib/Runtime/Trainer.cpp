//===- Trainer.cpp - Training loops over compiled training steps ----------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Runtime/Trainer.h"

#include "lpq/Data/Idx.h"

#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <chrono>
#include <numeric>

using namespace mlir;
using namespace mlir::lpq::runtime;

namespace {

/// splitmix64: a small, fully specified generator, so initialization and
/// shuffling are the same on every platform for a given seed.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }
  /// Uniform in [0, n).
  uint64_t below(uint64_t n) { return next() % n; }
};

std::vector<int64_t> shapeOf(Type t) {
  auto tensor = cast<RankedTensorType>(t);
  return {tensor.getShape().begin(), tensor.getShape().end()};
}

/// Index of the largest of `n` logits (the first on ties).
int64_t argmax(const float *logits, int64_t n) {
  int64_t best = 0;
  for (int64_t j = 1; j < n; ++j)
    if (logits[j] > logits[best])
      best = j;
  return best;
}

/// Fills batch `x` [B, ...] and `labels` [B] with examples `order[first..]`
/// of `split`; returns how many are real (the rest are zero padding).
int64_t gather(const lpq::data::Split &split, const std::vector<int64_t> &order,
               int64_t first, Array &x, Array &labels) {
  int64_t batch = labels.shape[0];
  int64_t size = x.numElements() / batch;
  int64_t count = std::min<int64_t>(batch, order.size() - first);
  std::fill(x.bytes.begin(), x.bytes.end(), 0);
  std::fill(labels.bytes.begin(), labels.bytes.end(), 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t e = order[first + i];
    std::copy_n(split.images.data<float>() + e * size, size,
                x.data<float>() + i * size);
    labels.data<int32_t>()[i] = split.labels.data<int32_t>()[e];
  }
  return count;
}

int64_t countCorrect(const Array &logits, const Array &labels, int64_t count) {
  int64_t classes = logits.shape[1], correct = 0;
  for (int64_t i = 0; i < count; ++i)
    correct += argmax(logits.data<float>() + i * classes, classes) ==
               labels.data<int32_t>()[i];
  return correct;
}

void truncate(lpq::data::Split &split, int64_t limit) {
  int64_t n = split.labels.shape[0];
  if (limit <= 0 || limit >= n)
    return;
  int64_t size = split.images.numElements() / n;
  split.images.shape[0] = split.labels.shape[0] = limit;
  split.images.bytes.resize(limit * size * sizeof(float));
  split.labels.bytes.resize(limit * sizeof(int32_t));
}

/// `v` with 7 significant digits (enough to tell float32 values apart);
/// `nanText` for NaN (the value not measured).
std::string formatNumber(double v, const char *nanText) {
  if (std::isnan(v))
    return nanText;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.7g", v);
  return buffer;
}

/// A file opened for writing, or null with `error` set.
std::unique_ptr<llvm::raw_fd_ostream> openForWriting(const std::string &path,
                                                     std::string &error) {
  std::error_code ec;
  auto os = std::make_unique<llvm::raw_fd_ostream>(path, ec);
  if (ec) {
    error = "cannot write '" + path + "': " + ec.message();
    return nullptr;
  }
  return os;
}

/// Shuffles `order` in place (Fisher-Yates with `rng`).
void shuffle(std::vector<int64_t> &order, Rng &rng) {
  for (size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[rng.below(i)]);
}

} // namespace

std::optional<TrainableModule>
mlir::lpq::runtime::inspectTrainableModule(ModuleOp module,
                                           std::string &error) {
  for (StringRef name : {"train_step", "evaluate", "swa_update", "forward"})
    if (!module.lookupSymbol<func::FuncOp>(name)) {
      error = "the module has no '" + name.str() +
              "' function: run `lpq-opt --lpq-train-step` on the model first";
      return std::nullopt;
    }
  TrainableModule info;
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    info.forwardIsParam.push_back(
        static_cast<bool>(forward.getArgAttr(i, "lpq.param")));
  if (auto recipe = module->getAttrOfType<StringAttr>("lpq.recipe"))
    info.recipe = recipe.str();
  if (auto eps0 = module->getAttrOfType<FloatAttr>("lpq.askew_eps0"))
    info.askewEps0 = eps0.getValueAsDouble();
  // swa_update takes the averages, the parameters and the count.
  auto swa = module.lookupSymbol<func::FuncOp>("swa_update");
  auto step = module.lookupSymbol<func::FuncOp>("train_step");
  unsigned numParams = (swa.getNumArguments() - 1) / 2;
  for (unsigned k = 0; k < numParams && k < step.getNumArguments(); ++k) {
    auto type = dyn_cast<RankedTensorType>(step.getArgumentTypes()[k]);
    if (!type || !type.hasStaticShape()) {
      error = "train_step's parameter #" + std::to_string(k) +
              " must be a tensor of static shape";
      return std::nullopt;
    }
    info.paramShapes.push_back(shapeOf(type));
  }
  if (2 * numParams < step.getNumArguments())
    if (auto x =
            dyn_cast<RankedTensorType>(step.getArgumentTypes()[2 * numParams]);
        x && x.getRank() > 0)
      info.batch = x.getDimSize(0);
  return info;
}

namespace {

/// The batch a model with a dynamic batch trains with: --batch, or 128.
int64_t openBatchSize(const TrainOptions &options) {
  return options.batch > 0 ? options.batch : 128;
}

/// Why `requested` examples per batch (0: the default) cannot train a model
/// whose batch is `modelBatch` (dynamic or fixed); nullopt when they can.
std::optional<std::string> batchMismatch(int64_t modelBatch,
                                         int64_t requested) {
  if (requested <= 0 || ShapedType::isDynamic(modelBatch) ||
      requested == modelBatch)
    return std::nullopt;
  return "the model's batch is fixed at " + std::to_string(modelBatch) +
         " examples; a batch of " + std::to_string(requested) +
         " needs a model with a dynamic batch dimension (tensor<?x...>)";
}

} // namespace

std::optional<std::vector<Array>> mlir::lpq::runtime::loadInitParams(
    const std::string &prefix,
    const std::vector<std::vector<int64_t>> &paramShapes, std::string &error) {
  std::vector<Array> params;
  for (size_t k = 0; k < paramShapes.size(); ++k) {
    std::string path = prefix + std::to_string(k) + ".npy";
    std::optional<Array> p = readNpy(path, error);
    if (!p)
      return std::nullopt;
    if (p->dtype != DType::F32 || p->shape != paramShapes[k]) {
      error = "'" + path + "' does not match parameter #" + std::to_string(k) +
              "'s float32 shape";
      return std::nullopt;
    }
    params.push_back(std::move(*p));
  }
  return params;
}

bool mlir::lpq::runtime::checkTrainInputs(const TrainableModule &info,
                                          const TrainOptions &options,
                                          std::string &error) {
  if (std::optional<std::string> why =
          batchMismatch(info.batch, options.batch)) {
    error = *why;
    return false;
  }
  if (options.data == "fashion-mnist" &&
      !lpq::data::hasFashionMNIST(options.dataDir, error))
    return false;
  return options.initParams.empty() ||
         loadInitParams(options.initParams, info.paramShapes, error);
}

bool mlir::lpq::runtime::specializeBatch(ModuleOp module, TrainableModule &info,
                                         const TrainOptions &options,
                                         std::string &error) {
  if (!ShapedType::isDynamic(info.batch))
    return true;
  int64_t batch = openBatchSize(options);
  PassManager pm(module.getContext());
  LPQSpecializeBatchPassOptions passOptions;
  passOptions.size = batch;
  pm.addPass(createLPQSpecializeBatchPass(passOptions));
  if (failed(pm.run(module))) {
    error = "cannot compile the model for a batch of " + std::to_string(batch);
    return false;
  }
  info.batch = batch;
  return true;
}

double mlir::lpq::runtime::swalpLearningRateFactor(int epoch, int swaStart,
                                                   double swaRatio) {
  double t = static_cast<double>(epoch) / swaStart;
  if (t >= 1.0)
    return swaRatio;
  if (t <= 0.5)
    return 1.0;
  if (t <= 0.9)
    return 1.0 - (1.0 - 0.01) * (t - 0.5) / 0.4;
  return 0.01;
}

int mlir::lpq::runtime::askewAnnealStart(const TrainOptions &options) {
  return options.epsDecayStart >= 0 ? options.epsDecayStart
                                    : options.epochs / 4;
}

double mlir::lpq::runtime::askewTolerance(int epoch,
                                          const TrainOptions &options,
                                          double eps0) {
  int start = askewAnnealStart(options);
  if (options.eps0 >= 0)
    eps0 = options.eps0;
  return epoch < start ? eps0
                       : eps0 * std::pow(options.epsDecay, epoch - start + 1);
}

namespace {

/// AskewSGD's toy problem (TrainOptions::data): `train` and `test` splits of
/// d-dimensional examples, and w*.
struct SyntheticLogistic {
  lpq::data::Split train, test;
  std::vector<float> wStar;
};

SyntheticLogistic makeSyntheticLogistic(int64_t examples, int64_t d,
                                        uint64_t seed) {
  Rng rng{seed ^ 0x5eedULL};
  SyntheticLogistic out;
  for (int64_t i = 0; i < d; ++i)
    out.wStar.push_back(rng.uniform() < 0.5 ? -1.0f : 1.0f);
  auto makeSplit = [&](int64_t n) {
    lpq::data::Split split{Array::zeros(DType::F32, {n, d}),
                           Array::zeros(DType::I32, {n})};
    for (int64_t e = 0; e < n; ++e) {
      double dot = 0;
      for (int64_t i = 0; i < d; ++i) {
        float v = static_cast<float>(2 * rng.uniform() - 1);
        split.images.data<float>()[e * d + i] = v;
        dot += v * out.wStar[i];
      }
      double p = 1.0 / (1.0 + std::exp(-dot));
      split.labels.data<int32_t>()[e] = rng.uniform() < p ? 1 : 0;
    }
    return split;
  };
  out.train = makeSplit(examples);
  out.test = makeSplit(1000);
  return out;
}

} // namespace

std::optional<std::vector<EpochMetrics>>
mlir::lpq::runtime::train(JitModule &jit, const TrainableModule &info,
                          const TrainOptions &options, llvm::raw_ostream &log,
                          std::string &error) {
  std::optional<FunctionType> stepType = jit.signature("train_step");
  std::optional<FunctionType> swaType = jit.signature("swa_update");
  if (!stepType || !swaType) {
    error = "the module has no train_step / swa_update";
    return std::nullopt;
  }
  unsigned numParams = (swaType->getNumInputs() - 1) / 2;
  bool askew = !std::isnan(info.askewEps0);
  unsigned tail = askew ? 6 : 5;
  // AskewSGD: one grid-scale argument per constrained weight after eps.
  unsigned numScales =
      askew ? stepType->getNumInputs() - std::min(stepType->getNumInputs(),
                                                  2 * numParams + tail)
            : 0;
  if (stepType->getNumInputs() != 2 * numParams + tail + numScales) {
    error = "the trainer supports models with one input tensor (the image "
            "batch); train_step has " +
            std::to_string(stepType->getNumInputs() - 2 * numParams - tail +
                           1);
    return std::nullopt;
  }
  std::vector<int64_t> xShape = shapeOf(stepType->getInput(2 * numParams));
  if (!xShape.empty()) {
    if (std::optional<std::string> why =
            batchMismatch(xShape[0], options.batch)) {
      error = *why;
      return std::nullopt;
    }
    if (ShapedType::isDynamic(xShape[0]))
      xShape[0] = openBatchSize(options);
  }
  int64_t batch = xShape.empty() ? 0 : xShape[0], exampleSize = 1;
  for (size_t i = 1; i < xShape.size(); ++i)
    exampleSize *= xShape[i];
  bool synthetic = options.data == "synthetic-logistic";
  if (!synthetic && options.data != "fashion-mnist") {
    error = "unknown data set '" + options.data +
            "' (fashion-mnist or synthetic-logistic)";
    return std::nullopt;
  }
  if (batch <= 0 || (!synthetic && exampleSize != 28 * 28)) {
    error = "the model's input must hold batches of 28x28 images, got " +
            std::to_string(exampleSize) + " values per example";
    return std::nullopt;
  }

  lpq::data::Split trainSet, testSet;
  std::vector<float> wStar;
  if (synthetic) {
    std::vector<int64_t> logits = shapeOf(stepType->getResult(1));
    if (logits.size() != 2 || logits[1] != 2 || xShape.size() != 2) {
      error = "synthetic-logistic needs a model from [N, d] inputs to [N, 2] "
              "logits (examples/toy_logistic.mlir)";
      return std::nullopt;
    }
    SyntheticLogistic data =
        makeSyntheticLogistic(options.examples, exampleSize, options.seed);
    trainSet = std::move(data.train);
    testSet = std::move(data.test);
    wStar = std::move(data.wStar);
  } else {
    std::optional<lpq::data::Split> tr =
        lpq::data::loadFashionMNIST(options.dataDir, /*train=*/true, error);
    if (!tr)
      return std::nullopt;
    std::optional<lpq::data::Split> te =
        lpq::data::loadFashionMNIST(options.dataDir, /*train=*/false, error);
    if (!te)
      return std::nullopt;
    trainSet = std::move(*tr);
    testSet = std::move(*te);
  }
  truncate(trainSet, options.trainLimit);
  truncate(testSet, options.testLimit);

  // Arguments of train_step; parameters and momenta live in them and are
  // swapped with the results after every step.
  Rng rng{options.seed};
  std::vector<Argument> stepArgs;
  double bound = 0;
  for (unsigned k = 0; k < numParams; ++k) {
    std::vector<int64_t> shape = shapeOf(stepType->getInput(k));
    Array p = Array::zeros(DType::F32, shape);
    if (shape.size() >= 2) {
      int64_t fanIn = 1;
      for (size_t d = 1; d < shape.size(); ++d)
        fanIn *= shape[d];
      bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
    } else if (bound == 0) {
      bound =
          1.0 / std::sqrt(static_cast<double>(shape.empty() ? 1 : shape[0]));
    }
    // PyTorch's default for linear and conv layers: U(-1/sqrt(fan_in),
    // 1/sqrt(fan_in)) for weights and for the bias that follows them.
    for (int64_t i = 0; i < p.numElements(); ++i)
      p.data<float>()[i] = static_cast<float>((2 * rng.uniform() - 1) * bound);
    stepArgs.push_back(Argument::of(std::move(p)));
  }
  if (!options.initParams.empty()) {
    std::optional<std::vector<Array>> init =
        loadInitParams(options.initParams, info.paramShapes, error);
    if (!init)
      return std::nullopt;
    for (size_t k = 0; k < init->size(); ++k)
      stepArgs[k] = Argument::of(std::move((*init)[k]));
  }
  for (unsigned k = 0; k < numParams; ++k)
    stepArgs.push_back(
        Argument::of(Array::zeros(DType::F32, shapeOf(stepType->getInput(k)))));
  size_t xIndex = stepArgs.size();
  stepArgs.push_back(Argument::of(Array::zeros(DType::F32, xShape)));
  stepArgs.push_back(Argument::of(Array::zeros(DType::I32, {batch})));
  size_t lrIndex = stepArgs.size();
  stepArgs.push_back(Argument::of(0.0));
  stepArgs.push_back(Argument::ofInteger(static_cast<int64_t>(options.seed)));
  size_t stepIndex = stepArgs.size();
  stepArgs.push_back(Argument::ofInteger(0));
  size_t epsIndex = stepArgs.size();
  if (askew)
    stepArgs.push_back(Argument::of(info.askewEps0));
  // 0: each weight uses its own grid scale until they are frozen.
  size_t scaleIndex = stepArgs.size();
  for (unsigned j = 0; j < numScales; ++j)
    stepArgs.push_back(Argument::of(0.0));
  Array &x = *stepArgs[xIndex].array;
  Array &labels = *stepArgs[xIndex + 1].array;

  // Averaged parameters (swa_update's first operands) and their count.
  std::vector<Argument> swaArgs;
  for (unsigned k = 0; k < numParams; ++k)
    swaArgs.push_back(
        Argument::of(Array::zeros(DType::F32, shapeOf(stepType->getInput(k)))));
  for (unsigned k = 0; k < numParams; ++k)
    swaArgs.push_back(Argument::of(Array()));
  swaArgs.push_back(Argument::ofInteger(0));
  int swaCount = 0;

  bool swa = options.swaStart >= 0;
  int scheduleEnd = swa ? std::max(1, options.swaStart) : options.epochs;
  double swaRatio = swa ? options.swaLr / options.lr : 0.01;

  // Test accuracy of `params` through `evaluate` (the low-precision model:
  // parameters, batch, seed, step) or `forward` (float32, the forward's own
  // argument order).
  std::vector<int64_t> testOrder(testSet.labels.shape[0]);
  std::iota(testOrder.begin(), testOrder.end(), 0);
  std::vector<Array> evalResults;
  auto evaluate =
      [&](StringRef entry, bool lowPrecision,
          const std::vector<Argument> &params) -> std::optional<double> {
    // The arguments are built once; each batch is gathered into the input.
    std::vector<Argument> args;
    size_t xAt = 0;
    if (lowPrecision) {
      args.assign(params.begin(), params.begin() + numParams);
      xAt = args.size();
      args.push_back(Argument::of(x));
      args.push_back(Argument::ofInteger(static_cast<int64_t>(options.seed)));
      args.push_back(Argument::ofInteger(0));
      args.insert(args.end(), stepArgs.begin() + scaleIndex,
                  stepArgs.begin() + scaleIndex + numScales);
    } else {
      unsigned p = 0;
      for (bool isParam : info.forwardIsParam) {
        if (!isParam)
          xAt = args.size();
        args.push_back(isParam ? params[p++] : Argument::of(x));
      }
    }
    int64_t correct = 0;
    for (size_t first = 0; first < testOrder.size(); first += batch) {
      int64_t count =
          gather(testSet, testOrder, first, *args[xAt].array, labels);
      if (lowPrecision)
        args[xAt + 2] = Argument::ofInteger(first / batch);
      if (!jit.runInto(entry, args, evalResults, error))
        return std::nullopt;
      correct += countCorrect(evalResults[0], labels, count);
    }
    return static_cast<double>(correct) / testOrder.size();
  };

  std::vector<EpochMetrics> metrics;
  std::vector<Array> results;
  std::vector<int64_t> order(trainSet.labels.shape[0]);
  int64_t numBatches = order.size() / batch;
  if (numBatches == 0) {
    error = "fewer training examples than one batch (" + std::to_string(batch) +
            ")";
    return std::nullopt;
  }
  int32_t step = 0;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    EpochMetrics m;
    m.epoch = epoch + 1;
    m.lr = options.lr * swalpLearningRateFactor(epoch, scheduleEnd, swaRatio);
    stepArgs[lrIndex] = Argument::of(m.lr);
    if (askew) {
      m.eps = askewTolerance(epoch, options, info.askewEps0);
      stepArgs[epsIndex] = Argument::of(m.eps);
      // Annealing starts: freeze the grid scales at the last ones used (as
      // the authors freeze SAWB's clip), so the grid stops moving; after
      // the first epoch when annealing starts at once.
      if (epoch == std::max(1, askewAnnealStart(options)))
        for (unsigned j = 0; j < numScales; ++j)
          stepArgs[scaleIndex + j] =
              Argument::of(results[2 + 2 * numParams + j].data<float>()[0]);
    }
    std::iota(order.begin(), order.end(), 0);
    shuffle(order, rng);
    double lossSum = 0;
    int64_t correct = 0;
    for (int64_t b = 0; b < numBatches; ++b) {
      gather(trainSet, order, b * batch, x, labels);
      stepArgs[stepIndex] = Argument::ofInteger(step++);
      if (!jit.runInto("train_step", stepArgs, results, error))
        return std::nullopt;
      float loss = results[0].data<float>()[0];
      if (!std::isfinite(loss)) {
        error = "training diverged: the loss is " + std::to_string(loss) +
                " at step " + std::to_string(step - 1) + " (epoch " +
                std::to_string(epoch + 1) + "); try a smaller --lr";
        return std::nullopt;
      }
      lossSum += loss;
      correct += countCorrect(results[1], labels, batch);
      for (unsigned k = 0; k < 2 * numParams; ++k)
        std::swap(*stepArgs[k].array, results[2 + k]);
      if (options.progress && (b % 8 == 0 || b + 1 == numBatches)) {
        double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start)
                             .count();
        int filled = static_cast<int>(30 * (b + 1) / numBatches);
        log << llvm::format("\r  epoch %d/%d [", epoch + 1, options.epochs)
            << std::string(filled, '=') << std::string(30 - filled, ' ')
            << llvm::format("] %lld/%lld  loss %.4f  acc %.2f%%  %.1f s",
                            static_cast<long long>(b + 1),
                            static_cast<long long>(numBatches),
                            lossSum / (b + 1),
                            100.0 * correct / ((b + 1) * batch), seconds);
        log.flush();
      }
    }
    if (options.progress)
      log << "\r" << std::string(100, ' ') << "\r";
    m.trainLoss = lossSum / numBatches;
    m.trainAccuracy = static_cast<double>(correct) / (numBatches * batch);

    if (swa && epoch + 1 >= options.swaStart) {
      for (unsigned k = 0; k < numParams; ++k)
        swaArgs[numParams + k] = stepArgs[k];
      swaArgs.back() = Argument::ofInteger(swaCount++);
      std::vector<Array> averaged;
      if (!jit.runInto("swa_update", swaArgs, averaged, error))
        return std::nullopt;
      for (unsigned k = 0; k < numParams; ++k)
        swaArgs[k] = Argument::of(std::move(averaged[k]));
    }
    std::optional<double> acc = evaluate("evaluate", true, stepArgs);
    if (!acc)
      return std::nullopt;
    m.testAccuracy = *acc;
    if (swaCount > 0) {
      std::optional<double> swaAcc = evaluate("forward", false, swaArgs);
      if (!swaAcc)
        return std::nullopt;
      m.swaTestAccuracy = *swaAcc;
    }
    m.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    log << llvm::format("epoch %3d/%d  lr %.4f  loss %.4f  train %.2f%%  "
                        "test %.2f%%",
                        m.epoch, options.epochs, m.lr, m.trainLoss,
                        100 * m.trainAccuracy, 100 * m.testAccuracy);
    if (!std::isnan(m.swaTestAccuracy))
      log << llvm::format("  swa %.2f%%", 100 * m.swaTestAccuracy);
    if (askew)
      log << llvm::format("  eps %.3g", m.eps);
    if (synthetic) {
      // Signs of the first parameter (the weight row) against w*.
      const Array &w = *stepArgs[0].array;
      m.signsRecovered = 0;
      for (size_t i = 0; i < wStar.size() && i < size_t(w.numElements()); ++i)
        m.signsRecovered += (w.data<float>()[i] >= 0) == (wStar[i] > 0);
      log << llvm::format("  signs %d/%d", m.signsRecovered,
                          static_cast<int>(wStar.size()));
    }
    log << llvm::format("  (%.1f s)\n", m.seconds);
    log.flush();
    metrics.push_back(m);
  }
  if (!options.saveParams.empty())
    for (unsigned k = 0; k < numParams; ++k)
      if (!writeNpy(options.saveParams + std::to_string(k) + ".npy",
                    *stepArgs[k].array, error))
        return std::nullopt;
  return metrics;
}

bool mlir::lpq::runtime::writeMetrics(const std::string &path,
                                      const std::vector<EpochMetrics> &metrics,
                                      const TrainOptions &options,
                                      const std::string &recipe,
                                      std::string &error) {
  std::unique_ptr<llvm::raw_fd_ostream> file = openForWriting(path, error);
  if (!file)
    return false;
  llvm::raw_fd_ostream &os = *file;
  auto number = [](double v) { return formatNumber(v, "null"); };
  if (StringRef(path).ends_with(".csv")) {
    os << "epoch,lr,train_loss,train_accuracy,test_accuracy,"
          "swa_test_accuracy,seconds\n";
    for (const EpochMetrics &m : metrics) {
      auto csv = [](double v) { return formatNumber(v, ""); };
      os << m.epoch << "," << csv(m.lr) << "," << csv(m.trainLoss) << ","
         << csv(m.trainAccuracy) << "," << csv(m.testAccuracy) << ","
         << csv(m.swaTestAccuracy) << "," << csv(m.seconds) << "\n";
    }
    return true;
  }
  os << "{\n  \"recipe\": \"" << recipe << "\",\n  \"seed\": " << options.seed
     << ",\n  \"epochs\": " << options.epochs
     << ",\n  \"lr\": " << number(options.lr)
     << ",\n  \"swa_start\": " << options.swaStart
     << ",\n  \"swa_lr\": " << number(options.swaLr)
     << ",\n  \"per_epoch\": [\n";
  for (size_t i = 0; i < metrics.size(); ++i) {
    const EpochMetrics &m = metrics[i];
    os << "    {\"epoch\": " << m.epoch << ", \"lr\": " << number(m.lr)
       << ", \"train_loss\": " << number(m.trainLoss)
       << ", \"train_accuracy\": " << number(m.trainAccuracy)
       << ", \"test_accuracy\": " << number(m.testAccuracy)
       << ", \"swa_test_accuracy\": " << number(m.swaTestAccuracy);
    if (!std::isnan(m.eps))
      os << ", \"eps\": " << number(m.eps);
    if (m.signsRecovered >= 0)
      os << ", \"signs_recovered\": " << m.signsRecovered;
    os << ", \"seconds\": " << number(m.seconds) << "}"
       << (i + 1 < metrics.size() ? "," : "") << "\n";
  }
  os << "  ]\n}\n";
  return true;
}

namespace {

/// Runs gnuplot on `script`, in which DATA stands for a file holding `data`.
bool runGnuplot(const std::string &script, const std::string &data,
                std::string &error) {
  llvm::ErrorOr<std::string> gnuplot = llvm::sys::findProgramByName("gnuplot");
  if (!gnuplot) {
    error = "gnuplot not found (apt-get install gnuplot-nox)";
    return false;
  }
  llvm::SmallString<128> dataPath, scriptPath, messagesPath;
  if (llvm::sys::fs::createTemporaryFile("lpq-metrics", "dat", dataPath) ||
      llvm::sys::fs::createTemporaryFile("lpq-plot", "gp", scriptPath) ||
      llvm::sys::fs::createTemporaryFile("lpq-plot", "txt", messagesPath)) {
    error = "cannot create temporary files for gnuplot";
    return false;
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream dataFile(dataPath, ec);
    dataFile << data;
    llvm::raw_fd_ostream scriptFile(scriptPath, ec);
    std::string text = script;
    for (size_t at; (at = text.find("DATA")) != std::string::npos;)
      text.replace(at, 4, "'" + dataPath.str().str() + "'");
    scriptFile << text;
  }
  // gnuplot's messages (such as its warnings about the empty ranges of a
  // one-epoch run) are shown only when it fails.
  std::string message;
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, std::nullopt,
                                                messagesPath.str()};
  int rc = llvm::sys::ExecuteAndWait(*gnuplot, {*gnuplot, scriptPath.str()},
                                     std::nullopt, redirects, 0, 0, &message);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> messages =
      llvm::MemoryBuffer::getFile(messagesPath);
  llvm::sys::fs::remove(dataPath);
  llvm::sys::fs::remove(scriptPath);
  llvm::sys::fs::remove(messagesPath);
  if (rc != 0) {
    error = "gnuplot failed" + (message.empty() ? "" : ": " + message);
    if (messages && !(*messages)->getBuffer().trim().empty())
      error += "\n" + (*messages)->getBuffer().trim().str();
    return false;
  }
  return true;
}

} // namespace

bool mlir::lpq::runtime::plotMetrics(const std::string &pngPath,
                                     const std::vector<EpochMetrics> &metrics,
                                     const std::string &title,
                                     std::string &error) {
  std::string data;
  for (const EpochMetrics &m : metrics)
    data += std::to_string(m.epoch) + " " + formatNumber(m.trainLoss, "NaN") +
            " " + formatNumber(100 * m.testAccuracy, "NaN") + " " +
            formatNumber(100 * m.swaTestAccuracy, "NaN") + "\n";
  std::string script =
      "set terminal pngcairo size 900,400\n"
      "set output '" +
      pngPath +
      "'\n"
      "set multiplot layout 1,2 title '" +
      title +
      "'\n"
      "set xlabel 'epoch'\nset ylabel 'test accuracy (%)'\n"
      "set key bottom right\nset grid\n"
      "plot DATA using 1:3 with linespoints title 'SGD iterate', "
      "DATA using 1:4 with linespoints title 'SWA average'\n"
      "set ylabel 'training loss'\nset key top right\n"
      "plot DATA using 1:2 with linespoints title 'train loss'\n"
      "unset multiplot\n";
  return runGnuplot(script, data, error);
}

namespace {

/// Standard normal samples (Box-Muller over splitmix64).
double normal(Rng &rng) {
  double u = rng.uniform(), v = rng.uniform();
  return std::sqrt(-2.0 * std::log1p(-u)) * std::cos(2 * M_PI * v);
}

/// Solves the symmetric positive definite system `a x = b` (n x n, row
/// major) in place by Cholesky; returns false if `a` is singular.
bool solveSPD(std::vector<double> a, std::vector<double> &b, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int64_t k = 0; k < j; ++k)
      d -= a[j * n + k] * a[j * n + k];
    if (d <= 0)
      return false;
    a[j * n + j] = std::sqrt(d);
    for (int64_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (int64_t k = 0; k < j; ++k)
        v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / a[j * n + j];
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < i; ++k)
      b[i] -= a[i * n + k] * b[k];
    b[i] /= a[i * n + i];
  }
  for (int64_t i = n - 1; i >= 0; --i) {
    for (int64_t k = i + 1; k < n; ++k)
      b[i] -= a[k * n + i] * b[k];
    b[i] /= a[i * n + i];
  }
  return true;
}

double distance(const Array &w, const std::vector<double> &opt) {
  double sum = 0;
  for (int64_t i = 0; i < w.numElements(); ++i) {
    double d = w.data<float>()[i] - opt[i];
    sum += d * d;
  }
  return std::sqrt(sum);
}

} // namespace

std::optional<std::vector<RegressionPoint>> mlir::lpq::runtime::trainRegression(
    JitModule &jit, const RegressionOptions &options, llvm::raw_ostream &log,
    std::string &error) {
  std::optional<FunctionType> type = jit.signature("train_step");
  if (!type || type->getNumInputs() != 7) {
    error = "regression needs a train_step with one weight [C, d] and one "
            "input [B, d] (lpq-train-step{loss=mse} on such a model)";
    return std::nullopt;
  }
  std::vector<int64_t> wShape = shapeOf(type->getInput(0));
  std::vector<int64_t> xShape = shapeOf(type->getInput(2));
  std::vector<int64_t> tShape = shapeOf(type->getInput(3));
  if (wShape.size() != 2 || xShape.size() != 2 || wShape[1] != xShape[1] ||
      tShape != std::vector<int64_t>{xShape[0], wShape[0]}) {
    error = "regression needs weight [C, d], input [B, d] and targets "
            "[B, C] (a model built with loss=mse)";
    return std::nullopt;
  }
  int64_t outputs = wShape[0], d = wShape[1], batch = xShape[0];
  int64_t n = options.examples;
  if (n < batch) {
    error = "fewer examples than one batch";
    return std::nullopt;
  }

  // Data and the least-squares optimum (normal equations in double).
  Rng rng{options.seed};
  std::vector<double> wStar(outputs * d), x(n * d), y(n * outputs);
  for (double &v : wStar)
    v = 2 * rng.uniform() - 1;
  for (double &v : x)
    v = static_cast<float>(normal(rng));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < outputs; ++c) {
      double dot = 0;
      for (int64_t k = 0; k < d; ++k)
        dot += wStar[c * d + k] * x[i * d + k];
      y[i * outputs + c] =
          static_cast<float>(dot + options.noise * normal(rng));
    }
  std::vector<double> gram(d * d, 0.0), opt(outputs * d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j)
      for (int64_t k = 0; k < d; ++k)
        gram[j * d + k] += x[i * d + j] * x[i * d + k];
  for (int64_t c = 0; c < outputs; ++c) {
    std::vector<double> rhs(d, 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < d; ++k)
        rhs[k] += x[i * d + k] * y[i * outputs + c];
    if (!solveSPD(gram, rhs, d)) {
      error = "the synthetic design matrix is singular (more examples?)";
      return std::nullopt;
    }
    std::copy(rhs.begin(), rhs.end(), opt.begin() + c * d);
  }

  std::vector<Argument> args;
  args.push_back(Argument::of(Array::zeros(DType::F32, wShape)));
  args.push_back(Argument::of(Array::zeros(DType::F32, wShape)));
  args.push_back(Argument::of(Array::zeros(DType::F32, xShape)));
  args.push_back(Argument::of(Array::zeros(DType::F32, tShape)));
  args.push_back(Argument::of(options.lr));
  args.push_back(Argument::ofInteger(static_cast<int64_t>(options.seed)));
  args.push_back(Argument::ofInteger(0));
  std::vector<Argument> swaArgs = {
      Argument::of(Array::zeros(DType::F32, wShape)),
      Argument::of(Array::zeros(DType::F32, wShape)), Argument::ofInteger(0)};

  // Log-spaced measurement steps.
  std::vector<int64_t> marks;
  for (int i = 0; i <= options.points; ++i) {
    auto s = static_cast<int64_t>(
        std::round(std::pow(static_cast<double>(options.steps),
                            static_cast<double>(i) / options.points)));
    if (marks.empty() || s > marks.back())
      marks.push_back(s);
  }
  std::vector<RegressionPoint> points;
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  int64_t position = n, averaged = 0;
  std::vector<Array> results, averages;
  size_t nextMark = 0;
  for (int64_t step = 1; step <= options.steps; ++step) {
    if (position + batch > n) {
      shuffle(order, rng);
      position = 0;
    }
    Array &xb = *args[2].array, &tb = *args[3].array;
    for (int64_t i = 0; i < batch; ++i) {
      int64_t e = order[position + i];
      for (int64_t k = 0; k < d; ++k)
        xb.data<float>()[i * d + k] = static_cast<float>(x[e * d + k]);
      for (int64_t c = 0; c < outputs; ++c)
        tb.data<float>()[i * outputs + c] =
            static_cast<float>(y[e * outputs + c]);
    }
    position += batch;
    args[6] = Argument::ofInteger(step - 1);
    if (!jit.runInto("train_step", args, results, error))
      return std::nullopt;
    std::swap(*args[0].array, results[2]);
    std::swap(*args[1].array, results[3]);
    if (step >= options.averageFrom) {
      swaArgs[1] = args[0];
      swaArgs[2] = Argument::ofInteger(averaged++);
      if (!jit.runInto("swa_update", swaArgs, averages, error))
        return std::nullopt;
      std::swap(*swaArgs[0].array, averages[0]);
    }
    if (nextMark < marks.size() && step == marks[nextMark]) {
      ++nextMark;
      RegressionPoint p;
      p.step = step;
      p.distance = distance(*args[0].array, opt);
      if (averaged > 0)
        p.averageDistance = distance(*swaArgs[0].array, opt);
      points.push_back(p);
    }
  }
  const RegressionPoint &last = points.back();
  log << llvm::format("step %lld: distance to the optimum %.3g (iterate)",
                      static_cast<long long>(last.step), last.distance);
  if (!std::isnan(last.averageDistance))
    log << llvm::format(", %.3g (average)", last.averageDistance);
  log << "\n";
  return points;
}

bool mlir::lpq::runtime::writeRegressionMetrics(
    const std::string &path, const std::vector<RegressionPoint> &points,
    std::string &error) {
  std::unique_ptr<llvm::raw_fd_ostream> os = openForWriting(path, error);
  if (!os)
    return false;
  *os << "step,distance,average_distance\n";
  for (const RegressionPoint &p : points)
    *os << p.step << "," << formatNumber(p.distance, "") << ","
        << formatNumber(p.averageDistance, "") << "\n";
  return true;
}

bool mlir::lpq::runtime::plotRegression(
    const std::string &pngPath, const std::vector<RegressionPoint> &points,
    const std::string &title, std::string &error) {
  std::string data;
  for (const RegressionPoint &p : points)
    data += std::to_string(p.step) + " " + formatNumber(p.distance, "NaN") +
            " " + formatNumber(p.averageDistance, "NaN") + "\n";
  std::string script =
      "set terminal pngcairo size 700,450\n"
      "set output '" +
      pngPath +
      "'\n"
      "set title '" +
      title +
      "'\n"
      "set logscale xy\nset grid\nset key top right\n"
      "set xlabel 'step'\nset ylabel 'distance to the optimum'\n"
      "plot DATA using 1:2 with lines lw 2 title 'iterate (SGD)', "
      "DATA using 1:3 with lines lw 2 title 'average (SWA)'\n";
  return runGnuplot(script, data, error);
}
