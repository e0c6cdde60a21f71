// lpq-bench-step checks its options before building any step.
// RUN: not lpq-bench-step --models=foo 2>&1 | FileCheck %s --check-prefix=MODEL
// RUN: not lpq-bench-step --models=mlp, 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not lpq-bench-step --repeat=0 2>&1 | FileCheck %s --check-prefix=REPEAT
// RUN: not lpq-bench-step --device=tpu 2>&1 | FileCheck %s --check-prefix=DEVICE

// MODEL: no model 'foo': --models takes names of examples/NAME.mlir (mlp, cnn), separated by commas
// EMPTY: no model '': --models takes names
// REPEAT: --repeat must be at least 1
// DEVICE: --device must be cpu or cuda
