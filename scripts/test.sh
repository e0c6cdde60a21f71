#!/usr/bin/env bash
# Builds lpq and runs every test: lit + FileCheck suites, GoogleTest numerics
# tests and the generated-docs check, all through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure -j"$(nproc)"
