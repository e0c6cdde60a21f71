//===- GradientTest.cpp - lpq-train-step's gradients ----------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// 1. Finite-difference checks of every op lpq differentiates, in float64:
//    forward models written in f64 go through `lpq-train-step{recipe=fp32
//    momentum=0 weight-decay=0}`; with lr = 0, train_step returns the loss
//    and, as the new momentum, the gradient itself (0.9 * 0 + g = g
//    exactly). Each gradient element is compared with the central difference
//    (L(p + h) - L(p - h)) / 2h, h = 1e-5: its truncation error is
//    h^2 / 6 * |L'''| ~ 1e-11 and its rounding error ~ eps * |L| / h ~ 1e-11,
//    so a tolerance of 1e-7 (absolute, plus 1e-7 relative) leaves four orders
//    of magnitude of margin while a wrong rule (a missing term, a transposed
//    operand, a misplaced max) is off by O(|g|).
// 2. The fp32 recipe's gradients of the example models on a fixed batch
//    against PyTorch's (fixtures from Inputs/torch_gradients.py).
//
//===----------------------------------------------------------------------===//

#include "TrainStepTestSupport.h"

#include "lpq/Runtime/JitRunner.h"
#include "lpq/Runtime/Npy.h"

#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::lpq::runtime;

namespace {

/// Builds the float32 training step of `module` with plain SGD (momentum and
/// weight decay 0, so the new momentum is the gradient) and JIT-compiles it.
std::unique_ptr<JitModule> compileTrainStep(OwningOpRef<ModuleOp> module) {
  if (!module || !lpq_test::buildTrainStep(
                     *module, "recipe=fp32 momentum=0 weight-decay=0"))
    return nullptr;
  std::string error;
  std::unique_ptr<JitModule> jit = JitModule::compile(*module, {}, error);
  EXPECT_TRUE(jit) << error;
  return jit;
}

/// Model `text` has forward(x, params...) with shapes `params`, returning
/// logits [numRows, numClasses]; checks all gradient elements against
/// central differences.
void checkGradients(const std::string &text, std::vector<int64_t> xShape,
                    std::vector<std::vector<int64_t>> params, int64_t numRows,
                    int64_t numClasses) {
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, &lpq_test::context());
  ASSERT_TRUE(module);
  std::unique_ptr<JitModule> jit = compileTrainStep(std::move(module));
  ASSERT_TRUE(jit);
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal(0, 1);
  auto randomArray = [&](const std::vector<int64_t> &shape) {
    Array a = Array::zeros(DType::F64, shape);
    for (int64_t i = 0; i < a.numElements(); ++i)
      a.data<double>()[i] = normal(rng);
    return a;
  };
  std::vector<Argument> args;
  for (auto &shape : params)
    args.push_back(Argument::of(randomArray(shape)));
  for (auto &shape : params)
    args.push_back(Argument::of(Array::zeros(DType::F64, shape)));
  args.push_back(Argument::of(randomArray(xShape)));
  Array labels = Array::zeros(DType::I32, {numRows});
  for (int64_t i = 0; i < numRows; ++i)
    labels.data<int32_t>()[i] = static_cast<int32_t>(rng() % numClasses);
  args.push_back(Argument::of(labels));
  args.push_back(Argument::of(0.0)); // lr
  args.push_back(Argument::ofInteger(1));
  args.push_back(Argument::ofInteger(0));

  std::string error;
  std::vector<Array> results;
  ASSERT_TRUE(jit->runInto("train_step", args, results, error)) << error;
  std::vector<Array> grads(results.begin() + 2 + params.size(), results.end());
  ASSERT_EQ(grads.size(), params.size());

