//===- TrainingTest.cpp - End-to-end training runs ------------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Short training runs of the example MLP on Fashion-MNIST (Debian's
// dataset-fashion-mnist) through lpq-train-step, the CPU pipeline and the
// trainer: accuracy thresholds, and bit-for-bit reproducibility from the
// seed.
//
//===----------------------------------------------------------------------===//

#include "TrainStepTestSupport.h"

#include "lpq/Data/Idx.h"
#include "lpq/Runtime/Npy.h"
#include "lpq/Runtime/Trainer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace mlir::lpq::runtime;

namespace {

/// examples/<name>.mlir through lpq-train-step{options}, what the trainer
/// needs to know about it, and its JIT-compiled form.
struct CompiledExample {
  TrainableModule info;
  std::unique_ptr<JitModule> jit;
};

/// `module` through lpq-train-step{options} and the JIT; with
/// `specializeFor`, a dynamic batch compiled for that many examples
/// (specializeBatch, as lpq-run train does).
std::optional<CompiledExample> compileModule(OwningOpRef<ModuleOp> module,
                                             const std::string &options,
                                             int64_t specializeFor = 0) {
  if (!module || !lpq_test::buildTrainStep(*module, options))
    return std::nullopt;
  std::string error;
  std::optional<TrainableModule> info = inspectTrainableModule(*module, error);
  EXPECT_TRUE(info) << error;
  if (info && specializeFor) {
    TrainOptions batch;
    batch.batch = specializeFor;
    EXPECT_TRUE(specializeBatch(*module, *info, batch, error)) << error;
  }
  std::unique_ptr<JitModule> jit = JitModule::compile(*module, {}, error);
  EXPECT_TRUE(jit) << error;
  if (!info || !jit)
    return std::nullopt;
  return CompiledExample{std::move(*info), std::move(jit)};
}

std::optional<CompiledExample> compileExample(const std::string &name,
                                              const std::string &options) {
  return compileModule(lpq_test::parseExample(name), options);
}

/// examples/mlp.mlir with its batch dimension left dynamic (tensor<?x...>),
/// as a model exported with a symbolic batch size reads.
OwningOpRef<ModuleOp> dynamicBatchMLP() {
  auto buffer = llvm::MemoryBuffer::getFile(std::string(LPQ_SOURCE_DIR) +
                                            "/examples/mlp.mlir");
  EXPECT_TRUE(buffer);
  if (!buffer)
    return nullptr;
  std::string text = (*buffer)->getBuffer().str();
  auto replaceAll = [&](const std::string &from, const std::string &to) {
    size_t count = 0;
    for (size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()), ++count)
      text.replace(at, from.size(), to);
    return count;
  };
  EXPECT_GT(replaceAll("128x", "?x"), 0u);
  EXPECT_EQ(replaceAll("%zero = arith.constant 0.0 : f32\n",
                       "%zero = arith.constant 0.0 : f32\n"
                       "  %c0 = arith.constant 0 : index\n"
                       "  %n = tensor.dim %x, %c0 : tensor<?x1x28x28xf32>\n"),
            1u);
  EXPECT_GT(replaceAll("tensor.empty() : tensor<?x", "tensor.empty(%n) : "
                                                     "tensor<?x"),
            0u);
  auto module = parseSourceString<ModuleOp>(text, &lpq_test::context());
  EXPECT_TRUE(module) << text;
  return module;
}

/// Empty when Fashion-MNIST loads, else the loader's message (it names the
/// Debian package). These tests need the data: scripts/setup.sh installs it,
/// so a missing data set fails them instead of skipping them.
std::string missingData() {
  std::string error;
  lpq::data::loadFashionMNIST(lpq::data::kFashionMNISTDir, false, error);
  return error;
}

/// A quiet run of `epochs` on the first `trainImages` training and
/// `testImages` test images of Fashion-MNIST.
TrainOptions shortRun(int epochs, int64_t trainImages, int64_t testImages) {
  TrainOptions options;
  options.dataDir = lpq::data::kFashionMNISTDir;
  options.epochs = epochs;
  options.trainLimit = trainImages;
  options.testLimit = testImages;
  options.progress = false;
  return options;
}

