#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One C-STORE ingest of the bench's data set into a fresh cloudfilm, with the
# server's CPU per object split between the association threads (the path a
# sender waits on) and the background threads (materializer, journal spare,
# checkpoints). Less noisy than the rate on a shared machine; no Orthanc.
#   bench/cstore_cpu.sh path/to/cloudfilm [PARALLEL]
# Environment: DS (the data set folder; default $WORK/ds-A, made by
# bench/run.sh), WORK (/tmp/cloudfilm-bench), PORT (11190),
# PERF=1 (perf record -g of the server into $WORK/cstore_cpu.perf.data),
# DRAIN=1 (also the background CPU once the materializer has filed everything).
set -uo pipefail
BIN=$(realpath "${1:?usage: bench/cstore_cpu.sh path/to/cloudfilm [PARALLEL]}")
PAR=${2:-1}
WORK=${WORK:-/tmp/cloudfilm-bench}
DS=${DS:-$WORK/ds-A}
PORT=${PORT:-11190}
HTTP_PORT=$((PORT + 1000))
[[ -d $DS ]] || { echo "cstore_cpu: no data set in $DS (run bench/run.sh once)" >&2; exit 1; }
DATA=$(mktemp -d "$WORK/cstore-cpu.XXXXXX")
SP=
cleanup() { [[ -n $SP ]] && kill "$SP" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"; }
trap cleanup EXIT
CLOUDFILM_BOOTSTRAP_TOKEN=$(head -c 30 /dev/urandom | base64 -w 0 | tr '+/' '-_') \
  "$BIN" serve --data "$DATA/data" --http-port "$HTTP_PORT" --dicom-port "$PORT" --bind 127.0.0.1 \
  --log-level warn >"$DATA/server.log" 2>&1 &
SP=$!
for ((i = 0; i < 200; i++)); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && break; sleep 0.05; done
sleep 1  # the journal's spare segment, the first checkpoint
ticks() { awk '{ print $14 + $15 }' "/proc/$SP/stat"; }
# The threads there before the first association: the background ones.
bg_tids=$(ls /proc/"$SP"/task)
bg_ticks() { for t in $bg_tids; do cat "/proc/$SP/task/$t/stat" 2>/dev/null; done | awk '{ s += $14 + $15 } END { print s + 0 }'; }
c0=$(ticks); l0=$(bg_ticks)
if [[ ${PERF:-0} == 1 ]]; then
  perf record -F 1000 ${PERF_CG:--g} -o "$WORK/cstore_cpu.perf.data" -p "$SP" 2>/dev/null &
  PP=$!
  sleep 0.3
fi
t0=$EPOCHREALTIME
dirs=("$DS"/s*/)
pids=()
for ((p = 0; p < PAR; p++)); do
  mine=()
  for ((i = p; i < ${#dirs[@]}; i += PAR)); do mine+=("${dirs[$i]}"); done
  TCP_NODELAY=1 storescu -aet BENCH -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$PORT" "${mine[@]}" \
    2>>"$DATA/storescu.err" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { echo "cstore_cpu: storescu failed" >&2; tail -3 "$DATA/storescu.err" >&2; exit 1; }; done
t1=$EPOCHREALTIME
c1=$(ticks); l1=$(bg_ticks)
if [[ ${DRAIN:-0} == 1 ]]; then
  # The materializer may still be filing when the last sender is answered
  # (it runs at nice 10 behind the associations), so the background CPU
  # can miss part of its work. Wait until the background threads go quiet
  # (at most a tick per half second: checkpoints) and count all of it
  # (perf too, with PERF=1).
  prev=$l1
  for ((i = 0; i < 240; i++)); do
    sleep 0.5
    now=$(bg_ticks)
    ((now - prev <= 1)) && break
    prev=$now
  done
  l2=$(bg_ticks)
fi
[[ ${PERF:-0} == 1 ]] && { kill -INT "$PP"; wait "$PP" 2>/dev/null; }
n=$(find "$DS" -name '*.dcm' | wc -l)
awk -v a="$t1" -v b="$t0" -v n="$n" -v c=$((c1 - c0)) -v l=$((l1 - l0)) -v p="$PAR" 'BEGIN {
  printf "associations %d  inst/s %.0f  server CPU ms/object %.3f (associations %.3f, background %.3f)\n",
    p, n / (a - b), c * 10 / n, (c - l) * 10 / n, l * 10 / n }'
if [[ ${DRAIN:-0} == 1 ]]; then
  awk -v n="$n" -v l=$((l2 - l0)) -v d=$((l2 - l1)) 'BEGIN {
    printf "  backlog filed: background CPU ms/object %.3f (%.3f of it after the last response)\n",
      l * 10 / n, d * 10 / n }'
fi
