#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# QIDO-RS latency as the index grows, cloudfilm and Orthanc (Debian
# package, DICOMweb plugin) side by side on the same synthetic studies:
# first SMALL studies indexed, then LARGE. One tiny CT instance per study
# (and per patient) keeps the ingest short; what is measured is the index.
#
#   bench/qido_scale.sh path/to/cloudfilm
# Environment: SMALL (10000), LARGE (100000), SAMPLES (41 requests per
# query and size), WORK (/tmp/cloudfilm-qido), SHARED_BENCH (../shared/bench),
# REMEASURE=1 (keep WORK's data from an earlier run, both servers with
# LARGE studies, and measure again: after a change to cloudfilm).
# Prints p50/p99 in ms per query, server and index size, and the growth
# from SMALL to LARGE (p50 at LARGE / p50 at SMALL; 1.0 is flat, LARGE/SMALL
# is linear).
# cloudfilm's HTTP wants a bearer token: each run makes one, the server's
# CLOUDFILM_BOOTSTRAP_TOKEN; requests to cloudfilm send it (curl -H @FILE,
# not on the command line), requests to Orthanc do not.
set -euo pipefail
BIN=$(realpath "${1:?usage: bench/qido_scale.sh path/to/cloudfilm}")
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED_BENCH=${SHARED_BENCH:-$HERE/../../shared/bench}
SMALL=${SMALL:-10000} LARGE=${LARGE:-100000} SAMPLES=${SAMPLES:-41}
WORK=${WORK:-/tmp/cloudfilm-qido}
CF_PORT=18090 OR_PORT=18045
REMEASURE=${REMEASURE:-0}
log() { echo "qido-bench: $*" >&2; }
if [[ $REMEASURE != 1 ]]; then
rm -rf "$WORK"; mkdir -p "$WORK"
log "synthesising $SMALL + $((LARGE - SMALL)) studies"
"$BIN" synth "$WORK/a" --seed 101 --patients "$SMALL" --instances 1 --ct-size 16 --threads 2 \
  --charset mixed >/dev/null
"$BIN" synth "$WORK/b" --seed 202 --patients "$((LARGE - SMALL))" --instances 1 --ct-size 16 \
  --threads 2 --charset mixed >/dev/null
fi

CF_TOKEN=$(head -c 30 /dev/urandom | base64 -w 0 | tr '+/' '-_')  # 240 bits, base64url
CF_AUTH=$WORK/cf-auth.header  # curl -H @CF_AUTH
(umask 077 && printf 'Authorization: Bearer %s\n' "$CF_TOKEN" >"$CF_AUTH")

PLUGIN=$(dpkg -L orthanc-dicomweb 2>/dev/null | grep -m1 '/plugins/libOrthancDicomWeb\.so$' || true)
[[ -n $PLUGIN ]] || { log "orthanc-dicomweb is not installed"; exit 1; }
if [[ $REMEASURE != 1 ]]; then mkdir -p "$WORK/orthanc"; fi
sed -e "s#\${BENCH_ORTHANC_STORAGE}#$WORK/orthanc#g" -e "s#\${BENCH_ORTHANC_PLUGIN}#$PLUGIN#g" \
  -e "s/\"HttpPort\" *: *[0-9]*/\"HttpPort\" : $OR_PORT/" -e 's/"DicomPort" *: *[0-9]*/"DicomPort" : 14245/' \
  "$SHARED_BENCH/orthanc.json" >"$WORK/orthanc.json"
Orthanc "$WORK/orthanc.json" >"$WORK/orthanc.log" 2>&1 &
OR_PID=$!
CLOUDFILM_BOOTSTRAP_TOKEN=$CF_TOKEN "$BIN" serve --data "$WORK/cf" --http-port "$CF_PORT" \
  --dicom-port 18091 --log-level warn >/dev/null 2>"$WORK/cf.log" &
CF_PID=$!
trap 'kill $OR_PID $CF_PID 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for ((i = 0; i < 3000; i++)); do
  curl -sf "http://127.0.0.1:$OR_PORT/system" >/dev/null && curl -sf "http://127.0.0.1:$CF_PORT/healthz" >/dev/null && break
  sleep 0.02
done

load() {  # load DIR: into both servers (cloudfilm by STOW-RS-free import path: the CLI beside the server)
  local dir=$1 t0
  t0=$EPOCHREALTIME
  "$BIN" import --data "$WORK/cf" --quiet "$dir" >/dev/null || true
  log "cloudfilm import of $(basename "$dir"): $(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.0f", a - b }') s"
  t0=$EPOCHREALTIME
  find "$dir" -name '*.dcm' -print0 |
    xargs -0 -n 50 -P 4 sh -c 'for f; do curl -sf -o /dev/null -X POST -H "Expect:" --data-binary @"$f" http://127.0.0.1:'"$OR_PORT"'/instances; done' sh
  log "Orthanc upload of $(basename "$dir"): $(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.0f", a - b }') s"
}

