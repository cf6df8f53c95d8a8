#!/usr/bin/env bash
# Load test of phalanx-webhook pod mutation over TLS keep-alive, on loopback.
#
#   bench/webhook/run_pod_mutation.sh [BUILD_DIR] [DURATION=10s] [CONNECTIONS=8] [WRK_THREADS=1]
#
# Makes throw-away certificates in BUILD_DIR/bench-webhook-certs, starts BUILD_DIR/webhook/phalanx-webhook
# on 127.0.0.1 with port 0, checks one request, runs wrk with pod_mutation.lua, then stops the server
# with SIGTERM. Also prints the server's own latency histogram for the path (time from request body to
# response body, from /metrics), which excludes TLS, the network and wrk. Target (DESIGN §6): p99 <= 0.5 ms and >= 5,000 requests/s on 2 cores.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-$root/build}"
duration="${2:-10s}"
connections="${3:-8}"
threads="${4:-1}"
fixture="$root/../shared/fixtures/k8s-v1.36/admission/pod-create-from-job-controller.mutate-pod.request.json"
binary="$build/webhook/phalanx-webhook"
certs="$build/bench-webhook-certs"

[[ -x "$binary" ]] || { echo "build phalanx-webhook first: $binary" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not installed" >&2; exit 1; }

bash "$root/certs/make-certs.sh" --out "$certs" --ip 127.0.0.1 --dns localhost >/dev/null

out="$(mktemp)"
"$binary" --port=0 --bind-address=127.0.0.1 --health-probe-bind-address=127.0.0.1:0 \
  --tls-cert-file="$certs/tls.crt" --tls-private-key-file="$certs/tls.key" >"$out" 2>/dev/null &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do
  grep -q '^health probes on' "$out" && break
  sleep 0.05
done
port="$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$out" | head -1)"
probe_port="$(sed -n 's/^health probes on 127.0.0.1:\([0-9]*\)$/\1/p' "$out" | head -1)"
[[ -n "$port" && -n "$probe_port" ]] || { echo "server did not start" >&2; exit 1; }

# One verified request first: the load below must be measuring successful mutations.
curl -sS --cacert "$certs/ca.crt" -H 'Content-Type: application/json' \
  --data-binary "@$fixture" "https://127.0.0.1:$port/mutate--v1-pod" | grep -q '"patchType":"JSONPatch"'

echo "phalanx-webhook on 127.0.0.1:$port; wrk -t$threads -c$connections -d$duration; $(nproc) cores"
PHALANX_POD_REVIEW="$fixture" wrk -t"$threads" -c"$connections" -d"$duration" --latency \
  -s "$here/pod_mutation.lua" "https://127.0.0.1:$port"

echo "server-side latency histogram (cumulative counts, seconds):"
curl -sS "http://127.0.0.1:$probe_port/metrics" |
  grep 'phalanx_webhook_request_duration_seconds_\(bucket\|count\|sum\){path="/mutate--v1-pod"' |
  sed 's/phalanx_webhook_request_duration_seconds_//'
