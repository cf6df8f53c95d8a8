#!/usr/bin/env bash
# Memory and reconcile time of the real phalanx-controller against phalanx-memory-apiserver at cluster
# scale (issue 13; DESIGN §6: steady reconcile of a 10,000-Job JobSet <= 20 ms CPU).
#
#   bench/controller/run_controller_scale.sh [BUILD_DIR] [SIZES="10000 50000"] [JOBS_PER_JOBSET=10000]
#
# For each size N: N/JOBS_PER_JOBSET suspended JobSets with their child Jobs (managedFields as a real API
# server records them) are created, the controller is started with them there, and controller_scale
# prints its RSS after the informers synced and after a full reconcile pass, bytes per cached Job next
# to the Jobs' JSON size, then the first reconcile of a new JobSet of JOBS_PER_JOBSET Jobs and the
# steady reconcile of it. Needs the targets controller_scale, phalanx-controller and
# phalanx-memory-apiserver built in BUILD_DIR (PHALANX_BINARY_DIR picks other binaries to measure).
# Also prints the in-process breakdown (job_cache_memory: informer cache vs decoded Jobs per Job).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-$root/build}"
sizes="${2:-10000 50000}"
per="${3:-10000}"

for b in bench/controller/controller_scale bench/controller/job_cache_memory controller/phalanx-controller \
         kube/phalanx-memory-apiserver; do
  [[ -x "$build/$b" ]] || { echo "build $(basename "$b") first: $build/$b" >&2; exit 1; }
done

export PHALANX_BINARY_DIR="${PHALANX_BINARY_DIR:-$build}"
for n in $sizes; do
  echo "== $n child Jobs, $per per JobSet (controller: $PHALANX_BINARY_DIR/controller/phalanx-controller)"
  "$build/bench/controller/controller_scale" --jobs="$n" --jobs-per-jobset="$per"
done
echo "== in process, 10000 captured Jobs (fixtures/k8s-v1.36/api/get-job-owned-by-jobset.json)"
"$build/bench/controller/job_cache_memory" --jobs=10000
