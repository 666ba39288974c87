#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Crash soak: the integration crash test (concurrent C-STORE, SIGKILL of the
# server at a random moment, restart, every acknowledged instance checked
# byte-exact, fsck clean) repeated ROUNDS times (default 50) on one archive.
#   bench/crash_soak.sh path/to/cloudfilm
# Prints the number of acknowledged instances lost (must be 0).
set -euo pipefail
BIN=$(realpath "${1:?usage: bench/crash_soak.sh path/to/cloudfilm}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-50} CLOUDFILM=$BIN CF_TESTDATA= bash "$HERE/../tests/integration/crash_test.sh" | tee /tmp/cloudfilm-crash-soak.log |
  grep -E 'round [0-9]+:|kills landed|acknowledged instances lost|passed,'
