#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The self-service kiosk end to end: a patient with a Chinese name (UTF-8),
# one CT exam of two series sent by C-STORE, a signed report that issues the
# film, the patient's share (the slip); a kiosk account of the hospital. The
# kiosk page in headless Chromium (tests/js/web_kiosk_test.js, 1080 x 1920)
# signs in, takes the slip's URL from a wedge scanner, a wrong then the right
# birth date, lists the report and the film sheet as not printed, prints both
# and shows them printed, and goes back to the start after its idle timeout.
# Here, on what it printed: pdftotext finds the patient's Chinese name in
# both PDFs; pdftoppm renders the film sheet and zbarimg reads its QR code
# back to the slip's URL; the film sheet shows the exam's images; the audit
# trail has the print events naming the exam and the kiosk. And by curl: the
# kiosk API's answers to wrong factors, a locked slip, a kiosk of another
# hospital (refused, audited in the slip's hospital), a revoked slip, a
# doctor share (refused), and a kiosk account that reads no patient data of
# its own. By visit number (the patient without the slip; the exams of the
# visit as the HIS sent them): the visit's exams only, two film shares
# opened with one answer, attempts counted on the share, unknown visits and
# visits without a film refused, another hospital's kiosk refused, the
# sheet without the phone link.
# Artifacts in $CF_ARTIFACTS (default /tmp): the screenshots kiosk-*.png, the
# PDFs the kiosk printed (kiosk-report.pdf, kiosk-film-sheet.pdf) and the
# film sheet as an image (kiosk-film-sheet.png).
source "$(dirname "$0")/lib.sh"

JS=$HERE/../js
[[ -d $JS/node_modules/playwright-core ]] ||
  { echo "FAILED - tests/js/node_modules lacks playwright-core: run scripts/install-deps.sh"; exit 1; }
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] ||
  { echo "FAILED - no Chromium at ${CHROMIUM:-/usr/bin/chromium}: run scripts/install-deps.sh"; exit 1; }
for tool in pdftotext pdftoppm zbarimg jq; do
  command -v "$tool" >/dev/null || { echo "FAILED - $tool is missing: run scripts/install-deps.sh"; exit 1; }
done
export CF_ARTIFACTS=${CF_ARTIFACTS:-/tmp}

cat >"$WORK/cloudfilm.toml" <<TOML
[http]
public_base_url = "https://film.ruijin.example"
[security]
login_attempts_per_minute = 200
[shares]
max_failures = 3
lockout = "15m"
[tenants.ruijin]
name = "瑞金医院"
ae_titles = ["RJ_CT"]
[tenants.renji]
name = "仁济医院"
ae_titles = ["RN_CT"]
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")

"$CLOUDFILM" synth "$WORK/synth" --seed 5 --patients 1 --studies 2 --series 2 --instances 6 \
  --charset utf8 --ct-size 64 >/dev/null
FIRST=$(first_dicom "$WORK/synth")
STUDY=$(dicom_value "$FIRST" StudyInstanceUID)
# The patient's second exam (for the visit numbers below).
for f in $(find "$WORK/synth" -name '*.dcm' | sort); do
  [[ $(dicom_value "$f" StudyInstanceUID) != "$STUDY" ]] && { SECOND=$f; break; }
done
STUDY2=$(dicom_value "$SECOND" StudyInstanceUID)
ACC1=$(dicom_value "$FIRST" AccessionNumber) ACC2=$(dicom_value "$SECOND" AccessionNumber)
PID=$(dicom_value "$FIRST" PatientID)
check_eq "two exams of one patient, with their own accession numbers" "yes yes" \
  "$([[ -n $STUDY2 && $STUDY2 != "$STUDY" ]] && echo yes) $([[ -n $ACC1 && -n $ACC2 && $ACC1 != "$ACC2" ]] && echo yes)"
BIRTH=$(dicom_value "$FIRST" PatientBirthDate)
PN=$(dicom_value "$FIRST" PatientName)
NAME_ZH=$(echo "$PN" | cut -d= -f2 | tr -d '^')
check_eq "the patient has a Chinese name and a birth date" "yes 8" \
  "$([[ $NAME_ZH =~ ^[^A-Za-z0-9]+$ && -n $NAME_ZH ]] && echo yes) ${#BIRTH}"

