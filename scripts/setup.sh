#!/usr/bin/env bash
# Installs the Debian 12 packages Phalanx builds and tests with. Idempotent: does nothing when all are present.
# Works as root; uses sudo otherwise.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git openssl ca-certificates
  libabsl-dev nlohmann-json3-dev rapidjson-dev libcpp-httplib-dev libssl-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev libgoogle-perftools-dev
  wrk
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
