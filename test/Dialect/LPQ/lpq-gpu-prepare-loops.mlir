// RUN: lpq-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(lpq-gpu-prepare-loops{block-size=64}))" | FileCheck %s
// RUN: lpq-opt %S/Inputs/declaration.mlir -lpq-gpu-pipeline="format=isa" | FileCheck %s --check-prefix=PIPELINE

/// A parallel nest becomes one linear dimension (8 x 1000 = 8000)
/// distributed over blocks of 64 threads running 4 iterations each: thread
/// T of the block at B runs B + T + 64 j, j < 4, behind an in-bounds check;
/// the indices are recovered innermost fastest.
// CHECK-LABEL: func @tile
// CHECK: %[[N0:.*]] = arith.muli %{{.*}}, %c8
// CHECK: %[[N1:.*]] = arith.muli %[[N0]], %[[C1000:.*]] : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[N:.*]] = arith.maxsi
// CHECK: scf.parallel (%[[B:.*]]) = (%{{.*}}) to (%[[N]]) step (%[[C256]])
// CHECK: scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%[[C64]])
// CHECK: %[[F:.*]] = arith.addi %[[B]], %[[T]]
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %[[C4]]
// CHECK: %[[O:.*]] = arith.muli %[[J]], %[[C64]]
// CHECK: %[[I:.*]] = arith.addi %[[F]], %[[O]]
// CHECK: %[[IN:.*]] = arith.cmpi slt, %[[I]], %[[N]]
// CHECK: scf.if %[[IN]]
// CHECK: %[[L:.*]] = arith.addi
// CHECK: %[[COL:.*]] = arith.remsi %[[L]], %[[C1000]]
// CHECK: %[[ROW:.*]] = arith.divsi %[[L]], %[[C1000]]
// CHECK: memref.store %{{.*}}, %arg0[%[[ROW]], %[[COL]]]
func.func @tile(%m: memref<8x1000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c1000 = arith.constant 1000 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c1000) step (%c1, %c1) {
    memref.store %z, %m[%i, %j] : memref<8x1000xf32>
  }
  return
}

// -----

/// A serial loop nest that touches memory runs as a one-iteration parallel
/// loop (a one-thread kernel) instead of on the host.
// CHECK-LABEL: func @serial
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}})
// CHECK-NEXT: scf.for
func.func @serial(%m: memref<8xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %m[%i] : memref<8xf32>
    %a = memref.load %out[] : memref<f32>
    %s = arith.addf %v, %a : f32
    memref.store %s, %out[] : memref<f32>
  }
  return
}

// -----

/// A sequential loop returning a value moves onto the device with the ops
/// that use the value, up to the store: one single-thread kernel. The
/// independent constant and allocation stay outside.
// CHECK-LABEL: func @roulette
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<1xf32>
// CHECK: %[[TWO:.*]] = arith.constant 2.000000e+00
// CHECK: scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c1{{.*}}) step (%c1{{.*}}) {
// CHECK:   %[[S:.*]] = scf.for
// CHECK:   %[[H:.*]] = arith.mulf %[[S]], %[[TWO]]
// CHECK:   memref.store %[[H]], %[[OUT]]
// CHECK:   scf.reduce
// CHECK: return %[[OUT]]
func.func @roulette(%m: memref<8xf32>) -> memref<1xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %s = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> f32 {
    %v = memref.load %m[%i] : memref<8xf32>
    %a = arith.addf %acc, %v : f32
    scf.yield %a : f32
  }
  %out = memref.alloc() : memref<1xf32>
  %two = arith.constant 2.0 : f32
  %h = arith.mulf %s, %two : f32
  memref.store %h, %out[%c0] : memref<1xf32>
  return %out : memref<1xf32>
}

// -----

