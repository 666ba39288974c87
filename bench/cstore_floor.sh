#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The client's own ceiling for the C-STORE ingest figures: the bench's
# storescu sending the same files to DCMTK's `storescp --ignore`, which
# receives every data set and keeps nothing (no parse, no disk). No archive
# can acknowledge faster than this on the machine; it tells whether a ratio
# against Orthanc is bounded by the server or by the sender.
#   bench/cstore_floor.sh [RUNS] [PARALLEL]
# Prints "floor.cstore1 <median inst/s>" and "floor.cstoreP <median inst/s>".
# Environment: DS (default $WORK/ds-A, made by bench/run.sh), WORK
# (/tmp/cloudfilm-bench), PORT (11195).
set -uo pipefail
RUNS=${1:-3}
PAR=${2:-4}
WORK=${WORK:-/tmp/cloudfilm-bench}
DS=${DS:-$WORK/ds-A}
PORT=${PORT:-11195}
[[ -d $DS ]] || { echo "cstore_floor: no data set in $DS (run bench/run.sh once)" >&2; exit 1; }
command -v storescp >/dev/null || { echo "cstore_floor: storescp (dcmtk) is missing" >&2; exit 1; }
OUT=$(mktemp -d "$WORK/cstore-floor.XXXXXX")
SP=
cleanup() { [[ -n $SP ]] && kill "$SP" 2>/dev/null; wait 2>/dev/null; rm -rf "$OUT"; }
trap cleanup EXIT
# TCP_NODELAY on both ends, as the bench's senders and our server have it:
# without it each object waits for a delayed ACK.
TCP_NODELAY=1 storescp --fork --ignore -aet CLOUDFILM "$PORT" 2>"$OUT/storescp.err" &
SP=$!
for ((i = 0; i < 100; i++)); do echoscu -aec CLOUDFILM 127.0.0.1 "$PORT" 2>/dev/null && break; sleep 0.05; done
n=$(find "$DS" -name '*.dcm' | wc -l)
dirs=("$DS"/s*/)
send() {  # PARALLEL -> appends inst/s to $OUT/rate.$1
  local par=$1 p i t0 pids=()
  t0=$EPOCHREALTIME
  for ((p = 0; p < par; p++)); do
    local mine=()
    for ((i = p; i < ${#dirs[@]}; i += par)); do mine+=("${dirs[$i]}"); done
    TCP_NODELAY=1 storescu -aet BENCH -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$PORT" "${mine[@]}" \
      2>>"$OUT/storescu.err" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { echo "cstore_floor: storescu failed" >&2; exit 1; }; done
  awk -v a="$EPOCHREALTIME" -v b="$t0" -v n="$n" 'BEGIN { printf "%.1f\n", n / (a - b) }' >>"$OUT/rate.$par"
}
median() { sort -g "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
send 1  # warm-up: the files into the page cache, as for the measured servers
: >"$OUT/rate.1"
for ((r = 0; r < RUNS; r++)); do send 1; send "$PAR"; done
echo "floor.cstore1 $(median "$OUT/rate.1")"
echo "floor.cstoreP $(median "$OUT/rate.$PAR")"
