// lpq-run passes ranked tensors and scalars only; other types in a public
// signature are reported up front, not as an LLVM translation failure.
// RUN: not lpq-run %s --entry=f --arg=rand:4 2>&1 | FileCheck %s

// CHECK: lpq-run: error: function 'f' argument #0 has type memref<4xf32>; lpq-run runs functions on ranked tensors and scalars
// CHECK-NOT: LLVM Translation failed

func.func @f(%a: memref<4xf32>) -> memref<4xf32> {
  return %a : memref<4xf32>
}
