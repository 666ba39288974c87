#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The doctor viewer (web/src/viewer) in headless Chromium at 1600 x 1000
# against the real binary serving the built app: one patient with a Chinese
# name, a CT of two 256 x 256 series and an MR (the prior), a signed report of
# the CT, a doctor account with a password, and a doctor share of the CT
# made from the patient's own share session. Then tests/js/web_viewer_test.js
# signs in, searches by a fragment of the Chinese name, opens the CT by the
# IHE IID-style launch URL, checks the canvas, the wheel, a length
# measurement against PixelSpacing and a rectangle ROI's mean HU against the
# stored pixels (slope and intercept read here with dcmdump), the tag panel,
# the report, the prior, the 2 x 2 layout with a series dragged in, and the
# doctor share opening the desktop viewer.
# Screenshots go to $CF_ARTIFACTS (default /tmp): viewer-list.png,
# viewer-measure.png, viewer-2x2.png, viewer-share.png.
source "$(dirname "$0")/lib.sh"

JS=$HERE/../js
[[ -d $JS/node_modules/playwright-core ]] ||
  { echo "FAILED - tests/js/node_modules lacks playwright-core: run scripts/install-deps.sh"; exit 1; }
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] ||
  { echo "FAILED - no Chromium at ${CHROMIUM:-/usr/bin/chromium}: run scripts/install-deps.sh"; exit 1; }
export CF_ARTIFACTS=${CF_ARTIFACTS:-/tmp}

cat >"$WORK/cloudfilm.toml" <<TOML
[security]
login_attempts_per_minute = 200
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")

# One patient, two studies cycled over CT and MR, two series of 24 images
# each; the name in UTF-8 with an ideographic group.
"$CLOUDFILM" synth "$WORK/synth" --seed 7 --patients 1 --studies 2 --series 2 --instances 24 \
  --modalities CT,MR --ct-size 256 --charset utf8 >/dev/null
M=$WORK/synth/manifest.tsv
CT_FILE=$WORK/synth/$(awk -F'\t' 'NR > 1 && $9 == "CT" { print $1; exit }' "$M")
CT_STUDY=$(awk -F'\t' 'NR > 1 && $9 == "CT" { print $5; exit }' "$M")
MR_STUDY=$(awk -F'\t' 'NR > 1 && $9 == "MR" { print $5; exit }' "$M")
PATIENT_ID=$(awk -F'\t' 'NR == 2 { print $2 }' "$M")
CT_ACCESSION=$(awk -F'\t' -v s="$CT_STUDY" 'NR > 1 && $5 == s { print $11; exit }' "$M")
# The CT's series in series-number order, as the viewer lists them.
mapfile -t CT_SERIES < <(awk -F'\t' -v s="$CT_STUDY" 'NR > 1 && $5 == s { print $12 "\t" $6 }' "$M" | sort -n -u | cut -f2)
mapfile -t MR_SERIES < <(awk -F'\t' -v s="$MR_STUDY" 'NR > 1 && $5 == s { print $6 }' "$M" | sort -u)
CT_SLICES=$(awk -F'\t' -v s="${CT_SERIES[0]}" 'NR > 1 && $6 == s' "$M" | wc -l)
# The ideographic group without carets (the viewer's zh-CN name), and its
# given name alone as the search fragment (fuzzy matching from any character).
NAME_ZH=$(awk -F'\t' 'NR == 2 { split($3, g, "="); gsub(/\^/, "", g[2]); print g[2] }' "$M")
FRAGMENT=$(awk -F'\t' 'NR == 2 { split($3, g, "="); split(g[2], p, "^"); print p[2] }' "$M")
check "a CT and an MR study of one patient" bash -c "[[ -n '$CT_STUDY' && -n '$MR_STUDY' && '$CT_STUDY' != '$MR_STUDY' ]]"
check_eq "the CT has two series" 2 "${#CT_SERIES[@]}"
check "the patient has a Chinese name whose given name is the search fragment" \
  bash -c "[[ -n '$FRAGMENT' && '$NAME_ZH' == *'$FRAGMENT' && '$NAME_ZH' != '$FRAGMENT' ]]"