start_server "$WORK/data" "${CONFIG[@]}"
check "RJ_CT stores the exam" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
DOC=$(account_token "$WORK/data" dr.li doctor ruijin "${CONFIG[@]}")
KIOSK=$(account_token "$WORK/data" kiosk.lobby kiosk ruijin "${CONFIG[@]}")
OTHER_KIOSK=$(account_token "$WORK/data" kiosk.renji kiosk renji "${CONFIG[@]}")
as() { local t=$1; shift; curl -q -s -H "Authorization: Bearer $t" "$@"; }
as "$DOC" -o /dev/null -H 'Content-Type: application/json' --data-binary \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"final\",\"sections\":[{\"title\":\"所见 Findings\",\"text\":\"双肺纹理清晰。\"}],\"conclusion\":\"未见异常。\",\"signer\":\"李医生\",\"signed_at\":\"2026-11-29T09:30:00+08:00\"}" \
  "$BASE/api/reports"
FILM=$(as "$DOC" "$BASE/api/films?study=$STUDY" | jq -r '.items[0].id')
check_eq "the signed report issued the film" 32 "${#FILM}"
share() {  # share: a new patient share of the film; sets TOKEN URL SHARE
  as "$DOC" -o "$WORK/share.json" -H 'Content-Type: application/json' --data-binary '{}' \
    "$BASE/api/films/$FILM/shares"
  TOKEN=$(jq -r .token "$WORK/share.json") URL=$(jq -r .url "$WORK/share.json")
  SHARE=$(jq -r .share.id "$WORK/share.json")
}
share

# --- the kiosk API by curl ------------------------------------------------------
kiosk() {  # kiosk NAME TOKEN CODE FACTOR: POST /api/kiosk/sessions, answer in $WORK/NAME.*
  curl -q -s -D "$WORK/$1.hdr" -o "$WORK/$1.body" -w '%{http_code}' -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/json' --data-binary "{\"code\":\"$3\",\"factor\":\"$4\"}" \
    "$BASE/api/kiosk/sessions"
}
check_eq "the kiosk knows its hospital and factor" "瑞金医院 birth-date" \
  "$(as "$KIOSK" "$BASE/api/kiosk" | jq -r '"\(.hospital) \(.factor)"')"
check_eq "a kiosk account reads no images, studies or reports of its own: 403 403 403" "403 403 403" \
  "$(for p in /dicom-web/studies /api/studies "/api/reports?study=$STUDY"; do as "$KIOSK" -o /dev/null -w '%{http_code} ' "$BASE$p"; done | xargs)"
check_eq "nor lists patients" 403 "$(as "$KIOSK" -o /dev/null -w '%{http_code}' "$BASE/api/patients")"
check_eq "without a patient, the kiosk's documents: 404, kiosk-no-patient" "404 kiosk-no-patient" \
  "$(as "$KIOSK" -o "$WORK/none.body" -w '%{http_code}' "$BASE/api/kiosk/session") $(jq -r .reason "$WORK/none.body")"
check_eq "a code that is no slip: 400, not-a-slip" "400 not-a-slip" \
  "$(kiosk bad "$KIOSK" "https://example.com/hello" 19000101) $(jq -r .reason "$WORK/bad.body")"
check_eq "a kiosk of another hospital: 403, before any attempt counts" \
  "403 this slip is from another hospital; print it there or open it on a phone" \
  "$(kiosk other "$OTHER_KIOSK" "$URL" "$BIRTH") $(jq -r .detail "$WORK/other.body")"
check_eq "which the kiosk app tells by the problem's reason" other-hospital "$(jq -r .reason "$WORK/other.body")"
check_eq "and the slip's hospital sees the refusal in its audit trail" 1 \
  "$(curl -s "$BASE/api/audit?actor=share:$SHARE&action=login-failed&tenant=ruijin" | jq '[.events[] | select(.detail | contains("another hospital"))] | length')"
