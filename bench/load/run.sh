#!/usr/bin/env bash
# Saturation runs with wrk on loopback: phalanx-webhook (pod admission over TLS keep-alive) and
# phalanx-extender (/scheduler/filter with 500 NodeNames on a 512-node cluster served by
# phalanx-memory-apiserver), each at full load for SECONDS, the server's RSS sampled every second.
# Prints one line per target: requests, errors, latency percentiles, RSS at start / end / max.
# Exit 1 when a server died, answered an error, or wrk failed.
#
#   bench/load/run.sh [BUILD_DIR=build] [SECONDS=60]
# Needs the three binaries built (phalanx-webhook, phalanx-extender, phalanx-memory-apiserver), wrk
# and curl. Connections: WEBHOOK_CONNECTIONS (16), EXTENDER_CONNECTIONS (12; at most the extender's 16
# workers, since each keep-alive connection holds one), THREADS (2).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
seconds=${2:-60}
threads=${THREADS:-2}
fixtures=${PHALANX_FIXTURES:-$root/../shared/fixtures/k8s-v1.36}
tmp=$(mktemp -d /tmp/phalanx-load-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
status=0

# wait_line FILE PATTERN: the first line of FILE matching PATTERN, waiting up to 30 s.
wait_line() {
  local i
  for i in $(seq 300); do
    if grep -m1 "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# sample_rss PID OUT: VmRSS in KiB every second while PID lives.
sample_rss() {
  while kill -0 "$1" 2>/dev/null; do
    awk '/^VmRSS/ {print $2}' "/proc/$1/status" >>"$2" 2>/dev/null
    sleep 1
  done
}

# load NAME PID URL CONNECTIONS SCRIPT BODY PATH
load() {
  local name=$1 pid=$2 url=$3 conns=$4 script=$5 body=$6 path=$7
  local rss=$tmp/$name.rss
  sample_rss "$pid" "$rss" &
  local sampler=$!
  local out
  out=$(BODY_FILE=$body LOAD_PATH=$path LOAD_DIR=$root/bench/load \
        wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout 5s -s "$script" "$url" 2>&1)
  local rc=$?
  sleep 1
  kill "$sampler" 2>/dev/null
  wait "$sampler" 2>/dev/null
  local summary
  summary=$(grep '^requests=' <<<"$out")
  local alive=yes
  kill -0 "$pid" 2>/dev/null || alive=no
  local start end max samples
  start=$(head -1 "$rss")
  end=$(tail -1 "$rss")
  max=$(sort -n "$rss" | tail -1)
  samples=$(wc -l <"$rss")
  echo "$name: $summary rss_start_kib=$start rss_end_kib=$end rss_max_kib=$max rss_samples=$samples alive=$alive"
  if [[ $rc -ne 0 || -z $summary || $alive != yes || $summary != *" errors=0 "* ]]; then
    echo "$name: FAILED (wrk exit $rc)"
    echo "$out" | tail -20
    status=1
  fi
}

# --- phalanx-webhook ---
bash "$root/certs/make-certs.sh" --out "$tmp/certs" --ip 127.0.0.1 >/dev/null 2>&1 || { echo "make-certs failed"; exit 1; }
"$build/webhook/phalanx-webhook" --port=0 --bind-address=127.0.0.1 --health-probe-bind-address=0 \
  --tls-cert-file="$tmp/certs/tls.crt" --tls-private-key-file="$tmp/certs/tls.key" \
  >"$tmp/webhook.out" 2>"$tmp/webhook.err" &
pids+=($!)
webhook_pid=$!
line=$(wait_line "$tmp/webhook.out" '^listening on') || { echo "webhook did not start"; cat "$tmp/webhook.err"; exit 1; }
port=${line##*:}
load webhook "$webhook_pid" "https://127.0.0.1:$port" "${WEBHOOK_CONNECTIONS:-16}" \
  "$root/bench/load/webhook_pod.lua" "$fixtures/admission/pod-create-from-job-controller.mutate-pod.request.json" \
  /mutate--v1-pod
kill "$webhook_pid"

# --- phalanx-extender on phalanx-memory-apiserver with 512 nodes in 32 pools ---
"$build/kube/phalanx-memory-apiserver" --port=0 --kubeconfig-out="$tmp/kubeconfig" >"$tmp/api.out" 2>"$tmp/api.err" &
pids+=($!)
api=$(wait_line "$tmp/api.out" '^http://') || { echo "memory apiserver did not start"; exit 1; }
# The Nodes, then their status (the API server ignores status on create): one curl, one connection.
status_patch='{"status":{"allocatable":{"cpu":"8","memory":"32Gi","pods":"110","google.com/tpu":"4"},"capacity":{"cpu":"8","memory":"32Gi","pods":"110","google.com/tpu":"4"},"conditions":[{"type":"Ready","status":"True"}]}}'
names=()
requests=$tmp/nodes.curl
: >"$requests"
for p in $(seq 0 31); do
  for i in $(seq 0 15); do
    n="tpu-$p-$i"
    names+=("\"$n\"")
    node="{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$n\",\"labels\":{\"kubernetes.io/hostname\":\"$n\",\"cloud.google.com/gke-nodepool\":\"pool-$p\"}}}"
    [[ -s $requests ]] && echo next >>"$requests"
    printf 'url = "%s/api/v1/nodes"\nrequest = "POST"\nheader = "Content-Type: application/json"\ndata = "%s"\noutput = "/dev/null"\nnext\n' \
      "$api" "${node//\"/\\\"}" >>"$requests"
    printf 'url = "%s/api/v1/nodes/%s/status"\nrequest = "PATCH"\nheader = "Content-Type: application/merge-patch+json"\ndata = "%s"\noutput = "/dev/null"\n' \
      "$api" "$n" "${status_patch//\"/\\\"}" >>"$requests"
  done
done
curl -sf -K "$requests" || { echo "cannot create the nodes"; exit 1; }
body=$tmp/filter.json
{
  printf '{"Pod":'
  cat "$fixtures/api/create-pod-unscheduled.json"
  printf ',"NodeNames":['
  (IFS=,; printf '%s' "${names[*]:0:500}")
  printf ']}'
} >"$body"
"$build/scheduler-extender/phalanx-extender" --kubeconfig="$tmp/kubeconfig" --port=0 --bind-address=127.0.0.1 \
  --health-probe-bind-address=0 >"$tmp/extender.out" 2>"$tmp/extender.err" &
pids+=($!)
extender_pid=$!
line=$(wait_line "$tmp/extender.out" '^listening on') || { echo "extender did not start"; cat "$tmp/extender.err"; exit 1; }
port=${line##*:}
for i in $(seq 300); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break
  sleep 0.1
done
answer=$(curl -sf -X POST -H 'Content-Type: application/json' --data-binary "@$body" "http://127.0.0.1:$port/scheduler/filter")
passed=$(grep -o '"tpu-[0-9]*-[0-9]*"' <<<"${answer%%\"FailedNodes\"*}" | wc -l)
echo "extender: one /filter answer passes $passed of 500 nodes"
load extender "$extender_pid" "http://127.0.0.1:$port" "${EXTENDER_CONNECTIONS:-12}" \
  "$root/bench/load/extender_filter.lua" "$body" /scheduler/filter
exit $status
