// RUN: lpq-opt %s -split-input-file -lpq-gpu-fuse-launches | FileCheck %s
// RUN: lpq-opt %s -split-input-file -lpq-gpu-fuse-launches=reverse-blocks \
// RUN:   | FileCheck %s --check-prefix=REVERSE

// Two independent nests (distinct arguments) with index arithmetic and an
// allocation between them: one nest over the blocks of both (1 + 1), block
// g running the nest whose range holds it with its own element indices.

// CHECK-LABEL: func.func @independent
// CHECK: memref.alloc
// CHECK: %[[N0:.*]] = arith.ceildivui %{{.*}}, %[[S0:c256[_0-9]*]]
// CHECK: %[[E0:.*]] = arith.addi %{{.*}}, %[[N0]]
// CHECK: %[[N1:.*]] = arith.ceildivui %{{.*}}, %[[S1:c1024[_0-9]*]]
// CHECK: %[[E1:.*]] = arith.addi %[[E0]], %[[N1]]
// CHECK: scf.parallel (%[[G:[a-z0-9_]+]]) = (%{{.*}}) to (%[[E1]])
// CHECK-NEXT: scf.parallel (%[[T:[a-z0-9_]+]]) = (%{{.*}}) to (%c256
// CHECK: scf.if
// CHECK: %[[L0:.*]] = arith.subi %[[G]], %{{.*}}
// CHECK: %[[F0:.*]] = arith.muli %[[L0]], %[[S0]]
// CHECK: arith.addi %[[F0]], %[[T]]
// CHECK: memref.store %{{.*}}, %arg1
// CHECK: scf.if
// CHECK: %[[L1:.*]] = arith.subi %[[G]], %[[E0]]
// CHECK: %[[F1:.*]] = arith.muli %[[L1]], %[[S1]]
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %arg3
// CHECK-NOT: scf.parallel
// CHECK: return
/// For tests, the blocks take their nests in reverse order.
// REVERSE-LABEL: func.func @independent
// REVERSE: scf.parallel (%[[G:[a-z0-9_]+]]) = (%{{.*}}) to (%[[E1:[a-z0-9_]+]])
// REVERSE-NEXT: scf.parallel
// REVERSE-NEXT: %[[LAST:.*]] = arith.subi %[[E1]], %c1
// REVERSE-NEXT: %[[R:.*]] = arith.subi %[[LAST]], %[[G]]
// REVERSE-NEXT: arith.cmpi uge, %[[R]]
func.func @independent(%a: memref<8xf32>, %x: memref<8xf32>, %b: memref<200xf32>, %y: memref<200xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c200 = arith.constant 200 : index
  %c256 = arith.constant 256 : index
  %c1024 = arith.constant 1024 : index
  scf.parallel (%blk) = (%c0) to (%c8) step (%c256) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %i = arith.addi %blk, %t : index
      %in = arith.cmpi slt, %i, %c8 : index
      scf.if %in {
        %v = memref.load %a[%i] : memref<8xf32>
        %w = arith.addf %v, %v : f32
        memref.store %w, %x[%i] : memref<8xf32>
      }
      scf.reduce
    }
    scf.reduce
  }
  %tmp = memref.alloc() : memref<4xf32>
  %n = arith.muli %c200, %c1 : index
  scf.parallel (%blk) = (%c0) to (%n) step (%c1024) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %i0 = arith.addi %blk, %t : index
      scf.for %e = %c0 to %c4 step %c1 {
        %o = arith.muli %e, %c256 : index
        %i = arith.addi %i0, %o : index
        %in = arith.cmpi slt, %i, %n : index
        scf.if %in {
          %v = memref.load %b[%i] : memref<200xf32>
          memref.store %v, %y[%i] : memref<200xf32>
        }
      }
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// Kept apart: the second nest reads what the first writes (directly, or
// through a view of the same buffer); a third nest, independent of both,
// joins the first (the earliest launch it can run in).

