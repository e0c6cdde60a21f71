//===- DeviceCheck.cpp - GPU tests and benchmarks in one program ----------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// One program for a machine with a GPU: the differential and lowering-
// equivalence test suites (their Cuda tests run on device 0) and the two
// benchmarks. scripts/device-bundle.sh links it with static LLVM and MLIR,
// since the machines the device tool lends have no LLVM; one program keeps
// that copy of LLVM single.
//
//   lpq-device-check test [--gtest_filter=...]
//   lpq-device-check bench-quantize [lpq-bench-quantize's options]
//   lpq-device-check bench-step [lpq-bench-step's options]
//
//===----------------------------------------------------------------------===//

#include "Bench.h"

#include <gtest/gtest.h>

#include <sys/random.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

/// LLVM's Support library (Process::GetRandomNumber) calls arc4random,
/// which glibc has only since 2.36; defined here, the static bundle starts
/// on older systems too (glibc 2.34, Ubuntu 22.04's 2.35). Same contract:
/// uniformly random bits from the kernel.
extern "C" uint32_t arc4random(void) {
  uint32_t value = 0;
  while (getrandom(&value, sizeof(value), 0) != sizeof(value)) {
  }
  return value;
}

int main(int argc, char **argv) {
  const char *command = argc > 1 ? argv[1] : "";
  // The command's own arguments follow its name, which takes the place of
  // the program's.
  int subArgc = argc - 1;
  char **subArgv = argv + 1;
  if (!std::strcmp(command, "test")) {
    testing::InitGoogleTest(&subArgc, subArgv);
    return RUN_ALL_TESTS();
  }
  if (!std::strcmp(command, "bench-quantize"))
    return mlir::lpq::bench::quantizeMain(subArgc, subArgv);
  if (!std::strcmp(command, "bench-step"))
    return mlir::lpq::bench::stepMain(subArgc, subArgv);
  std::fprintf(stderr,
               "usage: %s test [gtest options]\n"
               "       %s bench-quantize [--device=cuda] [options]\n"
               "       %s bench-step [--device=cuda] [options]\n",
               argv[0], argv[0], argv[0]);
  return 1;
}
