#!/usr/bin/env bash
# Installs every Debian package tunggal needs to build, test and benchmark.
# Idempotent: asks apt only for what dpkg says is missing, so a second run takes a second.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libfaiss-dev libopenblas0-pthread libopenblas-dev
  librocksdb-dev libtbb-dev libeigen3-dev libopencv-dev libboost-dev
  libbenchmark-dev libgtest-dev libgmock-dev
  libprotobuf-dev protobuf-compiler libssl-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libxxhash-dev libtomlplusplus-dev
  openssl
)
# Extra groups, asked for by name: `setup.sh fuzz` adds clang and its libFuzzer/sanitizer runtime
# (scripts/fuzz.sh); the README commands never need them.
for group in "$@"; do
  case "$group" in
    fuzz) PACKAGES+=(clang libclang-rt-14-dev) ;;
    *) echo "setup: unknown package group '$group' (known: fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
