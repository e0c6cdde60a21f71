//===- JitRunner.h - JIT-compile and run lpq modules ------------*- C++ -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_RUNTIME_JITRUNNER_H
#define LPQ_RUNTIME_JITRUNNER_H

#include "lpq/Runtime/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"

#include <memory>
#include <optional>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace mlir::lpq::runtime {

/// One argument of an entry function: an array for a tensor parameter, a
/// number for a scalar one.
struct Argument {
  std::optional<Array> array;
  double number = 0;
  /// Integer parameters read this exactly (a 64-bit seed does not fit a
  /// double).
  int64_t integer = 0;

  static Argument of(Array a) { return Argument{std::move(a), 0, 0}; }
  static Argument of(double v) {
    return Argument{std::nullopt, v, static_cast<int64_t>(v)};
  }
  static Argument ofInteger(int64_t v) {
    return Argument{std::nullopt, static_cast<double>(v), v};
  }
};

/// How to compile.
struct JitOptions {
  /// Parallelize with OpenMP (lpq-cpu-pipeline's `threads`).
  bool threads = true;
  /// Let LLVM vectorize loops (loop and SLP vectorizers).
  bool vectorize = true;
  /// Preferred vector width in bits (lpq-cpu-pipeline's `vector-width`;
  /// 0: 512 on hosts with AVX-512, else the target's default).
  unsigned vectorWidth = 0;
  /// Fuse elementwise loop nests (lpq-cpu-pipeline's `fusion`).
  bool fusion = true;
  /// Register-tiled matmuls and convolutions (`tile-contractions`).
  bool tileContractions = true;
  /// Philox first, then rounding in element order (`buffer-random-words`).
  bool bufferRandomWords = true;
  /// No random bits for a marked stochastic rounding whose input is on the
  /// grid already (`skip-on-grid`).
  bool skipOnGrid = true;
  /// Fuse loop nests over the same rows (lpq-cpu-pipeline's `fuse-rows`;
  /// unset: `hostFuseRows`'s choice for the host).
  std::optional<bool> fuseRows;
  /// Check that dynamic extents agree where the ops need it
  /// (`runtime-checks`).
  bool runtimeChecks = true;
  /// Compile with lpq-gpu-pipeline for CUDA device 0 (its architecture,
  /// cubin) instead of the CPU: tensors are copied to the device and back.
  bool cuda = false;
  /// Compile the GPU pipeline's loop nests for the host instead
  /// (`gpuLoopsOnHostPipelineText`): tests the GPU's loop distribution
  /// without a GPU.
  bool gpuLoopsOnHost = false;
  /// Threads per block and iterations per thread of the GPU pipelines.
  int64_t gpuBlockSize = 256;
  int64_t gpuElementsPerThread = 4;
  /// For tests: blocks of launches that lpq-gpu-fuse-launches fused run in
  /// reverse order (`test-reverse-blocks`; with `gpuLoopsOnHost`, which runs
  /// blocks in order, a dependence between fused nests then shows).
  bool gpuReverseBlocks = false;
};

/// The vector width (bits) the JIT's CPU pipeline prefers for a requested
/// `JitOptions::vectorWidth`: the request itself, or for 0, 512 on hosts
/// with AVX-512 and else 0 (the target's default).
unsigned hostVectorWidth(unsigned requested);

/// Whether the JIT's CPU pipeline fuses loop nests over the same rows
/// (`fuse-rows`) for a requested `JitOptions::fuseRows`: the request
/// itself, or when unset, on Intel CPUs with AVX-512 (where it was measured
/// faster) and off elsewhere.
bool hostFuseRows(std::optional<bool> requested);

/// A module lowered by lpq-cpu-pipeline and compiled by MLIR's
/// ExecutionEngine. Entry functions take tensors and scalars and return
/// tensors; tensors are passed as dense row-major arrays.
class JitModule {
public:
  ~JitModule();

  /// Lowers `module` in place and compiles it. Returns null and sets
  /// `error` on failure.
  static std::unique_ptr<JitModule> compile(ModuleOp module,
                                            const JitOptions &options,
                                            std::string &error);

  /// Names of the functions that can be run.
  std::vector<std::string> entryNames() const;

  /// The signature of entry `name` as written, before lowering.
  std::optional<FunctionType> signature(llvm::StringRef name) const;

  /// Runs entry `name`. Checks arity, dtypes and shapes; the extents of a
  /// dynamically shaped result come from the module's `<name>_result_dims`
  /// (added by the pipelines' `lpq-result-dims`), called first.
  std::optional<std::vector<Array>> run(llvm::StringRef name,
                                        llvm::ArrayRef<Argument> args,
                                        std::string &error);

  /// As run(), writing into `results`: arrays already of the right dtype and
  /// shape are reused without reallocation (for repeated runs and timing).
  bool runInto(llvm::StringRef name, llvm::ArrayRef<Argument> args,
               std::vector<Array> &results, std::string &error);

  /// As runInto(), calling the entry `repeat` times with the same arguments
  /// and appending each call's wall time in seconds to `times` (the results
  /// are the last call's). On CUDA the arguments are copied to the device
  /// once, before the first call, and the results back once, after the last:
  /// each time covers one call's launches and kernels, up to the device
  /// having finished them.
  bool runRepeated(llvm::StringRef name, llvm::ArrayRef<Argument> args,
                   int repeat, std::vector<Array> &results,
                   std::vector<double> &times, std::string &error);

private:
  JitModule() = default;
  std::unique_ptr<ExecutionEngine> engine;
  bool cuda = false;
  llvm::StringMap<FunctionType> signatures;
  /// The signatures of the `<name>_result_dims` of the entries with
  /// dynamically shaped results, by their names.
  llvm::StringMap<FunctionType> resultDims;
};

/// Whether this build has the CUDA runtime, and a CUDA device can be used;
/// the reason when not.
std::optional<std::string> cudaUnavailable();

/// Median seconds of `repeat` device-to-device copies of `bytes` on CUDA
/// device 0 (the bound for a kernel that reads and writes each byte once);
/// nullopt without a usable device.
std::optional<double> cudaCopySeconds(size_t bytes, int repeat);

/// Sets the number of OpenMP threads kernels use (0: the runtime default).
void setNumThreads(int threads);

/// The element type of an array for a tensor element type, if supported.
std::optional<DType> dtypeOf(Type elementType);

} // namespace mlir::lpq::runtime

#endif // LPQ_RUNTIME_JITRUNNER_H