  auto lossAt = [&](size_t k, int64_t i, double delta) {
    std::vector<Argument> shifted = args;
    shifted[k].array->data<double>()[i] += delta;
    std::vector<Array> r;
    EXPECT_TRUE(jit->runInto("train_step", shifted, r, error)) << error;
    return r[0].data<double>()[0];
  };
  const double h = 1e-5;
  for (size_t k = 0; k < params.size(); ++k) {
    double largest = 0;
    for (int64_t i = 0; i < grads[k].numElements(); ++i) {
      double g = grads[k].data<double>()[i];
      double fd = (lossAt(k, i, h) - lossAt(k, i, -h)) / (2 * h);
      EXPECT_NEAR(g, fd, 1e-7 + 1e-7 * std::fabs(fd))
          << "parameter #" << k << " element " << i;
      largest = std::max(largest, std::fabs(g));
    }
    // A gradient that is zero everywhere would pass trivially.
    EXPECT_GT(largest, 1e-4) << "parameter #" << k << " has no gradient";
  }
}

} // namespace

TEST(Gradients, LinearTransposeBiasRelu) {
  checkGradients(R"mlir(
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>
func.func @forward(%x: tensor<4x6xf64>, %w: tensor<5x6xf64> {lpq.param},
                   %b: tensor<5xf64> {lpq.param},
                   %w2: tensor<3x5xf64> {lpq.param}) -> tensor<4x3xf64> {
  %zero = arith.constant 0.0 : f64
  %te = tensor.empty() : tensor<6x5xf64>
  %wt = linalg.transpose ins(%w : tensor<5x6xf64>) outs(%te : tensor<6x5xf64>) permutation = [1, 0]
  %e = tensor.empty() : tensor<4x5xf64>
  %z = linalg.fill ins(%zero : f64) outs(%e : tensor<4x5xf64>) -> tensor<4x5xf64>
  %h = linalg.matmul ins(%x, %wt : tensor<4x6xf64>, tensor<6x5xf64>) outs(%z : tensor<4x5xf64>) -> tensor<4x5xf64>
  %a = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : tensor<4x5xf64>, tensor<5xf64>) outs(%e : tensor<4x5xf64>) {
  ^bb0(%u: f64, %v: f64, %o: f64):
    %s = arith.addf %u, %v : f64
    %r = arith.maximumf %s, %zero : f64
    linalg.yield %r : f64
  } -> tensor<4x5xf64>
  %te2 = tensor.empty() : tensor<5x3xf64>
  %w2t = linalg.transpose ins(%w2 : tensor<3x5xf64>) outs(%te2 : tensor<5x3xf64>) permutation = [1, 0]
  %e2 = tensor.empty() : tensor<4x3xf64>
  %z2 = linalg.fill ins(%zero : f64) outs(%e2 : tensor<4x3xf64>) -> tensor<4x3xf64>
  %l = linalg.matmul ins(%a, %w2t : tensor<4x5xf64>, tensor<5x3xf64>) outs(%z2 : tensor<4x3xf64>) -> tensor<4x3xf64>
  return %l : tensor<4x3xf64>
}
)mlir",
                 {4, 6}, {{5, 6}, {5}, {3, 5}}, 4, 3);
}

TEST(Gradients, ElementwiseBodies) {
  // One body with every scalar rule: +, -, *, /, neg, max, min, select,
  // exp, log, tanh, sqrt, abs; a parameter used twice (adjoints add up).
  checkGradients(R"mlir(
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>
func.func @forward(%x: tensor<4x3xf64>, %p: tensor<4x3xf64> {lpq.param},
                   %q: tensor<3xf64> {lpq.param}) -> tensor<4x3xf64> {
  %e = tensor.empty() : tensor<4x3xf64>
  %r = linalg.generic {indexing_maps = [#id, #id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %p, %q : tensor<4x3xf64>, tensor<4x3xf64>, tensor<3xf64>) outs(%e : tensor<4x3xf64>) {
  ^bb0(%a: f64, %b: f64, %c: f64, %o: f64):
    %one = arith.constant 1.0 : f64
    %two = arith.constant 2.0 : f64
    %half = arith.constant 0.5 : f64
    %zero = arith.constant 0.0 : f64
    %t0 = arith.mulf %a, %b : f64
    %t1 = math.tanh %t0 : f64
    %t2 = math.exp %b : f64
    %cc = arith.mulf %c, %c : f64
    %t3 = arith.addf %cc, %two : f64
    %t4 = arith.divf %t2, %t3 : f64
    %ab = math.absf %b : f64
    %t5 = arith.addf %ab, %one : f64
    %t6 = math.log %t5 : f64
    %t7 = math.sqrt %t5 : f64
    %t8 = arith.subf %t1, %t6 : f64
    %t9 = arith.addf %t8, %t4 : f64
    %t10 = arith.negf %t7 : f64
    %pos = arith.cmpf ogt, %c, %zero : f64
    %hc = arith.mulf %half, %c : f64
    %t11 = arith.select %pos, %c, %hc : f64
    %t12 = arith.minimumf %t10, %t11 : f64
    %t13 = arith.maximumf %t9, %a : f64
    %t14 = arith.addf %t13, %t12 : f64
    linalg.yield %t14 : f64
  } -> tensor<4x3xf64>
  return %r : tensor<4x3xf64>
}
)mlir",
                 {4, 3}, {{4, 3}, {3}}, 4, 3);
}

