//===- Bench.h - lpq's benchmark programs -----------------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// The benchmarks' entry points: each is the main of its own program
// (lpq-bench-quantize, lpq-bench-step) and a command of lpq-device-check,
// which carries them to a machine with a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_BENCH_BENCH_H
#define LPQ_BENCH_BENCH_H

namespace mlir::lpq::bench {

/// lpq-bench-quantize: quantize kernels against memcpy and a scalar loop.
int quantizeMain(int argc, char **argv);

/// lpq-bench-step: whole training steps.
int stepMain(int argc, char **argv);

} // namespace mlir::lpq::bench

#endif // LPQ_BENCH_BENCH_H
