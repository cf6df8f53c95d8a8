#!/usr/bin/env bash
# What `make run` does before the main job: install the Debian packages (when missing), configure, and
# build only the given targets — a few progress lines on the terminal, everything else in
# BUILD_DIR/make-run.log, whose last lines are shown when a step fails.
#
#   scripts/quiet-build.sh BUILD_DIR TARGET...
set -euo pipefail
BUILD_DIR=${1:?usage: quiet-build.sh BUILD_DIR TARGET...}
shift
cd "$(dirname "$0")/.."
mkdir -p "$BUILD_DIR"
log="$BUILD_DIR/make-run.log"
: > "$log"

step() {
  local what=$1
  shift
  printf '%s ... ' "$what"
  local start=$SECONDS
  if "$@" >>"$log" 2>&1; then
    echo "done ($((SECONDS - start)) s)"
  else
    echo "failed"
    echo "---- last lines of $log ----"
    tail -n 40 "$log"
    exit 1
  fi
}

step "installing Debian packages (only those missing)" bash scripts/setup.sh
step "configuring" cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release
step "building $* (log: $log)" cmake --build "$BUILD_DIR" -j "$(nproc)" --target "$@"
