#!/usr/bin/env bash
# Runs every Google Benchmark binary under the build tree's bench/ folder and prints its table.
set -euo pipefail
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
for b in $(find "$BUILD_DIR/bench" -type f -executable -name '*_benchmark' | sort); do
  echo "== $b"
  "$b" --benchmark_min_time=0.2
done
