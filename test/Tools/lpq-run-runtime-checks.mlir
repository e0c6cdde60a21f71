// Dynamic extents that an op needs to agree are checked when the program
// runs (lpq-cpu-pipeline's runtime-checks, on by default): lpq-run reports
// the failing op on stderr and exits with status 1 instead of reading past
// the end of the shorter argument. Agreeing extents run as usual, and with
// runtime-checks=false no check is compiled in.
// RUN: lpq-run %s --entry=add --arg=rand:5x4 --arg=rand:5x4 | FileCheck %s --check-prefix=OK
// RUN: not lpq-run %s --entry=add --arg=rand:300x4 --arg=rand:3x4 2>&1 | FileCheck %s --check-prefix=MISMATCH
// RUN: lpq-opt %s --lpq-cpu-pipeline | FileCheck %s --check-prefix=CHECKED
// RUN: lpq-opt %s --lpq-cpu-pipeline="runtime-checks=false" | FileCheck %s --check-prefix=UNCHECKED
// Static shapes are checked by the verifier: nothing is left to run.
// RUN: lpq-opt %S/../../examples/mlp.mlir --lpq-train-step="recipe=swalp" \
// RUN:   | lpq-opt --lpq-cpu-pipeline | FileCheck %s --check-prefix=STATIC

// OK: result #0: <f4 [5x4]
// MISMATCH: ERROR: Runtime op verification failed
// MISMATCH: ^ dimension #0 of input/output operand #1 is incompatible with inferred dimension size
// MISMATCH: Location: loc("{{.*}}lpq-run-runtime-checks.mlir":[[# @LINE + 12]]:8)
// MISMATCH: lpq: a runtime check of the compiled program failed (above); stopping
// MISMATCH-NOT: Stack dump
// CHECKED: llvm.call @abort
// UNCHECKED-NOT: @abort
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
