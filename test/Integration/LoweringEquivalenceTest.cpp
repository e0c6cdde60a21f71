//===- LoweringEquivalenceTest.cpp - Fused and tiled = plain, bit for bit -===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// lpq-cpu-pipeline's fusion (lpq-fuse-elementwise) and register-tiled
// contractions (lpq-tile-contractions) change how loops are arranged, never
// what is computed: every output element is rounded the same way and sums
// its terms in the same order. These tests compile the same module with
// both on and both off and compare every result bit for bit: whole training
// steps of the example models (fixed seed and inputs), and contraction
// kernels with awkward shapes. The GPU pipeline's loop nests, run on the
// host, must give the same steps too.
//
//===----------------------------------------------------------------------===//

#include "TrainStepTestSupport.h"

#include "lpq/Runtime/JitRunner.h"
#include "lpq/Runtime/Npy.h"

#include <cstring>
#include <random>

using namespace mlir;
using namespace mlir::lpq::runtime;

namespace {

using ModuleFactory = std::function<OwningOpRef<ModuleOp>()>;

/// Random arguments for every parameter of `entry`: float32 tensors from
/// normal(0, scale), int32 tensors (labels) in [0, 10), lr 0.05, seed 7,
/// step 3. Dynamic extents are 13.
std::vector<Argument> randomArguments(FunctionType type, double scale) {
  std::mt19937_64 rng(2026);
  std::normal_distribution<float> normal(0, static_cast<float>(scale));
  std::vector<Argument> args;
  unsigned integers = 0;
  for (Type t : type.getInputs()) {
    if (auto tensor = dyn_cast<RankedTensorType>(t)) {
      std::vector<int64_t> shape(tensor.getShape().begin(),
                                 tensor.getShape().end());
      for (int64_t &extent : shape)
        if (ShapedType::isDynamic(extent))
          extent = 13;
      if (tensor.getElementType().isF32()) {
        Array a = Array::zeros(DType::F32, shape);
        for (int64_t i = 0; i < a.numElements(); ++i)
          a.data<float>()[i] = normal(rng);
        args.push_back(Argument::of(std::move(a)));
      } else {
        Array a = Array::zeros(DType::I32, shape);
        for (int64_t i = 0; i < a.numElements(); ++i)
          a.data<int32_t>()[i] = static_cast<int32_t>(rng() % 10);
        args.push_back(Argument::of(std::move(a)));
      }
    } else if (t.isF32()) {
      args.push_back(Argument::of(0.05));
    } else {
      args.push_back(Argument::ofInteger(integers++ == 0 ? 7 : 3));
    }
  }
  return args;
}

/// The CPU pipeline with fusion and tiling on (default) and off. Row fusion
/// stays off in both whatever the host's default (`hostFuseRows`): the
/// *RowFusion tests turn it on.
JitOptions optimizedCPU() {
  JitOptions options;
  options.fuseRows = false;
  return options;
}
JitOptions plainCPU() {
  JitOptions options;
  options.fusion = false;
  options.tileContractions = false;
  options.bufferRandomWords = false;
  options.fuseRows = false;
  options.skipOnGrid = false;
  return options;
}

/// The optimized CPU pipeline with row fusion (lpq-fuse-row-loops) on.
JitOptions rowFusedCPU() {
  JitOptions options;
  options.fuseRows = true;
  return options;
}

/// Runs `entry` of the module from `make` compiled with `first` and with
/// `second`, and expects identical results. `fromStepState`: `entry` is a
/// training step, called on the parameters and momenta one step of the same
/// build produced (SWALP's weights are then on the grid, which
/// lpq-skip-rounding-on-grid checks for) instead of random ones.
void expectSameResults(const ModuleFactory &make, const std::string &entry,
                       double scale, const JitOptions &first = optimizedCPU(),
                       const JitOptions &second = plainCPU(),
                       bool fromStepState = false) {
  std::vector<std::vector<Array>> results;
  for (const JitOptions *options : {&first, &second}) {
    OwningOpRef<ModuleOp> module = make();
    ASSERT_TRUE(module);
    auto f = module->lookupSymbol<func::FuncOp>(entry);
    ASSERT_TRUE(f) << "no function " << entry;
    std::vector<Argument> args = randomArguments(f.getFunctionType(), scale);
    std::string error;
    std::unique_ptr<JitModule> jit =
        JitModule::compile(*module, *options, error);
    ASSERT_TRUE(jit) << error;
    if (fromStepState) {
      std::optional<std::vector<Array>> state = jit->run(entry, args, error);
      ASSERT_TRUE(state) << error;
      // (loss, logits, parameters..., momenta...) for (parameters...,
      // momenta..., batch, labels, lr, seed, step).
      for (size_t i = 0; i + 5 < args.size(); ++i)
        args[i] = Argument::of(std::move((*state)[2 + i]));
    }
    std::optional<std::vector<Array>> r = jit->run(entry, args, error);
    ASSERT_TRUE(r) << error;
    results.push_back(std::move(*r));
  }
  ASSERT_EQ(results[0].size(), results[1].size());
  for (size_t k = 0; k < results[0].size(); ++k) {
    const Array &a = results[0][k], &b = results[1][k];
    ASSERT_EQ(a.shape, b.shape) << "result #" << k;
    ASSERT_EQ(a.bytes.size(), b.bytes.size()) << "result #" << k;
    size_t width = dtypeSize(a.dtype);
    size_t differing = 0, first = 0;
    for (size_t i = 0; i < a.bytes.size(); i += width)
      if (std::memcmp(&a.bytes[i], &b.bytes[i], width) != 0 && !differing++)
        first = i / width;
    EXPECT_EQ(differing, 0u) << "result #" << k << " of " << entry
                             << " differs first at element " << first;
  }
}

ModuleFactory trainStep(const std::string &example, const std::string &recipe) {
  return [=]() {
    OwningOpRef<ModuleOp> module = lpq_test::parseExample(example);
    if (module && !lpq_test::buildTrainStep(*module, "recipe=" + recipe))
      return OwningOpRef<ModuleOp>();
    return module;
  };
}

ModuleFactory kernel(const char *text) {
  return
      [=]() { return parseSourceString<ModuleOp>(text, &lpq_test::context()); };
}

} // namespace

