// RUN: lpq-opt %s -lpq-gather-windows=non-overlapping -split-input-file | FileCheck %s
// RUN: lpq-opt %s -lpq-gather-windows -split-input-file | FileCheck %s --check-prefix=OFF

// Max pooling's input adjoint as reverse mode writes it (2x2 windows, stride
// 2): dx[b, c, 2 oh + kh, 2 ow + kw] += (x == y[b, c, oh, ow]) ? dy : 0, with
// only b and c parallel. Each element of dx is in exactly one window: with
// non-overlapping, the generic is elementwise over dx, reading y and dy at
// [h floordiv 2, w floordiv 2] and the window's (unused) kernel at
// [h mod 2, w mod 2]; the body is unchanged.

// CHECK-DAG: #[[$X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$K:.*]] = affine_map<(d0, d1, d2, d3) -> (d2 mod 2, d3 mod 2)>
// CHECK-DAG: #[[$Y:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 floordiv 2, d3 floordiv 2)>
// CHECK-LABEL: func.func @pool_adjoint
// CHECK:      linalg.generic {indexing_maps = [#[[$X]], #[[$K]], #[[$Y]], #[[$Y]], #[[$X]]],
// CHECK-SAME:   iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK:        arith.cmpf oeq
// CHECK:        arith.select
// CHECK:        arith.addf
// OFF-LABEL: func.func @pool_adjoint
// OFF:       iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]
#x = affine_map<(b, c, oh, ow, kh, kw) -> (b, c, oh * 2 + kh, ow * 2 + kw)>
#k = affine_map<(b, c, oh, ow, kh, kw) -> (kh, kw)>
#y = affine_map<(b, c, oh, ow, kh, kw) -> (b, c, oh, ow)>
func.func @pool_adjoint(%x: tensor<2x3x8x8xf32>, %y: tensor<2x3x4x4xf32>, %dy: tensor<2x3x4x4xf32>) -> tensor<2x3x8x8xf32> {
  %z = arith.constant 0.0 : f32
  %window = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<2x3x8x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x3x8x8xf32>) -> tensor<2x3x8x8xf32>
  %r = linalg.generic {indexing_maps = [#x, #k, #y, #y, #x],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]}
      ins(%x, %window, %y, %dy : tensor<2x3x8x8xf32>, tensor<2x2xf32>, tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>)
      outs(%f : tensor<2x3x8x8xf32>) {
  ^bb0(%in: f32, %w: f32, %max: f32, %grad: f32, %out: f32):
    %eq = arith.cmpf oeq, %in, %max : f32
    %t = arith.select %eq, %grad, %z : f32
    %s = arith.addf %out, %t : f32
    linalg.yield %s : f32
  } -> tensor<2x3x8x8xf32>
  return %r : tensor<2x3x8x8xf32>
}

// -----

// Windows that do not cover the output (9 rows, 4 windows of 2) leave the
// last row without a term: the generic stays as it is. So do overlapping
// windows (stride 1, windows of 2).

// CHECK-LABEL: func.func @not_covered
// CHECK:       iterator_types = ["parallel", "reduction", "reduction"]
// CHECK-LABEL: func.func @overlapping
// CHECK:       iterator_types = ["parallel", "reduction", "reduction"]
func.func @not_covered(%dy: tensor<3x4xf32>) -> tensor<3x9xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x9xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3x9xf32>) -> tensor<3x9xf32>
  %w = tensor.empty() : tensor<2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(b, o, k) -> (b, o)>, affine_map<(b, o, k) -> (k)>, affine_map<(b, o, k) -> (b, o * 2 + k)>],
                       iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%dy, %w : tensor<3x4xf32>, tensor<2xf32>) outs(%f : tensor<3x9xf32>) {
  ^bb0(%g: f32, %u: f32, %out: f32):
    %s = arith.addf %out, %g : f32
    linalg.yield %s : f32
  } -> tensor<3x9xf32>
  return %r : tensor<3x9xf32>
}
func.func @overlapping(%dy: tensor<3x7xf32>) -> tensor<3x8xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3x8xf32>) -> tensor<3x8xf32>
  %w = tensor.empty() : tensor<2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(b, o, k) -> (b, o)>, affine_map<(b, o, k) -> (k)>, affine_map<(b, o, k) -> (b, o + k)>],
                       iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%dy, %w : tensor<3x7xf32>, tensor<2xf32>) outs(%f : tensor<3x8xf32>) {
  ^bb0(%g: f32, %u: f32, %out: f32):
    %s = arith.addf %out, %g : f32
    linalg.yield %s : f32
  } -> tensor<3x8xf32>
  return %r : tensor<3x8xf32>
}
