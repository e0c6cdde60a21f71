// RUN: rm -rf %t.ptx %t.bin
// RUN: lpq-opt %s -lpq-gpu-pipeline="chip=sm_90 format=isa" | lpq-translate --lpq-gpu-kernels --kernel-dir=%t.ptx | FileCheck %s --check-prefix=PTX
// RUN: FileCheck %s --check-prefix=FILE --input-file=%t.ptx/sr_kernel_0.sm_90.ptx
// RUN: /usr/local/cuda/bin/ptxas -arch=sm_90 %t.ptx/sr_kernel_0.sm_90.ptx -o %t.cubin
// RUN: lpq-opt %s -lpq-gpu-pipeline="chip=sm_80 format=bin" | lpq-translate --lpq-gpu-kernels --kernel-dir=%t.bin -o %t.json
// RUN: FileCheck %s --check-prefix=BIN --input-file=%t.json
// RUN: od -An -c -N4 %t.bin/sr_kernel_1.sm_80.cubin | FileCheck %s --check-prefix=ELF
// RUN: not lpq-translate --lpq-gpu-kernels --kernel-dir=%t.none %s 2>&1 | FileCheck %s --check-prefix=UNCOMPILED
// RUN: lpq-opt %s -lpq-gpu-pipeline="chip=sm_90 format=isa" | not lpq-translate --lpq-gpu-kernels 2>&1 | FileCheck %s --check-prefix=NODIR

/// One file per kernel module, named after the module and the chip; the
/// manifest lists the files and, per host function, the launches in order
/// with their parameter types. (A whole-tensor block: its rows' maxima, then
/// the rounding, each block of which first reduces the rows' maxima itself
/// (lpq-gpu-recompute-block-reductions), then the copy into the result.)
// PTX:      "binaries": [
// PTX:        "module": "sr_kernel",
// PTX-NEXT:   "chip": "sm_90",
// PTX-NEXT:   "format": "ptx",
// PTX-NEXT:   "file": "{{.*}}.ptx/sr_kernel.sm_90.ptx",
// PTX-NEXT:   "bytes": {{[1-9][0-9]*}},
// PTX-NEXT:   "kernels": [
// PTX-NEXT:     "sr_kernel"
// PTX:        "module": "sr_kernel_0",
// PTX:        "module": "sr_kernel_1",
// PTX:      "launches": {
// PTX-NEXT:   "sr": [
// PTX-NEXT:     {
// PTX-NEXT:       "module": "sr_kernel",
// PTX-NEXT:       "kernel": "sr_kernel",
// PTX-NEXT:       "params": [
// PTX-NEXT:         "i64",
// PTX:          "module": "sr_kernel_0",
// PTX:              "i32",
// PTX-NEXT:         "i64",
// PTX-NEXT:         "!llvm.ptr",

/// The PTX file stands alone: ptxas assembles it (RUN line above).
// FILE: .target sm_90
// FILE: .visible .entry sr_kernel(
// FILE: bar.sync

/// With format=bin the files are cubins (ELF).
// BIN: "file": "{{.*}}.bin/sr_kernel_1.sm_80.cubin",
// BIN-NEXT: "bytes": {{[1-9][0-9]*}},
// ELF: 177 E L F

// UNCOMPILED: error: no gpu.binary in the module: compile it with -lpq-gpu-pipeline first
// NODIR: error: --lpq-gpu-kernels writes one file per kernel module: give the directory with --kernel-dir=DIR
/// Errors about the whole module do not print the module after them.
// UNCOMPILED-NOT: see current operation
// NODIR-NOT: see current operation

func.func @sr(%x: tensor<64x1000xf32>, %seed: i64, %step: i32) -> tensor<64x1000xf32> {
  %0 = lpq.stochastic_round %x, %seed, %step : tensor<64x1000xf32> to #lpq.block<8> stream 1
  return %0 : tensor<64x1000xf32>
}