TEST(LoweringEquivalence, MLPStepSWALP) {
  expectSameResults(trainStep("mlp", "swalp"), "train_step", 0.05);
}

TEST(LoweringEquivalence, MLPStepFloat32) {
  expectSameResults(trainStep("mlp", "fp32"), "train_step", 0.05);
}

/// From the second step on, the weight quantizers' inputs lie on the grid:
/// lpq-skip-rounding-on-grid returns them without rounding (plainCPU()
/// rounds them).
TEST(LoweringEquivalence, MLPStepSWALPOnGrid) {
  expectSameResults(trainStep("mlp", "swalp"), "train_step", 0.05,
                    optimizedCPU(), plainCPU(), /*fromStepState=*/true);
}

TEST(LoweringEquivalence, CNNStepSWALP) {
  expectSameResults(trainStep("cnn", "swalp"), "train_step", 0.2);
}

// Row fusion puts the per-row block quantizers of SWALP's update into the
// weight gradient's contraction and fuses the CNN's per-image nests.
TEST(LoweringEquivalence, MLPStepSWALPRowFusion) {
  expectSameResults(trainStep("mlp", "swalp"), "train_step", 0.05,
                    rowFusedCPU());
}

TEST(LoweringEquivalence, CNNStepSWALPRowFusion) {
  expectSameResults(trainStep("cnn", "swalp"), "train_step", 0.2,
                    rowFusedCPU());
}

TEST(LoweringEquivalence, CNNEvaluateSGDLP) {
  expectSameResults(trainStep("cnn", "sgd-lp"), "evaluate", 0.2);
}

