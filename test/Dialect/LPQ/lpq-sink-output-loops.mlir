// RUN: lpq-opt %s -split-input-file -lpq-sink-output-loops | FileCheck %s

// The bias gradient: a column sum over the batch. The output loop is the
// outermost one, so it is strip-mined into tiles of 64 outputs and the
// intra-tile loop moves inside the batch loop.

// CHECK-DAG: #[[$FROM:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$TO:.*]] = affine_map<(d0) -> (d0 + 64)>
// CHECK-LABEL: func.func @column_sum
// CHECK:      affine.for %[[T:.*]] = 0 to 512 step 64 {
// CHECK-NEXT:   affine.for %[[J:.*]] = 0 to 128 {
// CHECK-NEXT:     affine.for %[[I:.*]] = #[[$FROM]](%[[T]]) to #[[$TO]](%[[T]]) {
// CHECK-NEXT:       affine.load %arg0[%[[J]], %[[I]]]
// CHECK-NEXT:       affine.load %arg1[%[[I]]]
// CHECK-NEXT:       arith.addf
// CHECK-NEXT:       affine.store %{{.*}}, %arg1[%[[I]]]
func.func @column_sum(%dy: memref<128x512xf32>, %db: memref<512xf32>) {
  affine.for %i = 0 to 512 {
    affine.for %j = 0 to 128 {
      %d = affine.load %dy[%j, %i] : memref<128x512xf32>
      %s = affine.load %db[%i] : memref<512xf32>
      %t = arith.addf %s, %d : f32
      affine.store %t, %db[%i] : memref<512xf32>
    }
  }
  return
}

// -----

// A 2x2 max-pool: the output column loop moves below the window loops; the
// outer loops stay, so nothing is strip-mined.

// CHECK-LABEL: func.func @max_pool
// CHECK:      affine.for %[[B:.*]] = 0 to 2 {
// CHECK-NEXT:   affine.for %[[C:.*]] = 0 to 3 {
// CHECK-NEXT:     affine.for %[[H:.*]] = 0 to 4 {
// CHECK-NEXT:       affine.for %[[KH:.*]] = 0 to 2 {
// CHECK-NEXT:         affine.for %[[KW:.*]] = 0 to 2 {
// CHECK-NEXT:           affine.for %[[W:.*]] = 0 to 4 {
// CHECK-NEXT:             affine.load %arg0[%[[B]], %[[C]], %[[H]] * 2 + %[[KH]], %[[W]] * 2 + %[[KW]]]
// CHECK-NEXT:             affine.load %arg1[%[[B]], %[[C]], %[[H]], %[[W]]]
// CHECK-NEXT:             arith.maximumf
// CHECK-NEXT:             affine.store %{{.*}}, %arg1[%[[B]], %[[C]], %[[H]], %[[W]]]
func.func @max_pool(%in: memref<2x3x8x8xf32>, %out: memref<2x3x4x4xf32>) {
  affine.for %b = 0 to 2 {
    affine.for %c = 0 to 3 {
      affine.for %h = 0 to 4 {
        affine.for %w = 0 to 4 {
          affine.for %kh = 0 to 2 {
            affine.for %kw = 0 to 2 {
              %x = affine.load %in[%b, %c, %h * 2 + %kh, %w * 2 + %kw] : memref<2x3x8x8xf32>
              %o = affine.load %out[%b, %c, %h, %w] : memref<2x3x4x4xf32>
              %m = arith.maximumf %o, %x : f32
              affine.store %m, %out[%b, %c, %h, %w] : memref<2x3x4x4xf32>
            }
          }
        }
      }
    }
  }
  return
}

// -----

// Left alone: an order-free reduction (integer and) whose inner loop already
// streams its input along a row (LLVM vectorizes it as it is) ...

// CHECK-LABEL: func.func @row_and
// CHECK:      affine.for %[[I:.*]] = 0 to 512 {
// CHECK-NEXT:   affine.for %[[J:.*]] = 0 to 784 {
// CHECK-NEXT:     affine.load %arg0[%[[I]], %[[J]]]
func.func @row_and(%x: memref<512x784xi32>, %all: memref<512xi32>) {
  affine.for %i = 0 to 512 {
    affine.for %j = 0 to 784 {
      %v = affine.load %x[%i, %j] : memref<512x784xi32>
      %a = affine.load %all[%i] : memref<512xi32>
      %r = arith.andi %a, %v : i32
      affine.store %r, %all[%i] : memref<512xi32>
    }
  }
  return
}

// -----

// ... a channel sum whose outputs are too few for tiles of whole cache lines
// (8 channels: two threads would write the same line every iteration) ...

// CHECK-LABEL: func.func @channel_sum
// CHECK:      affine.for %{{.*}} = 0 to 8 {
// CHECK-NEXT:   affine.for %{{.*}} = 0 to 64 {
// CHECK-NEXT:     affine.for %{{.*}} = 0 to 24 {
func.func @channel_sum(%dy: memref<64x8x24xf32>, %db: memref<8xf32>) {
  affine.for %c = 0 to 8 {
    affine.for %b = 0 to 64 {
      affine.for %w = 0 to 24 {
        %d = affine.load %dy[%b, %c, %w] : memref<64x8x24xf32>
        %s = affine.load %db[%c] : memref<8xf32>
        %t = arith.addf %s, %d : f32
        affine.store %t, %db[%c] : memref<8xf32>
      }
    }
  }
  return
}

// -----

// ... and a nest whose outputs depend on each other: out[i + 1] reads
// out[i], so moving the i loop inside the j loop would reorder dependent
// updates.

// CHECK-LABEL: func.func @dependent_outputs
// CHECK:      affine.for %[[I:.*]] = 0 to 32 {
// CHECK-NEXT:   affine.for %[[J:.*]] = 0 to 8 {
// CHECK-NEXT:     affine.load %arg0[%[[I]]]
func.func @dependent_outputs(%out: memref<33xf32>) {
  affine.for %i = 0 to 32 {
    affine.for %j = 0 to 8 {
      %p = affine.load %out[%i] : memref<33xf32>
      %o = affine.load %out[%i + 1] : memref<33xf32>
      %s = arith.addf %o, %p : f32
      affine.store %s, %out[%i + 1] : memref<33xf32>
    }
  }
  return
}

// -----

// ... and a nest with a reduction loop outermost: moving the output loop
// deeper would only give OpenMP more, smaller parallel regions.

// CHECK-LABEL: func.func @reduction_outermost
// CHECK:      affine.for %{{.*}} = 0 to 4 {
// CHECK-NEXT:   affine.for %{{.*}} = 0 to 64 {
// CHECK-NEXT:     affine.for %{{.*}} = 0 to 2 {
func.func @reduction_outermost(%x: memref<4x2x64xf32>, %out: memref<64xf32>) {
  affine.for %k = 0 to 4 {
    affine.for %i = 0 to 64 {
      affine.for %l = 0 to 2 {
        %v = affine.load %x[%k, %l, %i] : memref<4x2x64xf32>
        %o = affine.load %out[%i] : memref<64xf32>
        %s = arith.addf %o, %v : f32
        affine.store %s, %out[%i] : memref<64xf32>
      }
    }
  }
  return
}
