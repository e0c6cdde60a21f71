# Sourced by the scripts/results*.sh scripts (not run by itself): moves to
# the repository root, copies the tools to "$OUT/bin" (a rebuild during a
# long run must not swap them) and sets OPT and RUN. Needs OUT set.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p "$OUT/bin"
cp build/bin/lpq-opt build/bin/lpq-run "$OUT/bin/"
OPT=$OUT/bin/lpq-opt
RUN=$OUT/bin/lpq-run

# final FILE: the accuracy (without %) on the "final test accuracy" line of
# an lpq-run train output.
final() { awk '/^final test accuracy/ { s = $4; gsub(/[%,]/, "", s); print s }' "$1"; }
