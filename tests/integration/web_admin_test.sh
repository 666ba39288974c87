#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The admin console in headless Chromium (tests/js/web_admin_test.js)
# against the real binary serving the built web apps: a hospital admin of
# Ruijin signs in, reads the storage figures, creates a doctor, finds a
# patient's share by exam and revokes it, finds the revocation in the audit
# trail, reads the hospital's DICOM setup, and adds, echoes, edits and
# removes DICOM nodes. Then the revoked link refuses
# the patient while the other patient's share still opens, and the new
# doctor can sign in. Screenshots are left in $CF_ARTIFACTS (default /tmp).
source "$(dirname "$0")/lib.sh"

JS=$HERE/../js
[[ -d $JS/node_modules/playwright-core ]] ||
  { echo "FAILED - tests/js/node_modules lacks playwright-core: run scripts/install-deps.sh"; exit 1; }
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] ||
  { echo "FAILED - no Chromium at ${CHROMIUM:-/usr/bin/chromium}: run scripts/install-deps.sh"; exit 1; }
export CF_ARTIFACTS=${CF_ARTIFACTS:-/tmp}

cat >"$WORK/cloudfilm.toml" <<TOML
[tenants.ruijin]
name = "Ruijin Hospital"
ae_titles = ["RJ_CT"]
[tenants.renji]
name = "Renji Hospital"
ae_titles = ["RN_CT"]
[dicom.destinations]
ARCHIVE2 = "127.0.0.1:11199"
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")
"$CLOUDFILM" synth "$WORK/synth" --seed 31 --patients 2 --studies 1 --series 1 --instances 2 \
  --ct-size 32 --charset mixed >/dev/null
mapfile -t FILES < <(find "$WORK/synth" -name '*.dcm' | sort)
mapfile -t STUDIES < <(for f in "${FILES[@]}"; do dicom_value "$f" StudyInstanceUID; done | sort -u)
check_eq "the data: two exams" 2 "${#STUDIES[@]}"
birth_of() {  # birth_of STUDY
  local f
  for f in "${FILES[@]}"; do
    [[ $(dicom_value "$f" StudyInstanceUID) == "$1" ]] && { dicom_value "$f" PatientBirthDate; return; }
  done
}

start_server "$WORK/data" "${CONFIG[@]}"
check "RJ_CT stores both exams" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
DOC=$(account_token "$WORK/data" dr.li doctor ruijin "${CONFIG[@]}")
ADMIN=$(account_token "$WORK/data" admin.zhang hospital-admin ruijin "${CONFIG[@]}")
account_token "$WORK/data" audit.qian auditor ruijin "${CONFIG[@]}" >/dev/null
as() { curl -q -s -H "Authorization: Bearer $1" "${@:2}"; }
declare -A FILM TOKEN
for study in "${STUDIES[@]}"; do
  as "$DOC" -o /dev/null -H 'Content-Type: application/json' --data-binary \
    "{\"study_uid\":\"$study\",\"kind\":\"radiology\",\"status\":\"final\",\"conclusion\":\"未见异常。\",\"signer\":\"李医生\",\"signed_at\":\"2026-11-29T09:30:00+08:00\"}" \
    "$BASE/api/reports"
  FILM[$study]=$(as "$DOC" "$BASE/api/films?study=$study" | jq -r '.items[0].id')
  TOKEN[$study]=$(as "$DOC" -H 'Content-Type: application/json' --data-binary '{}' \
    "$BASE/api/films/${FILM[$study]}/shares" | jq -r .token)
done
S1=${STUDIES[0]} S2=${STUDIES[1]}
check "each exam has a film and a share" bash -c "[[ ${#TOKEN[$S1]} == 22 && ${#TOKEN[$S2]} == 22 ]]"

check_eq "/admin is the console page" "200 text/html; charset=utf-8" \
  "$(curl -q -s -o /dev/null -w '%{http_code} %{content_type}' "$BASE/admin")"
