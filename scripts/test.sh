#!/usr/bin/env bash
# README command 2: install what is missing, build, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
cd "${TUNGGAL_BUILD_DIR:-build}"
ctest --output-on-failure -j 2 --timeout 900
