// The SWALP update the row-fusion measurement of docs/performance.md times
// (bench/swalp_w1_update.mlir) runs, and gives the same bits with
// lpq-fuse-row-loops as without.
// RUN: lpq-run %S/../../bench/swalp_w1_update.mlir --arg=rand:512x784 --arg=rand:512x784 --arg=rand:512x784 --arg=0.01 --arg=7 --arg=3 | FileCheck %s
// RUN: lpq-run %S/../../bench/swalp_w1_update.mlir --arg=rand:512x784 --arg=rand:512x784 --arg=rand:512x784 --arg=0.01 --arg=7 --arg=3 --fuse-rows | FileCheck %s

// CHECK: result #0: <f4 [512x784] sum -1019.56 first: -0.6875 0.875 0 0.4375 1.9375 -0.78125
// CHECK: result #1: <f4 [512x784] sum 623.562 first: 0.3125 -0.75 -1.6875 -1.8125 -0.625 0.9375
