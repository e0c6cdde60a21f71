#!/usr/bin/env bash
# One command for the training-step benchmark (issue #6): lpq's float32 and
# SWALP 8-bit steps of the example MLP (batch 128) and CNN (batch 64), loop
# nests and OpenMP regions per step with and without fusion, GPU kernels per
# step, and PyTorch's float32 and SWALP-emulated eager steps of the same
# models on the same threads. Writes the "Training steps" section of
# bench/RESULTS.md (between the <!-- steps --> markers) and prints it.
# lpq and PyTorch run in turn, ROUNDS times (default 3), so that each
# round's ratios compare steps timed close together; the tables give the
# median of the rounds (ratios with their range).
#   bench/step.sh              # 60 timed steps per figure per round (~3 minutes)
#   REPEAT=200 ROUNDS=5 bench/step.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
repeat=${REPEAT:-60}
rounds=${ROUNDS:-3}
if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then
  echo "bench/step.sh: ROUNDS must be a positive integer, got '$rounds'" >&2
  exit 1
fi
out=bench/RESULTS.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# PyTorch baselines need Debian's python3-torch and OpenBLAS (without
# libopenblas0-pthread that PyTorch multiplies matrices with a reference BLAS
# ~20x slower, and the comparison means nothing).
torch_packages=(python3-torch libopenblas0-pthread)
missing=()
for p in "${torch_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})) && [[ $(id -u) -eq 0 ]]; then
  echo "bench/step.sh: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  missing=()
fi

: > "$work/lpq.txt"
: > "$work/torch.txt"
if ((${#missing[@]})); then
  echo "bench/step.sh: no PyTorch baseline: install ${missing[*]}" >&2
fi
for ((round = 1; round <= rounds; round++)); do
  echo "bench/step.sh: round $round of $rounds: lpq steps ($repeat timed steps each)..." >&2
  build/bin/lpq-bench-step --repeat="$repeat" >> "$work/lpq.txt"
  if ((${#missing[@]} == 0)); then
    for t in 1 2; do
      echo "bench/step.sh: round $round of $rounds: PyTorch steps, $t thread(s)..." >&2
      # One OpenBLAS thread: torch's own pool runs the T threads (with T
      # OpenBLAS threads as well the two pools fight over the cores).
      OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=1 \
        /usr/bin/python3 bench/torch_swalp_step.py --threads "$t" \
        --steps "$repeat" >> "$work/torch.txt"
    done
  fi
done

# The vector width the JIT compiled lpq's steps for, as lpq-bench-step
# reports it (0: LLVM's default for this CPU).
vector_bits=$(grep -m1 -o '^vector_width=[0-9]*' "$work/lpq.txt" | cut -d= -f2)
if [[ -n $vector_bits && $vector_bits != 0 ]]; then
  vectors="$vector_bits-bit vectors"
else
  vectors="LLVM's default vector width for this CPU"
fi
# Whether the fused steps fused loop nests over the same rows (the JIT's
# choice for this CPU: on for Intel with AVX-512).
if grep -q '^fuse_rows=1' "$work/lpq.txt"; then
  vectors="$vectors and fuse-rows"
fi

{
  echo "<!-- steps -->"
  echo "## Training steps (bench/step.sh)"
  echo
  echo "Produced by \`REPEAT=$repeat ROUNDS=$rounds bench/step.sh\` on" \
       "$(date -u +%Y-%m-%d): $(nproc) cores," \
       "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
       "lpq with $vectors."
  echo
  python3 bench/step_report.py "$work/lpq.txt" "$work/torch.txt"
  echo "<!-- /steps -->"
} > "$work/section.md"

if [[ -f "$out" ]] && grep -q '^<!-- steps -->$' "$out"; then
  python3 - "$out" "$work/section.md" <<'PY'
import sys
path, section = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
start = text.index("<!-- steps -->\n")
end = text.index("<!-- /steps -->\n") + len("<!-- /steps -->\n")
open(path, "w").write(text[:start] + section + text[end:])
PY
elif [[ -f "$out" ]] && grep -q '^<!-- analysis -->$' "$out"; then
  python3 - "$out" "$work/section.md" <<'PY'
import sys
path, section = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
at = text.index("<!-- analysis -->\n")
open(path, "w").write(text[:at] + section + "\n" + text[at:])
PY
else
  { echo; cat "$work/section.md"; } >> "$out"
fi
cat "$work/section.md"
