#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A patient's QR share, end to end: two exams of one patient and two of
# another are sent by C-STORE, signed reports issue their films; a doctor
# gives the patient the share of one film; zbarimg reads the QR code back to
# the URL; wrong birth dates count and lock the share (each attempt in the
# audit trail); the right one opens a share session that reads the shared
# exam on every protocol and nothing else (other exams by UID, by QIDO, by
# WADO-URI, by film id: 404; STOW, accounts, audit: 403); the patient's
# doctor share opens without a factor, notifies the patient and shows in the
# access history; revocation and expiry end sessions; the one-time code comes
# through the file notifier and works once; `cloudfilm share` does the same
# from the command line.
source "$(dirname "$0")/lib.sh"

NOTICES=$WORK/notices.jsonl
cat >"$WORK/cloudfilm.toml" <<TOML
[http]
public_base_url = "https://film.ruijin.example"
[security]
login_attempts_per_minute = 100  # this test opens shares from one address ~20 times a minute
[shares]
max_failures = 3
lockout = "15m"
[tenants.ruijin]
name = "Ruijin Hospital"
ae_titles = ["RJ_CT"]
[tenants.renji]
name = "Renji Hospital"
ae_titles = ["RN_CT"]
share_factor = "one-time-code"
# Codes and notices go through the notification outbox; its file provider
# delivers them here (one JSON line per message).
[notify]
provider = "file"
[notify.file]
path = "$NOTICES"
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")
# notice KIND N: the N-th delivered message of that kind (delivery is
# asynchronous: waits up to 10 s), as the file provider wrote it.
notice() {
  local i
  for ((i = 0; i < 100; i++)); do
    (($(grep -c "\"kind\":\"$1\"" "$NOTICES" 2>/dev/null || true) >= $2)) && break
    sleep 0.1
  done
  grep "\"kind\":\"$1\"" "$NOTICES" 2>/dev/null | sed -n "$2p"
}
"$CLOUDFILM" synth "$WORK/synth" --seed 77 --patients 2 --studies 2 --series 1 --instances 2 \
  --ct-size 32 >/dev/null

# The exams by patient: A has S1 (shared) and S2, B has S3 and S4.
declare -A STUDY_OF_FILE
for f in $(find "$WORK/synth" -name '*.dcm' | sort); do STUDY_OF_FILE[$f]=$(dicom_value "$f" StudyInstanceUID); done
FIRST=$(first_dicom "$WORK/synth")
PATIENT_A=$(dicom_value "$FIRST" PatientID)
BIRTH_A=$(dicom_value "$FIRST" PatientBirthDate)
mapfile -t STUDIES_A < <(for f in "${!STUDY_OF_FILE[@]}"; do
  [[ $(dicom_value "$f" PatientID) == "$PATIENT_A" ]] && echo "${STUDY_OF_FILE[$f]}"; done | sort -u)
mapfile -t STUDIES_B < <(for f in "${!STUDY_OF_FILE[@]}"; do
  [[ $(dicom_value "$f" PatientID) != "$PATIENT_A" ]] && echo "${STUDY_OF_FILE[$f]}"; done | sort -u)
S1=${STUDIES_A[0]} S2=${STUDIES_A[1]} S3=${STUDIES_B[0]}
file_of() {  # file_of STUDY: one file of that study
  local f
  for f in "${!STUDY_OF_FILE[@]}"; do [[ ${STUDY_OF_FILE[$f]} == "$1" ]] && { echo "$f"; return; }; done
}
F1=$(file_of "$S1") F2=$(file_of "$S2") F3=$(file_of "$S3")
SERIES1=$(dicom_value "$F1" SeriesInstanceUID) SOP1=$(sop_of "$F1")
SERIES2=$(dicom_value "$F2" SeriesInstanceUID) SOP2=$(sop_of "$F2")
check_eq "the data: 2 + 2 exams, A has a birth date" "2 2 8" \
  "${#STUDIES_A[@]} ${#STUDIES_B[@]} ${#BIRTH_A}"

start_server "$WORK/data" "${CONFIG[@]}"
check "RJ_CT stores the four exams" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
DOC=$(account_token "$WORK/data" dr.li doctor ruijin "${CONFIG[@]}")
TECH=$(account_token "$WORK/data" tech.wu technologist ruijin "${CONFIG[@]}")
as() { curl -q -s -H "Authorization: Bearer $DOC" "$@"; }
json() { curl -q -s -H 'Content-Type: application/json' "$@"; }
for study in "$S1" "$S2" "$S3"; do
  as -o /dev/null -H 'Content-Type: application/json' --data-binary \
    "{\"study_uid\":\"$study\",\"kind\":\"radiology\",\"status\":\"final\",\"conclusion\":\"未见异常。\",\"signer\":\"李医生\",\"signed_at\":\"2026-11-29T09:30:00+08:00\"}" \
    "$BASE/api/reports"
