//===- GPUCodegenTest.cpp - GPU kernels without a GPU ---------------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Every kernel of the integration module goes through lpq-gpu-pipeline to
// PTX; ptxas from the CUDA toolkit must assemble each for sm_80 and sm_90
// without register spills. Needs no GPU: it checks what the compiler emits.
//
//===----------------------------------------------------------------------===//

#include "TestKernels.h"

#include "lpq/Pipelines/Pipelines.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>

using namespace mlir;
using namespace lpq_test;

#ifndef LPQ_PTXAS
#error "LPQ_PTXAS must name the ptxas executable"
#endif

namespace {

struct PtxasResult {
  int status;
  std::string log;
};

PtxasResult runPtxas(const std::string &ptx, const std::string &chip) {
  char dir[] = "/tmp/lpq-ptx-XXXXXX";
  if (!mkdtemp(dir))
    return {-1, "cannot create a temporary directory"};
  std::string in = std::string(dir) + "/k.ptx", out = std::string(dir) + "/k.cubin";
  std::ofstream(in) << ptx;
  std::string cmd = std::string(LPQ_PTXAS) + " -arch=" + chip + " -v " + in +
                    " -o " + out + " 2>&1";
  PtxasResult r{0, ""};
  FILE *pipe = popen(cmd.c_str(), "r");
  char buf[512];
  while (pipe && fgets(buf, sizeof(buf), pipe))
    r.log += buf;
  r.status = pipe ? pclose(pipe) : -1;
  std::remove(in.c_str());
  std::remove(out.c_str());
  rmdir(dir);
  return r;
}

void checkChip(const std::string &chip) {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<LPQDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::vector<Kernel> kernels;
  std::string source = buildModule(&context, kernels);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module);

  PassManager pm(&context);
  GPUPipelineOptions options;
  options.chip = chip;
  options.format = "isa";
  ASSERT_TRUE(succeeded(buildGPUPipeline(pm, options)));
  ASSERT_TRUE(succeeded(pm.run(*module)));

  int objects = 0;
  std::regex spills("([0-9]+) bytes spill stores, ([0-9]+) bytes spill loads");
  module->walk([&](gpu::BinaryOp binary) {
    for (Attribute a : binary.getObjects()) {
      std::string ptx = cast<gpu::ObjectAttr>(a).getObject().str();
      ASSERT_NE(ptx.find(".target " + chip), std::string::npos);
      PtxasResult r = runPtxas(ptx, chip);
      ++objects;
      EXPECT_EQ(r.status, 0) << binary.getSymName().str() << ":\n" << r.log;
      int reports = 0;
      for (std::sregex_iterator it(r.log.begin(), r.log.end(), spills), end;
           it != end; ++it, ++reports)
        EXPECT_TRUE((*it)[1] == "0" && (*it)[2] == "0")
            << binary.getSymName().str() << " spills registers:\n" << r.log;
      EXPECT_GE(reports, 1) << "ptxas -v reported no spill figures:\n" << r.log;
    }
  });
  // Every kernel function launches at least one GPU kernel.
  EXPECT_GE(objects, static_cast<int>(kernels.size()));
}

} // namespace

TEST(GPUCodegen, PtxasAcceptsSm80) { checkChip("sm_80"); }
TEST(GPUCodegen, PtxasAcceptsSm90) { checkChip("sm_90"); }
