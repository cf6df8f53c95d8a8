#!/usr/bin/env bash
# Installs what the fuzz build adds to scripts/setup.sh: Debian's clang and its libFuzzer/sanitizer
# runtimes. Idempotent: does nothing when they are present. Works as root; uses sudo otherwise.
set -euo pipefail

bash "$(dirname "$0")/setup.sh"
PACKAGES=(clang libclang-rt-14-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup-fuzz: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