# Expectations from the files themselves.
SPACING=$(dicom_value "$CT_FILE" PixelSpacing)          # row\column, mm
SLOPE=$(dicom_value "$CT_FILE" RescaleSlope)
INTERCEPT=$(dicom_value "$CT_FILE" RescaleIntercept)
# US values are not bracketed in dcmdump's output: the number after "US".
us_value() { { dcmdump -q +P "$2" "$1" 2>/dev/null || true; } | awk '$2 == "US" { print $3; exit }'; }
ROWS=$(us_value "$CT_FILE" Rows)
COLUMNS=$(us_value "$CT_FILE" Columns)
PIXREP=$(us_value "$CT_FILE" PixelRepresentation)
check_eq "the CT is 256 x 256" "256 256" "$ROWS $COLUMNS"
check "the CT has a pixel spacing and a rescale" bash -c "[[ '$SPACING' == *'\\'* && -n '$SLOPE' && -n '$INTERCEPT' ]]"
# SOP Instance UID -> file, for the pixels of whatever slice is on screen.
FILES=$(awk -F'\t' -v d="$WORK/synth" -v s="$CT_STUDY" 'NR > 1 && $5 == s { printf "%s\"%s\": \"%s/%s\"", (n++ ? ", " : ""), $7, d, $1 }' "$M")

