// RUN: lpq-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(lpq-gpu-reduction-epilogues))" | FileCheck %s
// RUN: lpq-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(lpq-gpu-reduction-epilogues,lpq-gpu-prepare-loops{block-size=64}))" | FileCheck %s --check-prefix=BLOCK

/// Row maxima, then the rows' exponents: the exponent of row %i is computed
/// in the reduction's iteration %i, after its loop (the consumer's unit
/// dimension is the store's constant 0), and the allocation between moves
/// above. In lpq-gpu-prepare-loops' block-wide form, thread 0 computes it
/// after storing the block's maximum.
// CHECK-LABEL: func @row_exponents
// CHECK: %[[ACC:.*]] = memref.alloc() : memref<8x1xf32>
// CHECK: %[[EXP:.*]] = memref.alloc() : memref<8x1xi32>
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c8) step (%c1) {
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[ACC]][%[[I]], %c0]
// CHECK: }
// CHECK-NEXT: %[[M:.*]] = memref.load %[[ACC]][%[[I]], %c0]
// CHECK-NEXT: %[[B:.*]] = arith.bitcast %[[M]]
// CHECK-NEXT: memref.store %[[B]], %[[EXP]][%[[I]], %c0]
// CHECK-NEXT: scf.reduce
// CHECK-NOT: scf.parallel
// CHECK: return
// BLOCK-LABEL: func @row_exponents
// BLOCK: %[[R:.*]] = gpu.all_reduce maxnumf
// BLOCK: scf.if
// BLOCK-NEXT: memref.store %[[R]], %[[ACC:.*]][%[[I:.*]], %c0]
// BLOCK-NEXT: %[[M:.*]] = memref.load %[[ACC]][%[[I]], %c0]
// BLOCK-NEXT: %[[B:.*]] = arith.bitcast %[[M]]
// BLOCK-NEXT: memref.store %[[B]], %{{.*}}[%[[I]], %c0]
// BLOCK-NEXT: }
func.func @row_exponents(%x: memref<8x1000xf32>) -> memref<8x1xi32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c1000 = arith.constant 1000 : index
  %acc = memref.alloc() : memref<8x1xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %j = %c0 to %c1000 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x1000xf32>
      %a = memref.load %acc[%i, %c0] : memref<8x1xf32>
      %m = math.absf %v : f32
      %r = arith.maxnumf %m, %a : f32
      memref.store %r, %acc[%i, %c0] : memref<8x1xf32>
    }
    scf.reduce
  }
  %exp = memref.alloc() : memref<8x1xi32>
  scf.parallel (%i, %z) = (%c0, %c0) to (%c8, %c1) step (%c1, %c1) {
    %m = memref.load %acc[%i, %z] : memref<8x1xf32>
    %b = arith.bitcast %m : f32 to i32
    memref.store %b, %exp[%i, %z] : memref<8x1xi32>
    scf.reduce
  }
  return %exp : memref<8x1xi32>
}

// -----

/// A whole-tensor maximum (a serial nest into one element) gets a parallel
/// loop of one iteration around it, and the consumer's body after the nest.
// CHECK-LABEL: func @whole_exponent
// CHECK: scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%c1{{.*}}) step (%c1{{.*}}) {
// CHECK-NEXT: scf.for
// CHECK: memref.store %{{.*}}, %[[ACC:.*]][%c0, %c0]
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: %[[M:.*]] = memref.load %[[ACC]][%c0, %c0]
// CHECK-NEXT: %[[S:.*]] = arith.shrsi %[[M]]
// CHECK-NEXT: memref.store %[[S]], %{{.*}}[%c0, %c0]
// CHECK-NEXT: scf.reduce
// CHECK-NOT: scf.parallel
// CHECK: return
// BLOCK-LABEL: func @whole_exponent
// BLOCK: gpu.all_reduce maxsi
// BLOCK: scf.if
// BLOCK-NEXT: memref.store
// BLOCK-NEXT: memref.load
// BLOCK-NEXT: arith.shrsi
// BLOCK-NEXT: memref.store
func.func @whole_exponent(%x: memref<16x100xi32>) -> memref<1x1xi32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c100 = arith.constant 100 : index
  %c2 = arith.constant 2 : i32
  %acc = memref.alloc() : memref<1x1xi32>
  scf.for %i = %c0 to %c16 step %c1 {
    scf.for %j = %c0 to %c100 step %c1 {
      %v = memref.load %x[%i, %j] : memref<16x100xi32>
      %a = memref.load %acc[%c0, %c0] : memref<1x1xi32>
      %r = arith.maxsi %a, %v : i32
      memref.store %r, %acc[%c0, %c0] : memref<1x1xi32>
    }
  }
  %exp = memref.alloc() : memref<1x1xi32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c1, %c1) step (%c1, %c1) {
    %m = memref.load %acc[%i, %j] : memref<1x1xi32>
    %s = arith.shrsi %m, %c2 : i32
    memref.store %s, %exp[%i, %j] : memref<1x1xi32>
    scf.reduce
  }
  return %exp : memref<1x1xi32>
}

