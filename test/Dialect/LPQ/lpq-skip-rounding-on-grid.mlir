// RUN: lpq-opt %s -split-input-file -lpq-skip-rounding-on-grid | FileCheck %s
// RUN: lpq-opt %s -split-input-file -lpq-skip-rounding-on-grid=min-elements=1 | FileCheck %s --check-prefix=SMALL
// RUN: lpq-opt %s -split-input-file -lpq-cpu-pipeline -mlir-print-ir-after=lpq-buffer-random-words -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: lpq-opt %s -split-input-file -lpq-cpu-pipeline=skip-on-grid=false -mlir-print-ir-after=lpq-buffer-random-words -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOSKIP

/// A marked stochastic rounding of at least min-elements (65536) elements
/// first rounds its input toward zero and compares the bits, per row and
/// then over the rows; the input is the result when every element matched,
/// else the rounding runs (without the mark).
// CHECK-LABEL: func.func @weights(
// CHECK-SAME: %[[W:.*]]: tensor<512x784xf32>, %[[SEED:.*]]: i64, %[[STEP:.*]]: i32)
// CHECK: %[[Q:.*]] = lpq.quantize %[[W]] : tensor<512x784xf32> to #lpq.block<8, axis = [0]> rounding toward_zero
// CHECK: %[[ROWS:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[Q]], %[[W]] : {{.*}}) outs({{.*}} : tensor<512xi1>)
// CHECK: arith.bitcast
// CHECK: arith.bitcast
// CHECK: arith.cmpi eq
// CHECK: arith.andi
// CHECK: %[[EVERY:.*]] = linalg.generic {{.*}}iterator_types = ["reduction"]{{.*}} ins(%[[ROWS]] : tensor<512xi1>) outs({{.*}} : tensor<i1>)
// CHECK: %[[ON:.*]] = tensor.extract %[[EVERY]][] : tensor<i1>
// CHECK: %[[R:.*]] = scf.if %[[ON]] -> (tensor<512x784xf32>) {
// CHECK-NEXT: scf.yield %[[W]] : tensor<512x784xf32>
// CHECK-NEXT: } else {
// CHECK-NEXT: %[[S:.*]] = lpq.stochastic_round %[[W]], %[[SEED]], %[[STEP]] : tensor<512x784xf32> to #lpq.block<8, axis = [0]> stream 3 {lpq.role = "W"}
// CHECK-NEXT: scf.yield %[[S]] : tensor<512x784xf32>
// CHECK: return %[[R]]
/// The CPU pipeline checks (the rounding in the branch, its Philox words
/// still buffered per row by lpq-buffer-random-words) unless
/// skip-on-grid=false.
// CPU-LABEL: func.func @weights(
// CPU: %[[SAME:.*]] = scf.if %{{.*}} -> (memref<512x784xf32>) {
// CPU-NEXT: scf.yield %arg0
// CPU-NEXT: } else {
// CPU: memref.alloca() : memref<784xi32>
// CPU: llvm.loop_annotation = #llvm.loop_annotation<interleave = <count = 4 : i32>>
// CPU: scf.yield
// NOSKIP-LABEL: func.func @weights(
// NOSKIP-NOT: scf.if
// NOSKIP: memref.alloca() : memref<784xi32>
// NOSKIP-NOT: scf.if
// NOSKIP: return
func.func @weights(%w: tensor<512x784xf32>, %seed: i64, %step: i32) -> tensor<512x784xf32> {
  %r = lpq.stochastic_round %w, %seed, %step : tensor<512x784xf32> to #lpq.block<8, axis = [0]> stream 3 {lpq.expect_on_grid, lpq.role = "W"}
  return %r : tensor<512x784xf32>
}

// -----

/// A vector is checked in one reduction; explicit scales are used by the
/// check too.
// CHECK-LABEL: func.func @vector(
// CHECK-SAME: %[[X:.*]]: tensor<65536xf32>, %{{.*}}: i64, %{{.*}}: i32, %[[E:.*]]: tensor<1xi32>)
// CHECK: %[[Q:.*]] = lpq.quantize %[[X]] scales %[[E]] : tensor<65536xf32>, tensor<1xi32> to #lpq.block<8> rounding toward_zero
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]{{.*}} ins(%[[Q]], %[[X]] : {{.*}}) outs({{.*}} : tensor<i1>)
// CHECK: scf.if
// CHECK: lpq.stochastic_round %[[X]], {{.*}} scales %[[E]]
func.func @vector(%x: tensor<65536xf32>, %seed: i64, %step: i32, %e: tensor<1xi32>) -> tensor<65536xf32> {
  %r = lpq.stochastic_round %x, %seed, %step scales %e : tensor<65536xf32>, tensor<1xi32> to #lpq.block<8> stream 0 {lpq.expect_on_grid}
  return %r : tensor<65536xf32>
}

// -----

/// Unmarked, smaller than min-elements, or dynamically shaped: unchanged
/// (min-elements=1 checks the small one).
// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT: scf.if
// CHECK: return
// SMALL-LABEL: func.func @left_alone(
// SMALL-COUNT-1: scf.if
// SMALL-NOT: scf.if
// SMALL: return
func.func @left_alone(%a: tensor<512x784xf32>, %b: tensor<10x512xf32>, %c: tensor<?x784xf32>, %seed: i64, %step: i32) -> (tensor<512x784xf32>, tensor<10x512xf32>, tensor<?x784xf32>) {
  %0 = lpq.stochastic_round %a, %seed, %step : tensor<512x784xf32> to #lpq.block<8, axis = [0]> stream 0
  %1 = lpq.stochastic_round %b, %seed, %step : tensor<10x512xf32> to #lpq.block<8, axis = [0]> stream 1 {lpq.expect_on_grid}
  %2 = lpq.stochastic_round %c, %seed, %step : tensor<?x784xf32> to #lpq.block<8, axis = [0]> stream 2 {lpq.expect_on_grid}
  return %0, %1, %2 : tensor<512x784xf32>, tensor<10x512xf32>, tensor<?x784xf32>
}