TEST(Gradients, SumAndMaxReductionsReshapes) {
  // y[i, j] = sum_k x[i, j, k] * p[j, k] + max_k (x[i, j, k] + p[j, k]),
  // plus a parameter reshaped with expand_shape and collapse_shape and read
  // through a non-permutation map (each element used twice).
  checkGradients(R"mlir(
#x3 = affine_map<(i, j, k) -> (i, j, k)>
#p3 = affine_map<(i, j, k) -> (j, k)>
#o3 = affine_map<(i, j, k) -> (i, j)>
#id = affine_map<(i, j) -> (i, j)>
func.func @forward(%x: tensor<4x3x5xf64>, %p: tensor<3x5xf64> {lpq.param},
                   %r: tensor<6xf64> {lpq.param}) -> tensor<4x3xf64> {
  %zero = arith.constant 0.0 : f64
  %ninf = arith.constant 0xFFF0000000000000 : f64
  %e = tensor.empty() : tensor<4x3xf64>
  %z = linalg.fill ins(%zero : f64) outs(%e : tensor<4x3xf64>) -> tensor<4x3xf64>
  %m0 = linalg.fill ins(%ninf : f64) outs(%e : tensor<4x3xf64>) -> tensor<4x3xf64>
  %s = linalg.generic {indexing_maps = [#x3, #p3, #o3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %p : tensor<4x3x5xf64>, tensor<3x5xf64>) outs(%z : tensor<4x3xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %t = arith.mulf %a, %b : f64
    %u = arith.addf %o, %t : f64
    linalg.yield %u : f64
  } -> tensor<4x3xf64>
  %m = linalg.generic {indexing_maps = [#x3, #p3, #o3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %p : tensor<4x3x5xf64>, tensor<3x5xf64>) outs(%m0 : tensor<4x3xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %t = arith.addf %a, %b : f64
    %u = arith.maximumf %o, %t : f64
    linalg.yield %u : f64
  } -> tensor<4x3xf64>
  %r2 = tensor.expand_shape %r [[0, 1]] output_shape [2, 3] : tensor<6xf64> into tensor<2x3xf64>
  %r1 = tensor.collapse_shape %r2 [[0, 1]] : tensor<2x3xf64> into tensor<6xf64>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %m : tensor<4x3xf64>, tensor<4x3xf64>) outs(%e : tensor<4x3xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %u = arith.addf %a, %b : f64
    linalg.yield %u : f64
  } -> tensor<4x3xf64>
  %bias = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j * 2 + i mod 2)>, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r1 : tensor<6xf64>) outs(%e : tensor<4x3xf64>) {
  ^bb0(%a: f64, %o: f64):
    linalg.yield %a : f64
  } -> tensor<4x3xf64>
  %out = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %bias : tensor<4x3xf64>, tensor<4x3xf64>) outs(%e : tensor<4x3xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %u = arith.addf %a, %b : f64
    linalg.yield %u : f64
  } -> tensor<4x3xf64>
  return %out : tensor<4x3xf64>
}
)mlir",
                 {4, 3, 5}, {{3, 5}, {6}}, 4, 3);
}