// -----

/// Consumers that stay apart: one reading another row's maximum, one
/// writing what the reduction reads, one over other extents, and one after
/// a store on the host.
// CHECK-LABEL: func @kept_apart
// CHECK-COUNT-8: scf.parallel
// CHECK-NOT: scf.parallel
func.func @kept_apart(%x: memref<8x1000xf32>, %out: memref<8xf32>, %y: memref<8x1000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %c1000 = arith.constant 1000 : index
  %zero = arith.constant 0.0 : f32
  %acc = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %j = %c0 to %c1000 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x1000xf32>
      %a = memref.load %acc[%i] : memref<8xf32>
      %r = arith.maxnumf %v, %a : f32
      memref.store %r, %acc[%i] : memref<8xf32>
    }
    scf.reduce
  }
  // Row 7 - i's maximum.
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %k = arith.subi %c7, %i : index
    %m = memref.load %acc[%k] : memref<8xf32>
    memref.store %m, %out[%i] : memref<8xf32>
    scf.reduce
  }
  %acc2 = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %j = %c0 to %c1000 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x1000xf32>
      %a = memref.load %acc2[%i] : memref<8xf32>
      %r = arith.maxnumf %v, %a : f32
      memref.store %r, %acc2[%i] : memref<8xf32>
    }
    scf.reduce
  }
  // Writes %x, which the reduction reads.
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %m = memref.load %acc2[%i] : memref<8xf32>
    memref.store %m, %x[%i, %c0] : memref<8x1000xf32>
    scf.reduce
  }
  %acc3 = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %j = %c0 to %c1000 step %c1 {
      %v = memref.load %y[%i, %j] : memref<8x1000xf32>
      %a = memref.load %acc3[%i] : memref<8xf32>
      %r = arith.maxnumf %v, %a : f32
      memref.store %r, %acc3[%i] : memref<8xf32>
    }
    scf.reduce
  }
  // Half of the rows.
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %m = memref.load %acc3[%i] : memref<8xf32>
    memref.store %m, %out[%i] : memref<8xf32>
    scf.reduce
  }
  %acc4 = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %j = %c0 to %c1000 step %c1 {
      %v = memref.load %y[%i, %j] : memref<8x1000xf32>
      %a = memref.load %acc4[%i] : memref<8xf32>
      %r = arith.maxnumf %v, %a : f32
      memref.store %r, %acc4[%i] : memref<8xf32>
    }
    scf.reduce
  }
  memref.store %zero, %out[%c0] : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %m = memref.load %acc4[%i] : memref<8xf32>
    memref.store %m, %out[%i] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

