// RUN: lpq-opt %s -lpq-tile-contractions="vectors=2" -split-input-file | FileCheck %s

// A matmul: tiles of 4 rows x 2 vectors of 8 carried through the k loop,
// then the 3 leftover columns as a column of 2-lane vectors and one of
// scalars; multiply then add, in k order.

// CHECK-LABEL: func.func @matmul
// CHECK: affine.for %[[I:.*]] = 0 to 8 step 4 {
// CHECK:   affine.for %[[J:.*]] = 0 to 16 step 16 {
// CHECK:     affine.vector_load %{{.*}}[%[[I]] + 3, %[[J]] + 8] : memref<8x19xf32>, vector<8xf32>
// CHECK:     %[[ACC:.*]]:8 = affine.for %[[K:.*]] = 0 to 5 iter_args({{.*}}) -> (vector<8xf32>, {{.*}}) {
// CHECK:       %[[A:.*]] = affine.load %{{.*}}[%[[I]], %[[K]]] : memref<8x5xf32>
// CHECK:       %[[AV:.*]] = vector.broadcast %[[A]] : f32 to vector<8xf32>
// CHECK:       %[[B:.*]] = affine.vector_load %{{.*}}[%[[K]], %[[J]]] : memref<5x19xf32>, vector<8xf32>
// CHECK:       %[[P:.*]] = arith.mulf %[[AV]], %[[B]] : vector<8xf32>
// CHECK:       arith.addf %{{.*}}, %[[P]] : vector<8xf32>
// CHECK:       affine.yield
// CHECK:     affine.vector_store %[[ACC]]#7, %{{.*}}[%[[I]] + 3, %[[J]] + 8]
// CHECK:   affine.for %{{.*}} = 0 to 5 iter_args({{.*}}) -> (vector<2xf32>, vector<2xf32>, vector<2xf32>, vector<2xf32>) {
// CHECK:   affine.vector_store %{{.*}}, %{{.*}}[%[[I]] + 3, 16] : memref<8x19xf32>, vector<2xf32>
// CHECK:   affine.for %{{.*}} = 0 to 5 iter_args({{.*}}) -> (f32, f32, f32, f32) {
// CHECK:   affine.store %{{.*}}, %{{.*}}[%[[I]] + 3, 18] : memref<8x19xf32>
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: memref<8x5xf32>, %b: memref<5x19xf32>, %c: memref<8x19xf32>) {
  linalg.matmul ins(%a, %b : memref<8x5xf32>, memref<5x19xf32>) outs(%c : memref<8x19xf32>)
  return
}

// -----

// A convolution: vectors along the output width read the input at w + kw
// (contiguous), rows are filters (the input does not depend on them), the
// reductions keep their order (c, kh, kw). The batch loop has 2 iterations
// and the row loop 8: the row loop goes outermost (the one spread over
// threads).

// CHECK-LABEL: func.func @conv
// CHECK: affine.for %[[H:.*]] = 0 to 8 {
// CHECK:   affine.for %[[N:.*]] = 0 to 2 {
// CHECK:     affine.for %[[F:.*]] = 0 to 4 step 4 {
// CHECK:       affine.for %[[C:.*]] = 0 to 3 iter_args
// CHECK:         affine.for %[[KH:.*]] = 0 to 3 iter_args
// CHECK:           affine.for %[[KW:.*]] = 0 to 3 iter_args
// CHECK:             affine.vector_load %{{.*}}[%[[N]], %[[C]], %[[H]] + %[[KH]], %[[KW]]] : memref<2x3x10x10xf32>, vector<8xf32>
// CHECK:             affine.load %{{.*}}[%[[F]] + 3, %[[C]], %[[KH]], %[[KW]]] : memref<4x3x3x3xf32>
func.func @conv(%x: memref<2x3x10x10xf32>, %k: memref<4x3x3x3xf32>, %y: memref<2x4x8x8xf32>) {
  linalg.conv_2d_nchw_fchw ins(%x, %k : memref<2x3x10x10xf32>, memref<4x3x3x3xf32>) outs(%y : memref<2x4x8x8xf32>)
  return
}