/// A reduction into memory by an idempotent op (block maxima) becomes a
/// block-wide reduction: one block per row, thread t folds elements t,
/// t + 64, ... into a partial that starts from the accumulator, the block
/// combines the partials with gpu.all_reduce and thread 0 stores.
// CHECK-LABEL: func @row_maxima
// CHECK: %[[ACC:.*]] = memref.alloc() : memref<8xf32>
// CHECK: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%c8) step (%c1)
// CHECK: scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%c64{{.*}}) step
// CHECK: %[[INIT:.*]] = memref.load %[[ACC]][%[[I]]]
// CHECK: %[[P:.*]] = scf.for %[[K:.*]] = %[[T]] to %{{.*}} step %c64{{.*}} iter_args(%[[A:.*]] = %[[INIT]]) -> (f32)
// CHECK: memref.load %arg0[%[[I]], %{{.*}}]
// CHECK: %[[M:.*]] = arith.maxnumf %{{.*}}, %[[A]]
// CHECK: scf.yield %[[M]]
// CHECK: %[[R:.*]] = gpu.all_reduce maxnumf %[[P]] uniform
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[T]], %{{.*}}
// CHECK: scf.if %[[FIRST]]
// CHECK-NEXT: memref.store %[[R]], %[[ACC]][%[[I]]]
func.func @row_maxima(%x: memref<8x1000xf32>) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c1000 = arith.constant 1000 : index
  %acc = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %j = %c0 to %c1000 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x1000xf32>
      %a = memref.load %acc[%i] : memref<8xf32>
      %m = math.absf %v : f32
      %r = arith.maxnumf %m, %a : f32
      memref.store %r, %acc[%i] : memref<8xf32>
    }
  }
  return %acc : memref<8xf32>
}

// -----

/// A serial reduction nest over a whole tensor runs on one block of
/// threads; the nest's induction variables come from the linear position.
// CHECK-LABEL: func @whole_maximum
// CHECK: scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c1{{.*}}) step (%c1{{.*}})
// CHECK: scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%c64{{.*}}) step
// CHECK: scf.for %[[K:.*]] = %[[T]] to %{{.*}} step %c64{{.*}} iter_args
// CHECK-DAG: %[[J:.*]] = arith.remsi %[[K]], %{{.*}}
// CHECK-DAG: %[[I:.*]] = arith.divsi %[[K]], %{{.*}}
// CHECK: memref.load %arg0[%{{.*}}, %{{.*}}]
// CHECK: arith.maxsi
// CHECK: gpu.all_reduce maxsi
func.func @whole_maximum(%x: memref<16x100xi32>) -> memref<i32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c100 = arith.constant 100 : index
  %acc = memref.alloc() : memref<i32>
  scf.for %i = %c0 to %c16 step %c1 {
    scf.for %j = %c0 to %c100 step %c1 {
      %v = memref.load %x[%i, %j] : memref<16x100xi32>
      %a = memref.load %acc[] : memref<i32>
      %r = arith.maxsi %a, %v : i32
      memref.store %r, %acc[] : memref<i32>
    }
  }
  return %acc : memref<i32>
}

// -----

/// Short reductions (a pooling window) and reductions whose order matters
/// (float sums) stay one thread per output.
// CHECK-LABEL: func @window_and_sum
// CHECK-NOT: gpu.all_reduce
// CHECK: return
func.func @window_and_sum(%x: memref<8x4xf32>, %y: memref<8x1000xf32>) -> (memref<8xf32>, memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c1000 = arith.constant 1000 : index
  %max = memref.alloc() : memref<8xf32>
  %sum = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %j = %c0 to %c4 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x4xf32>
      %a = memref.load %max[%i] : memref<8xf32>
      %r = arith.maximumf %a, %v : f32
      memref.store %r, %max[%i] : memref<8xf32>
    }
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %j = %c0 to %c1000 step %c1 {
      %v = memref.load %y[%i, %j] : memref<8x1000xf32>
      %a = memref.load %sum[%i] : memref<8xf32>
      %r = arith.addf %a, %v : f32
      memref.store %r, %sum[%i] : memref<8xf32>
    }
  }
  return %max, %sum : memref<8xf32>, memref<8xf32>
}

// -----

/// A loop that fits one block gets one iteration per thread.
// CHECK-LABEL: func @one_block
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK-NOT: scf.for
// CHECK: scf.if
func.func @one_block(%m: memref<50xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c50 = arith.constant 50 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c50) step (%c1) {
    memref.store %z, %m[%i] : memref<50xf32>
  }
  return
}

// -----

