// RUN: lpq-run %s --entry=quantize --arg=%S/Inputs/x.npy --output=%t | FileCheck %s
// RUN: lpq-run %s --entry=quantize --arg=%S/Inputs/x.npy --no-threads --no-vectorize | FileCheck %s
// RUN: lpq-run %s --entry=stochastic --arg=rand:3x5 --arg=7 --arg=0 --seed=1 | FileCheck %s --check-prefix=RAND
// RUN: lpq-run %s --entry=stochastic --arg=rand:3x5 --arg=7 --arg=0 --seed=1 --fuse-rows --repeat=3 | FileCheck %s --check-prefixes=RAND,REPEAT
// RUN: lpq-run %s --entry=stochastic --arg=rand:3x5 --arg=7 --arg=0 --seed=1 --fuse-rows=false | FileCheck %s --check-prefix=RAND
// RUN: not lpq-run %s 2>&1 | FileCheck %s --check-prefix=NOENTRY
// RUN: not lpq-run %s --entry=nope 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not lpq-run %s --entry=quantize 2>&1 | FileCheck %s --check-prefix=ARITY
// RUN: not lpq-run %s --entry=quantize --arg=rand:2x3 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not lpq-run %s --entry=quantize --arg=%S/missing.npy 2>&1 | FileCheck %s --check-prefix=FILE
// RUN: not lpq-run %s --entry=quantize --arg=%s 2>&1 | FileCheck %s --check-prefix=SPEC
// RUN: not lpq-run %s --entry=quantize --arg=rand:abc 2>&1 | FileCheck %s --check-prefix=RANDSPEC
// RUN: not lpq-run %s --entry=quantize --arg=rand:100000x100000x100000 2>&1 | FileCheck %s --check-prefix=RANDHUGE
// RUN: not lpq-run %s --entry=quantize --arg=randi:3:1:4 2>&1 | FileCheck %s --check-prefix=RANDI
// RUN: not lpq-run %s --entry=quantize --arg=%S/Inputs/huge-shape.npy 2>&1 | FileCheck %s --check-prefix=NPYHUGE
// RUN: not lpq-run %s --entry=quantize --arg=%S/Inputs/short-data.npy 2>&1 | FileCheck %s --check-prefix=NPYSHORT
// RUN: not lpq-run %s --entry=quantize --arg=%S/Inputs/bad-dimension.npy 2>&1 | FileCheck %s --check-prefix=NPYDIM
// RUN: not lpq-run %s --entry=quantize --arg=%S/Inputs/huge-header.npy 2>&1 | FileCheck %s --check-prefix=NPYHEADER
// RUN: not lpq-run %s --entry=quantize --arg=rand:4 --vector-width=7 2>&1 | FileCheck %s --check-prefix=WIDTH
// RUN: not lpq-run %s --entry=quantize --arg=rand:4 --num-threads=-3 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: lpq-run --help | FileCheck %s --check-prefix=HELP

/// x.npy holds [0.1, -0.26, 5.0, 0.0] as float32: fixed<8, 2> rounds them to
/// quarters and saturates at 127/4.
// CHECK: result #0: <f4 [4] sum 4.75 first: 0 -0.25 5 0
/// The same bits with row fusion (its three nests over the rows become one).
// RAND: result #0: <f4 [3x5] sum 0.3125 first: -0.390625 -0.0390625 0.6875 -0.242188 -0.796875 -0.0625
// REPEAT: median time over 3 runs: {{[0-9.]+}} ms (fastest {{[0-9.]+}} ms)
// NOENTRY: error: the module has 2 public functions; choose one with --entry
// MISSING: error: no function 'nope' in '{{.*}}lpq-run.mlir'; functions: quantize, stochastic
// ARITY: error: function 'quantize' takes 1 arguments, 0 given
// SHAPE: error: argument #0: expected tensor<4xf32>, got float32 array of shape 2x3
// FILE: error: cannot open '{{.*}}missing.npy'
// SPEC: error: cannot read argument '{{.*}}': expected FILE.npy, rand:SHAPE, randi:LO:HI:SHAPE or a number
/// Malformed or absurd shapes are errors, not allocation failures.
// RANDSPEC: error: bad shape 'abc' (use e.g. 4x8; at most 2^34 elements)
// RANDHUGE: error: bad shape '100000x100000x100000'
// RANDI: error: bad randi spec '3:1:4' (use randi:LO:HI:DxD..., LO < HI
// NPYHUGE: error: '{{.*}}huge-shape.npy' has a shape too large for any file: (100000000000, 100000000000)
// NPYSHORT: error: '{{.*}}short-data.npy' holds fewer elements than its shape says
// NPYDIM: error: '{{.*}}bad-dimension.npy' has a bad dimension 'abc' in shape (3, abc)
// NPYHEADER: error: '{{.*}}huge-header.npy' has a truncated header
// WIDTH: error: lpq-cpu-pipeline: vector-width must be 0 (the target's default) or a power of two from 64 to 2048 bits, got 7
// THREADS: error: --num-threads must be >= 0 (0: runtime default)
/// --help lists lpq-run's options, not the LLVM ones linked in.
// HELP-NOT: --aarch64
// HELP: lpq-run options:
// HELP: --arg=
// HELP-NOT: --x86-

func.func @quantize(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.fixed<8, 2>
  return %0 : tensor<4xf32>
}

func.func @stochastic(%x: tensor<3x5xf32>, %seed: i64, %step: i32) -> tensor<3x5xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<3x5xf32> to #lpq.block<8, axis = [0]> stream 0
  return %0 : tensor<3x5xf32>
}