// -----

// Not tiled: B read across the output's last dimension (also with a
// dynamic row count), float64, a body that is not multiply-add.

// CHECK-LABEL: func.func @untouched
// CHECK-COUNT-4: linalg.generic
#t = affine_map<(i, j, k) -> (j, k)>
#a = affine_map<(i, j, k) -> (i, k)>
#o = affine_map<(i, j, k) -> (i, j)>
func.func @untouched(%a: memref<4x5xf32>, %bt: memref<16x5xf32>, %c: memref<4x16xf32>,
                     %a64: memref<4x5xf64>, %b64: memref<16x5xf64>, %c64: memref<4x16xf64>,
                     %ad: memref<?x5xf32>, %cd: memref<?x16xf32>) {
  linalg.generic {indexing_maps = [#a, #t, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %bt : memref<4x5xf32>, memref<16x5xf32>) outs(%c : memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#a, #t, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a64, %b64 : memref<4x5xf64>, memref<16x5xf64>) outs(%c64 : memref<4x16xf64>) {
  ^bb0(%x: f64, %y: f64, %acc: f64):
    %p = arith.mulf %x, %y : f64
    %s = arith.addf %acc, %p : f64
    linalg.yield %s : f64
  }
  linalg.generic {indexing_maps = [#a, #t, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ad, %bt : memref<?x5xf32>, memref<16x5xf32>) outs(%cd : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#a, #t, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %bt : memref<4x5xf32>, memref<16x5xf32>) outs(%c : memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.maximumf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Runtime checks between the fill and a contraction with dynamic extents
// (an scf.if of index arithmetic and cf.assert) do not keep the fill; a
// store into the output inside such an scf.if does.

// CHECK-LABEL: func.func @filled_checked
// CHECK-NOT: linalg.fill
// CHECK: cf.assert
// CHECK-NOT: linalg.fill
// CHECK: affine.vector_load
// CHECK-NOT: linalg.fill
// CHECK-LABEL: func.func @fill_kept_checked
// CHECK: linalg.fill
// CHECK: memref.store
// CHECK: affine.vector_load
func.func @filled_checked(%a: memref<?x5xf32>, %b: memref<5x16xf32>, %c: memref<?x16xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<?x5xf32>
  %m = memref.dim %c, %c0 : memref<?x16xf32>
  %ok = arith.cmpi eq, %n, %m : index
  linalg.fill ins(%v : f32) outs(%c : memref<?x16xf32>)
  scf.if %ok {
    %nonneg = arith.cmpi sge, %n, %c0 : index
    cf.assert %nonneg, "negative extent"
  }
  cf.assert %ok, "extents differ"
  linalg.matmul ins(%a, %b : memref<?x5xf32>, memref<5x16xf32>) outs(%c : memref<?x16xf32>)
  return
}
func.func @fill_kept_checked(%a: memref<?x5xf32>, %b: memref<5x16xf32>, %c: memref<?x16xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<?x5xf32>
  %m = memref.dim %c, %c0 : memref<?x16xf32>
  %ok = arith.cmpi eq, %n, %m : index
  linalg.fill ins(%v : f32) outs(%c : memref<?x16xf32>)
  scf.if %ok {
    cf.assert %ok, "extents differ"
    memref.store %v, %c[%c0, %c0] : memref<?x16xf32>
  }
  linalg.matmul ins(%a, %b : memref<?x5xf32>, memref<5x16xf32>) outs(%c : memref<?x16xf32>)
  return
}

// -----

// Not tiled: an input that is the output, a view of it, or a sibling view
// of the same buffer (register tiles store each element once; the plain
// loop nest reads the output as it updates it); a fill before it is kept.

// CHECK-LABEL: func.func @aliased
// CHECK: linalg.fill
// CHECK-COUNT-3: linalg.matmul
func.func @aliased(%c: memref<8x8xf32>, %b: memref<8x8xf32>, %buf: memref<16x8xf32>, %v: f32) {
  linalg.fill ins(%v : f32) outs(%c : memref<8x8xf32>)
  linalg.matmul ins(%c, %b : memref<8x8xf32>, memref<8x8xf32>) outs(%c : memref<8x8xf32>)
  %view = memref.subview %c[0, 0] [8, 8] [1, 1] : memref<8x8xf32> to memref<8x8xf32, strided<[8, 1]>>
  linalg.matmul ins(%view, %b : memref<8x8xf32, strided<[8, 1]>>, memref<8x8xf32>) outs(%c : memref<8x8xf32>)
  %top = memref.subview %buf[0, 0] [8, 8] [1, 1] : memref<16x8xf32> to memref<8x8xf32, strided<[8, 1]>>
  %low = memref.subview %buf[4, 0] [8, 8] [1, 1] : memref<16x8xf32> to memref<8x8xf32, strided<[8, 1], offset: 32>>
  linalg.matmul ins(%top, %b : memref<8x8xf32, strided<[8, 1]>>, memref<8x8xf32>) outs(%low : memref<8x8xf32, strided<[8, 1], offset: 32>>)
  return
}

// -----

/// A dynamic row count (a symbolic batch): tiles of 4 rows up to the last
/// multiple of 4, then tiles of one row; a dynamic reduction extent is a
/// symbolic bound of the k loop. The vector dimension must be static.

// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[A:.*]]: memref<?x?xf32>, %[[B:.*]]: memref<?x19xf32>, %[[C:.*]]: memref<?x19xf32>, %[[D:.*]]: memref<5x3xf32>, %[[E:.*]]: memref<3x?xf32>, %[[F:.*]]: memref<5x?xf32>)
// CHECK-DAG: %[[M:.*]] = memref.dim %[[A]], %c0
// CHECK-DAG: %[[K:.*]] = memref.dim %[[A]], %c1
// CHECK: affine.for %[[I:.*]] = 0 to #[[FULL:.*]]()[%[[M]]] step 4 {
// CHECK:   affine.for %{{.*}} = 0 to %[[K]] iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK: affine.for %[[R:.*]] = #[[FULL]]()[%[[M]]] to %[[M]] {
// CHECK:   affine.for %{{.*}} = 0 to %[[K]] iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>) {
// CHECK: linalg.matmul ins(%[[D]], %[[E]]
func.func @dynamic(%a: memref<?x?xf32>, %b: memref<?x19xf32>, %c: memref<?x19xf32>,
                   %d: memref<5x3xf32>, %e: memref<3x?xf32>, %f: memref<5x?xf32>) {
  linalg.matmul ins(%a, %b : memref<?x?xf32>, memref<?x19xf32>) outs(%c : memref<?x19xf32>)
  linalg.matmul ins(%d, %e : memref<5x3xf32>, memref<3x?xf32>) outs(%f : memref<5x?xf32>)
  return
}

// -----

// A matmul into a freshly filled buffer: the tiles start from the fill's
// value (0 + a*b first, as the fill then the loop give) instead of loading
// it, and the fill goes: nothing reads the buffer in between, and the tiles
// store every element.

// CHECK-LABEL: func.func @filled
// CHECK-SAME: (%{{.*}}: memref<8x5xf32>, %{{.*}}: memref<5x16xf32>, %[[V:.*]]: f32)
// CHECK-NOT: linalg.fill
// CHECK: %[[ALLOC:.*]] = memref.alloc() : memref<8x16xf32>
// CHECK-NOT: linalg.fill
// CHECK: affine.for %[[I:.*]] = 0 to 8 step 4 {
// CHECK:   affine.for %[[J:.*]] = 0 to 16 step 16 {
// CHECK:     %[[INIT:.*]] = vector.broadcast %[[V]] : f32 to vector<8xf32>
// CHECK-NOT: affine.vector_load %[[ALLOC]][
// CHECK:     affine.for %{{.*}} = 0 to 5 iter_args(%{{.*}} = %[[INIT]], %{{.*}} = %[[INIT]],
// CHECK:     affine.vector_store %{{.*}}, %[[ALLOC]][%[[I]] + 3, %[[J]] + 8]
func.func @filled(%a: memref<8x5xf32>, %b: memref<5x16xf32>, %v: f32) -> memref<8x16xf32> {
  %c = memref.alloc() : memref<8x16xf32>
  linalg.fill ins(%v : f32) outs(%c : memref<8x16xf32>)
  linalg.matmul ins(%a, %b : memref<8x5xf32>, memref<5x16xf32>) outs(%c : memref<8x16xf32>)
  return %c : memref<8x16xf32>
}

// -----

// What fusion leaves of a fill (a generic without inputs yielding a value
// from outside), with a transposed copy into another fresh buffer in
// between: the copy cannot touch the filled buffer, the fill still goes.

// CHECK-LABEL: func.func @filled_generic
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[ALLOC:.*]] = memref.alloc() : memref<8x16xf32>
// CHECK: linalg.transpose
// CHECK-NOT: linalg.generic
// CHECK: vector.broadcast %[[ZERO]] : f32 to vector<8xf32>
// CHECK-NOT: affine.vector_load %[[ALLOC]][
// CHECK: affine.vector_store %{{.*}}, %[[ALLOC]][
func.func @filled_generic(%a: memref<8x5xf32>, %bt: memref<16x5xf32>) -> memref<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<8x16xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      outs(%c : memref<8x16xf32>) {
  ^bb0(%o: f32):
    linalg.yield %zero : f32
  }
  %b = memref.alloc() : memref<5x16xf32>
  linalg.transpose ins(%bt : memref<16x5xf32>) outs(%b : memref<5x16xf32>) permutation = [1, 0]
  linalg.matmul ins(%a, %b : memref<8x5xf32>, memref<5x16xf32>) outs(%c : memref<8x16xf32>)
  return %c : memref<8x16xf32>
}

// -----

// The fill stays, and the tiles load the output, when something between
// them may touch the filled buffer (here a store into it; a copy into a
// view of a fresh buffer), and when the output is not a fresh allocation
// and something writes memory in between (another buffer's fill). (A
// contraction that reads its own output is not tiled at all: @aliased.)

// CHECK-LABEL: func.func @fill_kept
// CHECK: linalg.fill
// CHECK: memref.copy
// CHECK: affine.vector_load
// CHECK: linalg.fill
// CHECK: memref.store
// CHECK: affine.vector_load
// CHECK: linalg.fill
// CHECK: affine.vector_load
func.func @fill_kept(%a: memref<8x5xf32>, %b: memref<5x16xf32>, %c: memref<8x16xf32>,
                     %d: memref<8x16xf32>, %v: f32) {
  %i0 = arith.constant 0 : index
  %e = memref.alloc() : memref<8x16xf32>
  %view = memref.subview %e[0, 0] [8, 8] [1, 1] : memref<8x16xf32> to memref<8x8xf32, strided<[16, 1]>>
  linalg.fill ins(%v : f32) outs(%e : memref<8x16xf32>)
  %src = memref.alloc() : memref<8x8xf32>
  memref.copy %src, %view : memref<8x8xf32> to memref<8x8xf32, strided<[16, 1]>>
  linalg.matmul ins(%a, %b : memref<8x5xf32>, memref<5x16xf32>) outs(%e : memref<8x16xf32>)
  linalg.fill ins(%v : f32) outs(%c : memref<8x16xf32>)
  memref.store %v, %c[%i0, %i0] : memref<8x16xf32>
  linalg.matmul ins(%a, %b : memref<8x5xf32>, memref<5x16xf32>) outs(%c : memref<8x16xf32>)
  linalg.fill ins(%v : f32) outs(%d : memref<8x16xf32>)
  linalg.matmul ins(%a, %b : memref<8x5xf32>, memref<5x16xf32>) outs(%c : memref<8x16xf32>)
  return
}