done
film_of() { as "$BASE/api/films?study=$1" | jq -r '.items[0].id'; }
FILM1=$(film_of "$S1") FILM2=$(film_of "$S2") FILM3=$(film_of "$S3")
check "signed reports issued the three films" bash -c "[[ ${#FILM1} == 32 && ${#FILM2} == 32 && ${#FILM3} == 32 ]]"

# --- the hospital gives the patient the share of film 1 ----------------------
share_film() {  # share_film FILM BODY: the answer in $WORK/share.json, prints the status
  as -o "$WORK/share.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "$2" "$BASE/api/films/$1/shares"
}
check_eq "a technologist may not share films: 403" 403 \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TECH" -H 'Content-Type: application/json' --data-binary '{}' "$BASE/api/films/$FILM1/shares")"
check_eq "the doctor shares film 1: 201" 201 "$(share_film "$FILM1" '{"recipient":"patient-a@example.cn"}')"
TOKEN=$(jq -r .token "$WORK/share.json")
URL=$(jq -r .url "$WORK/share.json")
SHARE=$(jq -r .share.id "$WORK/share.json")
check_eq "the URL carries a 128-bit token under http.public_base_url" "https://film.ruijin.example/s/$TOKEN 22" \
  "$URL ${#TOKEN}"
check_eq "the share names the film's exam and the hospital's factor" "$S1 birth-date film" \
  "$(jq -r '"\(.share.study_uids | join(",")) \(.share.factor) \(.share.scope)"' "$WORK/share.json")"
jq -r .qr_png_base64 "$WORK/share.json" | base64 -d >"$WORK/qr.png"
check_eq "zbarimg reads the QR PNG back to exactly the URL" "$URL" "$(zbarimg --raw -q "$WORK/qr.png" 2>/dev/null)"
jq -r .qr_svg "$WORK/share.json" >"$WORK/qr.svg"
check "and the SVG is an SVG document" grep -q '<svg xmlns="http://www.w3.org/2000/svg"' "$WORK/qr.svg"
check_eq "the list shows the share without its token" "1 0" \
  "$(as "$BASE/api/films/$FILM1/shares" | tee "$WORK/list.json" | jq '.items | length') $(grep -cF -e "$TOKEN" "$WORK/list.json" || true)"
check "the token is nowhere on disk" absent "$TOKEN" "$WORK/data"
check_eq "the QR page: 200 HTML that leaks no referrer" "200 no-referrer" \
  "$(curl -q -s -o /dev/null -w '%{http_code}' "$BASE/s/$TOKEN") $(curl -q -s -D - -o /dev/null "$BASE/s/$TOKEN" | tr -d '\r' | awk -F': ' 'tolower($1)=="referrer-policy"{print $2}')"

# --- wrong answers count and lock ---------------------------------------------
open_share() {  # open_share NAME TOKEN FACTOR: answer in $WORK/NAME.*, prints the status
  get "$1" "$BASE/api/share-sessions" -H 'Content-Type: application/json' \
    --data-binary "{\"token\":\"$2\",\"factor\":\"$3\",\"bearer\":true}"
}
check_eq "a wrong birth date: 401, 2 attempts left" "401 wrong birth-date; 2 attempts left" \
  "$(open_share w1 "$TOKEN" 19000101) $(jq -r .detail "$WORK/w1.body")"
check_eq "another: 401, 1 attempt left" 401 "$(open_share w2 "$TOKEN" 19000102)"
check_eq "the third locks the share: 429 with Retry-After 900" "429 900" \
  "$(open_share w3 "$TOKEN" 19000103) $(header w3 Retry-After)"
check_eq "now even the right birth date waits: 429" 429 "$(open_share w4 "$TOKEN" "$BIRTH_A")"
curl -s "$BASE/api/audit?actor=share:$SHARE&action=login-failed&tenant=ruijin" >"$WORK/audit.json"
check_eq "each attempt is in the audit trail" 4 "$(jq '.events | length' "$WORK/audit.json")"
check "without the token" absent "$TOKEN" "$WORK/audit.json"
check "or the answers" bash -c "! grep -q '1900010' '$WORK/audit.json'"
check "or the birth date" absent "$BIRTH_A" "$WORK/audit.json"

