#!/usr/bin/env bash
# The main job on the bundled default: the example TPU JobSet validated, expanded into its child Jobs
# and Service, and planned onto the bundled cluster (four TPU node pools, one of them busy).
set -euo pipefail
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
PHALANX="$BUILD_DIR/cli/phalanx"
echo "== phalanx validate -f examples/jobset-tpu.yaml"
"$PHALANX" validate -f examples/jobset-tpu.yaml
echo
echo "== phalanx expand -f examples/jobset-tpu.yaml (child Jobs and Service; first 60 lines)"
# Captured first: piping into head could end phalanx with SIGPIPE and fail the run under pipefail.
expanded=$("$PHALANX" expand -f examples/jobset-tpu.yaml -o yaml)
printf '%s\n' "$expanded" | sed -n '1,60p'
echo "... ($(printf '%s\n' "$expanded" | grep -c '^  - apiVersion') objects in all)"
echo
echo "== phalanx plan --cluster examples/cluster-tpu.yaml -f examples/jobset-tpu.yaml"
"$PHALANX" plan --cluster examples/cluster-tpu.yaml -f examples/jobset-tpu.yaml
