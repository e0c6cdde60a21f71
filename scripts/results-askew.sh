#!/usr/bin/env bash
# AskewSGD and BinaryConnect experiments (issue #7, ALGORITHMS.md 3).
#   binary weights: fp32 vs BinaryConnect (deterministic and stochastic
#     binarization) vs AskewSGD on the binary grid (+-H, H the Glorot bound);
#   4-bit weights (AskewSGD's 17-level SAWB grid): plain quantize-then-STE
#     (recipe binaryconnect on that grid) vs AskewSGD;
#   the toy problem (d = 10, labels from a binary w*): fp32, stochastic
#     BinaryConnect, AskewSGD (alpha 0.1, grid {-1, +1}).
# Usage: scripts/results-askew.sh [SEEDS...] (default 0). Environment: MODEL
# (mlp or cnn, default mlp), EPOCHS (default 20), LR (default 0.05; the CNN
# needs 0.01: without normalization its binarized layers die at 0.05), TOY
# (1: the toy problem only, 0: skip it; default: both). Outputs in
# results/askew/.
set -euo pipefail
OUT=results/askew
# shellcheck source=scripts/results-common.sh
source "$(dirname "$0")/results-common.sh"
EPOCHS=${EPOCHS:-20}
MODEL=${MODEL:-mlp}
TOY=${TOY:-}
LR=${LR:-0.05}
SEEDS=("${@:-0}")
SAWB='#lpq.grid<levels=8,scale=sawb>'

lastLoss() { awk '/^epoch/ { for (i = 1; i < NF; ++i) if ($i == "loss") l = $(i + 1) } END { print l }' "$1"; }
lastSigns() { awk '/^epoch/ { for (i = 1; i < NF; ++i) if ($i == "signs") s = $(i + 1) } END { print s }' "$1"; }

# run NAME "PASS OPTIONS" [lpq-run options...]: compiles and trains.
run() {
  local name=$1 options=$2
  shift 2
  "$OPT" "examples/$model.mlir" --lpq-train-step="$options" -o "$OUT/$name.mlir"
  "$RUN" train "$OUT/$name.mlir" --no-progress --metrics="$OUT/$name.json" "$@" \
    > "$OUT/$name.out" 2> "$OUT/$name.log"
}

if [[ $TOY != 1 ]]; then
  model=$MODEL
  echo "$MODEL, $EPOCHS epochs, lr $LR: test accuracy (%) of the model with weights on the grid"
  echo
  echo "| seed | fp32 | BinaryConnect (det.) | BinaryConnect (stoch.) | AskewSGD 1-bit | STE 4-bit (SAWB) | AskewSGD 4-bit (SAWB) |"
  echo "|---|---|---|---|---|---|---|"
  for seed in "${SEEDS[@]}"; do
    row="| $seed"
    for cfg in "fp32|recipe=fp32" \
               "bc|recipe=binaryconnect" \
               "bcs|recipe=binaryconnect w-rounding=stochastic" \
               "askew|recipe=askewsgd" \
               "ste4|recipe=binaryconnect grid=$SAWB" \
               "askew4|recipe=askewsgd grid=$SAWB"; do
      name=$MODEL-${cfg%%|*}-seed$seed
      run "$name" "${cfg#*|}" --epochs="$EPOCHS" --seed="$seed" --lr="$LR"
      row+=" | $(final "$OUT/$name.out")"
    done
    echo "$row |"
  done
  echo
fi

if [[ $TOY != 0 ]]; then
  model=toy_logistic
  TOYOPTS="momentum=0 weight-decay=0 grid=#lpq.grid<binary,scale=1.0>"
  echo "toy problem (d = 10, 6000 examples, 50 epochs, lr 0.5, no momentum): final"
  echo "training loss, test accuracy (%), signs of w* recovered"
  echo
  echo "| seed | fp32 | BinaryConnect (stoch.) | AskewSGD (alpha 0.1) |"
  echo "|---|---|---|---|"
  for seed in "${SEEDS[@]}"; do
    row="| $seed"
    for cfg in "fp32|recipe=fp32" \
               "bcs|recipe=binaryconnect w-rounding=stochastic $TOYOPTS" \
               "askew|recipe=askewsgd askew-alpha=0.1 $TOYOPTS"; do
      name=toy-${cfg%%|*}-seed$seed
      run "$name" "${cfg#*|}" --data=synthetic-logistic --epochs=50 --lr=0.5 \
        --seed="$seed" --eps-decay-start=25 --eps-decay=0.8
      row+=" | $(lastLoss "$OUT/$name.log") / $(final "$OUT/$name.out") / $(lastSigns "$OUT/$name.log")"
    done
    echo "$row |"
  done
fi