/// Trains examples/mlp.mlir with `passOptions` on the first 12800 training
/// images for 2 epochs; evaluates on the first 2000 test images.
std::vector<EpochMetrics> trainMLP(const std::string &passOptions,
                                   uint64_t seed, int swaStart = -1) {
  std::optional<CompiledExample> mlp = compileExample("mlp", passOptions);
  if (!mlp)
    return {};
  TrainOptions options = shortRun(2, 12800, 2000);
  options.seed = seed;
  options.swaStart = swaStart;
  std::string error;
  std::optional<std::vector<EpochMetrics>> metrics =
      train(*mlp->jit, mlp->info, options, llvm::nulls(), error);
  EXPECT_TRUE(metrics) << error;
  if (metrics)
    for (const EpochMetrics &m : *metrics)
      std::printf("%s seed %llu epoch %d: loss %.4f test %.2f%% swa %.2f%%\n",
                  passOptions.c_str(), static_cast<unsigned long long>(seed),
                  m.epoch, m.trainLoss, 100 * m.testAccuracy,
                  100 * m.swaTestAccuracy);
  return metrics ? *metrics : std::vector<EpochMetrics>{};
}

} // namespace

TEST(Training, Float32MLP) {
  ASSERT_EQ(missingData(), "");
  std::vector<EpochMetrics> m = trainMLP("recipe=fp32", 0);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_LT(m[1].trainLoss, m[0].trainLoss);
  EXPECT_GE(m[1].testAccuracy, 0.80);
}

TEST(Training, BinaryWeightMLP) {
  ASSERT_EQ(missingData(), "");
  // BWN weights in the forward pass, straight-through to float32 weights.
  std::vector<EpochMetrics> m = trainMLP("recipe=bwn", 0);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_GE(m[1].testAccuracy, 0.75);
}

TEST(Training, SWALPMLPIsReproducible) {
  ASSERT_EQ(missingData(), "");
  std::vector<EpochMetrics> a = trainMLP("recipe=swalp", 7, /*swaStart=*/1);
  std::vector<EpochMetrics> b = trainMLP("recipe=swalp", 7, /*swaStart=*/1);
  std::vector<EpochMetrics> c = trainMLP("recipe=swalp", 8, /*swaStart=*/1);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_GE(a[1].testAccuracy, 0.78);
  EXPECT_GE(a[1].swaTestAccuracy, 0.78);
  // Same seed: the same run, bit for bit (losses are sums of float32
  // values computed by the same kernels on the same data).
  for (int e = 0; e < 2; ++e) {
    EXPECT_EQ(a[e].trainLoss, b[e].trainLoss);
    EXPECT_EQ(a[e].testAccuracy, b[e].testAccuracy);
    EXPECT_EQ(a[e].swaTestAccuracy, b[e].swaTestAccuracy);
  }
  // Another seed: another initialization, order and rounding.
  EXPECT_NE(a[1].trainLoss, c[1].trainLoss);
}

