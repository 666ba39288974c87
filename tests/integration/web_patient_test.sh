#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The patient app (web/src/patient) in headless Chromium on a 360 x 740
# touch screen against the real binary serving the built app: a synthetic CT and
# ultrasound of a patient with a Chinese name are stored, a doctor signs the
# CT's report (which issues its film) and gives the patient the film's QR
# share; then tests/js/web_patient_test.js opens the QR URL, checks the
# wrong-factor and lockout messages, the report text and name, the CT on the
# viewport canvas against cloudfilm's own /rendered image at two window
# presets, scrolling and pinching, the doctor share's QR code (decoded with
# jsQR) opened in a fresh browser, its revocation, and the locked link.
# Screenshots go to $CF_ARTIFACTS (default /tmp): patient-factor.png,
# patient-report.png, patient-image.png, patient-share-qr.png.
source "$(dirname "$0")/lib.sh"

JS=$HERE/../js
[[ -d $JS/node_modules/playwright-core && -d $JS/node_modules/jsqr ]] ||
  { echo "FAILED - tests/js/node_modules lacks playwright-core or jsqr: run scripts/install-deps.sh"; exit 1; }
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] ||
  { echo "FAILED - no Chromium at ${CHROMIUM:-/usr/bin/chromium}: run scripts/install-deps.sh"; exit 1; }
export CF_ARTIFACTS=${CF_ARTIFACTS:-/tmp}

cat >"$WORK/cloudfilm.toml" <<TOML
[security]
login_attempts_per_minute = 200  # one browser opens shares ~20 times a minute here
[shares]
max_failures = 3
lockout = "15m"
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")

# One patient, a 16-slice CT and an ultrasound exam of 16 clips of 8 frames,
# the name in UTF-8 with an ideographic group.
"$CLOUDFILM" synth "$WORK/synth" --seed 11 --patients 1 --studies 2 --series 1 --instances 16 \
  --modalities CT,US --us-frames 8 --ct-size 256 --charset utf8 >/dev/null
CT_FILE=$(awk -F'\t' 'NR > 1 && $9 == "CT" { print $1; exit }' "$WORK/synth/manifest.tsv")
[[ -n $CT_FILE ]] || { echo "FAILED - synth wrote no CT"; exit 1; }
CT_FILE=$WORK/synth/$CT_FILE
CT_STUDY=$(dicom_value "$CT_FILE" StudyInstanceUID)
BIRTH=$(dicom_value "$CT_FILE" PatientBirthDate)
# The ideographic group of the name, family name first with no space: what a
# Chinese reader expects (web/src/common/format.ts, personName).
NAME_ZH=$(awk -F'\t' 'NR == 2 { split($3, g, "="); gsub(/\^/, "", g[2]); print g[2] }' "$WORK/synth/manifest.tsv")
US_STUDY=$(awk -F'\t' 'NR > 1 && $9 == "US" { print $5; exit }' "$WORK/synth/manifest.tsv")
check "the patient has a Chinese name and a birth date" bash -c "[[ -n '$NAME_ZH' && ${#BIRTH} == 8 ]]"

"$CLOUDFILM" import -q --data "$WORK/data" "${CONFIG[@]}" "$WORK"/synth/*/ >/dev/null
# Stored as cloudfilm keeps objects after the first day (HTJ2K): the app asks
# for that form and decodes it in the browser.
"$CLOUDFILM" compact --data "$WORK/data" "${CONFIG[@]}" --compress-after 0 >/dev/null
# cloudfilm serves the app itself: the build's web/ folder (http.web_root's
# default), or CF_WEB_DIST when set.
start_server "$WORK/data" "${CONFIG[@]}" ${CF_WEB_DIST:+--web-root "$CF_WEB_DIST"}
DOC=$(account_token "$WORK/data" dr.zhang doctor default "${CONFIG[@]}")
as() { curl -q -s -H "Authorization: Bearer $DOC" "$@"; }

check_eq "the QR route serves the patient app" 200 \
  "$(curl -q -s -o "$WORK/page.html" -w '%{http_code}' "$BASE/s/AAAAAAAAAAAAAAAAAAAAAA")"
check "the page is the built app" grep -q '/assets/patient-' "$WORK/page.html"

REPORT_TEXT="双肺纹理清晰，未见明确结节。"
CONCLUSION="胸部CT平扫未见明显异常。"
as -o "$WORK/report.json" -H 'Content-Type: application/json' --data-binary \
  "{\"study_uid\":\"$CT_STUDY\",\"kind\":\"radiology\",\"status\":\"final\",\"sections\":[{\"title\":\"检查所见\",\"text\":\"$REPORT_TEXT\"}],\"conclusion\":\"$CONCLUSION\",\"signer\":\"张医生\",\"signed_at\":\"2026-11-29T09:30:00+08:00\"}" \
  "$BASE/api/reports"
FILM=$(as "$BASE/api/films?study=$CT_STUDY" | jq -r '.items[0].id')
check_eq "the signed report issued the CT's film" 32 "${#FILM}"
check_eq "the doctor gives the patient a share of all the patient's exams: 201" 201 \
  "$(as -o "$WORK/share.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary '{"scope":"patient"}' "$BASE/api/films/$FILM/shares")"
URL=$(jq -r .url "$WORK/share.json")
check_eq "the share URL is the app's /s/{token}" "$BASE/s/$(jq -r .token "$WORK/share.json")" "$URL"

# The share's status, as the page asks it before it shows the form.
TOKEN=$(jq -r .token "$WORK/share.json")
check_eq "status: the factor and state, no attempt counted" "birth-date open 3" \
  "$(curl -q -s -H 'Content-Type: application/json' --data-binary "{\"token\":\"$TOKEN\"}" "$BASE/api/share-sessions/status" | jq -r '"\(.factor) \(.state) \(.attempts_left)"')"
check_eq "status of an unknown link: 401" 401 \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary '{"token":"AAAAAAAAAAAAAAAAAAAAAA"}' "$BASE/api/share-sessions/status")"

cat >"$WORK/case.json" <<JSON
{
  "base": "$BASE",
  "url": "$URL",
  "film": "$FILM",
  "birth": "$BIRTH",
  "name": "$NAME_ZH",
  "report_text": "$REPORT_TEXT",
  "conclusion": "$CONCLUSION",
  "ct_study": "$CT_STUDY",
  "us_study": "$US_STUDY"
}
JSON
rc=0
CF_DOCTOR_TOKEN=$DOC timeout 300 node "$JS/web_patient_test.js" "$WORK/case.json" || rc=$?
check_eq "patient app browser checks pass" 0 "$rc"
echo "# screenshots: $CF_ARTIFACTS/patient-factor.png patient-report.png patient-image.png patient-share-qr.png"
check "no token in the server's log" absent "$TOKEN" "$WORK/server.log"
check "server still up" server_alive
finish
