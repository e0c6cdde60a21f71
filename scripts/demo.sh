#!/usr/bin/env bash
# lpq's main job on its built-in default: compile the example SWALP MLP
# training-step quantizers with lpq-opt and print the result.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
MODEL=${1:-examples/mlp_swalp_quantizers.mlir}
echo "== lpq-opt $MODEL -lpq-assign-streams -canonicalize"
build/bin/lpq-opt "$MODEL" -lpq-assign-streams -canonicalize
