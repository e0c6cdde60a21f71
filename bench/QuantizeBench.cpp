//===- QuantizeBench.cpp - Throughput of generated quantize kernels -------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Measures lpq's JIT-compiled quantize kernels (lpq-cpu-pipeline) against, in
// the same run: memcpy of the same bytes (the machine's limit for a kernel
// that reads and writes each element once) and a plain scalar single-thread
// C++ loop doing the same rounding (the reference library's loops, the way
// QPyTorch's CPU kernels work). Prints a markdown table.
//
//   lpq-bench-quantize [--quick] [--max-mib=N] [--device=cpu|cuda]
//                      [--block-size=B] [--elements-per-thread=K]
//                      [--print-module]
//
// With --device=cuda the kernels are compiled by lpq-gpu-pipeline for CUDA
// device 0 and compared with a device-to-device copy of the same bytes; the
// data stays on the device between the timed calls. Without a usable device
// it says so and measures nothing; --block-size and --elements-per-thread
// set lpq-gpu-pipeline's options (for tuning). --print-module prints the
// benchmark's kernels (MLIR) and exits.
//
// Bandwidths count the bytes read and written (2 x 4 bytes per element).
//
//===----------------------------------------------------------------------===//

#include "Bench.h"

#include "lpq/Dialect/LPQ/IR/LPQOps.h"
#include "lpq/Runtime/JitRunner.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>

using namespace mlir;
using namespace mlir::lpq;
using namespace mlir::lpq::runtime;

