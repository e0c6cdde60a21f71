// The static estimate of the memory lines each launch requests
// (lpq-gpu-access-report, through lpq-gpu-pipeline's access-report option).
// RUN: lpq-opt %s --lpq-gpu-pipeline="access-report" -o /dev/null 2>&1 \
// RUN:   | FileCheck %s
// RUN: lpq-opt %s --lpq-gpu-pipeline="access-report transpose-contractions=false" \
// RUN:   -o /dev/null 2>&1 | FileCheck %s --check-prefix=UNTRANSPOSED
// RUN: lpq-opt %s --lpq-gpu-pipeline="access-report pool-adjoint-elementwise=false" \
// RUN:   -o /dev/null 2>&1 | FileCheck %s --check-prefix=SCATTER

// 4096 elements in 4 blocks of 256 threads, 4 elements per thread: 32 warps,
// each runs 4 x (2 loads + 1 store); a warp's 32 consecutive floats are one
// line.
// CHECK: remark: kernel "add_kernel": 32 warps, 384 warp-wide accesses, 384 lines of 128 bytes, 0 accesses unknown, at most 12 accesses by one thread
func.func @add(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %e = tensor.empty() : tensor<64x64xf32>
  %r = linalg.add ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>)
                  outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// A transposing copy: the stores are one line per warp, the loads (a stride
// of 64 floats between threads) 32: 128 x 1 + 128 x 32 lines.
// CHECK: remark: kernel "transpose_kernel": 32 warps, 256 warp-wide accesses, 4224 lines of 128 bytes, 0 accesses unknown, at most 8 accesses by one thread
func.func @transpose(%a: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %e = tensor.empty() : tensor<64x64xf32>
  %r = linalg.transpose ins(%a : tensor<64x64xf32>) outs(%e : tensor<64x64xf32>)
                        permutation = [1, 0]
  return %r : tensor<64x64xf32>
}

// A product accumulating in a register: per output element 16 iterations of
// two loads, a[i, k] the same for the warp's threads (one line), b[k, j]
// consecutive (one line), and a store: 32 warps x 4 x (32 + 1); a thread
// runs 4 x 33 in a row.
// CHECK: remark: kernel "product_kernel": 32 warps, 4224 warp-wide accesses, 4224 lines of 128 bytes, 0 accesses unknown, at most 132 accesses by one thread
func.func @product(%a: tensor<64x16xf32>, %b: tensor<16x64xf32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<64x16xf32>, tensor<16x64xf32>)
                     outs(%f : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// An index read from memory: the gathered load's address is unknown (counted
// as one line). 32 indices of 8 bytes take two lines. The 32 elements run in
// a block of 256 threads; only its first warp gets past the bounds check:
// 2 + 1 + 1 lines.
// CHECK: remark: kernel "gather_kernel": 8 warps, 3 warp-wide accesses, 4 lines of 128 bytes, 1 accesses unknown, at most 3 accesses by one thread
func.func @gather(%table: tensor<100xf32>, %at: tensor<32xindex>) -> tensor<32xf32> {
  %e = tensor.empty() : tensor<32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%at : tensor<32xindex>) outs(%e : tensor<32xf32>) {
  ^bb0(%i: index, %out: f32):
    %v = tensor.extract %table[%i] : tensor<100xf32>
    linalg.yield %v : f32
  } -> tensor<32xf32>
  return %r : tensor<32xf32>
}

// Two independent nests in one launch (lpq-gpu-fuse-launches): the 4 blocks
// of the first, as in @add, and the one block of the second (256 elements,
// one per thread: 8 warps x 3 accesses); each access counts for the blocks
// that dispatch to its nest only.
// CHECK: remark: kernel "two_kernel": 40 warps, 408 warp-wide accesses, 408 lines of 128 bytes, 0 accesses unknown, at most 12 accesses by one thread
func.func @two(%a: tensor<64x64xf32>, %b: tensor<16x16xf32>) -> (tensor<64x64xf32>, tensor<16x16xf32>) {
  %e = tensor.empty() : tensor<64x64xf32>
  %r = linalg.add ins(%a, %a : tensor<64x64xf32>, tensor<64x64xf32>)
                  outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %e2 = tensor.empty() : tensor<16x16xf32>
  %r2 = linalg.add ins(%b, %b : tensor<16x16xf32>, tensor<16x16xf32>)
                   outs(%e2 : tensor<16x16xf32>) -> tensor<16x16xf32>
  return %r, %r2 : tensor<64x64xf32>, tensor<16x16xf32>
}