check_eq "a wrong birth date at the kiosk counts like one on a phone: 2 left" \
  "401 wrong birth-date; 2 attempts left" \
  "$(kiosk w1 "$KIOSK" "$URL" 19000101) $(jq -r .detail "$WORK/w1.body")"
check_eq "the count is a member of the problem, beside its reason" "wrong-factor 2" \
  "$(jq -r '"\(.reason) \(.attempts_left)"' "$WORK/w1.body")"
check_eq "the bare token (typed from the slip) works as the URL does: 1 left" \
  "401 wrong birth-date; 1 attempts left" \
  "$(kiosk w2 "$KIOSK" "$TOKEN" 19000102) $(jq -r .detail "$WORK/w2.body")"
check_eq "the third locks the slip: 429, Retry-After 900, share-locked for 900 s" "429 900 share-locked 900" \
  "$(kiosk w3 "$KIOSK" "$URL" 19000103) $(header w3 Retry-After) $(jq -r '"\(.reason) \(.retry_after_s)"' "$WORK/w3.body")"
check_eq "locked, even the right answer waits: 429" 429 "$(kiosk w4 "$KIOSK" "$URL" "$BIRTH")"
OLD_URL=$URL
share  # the service desk prints a new slip; the locked one is revoked
check_eq "the revoked slip: 401, revoked" "401 this share was revoked share-revoked" \
  "$(kiosk rv "$KIOSK" "$OLD_URL" "$BIRTH") $(jq -r '"\(.detail) \(.reason)"' "$WORK/rv.body")"
check_eq "the right answer opens it: 201, the exam with its report and film" "201 1 1 $FILM null" \
  "$(kiosk ok "$KIOSK" "$URL" "$BIRTH") $(jq -r '"\(.exams | length) \(.exams[0].reports | length) \(.exams[0].film.id) \(.exams[0].reports[0].printed)"' "$WORK/ok.body")"
check_eq "the patient's session is an HttpOnly cookie for the kiosk" "HttpOnly" \
  "$(grep -i '^set-cookie: cf_kiosk_patient=' "$WORK/ok.hdr" | grep -o HttpOnly)"
check "the share token is in no answer body" absent "$TOKEN" "$WORK/ok.body"
COOKIE=$(grep -i '^set-cookie: cf_kiosk_patient=' "$WORK/ok.hdr" | sed -E 's/^[^:]*: ([^;]*).*/\1/' | tr -d '\r')
check_eq "another hospital's kiosk with this patient's cookie: 403" 403 \
  "$(as "$OTHER_KIOSK" -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE/api/kiosk/session")"
check_eq "ending the patient's session at the kiosk: 204, then 404" "204 404" \
  "$(as "$KIOSK" -o /dev/null -w '%{http_code}' -X DELETE -H "Cookie: $COOKIE" "$BASE/api/kiosk/session") $(as "$KIOSK" -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE/api/kiosk/session")"

PAT=$(curl -q -s -H 'Content-Type: application/json' --data-binary "{\"token\":\"$TOKEN\",\"factor\":\"$BIRTH\",\"bearer\":true}" "$BASE/api/share-sessions" | jq -r .session_token)
DOCTOR_URL=$(curl -q -s -H "Authorization: Bearer $PAT" -H 'Content-Type: application/json' \
  --data-binary '{"expires_in_hours":2,"factor":"none"}' "$BASE/api/my/shares" | jq -r .url)
check_eq "a doctor share (no factor) is not printed at a kiosk: 403, doctor-link" "403 doctor-link" \
  "$(kiosk doc "$KIOSK" "$DOCTOR_URL" "") $(jq -r .reason "$WORK/doc.body")"

# --- by visit number -----------------------------------------------------------
# The second exam gets its report, film and its own (film) share: a visit of
# both exams opens two shares with one answer.
as "$DOC" -o /dev/null -H 'Content-Type: application/json' --data-binary \
  "{\"study_uid\":\"$STUDY2\",\"kind\":\"ultrasound\",\"status\":\"final\",\"sections\":[{\"title\":\"所见\",\"text\":\"肝脏大小正常。\"}],\"conclusion\":\"未见异常。\",\"signer\":\"王医生\",\"signed_at\":\"2026-11-29T10:30:00+08:00\"}" \
  "$BASE/api/reports"