namespace {

constexpr int64_t kCols = 1024;

struct KernelCase {
  const char *label;
  const char *format;
};

const KernelCase kCases[] = {
    {"fixed<8,6>", "#lpq.fixed<8, 6>"},
    {"e4m3fn", "#lpq.float<4, 3, fn>"},
    {"e5m2", "#lpq.float<5, 2>"},
    {"bf16", "#lpq.float<8, 7>"},
    {"block8 per tensor", "#lpq.block<8>"},
    {"block8 per row", "#lpq.block<8, axis = [0]>"},
    {"MX e4m3 /32", "#lpq.mx<#lpq.float<4, 3, fn>, tile = 32, axis = [1]>"},
};

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Median seconds of `fn` over at least 3 runs and ~0.3 s.
template <typename F> double timeIt(F &&fn) {
  fn(); // warm up
  std::vector<double> t;
  double start = now();
  while (t.size() < 3 || (now() - start < 0.3 && t.size() < 50)) {
    double a = now();
    fn();
    t.push_back(now() - a);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

/// The function of case k with the given rounding.
std::string kernelName(size_t k, bool stochastic) {
  return (stochastic ? "sr" : "near") + std::to_string(k);
}

std::string buildModule() {
  std::string m;
  for (size_t i = 0; i < std::size(kCases); ++i) {
    std::string t = "tensor<?x" + std::to_string(kCols) + "xf32>";
    m += "func.func @" + kernelName(i, false) + "(%x: " + t + ") -> " + t +
         " {\n" +
         "  %q = lpq.quantize %x : " + t + " to " + kCases[i].format +
         "\n  return %q : " + t + "\n}\n";
    m += "func.func @" + kernelName(i, true) + "(%x: " + t +
         ", %seed: i64, %step: i32) -> " + t + " {\n" + "  %q = lpq.stochastic_round %x, %seed, %step : " + t +
         " to " + kCases[i].format + " stream 1\n  return %q : " + t +
         "\n}\n";
  }
  return m;
}

/// The scalar single-thread loop: one reference-library call per element
/// for elementwise formats, the reference's block loops otherwise.
void scalarLoop(const numerics::Format &f, bool stochastic,
                const std::vector<float> &x, std::vector<float> &out,
                const numerics::Shape &shape) {
  numerics::RandomStream rs{42, 1, 0};
  auto eachElement = [&](const auto &format) {
    for (size_t i = 0; i < x.size(); ++i)
      out[i] = stochastic
                   ? numerics::stochasticRound(
                         x[i], format, numerics::randomBits(42, 1, 0, i))
                   : numerics::quantize(x[i], format,
                                        numerics::Rounding::NearestEven);
  };
  if (auto *fp = std::get_if<numerics::FixedPoint>(&f))
    return eachElement(*fp);
  if (auto *mf = std::get_if<numerics::Minifloat>(&f))
    return eachElement(*mf);
  out = stochastic ? numerics::stochasticRound(x, shape, f, rs)
                   : numerics::quantize(x, shape, f,
                                        numerics::Rounding::NearestEven);
}

std::string sizeLabel(int64_t kib) {
  return kib >= 1024 ? std::to_string(kib / 1024) + " MiB"
                     : std::to_string(kib) + " KiB";
}

/// `kib` KiB of standard normal values as rows of kCols.
Array randomInput(int64_t kib, std::mt19937 &rng) {
  std::normal_distribution<float> normal(0, 1);
  int64_t n = kib * 1024 / 4;
  Array x = Array::zeros(DType::F32, {n / kCols, kCols});
  for (int64_t i = 0; i < n; ++i)
    x.data<float>()[i] = normal(rng);
  return x;
}

/// The arguments of a kernel of buildModule() for input `x`.
std::vector<Argument> kernelArguments(const Array &x, bool stochastic) {
  std::vector<Argument> args{Argument::of(x)};
  if (stochastic) {
    args.push_back(Argument::ofInteger(42)); // seed
    args.push_back(Argument::ofInteger(0));  // step
  }
  return args;
}

/// The GPU table: each kernel against a device-to-device copy.
int benchCuda(JitModule &jit, const std::vector<int64_t> &sizesKiB) {
  std::printf("| kernel | rounding | size | lpq GB/s | device copy GB/s | "
              "%% of copy |\n|---|---|---|---|---|---|\n");
  std::mt19937 rng(1);
  std::string error;
  for (int64_t kib : sizesKiB) {
    Array x = randomInput(kib, rng);
    std::optional<double> copy = cudaCopySeconds(x.bytes.size(), 20);
    if (!copy) {
      std::fprintf(stderr, "the device-to-device copy failed\n");
      return 1;
    }
    double bytesMoved = 2.0 * x.bytes.size();
    std::string sizeText = sizeLabel(kib);
    for (size_t k = 0; k < std::size(kCases); ++k) {
      for (bool stochastic : {false, true}) {
        std::string name = kernelName(k, stochastic);
        std::vector<Argument> args = kernelArguments(x, stochastic);
        std::vector<Array> out;
        std::vector<double> times;
        // The first call warms up (loads the kernels' code on the device).
        if (!jit.runRepeated(name, args, 21, out, times, error)) {
          std::fprintf(stderr, "%s\n", error.c_str());
          return 1;
        }
        std::sort(times.begin() + 1, times.end());
        double t = times[1 + (times.size() - 1) / 2];
        std::printf("| %s | %s | %s | %.0f | %.0f | %.0f%% |\n",
                    kCases[k].label, stochastic ? "stochastic" : "nearest",
                    sizeText.c_str(), bytesMoved / t / 1e9,
                    bytesMoved / *copy / 1e9, 100.0 * *copy / t);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}

} // namespace

int mlir::lpq::bench::quantizeMain(int argc, char **argv) {
  bool quick = false, cuda = false, printModule = false;
  int64_t maxMiB = -1;
  JitOptions options;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef a = argv[i];
    // `--name=N` with N a positive integer; false if `a` is another option.
    bool badNumber = false;
    auto number = [&](llvm::StringRef prefix, int64_t &out) {
      llvm::StringRef text = a;
      if (!text.consume_front(prefix))
        return false;
      int64_t v;
      if (text.getAsInteger(10, v) || v <= 0)
        badNumber = true;
      else
        out = v;
      return true;
    };
    if (a == "--quick")
      quick = true;
    else if (number("--max-mib=", maxMiB) ||
             number("--block-size=", options.gpuBlockSize) ||
             number("--elements-per-thread=", options.gpuElementsPerThread)) {
      if (badNumber) {
        std::fprintf(stderr, "%s: expected a positive integer in '%s'\n",
                     argv[0], argv[i]);
        return 1;
      }
    } else if (a == "--device=cuda" || a == "--device=cpu")
      cuda = a == "--device=cuda";
    else if (a == "--print-module")
      printModule = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--quick] [--max-mib=N] [--device=cpu|cuda] "
                   "[--block-size=B] [--elements-per-thread=K] "
                   "[--print-module]\n",
                   argv[0]);
      return 1;
    }
  }
  if (printModule) {
    std::printf("%s", buildModule().c_str());
    return 0;
  }
  if (cuda)
    if (std::optional<std::string> why = cudaUnavailable()) {
      std::printf("skipped: no CUDA device to run on (%s)\n", why->c_str());
      return 0;
    }
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<LPQDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(buildModule(), &context);
  std::vector<numerics::Format> formats;
  for (const KernelCase &c : kCases)
    formats.push_back(cast<FormatAttrInterface>(parseAttribute(c.format,
                                                               &context))
                          .getNumericsFormat());
  std::string error;
  options.cuda = cuda;
  auto jit = JitModule::compile(*module, options, error);
  if (!jit) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }

