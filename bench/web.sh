#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Web load times (bench/web/load_times.js): a 300-slice 512 x 512 CT kept in
# its stored form (HTJ2K, as after its first day), opened from a patient's
# QR link in our patient app and in OHIF (tests/js's @ohif/app build on its
# own origin), in headless Chromium on a throttled link.
#   bench/web.sh path/to/cloudfilm
# Knobs: RUNS (3), SLICES (300), LINK_MBIT (20), LINK_LATENCY_MS (40), READ_MS (0: the
# patient taps the series as soon as the exam page is there).
set -euo pipefail
export CLOUDFILM=$(realpath "${1:?usage: bench/web.sh path/to/cloudfilm}")
BENCH=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
SLICES=${SLICES:-300}
source "$BENCH/../tests/integration/lib.sh"
JS=$BENCH/../tests/js
STATIC_PID=
trap '[[ -n $STATIC_PID ]] && kill "$STATIC_PID" 2>/dev/null; cleanup' EXIT

"$CLOUDFILM" synth "$WORK/synth" --seed 300 --patients 1 --studies 1 --series 1 --instances "$SLICES" \
  --modalities CT --ct-size 512 --charset mixed >/dev/null
"$CLOUDFILM" import -q --data "$WORK/data" "$WORK"/synth/*/ >/dev/null
"$CLOUDFILM" compact --data "$WORK/data" --compress-after 0 >/dev/null
FIRST=$(find "$WORK/synth" -name '*.dcm' | sort | head -1)
STUDY=$(dicom_value "$FIRST" StudyInstanceUID)
BIRTH=$(dicom_value "$FIRST" PatientBirthDate)

OHIF_PORT=$(free_port)
OHIF=http://127.0.0.1:$OHIF_PORT
printf '[http]\ncors_allow_origin = "%s"\n' "$OHIF" >"$WORK/cloudfilm.toml"
start_server "$WORK/data" --config "$WORK/cloudfilm.toml"
node "$JS/ohif_static_server.js" "$BASE" "$OHIF_PORT" >"$WORK/static.log" 2>&1 &
STATIC_PID=$!
DOC=$(account_token "$WORK/data" dr.bench doctor default --config "$WORK/cloudfilm.toml")
curl -q -sf -o /dev/null -H "Authorization: Bearer $DOC" -H 'Content-Type: application/json' --data-binary \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"final\",\"conclusion\":\"未见异常。\",\"signer\":\"李医生\",\"signed_at\":\"2026-11-29T09:30:00+08:00\"}" \
  "$BASE/api/reports"
FILM=$(curl -q -sf -H "Authorization: Bearer $DOC" "$BASE/api/films?study=$STUDY" | jq -r '.items[0].id')
URL=$(curl -q -sf -H "Authorization: Bearer $DOC" -H 'Content-Type: application/json' --data-binary '{}' \
  "$BASE/api/films/$FILM/shares" | jq -r .url)
for ((i = 0; i < 250; i++)); do curl -q -sf -o /dev/null "$OHIF/app-config.js" && break; sleep 0.02; done
echo "# $SLICES slices, stored form: $(curl -q -sf -H "$CF_AUTH" "$BASE/api/system" | jq -c '.storage.by_modality')"
node "$BENCH/web/load_times.js" "$BASE" "$URL" "$BIRTH" "$STUDY" "$OHIF" "$RUNS" "$CF_TOKEN"
