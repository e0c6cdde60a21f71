// RUN: lpq-opt %s -lpq-unroll-random-groups | FileCheck %s
// RUN: lpq-opt %s -lpq-unroll-random-groups=max-iterations=8 | FileCheck %s --check-prefix=EIGHT

// The word loop of a Philox group (four iterations, random bits inside)
// is unrolled: the group loop becomes the innermost loop.

// CHECK-LABEL: func.func @words
// CHECK:       affine.for %{{.*}} = 0 to 16 {
// CHECK-NOT:     affine.for
// CHECK-COUNT-4: arith.mului_extended
// CHECK:       }
// CHECK-NEXT:  return
func.func @words(%m: memref<16x4xi32>, %c: i32) {
  affine.for %g = 0 to 16 {
    affine.for %w = 0 to 4 {
      %lo, %hi = arith.mului_extended %c, %c : i32
      affine.store %hi, %m[%g, %w] : memref<16x4xi32>
    }
  }
  return
}

// Short loops without random bits, longer ones and loops around other loops
// stay.

// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: affine.for
// CHECK-NOT:     affine.for
// CHECK:         return
// With up to 8 iterations, the loops of 8 with random bits are unrolled.
// EIGHT-LABEL: func.func @kept
// EIGHT-COUNT-2: affine.for
// EIGHT-NOT:     affine.for
// EIGHT:         return
func.func @kept(%m: memref<8x8xi32>, %c: i32) {
  affine.for %i = 0 to 4 {
    affine.store %c, %m[%i, %i] : memref<8x8xi32>
  }
  affine.for %i = 0 to 8 {
    %lo, %hi = arith.mului_extended %c, %c : i32
    affine.store %hi, %m[%i, %i] : memref<8x8xi32>
  }
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 8 {
      %lo, %hi = arith.mului_extended %c, %c : i32
      affine.store %hi, %m[%i, %j] : memref<8x8xi32>
    }
  }
  return
}
