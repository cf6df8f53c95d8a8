#!/usr/bin/env bash
# The main job on the bundled default: `phalanx simulate` runs the webhook, controller, planner and
# extender on a simulated mixed TPU cluster (examples/sim-cluster-tpu.yaml) with a workload that shows a
# gang waiting, a pod failure restarting onto its slice, and a node failure moving a Job
# (examples/sim-workload-tpu.yaml). Prints the summary and writes the picture, with and without gangs.
set -euo pipefail
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
PHALANX="$BUILD_DIR/cli/phalanx"
"$PHALANX" simulate --cluster examples/sim-cluster-tpu.yaml --workload examples/sim-workload-tpu.yaml \
  --svg "$BUILD_DIR/simulation.svg"
"$PHALANX" simulate --cluster examples/sim-cluster-tpu.yaml --workload examples/sim-workload-tpu.yaml \
  --compare --svg "$BUILD_DIR/simulation-compare.svg" >/dev/null
echo "comparison with gangs off (pods scheduled one by one): $BUILD_DIR/simulation-compare.svg"