TEST(Gradients, BatchMatmul) {
  checkGradients(R"mlir(
func.func @forward(%x: tensor<2x3x4xf64>, %p: tensor<2x4x5xf64> {lpq.param}) -> tensor<6x5xf64> {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<2x3x5xf64>
  %z = linalg.fill ins(%zero : f64) outs(%e : tensor<2x3x5xf64>) -> tensor<2x3x5xf64>
  %y = linalg.batch_matmul ins(%x, %p : tensor<2x3x4xf64>, tensor<2x4x5xf64>) outs(%z : tensor<2x3x5xf64>) -> tensor<2x3x5xf64>
  %l = tensor.collapse_shape %y [[0, 1], [2]] : tensor<2x3x5xf64> into tensor<6x5xf64>
  return %l : tensor<6x5xf64>
}
)mlir",
                 {2, 3, 4}, {{2, 4, 5}}, 6, 5);
}

TEST(Gradients, ConvolutionPoolingFlatten) {
  checkGradients(R"mlir(
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#chan = affine_map<(n, c, h, w) -> (c)>
func.func @forward(%x: tensor<2x2x6x6xf64>, %k: tensor<3x2x3x3xf64> {lpq.param},
                   %c: tensor<3xf64> {lpq.param},
                   %w: tensor<12x4xf64> {lpq.param}) -> tensor<2x4xf64> {
  %zero = arith.constant 0.0 : f64
  %ninf = arith.constant 0xFFF0000000000000 : f64
  %e = tensor.empty() : tensor<2x3x4x4xf64>
  %z = linalg.fill ins(%zero : f64) outs(%e : tensor<2x3x4x4xf64>) -> tensor<2x3x4x4xf64>
  %v = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %k : tensor<2x2x6x6xf64>, tensor<3x2x3x3xf64>) outs(%z : tensor<2x3x4x4xf64>) -> tensor<2x3x4x4xf64>
  %r = linalg.generic {indexing_maps = [#id4, #chan, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v, %c : tensor<2x3x4x4xf64>, tensor<3xf64>) outs(%e : tensor<2x3x4x4xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %s = arith.addf %a, %b : f64
    %t = math.tanh %s : f64
    linalg.yield %t : f64
  } -> tensor<2x3x4x4xf64>
  %win = tensor.empty() : tensor<2x2xf64>
  %pe = tensor.empty() : tensor<2x3x2x2xf64>
  %pi = linalg.fill ins(%ninf : f64) outs(%pe : tensor<2x3x2x2xf64>) -> tensor<2x3x2x2xf64>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%r, %win : tensor<2x3x4x4xf64>, tensor<2x2xf64>) outs(%pi : tensor<2x3x2x2xf64>) -> tensor<2x3x2x2xf64>
  %flat = tensor.collapse_shape %p [[0], [1, 2, 3]] : tensor<2x3x2x2xf64> into tensor<2x12xf64>
  %le = tensor.empty() : tensor<2x4xf64>
  %lz = linalg.fill ins(%zero : f64) outs(%le : tensor<2x4xf64>) -> tensor<2x4xf64>
  %l = linalg.matmul ins(%flat, %w : tensor<2x12xf64>, tensor<12x4xf64>) outs(%lz : tensor<2x4xf64>) -> tensor<2x4xf64>
  return %l : tensor<2x4xf64>
}
)mlir",
                 {2, 2, 6, 6}, {{3, 2, 3, 3}, {3}, {12, 4}}, 2, 4);
}

