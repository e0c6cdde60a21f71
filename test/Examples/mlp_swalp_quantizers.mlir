// RUN: lpq-opt %S/../../examples/mlp_swalp_quantizers.mlir -lpq-assign-streams -canonicalize | FileCheck %s

/// The README's demo model parses, verifies, and leaves the pass with one
/// stream per quantizer.
// CHECK-LABEL: func @mlp_forward
// CHECK: lpq.stochastic_round %{{.*}} : tensor<784x512xf32> to #lpq.block<8, axis = [1]> stream 0
// CHECK: linalg.matmul
// CHECK: lpq.stochastic_round %{{.*}} : tensor<128x512xf32> to #lpq.block<8> stream 1
// CHECK: lpq.stochastic_round %{{.*}} : tensor<512x10xf32> to #lpq.block<8, axis = [1]> stream 2
// CHECK: linalg.matmul
