//===- lpq-bench-quantize.cpp - The benchmark's program ------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "Bench.h"

int main(int argc, char **argv) {
  return mlir::lpq::bench::quantizeMain(argc, argv);
}
