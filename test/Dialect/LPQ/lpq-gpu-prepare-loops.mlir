// RUN: lpq-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(lpq-gpu-prepare-loops{block-size=64}))" | FileCheck %s

/// The innermost parallel dimension is tiled by the block size with a fixed
/// tile bound and an in-bounds check.
// CHECK-LABEL: func @tile
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}) step (%{{.*}}, %[[C64:.*]])
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %[[C64]])
// CHECK: scf.if
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
