// RUN: lpq-opt %s -lpq-unroll-random-groups | FileCheck %s
// RUN: lpq-opt %s -lpq-unroll-random-groups=max-iterations=8 | FileCheck %s --check-prefix=EIGHT

// The word loop of a Philox group (four iterations, random bits inside)
// is unrolled: the group loop becomes the innermost loop.

// CHECK-LABEL: func.func @words
// CHECK:       affine.for %{{.*}} = 0 to 16 {
// CHECK-NOT:     affine.for
// CHECK-COUNT-4: arith.muli
// CHECK:       }
// CHECK-NEXT:  return
func.func @words(%m: memref<16x4xi64>, %c: i64) {
  %philox = arith.constant 3528531795 : i64
  affine.for %g = 0 to 16 {
    affine.for %w = 0 to 4 {
      %p = arith.muli %c, %philox : i64
      affine.store %p, %m[%g, %w] : memref<16x4xi64>
    }
  }
  return
}

// Short loops without random bits (other multiplications included), longer
// ones and loops around other loops stay.

// CHECK-LABEL: func.func @kept
// CHECK-COUNT-5: affine.for
// CHECK-NOT:     affine.for
// CHECK:         return
// With up to 8 iterations, the loops of 8 with random bits are unrolled.
// EIGHT-LABEL: func.func @kept
// EIGHT-COUNT-3: affine.for
// EIGHT-NOT:     affine.for
// EIGHT:         return
func.func @kept(%m: memref<8x8xi64>, %c: i64) {
  %philox = arith.constant 3449720151 : i64
  %other = arith.constant 3449720150 : i64
  affine.for %i = 0 to 4 {
    affine.store %c, %m[%i, %i] : memref<8x8xi64>
  }
  affine.for %i = 0 to 4 {
    %p = arith.muli %c, %other : i64
    affine.store %p, %m[%i, %i] : memref<8x8xi64>
  }
  affine.for %i = 0 to 8 {
    %p = arith.muli %c, %philox : i64
    affine.store %p, %m[%i, %i] : memref<8x8xi64>
  }
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 8 {
      %p = arith.muli %c, %philox : i64
      affine.store %p, %m[%i, %j] : memref<8x8xi64>
    }
  }
  return
}