# Query URLs from the manifest of the first set (present at both sizes).
MAN=$WORK/a/manifest.tsv
mapfile -t PIDS < <(awk -F'\t' 'NR > 1 { print $2 }' "$MAN" | shuf -n "$SAMPLES" --random-source=<(yes))
mapfile -t DATES < <(awk -F'\t' 'NR > 1 { print $10 }' "$MAN" | sort -u | shuf -n "$SAMPLES" --random-source=<(yes))
mapfile -t ACCS < <(awk -F'\t' 'NR > 1 { print $11 }' "$MAN" | shuf -n "$SAMPLES" --random-source=<(yes))
mapfile -t FAMS < <(awk -F'\t' 'NR > 1 { split($3, g, "^"); print g[1] }' "$MAN" | sort -u | shuf -n "$SAMPLES" --random-source=<(yes))
urls() {  # urls QUERY ROOT: one URL per sample
  local q=$1 root=$2 i
  for ((i = 0; i < SAMPLES; i++)); do
    local n=$((i % ${#PIDS[@]}))
    case $q in
      PatientID) echo "$root/studies?PatientID=${PIDS[$n]}" ;;
      AccessionNumber) echo "$root/studies?AccessionNumber=${ACCS[$((i % ${#ACCS[@]}))]}" ;;
      StudyDate) echo "$root/studies?StudyDate=${DATES[$((i % ${#DATES[@]}))]}" ;;
      StudyDate_month) local d=${DATES[$((i % ${#DATES[@]}))]}; echo "$root/studies?StudyDate=${d:0:6}01-${d:0:6}28&limit=100" ;;
      PatientName_prefix) echo "$root/studies?PatientName=${FAMS[$((i % ${#FAMS[@]}))]}*&limit=100" ;;
      latest_100) echo "$root/studies?limit=100" ;;
    esac
  done
}
QUERIES=(PatientID AccessionNumber StudyDate StudyDate_month PatientName_prefix latest_100)
measure() {  # measure SIZE
  local size=$1 server root q auth
  for server in orthanc cloudfilm; do
    if [[ $server == orthanc ]]; then root=http://127.0.0.1:$OR_PORT/dicom-web auth=()
    else root=http://127.0.0.1:$CF_PORT/dicom-web auth=(-H "@$CF_AUTH"); fi
    for q in "${QUERIES[@]}"; do
      urls "$q" "$root" | while read -r u; do
        curl -s -o /dev/null -g "${auth[@]}" -H 'Accept: application/dicom+json' -w '%{time_total}\n' "$u"
      done | awk '{ printf "%.3f\n", $1 * 1000 }' | sort -g >"$WORK/$server.$size.$q.txt"
    done
  done
}
pct() { awk -v p="$2" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; print a[i] }' "$1"; }

if [[ $REMEASURE == 1 ]]; then
  measure "$LARGE"
  for q in "${QUERIES[@]}"; do
    printf '%-20s %8s orthanc p50 %10s  cloudfilm p50 %10s p99 %10s\n' "$q" "$LARGE" \
      "$(pct "$WORK/orthanc.$LARGE.$q.txt" 50)" "$(pct "$WORK/cloudfilm.$LARGE.$q.txt" 50)" \
      "$(pct "$WORK/cloudfilm.$LARGE.$q.txt" 99)"
  done
  exit 0
fi
load "$WORK/a"; measure "$SMALL"
load "$WORK/b"; measure "$LARGE"
cf_n=$(curl -s -H "@$CF_AUTH" "http://127.0.0.1:$CF_PORT/api/system" | jq .studies)
or_n=$(curl -s "http://127.0.0.1:$OR_PORT/statistics" | jq .CountStudies)
log "studies indexed: cloudfilm $cf_n, Orthanc $or_n"

printf '%-20s %8s %10s %10s %10s %10s %8s\n' query studies orth_p50 cf_p50 orth_p99 cf_p99 speedup
for q in "${QUERIES[@]}"; do
  for size in "$SMALL" "$LARGE"; do
    op50=$(pct "$WORK/orthanc.$size.$q.txt" 50); cp50=$(pct "$WORK/cloudfilm.$size.$q.txt" 50)
    printf '%-20s %8s %10s %10s %10s %10s %8.1f\n' "$q" "$size" "$op50" "$cp50" \
      "$(pct "$WORK/orthanc.$size.$q.txt" 99)" "$(pct "$WORK/cloudfilm.$size.$q.txt" 99)" \
      "$(awk -v a="$op50" -v b="$cp50" 'BEGIN { print (b > 0) ? a / b : 0 }')"
  done
done
echo "growth of the cloudfilm p50 from $SMALL to $LARGE studies (linear would be $((LARGE / SMALL))x):"
for q in "${QUERIES[@]}"; do
  printf '  %-20s %.2fx\n' "$q" "$(awk -v a="$(pct "$WORK/cloudfilm.$LARGE.$q.txt" 50)" -v b="$(pct "$WORK/cloudfilm.$SMALL.$q.txt" 50)" 'BEGIN { print a / b }')"
done
