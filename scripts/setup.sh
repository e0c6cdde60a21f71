#!/usr/bin/env bash
# Installs the Debian packages lpq needs (when missing), then configures and
# builds it incrementally in build/. Used by demo.sh, test.sh and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(cmake ninja-build g++ ccache python3
          llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
          libgtest-dev libomp-22-dev zlib1g-dev dataset-fashion-mnist
          gnuplot-nox)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "lpq: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "lpq: missing Debian packages: ${missing[*]}" >&2
    echo "lpq: install them as root with: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [[ ! -f build/build.ninja ]]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
ninja -C build
