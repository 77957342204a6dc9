#!/usr/bin/env bash
# README command 1: install what is missing, build, run the main job on its embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
exec "./${TUNGGAL_BUILD_DIR:-build}/cli/tunggal" demo "$@"
