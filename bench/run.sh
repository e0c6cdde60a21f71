#!/usr/bin/env bash
# Runs the quantize-kernel benchmark and writes bench/RESULTS.md.
#   bench/run.sh            # sizes 64 KiB .. 256 MiB (a few minutes)
#   bench/run.sh --quick    # 64 KiB and 1 MiB only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
out=bench/RESULTS.md
# Everything from the analysis marker on is kept: it is written by hand;
# so is the training-step section bench/step.sh writes.
analysis=$(sed -n '/^<!-- analysis -->$/,$p' "$out" 2>/dev/null |
  sed '/^<!-- steps -->$/,/^<!-- \/steps -->$/d' || true)
steps=$(sed -n '/^<!-- steps -->$/,/^<!-- \/steps -->$/p' "$out" 2>/dev/null || true)
{
  echo "# Benchmark results"
  echo
  echo "Produced by \`bench/run.sh $*\` on $(date -u +%Y-%m-%d):"
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
       "$(free -g | awk '/Mem:/ {print $2}') GiB."
  echo
  echo "## Quantize kernels (lpq-cpu-pipeline, JIT)"
  echo
  echo "Input float32 [rows x 1024], output the same; GB/s counts bytes read"
  echo "and written. memcpy: the faster of 1 and 2 threads copying the same"
  echo "bytes in the same run. x scalar loop: speed-up of lpq (2 threads) over a"
  echo "plain single-thread scalar C++ loop doing the same rounding (the"
  echo "reference library's loops), timed up to 16 MiB."
  echo
  build/bin/lpq-bench-quantize "$@"
  if [[ -n "$steps" ]]; then echo; echo "$steps"; fi
  if [[ -n "$analysis" ]]; then echo; echo "$analysis"; fi
} > "$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