# A new slip replaces the locked one.
check_eq "a new share of film 1 for the patient: 201" 201 \
  "$(share_film "$FILM1" '{"recipient":"patient-a@example.cn"}')"
TOKEN=$(jq -r .token "$WORK/share.json") SHARE=$(jq -r .share.id "$WORK/share.json")
check_eq "the right birth date opens it: 201" 201 "$(open_share ok "$TOKEN" "$BIRTH_A")"
PAT=$(jq -r .session_token "$WORK/ok.body")
pat() { curl -q -s -H "Authorization: Bearer $PAT" "$@"; }
code() { pat -o /dev/null -w '%{http_code}' "$@"; }

# --- the share reads its exam on every protocol --------------------------------
check_eq "its film: 200" 200 "$(code "$BASE/api/films/$FILM1")"
check_eq "its reports: 1" 1 "$(pat "$BASE/api/reports?study=$S1" | jq '.items | length')"
check_eq "QIDO-RS without a filter lists only its exam" "$S1" \
  "$(pat "$BASE/dicom-web/studies" | jq -r '[.[]["0020000D"].Value[0]] | join(",")')"
check_eq "QIDO-RS by the patient's ID too" "$S1" \
  "$(pat "$BASE/dicom-web/studies?PatientID=$PATIENT_A" | jq -r '[.[]["0020000D"].Value[0]] | join(",")')"
check_eq "WADO-RS metadata: 200" 200 "$(code "$BASE/dicom-web/studies/$S1/metadata")"
check_eq "WADO-RS frames: 200" 200 "$(code -H 'Accept: multipart/related; type="application/octet-stream"' "$BASE/dicom-web/studies/$S1/series/$SERIES1/instances/$SOP1/frames/1")"
check_eq "WADO-RS instance: 200" 200 "$(code -H 'Accept: multipart/related; type="application/dicom"' "$BASE/dicom-web/studies/$S1/series/$SERIES1/instances/$SOP1")"
check_eq "rendered: 200" 200 "$(code "$BASE/dicom-web/studies/$S1/series/$SERIES1/instances/$SOP1/rendered")"
pat -o "$WORK/own.dcm" "$BASE/api/instances/$SOP1/file"
as -o "$WORK/doc.dcm" "$BASE/api/instances/$SOP1/file"
check_eq "the file download is the stored object" "$(sha "$WORK/doc.dcm")" "$(sha "$WORK/own.dcm")"

# --- and nothing else ----------------------------------------------------------
check_eq "the patient's other exam by UID: 404" "404 404 404" \
  "$(code "$BASE/api/studies/$S2") $(code "$BASE/dicom-web/studies/$S2/metadata") $(code "$BASE/dicom-web/studies/$S2/series/$SERIES2/instances/$SOP2/rendered")"
check_eq "another patient's exam: 404" "404 404" \
  "$(code "$BASE/api/studies/$S3") $(code "$BASE/dicom-web/studies/$S3/metadata")"
check_eq "other objects by WADO-URI and by file: 404" "404 404" \
  "$(code "$BASE/wado?requestType=WADO&studyUID=$S2&seriesUID=$SERIES2&objectUID=$SOP2&contentType=application/dicom") $(code "$BASE/api/instances/$SOP2/file")"
check_eq "a WADO-RS path that mixes the shared exam with another's object: 404" 404 \
  "$(code "$BASE/dicom-web/studies/$S1/series/$SERIES2/instances/$SOP2/metadata")"
check_eq "other films and their reports: 404 404, none" "404 404 0" \
  "$(code "$BASE/api/films/$FILM2") $(code "$BASE/api/films/$FILM3") $(pat "$BASE/api/reports?study=$S2" | jq '.items | length')"
check_eq "QIDO-RS instances of another exam: none" 0 \
  "$(pat "$BASE/dicom-web/studies/$S2/instances" | jq 'length')"
check_eq "STOW-RS: 403" 403 "$(code -X POST -H 'Content-Type: multipart/related; type="application/dicom"; boundary=x' --data-binary $'--x--\r\n' "$BASE/dicom-web/studies")"
check_eq "accounts, tokens, audit, system: 403" "403 403 403 403" \
  "$(code "$BASE/api/accounts") $(code "$BASE/api/tokens") $(code "$BASE/api/audit") $(code "$BASE/api/system")"
check_eq "sharing films as the hospital: 403" 403 \
  "$(code -H 'Content-Type: application/json' --data-binary '{}' "$BASE/api/films/$FILM1/shares")"