"$CLOUDFILM" import -q --data "$WORK/data" "${CONFIG[@]}" "$WORK"/synth/*/ >/dev/null
# Kept as cloudfilm keeps objects after their first day (lossless HTJ2K):
# the viewer asks for that form and decodes it in the browser, and the ROI
# below still equals the received pixels.
"$CLOUDFILM" compact --data "$WORK/data" "${CONFIG[@]}" --compress-after 0 >/dev/null
start_server "$WORK/data" "${CONFIG[@]}" ${CF_WEB_DIST:+--web-root "$CF_WEB_DIST"}
DOC=$(account_token "$WORK/data" dr.wang doctor default "${CONFIG[@]}")
as() { curl -q -s -H "Authorization: Bearer $DOC" "$@"; }

check_eq "/viewer serves the viewer app" 200 \
  "$(curl -q -s -o "$WORK/page.html" -w '%{http_code}' "$BASE/viewer?study=$CT_STUDY")"
check "the page is the built app" grep -q '/assets/viewer-' "$WORK/page.html"

REPORT_TEXT="右肺上叶见一枚约6mm磨玻璃结节，边界清。"
CONCLUSION="右肺上叶磨玻璃结节，建议随访。"
as -o "$WORK/report.json" -H 'Content-Type: application/json' --data-binary \
  "{\"study_uid\":\"$CT_STUDY\",\"kind\":\"radiology\",\"status\":\"final\",\"sections\":[{\"title\":\"检查所见\",\"text\":\"$REPORT_TEXT\"}],\"conclusion\":\"$CONCLUSION\",\"signer\":\"王医生\",\"signed_at\":\"2026-11-29T09:30:00+08:00\"}" \
  "$BASE/api/reports"
FILM=$(as "$BASE/api/films?study=$CT_STUDY" | jq -r '.items[0].id')
check_eq "the signed report issued the CT's film" 32 "${#FILM}"

# The patient's share of the CT's film, opened as the patient's phone does,
# then a doctor share without a factor made from that session.
check_eq "the patient's share of the film: 201" 201 \
  "$(as -o "$WORK/share.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary '{}' "$BASE/api/films/$FILM/shares")"
TOKEN=$(jq -r .token "$WORK/share.json")
BIRTH=$(dicom_value "$CT_FILE" PatientBirthDate)
check_eq "the patient opens the share with the birth date: 201" 201 \
  "$(curl -q -s -c "$WORK/patient.jar" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "{\"token\":\"$TOKEN\",\"factor\":\"$BIRTH\"}" "$BASE/api/share-sessions")"
CSRF=$(awk '$6 == "cf_csrf" { print $7 }' "$WORK/patient.jar")
check_eq "and makes a doctor share without a factor: 201" 201 \
  "$(curl -q -s -b "$WORK/patient.jar" -o "$WORK/doctor_share.json" -w '%{http_code}' -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' --data-binary '{"expires_in_hours":24,"factor":"none"}' "$BASE/api/my/shares")"
DOCTOR_URL=$(jq -r .url "$WORK/doctor_share.json")
check "the doctor share is a /s/ link" bash -c "[[ '$DOCTOR_URL' == '$BASE/s/'* ]]"

# A second doctor with an authenticator (TOTP): enrolled and confirmed
# through the API as the browser would; the test then signs in with a code.
printf 'a long enough password\n' | "$CLOUDFILM" accounts create "${CONFIG[@]}" --data "$WORK/data" \
  --login dr.zhou --role doctor --tenant default >/dev/null
curl -q -s -c "$WORK/zhou.jar" -o "$WORK/zhou.login.json" -H 'Content-Type: application/json' \
  -d '{"login":"dr.zhou","password":"a long enough password"}' "$BASE/api/auth/login"
ZHOU_CSRF=$(jq -r .csrf_token "$WORK/zhou.login.json")
zhou() { curl -q -s -b "$WORK/zhou.jar" -H "X-CSRF-Token: $ZHOU_CSRF" -H 'Content-Type: application/json' "$@"; }
TOTP_SECRET=$(zhou -d '{}' "$BASE/api/auth/totp/enroll" | jq -r .secret)
TOTP_STEP=$(python3 -c 'import time; print(int(time.time()) // 30)')
TOTP_CODE=$(python3 - "$TOTP_SECRET" "$TOTP_STEP" <<'PY'
import base64, hashlib, hmac, struct, sys
secret = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
mac = hmac.new(secret, struct.pack(">Q", int(sys.argv[2])), hashlib.sha1).digest()
value = struct.unpack(">I", mac[(mac[-1] & 15):(mac[-1] & 15) + 4])[0] & 0x7FFFFFFF
print("%06d" % (value % 1000000))
PY
)
check_eq "dr.zhou confirms an authenticator: 200" 200 \
  "$(zhou -o /dev/null -w '%{http_code}' -d "{\"code\":\"$TOTP_CODE\"}" "$BASE/api/auth/totp/confirm")"

json_list() { printf '"%s",' "$@" | sed 's/,$//'; }
cat >"$WORK/case.json" <<JSON
{
  "base": "$BASE",
  "login": "dr.wang",
  "password": "a long enough password",
  "name": "$NAME_ZH",
  "name_fragment": "$FRAGMENT",
  "patient_id": "$PATIENT_ID",
  "ct_study": "$CT_STUDY",
  "ct_accession": "$CT_ACCESSION",
  "ct_series": [$(json_list "${CT_SERIES[@]}")],
  "ct_slices": $CT_SLICES,
  "mr_study": "$MR_STUDY",
  "mr_series": [$(json_list "${MR_SERIES[@]}")],
  "rows": $ROWS,
  "columns": $COLUMNS,
  "spacing": [${SPACING//\\/, }],
  "slope": $SLOPE,
  "intercept": $INTERCEPT,
  "pixel_representation": $PIXREP,
  "files": { $FILES },
  "report_text": "$REPORT_TEXT",
  "conclusion": "$CONCLUSION",
  "doctor_share_url": "$DOCTOR_URL",
  "totp_login": "dr.zhou",
  "totp_secret": "$TOTP_SECRET",
  "totp_used_step": $TOTP_STEP
}
JSON
rc=0
timeout 300 node "$JS/web_viewer_test.js" "$WORK/case.json" || rc=$?
check_eq "doctor viewer browser checks pass" 0 "$rc"
echo "# screenshots: $CF_ARTIFACTS/viewer-list.png viewer-measure.png viewer-2x2.png viewer-share.png"
check "no share token in the server's log" absent "$TOKEN" "$WORK/server.log"
check "server still up" server_alive
finish