FILM2=$(as "$DOC" "$BASE/api/films?study=$STUDY2" | jq -r '.items[0].id')
as "$DOC" -o "$WORK/share2.json" -H 'Content-Type: application/json' --data-binary '{}' \
  "$BASE/api/films/$FILM2/shares"
SHARE2=$(jq -r .share.id "$WORK/share2.json")
visit() {  # visit ID KIND ACCESSIONS_JSON: the HIS sends a visit
  as "$DOC" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary \
    "{\"visit_id\":\"$1\",\"patient_id\":\"$PID\",\"kind\":\"$2\",\"date\":\"20261129\",\"discharged\":\"20261129\",\"accessions\":$3}" \
    "$BASE/api/visits"
}
check_eq "the HIS sends four visits: the first exam's, both, one naming no exam, one of an exam not done" "201 201 201 201" \
  "$(visit 20261129001 outpatient "[\"$ACC1\"]") $(visit 20261129002 inpatient "[\"$ACC1\",\"$ACC2\"]") $(visit 20261129003 outpatient null) $(visit 20261129004 outpatient '["NOT-DONE-YET"]')"
check_eq "a bad accession number is refused, naming the field" "400 accessions" \
  "$(visit 20261129005 outpatient '["12345678901234567"]') $(as "$DOC" -s -H 'Content-Type: application/json' --data-binary "{\"visit_id\":\"x\",\"patient_id\":\"$PID\",\"kind\":\"outpatient\",\"date\":\"20261129\",\"accessions\":[\"12345678901234567\"]}" "$BASE/api/visits" | jq -r .detail | grep -o '^accessions')"
by_visit() {  # by_visit NAME TOKEN VISIT FACTOR: the kiosk with a visit number
  curl -q -s -D "$WORK/$1.hdr" -o "$WORK/$1.body" -w '%{http_code}' -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/json' --data-binary "{\"visit\":\"$3\",\"factor\":\"$4\"}" \
    "$BASE/api/kiosk/sessions"
}
check_eq "an unknown visit number: 404, saying so" "404 unknown" \
  "$(by_visit v0 "$KIOSK" 19990101999 "$BIRTH") $(jq -r .detail "$WORK/v0.body" | grep -o unknown)"
check_eq "another hospital's kiosk does not know Ruijin's visits: 404" 404 \
  "$(by_visit v1 "$OTHER_KIOSK" 20261129001 "$BIRTH")"
check_eq "a visit whose exam is not stored yet: 404, ask at the desk" "404 service desk" \
  "$(by_visit v2 "$KIOSK" 20261129004 "$BIRTH") $(jq -r .detail "$WORK/v2.body" | grep -o 'service desk')"
check_eq "a wrong birth date counts on the patient's share: 2 left" \
  "401 wrong birth-date; 2 attempts left" \
  "$(by_visit v3 "$KIOSK" 20261129001 19000101) $(jq -r .detail "$WORK/v3.body")"
check_eq "the first visit's number opens its exam only, with its report and film" "201 1 $STUDY $FILM 1" \
  "$(by_visit v4 "$KIOSK" 20261129001 "$BIRTH") $(jq -r '"\(.exams | length) \(.exams[0].study_uid) \(.exams[0].film.id) \(.exams[0].reports | length)"' "$WORK/v4.body")"
check_eq "the inpatient visit of both exams: one answer opens both shares" \
  "201 $(printf '%s\n' "$FILM" "$FILM2" | sort | xargs)" \
  "$(by_visit v5 "$KIOSK" 20261129002 "$BIRTH") $(jq -r '[.exams[].film.id] | sort | join(" ")' "$WORK/v5.body")"
check_eq "a visit naming no exam lists every exam of the patient" "201 2" \
  "$(by_visit v6 "$KIOSK" 20261129003 "$BIRTH") $(jq '.exams | length' "$WORK/v6.body")"