check_eq "another hospital named: 403" 403 "$(code -H 'X-Cloudfilm-Tenant: renji' "$BASE/dicom-web/studies")"

# --- a doctor share made by the patient ----------------------------------------
check_eq "the patient makes a doctor share without a factor: 201" 201 \
  "$(pat -o "$WORK/doctor.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary '{"expires_in_hours":2,"factor":"none"}' "$BASE/api/my/shares")"
DTOKEN=$(jq -r .token "$WORK/doctor.json") DSHARE=$(jq -r .share.id "$WORK/doctor.json")
jq -r .qr_png_base64 "$WORK/doctor.json" | base64 -d >"$WORK/doctor.png"
check_eq "with its own QR code" "$(jq -r .url "$WORK/doctor.json")" "$(zbarimg --raw -q "$WORK/doctor.png" 2>/dev/null)"
check_eq "which expires before the patient's" true \
  "$(jq -r "(.share.expires_ms < $(jq .share.expires_ms "$WORK/ok.body"))" "$WORK/doctor.json")"
check_eq "the doctor opens it with the token alone: 201" 201 "$(open_share dr "$DTOKEN" "")"
DRS=$(jq -r .session_token "$WORK/dr.body")
check_eq "and reads the exam: 200" 200 \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $DRS" "$BASE/api/studies/$S1")"
check_eq "but may not make shares of its own: 403" 403 \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $DRS" -H 'Content-Type: application/json' --data-binary '{}' "$BASE/api/my/shares")"
check_eq "the patient was notified through the outbox" "opened-by-other patient-a@example.cn true" \
  "$(notice opened-by-other 1 | jq -r '"\(.kind) \(.recipient) \(.body | contains("doctor share"))"')"
as -o /dev/null "$BASE/api/studies/$S1"  # a read by a hospital account
as -o /dev/null "$BASE/api/films/$FILM1"  # the film opened by the hospital doctor
check_eq "the film opened by a hospital doctor: the patient is notified" \
  "patient-a@example.cn true" \
  "$(notice opened-by-other 2 | jq -r '"\(.recipient) \(.body | contains("your film was opened by dr.li (doctor)"))"')"
pat "$BASE/api/my/access-history" >"$WORK/history.json"
quiet() { "$@" >/dev/null; }
check "the access history lists the doctor share's opening" \
  quiet jq -e --arg who "share:$DSHARE" '[.items[] | select(.who == $who and .action == "login")] | length == 1' "$WORK/history.json"
check "and its reads, and the hospital doctor's" \
  quiet jq -e --arg who "share:$DSHARE" '([.items[] | select(.who == $who and .action == "view")] | length >= 1) and ([.items[] | select(.who == "dr.li")] | length >= 1)' "$WORK/history.json"
check "but not the patient's own reads" \
  quiet jq -e --arg me "share:$SHARE" '[.items[] | select(.who == $me)] | length == 0' "$WORK/history.json"
check_eq "the patient revokes the doctor share: 204, then its session is refused" "204 401" \
  "$(code -X DELETE "$BASE/api/my/shares/$DSHARE") $(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $DRS" "$BASE/api/studies/$S1")"

# --- revocation and expiry end the session --------------------------------------
check_eq "the hospital revokes the patient's share: 204" 204 \
  "$(as -o /dev/null -w '%{http_code}' -X DELETE "$BASE/api/shares/$SHARE")"
check_eq "its session is refused at once: 401" 401 "$(code "$BASE/api/studies/$S1")"
check_eq "and the link too" "401 this share was revoked" \
  "$(open_share rv "$TOKEN" "$BIRTH_A") $(jq -r .detail "$WORK/rv.body")"
NOW_MS=$(($(date +%s%3N)))
check_eq "a share of film 2 valid from tomorrow: 201, then 401 not valid yet" "201 401 this share is not valid yet" \
  "$(share_film "$FILM2" "{\"not_before_ms\":$((NOW_MS + 86400000))}") $(open_share nb "$(jq -r .token "$WORK/share.json")" "$BIRTH_A") $(jq -r .detail "$WORK/nb.body")"
check_eq "a share of film 2 that ends in 3 s: 201" 201 \
  "$(share_film "$FILM2" "{\"expires_at_ms\":$((NOW_MS + 3000))}")"
