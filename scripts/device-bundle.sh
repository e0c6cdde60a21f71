#!/usr/bin/env bash
# Packs lpq's GPU tests and benchmarks for a machine the device tool lends
# (x86-64 with a CUDA driver and toolkit, but no LLVM): lpq-device-check
# linked with Debian's static LLVM and MLIR libraries (one program, so one
# copy of them), compressed, with the two shared libraries it loads, into
# .device/ (ignored by git). Then, with the device tool:
#   run  command: bash scripts/device-check.sh   carry: [".device"]
# scripts/device-check.sh unpacks it there, runs the GPU tests and
# benchmarks and writes their logs to $OUT. See docs/gpu.md.
#   scripts/device-bundle.sh        # ~3 minutes: link, then xz
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
ninja -C build lpq-device-check >/dev/null

out=.device
rm -rf "$out"
mkdir -p "$out/lib"
llvm=/usr/lib/llvm-22/lib

# lpq-device-check's own link line gives its objects and lpq's (and
# GoogleTest's) static libraries, in order; LLVM and MLIR come from their
# static archives instead of libLLVM.so and libMLIR.so.
link=$(ninja -C build -t commands bin/lpq-device-check | tail -1)
inputs=()
for word in $link; do
  case $word in
    *.o | *.a) inputs+=("$word") ;;
  esac
done
archives=$(ls $llvm/libMLIR*.a $llvm/libLLVM*.a | grep -v CAPI)
echo "device-bundle: linking lpq-device-check with static LLVM and MLIR" >&2
(cd build && c++ -O3 -fuse-ld=lld -Wl,--gc-sections -s \
   -o "../$out/lpq-device-check" \
   "${inputs[@]}" -Wl,--start-group $archives -Wl,--end-group \
   -Wl,-rpath,'$ORIGIN/lib' lib/liblpq_cuda_runtime.so $llvm/libomp.so \
   -lz /lib/x86_64-linux-gnu/libzstd.so.1 -ldl -lpthread 2>&1 \
   | grep -v "^ld.lld: warning" || true)
test -x "$out/lpq-device-check"
cp -L build/lib/liblpq_cuda_runtime.so $llvm/libomp.so.5 \
  /lib/x86_64-linux-gnu/libz.so.1 /lib/x86_64-linux-gnu/libzstd.so.1 "$out/lib/"
# The cubins of the benchmark's kernels and of the SWALP MLP step, for
# cuobjdump -sass there (this toolkit has no disassembler): the machine code
# of Philox, the block maxima and the loops can be read without lpq.
mkdir -p "$out/kernels"
build/bin/lpq-bench-quantize --print-module \
  | build/bin/lpq-opt -lpq-gpu-pipeline="chip=sm_90 format=bin" \
  | build/bin/lpq-translate --lpq-gpu-kernels --kernel-dir="$out/kernels" \
  > "$out/kernels/quantize.json"
build/bin/lpq-opt examples/mlp.mlir --lpq-train-step="recipe=swalp" \
  | build/bin/lpq-opt -lpq-gpu-pipeline="chip=sm_90 format=bin" \
  | build/bin/lpq-translate --lpq-gpu-kernels --kernel-dir="$out/kernels/mlp" \
  > "$out/kernels/mlp.json"
# Examples and test inputs are read from the source tree at this path;
# device-check.sh links it to the checkout there.
pwd > "$out/source-dir"

# The C++ runtime is the machine's (linked statically, GCC 12's libstdc++
# and unwinder would need glibc 2.36 and 2.35).
needs() { objdump -T "$out/lpq-device-check" "$out"/lib/*.so* \
  | grep -o "$1"'_[0-9.]*' | sort -uV | tail -1; }
echo "device-bundle: needs $(needs GLIBC) and $(needs GLIBCXX) or newer;" \
     "compressing..." >&2
xz -T2 -9 "$out/lpq-device-check"
du -sh "$out" >&2