TEST(Training, DynamicBatchMatchesStaticBatch) {
  ASSERT_EQ(missingData(), "");
  std::optional<CompiledExample> fixed = compileExample("mlp", "recipe=swalp");
  std::optional<CompiledExample> open =
      compileModule(dynamicBatchMLP(), "recipe=swalp");
  ASSERT_TRUE(fixed && open);
  EXPECT_EQ(fixed->info.batch, 128);
  EXPECT_TRUE(ShapedType::isDynamic(open->info.batch));
  TrainOptions options = shortRun(1, 3200, 1000);
  options.seed = 3;
  options.swaStart = 1;
  std::string error;
  // The same batch of 128: the same step, bit for bit (its extents come
  // from the input's, the mean divides by the same count).
  auto a = train(*fixed->jit, fixed->info, options, llvm::nulls(), error);
  ASSERT_TRUE(a) << error;
  auto b = train(*open->jit, open->info, options, llvm::nulls(), error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ((*a)[0].trainLoss, (*b)[0].trainLoss);
  EXPECT_EQ((*a)[0].testAccuracy, (*b)[0].testAccuracy);
  EXPECT_EQ((*a)[0].swaTestAccuracy, (*b)[0].swaTestAccuracy);
  // Compiled for batches of 128 (lpq-specialize-batch, what lpq-run train
  // does with an open model): the same bits again.
  std::optional<CompiledExample> specialized =
      compileModule(dynamicBatchMLP(), "recipe=swalp", 128);
  ASSERT_TRUE(specialized);
  EXPECT_EQ(specialized->info.batch, 128);
  EXPECT_EQ(specialized->jit->signature("train_step")->getInput(8),
            RankedTensorType::get({128, 1, 28, 28},
                                  Float32Type::get(&lpq_test::context())));
  auto s = train(*specialized->jit, specialized->info, options, llvm::nulls(),
                 error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ((*a)[0].trainLoss, (*s)[0].trainLoss);
  EXPECT_EQ((*a)[0].testAccuracy, (*s)[0].testAccuracy);
  EXPECT_EQ((*a)[0].swaTestAccuracy, (*s)[0].swaTestAccuracy);
  // Another batch size needs the open model: 50 steps of 64 learn too.
  options.batch = 64;
  EXPECT_FALSE(checkTrainInputs(fixed->info, options, error));
  EXPECT_NE(error.find("fixed at 128"), std::string::npos) << error;
  ASSERT_TRUE(checkTrainInputs(open->info, options, error)) << error;
  auto c = train(*open->jit, open->info, options, llvm::nulls(), error);
  ASSERT_TRUE(c) << error;
  EXPECT_NE((*c)[0].trainLoss, (*b)[0].trainLoss);
  EXPECT_GE((*c)[0].testAccuracy, 0.6);
}

TEST(Training, DivergenceStopsWithAClearError) {
  ASSERT_EQ(missingData(), "");
  std::optional<CompiledExample> logreg =
      compileExample("logreg", "recipe=fp32");
  ASSERT_TRUE(logreg);
  TrainOptions options = shortRun(1, 1280, 128);
  options.lr = 1e30;
  std::string error;
  EXPECT_FALSE(
      train(*logreg->jit, logreg->info, options, llvm::nulls(), error));
  EXPECT_NE(error.find("training diverged"), std::string::npos) << error;
  EXPECT_NE(error.find("smaller --lr"), std::string::npos) << error;
}

TEST(Training, MissingDataNamesThePackage) {
  std::string error;
  EXPECT_FALSE(lpq::data::loadFashionMNIST("/nonexistent", true, error));
  EXPECT_NE(error.find("dataset-fashion-mnist"), std::string::npos) << error;
}

TEST(Training, LearningRateSchedule) {
  // ALGORITHMS.md 1 with swa_start 10: 1 up to t = 0.5, linear to 0.01 at
  // t = 0.9, 0.01 until t = 1, then swa_lr / lr_init.
  EXPECT_EQ(swalpLearningRateFactor(0, 10, 0.2), 1.0);
  EXPECT_EQ(swalpLearningRateFactor(5, 10, 0.2), 1.0);
  EXPECT_NEAR(swalpLearningRateFactor(7, 10, 0.2), 1.0 - 0.99 * 0.5, 1e-12);
  EXPECT_NEAR(swalpLearningRateFactor(9, 10, 0.2), 0.01, 1e-12);
  EXPECT_EQ(swalpLearningRateFactor(10, 10, 0.2), 0.2);
  EXPECT_EQ(swalpLearningRateFactor(15, 10, 0.2), 0.2);
}

TEST(Training, AskewToleranceSchedule) {
  // eps0 until a quarter of the epochs (default), then x decay per epoch.
  TrainOptions options;
  options.epochs = 20;
  options.epsDecay = 0.5;
  EXPECT_EQ(askewAnnealStart(options), 5);
  EXPECT_EQ(askewTolerance(4, options, 1.0 / 16), 1.0 / 16);
  EXPECT_EQ(askewTolerance(5, options, 1.0 / 16), 1.0 / 32);
  EXPECT_EQ(askewTolerance(7, options, 1.0 / 16), 1.0 / 128);
  options.epsDecayStart = 0;
  options.eps0 = 2.0; // overrides the module's
  EXPECT_EQ(askewAnnealStart(options), 0);
  EXPECT_EQ(askewTolerance(0, options, 1.0), 1.0);
}

namespace {

/// examples/linreg.mlir with loss=mse and `passOptions`, trained on
/// synthetic data (no label noise): final distances to the optimum.
RegressionPoint trainLinearRegression(const std::string &passOptions) {
  std::optional<CompiledExample> linreg = compileExample(
      "linreg", "loss=mse momentum=0 weight-decay=0 " + passOptions);
  if (!linreg)
    return {};
  RegressionOptions options;
  options.steps = 10000;
  options.lr = 0.02;
  options.averageFrom = 1000;
  std::string error;
  std::optional<std::vector<RegressionPoint>> points =
      trainRegression(*linreg->jit, options, llvm::nulls(), error);
  EXPECT_TRUE(points) << error;
  return points ? points->back() : RegressionPoint{};
}

} // namespace

TEST(Training, QuadraticSWALPGoesBelowTheGrid) {
  // SWALP's claim on a quadratic: with the weights on a fixed-point grid
  // (step 2^-6, stochastic rounding), SGD-LP's iterate stalls at a distance
  // set by the grid while the average of the iterates keeps converging.
  RegressionPoint lp = trainLinearRegression(
      "recipe=sgd-lp w-format=none a-format=none e-format=none "
      "g-format=none m-format=none acc-format=#lpq.fixed<8,6>");
  std::printf("fixed<8,6>: iterate %.4g, average %.4g\n", lp.distance,
              lp.averageDistance);
  EXPECT_GT(lp.distance, 0.25 * std::sqrt(16.0) / 64); // the grid's floor
  EXPECT_LT(lp.averageDistance, 0.2 * lp.distance);
  // In float32 the iterate itself converges (no noise in the labels).
  RegressionPoint fp = trainLinearRegression("recipe=fp32");
  std::printf("fp32: iterate %.4g\n", fp.distance);
  EXPECT_LT(fp.distance, 1e-4);
}

namespace {

/// examples/toy_logistic.mlir (AskewSGD's toy problem) trained with
/// `passOptions` for 30 epochs at lr 0.5 on synthetic-logistic data; returns
/// the metrics and the final weight row.
std::pair<std::vector<EpochMetrics>, std::vector<float>>
trainToy(const std::string &passOptions) {
  std::optional<CompiledExample> toy =
      compileExample("toy_logistic", passOptions);
  if (!toy)
    return {};
  TrainOptions options;
  options.data = "synthetic-logistic";
  options.epochs = 30;
  options.lr = 0.5;
  options.epsDecayStart = 10;
  options.epsDecay = 0.7;
  options.progress = false;
  llvm::SmallString<64> prefix;
  llvm::sys::fs::createUniquePath("lpq-toy-%%%%%%-w", prefix, true);
  options.saveParams = prefix.str().str();
  std::string error;
  std::optional<std::vector<EpochMetrics>> metrics =
      train(*toy->jit, toy->info, options, llvm::nulls(), error);
  EXPECT_TRUE(metrics) << error;
  if (!metrics)
    return {};
  std::string path = options.saveParams + "0.npy";
  std::optional<Array> w = readNpy(path, error);
  EXPECT_TRUE(w) << error;
  llvm::sys::fs::remove(path);
  if (!w)
    return {};
  const EpochMetrics &last = metrics->back();
  std::printf("%s: loss %.4f test %.2f%% signs %d/10 eps %.3g\n",
              passOptions.c_str(), last.trainLoss, 100 * last.testAccuracy,
              last.signsRecovered, last.eps);
  return {*metrics,
          std::vector<float>(w->data<float>(),
                             w->data<float>() + w->numElements())};
}

} // namespace

TEST(Training, AskewSGDDrivesTheToyWeightsOntoTheBinaryGrid) {
  const char *grid = " momentum=0 weight-decay=0 "
                     "grid=#lpq.grid<binary,scale=1.0>";
  auto [askew, w] = trainToy(std::string("recipe=askewsgd askew-alpha=0.1") +
                             grid);
  ASSERT_EQ(askew.size(), 30u);
  ASSERT_EQ(w.size(), 10u);
  // Labels come from a binary w*: every sign is recovered, and annealing
  // has pulled every weight close to -1 or +1 (|w^2 - 1| <= sqrt(eps)).
  EXPECT_EQ(askew.back().signsRecovered, 10);
  EXPECT_LT(askew.back().eps, 0.01);
  for (float v : w)
    EXPECT_NEAR(std::fabs(v), 1.0f, 0.1f) << "weight " << v;
  EXPECT_GE(askew.back().testAccuracy, 0.70);
  // Float32 training on the same data ends away from the grid.
  auto [fp, wf] = trainToy(std::string("recipe=fp32") + grid);
  ASSERT_EQ(wf.size(), 10u);
  float worst = 0;
  for (float v : wf)
    worst = std::max(worst, std::fabs(std::fabs(v) - 1.0f));
  EXPECT_GT(worst, 0.1f);
  // AskewSGD is on par with BinaryConnect (stochastic binarization).
  auto [bc, wb] = trainToy(std::string("recipe=binaryconnect "
                                       "w-rounding=stochastic") +
                           grid);
  ASSERT_FALSE(bc.empty());
  EXPECT_GE(askew.back().testAccuracy, bc.back().testAccuracy - 0.02);
}

TEST(Training, BinaryConnectAndAskewSGDMLP) {
  ASSERT_EQ(missingData(), "");
  // Binary weights (+-Glorot bound) in the forward pass.
  std::vector<EpochMetrics> bc = trainMLP("recipe=binaryconnect", 0);
  ASSERT_EQ(bc.size(), 2u);
  EXPECT_GE(bc[1].testAccuracy, 0.75);
  // 4-bit SAWB grid: evaluated with the weights rounded onto the grid.
  std::vector<EpochMetrics> askew =
      trainMLP("recipe=askewsgd grid=#lpq.grid<levels=8,scale=sawb>", 0);
  ASSERT_EQ(askew.size(), 2u);
  EXPECT_GE(askew[1].testAccuracy, 0.70);
}