// A launch whose sizes depend on a dynamic extent gets no estimate.
// CHECK: remark: lpq-gpu-access-report: launch sizes not constant; no estimate
func.func @dynamic(%a: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.add ins(%a, %a : tensor<?xf32>, tensor<?xf32>)
                  outs(%e : tensor<?xf32>) -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// x @ w.T, w read as [n, k]: lpq-transpose-contractions (on by default)
// gives the product a transposed copy of w (8 warps x 4 iterations: loads 16
// floats apart, 16 lines, stores one), and the product reads the copy along
// n, one line per access. Without it, the product's loads of w are 16 floats
// apart at each of the 16 k: 32 warps x 4 x (16 x (16 + 1) + 1) lines.
// CHECK: remark: kernel "x_wt_kernel": 8 warps, 64 warp-wide accesses, 544 lines of 128 bytes
// CHECK: remark: kernel "x_wt_kernel": 32 warps, 4224 warp-wide accesses, 4224 lines of 128 bytes
// UNTRANSPOSED: remark: kernel "x_wt_kernel": 32 warps, 4224 warp-wide accesses, 34944 lines of 128 bytes
func.func @x_wt(%x: tensor<64x16xf32>, %w: tensor<64x16xf32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %r = linalg.matmul indexing_maps = [affine_map<(i, j, k) -> (i, k)>,
                                      affine_map<(i, j, k) -> (j, k)>,
                                      affine_map<(i, j, k) -> (i, j)>]
                     ins(%x, %w : tensor<64x16xf32>, tensor<64x16xf32>)
                     outs(%f : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// Max pooling's input adjoint (2x2 windows, stride 2) over [2, 32, 8, 8]:
// elementwise by default (pool-adjoint-elementwise), 2048 elements of one
// thread each, every access one line or less per warp; in scatter form one
// thread per (image, channel), 64 threads (2 warps of a 256-thread block)
// whose loads are 64 floats (x) or 16 floats (y, dy) apart, 320 accesses in
// a row each. (The kernel before each is the zero fill.)
// CHECK: remark: kernel "pool_adjoint_kernel": 32 warps, 640 warp-wide accesses, 640 lines of 128 bytes, 0 accesses unknown, at most 20 accesses by one thread
// SCATTER: remark: kernel "pool_adjoint_kernel": 8 warps, 640 warp-wide accesses, 16384 lines of 128 bytes, 0 accesses unknown, at most 320 accesses by one thread
#px = affine_map<(b, c, oh, ow, kh, kw) -> (b, c, oh * 2 + kh, ow * 2 + kw)>
#pk = affine_map<(b, c, oh, ow, kh, kw) -> (kh, kw)>
#py = affine_map<(b, c, oh, ow, kh, kw) -> (b, c, oh, ow)>
func.func @pool_adjoint(%x: tensor<2x32x8x8xf32>, %y: tensor<2x32x4x4xf32>, %dy: tensor<2x32x4x4xf32>) -> tensor<2x32x8x8xf32> {
  %z = arith.constant 0.0 : f32
  %window = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<2x32x8x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x32x8x8xf32>) -> tensor<2x32x8x8xf32>
  %r = linalg.generic {indexing_maps = [#px, #pk, #py, #py, #px],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]}
      ins(%x, %window, %y, %dy : tensor<2x32x8x8xf32>, tensor<2x2xf32>, tensor<2x32x4x4xf32>, tensor<2x32x4x4xf32>)
      outs(%f : tensor<2x32x8x8xf32>) {
  ^bb0(%in: f32, %w: f32, %max: f32, %grad: f32, %out: f32):
    %eq = arith.cmpf oeq, %in, %max : f32
    %t = arith.select %eq, %grad, %z : f32
    %s = arith.addf %out, %t : f32
    linalg.yield %s : f32
  } -> tensor<2x32x8x8xf32>
  return %r : tensor<2x32x8x8xf32>
}
