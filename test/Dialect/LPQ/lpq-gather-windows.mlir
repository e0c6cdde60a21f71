// RUN: lpq-opt %s -lpq-gather-windows -split-input-file | FileCheck %s

// The adjoint of a 1-channel convolution's input, as reverse mode writes it:
// dx[b, h + kh, w + kw] += dy[b, h, w] * k[kh, kw]. In gather form dy is
// padded by 2 on each side, the kernel reversed (h came before kh, so the
// new reduction over kh runs backwards), and the output indices parallel.

// CHECK-DAG: #[[$REV:.*]] = affine_map<(d0, d1) -> (d0, -d1 + 2)>
// CHECK-DAG: #[[$PAD:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 + d3, d2 + d4)>
// CHECK-DAG: #[[$KER:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4)>
// CHECK-LABEL: func.func @conv_input_adjoint
// CHECK:      %[[K0:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel"]}
// The two windows' paddings are merged into one pad (one copy of dy).
// CHECK:      %[[P1:.*]] = tensor.pad %arg0 low[0, 2, 2] high[0, 2, 2]
// CHECK:      tensor.yield %{{.*}} : f32
// CHECK-NOT:  tensor.pad
// CHECK:      %[[K1:.*]] = linalg.generic {indexing_maps = [#[[$REV]], #{{.*}}], iterator_types = ["parallel", "parallel"]} ins(%[[K0]]
// CHECK:      linalg.generic {indexing_maps = [#[[$PAD]], #[[$KER]], #[[$OUT]]],
// CHECK-SAME:   iterator_types = ["parallel", "reduction", "reduction", "parallel", "parallel"]}
// CHECK-SAME:   ins(%[[P1]], %[[K1]] :
#dy = affine_map<(b, h, w, kh, kw) -> (b, h, w)>
#k = affine_map<(b, h, w, kh, kw) -> (kh, kw)>
#dx = affine_map<(b, h, w, kh, kw) -> (b, h + kh, w + kw)>
func.func @conv_input_adjoint(%dy: tensor<2x4x4xf32>, %k: tensor<3x3xf32>,
                              %dx: tensor<2x6x6xf32>) -> tensor<2x6x6xf32> {
  %r = linalg.generic {indexing_maps = [#dy, #k, #dx],
                       iterator_types = ["parallel", "reduction", "reduction", "reduction", "reduction"]}
      ins(%dy, %k : tensor<2x4x4xf32>, tensor<3x3xf32>) outs(%dx : tensor<2x6x6xf32>) {
  ^bb0(%g: f32, %w: f32, %acc: f32):
    %p = arith.mulf %g, %w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x6x6xf32>
  return %r : tensor<2x6x6xf32>
}

// -----

// Kernel loops first: the reduction runs forwards and the padded operand is
// read at y + 2 - u; nothing is reversed.

// CHECK-DAG: #[[$PADF:.*]] = affine_map<(d0, d1) -> (d1 - d0 + 2)>
// CHECK-LABEL: func.func @kernel_first
// CHECK-NOT:  linalg.generic {{.*}}"parallel"]} ins(%arg1
// CHECK:      linalg.generic {indexing_maps = [#[[$PADF]], #{{.*}}, #{{.*}}], iterator_types = ["reduction", "parallel"]}
#a = affine_map<(k, h) -> (h)>
#b = affine_map<(k, h) -> (k)>
#o = affine_map<(k, h) -> (h + k)>
func.func @kernel_first(%x: tensor<10xf32>, %k: tensor<3xf32>,
                        %y: tensor<12xf32>) -> tensor<12xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #o], iterator_types = ["reduction", "reduction"]}
      ins(%x, %k : tensor<10xf32>, tensor<3xf32>) outs(%y : tensor<12xf32>) {
  ^bb0(%g: f32, %w: f32, %acc: f32):
    %p = arith.mulf %g, %w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<12xf32>
  return %r : tensor<12xf32>
}

// -----

// Strided windows (2 * h + kh, as max pooling's adjoint has) stay as they are.

// CHECK-LABEL: func.func @strided
// CHECK-NOT: tensor.pad
#sa = affine_map<(h, k) -> (h)>
#sk = affine_map<(h, k) -> (k)>
#so = affine_map<(h, k) -> (h * 2 + k)>
func.func @strided(%x: tensor<4xf32>, %k: tensor<2xf32>, %y: tensor<8xf32>) -> tensor<8xf32> {
  %r = linalg.generic {indexing_maps = [#sa, #sk, #so], iterator_types = ["reduction", "reduction"]}
      ins(%x, %k : tensor<4xf32>, tensor<2xf32>) outs(%y : tensor<8xf32>) {
  ^bb0(%g: f32, %w: f32, %acc: f32):
    %p = arith.mulf %g, %w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// A window combined by max is left alone: padding with 0 would change it.

// CHECK-LABEL: func.func @max_window
// CHECK-NOT: tensor.pad
#ma = affine_map<(h, k) -> (h)>
#mk = affine_map<(h, k) -> (k)>
#mo = affine_map<(h, k) -> (h + k)>
func.func @max_window(%x: tensor<4xf32>, %k: tensor<2xf32>, %y: tensor<5xf32>) -> tensor<5xf32> {
  %r = linalg.generic {indexing_maps = [#ma, #mk, #mo], iterator_types = ["reduction", "reduction"]}
      ins(%x, %k : tensor<4xf32>, tensor<2xf32>) outs(%y : tensor<5xf32>) {
  ^bb0(%g: f32, %w: f32, %acc: f32):
    %p = arith.mulf %g, %w : f32
    %s = arith.maximumf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<5xf32>
  return %r : tensor<5xf32>
}
