#!/usr/bin/env bash
# lpq's main job on its built-in default: compile the example MLP
# (examples/mlp.mlir, 784-512-10) into training steps with lpq-opt, once per
# recipe (float32 SGD, SGD-LP with SWALP's 8-bit block floating point, and
# SWALP), train each on Fashion-MNIST with lpq-run train, and compare test
# accuracy. Usage: scripts/demo.sh [EPOCHS] (default 6; about 2 minutes on
# 2 cores). Metrics (JSON) and plots (PNG) go to build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
EPOCHS=${1:-6}
OUT=build/demo
mkdir -p "$OUT"
declare -A result
for recipe in fp32 sgd-lp swalp; do
  echo "== lpq-opt examples/mlp.mlir --lpq-train-step=recipe=$recipe"
  build/bin/lpq-opt examples/mlp.mlir --lpq-train-step="recipe=$recipe" \
    -o "$OUT/mlp-$recipe.mlir"
  echo "== lpq-run train $OUT/mlp-$recipe.mlir --epochs=$EPOCHS"
  build/bin/lpq-run train "$OUT/mlp-$recipe.mlir" --epochs="$EPOCHS" \
    --metrics="$OUT/mlp-$recipe.json" --plot="$OUT/mlp-$recipe.png" \
    | tee "$OUT/mlp-$recipe.out"
  result[$recipe]=$(grep '^final test accuracy' "$OUT/mlp-$recipe.out")
  echo
done
echo "== MLP on Fashion-MNIST, $EPOCHS epochs, test accuracy"
printf '%-8s %s\n' "fp32" "${result[fp32]#final test accuracy: } (float32 SGD)"
printf '%-8s %s\n' "sgd-lp" "${result[sgd-lp]#final test accuracy: } (8-bit block floating point, stochastic rounding)"
printf '%-8s %s\n' "swalp" "${result[swalp]#final test accuracy: } (SGD-LP iterate, then the float32 average of the iterates = SWALP)"