T2=$(jq -r .token "$WORK/share.json")
check_eq "opens" 201 "$(open_share e1 "$T2" "$BIRTH_A")"
E1=$(jq -r .session_token "$WORK/e1.body")
check_eq "reads its exam (and only it)" "200 404" \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $E1" "$BASE/api/studies/$S2") $(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $E1" "$BASE/api/studies/$S1")"
sleep 3.5
check_eq "after expiry: the session 401, the link 401 expired" "401 401 this share has expired" \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $E1" "$BASE/api/studies/$S2") $(open_share e2 "$T2" "$BIRTH_A") $(jq -r .detail "$WORK/e2.body")"

# --- a patient share of every exam of the patient, as a browser --------------
check_eq "a patient-scope share of film 1: 201, both of A's exams" "201 2" \
  "$(share_film "$FILM1" '{"scope":"patient"}') $(jq '.share.study_uids | length' "$WORK/share.json")"
T3=$(jq -r .token "$WORK/share.json")
check_eq "opened in a browser: a session cookie, HttpOnly, SameSite=Strict" 201 \
  "$(get br "$BASE/api/share-sessions" -c "$WORK/jar" -H 'Content-Type: application/json' --data-binary "{\"token\":\"$T3\",\"factor\":\"$BIRTH_A\"}")"
check "the cookie is HttpOnly and SameSite=Strict" bash -c \
  "grep -i '^set-cookie: cf_session=cfp_' '$WORK/br.hdr' | grep -q 'HttpOnly' && grep -i '^set-cookie: cf_session=' '$WORK/br.hdr' | grep -q 'SameSite=Strict'"
check_eq "it lists both of A's exams and none of B's" "$(printf '%s\n' "$S1" "$S2" | sort | paste -sd,)" \
  "$(curl -q -s -b "$WORK/jar" "$BASE/dicom-web/studies" | jq -r '[.[]["0020000D"].Value[0]] | sort | join(",")')"
# An exam of A stored after the share was made: opening the share takes it in.
cp "$F1" "$WORK/later.dcm"
dcmodify -nb -gst -gse -gin "$WORK/later.dcm" >/dev/null 2>&1
S_LATER=$(dicom_value "$WORK/later.dcm" StudyInstanceUID)
check "RJ_CT stores a later exam of A" storescu -aet RJ_CT -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$WORK/later.dcm"
check_eq "opened again, the patient share covers it: 201" 201 "$(open_share later "$T3" "$BIRTH_A")"
check_eq "and lists A's three exams, the later one among them" "3 1" \
  "$(curl -q -s -H "Authorization: Bearer $(jq -r .session_token "$WORK/later.body")" "$BASE/dicom-web/studies" | \
    jq -r --arg s "$S_LATER" '"\(length) \([.[]["0020000D"].Value[0]] | map(select(. == $s)) | length)"')"
check_eq "signing out without the CSRF token: 403" 403 \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -b "$WORK/jar" -X POST "$BASE/api/auth/logout")"
check_eq "with it: 204, and the cookie no longer opens anything" "204 401" \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -b "$WORK/jar" -H "X-CSRF-Token: $(jq -r .csrf_token "$WORK/br.body")" -X POST "$BASE/api/auth/logout") $(curl -q -s -o /dev/null -w '%{http_code}' -b "$WORK/jar" "$BASE/dicom-web/studies")"

# --- the one-time code, through the file notifier -------------------------------
check "RN_CT stores B's exams at Renji" storescu -aet RN_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
RN=$(account_token "$WORK/data" dr.ren doctor renji "${CONFIG[@]}")
curl -q -s -o /dev/null -H "Authorization: Bearer $RN" -H 'Content-Type: application/json' --data-binary \
  "{\"study_uid\":\"$S3\",\"kind\":\"radiology\",\"status\":\"final\",\"conclusion\":\"正常\",\"signer\":\"任医生\",\"signed_at\":\"2026-11-29T10:00:00+08:00\"}" \
  "$BASE/api/reports"
RFILM=$(curl -q -s -H "Authorization: Bearer $RN" "$BASE/api/films?study=$S3" | jq -r '.items[0].id')
check_eq "Renji shares without a recipient: 400" 400 \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $RN" -H 'Content-Type: application/json' --data-binary '{}' "$BASE/api/films/$RFILM/shares")"
check_eq "with the patient's phone: 201, one-time-code" "201 one-time-code" \
  "$(curl -q -s -o "$WORK/rn.json" -w '%{http_code}' -H "Authorization: Bearer $RN" -H 'Content-Type: application/json' --data-binary '{"recipient":"+86 138 0013 8000"}' "$BASE/api/films/$RFILM/shares") $(jq -r .share.factor "$WORK/rn.json")"
