#!/usr/bin/env bash
# SQ experiments (issue #7, ALGORITHMS.md 2) on the MLP: float32, BWN,
# SQ-BWN, TWN, SQ-TWN test accuracy. SQ trains four stages (sq-ratio 0.5,
# 0.75, 0.875, 1.0), EPOCHS each, every stage starting from the previous
# one's weights; the BWN/TWN/float32 baselines train 4 x EPOCHS epochs.
# Usage: scripts/results-sq.sh [SEEDS...] (default 0). Environment: EPOCHS
# (default 5), MODEL (default mlp), LR (default 0.05; the CNN needs 0.01:
# without normalization its binarized layers die at 0.05). Outputs in
# results/sq/.
set -euo pipefail
OUT=results/sq
# shellcheck source=scripts/results-common.sh
source "$(dirname "$0")/results-common.sh"
EPOCHS=${EPOCHS:-5}
MODEL=${MODEL:-mlp}
LR=${LR:-0.05}
SEEDS=("${@:-0}")


echo "| seed | fp32 | BWN | SQ-BWN | TWN | SQ-TWN |"
echo "|---|---|---|---|---|---|"
for seed in "${SEEDS[@]}"; do
  row="| $seed"
  for recipe in fp32 bwn sq-bwn twn sq-twn; do
    name=$MODEL-$recipe-seed$seed
    if [[ $recipe == sq-* ]]; then
      init=()
      for ratio in 0.5 0.75 0.875 1.0; do
        "$OPT" "examples/$MODEL.mlir" --lpq-train-step="recipe=$recipe sq-ratio=$ratio" \
          -o "$OUT/$name-$ratio.mlir"
        "$RUN" train "$OUT/$name-$ratio.mlir" --epochs="$EPOCHS" --seed="$seed" --lr="$LR" \
          --no-progress "${init[@]}" --save-params="$OUT/$name-$ratio.p" \
          --metrics="$OUT/$name-$ratio.json" > "$OUT/$name-$ratio.out" 2> "$OUT/$name-$ratio.log"
        init=(--init-params="$OUT/$name-$ratio.p")
      done
      row+=" | $(final "$OUT/$name-1.0.out")"
    else
      "$OPT" "examples/$MODEL.mlir" --lpq-train-step="recipe=$recipe" -o "$OUT/$name.mlir"
      "$RUN" train "$OUT/$name.mlir" --epochs=$((4 * EPOCHS)) --seed="$seed" --lr="$LR" --no-progress \
        --metrics="$OUT/$name.json" > "$OUT/$name.out" 2> "$OUT/$name.log"
      row+=" | $(final "$OUT/$name.out")"
    fi
  done
  echo "$row |"
done
