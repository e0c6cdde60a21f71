// The kernels lpq-bench-quantize --device=cuda times (dynamic row counts,
// every format, nearest and stochastic) go through lpq-gpu-pipeline to
// cubin for sm_90, the H200s the device tool lends.
// RUN: lpq-bench-quantize --print-module | lpq-opt -lpq-gpu-pipeline="chip=sm_90 format=bin" | FileCheck %s
// (Each has a companion NAME_result_dims sizing its dynamic result.)
// CHECK-COUNT-14: llvm.func @{{near|sr}}{{[0-9]+}}(
// CHECK-NOT: llvm.func @{{near|sr}}{{[0-9]+}}(
