// lpq-gpu-pipeline checks dynamic extents as lpq-cpu-pipeline does
// (runtime-checks, on by default): the host reads the extents from the
// memref descriptors and stops before any kernel runs. Run without a GPU
// against the fake CUDA driver (test/FakeCuda): launches run nothing, so the
// result is meaningless here (0 rows: the fake result-dims kernel writes no
// extent); what matters is that agreeing extents pass the checks.
// REQUIRES: fake-cuda
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir lpq-run %s --entry=add \
// RUN:   --arg=rand:5x4 --arg=rand:5x4 --device=cuda 2>&1 | FileCheck %s --check-prefix=OK
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir not lpq-run %s --entry=add \
// RUN:   --arg=rand:300x4 --arg=rand:3x4 --device=cuda 2>&1 | FileCheck %s --check-prefix=MISMATCH
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir lpq-run %s --entry=add \
// RUN:   --arg=rand:300x4 --arg=rand:3x4 --device=cuda --no-runtime-checks 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOCHECKS
// RUN: lpq-opt %s --lpq-gpu-pipeline | FileCheck %s --check-prefix=CHECKED
// RUN: lpq-opt %s --lpq-gpu-pipeline="runtime-checks=false" | FileCheck %s --check-prefix=UNCHECKED
//
// Checks inside kernels (indices computed in sequential loops: SQ's
// roulette) become device-side assertions; the whole SQ step still compiles
// (structured control flow is lowered before the asserts split blocks).
// RUN: lpq-opt %S/../../examples/mlp.mlir --lpq-train-step="recipe=sq-twn" \
// RUN:   | lpq-opt --lpq-gpu-pipeline --mlir-print-ir-before=gpu-module-to-binary -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=KERNEL
// Static shapes leave nothing to check on the host.
// RUN: lpq-opt %S/../../examples/mlp.mlir --lpq-train-step="recipe=swalp" \
// RUN:   | lpq-opt --lpq-gpu-pipeline | FileCheck %s --check-prefix=STATIC

// OK: fake-cuda: {{[0-9]+}} launches of {{[0-9]+}} kernels from {{[0-9]+}} modules, {{.*}}, 0 errors
// MISMATCH: ERROR: Runtime op verification failed
// MISMATCH: ^ dimension #0 of input/output operand #1 is incompatible with inferred dimension size
// MISMATCH: Location: loc("{{.*}}lpq-run-runtime-checks-cuda.mlir":[[# @LINE + 16]]:8)
// MISMATCH: lpq: a runtime check of the compiled program failed (above); stopping
// MISMATCH-NOT: fake-cuda:
// NOCHECKS-NOT: Runtime op verification failed
// NOCHECKS: fake-cuda: {{[0-9]+}} launches
// CHECKED: llvm.call @abort
// UNCHECKED-NOT: @abort
// KERNEL: gpu.module
// KERNEL: llvm.call @__assertfail
// STATIC-NOT: @abort

#id = affine_map<(i, j) -> (i, j)>
func.func @add(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<?x4xf32>, tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
