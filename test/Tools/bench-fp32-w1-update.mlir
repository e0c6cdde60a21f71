// The float32 update the shared-producer fusion measurement of
// docs/performance.md times (bench/fp32_w1_update.mlir) runs, and gives the
// same values with the momentum fused into the weight update's loop as
// with plain loops (--no-fusion).
// RUN: lpq-run %S/../../bench/fp32_w1_update.mlir --arg=rand:512x784 --arg=rand:512x784 --arg=rand:512x784 --arg=0.01 | FileCheck %s
// RUN: lpq-run %S/../../bench/fp32_w1_update.mlir --arg=rand:512x784 --arg=rand:512x784 --arg=rand:512x784 --arg=0.01 --no-fusion | FileCheck %s

// CHECK: result #0: <f4 [512x784] sum -1033.43 first: -0.705341 0.864288 0.0142599 0.41897 1.91704 -0.777046
// CHECK: result #1: <f4 [512x784] sum 644.804 first: 0.338432 -0.79291 -1.6974 -1.7902 -0.626039 0.95775