  // A GPU needs larger sizes to reach its bandwidth.
  std::vector<int64_t> sizesKiB =
      cuda ? std::vector<int64_t>{1024, 16 * 1024, 256 * 1024, 1024 * 1024}
           : std::vector<int64_t>{64, 1024, 16 * 1024, 256 * 1024};
  if (quick)
    sizesKiB = {64, 1024};
  if (maxMiB < 0)
    maxMiB = cuda ? 1024 : 256;
  llvm::erase_if(sizesKiB, [&](int64_t kib) { return kib > maxMiB * 1024; });
  if (cuda)
    return benchCuda(*jit, sizesKiB);
  std::printf("| kernel | rounding | size | lpq 1t GB/s | lpq 2t GB/s | "
              "memcpy GB/s | 2t %% of memcpy | 2t / 1t | x scalar loop |\n"
              "|---|---|---|---|---|---|---|---|---|\n");
  std::mt19937 rng(1);
  for (int64_t kib : sizesKiB) {
    Array x = randomInput(kib, rng);
    int64_t n = x.numElements(), rows = x.shape[0];
    // The machine's limit: the faster of a 1-thread and a 2-thread memcpy
    // (one half each) of the same bytes.
    std::vector<uint8_t> dst(x.bytes.size());
    size_t half = x.bytes.size() / 2;
    double memcpy1 = timeIt(
        [&] { std::memcpy(dst.data(), x.bytes.data(), x.bytes.size()); });
    double memcpy2 = timeIt([&] {
      std::thread t([&] { std::memcpy(dst.data(), x.bytes.data(), half); });
      std::memcpy(dst.data() + half, x.bytes.data() + half,
                  x.bytes.size() - half);
      t.join();
    });
    double memcpyTime = std::min(memcpy1, memcpy2);
    double bytesMoved = 2.0 * x.bytes.size();
    std::vector<float> xs(x.data<float>(), x.data<float>() + n), ys(n);
    std::string sizeText = sizeLabel(kib);
    for (size_t k = 0; k < std::size(kCases); ++k) {
      for (bool stochastic : {false, true}) {
        std::string name = kernelName(k, stochastic);
        std::vector<Argument> args = kernelArguments(x, stochastic);
        std::vector<Array> out;
        double t[3];
        for (int threads : {1, 2}) {
          setNumThreads(threads);
          t[threads] = timeIt([&] {
            if (!jit->runInto(name, args, out, error)) {
              std::fprintf(stderr, "%s\n", error.c_str());
              std::exit(1);
            }
          });
        }
        // The scalar loop is timed up to 16 MiB; beyond, its per-element
        // cost is the same and the run would only take longer.
        std::string scalar = "-";
        if (kib <= 16 * 1024) {
          double ts = timeIt([&] {
            scalarLoop(formats[k], stochastic, xs, ys, {rows, kCols});
          });
          char buf[32];
          std::snprintf(buf, sizeof(buf), "%.1f", ts / t[2]);
          scalar = buf;
        }
        std::printf("| %s | %s | %s | %.2f | %.2f | %.2f | %.0f%% | %.2f | "
                    "%s |\n",
                    kCases[k].label, stochastic ? "stochastic" : "nearest",
                    sizeText.c_str(), bytesMoved / t[1] / 1e9,
                    bytesMoved / t[2] / 1e9, bytesMoved / memcpyTime / 1e9,
                    100.0 * memcpyTime / t[2], t[1] / t[2], scalar.c_str());
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
