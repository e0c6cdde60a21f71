// RUN: lpq-opt %s -lpq-gpu-device-allocations | FileCheck %s

/// Host temporaries move to device memory; device code is left alone.
// CHECK-LABEL: func @host
// CHECK: %[[A:.*]] = gpu.alloc (%{{.*}}) : memref<?xf32>
// CHECK-NOT: memref.alloc
// CHECK: gpu.dealloc %[[A]] : memref<?xf32>
func.func @host(%n: index) {
  %a = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  return
}
// CHECK: gpu.module @device
// CHECK: memref.alloca
gpu.module @device {
  gpu.func @k() kernel {
    %a = memref.alloca() : memref<4xf32>
    gpu.return
  }
}
