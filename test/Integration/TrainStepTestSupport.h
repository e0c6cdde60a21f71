//===- TrainStepTestSupport.h - Shared setup of training-step tests -*- C++
//-*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// The context, example parsing and lpq-train-step invocation that the
// gradient and training tests share.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_TEST_INTEGRATION_TRAINSTEPTESTSUPPORT_H
#define LPQ_TEST_INTEGRATION_TRAINSTEPTESTSUPPORT_H

#include "lpq/Dialect/LPQ/IR/LPQDialect.h"
#include "lpq/Dialect/LPQ/Transforms/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <string>

namespace lpq_test {

/// One context with every dialect, for all tests of a binary.
inline mlir::MLIRContext &context() {
  static mlir::MLIRContext *ctx = [] {
    mlir::DialectRegistry registry;
    mlir::registerAllDialects(registry);
    mlir::registerAllExtensions(registry);
    registry.insert<mlir::lpq::LPQDialect>();
    auto *c = new mlir::MLIRContext(registry);
    c->loadAllAvailableDialects();
    return c;
  }();
  return *ctx;
}

/// examples/<name>.mlir of the source tree (null, with a test failure, when
/// it does not parse).
inline mlir::OwningOpRef<mlir::ModuleOp> parseExample(const std::string &name) {
  auto module = mlir::parseSourceFile<mlir::ModuleOp>(
      std::string(LPQ_SOURCE_DIR) + "/examples/" + name + ".mlir", &context());
  EXPECT_TRUE(module) << "cannot parse examples/" << name << ".mlir";
  return module;
}

/// Runs lpq-train-step{options} on `module`; records a test failure and
/// returns false when it fails.
inline bool buildTrainStep(mlir::ModuleOp module, const std::string &options) {
  mlir::lpq::registerLPQPasses();
  mlir::PassManager pm(&context());
  if (mlir::failed(mlir::parsePassPipeline("lpq-train-step{" + options + "}",
                                           pm, llvm::errs())) ||
      mlir::failed(pm.run(module))) {
    ADD_FAILURE() << "lpq-train-step{" << options << "} failed";
    return false;
  }
  return true;
}

} // namespace lpq_test

#endif // LPQ_TEST_INTEGRATION_TRAINSTEPTESTSUPPORT_H
