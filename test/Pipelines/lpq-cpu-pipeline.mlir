// RUN: lpq-opt %s -lpq-cpu-pipeline | FileCheck %s
// RUN: lpq-opt %s -lpq-cpu-pipeline=threads=false | FileCheck %s --check-prefix=SEQ
// RUN: lpq-opt %s -lpq-cpu-pipeline=vector-width=128 | FileCheck %s --check-prefix=WIDTH

/// The pipeline ends in the LLVM dialect; results become caller-allocated
/// out-parameters (the memref descriptor of %x, then the scalars, then the
/// result's); with threads the outermost parallel loop runs under OpenMP,
/// without them there is no OpenMP at all.
// CHECK-NOT: lpq.
// CHECK-NOT: linalg.
// CHECK-LABEL: llvm.func @kernel
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i32, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK: llvm.intr.roundeven
// WIDTH: llvm.func @kernel{{.*}}passthrough = {{\[\[}}"prefer-vector-width", "128"]]
// SEQ-LABEL: llvm.func @kernel
// SEQ-NOT: omp.
// SEQ: llvm.intr.floor
func.func @kernel(%x: tensor<64x100xf32>, %seed: i64, %step: i32) -> tensor<64x100xf32> {
  %0 = lpq.quantize %x : tensor<64x100xf32> to #lpq.block<8, axis = [0]>
  %1 = lpq.stochastic_round %0, %seed, %step : tensor<64x100xf32> to #lpq.float<4, 3, fn> stream 1
  return %1 : tensor<64x100xf32>
}
