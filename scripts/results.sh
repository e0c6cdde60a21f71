#!/usr/bin/env bash
# Reproduces docs/results.md: the example models trained on Fashion-MNIST
# with each recipe, and the word-length sweep on the MLP. Writes metrics
# (JSON), plots (PNG) and logs to results/ and prints a Markdown table per
# experiment. Usage: scripts/results.sh [table|sweep|seeds|quadratic|all]
# (default all).
# Environment: EPOCHS_MLP, EPOCHS_LOGREG, EPOCHS_CNN, SEED.
set -euo pipefail
WHAT=${1:-all}
OUT=results
SEED=${SEED:-0}
# shellcheck source=scripts/results-common.sh
source "$(dirname "$0")/results-common.sh"

# train NAME MODEL PASS-OPTIONS EPOCHS [lpq-run options...]: prints
# "SGD% SWA%" (SWA "-" without averaging).
train() {
  local name=$1 model=$2 options=$3 epochs=$4
  shift 4
  "$OPT" "examples/$model.mlir" --lpq-train-step="$options" -o "$OUT/$name.mlir"
  "$RUN" train "$OUT/$name.mlir" --epochs="$epochs" --seed="$SEED" \
    --metrics="$OUT/$name.json" --plot="$OUT/$name.png" --no-progress "$@" \
    > "$OUT/$name.out" 2> "$OUT/$name.log"
  awk '/^final test accuracy/ {
         sgd = $4; sub(/[%,]/, "", sgd); sub(/%/, "", sgd);
         swa = "-"; if (NF >= 7) { swa = $7; sub(/%/, "", swa) }
         print sgd, swa }' "$OUT/$name.out"
}

if [[ $WHAT == table || $WHAT == all ]]; then
  echo "| model | epochs | fp32 SGD | fp32 SWA | SGD-LP 8-bit | SWALP 8-bit |"
  echo "|---|---|---|---|---|---|"
  for spec in "logreg ${EPOCHS_LOGREG:-20}" "mlp ${EPOCHS_MLP:-20}" "cnn ${EPOCHS_CNN:-10}"; do
    read -r model epochs <<< "$spec"
    swa_start=$(( (2 * epochs + 2) / 3 ))
    read -r fp32 _ < <(train "$model-fp32" "$model" recipe=fp32 "$epochs")
    read -r _ fp32swa < <(train "$model-fp32-swa" "$model" recipe=fp32 "$epochs" --swa-start="$swa_start")
    read -r sgdlp _ < <(train "$model-sgd-lp-8" "$model" "recipe=sgd-lp word-length=8" "$epochs")
    read -r _ swalp < <(train "$model-swalp-8" "$model" "recipe=swalp word-length=8" "$epochs")
    echo "| $model | $epochs | $fp32 | $fp32swa | $sgdlp | $swalp |"
  done
fi

if [[ $WHAT == sweep || $WHAT == all ]]; then
  epochs=${EPOCHS_MLP:-20}
  echo
  echo "| word length | SGD-LP | SWALP | SWALP - SGD-LP |"
  echo "|---|---|---|---|"
  for wl in 8 6 4; do
    if [[ -f $OUT/mlp-sgd-lp-$wl.out && -f $OUT/mlp-swalp-$wl.out && $wl == 8 ]]; then
      read -r sgdlp _ < <(awk '/^final/ {s=$4; gsub(/[%,]/,"",s); print s}' "$OUT/mlp-sgd-lp-8.out")
      read -r swalp < <(awk '/^final/ {s=$7; gsub(/%/,"",s); print s}' "$OUT/mlp-swalp-8.out")
    else
      read -r sgdlp _ < <(train "mlp-sgd-lp-$wl" mlp "recipe=sgd-lp word-length=$wl" "$epochs")
      read -r _ swalp < <(train "mlp-swalp-$wl" mlp "recipe=swalp word-length=$wl" "$epochs")
    fi
    echo "| $wl | $sgdlp | $swalp | $(awk -v a="$swalp" -v b="$sgdlp" 'BEGIN { printf "%+.2f", a - b }') |"
  done
fi

if [[ $WHAT == seeds || $WHAT == all ]]; then
  # SGD-LP vs SWALP at 8 bits on the MLP over more seeds (seed 0 is above).
  epochs=${EPOCHS_MLP:-20}
  echo
  echo "| seed | SGD-LP 8-bit | SWALP 8-bit |"
  echo "|---|---|---|"
  saved=$SEED
  for SEED in 1 2; do
    read -r sgdlp _ < <(train "mlp-sgd-lp-8-seed$SEED" mlp "recipe=sgd-lp" "$epochs")
    read -r _ swalp < <(train "mlp-swalp-8-seed$SEED" mlp "recipe=swalp" "$epochs")
    echo "| $SEED | $sgdlp | $swalp |"
  done
  SEED=$saved
fi

if [[ $WHAT == quadratic || $WHAT == all ]]; then
  # SWALP's quadratic claim: linear regression, weights on the fixed-point
  # grid #lpq.fixed<8,6> (step 1/64) with stochastic rounding, plain SGD.
  echo
  echo "| weights | iterate (SGD) | average (SWA) |"
  echo "|---|---|---|"
  base="loss=mse momentum=0 weight-decay=0"
  for spec in "fp32|recipe=fp32" \
              "fixed<8,6>|recipe=sgd-lp w-format=none a-format=none e-format=none g-format=none m-format=none acc-format=#lpq.fixed<8,6>" \
              "fixed<6,4>|recipe=sgd-lp w-format=none a-format=none e-format=none g-format=none m-format=none acc-format=#lpq.fixed<6,4>"; do
    name=${spec%%|*}
    file=linreg-$(echo "$name" | tr -d '<>,')
    "$OPT" examples/linreg.mlir --lpq-train-step="$base ${spec#*|}" -o "$OUT/$file.mlir"
    "$RUN" train "$OUT/$file.mlir" --data=synthetic-regression --steps=20000 \
      --lr=0.02 --average-from=1000 --seed="$SEED" --metrics="$OUT/$file.csv" \
      --plot="$OUT/$file.png" > "$OUT/$file.out" 2> "$OUT/$file.log"
    awk -v n="$name" '/^final distance/ { print "| " n " | " $6 " | " $8 " |" }' "$OUT/$file.out"
  done
fi