VCOOKIE=$(grep -i '^set-cookie: cf_kiosk_patient=' "$WORK/v5.hdr" | sed -E 's/^[^:]*: ([^;]*).*/\1/' | tr -d '\r')
check_eq "the visit's session lists both exams again" 2 \
  "$(as "$KIOSK" -H "Cookie: $VCOOKIE" "$BASE/api/kiosk/session" | jq '.exams | length')"
check_eq "the second film's sheet prints: 200 application/pdf" "200 application/pdf" \
  "$(as "$KIOSK" -H "Cookie: $VCOOKIE" -o "$WORK/visit-sheet.pdf" -w '%{http_code} %{content_type}' "$BASE/api/kiosk/films/$FILM2/sheet")"
check "with the verification link" grep -qF "https://film.ruijin.example/verify/films/$FILM2" \
  <(pdftotext -enc UTF-8 "$WORK/visit-sheet.pdf" - 2>/dev/null)
pdftoppm -r 150 -gray -singlefile "$WORK/visit-sheet.pdf" "$WORK/visit-sheet" 2>/dev/null || true
check_eq "and no phone link: a visit number is not the patient's token" "" \
  "$(zbarimg --raw -q "$WORK/visit-sheet.pgm" 2>/dev/null)"
check_eq "both share sessions opened at the kiosk are in the audit trail" "1 1" \
  "$(for s in "$SHARE" "$SHARE2"; do curl -s "$BASE/api/audit?actor=share:$s&action=login&tenant=ruijin" | jq '[.events[] | select(.detail | startswith("share opened"))] | length >= 1' | sed 's/true/1/;s/false/0/'; done | xargs)"
V4COOKIE=$(grep -i '^set-cookie: cf_kiosk_patient=' "$WORK/v4.hdr" | sed -E 's/^[^:]*: ([^;]*).*/\1/' | tr -d '\r')
FORGED="cf_kiosk_patient=v.$(printf 20261129002 | base64 | tr '+/' '-_' | tr -d '=').${V4COOKIE##*.}"
check_eq "the first visit's cookie altered to name the visit of both exams still shows only what its answer opened" \
  "1 $STUDY" "$(as "$KIOSK" -H "Cookie: $FORGED" "$BASE/api/kiosk/session" | jq -r '"\(.exams | length) \(.exams[0].study_uid)"')"
check_eq "ending it: 204, then both sessions are over: 404" "204 404" \
  "$(as "$KIOSK" -o /dev/null -w '%{http_code}' -X DELETE -H "Cookie: $VCOOKIE" "$BASE/api/kiosk/session") $(as "$KIOSK" -o /dev/null -w '%{http_code}' -H "Cookie: $VCOOKIE" "$BASE/api/kiosk/session")"
# --- the kiosk page in Chromium -------------------------------------------------
check_eq "cloudfilm serves the kiosk page with its CSP" "200 default-src 'self'" \
  "$(curl -q -s -D "$WORK/page.hdr" -o /dev/null -w '%{http_code}' "$BASE/kiosk") $(tr -d '\r' <"$WORK/page.hdr" | awk -F': ' 'tolower($1) == "content-security-policy" { print $2 }' | cut -d';' -f1)"
mkdir -p "$WORK/printed"
rc=0
CF_DOCTOR_URL=$DOCTOR_URL timeout 180 node "$JS/web_kiosk_test.js" "$BASE/kiosk?idle=8&print=0" kiosk.lobby \
  'a long enough password' "$URL" "$BIRTH" "$NAME_ZH" "$WORK/printed" 20261129002 2 || rc=$?
check_eq "the kiosk page's checks pass" 0 "$rc"
echo "# screenshots: $CF_ARTIFACTS/kiosk-{start,factor,reports,printed,visit}.png; printed: kiosk-report.pdf, kiosk-film-sheet.{pdf,png}"
# A patient-scope share of the second film (it replaces that film's share)
# covers both exams: the first visit still lists its own exam only.
as "$DOC" -o /dev/null -H 'Content-Type: application/json' --data-binary '{"scope":"patient"}' \
  "$BASE/api/films/$FILM2/shares"
