#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lossless codecs: the stored form's JPEG-LS (CharLS) and HTJ2K (OpenJPH)
# against OpenJPEG reversible J2K and zstd -3 of the whole file, on synthetic
# studies and the shared real test files. One thread (per-core figures),
# medians of REPS passes; a few minutes on 2 cores. The markdown table goes
# to stdout, the build and progress to stderr.
#
#   bench/codec.sh [BUILD_DIR] [TESTDATA]
# BUILD_DIR: a configured build folder (build); TESTDATA: ../shared/testdata
# (the real set is skipped, with a message, when it is missing).
# Environment: REPS (3).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${1:-$ROOT/build}
TESTDATA=${2:-$ROOT/../shared/testdata}
[[ -f $BUILD/CMakeCache.txt ]] || { echo "codec.sh: $BUILD is not a configured build folder (make build)" >&2; exit 1; }
# Up to date in a second when nothing changed; stdout is kept for the table.
if ! cmake --build "$BUILD" --target cf_codec_bench >&2; then
  echo "codec.sh: cannot build cf_codec_bench (needs CF_BUILD_BENCH=ON and libopenjp2-7-dev)" >&2
  exit 1
fi
exec "$BUILD/bench/cf_codec_bench" --reps "${REPS:-3}" "$TESTDATA"
