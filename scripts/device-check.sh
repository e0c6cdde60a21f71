#!/usr/bin/env bash
# Runs on a machine the device tool lends, in a copy of the checkout that
# carries .device/ (made here first by scripts/device-bundle.sh):
#   the GPU tests (Differential.Cuda: every kernel of the differential suite
#   on the device, bit for bit against the reference; LoweringEquivalence.
#   Cuda*: whole training steps on the device against the CPU pipeline),
#   the quantize kernels' bandwidth against a device-to-device copy,
#   the MLP and CNN training steps, and PyTorch CUDA's steps of the same
#   models (bench/torch_swalp_step.py --device cuda).
# Logs go to $OUT (the device tool fetches them) or ./device-out; a summary
# is printed last. Each part has a time limit so that the rest still runs;
# together at most 580 s, inside the device tool's 600 s a command.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-device-out}
mkdir -p "$out"
bundle=$PWD/.device
if [[ ! -f $bundle/lpq-device-check.xz ]]; then
  echo "device-check: no .device/ bundle: run scripts/device-bundle.sh and carry .device" >&2
  exit 1
fi

bin=/tmp/lpq-device-check
xz -dc "$bundle/lpq-device-check.xz" > $bin 2>/dev/null ||
  python3 -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as f, open(sys.argv[2], "wb") as g:
    shutil.copyfileobj(f, g)' "$bundle/lpq-device-check.xz" $bin
chmod +x $bin
export LD_LIBRARY_PATH=$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LPQ_RUNNER_UTILS=none LPQ_CUDA_RUNTIME=$bundle/lib/liblpq_cuda_runtime.so
for toolkit in /usr/local/cuda "$(dirname "$(dirname "$(command -v ptxas nvcc 2>/dev/null | head -1)")")"; do
  if [[ -x $toolkit/bin/ptxas ]]; then export LPQ_CUDA_TOOLKIT=$toolkit; break; fi
done
export PATH=$PATH:${LPQ_CUDA_TOOLKIT:-/usr/local/cuda}/bin   # cuobjdump
source_dir=$(cat "$bundle/source-dir")
if [[ ! -e $source_dir ]]; then
  mkdir -p "$(dirname "$source_dir")" && ln -s "$PWD" "$source_dir"
fi

{
  date -u
  nvidia-smi -L 2>&1
  echo "ptxas: ${LPQ_CUDA_TOOLKIT:-not found}"
  ls "${LPQ_CUDA_TOOLKIT:-/usr/local/cuda}"/nvvm/libdevice 2>&1
  ldd --version 2>&1 | head -1
  ldd $bin 2>&1 | grep -i "not found"
} | tee "$out/machine.txt"

status=()
part() { # part NAME SECONDS LOG COMMAND...
  local name=$1 limit=$2 log=$3
  shift 3
  echo "device-check: $name..." >&2
  local start=$SECONDS
  timeout "$limit" "$@" > "$out/$log" 2>&1
  local rc=$?
  status+=("$name: exit $rc after $((SECONDS - start)) s ($log)")
}
part "GPU tests" 200 tests.log $bin test --gtest_filter='*Cuda*'
part "quantize kernels" 100 bench-quantize-cuda.md $bin bench-quantize --device=cuda
part "training steps" 100 bench-step-cuda.txt $bin bench-step --device=cuda --repeat=40
part "PyTorch CUDA steps" 60 torch-cuda.txt python3 bench/torch_swalp_step.py --device cuda --steps 40
# Tuning of lpq-gpu-pipeline's block-size and elements-per-thread (defaults
# 256 and 4, measured above) on the kernels at 256 MiB.
part "tuning" 90 tuning.md bash -c '
  for config in "128 4" "256 1" "256 8" "512 4"; do
    set -- $config
    echo "## block-size=$1 elements-per-thread=$2"
    "$0" bench-quantize --device=cuda --max-mib=256 --block-size=$1 \
      --elements-per-thread=$2 | grep -E "^\| (kernel|.*256 MiB)"
  done' $bin
# Machine code of the stochastic-rounding kernels (Philox: 32x32-bit
# multiplies should be IMAD.WIDE.U32 / IMAD.HI.U32, not 64-bit products).
part "SASS of the stochastic kernels" 30 sass.txt bash -c '
  for f in "$0"/kernels/sr*.cubin; do echo "== $f"; cuobjdump -sass "$f"; done' "$bundle"

echo
grep -E '^\[ *(OK|FAILED|SKIPPED|PASSED) *\]' "$out/tests.log" | head -30
grep -E 'mismatch|differs|expected' "$out/tests.log" | head -10
cat "$out/bench-quantize-cuda.md" "$out/bench-step-cuda.txt" "$out/torch-cuda.txt"
echo "SASS of $(grep -c '^==' "$out/sass.txt") stochastic kernels, instructions:"
grep -oE '(IMAD[.A-Z0-9]*|IMUL[.A-Z0-9]*)' "$out/sass.txt" | sort | uniq -c
printf '%s\n' "${status[@]}"
