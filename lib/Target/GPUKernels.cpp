//===- GPUKernels.cpp - GPU kernel binaries written to files --------------===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#include "lpq/Target/GPUKernels.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace {

StringRef extension(gpu::CompilationTarget format) {
  switch (format) {
  case gpu::CompilationTarget::Offload:
    return "bc";
  case gpu::CompilationTarget::Assembly:
    return "ptx";
  case gpu::CompilationTarget::Binary:
    return "cubin";
  case gpu::CompilationTarget::Fatbin:
    return "fatbin";
  }
  llvm_unreachable("unknown compilation target");
}

std::string chipOf(Attribute target) {
  if (auto nvvm = dyn_cast<NVVM::NVVMTargetAttr>(target))
    return nvvm.getChip().str();
  return "target";
}

std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

} // namespace

LogicalResult mlir::lpq::writeGPUKernelFiles(ModuleOp module, StringRef dir,
                                             llvm::raw_ostream &os) {
  if (!module.getOps<gpu::GPUModuleOp>().empty())
    return mlir::emitError(module.getLoc(),
                           "gpu.module not compiled yet: run "
                           "-lpq-gpu-pipeline (or gpu-module-to-binary) "
                           "before writing kernel files");
  if (module.getOps<gpu::BinaryOp>().empty())
    return mlir::emitError(module.getLoc(),
                           "no gpu.binary in the module: compile it with "
                           "-lpq-gpu-pipeline first");
  // Kernels of each binary, and the launches of each host function.
  llvm::MapVector<StringAttr, llvm::SetVector<StringAttr>> kernels;
  llvm::MapVector<StringAttr, SmallVector<gpu::LaunchFuncOp>> launches;
  module.walk([&](gpu::LaunchFuncOp launch) {
    kernels[launch.getKernelModuleName()].insert(launch.getKernelName());
    if (auto host = launch->getParentOfType<FunctionOpInterface>())
      launches[host.getNameAttr()].push_back(launch);
  });

  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return mlir::emitError(module.getLoc(), "cannot create directory '")
           << dir << "': " << ec.message();

  llvm::json::OStream json(os, /*IndentSize=*/2);
  json.objectBegin();
  json.attribute("kernel_dir", dir);
  json.attributeBegin("binaries");
  json.arrayBegin();
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    for (Attribute a : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(a);
      std::string chip = chipOf(object.getTarget());
      std::string name = (binary.getSymName() + "." + chip + "." +
                          extension(object.getFormat()))
                             .str();
      SmallString<256> path(dir);
      llvm::sys::path::append(path, name);
      bool text = object.getFormat() == gpu::CompilationTarget::Assembly;
      std::error_code ec;
      llvm::raw_fd_ostream file(
          path, ec, text ? llvm::sys::fs::OF_Text : llvm::sys::fs::OF_None);
      if (ec)
        return mlir::emitError(binary.getLoc(), "cannot write '")
               << path << "': " << ec.message();
      StringRef data = object.getObject().getValue();
      file << data;
      file.close();
      if (file.has_error())
        return mlir::emitError(binary.getLoc(), "cannot write '")
               << path << "'";

      json.object([&] {
        json.attribute("module", binary.getSymName());
        json.attribute("chip", chip);
        json.attribute("format", extension(object.getFormat()));
        json.attribute("file", path.str());
        json.attribute("bytes", static_cast<int64_t>(data.size()));
        json.attributeArray("kernels", [&] {
          for (StringAttr k : kernels.lookup(binary.getSymNameAttr()))
            json.value(k.getValue());
        });
      });
    }
  }
  json.arrayEnd();
  json.attributeEnd();
  json.attributeObject("launches", [&] {
    for (auto &[host, list] : launches)
      json.attributeArray(host.getValue(), [&] {
        for (gpu::LaunchFuncOp launch : list)
          json.object([&] {
            json.attribute("module", launch.getKernelModuleName().getValue());
            json.attribute("kernel", launch.getKernelName().getValue());
            json.attributeArray("params", [&] {
              for (Value v : launch.getKernelOperands())
                json.value(typeName(v.getType()));
            });
          });
      });
  });
  json.objectEnd();
  os << "\n";
  return success();
}
