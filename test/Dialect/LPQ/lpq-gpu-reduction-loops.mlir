// RUN: lpq-opt %s -lpq-gpu-reduction-loops -split-input-file | FileCheck %s

// A matmul into a buffer filled with zeros: one parallel loop over the
// output, the sum carried through the k loop from the fill's value (the
// fill goes), multiply then add in k order, one store.

// CHECK-LABEL: func.func @filled
// CHECK-SAME: (%[[A:.*]]: memref<8x5xf32>, %[[B:.*]]: memref<5x19xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[C:.*]] = memref.alloc() : memref<8x19xf32>
// CHECK-NOT: linalg.fill
// CHECK: scf.parallel (%[[I:[a-z0-9_]+]], %[[J:[a-z0-9_]+]]) = ({{.*}}) to (%c8, %c19)
// CHECK:   %[[SUM:[a-z0-9_]+]] = scf.for %[[K:[a-z0-9_]+]] = %c0{{.*}} to %c5 step %c1{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32) {
// CHECK:     %[[X:[a-z0-9_]+]] = memref.load %[[A]][%[[I]], %[[K]]] : memref<8x5xf32>
// CHECK:     %[[Y:[a-z0-9_]+]] = memref.load %[[B]][%[[K]], %[[J]]] : memref<5x19xf32>
// CHECK:     %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK:     %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK:     scf.yield %[[S]] : f32
// CHECK:   memref.store %[[SUM]], %[[C]][%[[I]], %[[J]]] : memref<8x19xf32>
// CHECK-NOT: linalg.
func.func @filled(%a: memref<8x5xf32>, %b: memref<5x19xf32>) -> memref<8x19xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<8x19xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<8x19xf32>)
  linalg.matmul ins(%a, %b : memref<8x5xf32>, memref<5x19xf32>) outs(%c : memref<8x19xf32>)
  return %c : memref<8x19xf32>
}

// -----

// A convolution accumulating into what its output holds: the element is
// loaded once before the reductions (c, kh, kw, in that order), the input
// read at h + kh and w + kw.

// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[X:.*]]: memref<2x3x10x10xf32>, %[[K:.*]]: memref<4x3x3x3xf32>, %[[Y:.*]]: memref<2x4x8x8xf32>)
// CHECK: scf.parallel (%[[N:[a-z0-9_]+]], %[[F:[a-z0-9_]+]], %[[H:[a-z0-9_]+]], %[[W:[a-z0-9_]+]]) =
// CHECK:   %[[INIT:[a-z0-9_]+]] = memref.load %[[Y]][%[[N]], %[[F]], %[[H]], %[[W]]]
// CHECK:   %[[SUM:[a-z0-9_]+]] = scf.for %[[C:[a-z0-9_]+]] = {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (f32) {
// CHECK:     scf.for %[[KH:[a-z0-9_]+]] = {{.*}} -> (f32) {
// CHECK:       scf.for %[[KW:[a-z0-9_]+]] = {{.*}} -> (f32) {
// CHECK:         %[[HH:.*]] = affine.apply #{{.*}}(%[[N]], %[[F]], %[[H]], %[[W]], %[[C]], %[[KH]], %[[KW]])
// CHECK:         %[[WW:.*]] = affine.apply #{{.*}}(%[[N]], %[[F]], %[[H]], %[[W]], %[[C]], %[[KH]], %[[KW]])
// CHECK:         memref.load %[[X]][%[[N]], %[[C]], %[[HH]], %[[WW]]]
// CHECK:         memref.load %[[K]][%[[F]], %[[C]], %[[KH]], %[[KW]]]
// CHECK:   memref.store %[[SUM]], %[[Y]][%[[N]], %[[F]], %[[H]], %[[W]]]
// CHECK-NOT: linalg.conv
func.func @conv(%x: memref<2x3x10x10xf32>, %k: memref<4x3x3x3xf32>, %y: memref<2x4x8x8xf32>) {
  linalg.conv_2d_nchw_fchw ins(%x, %k : memref<2x3x10x10xf32>, memref<4x3x3x3xf32>) outs(%y : memref<2x4x8x8xf32>)
  return
}

// -----

// Dynamic extents (a batch of any size), a weight gradient whose reduction
// loop comes first, and the body's swapped operand orders (b * a, then
// product + sum) kept: the same bits. The fill is the input-less generic
// fusion makes of one, with an allocation in between.

// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[E:.*]]: memref<?x16xf32>, %[[A:.*]]: memref<?x5xf32>, %[[V:.*]]: f32)
// CHECK: %[[NB:.*]] = memref.dim %[[E]], %c0
// CHECK: scf.parallel (%[[J:[a-z0-9_]+]], %[[I:[a-z0-9_]+]]) = ({{.*}}) to (%c16{{.*}}, %c5{{.*}})
// CHECK:   %[[SUM:[a-z0-9_]+]] = scf.for %[[B:[a-z0-9_]+]] = %c0{{.*}} to %[[NB]] step %c1{{.*}} iter_args(%[[ACC:.*]] = %[[V]]) -> (f32) {
// CHECK:     %[[X:[a-z0-9_]+]] = memref.load %[[E]][%[[B]], %[[J]]]
// CHECK:     %[[Y:[a-z0-9_]+]] = memref.load %[[A]][%[[B]], %[[I]]]
// CHECK:     %[[P:.*]] = arith.mulf %[[Y]], %[[X]] : f32
// CHECK:     arith.addf %[[P]], %[[ACC]] : f32
// CHECK:   memref.store %[[SUM]], %{{.*}}[%[[J]], %[[I]]] : memref<16x5xf32>
// CHECK-NOT: linalg.generic
#id = affine_map<(i, j) -> (i, j)>
#e = affine_map<(b, j, i) -> (b, j)>
#x = affine_map<(b, j, i) -> (b, i)>
#w = affine_map<(b, j, i) -> (j, i)>
func.func @dynamic(%err: memref<?x16xf32>, %act: memref<?x5xf32>, %v: f32) -> (memref<16x5xf32>, memref<4xf32>) {
  %g = memref.alloc() : memref<16x5xf32>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%g : memref<16x5xf32>) {
  ^bb0(%out: f32):
    linalg.yield %v : f32
  }
  %other = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#e, #x, #w], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%err, %act : memref<?x16xf32>, memref<?x5xf32>) outs(%g : memref<16x5xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %y, %x : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return %g, %other : memref<16x5xf32>, memref<4xf32>
}

// -----

/// A product written transposed (`c[j, i] = sum_k a[i, k] * b[k, j]`): the
/// parallel loop runs over c's dimensions in c's order, j outermost.

// CHECK-LABEL: func.func @transposed_output
// CHECK-SAME: (%[[A:.*]]: memref<4x5xf32>, %[[B:.*]]: memref<5x3xf32>, %[[C:.*]]: memref<3x4xf32>)
// CHECK: scf.parallel (%[[J:[a-z0-9_]+]], %[[I:[a-z0-9_]+]]) = ({{.*}}) to (%c3, %c4)
// CHECK:   memref.load %[[C]][%[[J]], %[[I]]]
// CHECK:   memref.load %[[A]][%[[I]], %{{.*}}]
// CHECK:   memref.store %{{.*}}, %[[C]][%[[J]], %[[I]]]
#ta = affine_map<(i, j, k) -> (i, k)>
#tb = affine_map<(i, j, k) -> (k, j)>
#tc = affine_map<(i, j, k) -> (j, i)>
func.func @transposed_output(%a: memref<4x5xf32>, %b: memref<5x3xf32>, %c: memref<3x4xf32>) {
  linalg.generic {indexing_maps = [#ta, #tb, #tc], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x5xf32>, memref<5x3xf32>) outs(%c : memref<3x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// A fill that must stay: a store into the buffer in between. The sum
/// starts from the buffer's value.

// CHECK-LABEL: func.func @fill_kept
// CHECK: linalg.fill
// CHECK: memref.store
// CHECK: scf.parallel
// CHECK:   %[[INIT:[a-z0-9_]+]] = memref.load %[[C:.*]][%{{.*}}, %{{.*}}] : memref<4x4xf32>
// CHECK:   scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]])
// CHECK-NOT: linalg.matmul
func.func @fill_kept(%a: memref<4x4xf32>, %i: index, %v: f32) -> memref<4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<4x4xf32>)
  memref.store %v, %c[%i, %i] : memref<4x4xf32>
  linalg.matmul ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>) outs(%c : memref<4x4xf32>)
  return %c : memref<4x4xf32>
}

// -----

/// A bias gradient (a sum over the batch, the reduction loop outermost as
/// reverse mode writes it) into a zero fill, with fast-math flags and an
/// index-dependent body: the body is applied to the accumulator as it is,
/// with linalg.index replaced by the loop variable.

