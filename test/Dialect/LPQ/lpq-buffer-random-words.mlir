// RUN: lpq-opt %s --pass-pipeline="builtin.module(convert-lpq-to-arith,canonicalize,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},canonicalize,func.func(convert-linalg-to-affine-loops,affine-parallelize{max-nested=1},lpq-buffer-random-words),canonicalize)" | FileCheck %s
// RUN: lpq-opt %s --pass-pipeline="builtin.module(convert-lpq-to-arith,canonicalize,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},canonicalize,func.func(convert-linalg-to-affine-loops,lpq-buffer-random-words),canonicalize)" | FileCheck %s --check-prefix=SEQ
// RUN: lpq-opt %s --pass-pipeline="builtin.module(convert-lpq-to-arith,canonicalize,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},canonicalize,func.func(convert-linalg-to-affine-loops,affine-parallelize{max-nested=1},lpq-buffer-random-words{groups-per-tile=64}),canonicalize)" | FileCheck %s --check-prefix=SMALL
// RUN: not lpq-opt %s --pass-pipeline="builtin.module(func.func(lpq-buffer-random-words{groups-per-tile=0}))" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: groups-per-tile must be positive, got 0

// CHECK-DAG: #[[$WORDS_END:.*]] = affine_map<(d0) -> (300, d0 + 256)>
// CHECK-DAG: #[[$SLOT:.*]] = affine_map<(d0, d1) -> (d0 * 4 - d1 * 4)>
// CHECK-DAG: #[[$ELEMENTS_END:.*]] = affine_map<(d0) -> (1024, d0 * -4 + 1200)>
// CHECK-DAG: #[[$INTERLEAVE:.*]] = #llvm.loop_interleave<count = 4 : i32>
// CHECK-DAG: #[[$ANNOTATION:.*]] = #llvm.loop_annotation<interleave = #[[$INTERLEAVE]]>

// Per-row blocks: the rows are parallel, each row's 300 groups are split
// into tiles of 256; Philox fills the row's buffer in element order, then
// the rounding runs over elements of the merged row.
// CHECK-LABEL: func.func @rows
// CHECK: memref.alloc() {{.*}} : memref<8x300x4xf32>
// CHECK-NEXT: affine.parallel (%[[ROW:.*]]) = (0) to (8) {
// CHECK-NEXT: %[[WORDS:.*]] = memref.alloca() : memref<1024xi32>
// CHECK: %[[OUT:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : memref<8x300x4xf32> into memref<8x1200xf32>
// CHECK: affine.for %[[TILE:.*]] = 0 to 300 step 256 {
// CHECK: %[[END:.*]] = affine.min #[[$WORDS_END]](%[[TILE]])
// CHECK: scf.for %[[G:.*]] = %[[TILE]] to %[[END]]
// CHECK: %[[BASE:.*]] = affine.apply #[[$SLOT]](%[[G]], %[[TILE]])
// CHECK: memref.store %{{.*}}, %[[WORDS]][%[[BASE]]] : memref<1024xi32>
// CHECK-COUNT-3: memref.store %{{.*}}, %[[WORDS]][%{{.*}}] : memref<1024xi32>
// CHECK-NEXT: } {llvm.loop_annotation = #[[$ANNOTATION]]}
// CHECK: affine.for %[[E:.*]] = 0 to min #[[$ELEMENTS_END]](%[[TILE]]) {
// CHECK-NEXT: %[[BITS:.*]] = affine.load %[[WORDS]][%[[E]]] : memref<1024xi32>
// CHECK-NEXT: affine.load %arg0[%[[ROW]], %[[TILE]] * 4 + %[[E]]] : memref<8x1200xf32>
// CHECK-NOT: arith.muli
// CHECK: arith.xori %[[BITS]]
// CHECK-NOT: arith.muli
// CHECK: affine.store %{{.*}}, %[[OUT]][%[[ROW]], %[[TILE]] * 4 + %[[E]]] : memref<8x1200xf32>
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: }
// Without parallel loops the buffer is allocated once, at the function's
// top level (a loop body would allocate again every iteration).
// SEQ-LABEL: func.func @rows
// SEQ: %[[WORDS:.*]] = memref.alloca() : memref<1024xi32>
// SEQ-NEXT: memref.alloc() {{.*}} : memref<8x1xf32>
// SEQ-NOT: affine.parallel
// SEQ: affine.for %{{.*}} = 0 to 300 step 256 {
// SEQ: memref.store %{{.*}}, %[[WORDS]]
// SEQ: affine.load %[[WORDS]]
// SMALL-LABEL: func.func @rows
// SMALL: memref.alloca() : memref<256xi32>
// SMALL: affine.for %{{.*}} = 0 to 300 step 64 {
// SMALL-LABEL: func.func @flat
func.func @rows(%x: tensor<8x1200xf32>, %seed: i64, %step: i32) -> tensor<8x1200xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<8x1200xf32> to #lpq.block<8, axis = [0]> stream 1
  return %0 : tensor<8x1200xf32>
}

// Elementwise formats round through a flat view: the parallel loop over
// groups steps by tiles, one buffer per tile (per thread).
// CHECK-LABEL: func.func @flat
// CHECK: affine.parallel (%[[TILE:.*]]) = (0) to (500) step (256) {
// CHECK-NEXT: %[[WORDS:.*]] = memref.alloca() : memref<1024xi32>
// CHECK: scf.for
// CHECK-COUNT-4: memref.store %{{.*}}, %[[WORDS]]
// CHECK: } {llvm.loop_annotation = #[[$ANNOTATION]]}
// CHECK: affine.for %[[E:.*]] = 0 to min #{{.*}}(%[[TILE]]) {
// CHECK-NEXT: affine.load %[[WORDS]][%[[E]]]
// CHECK-NEXT: affine.load %arg0[%[[TILE]] * 4 + %[[E]]] : memref<2000xf32>
// SEQ-LABEL: func.func @flat
// SEQ: memref.alloca() : memref<1024xi32>
// SEQ-NEXT: memref.alloc() {{.*}} : memref<500x4xf32>
// SEQ-NEXT: memref.collapse_shape
// SEQ-NEXT: affine.for %{{.*}} = 0 to 500 step 256 {
func.func @flat(%x: tensor<2000xf32>, %seed: i64, %step: i32) -> tensor<2000xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<2000xf32> to #lpq.fixed<8, 4> stream 2
  return %0 : tensor<2000xf32>
}

// Fifteen elements do not group by four: each element evaluates Philox
// itself and nothing changes.
// CHECK-LABEL: func.func @odd
// CHECK-NOT: memref.alloca
// CHECK: return
func.func @odd(%x: tensor<3x5xf32>, %seed: i64, %step: i32) -> tensor<3x5xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<3x5xf32> to #lpq.fixed<8, 4> stream 3
  return %0 : tensor<3x5xf32>
}

// MX reads one scale per group of four ([.., %g]): in an element loop that
// read would be at %e floordiv 4, which LLVM does not vectorize, so the
// nest is left alone.
// CHECK-LABEL: func.func @mx
// CHECK-NOT: memref.alloca
// CHECK: return
func.func @mx(%x: tensor<4x64xf32>, %seed: i64, %step: i32) -> tensor<4x64xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<4x64xf32> to #lpq.mx<#lpq.float<4, 3, fn>, tile = 32, axis = [1]> stream 4
  return %0 : tensor<4x64xf32>
}