/// Stochastic rounding's last dimension of four Philox words (random bits:
/// a multiplication by a Philox round multiplier) becomes a sequential loop
/// inside the thread, so that one thread evaluates Philox once per group;
/// the groups (6 x 200) are distributed over the threads.
// CHECK-LABEL: func @philox_groups
// CHECK: scf.parallel (%[[B:.*]]) =
// CHECK: scf.parallel (%[[T:.*]]) =
// CHECK: scf.for
// CHECK: scf.if
// CHECK: %[[G:.*]] = arith.addi
// CHECK: %[[GC:.*]] = arith.remsi %[[G]], %{{.*}}
// CHECK: %[[GR:.*]] = arith.divsi %[[G]], %{{.*}}
// CHECK: scf.for %[[W:.*]] = %{{.*}} to %{{.*}} step
// CHECK: arith.muli %{{.*}}, %c3528531795_i64
// CHECK: memref.store %{{.*}}, %arg1[%[[GR]], %[[GC]], %[[W]]]
func.func @philox_groups(%in: memref<6x200x4xi64>, %out: memref<6x200x4xi64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %c200 = arith.constant 200 : index
  %m = arith.constant 3528531795 : i64
  scf.parallel (%i, %j, %w) = (%c0, %c0, %c0) to (%c6, %c200, %c4) step (%c1, %c1, %c1) {
    %v = memref.load %in[%i, %j, %w] : memref<6x200x4xi64>
    %p = arith.muli %v, %m : i64
    memref.store %p, %out[%i, %j, %w] : memref<6x200x4xi64>
  }
  return
}

// -----

/// Stores outside any loop (a bufferized tensor.from_elements: the extents
/// lpq-result-dims returns) would write device memory from the host: each
/// run of consecutive ones becomes a one-iteration parallel loop (a
/// one-thread kernel); the extents stay host values, passed in.
// CHECK-LABEL: func @host_stores
// CHECK: %[[N:.*]] = memref.dim %arg0
// CHECK: %[[I:.*]] = arith.index_cast %[[N]]
// CHECK: scf.parallel
// CHECK-NEXT: memref.store %[[I]], %arg1[%c0]
// CHECK-NEXT: memref.store %[[I]], %arg1[%c1]
// CHECK-NEXT: scf.reduce
// CHECK: return
func.func @host_stores(%x: memref<?x4xf32>, %out: memref<2xi64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %i = arith.index_cast %n : index to i64
  memref.store %i, %out[%c0] : memref<2xi64>
  memref.store %i, %out[%c1] : memref<2xi64>
  return
}

// -----

/// A value the host would read from device memory (a grid scale from a
/// reduction's result, a loss scaled before it is stored) moves into the
/// kernels using it: the load and the ops on it are cloned at the start of
/// each, and none is left on the host.
// CHECK-LABEL: func @host_loads
// CHECK-NOT: memref.load
// CHECK: scf.parallel
// CHECK: %[[S:.*]] = memref.load %arg0[]
// CHECK-NEXT: %[[H:.*]] = arith.mulf %[[S]], %cst
// CHECK: arith.mulf %{{.*}}, %[[H]]
// CHECK: scf.parallel
// CHECK-NEXT: %[[S2:.*]] = memref.load %arg0[]
// CHECK-NEXT: %[[H2:.*]] = arith.mulf %[[S2]], %cst
// CHECK-NEXT: memref.store %[[H2]], %arg2[]
func.func @host_loads(%scale: memref<f32>, %x: memref<1000xf32>, %loss: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1000 = arith.constant 1000 : index
  %half = arith.constant 0.5 : f32
  %s = memref.load %scale[] : memref<f32>
  %h = arith.mulf %s, %half : f32
  scf.parallel (%i) = (%c0) to (%c1000) step (%c1) {
    %v = memref.load %x[%i] : memref<1000xf32>
    %w = arith.mulf %v, %h : f32
    memref.store %w, %x[%i] : memref<1000xf32>
  }
  memref.store %h, %loss[] : memref<f32>
  return
}

// -----

/// A declaration has no body to prepare (it crashed the pass before
/// 2026-12-04); the whole GPU pipeline takes it too.
// CHECK-LABEL: func.func private @external(memref<?xf32>)
// PIPELINE: llvm.func @external
func.func private @external(memref<?xf32>)
