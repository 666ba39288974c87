#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The OHIF viewer (npm @ohif/app, its built dist/) in headless Chromium
# against the real binary: the study list shows every stored study and the
# viewer displays a CT, checked on the pixels of the viewport canvas
# (tests/js/ohif_test.js). OHIF is served by tests/js/ohif_static_server.js on
# its own port, so the browser goes cross-origin to cloudfilm, which answers
# CORS (http.cors_allow_origin). The objects are compacted first: OHIF reads
# them as cloudfilm keeps them after the first day. Screenshots are left in
# $CF_ARTIFACTS (default /tmp). scripts/install-deps.sh installs Chromium,
# playwright-core and @ohif/app. The page sends CF_TOKEN (lib.sh) to cloudfilm
# only; the curls to the static server are anonymous (curl -q).
source "$(dirname "$0")/lib.sh"

JS=$HERE/../js
[[ -f $JS/node_modules/@ohif/app/dist/index.html && -d $JS/node_modules/playwright-core ]] ||
  { echo "FAILED - tests/js/node_modules lacks @ohif/app or playwright-core: run scripts/install-deps.sh"; exit 1; }
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] ||
  { echo "FAILED - no Chromium at ${CHROMIUM:-/usr/bin/chromium}: run scripts/install-deps.sh"; exit 1; }
export CF_ARTIFACTS=${CF_ARTIFACTS:-/tmp}
STATIC_PID=
stop_static() { [[ -n $STATIC_PID ]] && kill "$STATIC_PID" 2>/dev/null && wait "$STATIC_PID" 2>/dev/null; STATIC_PID=; }
trap 'stop_static; cleanup' EXIT

# Three patients (names in ISO_IR 100, GB18030 and UTF-8 with Chinese
# ideographic groups), a CT and an MR study each, ten 512 x 512 slices a series.
"$CLOUDFILM" synth "$WORK/synth" --seed 4 --patients 3 --studies 2 --series 1 --instances 10 \
  --modalities CT,MR --ct-size 512 --charset mixed >/dev/null
"$CLOUDFILM" import -q --data "$WORK/data" "$WORK"/synth/*/ >/dev/null
"$CLOUDFILM" compact --data "$WORK/data" --compress-after 0 >/dev/null
# Each study's description as DCMTK reads it from the files, in UTF-8: what
# the study list must show, independent of cloudfilm's character set code.
{
  printf 'study_uid\tdescription\n'
  awk -F'\t' 'NR > 1 && $13 == 1 { print $1 }' "$WORK/synth/manifest.tsv" | while read -r f; do
    dcmdump +U8 -q +P 0020,000d +P 0008,1030 "$WORK/synth/$f" | sed -E 's/^[^[]*\[(.*)\].*$/\1/' | paste -s -d '\t'
  done
} >"$WORK/studies.tsv"

# OHIF's origin must be known before cloudfilm starts: pick its port first.
OHIF_PORT=$(free_port)
OHIF=http://127.0.0.1:$OHIF_PORT
printf '[http]\ncors_allow_origin = "%s"\n' "$OHIF" >"$WORK/cloudfilm.toml"
start_server "$WORK/data" --config "$WORK/cloudfilm.toml"
node "$JS/ohif_static_server.js" "$BASE" "$OHIF_PORT" >"$WORK/static.log" 2>&1 &
STATIC_PID=$!
for ((i = 0; i < 250; i++)); do
  curl -q -sf -o /dev/null "$OHIF/app-config.js" && break
  kill -0 "$STATIC_PID" 2>/dev/null || { echo "FAILED - OHIF static server died:"; cat "$WORK/static.log"; exit 1; }
  sleep 0.02
done
check "OHIF is served" curl -q -sf -o /dev/null "$OHIF/viewer?StudyInstanceUIDs=1"

rc=0
timeout 150 node "$JS/ohif_test.js" "$OHIF" "$BASE" "$WORK/synth/manifest.tsv" "$WORK/studies.tsv" || rc=$?
check_eq "OHIF checks pass" 0 "$rc"
echo "# screenshots: $CF_ARTIFACTS/ohif-study-list.png $CF_ARTIFACTS/ohif-ct.png"
check "server still up" server_alive
if [[ $rc -ne 0 ]]; then
  echo "# cloudfilm log:"; sed 's/^/#   /' "$WORK/server.log" | tail -30
fi
finish
