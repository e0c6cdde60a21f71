//===- Passes.td - lpq dialect passes ------------------------*- tablegen -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_TD
#define LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LPQAssignStreamsPass : Pass<"lpq-assign-streams", "::mlir::ModuleOp"> {
  let summary = "Give every stochastic rounding and SQ selection op its own random stream";
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
    descriptors by pointer (declared by `lpq-translate --lpq-to-c-header`);
    lpq's argument markers (`lpq.param`) are dropped. With `eliminate-empty-tensors`, one-shot bufferization
    then computes the results directly in the caller's buffers: no
    allocation and no copy per call, whatever the shapes (upstream
    `buffer-results-to-out-params` only avoids the copy for static shapes).

    With `check-extents` (set by the pipelines' `runtime-checks`), a
    function whose results have dynamic extents first checks that its
    destinations have them: the extents `<name>_result_dims`
    (`lpq-result-dims`) computes are computed again at the function's entry
    and compared with the destinations' with `cf.assert`, before anything
    is written (a caller that sized a destination wrongly gets the failing
    result and dimension instead of writes out of bounds). Only where
    `<name>_result_dims` is a few scalar operations on the arguments' extents
    (no loops, no memory reads, no element of an argument); otherwise
    unchecked.

    Example:
    ```mlir
    func.func @f(%x: tensor<?xf32>) -> tensor<?xf32>
    // becomes
    func.func @f(%x: tensor<?xf32>, %out0: memref<?xf32>)
    ```
  }];
  let options = [
    Option<"checkExtents", "check-extents", "bool", /*default=*/"false",
           "Check at entry that destinations have the results' dynamic "
           "extents">,
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::cf::ControlFlowDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
}