/// A block quantizer as convert-linalg-to-parallel-loops leaves it: the
/// maxima's zero fill, the maxima, the exponents, the rounding over Philox
/// groups (rows x groups x words). All of it becomes one loop over the rows:
/// the fill is stored by each row's iteration into its own element, the
/// exponent follows the row's maximum, and the rounding of the row is a
/// parallel loop over its groups and words inside the iteration. In
/// lpq-gpu-prepare-loops' block-wide form the partials start from the fill
/// value (the store goes: thread 0 stores the result), thread 0 stores the
/// maximum and the exponent, a barrier follows, and the block's threads
/// round the row's groups, thread t the groups t, t + 64, ..., each its
/// group's four words in order.
// CHECK-LABEL: func @row_quantizer
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c8) step (%c1) {
// CHECK-NEXT: memref.store %[[ZERO:.*]], %[[ACC:.*]][%[[I]], %c0]
// CHECK-NEXT: scf.for
// CHECK: memref.store %{{.*}}, %[[ACC]][%[[I]], %c0]
// CHECK: }
// CHECK-NEXT: %[[M:.*]] = memref.load %[[ACC]][%[[I]], %c0]
// CHECK-NEXT: %[[E:.*]] = arith.bitcast %[[M]]
// CHECK-NEXT: memref.store %[[E]], %[[EXP:.*]][%[[I]], %c0]
// CHECK-NEXT: scf.parallel (%[[G:.*]], %[[W:.*]]) = (%c0, %c0) to (%c250, %c4) step (%c1, %c1) {
// CHECK: memref.load %[[EXP]][%[[I]], %c0]
// CHECK: arith.muli %{{.*}}, %c3528531795_i64
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[I]], %[[G]], %[[W]]]
// CHECK-NOT: scf.parallel
// CHECK: return
// BLOCK-LABEL: func @row_quantizer
// BLOCK: scf.parallel (%[[I:.*]]) = (%c0) to (%c8) step (%c1) {
// BLOCK: scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%c64{{.*}}) step
// BLOCK-NOT: memref.store
// BLOCK: scf.for %{{.*}} = %[[T]] to %{{.*}} step %c64{{.*}} iter_args(%{{.*}} = %cst{{.*}}) -> (f32)
// BLOCK: %[[R:.*]] = gpu.all_reduce maxnumf
// BLOCK: scf.if
// BLOCK-NEXT: memref.store %[[R]]
// BLOCK-NEXT: memref.load
// BLOCK-NEXT: arith.bitcast
// BLOCK-NEXT: memref.store
// BLOCK-NEXT: }
// BLOCK-NEXT: gpu.barrier
// BLOCK: scf.for %[[K:.*]] = %[[T]] to %{{.*}} step %c64{{.*}} {
// BLOCK: scf.for %{{.*}} = %c0 to %c4 step %c1 {
// BLOCK: arith.muli %{{.*}}, %c3528531795_i64
// BLOCK-NOT: gpu.all_reduce
// BLOCK: return
func.func @row_quantizer(%x: memref<8x1000xf32>, %seed: i64) -> memref<8x250x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c250 = arith.constant 250 : index
  %c1000 = arith.constant 1000 : index
  %zero = arith.constant 0.0 : f32
  %mul = arith.constant 3528531795 : i64
  %acc = memref.alloc() : memref<8x1xf32>
  scf.parallel (%i, %z) = (%c0, %c0) to (%c8, %c1) step (%c1, %c1) {
    memref.store %zero, %acc[%i, %z] : memref<8x1xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %j = %c0 to %c1000 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x1000xf32>
      %a = memref.load %acc[%i, %c0] : memref<8x1xf32>
      %m = math.absf %v : f32
      %r = arith.maxnumf %m, %a : f32
      memref.store %r, %acc[%i, %c0] : memref<8x1xf32>
    }
    scf.reduce
  }
  %exp = memref.alloc() : memref<8x1xi32>
  scf.parallel (%i, %z) = (%c0, %c0) to (%c8, %c1) step (%c1, %c1) {
    %m = memref.load %acc[%i, %z] : memref<8x1xf32>
    %b = arith.bitcast %m : f32 to i32
    memref.store %b, %exp[%i, %z] : memref<8x1xi32>
    scf.reduce
  }
  %groups = memref.expand_shape %x [[0], [1, 2]] output_shape [8, 250, 4] : memref<8x1000xf32> into memref<8x250x4xf32>
  %out = memref.alloc() : memref<8x250x4xf32>
  scf.parallel (%i, %g, %w) = (%c0, %c0, %c0) to (%c8, %c250, %c4) step (%c1, %c1, %c1) {
    %v = memref.load %groups[%i, %g, %w] : memref<8x250x4xf32>
    %e = memref.load %exp[%i, %c0] : memref<8x1xi32>
    %gi = arith.index_cast %g : index to i64
    %bits = arith.muli %gi, %mul : i64
    %b32 = arith.trunci %bits : i64 to i32
    %s = arith.addi %e, %b32 : i32
    %f = arith.sitofp %s : i32 to f32
    %y = arith.addf %v, %f : f32
    memref.store %y, %out[%i, %g, %w] : memref<8x250x4xf32>
    scf.reduce
  }
  return %out : memref<8x250x4xf32>
}

// -----

/// A consumer that does more per row than the reduction reads (a whole
/// tensor rounded after the maximum over its rows' maxima) stays a loop of
/// its own, and so does one that reads the exponents of other rows.
// CHECK-LABEL: func @rounding_kept_apart
// CHECK-COUNT-3: scf.parallel
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @rounding_kept_apart(%partials: memref<8xf32>, %x: memref<8x1000xf32>, %out: memref<8x1000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %c1000 = arith.constant 1000 : index
  %acc = memref.alloc() : memref<1xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %partials[%i] : memref<8xf32>
    %a = memref.load %acc[%c0] : memref<1xf32>
    %r = arith.maxnumf %v, %a : f32
    memref.store %r, %acc[%c0] : memref<1xf32>
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c1000) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<8x1000xf32>
    %m = memref.load %acc[%c0] : memref<1xf32>
    %y = arith.addf %v, %m : f32
    memref.store %y, %out[%i, %j] : memref<8x1000xf32>
    scf.reduce
  }
  %acc2 = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %j = %c0 to %c1000 step %c1 {
      %v = memref.load %x[%i, %j] : memref<8x1000xf32>
      %a = memref.load %acc2[%i] : memref<8xf32>
      %r = arith.maxnumf %v, %a : f32
      memref.store %r, %acc2[%i] : memref<8xf32>
    }
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c1000) step (%c1, %c1) {
    %k = arith.subi %c7, %i : index
    %m = memref.load %acc2[%k] : memref<8xf32>
    memref.store %m, %out[%i, %j] : memref<8x1000xf32>
    scf.reduce
  }
  return
}