RT=$(jq -r .token "$WORK/rn.json")
check_eq "a code is sent: 202" 202 \
  "$(json -q -o /dev/null -w '%{http_code}' --data-binary "{\"token\":\"$RT\"}" "$BASE/api/share-sessions/code")"
LINE=$(notice one-time-code 1)
CODE=$(jq -r .body <<<"$LINE" | grep -o '[0-9]\{6\}' | head -1)
check_eq "to the patient's phone: 6 digits, in Chinese and English" "+86 138 0013 8000 6 1 1" \
  "$(jq -r .recipient <<<"$LINE") ${#CODE} $(jq -r .body <<<"$LINE" | grep -c '验证码') $(jq -r .body <<<"$LINE" | grep -c 'valid for 5 minutes')"
code_state() {  # the outbox's state of the latest one-time-code message
  curl -s "$BASE/api/notifications?limit=10" |
    jq -r '[.items[] | select(.kind == "one-time-code")][0] | "\(.status) \(.received_at)"'
}
# The provider writes the line just before the outbox records the delivery.
for ((i = 0; i < 50; i++)); do [[ $(code_state) == delivered* ]] && break; sleep 0.1; done
check_eq "the outbox lists it delivered, not yet received" "delivered null" "$(code_state)"
check_eq "a wrong code: 401" 401 "$(open_share c1 "$RT" 000000)"
check_eq "the code opens it: 201" 201 "$(open_share c2 "$RT" "$CODE")"
check "and the first opening is recorded as proof of receipt" bash -c \
  "curl -q -s '$BASE/api/notifications?limit=10' -H '$CF_AUTH' | jq -e '[.items[] | select(.kind == \"one-time-code\")][0].received_at != null'"
check_eq "once: 401 the second time" 401 "$(open_share c3 "$RT" "$CODE")"
curl -sf "$BASE/api/audit?tenant=renji&limit=1000" >"$WORK/renji-audit.json"
check "the audit trail was read" test -s "$WORK/renji-audit.json"
check "the code is not in the server's log" absent "$CODE" "$WORK/server.log"
check "nor in the audit trail" absent "\"$CODE\"" "$WORK/renji-audit.json"

# --- the CLI, for hospitals without a web app -----------------------------------
BIRTH_B=$(dicom_value "$F3" PatientBirthDate)
check "cloudfilm share create FILM --qr-png" bash -c \
  "'$CLOUDFILM' share create '$FILM3' --config '$WORK/cloudfilm.toml' --data '$WORK/data' --qr-png '$WORK/cli.png' >'$WORK/cli.json'"
check_eq "prints the URL, which its QR PNG decodes to" "$(jq -r .url "$WORK/cli.json")" \
  "$(zbarimg --raw -q "$WORK/cli.png" 2>/dev/null)"
CT=$(jq -r .token "$WORK/cli.json") CSHARE=$(jq -r .share.id "$WORK/cli.json")
check_eq "B's birth date opens it" 201 "$(open_share cli "$CT" "$BIRTH_B")"
check_eq "share list shows it, no token" "$CSHARE 0" \
  "$("$CLOUDFILM" share list "$FILM3" "${CONFIG[@]}" --data "$WORK/data" | tee "$WORK/cli-list.json" | jq -r '.[0].id') $(grep -cF -e "$CT" "$WORK/cli-list.json" || true)"
check "share revoke ID" quiet "$CLOUDFILM" share revoke "$CSHARE" "${CONFIG[@]}" --data "$WORK/data"
check_eq "then the link is refused" 401 "$(open_share cli2 "$CT" "$BIRTH_B")"

check "SIGTERM stops the server with exit 0" stop_server
# A hospital on one-time codes needs a notifier: refused at start without one.
sed '/^\[notify\]/,$d' "$WORK/cloudfilm.toml" >"$WORK/no-notifier.toml"
P=$(free_port)
timeout 30 "$CLOUDFILM" serve --config "$WORK/no-notifier.toml" --data "$WORK/data" \
  --http-port "$P" --dicom-port "$(free_port)" --bind 127.0.0.1 >/dev/null 2>"$WORK/refused.log" && rc=0 || rc=$?
check_eq "serve refuses one-time codes without a notifier" "1 1" \
  "$((rc != 0 && rc != 124)) $(grep -c 'tenants.renji.share_factor' "$WORK/refused.log")"

check "the phone number is not in the data folder in clear" absent "0013 8000" "$WORK/data"
finish