def LPQSpecializeBatchPass : Pass<"lpq-specialize-batch", "::mlir::ModuleOp"> {
  let summary = "Compile a model with a dynamic batch for one batch size";
  let description = [{
    A model exported with a symbolic batch (`tensor<?x1x28x28xf32>`) runs
    every kernel over extents it reads at run time: fewer fused loops, no
    register-tiled products, about half the speed of the same model with
    the batch written in. When the batch size is known before compiling
    (`lpq-run train --batch=N`), this pass gives the leading dimension of
    every ranked tensor argument of every public function that has one
    dynamic there the extent `size`: the argument takes the static type and
    a `tensor.cast` back to the dynamic one feeds its uses, so function
    results keep their types and callers their calling convention; the
    canonicalizations of the pipelines then carry the static extent through
    the program. Other dynamic dimensions are left alone. `size` must be
    positive.

    Example (`lpq-specialize-batch{size=128}`):
    ```mlir
    func.func @f(%x: tensor<?x784xf32>) -> tensor<?x10xf32>
    // becomes
    func.func @f(%x: tensor<128x784xf32>) -> tensor<?x10xf32> {
      %0 = tensor.cast %x : tensor<128x784xf32> to tensor<?x784xf32>
      ...
    ```
  }];
  let options = [
    Option<"size", "size", "int64_t", /*default=*/"0",
           "The batch: the extent given to every dynamic leading dimension "
           "of public functions' tensor arguments">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def LPQResultDimsPass : Pass<"lpq-result-dims", "::mlir::ModuleOp"> {
  let summary = "Give every public function with dynamically shaped results "
                "a function computing their extents";
  let description = [{
    A caller allocates a compiled function's results
    (`lpq-results-to-destinations`), so it must know their shapes before the
    call. For every public function `f` with a dynamic dimension in a ranked
    tensor result, this pass adds a public function `f_result_dims` taking
    the same arguments and returning a `tensor<Kxi64>`: the K dynamic
    extents of f's results, result by result, dimension by dimension. It is
    a copy of f whose return is replaced by those extents; followed by
    `convert-lpq-to-arith`, `resolve-ranked-shaped-type-result-dims` and
    canonicalization (as in the pipelines), the extents are computed from
    the arguments' and the computation itself is erased (where the extents
    cannot be resolved, the copy computes what it needs: slower, still
    right). `lpq-run` and the trainer call it to size
    results; `lpq-translate --lpq-to-c-header` declares it. A function
    already named `f_result_dims` is an error.

    As the first pass of both pipelines it also refuses a `tensor.dim` or
    `memref.dim` whose constant index is outside its operand's rank
    (undefined behaviour, on which upstream folders read out of bounds).

    Example:
    ```mlir
    func.func @f(%x: tensor<?x784xf32>, %w: tensor<10x784xf32>)
        -> tensor<?x10xf32>
    // gains
    func.func @f_result_dims(%x: tensor<?x784xf32>, %w: tensor<10x784xf32>)
        -> tensor<1xi64>   // [dim(%x, 0)] after resolution
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def LPQSkipRoundingOnGridPass : Pass<"lpq-skip-rounding-on-grid"> {
  let summary = "Skip stochastic roundings whose input already lies on the "
                "grid";
  let description = [{
    Stochastic rounding returns a value that already lies on its format's
    grid unchanged, whatever its random word (DESIGN.md 2.2). For every
    `lpq.stochastic_round` marked `lpq.expect_on_grid` (by `lpq-train-step`:
    the weight quantizer of SWALP and SGD-LP, whose input is the previous
    step's accumulator, rounded onto the same format) with a static shape of
    at least `min-elements` elements, this pass first checks whether the
    whole input lies on the grid: rounding it toward zero must give its own
    bits back (same block or tile scales, no saturation, the same signed
    zeros). If so the input is the result, and no random bit is computed;
    otherwise the rounding runs as before. The result is the same bit for
    bit either way; only the time changes (MLP SWALP step: its 512x784
    weight's rounding, about 0.28 ms on one core, becomes a check of about
    0.1 ms; the step is 3-8% faster). Part of `lpq-cpu-pipeline`
    (`skip-on-grid`), before the expansion; not of the GPU pipeline, whose
    host cannot branch on a value in device memory.

    Example:
    ```mlir
    %w = lpq.stochastic_round %acc, %seed, %step : tensor<512x784xf32>
        to #lpq.block<8, axis = [0]> stream 0 {lpq.expect_on_grid}
    // becomes
    %q = lpq.quantize %acc : tensor<512x784xf32>
        to #lpq.block<8, axis = [0]> rounding toward_zero
    %rows = linalg.generic ... // per row: and of bits(%q) == bits(%acc)
    %all = linalg.generic ...  // and over the rows
    %on = tensor.extract %all[] : tensor<i1>
    %w = scf.if %on -> (tensor<512x784xf32>) {
      scf.yield %acc : tensor<512x784xf32>
    } else {
      %r = lpq.stochastic_round %acc, %seed, %step ... stream 0
      scf.yield %r : tensor<512x784xf32>
    }
    ```
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"65536",
           "Smallest input (elements) worth a check: a small rounding costs "
           "less than the branch splitting the step's parallel region">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
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

def LPQGPUReductionLoopsPass
    : Pass<"lpq-gpu-reduction-loops", "::mlir::func::FuncOp"> {
  let summary = "Lower reductions on buffers to one parallel loop over their "
                "outputs, each accumulated in a register";
  let description = [{
    Rewrites every bufferized linalg op with one output, parallel and
    reduction loops and an output indexed by exactly its parallel loops
    (contractions `out += a * b` such as matmuls, convolutions and their
    gradients; sums such as bias gradients) into one `scf.parallel` over
    the output's elements, its dimensions in the output's order (so that on
    the GPU consecutive threads write consecutive elements), whose body
    loads the element once, carries it through a chain of `scf.for` loops
    (the reduction loops in their order) that apply the op's body to it and
    the inputs' elements, and stores it once.
    `convert-linalg-to-parallel-loops` would load and store the element at
    every term: from and to device memory on the GPU, since nothing there
    proves that the operands do not alias (the first convolution's bias
    gradient in the example CNN: 36864 terms per channel, each a load and a
    store).

    When the output buffer was filled with one value just before (a
    `linalg.fill`, or the generic without inputs that fusion makes of one)
    and nothing in between can touch it, the accumulators start from that
    value and the fill goes: one kernel less per reduction. The body sees
    the same values in the same order as in the plain loop nest: results
    are unchanged bit for bit (and equal to `lpq-tile-contractions`' on the
    CPU). Dynamic extents are allowed. Left to the default lowering:
    max/min/and/or reductions (`lpq-gpu-prepare-loops` makes them
    block-wide), outputs without parallel dimensions, several outputs, and
    inputs that are views of the output.

    Example (a fill of zeros and a 128x784 by 784x512 matmul):

    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c512) step (%c1, %c1) {
      %s = scf.for %k = %c0 to %c784 step %c1 iter_args(%acc = %zero) -> (f32) {
        %a = memref.load %A[%i, %k] : memref<128x784xf32>
        %b = memref.load %B[%k, %j] : memref<784x512xf32>
        %p = arith.mulf %a, %b : f32
        %t = arith.addf %acc, %p : f32
        scf.yield %t : f32
      }
      memref.store %s, %C[%i, %j] : memref<128x512xf32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect"];
}

def LPQGPUReductionEpiloguesPass
    : Pass<"lpq-gpu-reduction-epilogues", "::mlir::func::FuncOp"> {
  let summary = "Run a reduction's fill and consumers in the reduction's "
                "loop, one iteration (one GPU block) per reduced element";
  let description = [{
    Runs on host functions after `convert-linalg-to-parallel-loops`, before
    `lpq-gpu-prepare-loops`. A block quantizer lowers to four nests: a zero
    fill of its blocks' maxima, the maxima (a reduction into that buffer),
    the blocks' exponents (elementwise over the maxima), then the rounding;
    on the GPU each nest was a launch, three of them small and all four
    dependent. This pass moves into the loop of the reduction, per
    iteration (per row of the maxima, or the one iteration of a whole
    tensor's maximum):

    - the fill just before, as a store of its value into the iteration's
      element before the reduction (`lpq-gpu-prepare-loops` then starts
      the block's partials from the value);
    - the elementwise nest just after that reads the reduction's results
      (the exponents), each element's body after the reduction of that
      element (thread 0 runs it after the block-wide reduction);
    - the next nest, when it reads what the reduction and that epilogue
      wrote only at the index of the iteration's element (the rounding of
      row `i` reads row `i`'s exponent), as a parallel loop over its other
      dimensions after the epilogue. `lpq-gpu-prepare-loops` puts a barrier
      before it and gives its iterations to the block's threads. Only where
      it does no more iterations per element than the reduction folds
      (rounding a row the block has reduced; not a whole tensor after the
      maximum over its rows' maxima) and all its extents are static.

    The reduction: a nest `lpq-gpu-prepare-loops` makes block-wide (an
    idempotent combine into a fresh static buffer), alone in a parallel
    loop from 0 by 1 over the buffer's dimensions (those of extent 1 may be
    left out), or directly in the function when the buffer has one element
    (it then gets a parallel loop of one iteration). Only pure ops and
    allocations may lie between the nests (they move above the reduction);
    a nest moved in has no regions, and writes nothing the reduction reads.
    Each element is computed by the same operations on the same values:
    the same bits. A block quantizer becomes one launch: the SWALP steps of
    the example MLP and CNN go from 73 to 40 and from 133 to 71 launches.

    ```mlir
    scf.parallel (%i, %z) = (%c0, %c0) to (%c512, %c1) step (%c1, %c1) {
      memref.store %zero, %max[%i, %z] : memref<512x1xf32>
    }
    scf.parallel (%i) = (%c0) to (%c512) step (%c1) {
      scf.for %j = %c0 to %c784 step %c1 { ...%max[%i, %c0] = max(...)... }
    }
    scf.parallel (%i, %z) = (%c0, %c0) to (%c512, %c1) step (%c1, %c1) {
      %m = memref.load %max[%i, %z] : memref<512x1xf32>
      ... memref.store %e, %exp[%i, %z] : memref<512x1xi32>
    }
    scf.parallel (%i, %g, %w) = ... to (%c512, %c196, %c4) ... {
      ... memref.load %exp[%i, %c0] ... (rounding)
    }
    // becomes
    scf.parallel (%i) = (%c0) to (%c512) step (%c1) {
      memref.store %zero, %max[%i, %c0] : memref<512x1xf32>
      scf.for %j = %c0 to %c784 step %c1 { ... }
      %m = memref.load %max[%i, %c0] : memref<512x1xf32>
      ... memref.store %e, %exp[%i, %c0] : memref<512x1xi32>
      scf.parallel (%g, %w) = (%c0, %c0) to (%c196, %c4) step (%c1, %c1) {
        ... memref.load %exp[%i, %c0] ... (rounding)
      }
    }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def LPQGPUEmulateBlocksPass
    : Pass<"lpq-gpu-emulate-blocks", "::mlir::func::FuncOp"> {
  let summary = "Run thread loops that synchronize (block-wide reductions, "
                "barriers) on the host, phase by phase";
  let description = [{
    For tests: the GPU pipeline's loop nests run on the host
    (`buildGPULoopsOnHostPipeline`, the `GPULoopsOnHost` tests), where a
    thread loop is an ordinary loop, but one that synchronizes its threads
    (`gpu.all_reduce`, `gpu.barrier`, from `lpq-gpu-prepare-loops`'
    block-wide reductions and row kernels) cannot run one thread after the
    other. After `lpq-gpu-prepare-loops`, this pass splits each such loop
    (0 to a constant by 1, its synchronizations at the top of its body) at
    its synchronizations into phases, and runs every thread's phase before
    any thread's next: a sequential loop over the threads per phase, the
    values a later phase uses in a buffer of one element per thread, and
    each block-wide reduction folded in thread order over its operands
    between the phases. Within a phase the threads run in reverse order, so
    that a value one thread stores and others read without a barrier
    between shows in the results. The device never sees this pass.

    ```mlir
    scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
      %p = ... partial of thread %t ...
      %r = gpu.all_reduce maxnumf %p uniform {} : (f32) -> f32
      ... uses of %r ...
    }
    // becomes
    %buf = memref.alloc() : memref<256xf32>
    scf.for %i = %c0 to %c256 step %c1 {   // thread 255 - %i
      ... memref.store %p, %buf[%t] ...
    }
    %r = scf.for ... maxnumf over %buf ...
    scf.for %i = %c0 to %c256 step %c1 { ... uses of %r ... }
    memref.dealloc %buf : memref<256xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def LPQGPUFuseLaunchesPass
    : Pass<"lpq-gpu-fuse-launches", "::mlir::func::FuncOp"> {
  let summary = "Schedule independent GPU loop nests into shared launches";
  let description = [{
    Runs on host functions after `lpq-gpu-prepare-loops`, where each top-level
    pair of parallel loops (over blocks, then over the threads of a block)
    becomes one kernel launch, and so does a one-level parallel loop (blocks
    of one thread: a step's sequential kernels, such as its loss's sum),
    which joins a launch of its level whatever that launch's block size,
    running on the first thread of its blocks.
    Between two operations with memory effects (other than such nests and
    allocations) or regions, the nests are scheduled by level: a nest's
    level is one more than the highest level of the earlier nests it
    conflicts with (one writes a buffer the other reads or writes; distinct
    function arguments and distinct allocations are distinct buffers, as in
    `lpq-fuse-row-loops`), 0 if none. Nests of one level are independent,
    and nests that conflict keep their order. A nest alone with its block
    size at its level moves to the latest later level that has its block
    size, if every nest it must precede is later still. The nests of one
    level and one block size become one pair over the blocks of all of
    them, in level order, after the segment's other operations: block `g`
    runs the nest whose range of blocks holds `g`, a test uniform over the
    block, with the thread and element indices it had in its own launch.
    Block-wide reductions (`gpu.all_reduce`) and barriers may be in the
    nests (a block quantizer's row kernel): every thread of a block takes
    the same branch, so all of them reach them; constants in a nest's block
    loop move above it. Nests with other GPU operations, inner parallel
    loops or allocations stay apart and end a segment. Every element is
    computed by the same operations: the same bits.

    Launches per step of the example models (float32 / SWALP): MLP 27 / 102
    before this pass, 16 / 32 with consecutive nests only (twelfth and
    thirteenth sessions, with `lpq-gpu-reduction-epilogues`), 11 / 17
    scheduled by level, with the one-thread kernels in other launches and
    with `lpq-gpu-recompute-block-reductions` and
    `lpq-gpu-reduction-prologues` (fifteenth session); CNN 47 / 188, 25 /
    61, 19 / 39.
    What is left is the step's chain of dependent nests. Where the nests
    are of very different sizes, the fused launch is as long as the longest
    (the blocks of the small ones finish early); the launches saved are what
    a step of small tensors pays for (not measured: no device has been
    lent).

    Example (two updates of 8 and 200 elements, blocks of 256 threads):

    ```mlir
    scf.parallel (%b) = (%c0) to (%c8) step (%c256) {
      scf.parallel (%t) = (%c0) to (%c256) step (%c1) { ...bias... }
    }
    scf.parallel (%b) = (%c0) to (%c200) step (%c256) {
      scf.parallel (%t) = (%c0) to (%c256) step (%c1) { ...weight... }
    }
    // becomes one launch of 2 blocks
    scf.parallel (%g) = (%c0) to (%c2) step (%c1) {
      scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
        scf.if (%g in [0, 1)) { ...bias, %b = (%g - 0) * 256... }
        scf.if (%g in [1, 2)) { ...weight, %b = (%g - 1) * 256... }
      }
    }
    ```
  }];
  let options = [
    Option<"reverseBlocks", "reverse-blocks", "bool", /*default=*/"false",
           "For tests: the fused launch's blocks take their nests in reverse "
           "order (block g runs what block count-1-g would), so that a "
           "dependence between fused nests changes the results where the "
           "loops run in order on the host">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def LPQGPUReductionProloguesPass
    : Pass<"lpq-gpu-reduction-prologues", "::mlir::func::FuncOp"> {
  let summary = "Compute an elementwise nest's elements in the row "
                "reduction that reads them first";
  let description = [{
    Runs on host functions after `lpq-gpu-reduction-epilogues`, before
    `lpq-gpu-prepare-loops`. A block quantizer's maxima read the tensor it
    rounds, most often the result of an elementwise nest (SWALP's
    activations after a bias and a ReLU, its errors after the ReLU's
    adjoint): on the GPU one launch writes the tensor and the next reads it
    back. An elementwise nest (a parallel loop from 0 by 1 over static
    extents: loads, pure operations, one store at the loop's indices) whose
    output is next touched by a row reduction (a parallel loop over its
    leading extents holding one memory reduction over its last extent, which
    loads the element at [rows..., j] in that loop or reads the output after
    it) moves into that loop: each element is computed where it was loaded,
    with the same operations on the same values, and stored where the nest
    stored it. Nothing between the two may write what the nest reads, and
    the reduction may not write it either. `lpq-gpu-prepare-loops` then runs
    the reduction as a block per row (the stores are each element's, once).
    One launch and one pass over the tensor fewer per quantizer; the same
    bits.

    Example (a bias and a ReLU, then the rows' maxima):

    ```mlir
    scf.parallel (%r, %j) = (%c0, %c0) to (%c128, %c512) step (%c1, %c1) {
      %v = relu(%mm[%r, %j] + %b[%j])
      memref.store %v, %h[%r, %j]
    }
    scf.parallel (%r) = (%c0) to (%c128) step (%c1) {
      scf.for %j = %c0 to %c512 step %c1 {
        %x = memref.load %h[%r, %j]
        ... max of |%x| into %rowmax[%r] ...
      }
    }
    // becomes
    scf.parallel (%r) = (%c0) to (%c128) step (%c1) {
      scf.for %j = %c0 to %c512 step %c1 {
        %v = relu(%mm[%r, %j] + %b[%j])
        memref.store %v, %h[%r, %j]
        ... max of |%v| into %rowmax[%r] ...
      }
    }
    ```
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def LPQGPUPrepareLoopsPass
    : Pass<"lpq-gpu-prepare-loops", "::mlir::func::FuncOp"> {
  let summary = "Shape bufferized loop nests for mapping onto GPU blocks and "
                "threads";
  let description = [{
    Runs on host functions after `convert-linalg-to-parallel-loops`:

    - stochastic rounding's loop over the four words of a Philox group
      (a last parallel dimension of 4 that computes random bits) becomes a
      sequential loop inside each thread, so that one thread evaluates
      Philox once for four elements instead of four threads once each;
    - every outermost `scf.parallel` is collapsed into one linear dimension
      (`gpu-map-parallel-loops` maps only three dimensions to the hardware,
      and a short innermost dimension would leave most of a block idle) and
      distributed over blocks of `block-size` threads running
      `elements-per-thread` iterations each: thread t of block b runs
      iterations (b * k + j) * B + t, j < k, each behind an in-bounds check
      (a warp reads consecutive elements at every j); loops that fit one
      block get one iteration per thread. The inner loop becomes the thread
      block and the outer one the grid;
    - a reduction into memory in such a loop (a perfect `scf.for` nest that
      loads `acc[I]` from a fresh allocation, combines it with an
      order-independent, idempotent op: max/min, `and`/`or`, and stores it
      back: per-block maxima) becomes block-wide: one thread block per
      iteration of the parallel loop, thread t folds elements t, t + B, ...
      (coalesced) into a partial starting from `acc[I]`, `gpu.all_reduce`
      combines the partials and thread 0 stores. B is `block-size`, or the
      nest's size rounded up to a power of two when smaller; nests of fewer
      than 128 elements (pooling windows) and order-dependent reductions
      (float sums) keep one thread per output. The result is the sequential
      loop's, bit for bit. What `lpq-gpu-reduction-epilogues` moved into
      the loop goes with it: a store of `acc[I]` before the nest (a folded
      fill) becomes the partials' start, the ops after the nest run in
      thread 0 after its store, and a parallel loop last in the body (the
      rounding of the block's row) runs after a `gpu.barrier` on all the
      block's threads, thread t its iterations t, t + B, ... (a Philox
      group's four words in one thread). Where the reduction keeps one
      thread, that thread runs such a loop sequentially;
    - every outermost `scf.for` nest that touches memory (a reduction over a
      whole tensor) is wrapped in a one-iteration `scf.parallel`, so that it
      runs on the device instead of reading device memory from the host: a
      reduction as above on one block of threads, anything else as a
      one-thread kernel. A loop that returns values (`lpq.sq_select`'s
      roulette) goes into that kernel together with the following ops that
      use its values, up to where they are stored to memory (independent
      pure ops and allocations are moved above it); if a value reaches the
      host or a parallel loop first, the pass reports the loop;
    - stores outside any loop (`tensor.from_elements`, such as the extents
      `lpq-result-dims` returns, or a loss) are wrapped the same way,
      consecutive ones together: the host cannot write device memory;
    - a load outside any loop (a reduction's result read back: a grid
      scale, a loss), with the pure ops computing on its value, is cloned
      into every kernel that uses the value and erased, since the host
      cannot read device memory either; a value that reaches anything but
      a kernel (the host's control flow, an allocation's size), or memory
      written between the load and a kernel using it, is reported.

    Then `gpu-map-parallel-loops` and `convert-parallel-loops-to-gpu` turn
    every nest into a `gpu.launch`.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
    Option<"elementsPerThread", "elements-per-thread", "int64_t",
           /*default=*/"4",
           "Iterations of a parallel loop each thread runs (1 for loops that "
           "fit one block)">,
    Option<"blockReductions", "block-reductions", "bool", /*default=*/"true",
           "Turn reductions into memory into block-wide gpu.all_reduce "
           "reductions (off: one thread per output, and the result runs "
           "on the host as well, for testing the rest of the mapping)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::gpu::GPUDialect"];
}

def LPQGPURecomputeBlockReductionsPass
    : Pass<"lpq-gpu-recompute-block-reductions", "::mlir::func::FuncOp"> {
  let summary = "Recompute a one-block maximum in every block of the kernel "
                "that reads it";
  let description = [{
    Runs on host functions after `lpq-gpu-prepare-loops`. A whole-tensor
    block quantizer (SWALP's activations and errors) takes three dependent
    launches on the GPU: its rows' maxima (a block each), one block that
    reduces those into the tensor's maximum and stores it and the exponent
    (thread 0, after a `gpu.all_reduce`), and the rounding, which loads the
    exponent. A maximum (minimum, and, or) gives the same bits whichever
    threads combine which of its terms, and however often, so this pass
    moves the one-block kernel into the start of every block of the kernel
    that reads what it stores: thread `t` does what thread `t mod size` of
    the one block did, every thread does thread 0's work on the result but
    keeps its values instead of storing them, and the reader uses those
    values instead of loading them. One launch fewer per quantizer, the
    same bits.

    Only where that is the same program: the one-block kernel has one
    idempotent, uniform block-wide reduction, its only stores are thread
    0's, after it, into allocations of one element, and nothing after it
    but the reader (by loads) and deallocations uses those; the reader is
    the next kernel to read them, has at least as many threads per block,
    and nothing between the two writes what the one-block kernel reads.

    Example (the exponent of a tensor's maximum over 128 row maxima):

    ```mlir
    scf.parallel (%b) = (%c0) to (%c1) step (%c1) {
      scf.parallel (%t) = (%c0) to (%c128) step (%c1) {
        %p = scf.for %i = %t to %c128 step %c128 ... { max over %rows[%i] }
        %m = gpu.all_reduce maxnumf %p uniform {} : (f32) -> f32
        scf.if (%t == 0) { memref.store %m, %max[]; ...; memref.store %e, %exp[] }
      }
    }
    scf.parallel (%b) = (%c0) to (%n) step (%c1024) {
      scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
        ... memref.load %exp[] ...
      }
    }
    // becomes
    scf.parallel (%b) = (%c0) to (%n) step (%c1024) {
      scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
        %p = scf.for %i = (%t mod 128) to %c128 step %c128 ...
        %m = gpu.all_reduce maxnumf %p uniform {} : (f32) -> f32
        ... %e from %m, used where %exp was loaded ...
      }
    }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
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

def LPQGPUAccessReportPass
    : Pass<"lpq-gpu-access-report", "::mlir::ModuleOp"> {
  let summary = "Estimate the memory lines each GPU launch's warps request";
  let description = [{
    Runs after `gpu-kernel-outlining`, without changing the IR's meaning. For
    every `gpu.launch_func` with constant grid and block sizes, it looks at
    each `memref.load` and `memref.store` of the kernel and evaluates the
    address it accesses for the 32 threads of a warp: thread ids 0-31 along
    x, in the first block that reaches the access (a fused launch
    dispatches its nests on the block id: the `scf.if`s around the access
    are evaluated for every block's thread 0), loop counters at their first
    value, kernel operands that are host constants known, anything computed
    from memory unknown. Threads that fail a bounds check around the access
    do not count. The distinct 128-byte lines these addresses fall in are
    what one warp-wide access requests: 1 when the threads read consecutive
    float32 elements (coalesced) or one element (a broadcast), up to 32
    when each thread reads its own line (a stride of 32 elements or more).
    Weighted by how often the access runs (the constant trip counts of the
    `scf.for` loops around it, where a loop of up to 16 iterations holding a
    bounds check counts the iterations that pass it, times the blocks that
    reach the access and their warps whose first thread passes), this gives:

    - `lpq.warp_accesses`: warp-wide memory instructions the launch runs;
    - `lpq.memory_lines`: the 128-byte lines they request;
    - `lpq.unknown_accesses`: accesses whose address could not be evaluated
      (counted in the first two as one line each);
    - `lpq.thread_accesses`: the most loads and stores one thread runs, in
      sequence (thread 0 of each nest's first block): a kernel with few
      threads that each run a long loop (a sum with few outputs, whose
      order is fixed) is bound by its latency, whatever its lines.

    These are set as attributes on the launch, and with `remarks` also
    reported as a remark there. `lpq-gpu-pipeline{access-report}` runs the
    pipeline up to outlining and this pass with remarks; `lpq-bench-step`
    adds them up per training step. It is a static estimate of the memory
    system's work (caches and alignment not modelled, the first reaching
    block standing for the others), meant for comparing layouts where no
    device is lent: lines per access well above 1 mean uncoalesced loads.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Report each launch's estimate as a remark">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def LPQTrainStepPass : Pass<"lpq-train-step", "::mlir::ModuleOp"> {
  let summary = "Build a quantized training step, evaluation and weight "
                "averaging from a forward function";
  let description = [{
    Takes the forward function `forward` (linalg on tensors, as torch-mlir
    exports it: arguments marked `{lpq.param}` are the parameters, the
    others the input batch; it returns logits [N, C]) and adds:

    - `train_step(params..., momenta..., inputs..., labels: tensor<Nxi32>,
      lr: f32, seed: i64, step: i32) -> (loss: tensor<f32>, logits,
      params'..., momenta'...)`: forward with the recipe's quantizers, mean
      softmax cross-entropy over the integer labels, reverse-mode
      gradients, and SGD with momentum and weight decay on the parameter
      (the weight accumulator): `d = g + wd * p; m' = mu * m + d;
      p' = p - lr * m'` (no dampening, no Nesterov);
    - `evaluate(params..., inputs..., seed: i64, step: i32) -> logits`: the
      forward pass with the recipe's weight and activation quantizers (the
      low-precision model);
    - `swa_update(averages..., params..., n: i32) -> averages'...`:
      `avg + (p - avg) / (n + 1)` in float32 with `lpq.average`.

    `forward` itself stays as it is (the float32 model, used to evaluate
    averaged weights).

    With `loss=mse` the labels are float targets of the logits' type and the
    loss is `sum((y - t)^2) / (2 N)` (linear regression); the module records
    the loss in `lpq.loss`.

    Recipes (`recipe`), as ALGORITHMS.md section 1 (SWALP) gives them:
    - `fp32`: no quantizers;
    - `sgd-lp` and `swalp`: block floating point of `word-length` bits
      (8 by default) with stochastic rounding for W (the weights the forward
      pass uses, Q_W(p)), A (every computed activation entering a matmul or
      convolution), E (the error flowing back into each quantized
      activation), G (weight gradients), M (the momentum, re-quantized after
      each step) and Acc (the parameter itself, after the update). W, G, M
      and Acc share one exponent per index of dim 0 (output rows) for
      tensors of rank >= 2 and one per tensor for vectors; A and E one per
      tensor. `swalp` differs from `sgd-lp` only in how it is trained
      (`lpq-run train` averages its iterates); the module records the recipe
      in the `lpq.recipe` module attribute;
    - `bwn`, `twn`: the weights of rank >= 2 go through BWN
      (`#lpq.binary`) or TWN (`#lpq.ternary`) in the forward pass, per row
      of dim 0; biases and everything else stay float32; the gradient with
      respect to the quantized weight updates the real one
      (straight-through);
    - `sq-bwn`, `sq-twn`: Stochastic Quantization: only a fraction
      `sq-ratio` of each weight's rows is quantized, the rows kept in full
      precision chosen each step by `lpq.sq_select` (error-proportional
      roulette, its own stream; `sq-selection` picks the paper's
      selection functions instead). SQ's stages (0.5, 0.75, 0.875, 1.0) are
      separate compilations, each training from the previous weights;
    - `binaryconnect`: the weights of rank >= 2 go through `grid`
      (`#lpq.grid<binary>` by default: BinaryConnect's +-H, H the Glorot
      bound) in the forward pass, deterministically or with
      `w-rounding=stochastic` (hard-sigmoid binarization); straight-through
      gradients; after each update the real weights are clamped to the
      grid's box (`lpq.grid_clamp`). With a multi-level grid this is plain
      quantize-then-STE training;
    - `askewsgd`: AskewSGD (ALGORITHMS.md 3). The forward pass uses the
      real weights; for weights of rank >= 2 the gradient is replaced by
      `lpq.askew_direction` (tolerance: a trailing `eps: f32` argument of
      `train_step`, annealed by the trainer; step size `askew-alpha`)
      before momentum and weight decay, and the updated weights are clamped
      to the grid's box. `evaluate` rounds the weights onto `grid` (the
      final model). Each constrained weight k also has a scale argument
      `scale_k: f32` after `eps` in `train_step` (and after `step` in
      `evaluate`): 0 uses the weight's own grid scale, a positive value
      replaces it (the trainer freezes the scales when annealing starts, as
      the authors freeze SAWB's); `train_step` returns the scales it used
      (`tensor<f32>` each, after the momenta). The module records the starting tolerance that makes
      every weight feasible in `lpq.askew_eps0` (1 for binary, 1/16 for
      levels).

    Each role's format can be replaced (`w-format` ... `acc-format`: an lpq
    format attribute, or `none`) and its rounding changed (`w-rounding` ...:
    `stochastic` or a deterministic mode such as `nearest_even`). A block
    format with `axis` is applied to vectors as one block. Every stochastic
    quantizer gets its own stream id and the `step` argument, so a run is
    reproducible from its seed. Each quantizer carries an `lpq.role`
    attribute naming its role. A stochastic weight quantizer whose format is
    the accumulator's (SWALP, SGD-LP) also carries `lpq.expect_on_grid`:
    from the second step on, its input is the previous step's rounded
    accumulator, already on the grid (`lpq-skip-rounding-on-grid`).

    Ops on the path from parameters to the loss that cannot be
    differentiated are reported with their name and location.

    Example: `lpq-opt mlp.mlir --lpq-train-step="recipe=swalp"`.
  }];
  let options = [
    Option<"forwardName", "forward", "std::string", /*default=*/"\"forward\"",
           "The forward function">,
    Option<"recipe", "recipe", "std::string", /*default=*/"\"fp32\"",
           "fp32, sgd-lp, swalp, bwn, twn, sq-bwn, sq-twn, binaryconnect "
           "or askewsgd">,
    Option<"grid", "grid", "std::string", /*default=*/"\"#lpq.grid<binary>\"",
           "binaryconnect / askewsgd: the weight grid (#lpq.grid)">,
    Option<"askewAlpha", "askew-alpha", "double", /*default=*/"1.0",
           "askewsgd: step size alpha of the skewed direction">,
    Option<"sqRatio", "sq-ratio", "double", /*default=*/"0.5",
           "sq-bwn / sq-twn: fraction of each weight's rows quantized">,
    Option<"sqSelectionName", "sq-selection", "std::string",
           /*default=*/"\"code\"",
           "sq-bwn / sq-twn: row selection, the authors' code rule or the "
           "paper's constant, linear, softmax or sigmoid">,
    Option<"loss", "loss", "std::string", /*default=*/"\"cross-entropy\"",
           "cross-entropy (integer labels) or mse (float targets)">,
    Option<"wordLength", "word-length", "int", /*default=*/"8",
           "Word length of the recipe's block formats">,
    Option<"momentum", "momentum", "double", /*default=*/"0.9",
           "SGD momentum, in [0, 1)">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"5e-4",
           "L2 weight decay, >= 0">,
    Option<"wFormat", "w-format", "std::string", "\"\"", "Format of W">,
    Option<"aFormat", "a-format", "std::string", "\"\"", "Format of A">,
    Option<"eFormat", "e-format", "std::string", "\"\"", "Format of E">,
    Option<"gFormat", "g-format", "std::string", "\"\"", "Format of G">,
    Option<"mFormat", "m-format", "std::string", "\"\"", "Format of M">,
    Option<"accFormat", "acc-format", "std::string", "\"\"", "Format of Acc">,
    Option<"wRounding", "w-rounding", "std::string", "\"\"", "Rounding of W">,
    Option<"aRounding", "a-rounding", "std::string", "\"\"", "Rounding of A">,
    Option<"eRounding", "e-rounding", "std::string", "\"\"", "Rounding of E">,
    Option<"gRounding", "g-rounding", "std::string", "\"\"", "Rounding of G">,
    Option<"mRounding", "m-rounding", "std::string", "\"\"", "Rounding of M">,
    Option<"accRounding", "acc-rounding", "std::string", "\"\"",
           "Rounding of Acc">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::lpq::LPQDialect"];
}

def LPQFuseElementwisePass : Pass<"lpq-fuse-elementwise"> {
  let summary = "Fuse elementwise producers into consumers that do not "
                "recompute them";
  let description = [{
    Upstream elementwise fusion (`linalg-fuse-elementwise-ops`'s patterns)
    restricted to producers with one use whose consumer has as many loops as
    the producer: each producer element is still computed once. Upstream's
    default would also fuse a quantizer into the matmul that reads it,
    recomputing it (Philox included) once per row of the other operand.

    A producer with several uses fuses into its first elementwise consumer
    when both read and write in the same order (identity maps) and every
    other user comes after that consumer: the fused generic yields the
    producer's result as well, and the other users read that. SGD's
    momentum, which the weight update reads and the step returns (SWALP:
    which its quantizer reads too), is computed in the weight update's loop
    instead of a loop of its own. A sum into a zero-filled tensor that ends
    up as such a fused generic's unused result (the gradient of a
    parameter) is no longer written: its init becomes an input, the fill
    folds into the payload and the result goes.

    Example: `quantize(w)` followed by a transpose becomes one generic; the
    transposed result feeding a matmul stays a separate loop nest.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::affine::AffineDialect"];
}

def LPQOrderLoopsPass : Pass<"lpq-order-loops"> {
  let summary = "Interchange reduction loops so the innermost loop walks "
                "memory contiguously";
  let description = [{
    For every linalg.generic with reductions whose output map is a
    projected permutation, moves the output's last dimension innermost (the
    other parallel loops outermost, reductions in between, in their
    original order) when more operands are contiguous along it than along
    the current innermost loop. A matmul `(i, j, k)` becomes `(i, k, j)`:
    the inner loop is an axpy over a row of B and C that LLVM vectorizes,
    instead of a dot product it must keep in order. When a reduction loop
    would still be outermost (a column sum: `(i, j) -> (j)` over i), the
    first parallel loop moves outermost, so that the nest is one parallel
    loop (one OpenMP region) rather than a parallel loop per reduction
    step. Each output element still sums its terms in the same order, so
    results are unchanged bit for bit.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def LPQUnshareDestinationsPass : Pass<"lpq-unshare-destinations"> {
  let summary = "Give every destination operand its own tensor.empty or "
                "linalg.fill";
  let description = [{
    CSE merges identical `tensor.empty` and `linalg.fill` ops, so that one
    filled tensor (reverse mode's zero accumulators) becomes the destination
    of several ops. One-shot bufferization then gives it one buffer and
    copies it for every writer but the last: a training step of the CNN
    copied two zero-filled activation gradients (1.5 MB) per step. Before
    bufferization, this pass clones the empty tensor or the fill (with its
    own empty tensor) right before every destination use but one, so each
    op writes a buffer of its own in place; a fill writes what a copy would
    write without reading anything. Values are unchanged.

    Example:
    ```mlir
    %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    %a = linalg.generic ... outs(%z : tensor<8xf32>)
    %b = linalg.generic ... outs(%z : tensor<8xf32>)
    // becomes
    %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
    %a = linalg.generic ... outs(%z : tensor<8xf32>)
    %e2 = tensor.empty() : tensor<8xf32>
    %z2 = linalg.fill ins(%c0 : f32) outs(%e2 : tensor<8xf32>) -> tensor<8xf32>
    %b = linalg.generic ... outs(%z2 : tensor<8xf32>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def LPQCopiesToLoopsPass : Pass<"lpq-copies-to-loops"> {
  let summary = "Rewrite memref.copy as linalg.copy";
  let description = [{
    After bufferization, `memref.copy` (padding a convolution's input into a
    view of a larger buffer, copies bufferization could not avoid) lowers to
    a call of the C runner's `memrefCopy`, which walks a strided view one
    element at a time, or to `memcpy` on one thread, and in the GPU
    pipeline to a host copy of device memory. As `linalg.copy` it becomes a
    loop nest like every other: vectorized and run by OpenMP on the CPU, a
    kernel on the GPU.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def LPQPortableMathPass : Pass<"lpq-portable-math"> {
  let summary = "Compute float32 exp, log and other transcendental functions "
                "the same way on every backend";
  let description = [{
    `math.exp`, `math.log` and the other float32 transcendental functions
    (as in a loss: softmax and cross-entropy) would become calls of the C
    library on the CPU and of libdevice on NVIDIA GPUs: two
    implementations whose last bits differ (and glibc's change between
    versions). This pass replaces them by upstream MLIR's polynomial
    approximations, built from IEEE operations and `math.fma` only, which
    every backend rounds alike: the CPU and GPU pipelines then give the
    same bits for a whole training step. float32 `math.sqrt` is computed in
    float64 and rounded, which is correctly rounded, as the CPU's is
    (libdevice's `__nv_sqrtf` is `sqrt.approx.f32`). float64 functions
    (SQ's softmax and sigmoid selection rules) are left alone: upstream has
    no float64 approximations.

    Example: `math.exp %x : f32` becomes a range reduction by ln 2, a
    polynomial of `math.fma`s and a scaling by a power of two built from
    the exponent bits.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def LPQRollShortReductionsPass : Pass<"lpq-roll-short-reductions"> {
  let summary = "Keep short max/min reduction loops and short elementwise "
                "loops rolled so that LLVM vectorizes them";
  let description = [{
    A block maximum over a short tile (MX's 32 elements) is an innermost
    `scf.for` of a few dozen iterations that loads `acc[I]`, combines it
    with a contiguous element by max or min and stores it back. LLVM's full
    unroller unrolls such a loop before the loop vectorizer sees it, and
    the vectorizer then vectorizes the loop around it across tiles, with a
    gather per unrolled element (MX e4m3 nearest spent about half its time
    in gathers). This pass marks innermost loops of 8 to 128 static
    iterations whose only store is such a reduction (max/min, which
    vectorize without reassociating anything) with
    `llvm.loop_annotation<unroll = <disable = true>>`, which
    `convert-scf-to-cf` carries to the loop's back edge: LLVM then
    vectorizes the loop itself along the tile. The conversion to the LLVM
    dialect leaves it there as a discardable attribute, which the
    translation to LLVM IR ignores; run on the LLVM dialect, the pass moves
    it into `llvm.br`'s `loop_annotation` (`lpq-cpu-pipeline` runs it at
    both points). Results are unchanged.

    The same happens to short elementwise loops: the bias and ReLU of a
    convolution's `[64, 8, 24, 24]` output ran with 48 gathers and scatters
    across the rows. The pass also marks innermost loops of 16 to 128
    static iterations that write only through `memref.store` at their
    induction variable in the last index (8 and 12 iterations vectorize
    well unrolled and are left alone).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def LPQTileContractionsPass : Pass<"lpq-tile-contractions"> {
  let summary = "Lower float32 contractions on buffers to register-tiled "
                "affine loop nests";
  let description = [{
    Rewrites every bufferized linalg op computing `out += a * b` over
    reduction loops (matmul, batch matmul, convolutions and the generics
    reverse mode makes of them) with static shapes into affine loops: the
    output's dimensions outermost, then tiles of `rows` x (`vectors` x
    `lanes`) outputs kept in registers (vectors along the output's last
    dimension, rows along an output dimension the vector operand does not
    read, so each vector load serves every row), then the reduction loops in
    their original order. An outer loop of fewer than 4 iterations does not
    stay outermost when another has more: the outermost loop is the one
    spread over threads (a convolution's weight gradient with 8 filters is
    one tile of 8 rows). Each output element adds its terms one at a time
    in the same order, multiply then add, as the plain loop nest does:
    results are unchanged bit for bit. Operands that are not contiguous
    along the output's last dimension, other element types, a dynamic
    output's last dimension and inputs that are views of the output's
    buffer (read while it is updated) keep the default lowering. Other dynamic
    extents (a symbolic batch) become symbolic loop bounds where the op is
    at the function's top level; along a dynamic tile-row dimension, tiles
    of `rows` rows run up to the last multiple of `rows`, then tiles of one
    row (a 128x784 by 784x512 matmul with a dynamic row count: 4.0 -> 1.2
    ms on one core, as fast as the static one).

    When the output buffer was filled with one value just before (a
    `linalg.fill`, or the generic without inputs that fusion makes of one)
    and nothing in between can touch it (only ops without memory effects,
    allocations, and ops whose effects are on other buffers, when the
    output is a fresh allocation), the accumulators start from that value
    and the fill goes: `v + a*b` first, as before, without storing the fill
    and loading it back (the MLP's float32 step 5-9% faster, its SWALP
    step 2-6%).

    Example: a 128x784 by 784x512 matmul becomes loops over blocks of 4
    rows and 24 columns, each a 784-step loop carrying 12 `vector<8xf32>`
    accumulators.
  }];
  let options = [
    Option<"lanes", "lanes", "unsigned", /*default=*/"8",
           "Elements per vector (8 float32 lanes: AVX2)">,
    Option<"vectors", "vectors", "unsigned", /*default=*/"3",
           "Vectors per tile row">,
    Option<"rows", "rows", "unsigned", /*default=*/"4",
           "Most rows per tile (a divisor of the row extent is used)">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::arith::ArithDialect"];
}

def LPQGatherWindowsPass : Pass<"lpq-gather-windows"> {
  let summary = "Rewrite scatter-form sliding-window contractions into "
                "gather form over zero-padded operands";
  let description = [{
    Reverse mode writes the adjoint of a convolution's input as a scatter:
    `dx[b, c, h + kh, w + kw] += dy[b, f, h, w] * k[f, c, kh, kw]`, where
    only `b` and `c` are parallel loops. For every linalg.generic on tensors
    computing `out + a * b` whose output is indexed by a sum of two
    reduction dimensions (each used
    nowhere else in the output and only as whole indices in the inputs),
    this pass makes the output index a parallel loop `y` and reduces over
    the shorter dimension `u`, reading the other operand zero-padded:
    `dx[b, c, y, x] += pad(dy)[b, f, y + u, x + v] * rev(k)[f, c, u, v]`.
    The new reduction takes the loop position of the earlier of the pair
    and runs in its direction (reversing the kernel when needed), so each
    output element adds its real terms in the same order; the padding only
    adds `0 * k`, which leaves a sum that started at +0 unchanged when `k`
    is finite. Results are unchanged bit for bit for finite weights.

    With `non-overlapping`, a generic whose output is indexed by
    `s * o + k` for non-overlapping windows (reduction dimensions `o` and
    `k`, `k` of extent `s`, the output's extent `s` times `o`'s, every
    reduction dimension such a pair, the body not reading loop indices) is
    rewritten with a parallel loop `y` per such index, reading `o` as
    `y floordiv s` and `k` as `y mod s`: max pooling's input adjoint,
    `dx[b, c, 2 * oh + kh, 2 * ow + kw] += (x == y[b, c, oh, ow]) ?
    dy[b, c, oh, ow] : 0`, becomes elementwise, one output element per
    iteration. Each output element receives exactly one term either way, so
    results are the same bit for bit. `lpq-gpu-pipeline` turns this on: in
    scatter form only `b` and `c` were parallel, one GPU thread per channel
    of an image, and a warp's threads read 576 floats apart.
  }];
  let options = [
    Option<"nonOverlapping", "non-overlapping", "bool", /*default=*/"false",
           "Also rewrite non-overlapping strided windows (max pooling's "
           "input adjoint) into elementwise form">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def LPQTransposeContractionsPass : Pass<"lpq-transpose-contractions"> {
  let summary = "Lay out float32 contractions for vectors along their "
                "output's last axis";
  let description = [{
    `lpq-tile-contractions` vectorizes a contraction along its output's last
    axis. Named contractions (`linalg.matmul` with any indexing maps,
    `linalg.batch_matmul`, ...) are first generalized to `linalg.generic`.
    Then, for every `linalg.generic` on static float32 tensors computing
    `out + a * b`:

    - when it accumulates into a filled matrix that is only read through
      one transposing map (reverse mode's `dW^T`, read transposed by the
      fused optimizer update or copied by a transpose), it computes the
      result in the layout it is read in (output map permuted, a fill of
      the new shape; the readers' maps become the identity, a pure copy
      goes): the MLP's float32 step on one thread, 4.2-4.5 -> 3.5-3.7 ms;

    - when the output's last axis is at least half of `lanes` long, an
      input that reads it as a whole index at another position gets a
      `linalg.transpose` copy with that axis last, so vectors load it
      contiguously (`x @ w.T`, B read as `[n, k]`: a 128x784 by 784x512
      product took 40 ms before, about 1.4 ms with the copy);
    - otherwise rows are short: a convolution's weight gradient
      `dK[f, c, kh, kw]` (last axis 5) would use short vectors. When the
      output's last axis is shorter than half of `lanes` (longer rows
      measured slower transposed), the pass moves the longest output axis
      that at most one input reads (and only as a whole index) to the end
      of the output and of that input, through `linalg.transpose` copies (a
      zero-filled output is filled in the new shape instead), and
      transposes the result back.

    Loops, their order and the body are unchanged: every output element adds
    the same terms in the same order, so results are the same bit for bit.

    Example: `dK[f, c, kh, kw] += x[n, c, h + kh, w + kw] * dy[n, f, h, w]`
    becomes `dK'[c, kh, kw, f] += x[n, c, h + kh, w + kw] * dy'[n, h, w, f]`
    with `dy' = transpose(dy)`, `dK = transpose(dK')`: vectors along the 16
    filters instead of the 5-wide kernel rows. Contractions need exactly two
    inputs: run it after `lpq-fuse-elementwise`, which drops the unused
    operands reverse mode leaves. An input that is itself a transposed copy
    (a `linalg.transpose`, or a generic yielding its input through
    permutation maps, as torch-mlir's `w.T`) and would be transposed back is
    read from the tensor it copied instead. `lpq-cpu-pipeline` runs it with
    its tiles' lanes when `tile-contractions` is on; `lpq-gpu-pipeline`
    with `lanes=1` (its `transpose-contractions` option): a warp's threads
    take consecutive elements along the output's last axis, so reading that
    axis contiguously makes their loads coalesced, and no rows are too
    short.
  }];
  let options = [
    Option<"lanes", "lanes", "unsigned", /*default=*/"16",
           "Vector lanes of the contraction tiles: last axes shorter than "
           "half are rearranged">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def LPQUnswitchFastPathsPass : Pass<"lpq-unswitch-fast-paths"> {
  let summary = "Version loops on the exact fast paths of block rounding";
  let description = [{
    `convert-lpq-to-arith` divides a block's values by the block's power of
    two in two exact scalings and repairs quotients that underflow; for a
    grid step 2^s with s in [-127, 0] (8-bit blocks: largest value below 2^7
    and at least 2^-121)
    one scaling gives the same bits. The lowering emits both, chosen by an
    `arith.select` marked `lpq.fast_path` whose condition depends only on
    the block exponent. Where that exponent does not change inside the
    innermost loop around the select (per-row and per-tensor blocks: the
    loop loads it at indices it does not vary, from an allocation it does
    not write), this pass computes the condition once before the loop and
    versions the loop on it (`scf.if`: a copy of the loop with the fast
    value, the loop itself with the general one). Elsewhere (MX tiles,
    selects outside loops, and everywhere with `unswitch=false`, as in the
    GPU pipeline) the select becomes its general value. Results do not
    change. SWALP's rounding loop runs 47-49 instructions per 32 elements
    (55-57 with the general path alone, 60-62 with both and the select).
  }];
  let options = [
    Option<"unswitch", "unswitch", "bool", /*default=*/"true",
           "Version loops (false: every marked select takes its general "
           "value)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def LPQUnrollRandomGroupsPass : Pass<"lpq-unroll-random-groups"> {
  let summary = "Unroll the loops over the four words of a Philox group";
  let description = [{
    Stochastic rounding of a static last axis that is a multiple of 4 loops
    over groups of four elements, the four words of one Philox4x32-10
    evaluation, with the words innermost (`convert-lpq-to-arith`). Philox
    does not depend on the word, so LLVM hoists it out of that loop, but it
    unrolls the loop only while the rounding body is small, and vectorizes
    the group loop only when it is unrolled (a 4-iteration loop is not worth
    vectorizing by itself): with the float32 block rounding, LLVM's size
    threshold kept the word loop and stochastic block rounding ran scalar,
    ten times slower. This pass fully unrolls innermost `affine.for` loops
    of at most `max-iterations` iterations that compute random bits
    (multiply by one of Philox's two round multipliers), so the group
    loop is the innermost one. Other short loops are left to LLVM: unrolling
    every loop of at most four iterations made the CNN's float32 step 13%
    slower. Nothing else changes: the same operations run in the same order.
  }];
  let options = [
    Option<"maxIterations", "max-iterations", "unsigned", /*default=*/"4",
           "Largest trip count unrolled">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect"];
}

def LPQBufferRandomWordsPass : Pass<"lpq-buffer-random-words"> {
  let summary = "Round stochastic groups in element order from a buffer of "
                "random words";
  let description = [{
    Stochastic rounding of a static last axis that is a multiple of 4 loops
    over Philox groups with the group's four words innermost
    (`convert-lpq-to-arith`). Vectorized as it is, each vector iteration
    deinterleaves its inputs into one vector per word, rounds them and
    interleaves the results again (stride-4 loads and stores): two dozen
    shuffles per 64 elements, as many instructions as the rounding. This
    pass splits such a group loop (an `affine.for`, or a one-dimensional
    `affine.parallel` at the function's top level, from 0 to a constant)
    into tiles of `groups-per-tile` groups, each computed by two loops: the
    first evaluates Philox once per group and stores the four words in
    element order into a stack buffer (`memref.alloca` in a
    `memref.alloca_scope`, so one per thread); the second runs the original
    body once per element, in element order, reading its word from the
    buffer and its operands through views with the last two axes merged.
    Only the words are interleaved, from the 64-bit lanes Philox runs in.
    Every element gets the same word and the same operations: only the loop
    structure changes. Group loops whose words depend on memory are left
    alone. Run it before `lpq-unroll-random-groups`, which then unrolls the
    word loop of the first loop.

    ```mlir
    affine.for %g = 0 to 196 {
      affine.for %k = 0 to 4 {
        %x = affine.load %in[%r, %g, %k] : memref<512x196x4xf32>
        ... Philox of (%r * 196 + %g); %w = select(%k == 0, w0, ...) ...
        affine.store %y, %out[%r, %g, %k] : memref<512x196x4xf32>
      }
    }
    // becomes
    memref.alloca_scope {
      %words = memref.alloca() : memref<784xi32>
      affine.for %g0 = 0 to 196 step 196 {
        affine.for %g = %g0 to min(%g0 + 196, 196) {
          affine.for %k = 0 to 4 {
            ... Philox ...
            affine.store %w, %words[(%g - %g0) * 4 + %k]
          }
        }
        affine.for %e = 0 to min(784, 784 - %g0 * 4) {
          %w = affine.load %words[%e]
          %x = affine.load %in_merged[%r, %g0 * 4 + %e] : memref<512x784xf32>
          ...
          affine.store %y, %out_merged[%r, %g0 * 4 + %e] : memref<512x784xf32>
        }
      }
    }
    ```
  }];
  let options = [
    Option<"groupsPerTile", "groups-per-tile", "int64_t", /*default=*/"256",
           "Philox groups per tile (4 words each in the stack buffer)">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def LPQSinkOutputLoopsPass : Pass<"lpq-sink-output-loops"> {
  let summary = "Move a reduction's output loop inside its reduction loops so that it vectorizes";
  let description = [{
    A reduction whose innermost loop is a reduction loop runs one dependent
    scalar chain per output element: the bias gradient `db[i] += dy[j, i]`
    summed over the batch `j` (reading a column of `dy`), a max-pool
    `out[b, c, h, w] = max(out, in[b, c, 2h + kh, 2w + kw])` over its
    window. LLVM cannot vectorize such an inner loop without reassociating
    float sums, but the outputs are independent. This pass moves the loop
    that walks the output's last, contiguous subscript (coefficient 1)
    innermost, below the reduction loops, so that the innermost loop runs
    over neighbouring outputs and LLVM vectorizes it. Each output still
    takes its terms in the same order; the permutation is checked against
    the nest's dependences (`isValidLoopInterchangePermutation`), so results
    are the same bit for bit. When that loop is the outermost one (the loop
    `affine-parallelize` hands to OpenMP), it is strip-mined into tiles of
    whole cache lines (16, 32, 48 or 64 outputs, dividing its extent, at
    most half of it, so two threads never write the same line) and only the
    intra-tile loop moves; without such a tile the nest is left alone.

    Applies to perfect nests of `affine.for` from 0 with step 1 whose
    innermost body holds one scalar `affine.store` and otherwise only
    `affine.load`s and ops without memory effects. Order-free reductions
    (max, min, integer operations: anything but a float add, subtract or
    multiply) whose inner loop already streams an input along its last axis
    for at least 16 iterations are left alone too: LLVM vectorizes those
    as they are (a row maximum). Part of `lpq-cpu-pipeline` with
    `tile-contractions`, after `convert-linalg-to-affine-loops`.

    ```mlir
    affine.for %i = 0 to 512 {
      affine.for %j = 0 to 128 {
        %d = affine.load %dy[%j, %i] : memref<128x512xf32>
        %s = affine.load %db[%i] : memref<512xf32>
        %t = arith.addf %s, %d : f32
        affine.store %t, %db[%i] : memref<512xf32>
      }
    }
    // becomes
    affine.for %ii = 0 to 512 step 64 {
      affine.for %j = 0 to 128 {
        affine.for %i = #map(%ii) to #map1(%ii) {   // %ii to %ii + 64
          ... the same body
        }
      }
    }
    ```
  }];
}

def LPQVectorizeTransposesPass : Pass<"lpq-vectorize-transposes"> {
  let summary = "Copy transposed matrices in 8x8 register blocks";
  let description = [{
    A transposing copy (`out[i, j] = in[j, i]`: the copy of W that gives
    `x @ W^T` a contiguous operand, `lpq-transpose-contractions`) lowers to
    a loop nest that reads a column of `in` for every row of `out`, one
    scalar load and store per element. This pass rewrites such a nest of
    `affine.for` loops (from 0, extents multiples of 8, float32 matrices
    with contiguous rows) into 8x8 blocks: eight 8-float row loads
    (`affine.vector_load`), the block transposed in registers by three
    rounds of `vector.shuffle` (24 in all), eight row stores. Every element
    is copied unchanged. Part of `lpq-cpu-pipeline` with
    `tile-contractions`, after `convert-linalg-to-affine-loops`.

    ```mlir
    affine.for %i = 0 to 784 {
      affine.for %j = 0 to 512 {
        %v = affine.load %in[%j, %i] : memref<512x784xf32>
        affine.store %v, %out[%i, %j] : memref<784x512xf32>
      }
    }
    // becomes
    affine.for %i = 0 to 784 step 8 {
      affine.for %j = 0 to 512 step 8 {
        %r0 = affine.vector_load %in[%j, %i] : memref<512x784xf32>, vector<8xf32>
        ... %r7 = affine.vector_load %in[%j + 7, %i] ...
        %t0 = vector.shuffle %r0, %r1 [0, 8, 1, 9, 4, 12, 5, 13] : vector<8xf32>, vector<8xf32>
        ...
        affine.vector_store %c0, %out[%i, %j] : memref<784x512xf32>, vector<8xf32>
        ... affine.vector_store %c7, %out[%i + 7, %j] ...
      }
    }
    ```
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::vector::VectorDialect"];
}

def LPQFuseRowLoopsPass : Pass<"lpq-fuse-row-loops"> {
  let summary = "Fuse consecutive loop nests that work on the same rows";
  let description = [{
    A quantizer with one block per row (SWALP's weights, gradients,
    momentum and accumulator) lowers to three nests over the rows (the
    row's maximum, its exponent, the rounding), and an optimizer update
    puts a dozen of them one after another, each a full pass over a tensor
    larger than the core's caches. This pass fuses consecutive top-level
    `affine.for` nests of a function over the same rows (from 0 to the same
    constant; the second with step 1 or the first's step) when every access
    of memory that both nests touch, and one of them writes, addresses in
    its first index only the rows of its own iteration (the induction
    variable plus 0 .. step-1; through reshapes that keep the first axis).
    The second nest's body then runs right after the first's for the same
    rows, while they are in L1. Allocations, reshapes and constants between
    the nests move before the first. Distinct function arguments are taken
    to be distinct buffers (lpq's calling convention). Every element is
    computed by the same operations in the same order within its row:
    results are unchanged bit for bit. In `lpq-cpu-pipeline` with `fusion`
    and `fuse-rows`, after `convert-linalg-to-affine-loops`. Off by default
    in the pipeline; the JIT (lpq-run, the trainer) turns it on on Intel
    CPUs with AVX-512, where it made the MLP's SWALP step 4-6% faster, and
    leaves it off elsewhere (4-9% slower on AMD Zen 4, whose L3 holds the
    example steps' tensors and streams separate passes well).

    ```mlir
    affine.for %i = 0 to 512 step 8 {    // a contraction's row tiles
      ... affine.vector_store %v, %dw[%i + 7, 768] ...
    }
    affine.for %j = 0 to 512 {           // the rows' maxima
      affine.for %k = 0 to 784 {
        %x = affine.load %dw[%j, %k] : memref<512x784xf32>
        ...
        affine.store %m, %max[%j, 0] : memref<512x1xf32>
      }
    }
    // becomes
    affine.for %i = 0 to 512 step 8 {
      ... affine.vector_store %v, %dw[%i + 7, 768] ...
      affine.for %j = %i to %i + 8 {
        affine.for %k = 0 to 784 { ... }
      }
    }
    ```
  }];
}

def LPQMergeParallelRegionsPass : Pass<"lpq-merge-parallel-regions"> {
  let summary = "Merge consecutive OpenMP parallel regions into one";
  let description = [{
    convert-scf-to-openmp opens one `omp.parallel` per parallel loop, so a
    training step forks and joins its threads once per loop nest. This pass
    merges every run of consecutive `omp.parallel` ops of a block into one
    region: their worksharing loops follow each other inside it (each ends
    with its implicit barrier, so each loop sees the previous ones' writes);
    sequential code between them (stores, copies, sequential reductions)
    runs in `omp.single` (which ends with a barrier); ops without effects or
    that only read run in every thread (followed by a barrier before the
    next write); allocations (heap or stack) and views of memory (reshapes, used after the
    region when a step returns a reshaped result) move before the region
    and deallocations after it. A run stops at anything else (ops with
    results that write, nested parallelism, terminators) and is shortened
    until no value defined inside it is used after it. Results are unchanged: each loop computes the same
    elements in the same way.
  }];
  let dependentDialects = ["::mlir::omp::OpenMPDialect"];
}

#endif // LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_TD
