#!/usr/bin/env bash
# Configures and builds tunggal (Release, Ninja, ccache) into ./build. Used by both README commands.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${TUNGGAL_BUILD_DIR:-build}
JOBS=${TUNGGAL_JOBS:-2}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$BUILD_DIR" -j "$JOBS"
