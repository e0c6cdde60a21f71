// RUN: lpq-opt %s -lpq-assign-streams | FileCheck %s
// RUN: lpq-opt %s -lpq-assign-streams=renumber | FileCheck %s --check-prefix=RENUMBER

/// The first op with an id keeps it; later duplicates get the smallest free
/// ids, in walk order, across functions of the module.
// CHECK-LABEL: func @a
// CHECK: stream 0
// CHECK: stream 1
// CHECK: stream 2
// CHECK-LABEL: func @b
// CHECK: stream 5
// CHECK: stream 3
// RENUMBER-LABEL: func @a
// RENUMBER: stream 0
// RENUMBER: stream 1
// RENUMBER: stream 2
// RENUMBER-LABEL: func @b
// RENUMBER: stream 3
// RENUMBER: stream 4
func.func @a(%x: tensor<4xf32>, %seed: i64, %step: i32) -> tensor<4xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<4xf32> to #lpq.fixed<8, 4> stream 0
  %1 = lpq.stochastic_round %0, %seed, %step : tensor<4xf32> to #lpq.fixed<8, 3> stream 0
  %2 = lpq.stochastic_round %1, %seed, %step : tensor<4xf32> to #lpq.fixed<8, 2> stream 2
  return %2 : tensor<4xf32>
}
func.func @b(%x: tensor<4xf32>, %seed: i64, %step: i32) -> tensor<4xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<4xf32> to #lpq.fixed<8, 4> stream 5
  %1 = lpq.stochastic_round %0, %seed, %step : tensor<4xf32> to #lpq.fixed<8, 3> stream 2
  return %1 : tensor<4xf32>
}

/// SQ selection ops share the stream space.
// CHECK-LABEL: func @sq
// CHECK: lpq.stochastic_round {{.*}} stream 7
// CHECK: lpq.sq_select {{.*}} stream 4
func.func @sq(%x: tensor<4x4xf32>, %seed: i64, %step: i32) -> tensor<4x4xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<4x4xf32> to #lpq.fixed<8, 4> stream 7
  %1 = lpq.sq_select %x, %0, %seed, %step : tensor<4x4xf32> ratio 0.5 stream 7
  return %1 : tensor<4x4xf32>
}
