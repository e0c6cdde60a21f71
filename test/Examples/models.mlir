// RUN: lpq-run %S/../../examples/logreg.mlir --arg=rand:128x1x28x28 --arg=rand:10x784 --arg=rand:10 | FileCheck %s --check-prefix=LOGREG
// RUN: lpq-run %S/../../examples/mlp.mlir --arg=rand:128x1x28x28 --arg=rand:512x784 --arg=rand:512 --arg=rand:10x512 --arg=rand:10 | FileCheck %s --check-prefix=MLP
// RUN: lpq-run %S/../../examples/cnn.mlir --arg=rand:64x1x28x28 --arg=rand:8x1x5x5 --arg=rand:8 --arg=rand:16x8x5x5 --arg=rand:16 --arg=rand:10x256 --arg=rand:10 | FileCheck %s --check-prefix=CNN
// RUN: lpq-opt %S/../../examples/cnn.mlir | FileCheck %s --check-prefix=PARAMS

/// The example models compile with lpq-cpu-pipeline and run: logits of the
/// batch, all finite (the sum prints as a number).
// LOGREG: result #0: <f4 [128x10] sum {{-?[0-9]}}
// MLP: result #0: <f4 [128x10] sum {{-?[0-9]}}
// CNN: result #0: <f4 [64x10] sum {{-?[0-9]}}
// PARAMS: func.func @forward(%{{.*}}: tensor<64x1x28x28xf32>, %{{.*}}: tensor<8x1x5x5xf32> {lpq.param}
