// Bad pipeline options are errors of the pipeline parser, not crashes or
// silently wrong pipelines.
// RUN: not lpq-opt %s --lpq-cpu-pipeline=vector-width=7 2>&1 | FileCheck %s --check-prefix=WIDTH
// RUN: not lpq-opt %s --lpq-cpu-pipeline=vector-lanes=3 2>&1 | FileCheck %s --check-prefix=LANES
// RUN: not lpq-opt %s --lpq-gpu-pipeline=chip=gfx90a 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not lpq-opt %s --lpq-gpu-pipeline=format=bogus 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not lpq-opt %s --lpq-gpu-pipeline=block-size=0 2>&1 | FileCheck %s --check-prefix=BLOCK0
// RUN: not lpq-opt %s --lpq-gpu-pipeline=block-size=2048 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not lpq-opt %s --lpq-gpu-pipeline=elements-per-thread=0 2>&1 | FileCheck %s --check-prefix=EPT
// RUN: not lpq-opt %s "--lpq-gpu-pipeline=toolkit={/a b}" 2>&1 | FileCheck %s --check-prefix=TOOLKIT
// RUN: not lpq-opt %s --lpq-gpu-prepare-loops=block-size=0 2>&1 | FileCheck %s --check-prefix=PREPARE
/// Good values still build.
// RUN: lpq-opt %s --lpq-cpu-pipeline="vector-width=256 vector-lanes=8" | FileCheck %s --check-prefix=GOOD
// RUN: lpq-opt %s --lpq-gpu-pipeline="chip=sm_90 block-size=1024" | FileCheck %s --check-prefix=GOOD

// WIDTH: error: lpq-cpu-pipeline: vector-width must be 0 (the target's default) or a power of two from 64 to 2048 bits, got 7
// LANES: error: lpq-cpu-pipeline: vector-lanes must be 0 (the host's) or a power of two up to 64, got 3
// CHIP: error: lpq-gpu-pipeline: chip must be sm_<version>, e.g. sm_80 or sm_90, got 'gfx90a'
// FORMAT: error: lpq-gpu-pipeline: format must be isa (PTX), bin (cubin) or fatbin, got 'bogus'
// BLOCK0: error: lpq-gpu-pipeline: block-size must be from 1 to 1024 threads, got 0
// BLOCK: error: lpq-gpu-pipeline: block-size must be from 1 to 1024 threads, got 2048
// EPT: error: lpq-gpu-pipeline: elements-per-thread must be at least 1, got 0
// TOOLKIT: error: lpq-gpu-pipeline: toolkit path must not contain spaces or braces, got '/a b'
// PREPARE: error: lpq-gpu-prepare-loops: block-size must be positive, got 0
// GOOD: llvm.func @quantize

func.func @quantize(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = lpq.quantize %x : tensor<4xf32> to #lpq.fixed<8, 2>
  return %0 : tensor<4xf32>
}