/// The GPU pipeline's loop nests for whole steps (one thread per Philox
/// group, several iterations per thread, serial loops as one-thread
/// kernels), run on the host, against the CPU pipeline. The blocks of
/// launches lpq-gpu-fuse-launches fused run in reverse order: on the host
/// blocks run one after the other, so a fused nest that depended on another
/// would otherwise still see its results. (With every pair of nests of the
/// same block size taken as independent on purpose, all five tests failed.)
JitOptions gpuLoopsOnHost() {
  JitOptions options;
  options.gpuLoopsOnHost = true;
  options.gpuBlockSize = 64;
  options.gpuElementsPerThread = 3;
  options.gpuReverseBlocks = true;
  return options;
}

TEST(LoweringEquivalence, GPULoopsOnHostMLPStepSWALP) {
  expectSameResults(trainStep("mlp", "swalp"), "train_step", 0.05,
                    optimizedCPU(), gpuLoopsOnHost());
}

TEST(LoweringEquivalence, GPULoopsOnHostCNNStepSWALP) {
  expectSameResults(trainStep("cnn", "swalp"), "train_step", 0.2,
                    optimizedCPU(), gpuLoopsOnHost());
}

TEST(LoweringEquivalence, GPULoopsOnHostMLPStepSQTWN) {
  expectSameResults(trainStep("mlp", "sq-twn"), "train_step", 0.05,
                    optimizedCPU(), gpuLoopsOnHost());
}

/// AskewSGD's grid scales, clamp and direction, and the float32 CNN's bias
/// gradients and pools: reductions lpq-gpu-reduction-loops accumulates in
/// registers with bodies other than a multiply-add. (The SWALP MLP step
/// cannot tell the order of its sums: its operands are 8-bit block values,
/// whose products add up exactly in float32. With the reduction loops
/// reversed on purpose, every other test here failed and it passed.)
TEST(LoweringEquivalence, GPULoopsOnHostMLPStepAskewSGD) {
  expectSameResults(trainStep("mlp", "askewsgd"), "train_step", 0.05,
                    optimizedCPU(), gpuLoopsOnHost());
}

TEST(LoweringEquivalence, GPULoopsOnHostCNNStepFloat32) {
  expectSameResults(trainStep("cnn", "fp32"), "train_step", 0.2,
                    optimizedCPU(), gpuLoopsOnHost());
}

/// Whole steps on CUDA device 0 (lpq-gpu-pipeline, cubin) against the CPU
/// pipeline, every bit of every result. Skipped without a CUDA device.
JitOptions onCuda() {
  JitOptions options;
  options.cuda = true;
  return options;
}

#define LPQ_SKIP_WITHOUT_CUDA()                                                \
  if (std::optional<std::string> why = cudaUnavailable())                      \
  GTEST_SKIP() << "no CUDA device: " << *why

TEST(LoweringEquivalence, CudaMLPStepSWALP) {
  LPQ_SKIP_WITHOUT_CUDA();
  expectSameResults(trainStep("mlp", "swalp"), "train_step", 0.05,
                    optimizedCPU(), onCuda());
}

TEST(LoweringEquivalence, CudaMLPStepFloat32) {
  LPQ_SKIP_WITHOUT_CUDA();
  expectSameResults(trainStep("mlp", "fp32"), "train_step", 0.05,
                    optimizedCPU(), onCuda());
}

TEST(LoweringEquivalence, CudaCNNStepSWALP) {
  LPQ_SKIP_WITHOUT_CUDA();
  expectSameResults(trainStep("cnn", "swalp"), "train_step", 0.2,
                    optimizedCPU(), onCuda());
}

TEST(LoweringEquivalence, CudaMLPStepSQTWN) {
  LPQ_SKIP_WITHOUT_CUDA();
  expectSameResults(trainStep("mlp", "sq-twn"), "train_step", 0.05,
                    optimizedCPU(), onCuda());
}

