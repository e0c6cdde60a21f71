// The host side of the GPU path, run without a GPU against the fake CUDA
// driver (test/FakeCuda: device memory is host memory, launches check their
// arguments and run nothing, so results are meaningless): lpq-gpu-pipeline
// to cubin for the device's sm_90, the JIT loading lpq's CUDA runtime,
// kernel modules loaded by global constructors, kernel names found in the
// cubins, launch dimensions, streams, copies of arguments and results.
// REQUIRES: fake-cuda
//
// Repeated calls leave the arguments on the device (one copy in, one out)
// and reuse freed temporaries: as many allocations for 3 calls as for 1,
// and 3 times the launches.
// RUN: (env LD_LIBRARY_PATH=%fake_cuda_dir lpq-run %s --entry=sr --arg=rand:64x1024 --arg=42 --arg=0 --device=cuda; \
// RUN:  env LD_LIBRARY_PATH=%fake_cuda_dir lpq-run %s --entry=sr --arg=rand:64x1024 --arg=42 --arg=0 --device=cuda --repeat=3) 2>&1 \
// RUN:   | FileCheck %s
// CHECK: fake-cuda: [[N:[0-9]+]] launches of [[N]] kernels from [[M:[0-9]+]] modules, [[A:[0-9]+]] allocations ({{[0-9]+}} live), 0 errors
// CHECK: median time over 3 runs
// CHECK: fake-cuda: {{[0-9]+}} launches of [[N]] kernels from [[M]] modules, [[A]] allocations ({{[0-9]+}} live), 0 errors
//
// LPQ_FAKE_CUDA_TRACE prints each launch: one, of a block of 256 threads
// for each of the 64 rows, which takes the row's maximum, then rounds its
// 256 Philox groups, one per thread.
// RUN: env LPQ_FAKE_CUDA_TRACE=1 LD_LIBRARY_PATH=%fake_cuda_dir lpq-run %s --entry=sr --arg=rand:64x1024 --arg=42 --arg=0 --device=cuda 2>&1 \
// RUN:   | FileCheck %s --check-prefix=TRACE
// TRACE: fake-cuda: launch sr_kernel{{.*}} grid 64,1,1 block 256,1,1
// TRACE-NEXT: result #0
// TRACE-NEXT: fake-cuda: 1 launches
//
// Empty tensors: loops of no iterations launch nothing (CUDA rejects an
// empty grid; only the single-thread kernels run: two of the function's,
// and the two of dynamic_result_dims, which sizes the result first), and
// every kernel over the 1000 elements of a 1-D block format does launch.
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir lpq-run %s --entry=dynamic --arg=rand:0 --device=cuda 2>&1 \
// RUN:   | FileCheck %s --check-prefix=EMPTY
// EMPTY: fake-cuda: 4 launches of 4 kernels from 6 modules, {{.*}}, 0 errors
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir lpq-run %s --entry=dynamic --arg=rand:1000 --device=cuda 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NONEMPTY
// NONEMPTY: fake-cuda: [[N:[1-9][0-9]*]] launches of [[N]] kernels from {{[1-9][0-9]*}} modules, {{.*}}, 0 errors
//
// A whole SWALP training step of the example MLP, twice (the loss's
// initialization and its scaling into the result run as one-thread
// kernels: the host must not touch device memory).
// RUN: lpq-opt %S/../../examples/mlp.mlir --lpq-train-step="recipe=swalp" -o %t.mlir
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir lpq-run %t.mlir --entry=train_step \
// RUN:   --arg=rand:512x784 --arg=rand:512 --arg=rand:10x512 --arg=rand:10 \
// RUN:   --arg=rand:512x784 --arg=rand:512 --arg=rand:10x512 --arg=rand:10 \
// RUN:   --arg=rand:128x1x28x28 --arg=randi:0:10:128 --arg=0.01 --arg=7 --arg=3 \
// RUN:   --device=cuda --repeat=2 2>&1 | FileCheck %s --check-prefix=STEP
// STEP: result #9: <f4 [10]
// STEP: fake-cuda: 34 launches of 17 kernels from {{[0-9]+}} modules, {{[0-9]+}} allocations ({{[0-9]+}} live), 0 errors

func.func @sr(%x: tensor<64x1024xf32>, %seed: i64, %step: i32) -> tensor<64x1024xf32> {
  %q = lpq.stochastic_round %x, %seed, %step : tensor<64x1024xf32> to #lpq.block<8, axis = [0]> stream 1
  return %q : tensor<64x1024xf32>
}

func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  %q = lpq.quantize %x : tensor<?xf32> to #lpq.block<8>
  return %q : tensor<?xf32>
}