check_eq "GET /api/shares?study= finds the exam's share (API)" "1 ${FILM[$S1]}" \
  "$(as "$ADMIN" "$BASE/api/shares?study=$S1" | jq -r '"\(.items | length) \(.items[0].film_id)"')"
check_eq "a doctor may not read the site configuration: 403" 403 \
  "$(as "$DOC" -o /dev/null -w '%{http_code}' "$BASE/api/site")"
check_eq "an admin of Ruijin sees its hospital only" "ruijin RJ_CT ARCHIVE2" \
  "$(as "$ADMIN" "$BASE/api/site" | jq -r '[(.tenants | map(.code) | join(",")), .tenants[0].ae_titles[0], .dicom.destinations[0].ae_title] | join(" ")')"

# A workstation the console registers as a DICOM node and echoes.
ECHO_PORT=$(free_port)
storescp -aet RJ_WS --output-directory "$WORK" "$ECHO_PORT" >"$WORK/storescp.log" 2>&1 &
ECHO_PID=$!
for ((i = 0; i < 200; i++)); do echoscu -aet PROBE -aec RJ_WS 127.0.0.1 "$ECHO_PORT" 2>/dev/null && break; sleep 0.05; done

EXPECTED=$(as "$ADMIN" "$BASE/api/system" |
  jq -c --arg study "$S1" --arg film "${FILM[$S1]}" --argjson port "$ECHO_PORT" \
    '{instances, studies, study: $study, film: $film, echo_port: $port}')
rc=0
REVOKED=$(timeout 180 node "$JS/web_admin_test.js" "$BASE" admin.zhang 'a long enough password' audit.qian "$EXPECTED") || rc=$?
check_eq "the console checks pass in Chromium" 0 "$rc"
kill "$ECHO_PID" 2>/dev/null; wait "$ECHO_PID" 2>/dev/null || true
check_eq "the node the console added is Ruijin's, with its address (API)" "ruijin 127.0.0.1:$ECHO_PORT 超声工作站 4F admin.zhang" \
  "$(as "$ADMIN" "$BASE/api/dicom-nodes" | jq -r '.nodes[] | select(.ae_title == "RJ_WS") | "\(.tenant) \(.host):\(.port) \(.description) \(.changed_by)"')"
check_eq "the node the console removed is gone (API)" 0 \
  "$(as "$ADMIN" "$BASE/api/dicom-nodes" | jq '[.nodes[] | select(.ae_title == "RJ_TMP")] | length')"
check_eq "the console's node changes are in the audit trail" "config-change config-change config-change config-change" \
  "$(as "$ADMIN" "$BASE/api/audit?actor=admin.zhang&limit=1000" | jq -r '[.events[] | select(.route | startswith("/api/dicom-nodes")) | .action] | reverse | join(" ")')"
echo "# screenshots: $CF_ARTIFACTS/admin-storage.png $CF_ARTIFACTS/admin-shares.png $CF_ARTIFACTS/admin-site.png"

open_share() {  # open_share TOKEN FACTOR: prints the status and the problem detail
  curl -q -s -o "$WORK/open.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "{\"token\":\"$1\",\"factor\":\"$2\"}" "$BASE/api/share-sessions"
  echo " $(jq -r '.detail // empty' "$WORK/open.json")"
}
check_eq "the console revoked the share of the exam it found" \
  "$(as "$ADMIN" "$BASE/api/shares?study=$S1" | jq -r '.items[0].id')" "$REVOKED"
check_eq "its link now refuses the patient" "401 this share was revoked" \
  "$(open_share "${TOKEN[$S1]}" "$(birth_of "$S1")")"
check_eq "the other patient's link still opens" "201 " "$(open_share "${TOKEN[$S2]}" "$(birth_of "$S2")")"
check_eq "the doctor created in the console signs in" 200 \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary '{"login":"dr.wang","password":"another long password"}' "$BASE/api/auth/login")"
check "server still up" server_alive
finish