check_eq "a patient-scope share covers both exams; the first visit lists its exam only" "201 1 $STUDY" \
  "$(by_visit v7 "$KIOSK" 20261129001 "$BIRTH") $(jq -r '"\(.exams | length) \(.exams[0].study_uid)"' "$WORK/v7.body")"
check_eq "and the visit naming no exam lists both" "201 2" \
  "$(by_visit v8 "$KIOSK" 20261129003 "$BIRTH") $(jq '.exams | length' "$WORK/v8.body")"

# --- what the kiosk printed -----------------------------------------------------
REPORT_PDF=$WORK/printed/report.pdf FILM_PDF=$WORK/printed/film.pdf
check "the report PDF names the patient in Chinese" grep -qF "$NAME_ZH" <(pdftotext -enc UTF-8 "$REPORT_PDF" - 2>/dev/null)
check "and has the conclusion" grep -qF "未见异常。" <(pdftotext -enc UTF-8 "$REPORT_PDF" - 2>/dev/null)
pdftotext -enc UTF-8 "$FILM_PDF" "$WORK/film.txt" 2>/dev/null || true
check "the film sheet names the patient in Chinese" grep -qF "$NAME_ZH" "$WORK/film.txt"
check "the hospital" grep -qF "瑞金医院" "$WORK/film.txt"
check "the film's verification id and URL" grep -qF "https://film.ruijin.example/verify/films/$FILM" "$WORK/film.txt"
pdftoppm -r 150 -gray -singlefile "$FILM_PDF" "$WORK/film" 2>/dev/null || true
check_eq "the film sheet's QR code decodes to the slip's URL" "$URL" \
  "$(zbarimg --raw -q "$WORK/film.pgm" 2>/dev/null)"
check_eq "and the image cells are not blank (12 images: 6 of each series, mean above black)" "ok" \
  "$(python3 - "$WORK/film.pgm" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
# P5 header: magic, width, height, maxval
parts, i = [], 0
while len(parts) < 4:
    while data[i:i+1].isspace(): i += 1
    j = i
    while not data[j:j+1].isspace(): j += 1
    parts.append(data[i:j]); i = j
i += 1
w, h = int(parts[1]), int(parts[2])
px = data[i:]
# The image area: below the header (10 mm + 150 pt), above the footer.
top = int((28.35 + 150) / 841.89 * h); bottom = int((841.89 - 28.35 - 40) / 841.89 * h)
left = int(28.35 / 595.276 * w); right = w - left
area = [px[y * w + x] for y in range(top + 5, bottom - 5, 4) for x in range(left + 5, right - 5, 4)]
lit = sum(1 for v in area if v > 40) / len(area)
print('ok' if 0.05 < lit < 0.95 else f'lit fraction {lit:.3f}')
PY
)"
# Kept as artifacts: what the kiosk printed, and the film sheet as an image.
cp "$REPORT_PDF" "$CF_ARTIFACTS/kiosk-report.pdf" 2>/dev/null || true
cp "$FILM_PDF" "$CF_ARTIFACTS/kiosk-film-sheet.pdf" 2>/dev/null || true
pdftoppm -r 80 -png -singlefile "$FILM_PDF" "$CF_ARTIFACTS/kiosk-film-sheet" 2>/dev/null || true
curl -s "$BASE/api/audit?action=print&tenant=ruijin" >"$WORK/prints.json"
check_eq "three print events (report twice, film sheet once), each naming the exam and the kiosk" \
  "3 3 3" \
  "$(jq '[.events[]] | length' "$WORK/prints.json") $(jq --arg s "$STUDY" '[.events[] | select(.study_uid == $s)] | length' "$WORK/prints.json") $(jq '[.events[] | select(.actor == "kiosk.lobby" and .role == "kiosk")] | length' "$WORK/prints.json")"
check_eq "the film sheet's print names its film" 1 \
  "$(jq --arg f "$FILM" '[.events[] | select(.detail | contains("film " + $f))] | length' "$WORK/prints.json")"
check "no token, factor or name in the server log" absent "$BIRTH" "$WORK/server.log"
check "(nor the share token)" absent "$TOKEN" "$WORK/server.log"
check "server still up" server_alive
finish
