#!/usr/bin/env bash
# lpq's main job on its built-in default: compile the example MLP forward pass
# with SWALP's quantizers (lpq-opt), then JIT-compile it for this CPU and run
# it on a random batch (lpq-run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
MODEL=${1:-examples/mlp_swalp_quantizers.mlir}
echo "== lpq-opt $MODEL -lpq-assign-streams -canonicalize"
build/bin/lpq-opt "$MODEL" -lpq-assign-streams -canonicalize
echo
echo "== lpq-run: lpq-cpu-pipeline + JIT, random batch, seed 42, step 0"
build/bin/lpq-run "$MODEL" --arg=rand:128x784 --arg=rand:784x512 \
  --arg=rand:512 --arg=rand:512x10 --arg=rand:10 --arg=42 --arg=0 --repeat=5
