// RUN: lpq-opt %s -split-input-file -lpq-fuse-row-loops | FileCheck %s

// A contraction's row tiles (step 2), then a row maximum, its exponent and
// a rounding through a view that keeps the rows: the three step-1 nests run
// in one loop over the rows of each tile; the allocations and the view
// between them move before the tiles.

// CHECK-DAG:  #[[$FIRST:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG:  #[[$END:.*]] = affine_map<(d0) -> (d0 + 2)>
// CHECK-LABEL: func.func @epilogue
// CHECK:      %[[C:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK-NEXT: %[[MAX:.*]] = memref.alloc() : memref<4x1xf32>
// CHECK-NEXT: %[[SCALE:.*]] = memref.alloc() : memref<4x1xf32>
// CHECK-NEXT: %[[VIEW:.*]] = memref.expand_shape %[[C]] {{\[}}[0], [1, 2]]
// CHECK-NEXT: affine.for %[[I:.*]] = 0 to 4 step 2 {
// CHECK:        affine.store %{{.*}}, %[[C]][%[[I]] + 1, %{{.*}}]
// CHECK-NEXT:   }
// CHECK-NEXT:   affine.for %[[R:.*]] = #[[$FIRST]](%[[I]]) to #[[$END]](%[[I]]) {
// CHECK-NEXT:     affine.for %{{.*}} = 0 to 8 {
// CHECK:            affine.store %{{.*}}, %[[MAX]][%[[R]], 0]
// CHECK-NEXT:     }
// CHECK-NEXT:     %{{.*}} = affine.load %[[MAX]][%[[R]], 0]
// CHECK:          affine.store %{{.*}}, %[[SCALE]][%[[R]], 0]
// CHECK-NEXT:     affine.for %{{.*}} = 0 to 2 {
// CHECK-NEXT:       affine.for %{{.*}} = 0 to 4 {
// CHECK-NEXT:         affine.load %[[VIEW]][%[[R]], %{{.*}}, %{{.*}}]
// CHECK-NEXT:         affine.load %[[SCALE]][%[[R]], 0]
// CHECK:              affine.store %{{.*}}, %arg2[%[[R]], %{{.*}}, %{{.*}}]
// CHECK-NEXT:       }
// CHECK-NEXT:     }
// CHECK-NEXT:   }
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @epilogue(%a: memref<4x3xf32>, %b: memref<3x8xf32>,
                    %out: memref<4x2x4xf32>) {
  %c = memref.alloc() : memref<4x8xf32>
  affine.for %i = 0 to 4 step 2 {
    affine.for %j = 0 to 8 {
      %x0 = affine.load %a[%i, 0] : memref<4x3xf32>
      %y0 = affine.load %b[0, %j] : memref<3x8xf32>
      %p0 = arith.mulf %x0, %y0 : f32
      affine.store %p0, %c[%i, %j] : memref<4x8xf32>
      %x1 = affine.load %a[%i + 1, 0] : memref<4x3xf32>
      %p1 = arith.mulf %x1, %y0 : f32
      affine.store %p1, %c[%i + 1, %j] : memref<4x8xf32>
    }
  }
  %max = memref.alloc() : memref<4x1xf32>
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      %x = affine.load %c[%i, %j] : memref<4x8xf32>
      %m = affine.load %max[%i, 0] : memref<4x1xf32>
      %abs = math.absf %x : f32
      %n = arith.maximumf %m, %abs : f32
      affine.store %n, %max[%i, 0] : memref<4x1xf32>
    }
  }
  %scale = memref.alloc() : memref<4x1xf32>
  affine.for %i = 0 to 4 {
    %m = affine.load %max[%i, 0] : memref<4x1xf32>
    %s = arith.mulf %m, %m : f32
    affine.store %s, %scale[%i, 0] : memref<4x1xf32>
  }
  %view = memref.expand_shape %c [[0], [1, 2]] output_shape [4, 2, 4]
      : memref<4x8xf32> into memref<4x2x4xf32>
  affine.for %i = 0 to 4 {
    affine.for %g = 0 to 2 {
      affine.for %k = 0 to 4 {
        %x = affine.load %view[%i, %g, %k] : memref<4x2x4xf32>
        %s = affine.load %scale[%i, 0] : memref<4x1xf32>
        %y = arith.mulf %x, %s : f32
        affine.store %y, %out[%i, %g, %k] : memref<4x2x4xf32>
      }
    }
  }
  return
}

// -----

// Equal steps: the second body joins the first one's directly. Distinct
// function arguments are distinct buffers.

