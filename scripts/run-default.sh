#!/usr/bin/env bash
# The main job on the bundled default: expands and validates examples/jobset-tpu.yaml with the phalanx CLI.
set -euo pipefail
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
echo "== phalanx validate -f examples/jobset-tpu.yaml"
"$BUILD_DIR/cli/phalanx" validate -f examples/jobset-tpu.yaml
echo "== phalanx expand -f examples/jobset-tpu.yaml -o yaml"
"$BUILD_DIR/cli/phalanx" expand -f examples/jobset-tpu.yaml -o yaml