// CHECK-LABEL: func.func @dependent
// CHECK: %[[VIEW:.*]] = memref.subview
// CHECK: scf.parallel
// CHECK-NEXT: scf.parallel
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %arg1
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %arg3
// CHECK: scf.parallel
// CHECK-NEXT: scf.parallel
// CHECK-NOT: scf.if
// CHECK: memref.load %[[VIEW]][
// CHECK: memref.store %{{.*}}, %arg2
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @dependent(%a: memref<8xf32>, %x: memref<8xf32>, %y: memref<8xf32>, %z: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c256 = arith.constant 256 : index
  scf.parallel (%blk) = (%c0) to (%c8) step (%c256) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %i = arith.addi %blk, %t : index
      %v = memref.load %a[%i] : memref<8xf32>
      memref.store %v, %x[%i] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  %view = memref.subview %x[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  scf.parallel (%blk) = (%c0) to (%c8) step (%c256) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %i = arith.addi %blk, %t : index
      %v = memref.load %view[%i] : memref<4xf32, strided<[1]>>
      memref.store %v, %y[%i] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%blk) = (%c0) to (%c8) step (%c256) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %i = arith.addi %blk, %t : index
      %v = memref.load %a[%i] : memref<8xf32>
      memref.store %v, %z[%i] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// Scheduling by level: each nest runs in the earliest launch after the
// nests it conflicts with (A, C: level 0; B reads A's x: 1; S, E and S2 read
// B's y: 2), one launch per level and block size. D (128 threads,
// independent) would be alone at level 0: it moves to level 2, where E has
// its block size. A one-level parallel loop (S, S2: one-thread blocks)
// runs on the first thread of its blocks in the launch of its level. Three
// launches instead of seven, in level order.

// CHECK-LABEL: func.func @scheduled
// CHECK: scf.parallel
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c256
// CHECK: memref.store %{{.*}}, %arg1
// CHECK: memref.store %{{.*}}, %arg3
// CHECK: scf.parallel
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c256
// CHECK-NOT: scf.if
// CHECK: memref.store %{{.*}}, %arg2
// CHECK: scf.parallel
// CHECK-NEXT: scf.parallel (%[[T:.*]]) = (%[[Z:.*]]) to (%c128
// CHECK: memref.store %{{.*}}, %arg4
// CHECK: %[[F1:.*]] = arith.cmpi eq, %[[T]], %[[Z]]
// CHECK-NEXT: scf.if %[[F1]]
// CHECK-NEXT: memref.load %arg2
// CHECK-NEXT: memref.store %{{.*}}, %arg6
// CHECK: memref.store %{{.*}}, %arg5
// CHECK: %[[F2:.*]] = arith.cmpi eq, %[[T]], %[[Z]]
// CHECK-NEXT: scf.if %[[F2]]
// CHECK-NEXT: memref.load %arg2
// CHECK-NEXT: memref.store %{{.*}}, %arg7
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @scheduled(%a: memref<8xf32>, %x: memref<8xf32>, %y: memref<8xf32>,
                     %z: memref<8xf32>, %w: memref<8xf32>, %v: memref<8xf32>,
                     %s: memref<f32>, %s2: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  // A
  scf.parallel (%blk) = (%c0) to (%c8) step (%c256) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %v0 = memref.load %a[%t] : memref<8xf32>
      memref.store %v0, %x[%t] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  // D
  scf.parallel (%blk) = (%c0) to (%c8) step (%c128) {
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %v0 = memref.load %a[%t] : memref<8xf32>
      memref.store %v0, %w[%t] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  // B
  scf.parallel (%blk) = (%c0) to (%c8) step (%c256) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %v0 = memref.load %x[%t] : memref<8xf32>
      memref.store %v0, %y[%t] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  // S
  scf.parallel (%blk) = (%c0) to (%c1) step (%c1) {
    %v0 = memref.load %y[%c0] : memref<8xf32>
    memref.store %v0, %s[] : memref<f32>
    scf.reduce
  }
  // C
  scf.parallel (%blk) = (%c0) to (%c8) step (%c256) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %v0 = memref.load %a[%t] : memref<8xf32>
      memref.store %v0, %z[%t] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  // E
  scf.parallel (%blk) = (%c0) to (%c8) step (%c128) {
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %v0 = memref.load %y[%t] : memref<8xf32>
      memref.store %v0, %v[%t] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  // S2
  scf.parallel (%blk) = (%c0) to (%c1) step (%c1) {
    %v0 = memref.load %y[%c1] : memref<8xf32>
    memref.store %v0, %s2[] : memref<f32>
    scf.reduce
  }
  return
}

// -----

// Kept apart: different block sizes; a store on the host between two
// nests.

// CHECK-LABEL: func.func @apart
// CHECK-COUNT-6: scf.parallel
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @apart(%a: memref<8xf32>, %x: memref<8xf32>, %y: memref<8xf32>, %z: memref<8xf32>,
                 %s: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%blk) = (%c0) to (%c8) step (%c256) {
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %v = memref.load %a[%t] : memref<8xf32>
      memref.store %v, %x[%t] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%blk) = (%c0) to (%c8) step (%c128) {
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %v = memref.load %a[%t] : memref<8xf32>
      memref.store %v, %y[%t] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  memref.store %f, %s[] : memref<f32>
  scf.parallel (%blk) = (%c0) to (%c8) step (%c128) {
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %v = memref.load %a[%t] : memref<8xf32>
      memref.store %v, %z[%t] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// Block-wide reductions and barriers (lpq-gpu-prepare-loops' row kernels,
// one block per row, their constants in the block loop) fuse with
// independent nests of the same block size: every thread of a block takes
// the same branch, so all of them reach the reduction and the barrier. A
// nest that reads what a row kernel writes starts a new launch.

// CHECK-LABEL: func.func @row_kernels
// CHECK: scf.parallel (%[[G:.*]]) = (%{{.*}}) to (%{{.*}}) step
// CHECK: scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%c128{{.*}}) step
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %arg1
// CHECK: scf.if
// CHECK: gpu.all_reduce maxnumf
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}}, %arg2
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: memref.load %arg2
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @row_kernels(%a: memref<4x128xf32>, %x: memref<8xf32>, %m: memref<4xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c128 = arith.constant 128 : index
  scf.parallel (%blk) = (%c0) to (%c8) step (%c128) {
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %v = memref.load %a[%c0, %t] : memref<4x128xf32>
      memref.store %v, %x[%t] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%row) = (%c0) to (%c4) step (%c1) {
    %threads = arith.constant 128 : index
    scf.parallel (%t) = (%c0) to (%threads) step (%c1) {
      %v = memref.load %a[%row, %t] : memref<4x128xf32>
      %r = gpu.all_reduce maxnumf %v uniform {} : (f32) -> f32
      gpu.barrier
      memref.store %r, %m[%row] : memref<4xf32>
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%blk) = (%c0) to (%c8) step (%c128) {
    scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
      %v = memref.load %m[%t] : memref<4xf32>
      memref.store %v, %y[%t] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// Two independent one-level loops and nothing else: one launch of
// one-thread blocks (no test of the thread index).

// CHECK-LABEL: func.func @one_thread_kernels
// CHECK: scf.parallel
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c1
// CHECK-NOT: arith.cmpi eq
// CHECK: memref.store %{{.*}}, %arg1
// CHECK: memref.store %{{.*}}, %arg2
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @one_thread_kernels(%a: memref<8xf32>, %s: memref<f32>, %s2: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%blk) = (%c0) to (%c1) step (%c1) {
    %v0 = memref.load %a[%c0] : memref<8xf32>
    memref.store %v0, %s[] : memref<f32>
    scf.reduce
  }
  scf.parallel (%blk) = (%c0) to (%c1) step (%c1) {
    %v0 = memref.load %a[%c1] : memref<8xf32>
    memref.store %v0, %s2[] : memref<f32>
    scf.reduce
  }
  return
}
