#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: a server on loopback with SQLite and a local folder, demo
# studies loaded, URLs printed. Runs in the foreground; Ctrl-C stops it.
# Environment: DEMO_DATA (default ./demo-data), HTTP_PORT (8080), DICOM_PORT (11112).
# HTTP wants a bearer token (all but GET /healthz): the server's platform-admin
# token (CLOUDFILM_BOOTSTRAP_TOKEN) is DEMO_DATA/demo-token (mode 600), made
# at random on the first run and kept for the next ones. The curl examples
# printed at start carry it.
# The first run also makes the web apps' demo: a hospital admin, a doctor
# and a kiosk account with random passwords (DEMO_DATA/demo-accounts, mode
# 600), a signed report and a film for every exam, and one patient's QR
# share (DEMO_DATA/demo-share, mode 600): its URL and second factor are
# printed, to open on a phone-sized window.
set -euo pipefail
BIN=${1:?usage: demo.sh path/to/cloudfilm}
DATA=${DEMO_DATA:-$PWD/demo-data}
HTTP_PORT=${HTTP_PORT:-8080}
DICOM_PORT=${DICOM_PORT:-11112}
SHARED=$(cd "$(dirname "$0")/../.." && pwd)/shared/testdata

mkdir -p "$DATA"
if [[ ! -f $DATA/.demo-loaded ]]; then
  echo "demo: writing synthetic studies (CT, MR, CR, US; Chinese and other names)..."
  rm -rf "$DATA/synth"
  "$BIN" synth "$DATA/synth" --seed 2026 --patients 6 --studies 1 --series 2 --instances 12 \
    --modalities CT,MR,CR,US --ct-size 256 --us-frames 8 --threads 2 >/dev/null
  echo "demo: importing them..."
  "$BIN" import --data "$DATA" --quiet "$DATA"/synth/*/ | tail -5
  if [[ -f $SHARED/MANIFEST.tsv ]]; then
    echo "demo: importing the public sample studies from $SHARED/series ..."
    "$BIN" import --data "$DATA" --quiet "$SHARED/series" | tail -5 || true
  fi
  echo "demo: accounts for the web apps..."
  : >"$DATA/demo-accounts.tmp"
  chmod 600 "$DATA/demo-accounts.tmp"
  for who in admin:hospital-admin doctor:doctor kiosk:kiosk; do
    login=demo.${who%%:*} role=${who#*:}
    password=$(head -c 12 /dev/urandom | base64 -w 0 | tr '+/' '-_')
    printf '%s\n' "$password" | "$BIN" accounts create --data "$DATA" --login "$login" --role "$role" \
      --tenant default >/dev/null
    printf '%s\t%s\t%s\n' "$login" "$role" "$password" >>"$DATA/demo-accounts.tmp"
  done
  mv -f "$DATA/demo-accounts.tmp" "$DATA/demo-accounts"
  touch "$DATA/.demo-loaded"
fi

TOKEN_FILE=$DATA/demo-token
TOKEN=$(cat "$TOKEN_FILE" 2>/dev/null || true)
if [[ ! $TOKEN =~ ^[A-Za-z0-9_-]{32,}$ ]]; then
  TOKEN=$(head -c 30 /dev/urandom | base64 -w 0 | tr '+/' '-_')  # 240 bits, base64url
  (umask 077 && printf '%s\n' "$TOKEN" >"$TOKEN_FILE.tmp") && mv -f "$TOKEN_FILE.tmp" "$TOKEN_FILE"
  echo "demo: new API token in $TOKEN_FILE"
fi
chmod 600 "$TOKEN_FILE"
AUTH="Authorization: Bearer $TOKEN"
BASE=http://127.0.0.1:$HTTP_PORT
printf '[http]\npublic_base_url = "%s"\n' "$BASE" >"$DATA/demo.toml"
export CLOUDFILM_BOOTSTRAP_TOKEN=$TOKEN
"$BIN" serve --data "$DATA" --config "$DATA/demo.toml" --http-port "$HTTP_PORT" \
  --dicom-port "$DICOM_PORT" --bind 127.0.0.1 &
SERVER=$!
trap 'kill -TERM "$SERVER" 2>/dev/null; wait "$SERVER"' INT TERM
for ((i = 0; i < 300; i++)); do
  curl -sf -o /dev/null "$BASE/healthz" && break
  kill -0 "$SERVER" 2>/dev/null || { echo "demo: the server did not start"; exit 1; }
  sleep 0.1
done
api() { curl -sf -H "$AUTH" "$@"; }

# Reports and films for every exam, then one patient's share: once.
if [[ ! -f $DATA/demo-share ]]; then
  echo "demo: signing a report for every exam (each issues its film)..."
  api "$BASE/api/studies?limit=100" | jq -c '.items[]' | while read -r study; do
    uid=$(jq -r .study_instance_uid <<<"$study")
    kind=radiology
    [[ $(jq -r '.modalities | join(",")' <<<"$study") == *US* ]] && kind=ultrasound
    api -o /dev/null -H 'Content-Type: application/json' --data-binary \
      "{\"study_uid\":\"$uid\",\"kind\":\"$kind\",\"status\":\"final\",\"findings\":\"所见未见明显异常。\",\"conclusion\":\"未见明显异常。\",\"signer\":\"演示医生\",\"signed_at\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}" \
      "$BASE/api/reports" || echo "demo: no report for one exam"
  done
  # The patient of the first CT exam gets a share of all their exams.
  study=$(api "$BASE/api/studies?modality=CT&limit=1" | jq -c '.items[0]')
  uid=$(jq -r .study_instance_uid <<<"$study")
  film=$(api "$BASE/api/films?study=$uid" | jq -r '.items[0].id')
  share=$(api -H 'Content-Type: application/json' --data-binary '{"scope":"patient","expires_in_days":30}' \
    "$BASE/api/films/$film/shares")
  (umask 077 && printf '%s\t%s\n' "$(jq -r .url <<<"$share")" "$(jq -r .patient_birth_date <<<"$study")" \
    >"$DATA/demo-share")
fi
IFS=$'\t' read -r SHARE_URL SHARE_BIRTH <"$DATA/demo-share"
# The same patient's outpatient visit, as a hospital's information system
# sends it: at the kiosk its number (and the birth date) lists the exams.
if [[ ! -f $DATA/demo-visit ]]; then
  pid=$(api "$BASE/api/studies?modality=CT&limit=1" | jq -r '.items[0].patient_id')
  visit_id=$(date +%Y%m%d)001
  api -o /dev/null -H 'Content-Type: application/json' --data-binary \
    "{\"visit_id\":\"$visit_id\",\"patient_id\":\"$pid\",\"kind\":\"outpatient\",\"date\":\"$(date +%Y%m%d)\"}" \
    "$BASE/api/visits" && (umask 077 && echo "$visit_id" >"$DATA/demo-visit")
fi
DEMO_VISIT=$(cat "$DATA/demo-visit" 2>/dev/null || true)
cat <<MSG

demo: cloudfilm is running (Ctrl-C to stop).

  Patient (open on a phone-sized window):  $SHARE_URL
    second factor: the birth date $SHARE_BIRTH (valid 30 days from the first run)
  Doctor viewer:   $BASE/viewer
  Kiosk:           $BASE/kiosk  (sign in as demo.kiosk; scan or paste the patient
                   URL, or type the visit number ${DEMO_VISIT:-(none)} and the same birth date)
  Admin console:   $BASE/admin
  Accounts (login, role, password) are in $DATA/demo-accounts:
$(sed 's/^/    /' "$DATA/demo-accounts" 2>/dev/null)

  HTTP API: the platform-admin token is in $TOKEN_FILE. Try:
  curl -H "$AUTH" $BASE/dicom-web/studies
  curl -H "$AUTH" $BASE/api/system
  curl -H "$AUTH" '$BASE/api/studies?limit=5'
  curl -s -H "$AUTH" $BASE/api/system | jq .storage   # compression, per modality
  curl $BASE/healthz   # the one route without a token
  echoscu -aec CLOUDFILM 127.0.0.1 $DICOM_PORT
  storescu -aec CLOUDFILM 127.0.0.1 $DICOM_PORT +sd +r some-folder/

MSG
wait "$SERVER"