// CHECK-LABEL: func.func @same_step
// CHECK:      affine.for %[[I:.*]] = 0 to 6 {
// CHECK-NEXT:   affine.for
// CHECK:          affine.store %{{.*}}, %arg1[%[[I]], %{{.*}}]
// CHECK:        affine.for
// CHECK:          affine.load %arg1[%[[I]], %{{.*}}]
// CHECK:          affine.store %{{.*}}, %arg2[%[[I]], %{{.*}}]
// CHECK-NEXT:   }
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @same_step(%x: memref<6x5xf32>, %y: memref<6x5xf32>,
                     %z: memref<6x5xf32>) {
  affine.for %i = 0 to 6 {
    affine.for %j = 0 to 5 {
      %v = affine.load %x[%i, %j] : memref<6x5xf32>
      %w = arith.addf %v, %v : f32
      affine.store %w, %y[%i, %j] : memref<6x5xf32>
    }
  }
  affine.for %i = 0 to 6 {
    affine.for %j = 0 to 5 {
      %v = affine.load %y[%i, %j] : memref<6x5xf32>
      %w = arith.mulf %v, %v : f32
      affine.store %w, %z[%i, %j] : memref<6x5xf32>
    }
  }
  return
}

// -----

// Left apart: a whole-tensor maximum (not one row's) read by the next
// nest; a different row count; a view that regroups the rows (row i of the
// 2x16 view is not row i of the 4x8 buffer); an op with effects in
// between; a read of the next row.

// CHECK-LABEL: func.func @whole_tensor
// CHECK-COUNT-2: {{^    }}affine.for %{{.*}} = 0 to 4 {
// CHECK:       return
func.func @whole_tensor(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  %max = memref.alloc() : memref<1xf32>
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      %v = affine.load %x[%i, %j] : memref<4x8xf32>
      %m = affine.load %max[0] : memref<1xf32>
      %n = arith.maximumf %m, %v : f32
      affine.store %n, %max[0] : memref<1xf32>
    }
  }
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      %m = affine.load %max[0] : memref<1xf32>
      affine.store %m, %y[%i, %j] : memref<4x8xf32>
    }
  }
  return
}

// CHECK-LABEL: func.func @row_count
// CHECK:       {{^    }}affine.for %{{.*}} = 0 to 4 {
// CHECK:       {{^    }}affine.for %{{.*}} = 0 to 2 {
func.func @row_count(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      %v = affine.load %x[%i, %j] : memref<4x8xf32>
      affine.store %v, %y[%i, %j] : memref<4x8xf32>
    }
  }
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 8 {
      %v = affine.load %y[%i, %j] : memref<4x8xf32>
      affine.store %v, %x[%i, %j] : memref<4x8xf32>
    }
  }
  return
}

// CHECK-LABEL: func.func @regrouped
// CHECK-COUNT-2: {{^    }}affine.for %{{.*}} = 0 to 2 {
// CHECK:       return
func.func @regrouped(%x: memref<2x8xf32>, %y: memref<2x16xf32>) {
  %t = memref.alloc() : memref<4x8xf32>
  %flat = memref.collapse_shape %t [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  %halves = memref.expand_shape %flat [[0, 1]] output_shape [2, 16]
      : memref<32xf32> into memref<2x16xf32>
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 8 {
      %v = affine.load %x[%i, %j] : memref<2x8xf32>
      affine.store %v, %t[%i, %j] : memref<4x8xf32>
    }
  }
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 16 {
      %v = affine.load %halves[%i, %j] : memref<2x16xf32>
      affine.store %v, %y[%i, %j] : memref<2x16xf32>
    }
  }
  return
}

// CHECK-LABEL: func.func @effect_between
// CHECK:       {{^    }}affine.for %{{.*}} = 0 to 4 {
// CHECK:       memref.copy
// CHECK-NEXT:  {{^    }}affine.for %{{.*}} = 0 to 4 {
func.func @effect_between(%x: memref<4x8xf32>, %y: memref<4x8xf32>,
                          %z: memref<4x8xf32>) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      %v = affine.load %x[%i, %j] : memref<4x8xf32>
      affine.store %v, %y[%i, %j] : memref<4x8xf32>
    }
  }
  memref.copy %y, %z : memref<4x8xf32> to memref<4x8xf32>
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 8 {
      %v = affine.load %z[%i, %j] : memref<4x8xf32>
      affine.store %v, %x[%i, %j] : memref<4x8xf32>
    }
  }
  return
}

// CHECK-LABEL: func.func @next_row
// CHECK-COUNT-2: {{^    }}affine.for %{{.*}} = 0 to 3 {
// CHECK:       return
func.func @next_row(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  affine.for %i = 0 to 3 {
    affine.for %j = 0 to 8 {
      %v = affine.load %x[%i, %j] : memref<4x8xf32>
      affine.store %v, %y[%i, %j] : memref<4x8xf32>
    }
  }
  affine.for %i = 0 to 3 {
    affine.for %j = 0 to 8 {
      %v = affine.load %y[%i + 1, %j] : memref<4x8xf32>
      affine.store %v, %x[%i, %j] : memref<4x8xf32>
    }
  }
  return
}
