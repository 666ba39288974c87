#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# WADO-RS study metadata of large studies (issue 4: "study-level metadata
# latency for a 500-instance study"), cloudfilm and Orthanc (Debian package,
# DICOMweb plugin) side by side on the same files: the shared runner's
# 512 x 512 CT slices (make-dataset.sh), STUDIES studies of PER_STUDY
# instances each.
#
#   bench/metadata.sh path/to/cloudfilm
# Environment: PER_STUDY (500), STUDIES (2), ROUNDS (5), WARM (10),
# WORK (/tmp/cloudfilm-metadata), SHARED_BENCH (../shared/bench).
#
# Each round restarts both servers (no cache of ours survives a restart;
# the files stay in the page cache for both), asks each study's metadata
# once ("first") and then WARM times more ("again"). Prints medians over
# all rounds and studies, and the ratio Orthanc / cloudfilm.
# cloudfilm's HTTP wants a bearer token: each run makes one, the server's
# CLOUDFILM_BOOTSTRAP_TOKEN; requests to cloudfilm send it (curl -H @FILE).
set -euo pipefail
BIN=$(realpath "${1:?usage: bench/metadata.sh path/to/cloudfilm}")
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED_BENCH=${SHARED_BENCH:-$HERE/../../shared/bench}
PER_STUDY=${PER_STUDY:-500} STUDIES=${STUDIES:-2} ROUNDS=${ROUNDS:-5} WARM=${WARM:-10}
WORK=${WORK:-/tmp/cloudfilm-metadata}
CF_PORT=18190 OR_PORT=18145
log() { echo "metadata-bench: $*" >&2; }
command -v jq >/dev/null || { log "jq is missing (scripts/install-deps.sh)"; exit 1; }
PLUGIN=$(dpkg -L orthanc-dicomweb 2>/dev/null | grep -m1 '/plugins/libOrthancDicomWeb\.so$' || true)
[[ -n $PLUGIN ]] || { log "orthanc-dicomweb is not installed"; exit 1; }

DS=$WORK/ds-$STUDIES-$PER_STUDY
if [[ ! -f $DS/manifest.tsv ]]; then
  log "making $STUDIES x $PER_STUDY CT slices in $DS"
  rm -rf "$DS"
  "$SHARED_BENCH/make-dataset.sh" "$((STUDIES * PER_STUDY))" "$DS" "$PER_STUDY" >/dev/null
fi
mapfile -t STUDY_UIDS < <(awk -F'\t' 'NR > 1 { print $3 }' "$DS/manifest.tsv" | uniq)

rm -rf "$WORK/cf" "$WORK/orthanc"; mkdir -p "$WORK/orthanc"
CF_TOKEN=$(head -c 30 /dev/urandom | base64 -w 0 | tr '+/' '-_')  # 240 bits, base64url
CF_AUTH=$WORK/cf-auth.header
(umask 077 && printf 'Authorization: Bearer %s\n' "$CF_TOKEN" >"$CF_AUTH")
sed -e "s#\${BENCH_ORTHANC_STORAGE}#$WORK/orthanc#g" -e "s#\${BENCH_ORTHANC_PLUGIN}#$PLUGIN#g" \
  -e "s/\"HttpPort\" *: *[0-9]*/\"HttpPort\" : $OR_PORT/" -e 's/"DicomPort" *: *[0-9]*/"DicomPort" : 14246/' \
  "$SHARED_BENCH/orthanc.json" >"$WORK/orthanc.json"

OR_PID='' CF_PID=''
stop() {
  local pid
  for pid in $OR_PID $CF_PID; do
    if kill "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
  done
  OR_PID='' CF_PID=''
}
start() {
  Orthanc "$WORK/orthanc.json" >>"$WORK/orthanc.log" 2>&1 &
  OR_PID=$!
  CLOUDFILM_BOOTSTRAP_TOKEN=$CF_TOKEN "$BIN" serve --data "$WORK/cf" --http-port "$CF_PORT" \
    --dicom-port 18191 --log-level warn >/dev/null 2>>"$WORK/cf.log" &
  CF_PID=$!
  local i
  for ((i = 0; i < 3000; i++)); do
    curl -sf "http://127.0.0.1:$OR_PORT/system" >/dev/null &&
      curl -sf "http://127.0.0.1:$CF_PORT/healthz" >/dev/null && return 0
    sleep 0.02
  done
  log "the servers did not start (see $WORK/*.log)"; exit 1
}
trap stop EXIT

start
log "loading $((STUDIES * PER_STUDY)) objects into both"
"$BIN" import --data "$WORK/cf" --quiet "$DS"/s* >/dev/null  # not manifest.tsv
# shellcheck disable=SC2016 # $f is the inner shell's
find "$DS" -name '*.dcm' -print0 |
  xargs -0 -n 50 -P 4 sh -c 'for f; do curl -sf -o /dev/null -X POST -H "Expect:" --data-binary @"$f" http://127.0.0.1:'"$OR_PORT"'/instances; done' sh
# Both must answer every instance, or the comparison means nothing.
for study in "${STUDY_UIDS[@]}"; do
  n_or=$(curl -s "http://127.0.0.1:$OR_PORT/dicom-web/studies/$study/metadata" | jq length)
  n_cf=$(curl -s -H "@$CF_AUTH" "http://127.0.0.1:$CF_PORT/dicom-web/studies/$study/metadata" | jq length)
  [[ $n_or == "$PER_STUDY" && $n_cf == "$PER_STUDY" ]] ||
    { log "study metadata has $n_or (Orthanc) and $n_cf (cloudfilm) instances, not $PER_STUDY"; exit 1; }
done

time_ms() {  # time_ms URL [curl args]: one request, new connection
  local url=$1; shift
  curl -s -o /dev/null -H 'Accept: application/dicom+json' "$@" -w '%{http_code} %{time_total}\n' "$url" |
    awk '$1 != 200 { print "HTTP " $1 > "/dev/stderr"; exit 1 } { printf "%.2f\n", $2 * 1000 }'
}
for f in orthanc.first orthanc.again cloudfilm.first cloudfilm.again; do : >"$WORK/$f"; done
for ((r = 1; r <= ROUNDS; r++)); do
  stop; start
  for study in "${STUDY_UIDS[@]}"; do
    time_ms "http://127.0.0.1:$OR_PORT/dicom-web/studies/$study/metadata" >>"$WORK/orthanc.first"
    time_ms "http://127.0.0.1:$CF_PORT/dicom-web/studies/$study/metadata" -H "@$CF_AUTH" >>"$WORK/cloudfilm.first"
    for ((k = 0; k < WARM; k++)); do
      time_ms "http://127.0.0.1:$OR_PORT/dicom-web/studies/$study/metadata" >>"$WORK/orthanc.again"
      time_ms "http://127.0.0.1:$CF_PORT/dicom-web/studies/$study/metadata" -H "@$CF_AUTH" >>"$WORK/cloudfilm.again"
    done
  done
  log "round $r of $ROUNDS done"
done

median() { sort -g "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
printf '| WADO-RS study metadata, %s instances | Orthanc (ms) | cloudfilm (ms) | ratio |\n| --- | ---: | ---: | ---: |\n' "$PER_STUDY"
for kind in first again; do
  o=$(median "$WORK/orthanc.$kind") c=$(median "$WORK/cloudfilm.$kind")
  printf '| %s request (median of %s) | %s | %s | %.2f |\n' "$kind" "$(wc -l <"$WORK/cloudfilm.$kind")" "$o" "$c" \
    "$(awk -v o="$o" -v c="$c" 'BEGIN { print o / c }')"
done
