// RUN: lpq-translate --lpq-to-c-header %s | FileCheck %s --check-prefix=HEADER
// RUN: lpq-translate --lpq-to-c-header %s -o %t.h
// RUN: lpq-opt %s -lpq-cpu-pipeline | mlir-translate --mlir-to-llvmir -o %t.ll
// RUN: llc -O2 -filetype=obj -relocation-model=pic %t.ll -o %t.o
// RUN: cc -DKERNELS_HEADER='"%t.h"' %S/Inputs/main.c %t.o -L/usr/lib/llvm-22/lib -lomp -Wl,-rpath,/usr/lib/llvm-22/lib -lm -o %t.exe
// RUN: %t.exe | FileCheck %s --check-prefix=EXE
// RUN: not --crash %t.exe wrong-destination 2>&1 | FileCheck %s --check-prefix=WRONG
// RUN: lpq-opt %s -lpq-cpu-pipeline | not lpq-translate --lpq-to-c-header 2>&1 | FileCheck %s --check-prefix=LOWERED

/// The header declares one descriptor struct per rank and element type and
/// the C-interface entry point, results last.
// HEADER: typedef struct {
// HEADER-NEXT: float *allocated;
// HEADER-NEXT: float *aligned;
// HEADER-NEXT: int64_t offset;
// HEADER-NEXT: int64_t sizes[2];
// HEADER-NEXT: int64_t strides[2];
// HEADER-NEXT: } lpq_memref_float_2d;
// HEADER: void _mlir_ciface_quantize(lpq_memref_float_2d *arg0, lpq_memref_float_2d *result0);
// HEADER: void _mlir_ciface_step(lpq_memref_float_2d *arg0, int64_t arg1, int32_t arg2, lpq_memref_float_2d *result0);
/// With a dynamic extent among its results, step has a companion that
/// computes them (lpq-result-dims), so the caller can allocate the results.
// HEADER: /* step_result_dims: the dynamic extents of step's results, in order */
// HEADER-NEXT: void _mlir_ciface_step_result_dims(lpq_memref_float_2d *arg0, int64_t arg1, int32_t arg2, lpq_memref_int64_1d *result0);

/// The signatures come from the module as written: a lowered one is refused
/// (it used to give a header without entry points).
// LOWERED: error: lpq-to-c-header: no public function with a body; the header is made from the module as written (tensors), before lpq-cpu-pipeline or lpq-gpu-pipeline lowers it

/// A C program links the compiled kernel and calls it: fixed<8, 2> rounds to
/// quarters and saturates at 127/4.
// EXE: 0 -0.25 5 0
// EXE-NEXT: 1 2 3 4
// EXE-NEXT: step's result: 2 rows
/// A destination with the wrong extent is refused before anything is
/// written (runtime checks, on by default).
// WRONG: step's result: 2 rows
// WRONG-NEXT: lpq: result #0 of @step: its destination's dimension #0 differs from the result's (@step_result_dims computes the extents to allocate)
// WRONG-NOT: wrote
func.func @quantize(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = lpq.quantize %x : tensor<2x4xf32> to #lpq.fixed<8, 2>
  return %0 : tensor<2x4xf32>
}

func.func @step(%x: tensor<?x4xf32>, %seed: i64, %step: i32) -> tensor<?x4xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<?x4xf32> to #lpq.float<4, 3, fn> stream 0
  return %0 : tensor<?x4xf32>
}
