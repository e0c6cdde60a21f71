//===- Trainer.h - Training loops over compiled training steps --*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Drives the functions `lpq-train-step` generates (`train_step`, `evaluate`,
// `swa_update`, and the float32 `forward`) over Fashion-MNIST: seeded
// initialization and shuffling, SWALP's learning-rate schedule, stochastic
// weight averaging, evaluation, metrics and plots.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_RUNTIME_TRAINER_H
#define LPQ_RUNTIME_TRAINER_H

#include "lpq/Runtime/JitRunner.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <string>
#include <vector>

namespace mlir::lpq::runtime {

/// What the trainer needs to know about the module before it is lowered.
struct TrainableModule {
  /// For each argument of `forward`: whether it is a parameter.
  std::vector<bool> forwardIsParam;
  /// The `lpq.recipe` module attribute (fp32, sgd-lp, swalp, ...).
  std::string recipe;
  /// AskewSGD: train_step takes a trailing tolerance eps, starting at this
  /// value (`lpq.askew_eps0`); NaN for other recipes.
  double askewEps0 = NAN;
  /// The shapes of the parameters (train_step's leading arguments).
  std::vector<std::vector<int64_t>> paramShapes;
  /// The examples per batch of train_step's input; ShapedType::kDynamic
  /// when the model leaves it open (TrainOptions::batch chooses).
  int64_t batch = 0;
};

/// Reads what TrainableModule describes from a module `lpq-train-step`
/// produced; returns nullopt and sets `error` when it is not one.
std::optional<TrainableModule> inspectTrainableModule(ModuleOp module,
                                                      std::string &error);

struct TrainOptions {
  std::string dataDir;
  int epochs = 10;
  double lr = 0.05;
  /// Average from this epoch on (SWALP's swa_start); negative: no averaging.
  int swaStart = -1;
  /// Learning rate while averaging.
  double swaLr = 0.01;
  uint64_t seed = 0;
  /// Use only the first N training / test images (0: all).
  int64_t trainLimit = 0, testLimit = 0;
  /// Print a progress bar (otherwise one line per epoch).
  bool progress = true;
  /// Examples per step for a model whose batch dimension is dynamic
  /// (`tensor<?x...>`); 0: 128. A model with a static batch must be given 0
  /// or its own batch.
  int64_t batch = 0;
  /// Start from the parameters in PREFIX<k>.npy instead of a random
  /// initialization (e.g. SQ's next stage); empty: random.
  std::string initParams;
  /// Write the final parameters to PREFIX<k>.npy; empty: do not.
  std::string saveParams;
  /// `fashion-mnist`, or `synthetic-logistic`: AskewSGD's toy problem, x ~
  /// U(-1, 1)^d, labels ~ Bernoulli(sigmoid(x . w*)) with w* in {-1, +1}^d
  /// drawn from the seed, `examples` training and 1000 test examples (d from
  /// the model's input; its logits are [N, 2]).
  std::string data = "fashion-mnist";
  int64_t examples = 6000;
  /// AskewSGD's annealing: eps = eps0 until epoch `epsDecayStart` (0-based;
  /// negative: a quarter of the epochs), then eps0 * epsDecay^(epochs
  /// since). eps0 < 0: the module's lpq.askew_eps0.
  double eps0 = -1;
  double epsDecay = 0.6;
  int epsDecayStart = -1;
};

/// Reads PREFIX<k>.npy for every parameter and checks each against the
/// parameter's float32 shape; nullopt and `error` when one is missing or
/// does not match.
std::optional<std::vector<Array>>
loadInitParams(const std::string &prefix,
               const std::vector<std::vector<int64_t>> &paramShapes,
               std::string &error);

/// Checks what `train` would otherwise find wrong only after the module has
/// been compiled: that the data set is installed (Fashion-MNIST), that the
/// `initParams` files match the parameters and that a requested batch size
/// fits the model.
bool checkTrainInputs(const TrainableModule &info, const TrainOptions &options,
                      std::string &error);

/// For a model with a dynamic batch: compiles it for the batch it will
/// train with (`options.batch`, or 128) by running lpq-specialize-batch on
/// `module`, and records that batch in `info`; about twice as fast as
/// compiling it for any batch. Nothing to do for a fixed batch. False and
/// `error` if the pass fails.
bool specializeBatch(ModuleOp module, TrainableModule &info,
                     const TrainOptions &options, std::string &error);

/// The first epoch (0-based) whose AskewSGD tolerance is annealed.
int askewAnnealStart(const TrainOptions &options);

/// AskewSGD's tolerance for `epoch` (0-based).
double askewTolerance(int epoch, const TrainOptions &options, double eps0);

/// One epoch's results. Accuracies are fractions; NaN where not measured.
struct EpochMetrics {
  int epoch = 0;
  double lr = 0, trainLoss = 0, trainAccuracy = 0, testAccuracy = NAN,
         swaTestAccuracy = NAN, seconds = 0;
  /// AskewSGD's tolerance in this epoch; NaN for other recipes.
  double eps = NAN;
  /// synthetic-logistic: how many signs of the (first) weight agree with w*
  /// after this epoch; -1 otherwise.
  int signsRecovered = -1;
};

/// SWALP's learning-rate factor for `epoch` (0-based) of training with
/// averaging from `swaStart` (ALGORITHMS.md 1); without averaging pass
/// swaStart = epochs and ratio 0.01.
double swalpLearningRateFactor(int epoch, int swaStart, double swaRatio);

/// Trains and evaluates after every epoch, printing progress to `log`.
std::optional<std::vector<EpochMetrics>>
train(JitModule &jit, const TrainableModule &info, const TrainOptions &options,
      llvm::raw_ostream &log, std::string &error);

/// Writes the metrics as CSV (`.csv`) or JSON (anything else).
bool writeMetrics(const std::string &path,
                  const std::vector<EpochMetrics> &metrics,
                  const TrainOptions &options, const std::string &recipe,
                  std::string &error);

/// Plots accuracy and loss curves to a PNG with gnuplot; returns false and
/// sets `error` when gnuplot is missing or fails.
bool plotMetrics(const std::string &pngPath,
                 const std::vector<EpochMetrics> &metrics,
                 const std::string &title, std::string &error);

/// Linear regression on synthetic data (SWALP's quadratic experiment): a
/// module built with `lpq-train-step{loss=mse}` from a model with one
/// weight [C, d] and input [B, d].
struct RegressionOptions {
  /// Examples in the data set: x ~ N(0, 1)^d, y = W* x + noise * N(0, 1)
  /// with W* ~ U(-1, 1).
  int64_t examples = 4096;
  double noise = 0.0;
  int64_t steps = 20000;
  double lr = 0.05;
  /// Average the iterates after every step from this step on.
  int64_t averageFrom = 1000;
  uint64_t seed = 0;
  /// About this many log-spaced measurements.
  int points = 100;
};

/// Distances (2-norm) to the least-squares optimum after `step` steps, of
/// the iterate and of the average (NaN before averaging starts).
struct RegressionPoint {
  int64_t step = 0;
  double distance = 0, averageDistance = NAN;
};

std::optional<std::vector<RegressionPoint>>
trainRegression(JitModule &jit, const RegressionOptions &options,
                llvm::raw_ostream &log, std::string &error);

/// Writes the distances as CSV.
bool writeRegressionMetrics(const std::string &path,
                            const std::vector<RegressionPoint> &points,
                            std::string &error);

/// Plots both distances against the step, log-log, with gnuplot.
bool plotRegression(const std::string &pngPath,
                    const std::vector<RegressionPoint> &points,
                    const std::string &title, std::string &error);

} // namespace mlir::lpq::runtime

#endif // LPQ_RUNTIME_TRAINER_H
