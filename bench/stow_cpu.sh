#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# STOW-RS of the bench's request bodies (100 objects each, made by
# bench/run.sh in $WORK/stow-A-b100) into a fresh cloudfilm, one client or
# PARALLEL: inst/s and the server's CPU per object (all its threads; the
# "requests" share counts only threads started during the run, the STOW
# workers, and "background" the rest, HTTP I/O and pool threads included).
# No Orthanc: for comparing binaries back to back on a shared machine.
#   bench/stow_cpu.sh path/to/cloudfilm [PARALLEL]
# Environment: WORK (/tmp/cloudfilm-bench), BODIES ($WORK/stow-A-b100),
# PORT (18390), PERF=1 (perf record -g of the server into $WORK/stow_cpu.perf.data),
# LOGLEVEL (warn; debug logs each request's time from its last byte to its
# answer, "http.request ... ms="), KEEP_LOG (a file to copy the server's log to).
set -uo pipefail
BIN=$(realpath "${1:?usage: bench/stow_cpu.sh path/to/cloudfilm [PARALLEL]}")
PAR=${2:-1}
WORK=${WORK:-/tmp/cloudfilm-bench}
BODIES=${BODIES:-$WORK/stow-A-b100}
PORT=${PORT:-18390}
BOUNDARY=cloudfilmbenchboundary7d3f9a2c
[[ -d $BODIES ]] || { echo "stow_cpu: no request bodies in $BODIES (run bench/run.sh with PHASES=stow once)" >&2; exit 1; }
DATA=$(mktemp -d "$WORK/stow-cpu.XXXXXX")
SP=
cleanup() { [[ -n $SP ]] && kill "$SP" 2>/dev/null; wait 2>/dev/null; [[ -n ${KEEP_LOG:-} ]] && cp "$DATA/server.log" "$KEEP_LOG"; rm -rf "$DATA"; }
trap cleanup EXIT
TOKEN=$(head -c 30 /dev/urandom | base64 -w 0 | tr '+/' '-_')
(umask 077 && printf 'header = "Authorization: Bearer %s"\n' "$TOKEN" >"$DATA/.curlrc")
CLOUDFILM_BOOTSTRAP_TOKEN=$TOKEN "$BIN" serve --data "$DATA/data" --http-port "$PORT" \
  --dicom-port $((PORT + 1)) --bind 127.0.0.1 --log-level "${LOGLEVEL:-warn}" >"$DATA/server.log" 2>&1 &
SP=$!
for ((i = 0; i < 200; i++)); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done
sleep 1
ticks() { awk '{ print $14 + $15 }' "/proc/$SP/stat"; }
bg_tids=$(ls /proc/"$SP"/task)
bg_ticks() { for t in $bg_tids; do cat "/proc/$SP/task/$t/stat" 2>/dev/null; done | awk '{ s += $14 + $15 } END { print s + 0 }'; }
c0=$(ticks); l0=$(bg_ticks)
if [[ ${PERF:-0} == 1 ]]; then
  perf record -F 2000 -g -o "$WORK/stow_cpu.perf.data" -p "$SP" 2>/dev/null &
  PP=$!
  sleep 0.3
fi
t0=$EPOCHREALTIME
find "$BODIES" -name '*.bin' | sort |
  CURL_HOME=$DATA xargs -P "$PAR" -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
    -H "Content-Type: multipart/related; type=\"application/dicom\"; boundary=$BOUNDARY" \
    -H 'Accept: application/dicom+json' -H 'Expect:' -T {} "http://127.0.0.1:$PORT/dicom-web/studies" \
    >"$DATA/codes.txt"
t1=$EPOCHREALTIME
c1=$(ticks); l1=$(bg_ticks)
[[ ${PERF:-0} == 1 ]] && { kill -INT "$PP"; wait "$PP" 2>/dev/null; }
if grep -qv '^200$' "$DATA/codes.txt"; then
  echo "stow_cpu: non-200 answers: $(sort "$DATA/codes.txt" | uniq -c | tr '\n' ' ')" >&2; exit 1
fi
n=$(($(find "$BODIES" -name '*.bin' | wc -l) * 100))
awk -v a="$t1" -v b="$t0" -v n="$n" -v c=$((c1 - c0)) -v l=$((l1 - l0)) -v p="$PAR" 'BEGIN {
  printf "clients %d  inst/s %.0f  server CPU ms/object %.3f (requests %.3f, background %.3f)\n",
    p, n / (a - b), c * 10 / n, (c - l) * 10 / n, l * 10 / n }'
