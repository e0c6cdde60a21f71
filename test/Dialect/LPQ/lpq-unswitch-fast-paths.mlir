// RUN: lpq-opt %s -split-input-file -lpq-unswitch-fast-paths | FileCheck %s
// RUN: lpq-opt %s -split-input-file -lpq-unswitch-fast-paths=unswitch=false | FileCheck %s --check-prefix=FOLD

// A block exponent loaded at the row's index from an allocation the loop
// does not write: its condition is computed before the inner loop, and the
// loop runs in two versions, each with one of the select's values.
// CHECK-LABEL: func @per_row
// CHECK: affine.for %[[I:.*]] = 0 to 4 {
// CHECK: %[[E:.*]] = affine.load %{{.*}}[%[[I]]] : memref<4xi32>
// CHECK: %[[C:.*]] = arith.cmpi sge, %[[E]]
// CHECK: scf.if %[[C]] {
// CHECK: affine.for
// CHECK-NOT: arith.select
// CHECK: %[[A:.*]] = arith.addf
// CHECK-NOT: arith.select
// CHECK: affine.store %[[A]]
// CHECK: } else {
// CHECK: affine.for
// CHECK-NOT: arith.select
// CHECK: %[[B:.*]] = arith.mulf
// CHECK-NEXT: affine.store %[[B]]
// FOLD-LABEL: func @per_row
// FOLD-NOT: scf.if
// FOLD-NOT: arith.select
// FOLD: %[[B:.*]] = arith.mulf
// FOLD-NEXT: affine.store %[[B]]
func.func @per_row(%x: memref<4x16xf32>, %out: memref<4x16xf32>) {
  %scales = memref.alloc() : memref<4xi32>
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 16 {
      %e = affine.load %scales[%i] : memref<4xi32>
      %zero = arith.constant 0 : i32
      %fast = arith.cmpi sge, %e, %zero : i32
      %v = affine.load %x[%i, %j] : memref<4x16xf32>
      %a = arith.addf %v, %v : f32
      %b = arith.mulf %v, %v : f32
      %s = arith.select %fast, %a, %b {lpq.fast_path} : f32
      affine.store %s, %out[%i, %j] : memref<4x16xf32>
    }
  }
  memref.dealloc %scales : memref<4xi32>
  return
}

// -----

// The exponent changes along the loop (an MX tile's), the loop writes the
// exponents' allocation, or the exponents come from an argument (which the
// loop's stores may alias): no versions, the general value.
// CHECK-LABEL: func @varying
// CHECK-NOT: scf.if
// CHECK-NOT: arith.select
// CHECK: return
// CHECK-LABEL: func @written
// CHECK-NOT: scf.if
// CHECK-NOT: arith.select
// CHECK: return
// CHECK-LABEL: func @argument
// CHECK-NOT: scf.if
// CHECK-NOT: arith.select
// CHECK: return
func.func @varying(%x: memref<16xf32>, %out: memref<16xf32>) {
  %scales = memref.alloc() : memref<16xi32>
  affine.for %j = 0 to 16 {
    %e = affine.load %scales[%j] : memref<16xi32>
    %zero = arith.constant 0 : i32
    %fast = arith.cmpi sge, %e, %zero : i32
    %v = affine.load %x[%j] : memref<16xf32>
    %a = arith.addf %v, %v : f32
    %b = arith.mulf %v, %v : f32
    %s = arith.select %fast, %a, %b {lpq.fast_path} : f32
    affine.store %s, %out[%j] : memref<16xf32>
  }
  return
}
func.func @written(%x: memref<16xf32>, %out: memref<16xf32>) {
  %scales = memref.alloc() : memref<1xi32>
  %view = memref.expand_shape %scales [[0, 1]] output_shape [1, 1] : memref<1xi32> into memref<1x1xi32>
  affine.for %j = 0 to 16 {
    %e = affine.load %scales[0] : memref<1xi32>
    %zero = arith.constant 0 : i32
    %fast = arith.cmpi sge, %e, %zero : i32
    %v = affine.load %x[%j] : memref<16xf32>
    %a = arith.addf %v, %v : f32
    %b = arith.mulf %v, %v : f32
    %s = arith.select %fast, %a, %b {lpq.fast_path} : f32
    affine.store %s, %out[%j] : memref<16xf32>
    %n = arith.addi %e, %e : i32
    affine.store %n, %view[0, 0] : memref<1x1xi32>
  }
  return
}
func.func @argument(%x: memref<16xf32>, %scales: memref<1xi32>, %out: memref<16xf32>) {
  affine.for %j = 0 to 16 {
    %e = affine.load %scales[0] : memref<1xi32>
    %zero = arith.constant 0 : i32
    %fast = arith.cmpi sge, %e, %zero : i32
    %v = affine.load %x[%j] : memref<16xf32>
    %a = arith.addf %v, %v : f32
    %b = arith.mulf %v, %v : f32
    %s = arith.select %fast, %a, %b {lpq.fast_path} : f32
    affine.store %s, %out[%j] : memref<16xf32>
  }
  return
}
