#!/usr/bin/env bash
# Runs the libFuzzer harnesses of fuzz/ for a bounded time each and prints one line per harness
# (executions, coverage, crashes). Seeds come from the shared fixtures, copied at run time into
# BUILD_DIR/fuzz-corpus/<harness>/ (never into the repository); crash inputs land in
# BUILD_DIR/fuzz-artifacts/<harness>/. Exit 1 when any harness crashed, leaked or timed out.
#
#   scripts/fuzz.sh BUILD_DIR SECONDS [HARNESS...]     (BUILD_DIR configured with -DPHALANX_FUZZ=ON)
set -uo pipefail

build=${1:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [HARNESS...]}
seconds=${2:?usage: scripts/fuzz.sh BUILD_DIR SECONDS [HARNESS...]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=${PHALANX_FIXTURES:-$root/../shared/fixtures/k8s-v1.36}
harnesses=("$@")
if [[ ${#harnesses[@]} -eq 0 ]]; then
  harnesses=(admission_fuzzer extender_fuzzer jobset_fuzzer objects_fuzzer watch_fuzzer kubeconfig_fuzzer
             document_fuzzer json_patch_fuzzer)
fi

# seed DIR PREFIX_BYTES FILE...: each file, once per prefix byte (the harness's selector; "" for none).
seed() {
  local dir=$1 prefixes=$2
  shift 2
  local f p
  for f in "$@"; do
    [[ -f $f ]] || continue
    if [[ -z $prefixes ]]; then
      cp "$f" "$dir/seed-$(basename "$f")"
      continue
    fi
    for p in $prefixes; do
      { printf "\\x$p"; cat "$f"; } >"$dir/seed-$(basename "$f")-$p"
    done
  done
}

seed_corpus() {
  local h=$1 dir=$2
  case $h in
    admission_fuzzer)
      seed "$dir" "00 01 02 03 04 05 06 07" "$fixtures"/admission/*.request.json ;;
    extender_fuzzer)
      seed "$dir" "00 01" "$fixtures"/extender/*.request.json "$fixtures"/pinning/*.json ;;
    jobset_fuzzer)
      seed "$dir" "00 03" "$fixtures"/api/*jobset*.json "$fixtures"/admission/jobset-create-with-webhook-warning.json ;;
    objects_fuzzer)
      seed "$dir" "00 01 02 03 04 05 06" "$fixtures"/api/get-*.json "$fixtures"/api/create-*.json \
        "$fixtures"/api/list-nodes.json "$fixtures"/api/list-pods.json "$fixtures"/extender/*.body.json ;;
    watch_fuzzer)
      seed "$dir" "00 07 3f" "$fixtures"/api/watch-*.jsonl ;;
    kubeconfig_fuzzer)
      cat >"$dir/seed-kubeconfig" <<'KC'
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: abc
contexts:
- name: x
  context: {cluster: c, user: u, namespace: ns}
current-context: x
KC
      ;;
    document_fuzzer)
      seed "$dir" "" "$root"/examples/*.yaml "$fixtures"/api/*.yaml "$fixtures"/admission/*.yaml \
        "$fixtures"/extender/*.yaml "$fixtures"/admission/jobset-create-with-webhook-warning.json ;;
    json_patch_fuzzer)
      local p i=0
      for p in "$fixtures"/api/patch-*.request.json "$fixtures"/api/err-422-jsonpatch-*.request.json; do
        for sel in 00 01 02 03; do
          { printf "\\x$sel"; cat "$fixtures"/api/get-pod-after-binding.json; printf '\0'; cat "$p"; } >"$dir/seed-$i-$sel"
        done
        i=$((i + 1))
      done ;;
  esac
}

status=0
for h in "${harnesses[@]}"; do
  bin=$build/fuzz/$h
  if [[ ! -x $bin ]]; then
    echo "$h: not built ($bin)"
    status=1
    continue
  fi
  corpus=$build/fuzz-corpus/$h
  artifacts=$build/fuzz-artifacts/$h
  mkdir -p "$corpus" "$artifacts"
  seed_corpus "$h" "$corpus"
  log=$build/fuzz-logs/$h.log
  mkdir -p "$(dirname "$log")"
  "$bin" -max_total_time="$seconds" -dict="$root/fuzz/kubernetes.dict" -rss_limit_mb=2048 -timeout=10 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  crashes=$(find "$artifacts" -type f | wc -l)
  echo "$h: ${execs:-0} executions, cov ${cov:-?}, ft ${ft:-?}, corpus $(find "$corpus" -type f | wc -l), crashes $crashes, exit $rc (log $log)"
  if [[ $rc -ne 0 || $crashes -ne 0 ]]; then
    status=1
    grep -m3 -E 'ERROR: (AddressSanitizer|libFuzzer|UndefinedBehaviorSanitizer)|runtime error' "$log"
  fi
done
exit $status
