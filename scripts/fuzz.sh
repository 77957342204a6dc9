#!/usr/bin/env bash
# Runs one libFuzzer target (fuzz/) for a while: installs clang if missing, configures build-fuzz
# with -DTUNGGAL_FUZZ=ON, builds the target and runs it on a corpus kept in build-fuzz/corpus/TARGET
# (seeded on the first run). Findings (crash-*, leak-*, timeout-*) land in build-fuzz/findings.
# Usage: scripts/fuzz.sh TARGET [SECONDS=60] [extra libFuzzer flags...]
#   targets: frame_fuzz (protocol bytes), image_fuzz (image bytes -> decode -> extraction -> record),
#            image_decode_fuzz (image bytes -> header and decode only, much faster),
#            record_fuzz (ISO/ANSI minutiae records -> reader -> writer -> reader)
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:?usage: scripts/fuzz.sh TARGET [SECONDS] [libFuzzer flags...]}
SECONDS_TO_RUN=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
./scripts/setup.sh fuzz
BUILD_DIR=${TUNGGAL_FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DTUNGGAL_FUZZ=ON
fi
CORPUS="$BUILD_DIR/corpus/$TARGET"
mkdir -p "$CORPUS" "$BUILD_DIR/findings"
case "$TARGET" in
  image_fuzz | image_decode_fuzz)
    cmake --build "$BUILD_DIR" -j "${TUNGGAL_JOBS:-2}" --target "$TARGET" image_fuzz_seeds
    if [ -z "$(ls -A "$CORPUS")" ]; then
      "$BUILD_DIR/fuzz/image_fuzz_seeds" "$CORPUS"
      # Real prints too, when the evaluation data sits beside the checkout (never committed).
      for f in ../shared/data/fvc2002/DB*_B/10[1-2]_1.tif; do [ -f "$f" ] && cp "$f" "$CORPUS/"; done
    fi
    # Inputs are whole image files; a few hundred KiB covers a 500 ppi print in any format.
    set -- -max_len=400000 -timeout=20 -rss_limit_mb=3072 "$@"
    ;;
  record_fuzz)
    cmake --build "$BUILD_DIR" -j "${TUNGGAL_JOBS:-2}" --target record_fuzz
    # Seeds: the FVC2002 SecuGen records (ISO), when the data sits beside the checkout.
    if [ -z "$(ls -A "$CORPUS")" ]; then
      for f in ../shared/data/fvc2002/DB*_B/10[1-3]_[1-3].iso; do [ -f "$f" ] && cp "$f" "$CORPUS/"; done
    fi
    ;;
  frame_fuzz) cmake --build "$BUILD_DIR" -j "${TUNGGAL_JOBS:-2}" --target frame_fuzz ;;
  *) echo "fuzz.sh: unknown target '$TARGET' (frame_fuzz, image_fuzz, image_decode_fuzz, record_fuzz)" >&2; exit 2 ;;
esac
exec "$BUILD_DIR/fuzz/$TARGET" -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1 \
  -artifact_prefix="$BUILD_DIR/findings/" "$@" "$CORPUS"
