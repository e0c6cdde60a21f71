//===- Passes.td - lpq dialect passes ------------------------*- tablegen -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_TD
#define LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LPQAssignStreamsPass : Pass<"lpq-assign-streams", "::mlir::ModuleOp"> {
  let summary = "Give every stochastic rounding op its own random stream";
  let description = [{
    Stochastic rounding draws its random bits from Philox4x32-10 with the
    op's `stream` id in the counter, so two ops with the same id, seed and
    step would use the same bits and their rounding errors would be
    correlated. This pass walks the module in order, keeps the first op
    with each stream id and gives every later duplicate the smallest id not
    yet used, so every stochastic rounding op draws from its own stream.
    With `renumber`, every op is renumbered 0, 1, 2, ... in walk order.

    Example: two ops with `stream 0` become `stream 0` and `stream 1`.
  }];
  let options = [
    Option<"renumber", "renumber", "bool", /*default=*/"false",
           "Renumber every stochastic rounding op from 0 in walk order">,
  ];
}

def LPQResultsToDestinationsPass
    : Pass<"lpq-results-to-destinations", "::mlir::ModuleOp"> {
  let summary = "Turn tensor results of public functions into memref "
                "destinations the caller allocates";
  let description = [{
    Before bufferization, rewrites every public function that returns ranked
    tensors so that it takes one extra memref argument per result (identity
    layout, appended after the inputs), writes each returned value into it
    with `bufferization.materialize_in_destination` (restrict, writable) and
    returns nothing. A value returned through `tensor.collapse_shape` is
    written into a `memref.expand_shape` view of the destination instead.
    Every public function also gets `llvm.emit_c_interface`, so that its
    lowered form has a `_mlir_ciface_<name>` entry point taking memref
    descriptors by pointer (declared by `lpq-translate --lpq-to-c-header`). With `eliminate-empty-tensors`, one-shot bufferization
    then computes the results directly in the caller's buffers: no
    allocation and no copy per call, whatever the shapes (upstream
    `buffer-results-to-out-params` only avoids the copy for static shapes).

    Example:
    ```mlir
    func.func @f(%x: tensor<?xf32>) -> tensor<?xf32>
    // becomes
    func.func @f(%x: tensor<?xf32>, %out0: memref<?xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
}

def LPQSetVectorWidthPass : Pass<"lpq-set-vector-width", "::mlir::ModuleOp"> {
  let summary = "Set the vector width LLVM's vectorizers prefer for every "
                "LLVM function";
  let description = [{
    Adds the LLVM function attribute `prefer-vector-width` (in bits) to every
    `llvm.func` with a body, through its `passthrough` list, so that LLVM's
    loop and SLP vectorizers use vectors of that width when the module is
    compiled (e.g. 256 on CPUs where 512-bit vectors lower the clock). A
    width of 0 leaves the target's default. `lpq-cpu-pipeline` runs it with
    its `vector-width` option.

    Example: `-lpq-set-vector-width=width=256` gives
    `passthrough = [["prefer-vector-width", "256"]]`.
  }];
  let options = [
    Option<"width", "width", "unsigned", /*default=*/"0",
           "Preferred vector width in bits (0: the target's default)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def LPQGPUPrepareLoopsPass
    : Pass<"lpq-gpu-prepare-loops", "::mlir::func::FuncOp"> {
  let summary = "Shape bufferized loop nests for mapping onto GPU blocks and "
                "threads";
  let description = [{
    Runs on host functions after `convert-linalg-to-parallel-loops`:

    - every outermost `scf.parallel` has its innermost dimension tiled by
      `block-size` (fixed tile bounds with an in-bounds check inside), so the
      inner tile becomes the thread block and the rest the grid;
    - every outermost `scf.for` nest that touches memory (a reduction over a
      whole tensor) is wrapped in a one-iteration `scf.parallel`, so that it
      runs on the device as a one-thread kernel instead of reading device
      memory from the host.

    Then `gpu-map-parallel-loops` and `convert-parallel-loops-to-gpu` turn
    every nest into a `gpu.launch`.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block: tile size of the innermost parallel dimension">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::affine::AffineDialect"];
}

def LPQGPUDeviceAllocationsPass
    : Pass<"lpq-gpu-device-allocations", "::mlir::ModuleOp"> {
  let summary = "Allocate host-side temporaries in device memory";
  let description = [{
    In functions outside `gpu.module`s, replaces `memref.alloc` and
    `memref.dealloc` with `gpu.alloc` and `gpu.dealloc`: after all loops are
    kernels, temporaries (block maxima, row sums) are only touched by device
    code, so they live in device memory.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_TD