// Sizes that leave remainders in every direction (rows not a multiple of
// the tile, columns with leftover vectors and leftover elements), a
// transposed operand, batches, strided and dilated convolutions, dynamic
// row and reduction extents (13: full tiles of rows, then single rows).
TEST(LoweringEquivalence, Contractions) {
  expectSameResults(kernel(R"mlir(
func.func @f(%a: tensor<?x?xf32>, %b: tensor<?x43xf32>) -> tensor<?x43xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %a, %c0 : tensor<?x?xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty(%m) : tensor<?x43xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x43xf32>) -> tensor<?x43xf32>
  %c = linalg.matmul ins(%a, %b : tensor<?x?xf32>, tensor<?x43xf32>) outs(%f : tensor<?x43xf32>) -> tensor<?x43xf32>
  return %c : tensor<?x43xf32>
})mlir"),
                    "f", 1.0);
  expectSameResults(kernel(R"mlir(
func.func @f(%a: tensor<13x29xf32>, %b: tensor<29x43xf32>) -> tensor<13x43xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<13x43xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<13x43xf32>) -> tensor<13x43xf32>
  %c = linalg.matmul ins(%a, %b : tensor<13x29xf32>, tensor<29x43xf32>) outs(%f : tensor<13x43xf32>) -> tensor<13x43xf32>
  return %c : tensor<13x43xf32>
})mlir"),
                    "f", 1.0);
  // x @ w.T (B read as [n, k]: lpq-transpose-contractions copies it to
  // [k, n]).
  expectSameResults(kernel(R"mlir(
func.func @f(%a: tensor<13x29xf32>, %b: tensor<43x29xf32>) -> tensor<13x43xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<13x43xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<13x43xf32>) -> tensor<13x43xf32>
  %c = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : tensor<13x29xf32>, tensor<43x29xf32>) outs(%f : tensor<13x43xf32>) -> tensor<13x43xf32>
  return %c : tensor<13x43xf32>
})mlir"),
                    "f", 1.0);
  expectSameResults(kernel(R"mlir(
func.func @f(%a: tensor<3x7x5xf32>, %b: tensor<3x5x9xf32>, %c: tensor<3x7x9xf32>) -> tensor<3x7x9xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<3x7x5xf32>, tensor<3x5x9xf32>) outs(%c : tensor<3x7x9xf32>) -> tensor<3x7x9xf32>
  return %r : tensor<3x7x9xf32>
})mlir"),
                    "f", 1.0);
  expectSameResults(kernel(R"mlir(
func.func @f(%a: tensor<31x6xf32>, %b: tensor<31x20xf32>, %c: tensor<6x20xf32>) -> tensor<6x20xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, k, j) -> (k, i)>, affine_map<(i, k, j) -> (k, j)>, affine_map<(i, k, j) -> (i, j)>],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<31x6xf32>, tensor<31x20xf32>) outs(%c : tensor<6x20xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %y, %x : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  } -> tensor<6x20xf32>
  return %r : tensor<6x20xf32>
})mlir"),
                    "f", 1.0);
  expectSameResults(kernel(R"mlir(
func.func @f(%x: tensor<2x3x19x23xf32>, %k: tensor<5x3x3x2xf32>, %y: tensor<2x5x9x11xf32>) -> tensor<2x5x9x11xf32> {
  %r = linalg.conv_2d_nchw_fchw {strides = dense<2> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
      ins(%x, %k : tensor<2x3x19x23xf32>, tensor<5x3x3x2xf32>) outs(%y : tensor<2x5x9x11xf32>) -> tensor<2x5x9x11xf32>
  return %r : tensor<2x5x9x11xf32>
})mlir"),
                    "f", 1.0);
  expectSameResults(kernel(R"mlir(
func.func @f(%x: tensor<2x3x20x30xf32>, %k: tensor<4x3x3x3xf32>, %y: tensor<2x4x16x26xf32>) -> tensor<2x4x16x26xf32> {
  %r = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<2> : tensor<2xi64>}
      ins(%x, %k : tensor<2x3x20x30xf32>, tensor<4x3x3x3xf32>) outs(%y : tensor<2x4x16x26xf32>) -> tensor<2x4x16x26xf32>
  return %r : tensor<2x4x16x26xf32>
})mlir"),
                    "f", 1.0);
}
