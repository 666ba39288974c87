#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A hospital whose shares ask a one-time code (shares by SMS), end to end in
# headless Chromium (tests/js/web_code_test.js): the patient's phone asks
# for the code, the code goes out through the notification outbox (the file
# provider here, a gateway in a hospital), a wrong one counts, the right one
# opens the exam, and it works once; the kiosk sends a code for a visit
# number and opens the visit's documents with it. Screenshots in
# $CF_ARTIFACTS: code-factor.png, code-exam.png, code-kiosk.png.
source "$(dirname "$0")/lib.sh"

JS=$HERE/../js
[[ -d $JS/node_modules/playwright-core ]] ||
  { echo "FAILED - tests/js/node_modules lacks playwright-core: run scripts/install-deps.sh"; exit 1; }
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] ||
  { echo "FAILED - no Chromium at ${CHROMIUM:-/usr/bin/chromium}: run scripts/install-deps.sh"; exit 1; }
export CF_ARTIFACTS=${CF_ARTIFACTS:-/tmp}

NOTICES=$WORK/notices.jsonl
cat >"$WORK/cloudfilm.toml" <<TOML
[security]
login_attempts_per_minute = 200
[tenants.renji]
name = "仁济医院"
ae_titles = ["RN_CT"]
share_factor = "one-time-code"
[notify]
provider = "file"
[notify.file]
path = "$NOTICES"
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")
"$CLOUDFILM" synth "$WORK/synth" --seed 12 --patients 1 --studies 1 --series 1 --instances 3 \
  --charset utf8 --ct-size 64 >/dev/null
FIRST=$(first_dicom "$WORK/synth")
STUDY=$(dicom_value "$FIRST" StudyInstanceUID)
PID=$(dicom_value "$FIRST" PatientID)
ACC=$(dicom_value "$FIRST" AccessionNumber)

start_server "$WORK/data" "${CONFIG[@]}"
check "RN_CT stores the exam" storescu -aet RN_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
DOC=$(account_token "$WORK/data" dr.ren doctor renji "${CONFIG[@]}")
account_token "$WORK/data" kiosk.renji kiosk renji "${CONFIG[@]}" >/dev/null
as() { local t=$1; shift; curl -q -s -H "Authorization: Bearer $t" "$@"; }
as "$DOC" -o /dev/null -H 'Content-Type: application/json' --data-binary \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"final\",\"conclusion\":\"双肺未见异常。\",\"signer\":\"任医生\",\"signed_at\":\"2026-11-29T10:00:00+08:00\"}" \
  "$BASE/api/reports"
FILM=$(as "$DOC" "$BASE/api/films?study=$STUDY" | jq -r '.items[0].id')
check_eq "the share asks a one-time code, sent to the patient's phone" "201 one-time-code" \
  "$(as "$DOC" -o "$WORK/share.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary '{"recipient":"+86 139 0000 1234"}' "$BASE/api/films/$FILM/shares") $(jq -r .share.factor "$WORK/share.json")"
URL=$(jq -r .url "$WORK/share.json")
check_eq "the HIS sends the visit of the exam" 201 \
  "$(as "$DOC" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "{\"visit_id\":\"20261129077\",\"patient_id\":\"$PID\",\"kind\":\"outpatient\",\"date\":\"20261129\",\"accessions\":[\"$ACC\"]}" "$BASE/api/visits")"

rc=0
timeout 180 node "$JS/web_code_test.js" "$BASE" "$URL" "$NOTICES" kiosk.renji 'a long enough password' \
  20261129077 "双肺未见异常。" || rc=$?
check_eq "the one-time code flows pass in Chromium" 0 "$rc"
check_eq "both codes went to the patient's phone, and nowhere else" "2 2" \
  "$(grep -c '"kind":"one-time-code"' "$NOTICES") $(grep '"kind":"one-time-code"' "$NOTICES" | grep -c '+86 139 0000 1234')"
for code in $(grep '"kind":"one-time-code"' "$NOTICES" | jq -r .body | grep -o '[0-9]\{6\}' | sort -u); do
  check "the code $code is nowhere in the server log" absent "$code" "$WORK/server.log"
done
# Without http.public_base_url links take the request's Host: a crafted
# one must not become the host of a link (made last: it replaces the share).
check_eq "a share made with a crafted Host header gets a relative link, not that host" "201 /s/" \
  "$(as "$DOC" -o "$WORK/evil.json" -w '%{http_code}' -H 'Host: evil.example/phish?x=' -H 'Content-Type: application/json' --data-binary '{"recipient":"+86 139 0000 1234"}' "$BASE/api/films/$FILM/shares") $(jq -r .url "$WORK/evil.json" | cut -c1-3)"
check_eq "a plain Host is used as it is" "http://127.0.0.1:$HTTP_PORT/s/" \
  "$(as "$DOC" -H 'Content-Type: application/json' --data-binary '{"recipient":"+86 139 0000 1234"}' "$BASE/api/films/$FILM/shares" | jq -r .url | cut -c1-$((20 + ${#HTTP_PORT})))"
check "server still up" server_alive
finish