// CHECK-LABEL: func.func @bias_gradient
// CHECK-SAME: (%[[DY:.*]]: memref<8x4xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT: linalg.fill
// CHECK: scf.parallel (%[[C:[a-z0-9_]+]]) =
// CHECK:   %[[SUM:[a-z0-9_]+]] = scf.for %[[B:[a-z0-9_]+]] = {{.*}} iter_args(%[[ACC:[a-z0-9_]+]] = %[[ZERO]]) -> (f32) {
// CHECK:     %[[X:.*]] = memref.load %[[DY]][%[[B]], %[[C]]]
// CHECK:     %[[I:.*]] = arith.index_cast %[[B]] : index to i32
// CHECK:     %[[F:.*]] = arith.sitofp %[[I]] : i32 to f32
// CHECK:     %[[T:.*]] = arith.mulf %[[X]], %[[F]] : f32
// CHECK:     %[[S:.*]] = arith.addf %[[ACC]], %[[T]] fastmath<reassoc> : f32
// CHECK:     scf.yield %[[S]] : f32
// CHECK:   memref.store %[[SUM]], %{{.*}}[%[[C]]] : memref<4xf32>
// CHECK-NOT: linalg.
func.func @bias_gradient(%dy: memref<8x4xf32>) -> memref<4xf32> {
  %zero = arith.constant 0.0 : f32
  %db = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%db : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(b, c) -> (b, c)>, affine_map<(b, c) -> (c)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%dy : memref<8x4xf32>) outs(%db : memref<4xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %b = linalg.index 0 : index
    %i = arith.index_cast %b : index to i32
    %f = arith.sitofp %i : i32 to f32
    %t = arith.mulf %x, %f : f32
    %s = arith.addf %acc, %t fastmath<reassoc> : f32
    linalg.yield %s : f32
  }
  return %db : memref<4xf32>
}

// -----

/// A scalar operand is used as it is.

// CHECK-LABEL: func.func @scalar_operand
// CHECK-SAME: (%[[A:.*]]: memref<4x5xf32>, %[[S:.*]]: f32, %[[C:.*]]: memref<4x16xf32>)
// CHECK: scf.for
// CHECK:   %[[X:.*]] = memref.load %[[A]]
// CHECK:   arith.mulf %[[X]], %[[S]] : f32
func.func @scalar_operand(%a: memref<4x5xf32>, %scale: f32, %c: memref<4x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> ()>, affine_map<(i, j, k) -> (i, j)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %scale : memref<4x5xf32>, f32) outs(%c : memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// Left to convert-linalg-to-parallel-loops: a maximum (lpq-gpu-prepare-loops
/// makes such reductions block-wide: block maxima), an output without
/// parallel dimensions (a dot product), a parallel loop the output does not
/// name (threads would race on an element), two outputs, an input that is a
/// view of the output (it would read finished results).

// CHECK-LABEL: func.func @untouched
// CHECK-COUNT-4: linalg.generic
// CHECK: linalg.matmul
// CHECK-NOT: scf.parallel
#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#o = affine_map<(i, j, k) -> (i, j)>
#row = affine_map<(i, j, k) -> (i)>
#v = affine_map<(k) -> (k)>
#s = affine_map<(k) -> ()>
func.func @untouched(%a: memref<4x5xf32>, %b: memref<5x16xf32>, %c: memref<4x16xf32>,
                     %u: memref<5xf32>, %dot: memref<f32>, %r: memref<4xf32>,
                     %c2: memref<4x16xf32>, %sq: memref<4x4xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x5xf32>, memref<5x16xf32>) outs(%c : memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %m = arith.maximumf %acc, %p : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#v, #v, #s], iterator_types = ["reduction"]}
      ins(%u, %u : memref<5xf32>, memref<5xf32>) outs(%dot : memref<f32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  }
  linalg.generic {indexing_maps = [#a, #b, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x5xf32>, memref<5x16xf32>) outs(%r : memref<4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  }
  linalg.generic {indexing_maps = [#a, #b, #o, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x5xf32>, memref<5x16xf32>) outs(%c, %c2 : memref<4x16xf32>, memref<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32, %acc2: f32):
    %p = arith.mulf %x, %y : f32
    %t = arith.addf %acc, %p : f32
    %t2 = arith.addf %acc2, %x : f32
    linalg.yield %t, %t2 : f32, f32
  }
  %view = memref.subview %sq[0, 0] [4, 4] [1, 1] : memref<4x4xf32> to memref<4x4xf32, strided<[4, 1]>>
  linalg.matmul ins(%view, %sq : memref<4x4xf32, strided<[4, 1]>>, memref<4x4xf32>) outs(%sq : memref<4x4xf32>)
  return
}