namespace {

/// The example model `name` (batch `n`) against PyTorch's loss and
/// gradients on the batch and parameters of Inputs/torch_gradients.py.
void checkAgainstTorch(const std::string &name, int64_t n) {
  std::unique_ptr<JitModule> jit =
      compileTrainStep(lpq_test::parseExample(name));
  ASSERT_TRUE(jit);
  std::optional<FunctionType> type = jit->signature("train_step");
  ASSERT_TRUE(type);
  size_t numParams = (type->getNumInputs() - 5) / 2;

  // The formulas of torch_gradients.py, computed in double as Python does.
  std::vector<Argument> args;
  double bound = 0;
  for (size_t k = 0; k < numParams; ++k) {
    auto shape = cast<RankedTensorType>(type->getInput(k)).getShape();
    Array p = Array::zeros(DType::F32, {shape.begin(), shape.end()});
    if (shape.size() >= 2) {
      int64_t fanIn = 1;
      for (size_t d = 1; d < shape.size(); ++d)
        fanIn *= shape[d];
      bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
    }
    for (int64_t i = 0; i < p.numElements(); ++i)
      p.data<float>()[i] =
          static_cast<float>(bound * std::sin(0.7 * i + 1.3 * (k + 1)));
    args.push_back(Argument::of(std::move(p)));
  }
  for (size_t k = 0; k < numParams; ++k)
    args.push_back(
        Argument::of(Array::zeros(DType::F32, {args[k].array->shape.begin(),
                                               args[k].array->shape.end()})));
  Array x = Array::zeros(DType::F32, {n, 1, 28, 28});
  for (int64_t i = 0; i < x.numElements(); ++i)
    x.data<float>()[i] = static_cast<float>(0.5 + 0.5 * std::sin(0.37 * i));
  Array labels = Array::zeros(DType::I32, {n});
  for (int64_t i = 0; i < n; ++i)
    labels.data<int32_t>()[i] = static_cast<int32_t>((3 * i + 1) % 10);
  args.push_back(Argument::of(std::move(x)));
  args.push_back(Argument::of(std::move(labels)));
  args.push_back(Argument::of(0.0));
  args.push_back(Argument::ofInteger(0));
  args.push_back(Argument::ofInteger(0));

  std::string error;
  std::vector<Array> results;
  ASSERT_TRUE(jit->runInto("train_step", args, results, error)) << error;
  std::string inputs =
      std::string(LPQ_SOURCE_DIR) + "/test/Integration/Inputs/" + name;
  std::optional<Array> loss = readNpy(inputs + ".loss.npy", error);
  ASSERT_TRUE(loss) << error;
  EXPECT_NEAR(results[0].data<float>()[0], loss->data<float>()[0],
              1e-6 * std::fabs(loss->data<float>()[0]));
  for (size_t k = 0; k < numParams; ++k) {
    std::optional<Array> ref =
        readNpy(inputs + ".grad" + std::to_string(k) + ".npy", error);
    ASSERT_TRUE(ref) << error;
    const Array &g = results[2 + numParams + k];
    int64_t stride = std::max<int64_t>(1, g.numElements() / 8192);
    ASSERT_EQ(ref->numElements(), (g.numElements() + stride - 1) / stride);
    float largest = 0;
    for (int64_t i = 0; i < ref->numElements(); ++i)
      largest = std::max(largest, std::fabs(ref->data<float>()[i]));
    double worst = 0;
    for (int64_t i = 0; i < ref->numElements(); ++i) {
      float expected = ref->data<float>()[i];
      float actual = g.data<float>()[i * stride];
      worst = std::max<double>(worst, std::fabs(actual - expected) / largest);
      // Float32 sums of up to a few thousand terms in another order (PyTorch
      // blocks its GEMMs) differ by a few ulps of the largest partial sums:
      // 1e-5 of the tensor's largest gradient bounds that with margin, and
      // is far below the O(1) errors a wrong rule gives.
      EXPECT_NEAR(actual, expected, 1e-5 * largest)
          << name << " parameter #" << k << " element " << i * stride;
    }
    EXPECT_GT(largest, 0) << name << " parameter #" << k;
    std::printf("%s parameter #%zu: largest |g| %.3g, worst |diff| / "
                "largest %.3g\n",
                name.c_str(), k, largest, worst);
  }
}

} // namespace

TEST(TorchReference, LogisticRegression) { checkAgainstTorch("logreg", 128); }
TEST(TorchReference, MLP) { checkAgainstTorch("mlp", 128); }
TEST(TorchReference, CNN) { checkAgainstTorch("cnn", 64); }
