#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: a server on loopback with SQLite and a local folder, demo
# studies loaded, URLs printed. Runs in the foreground; Ctrl-C stops it.
# Environment: DEMO_DATA (default ./demo-data), HTTP_PORT (8080), DICOM_PORT (11112).
# HTTP wants a bearer token (all but GET /healthz): the server's platform-admin
# token (CLOUDFILM_BOOTSTRAP_TOKEN) is DEMO_DATA/demo-token (mode 600), made
# at random on the first run and kept for the next ones. The curl examples
# printed at start carry it.
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
cat <<MSG

demo: starting cloudfilm (Ctrl-C to stop). HTTP wants the API token (in $TOKEN_FILE). Try:
  curl -H "$AUTH" http://127.0.0.1:$HTTP_PORT/dicom-web/studies
  curl -H "$AUTH" http://127.0.0.1:$HTTP_PORT/api/system
  curl -H "$AUTH" 'http://127.0.0.1:$HTTP_PORT/api/studies?limit=5'
  curl -H "$AUTH" 'http://127.0.0.1:$HTTP_PORT/dicom-web/studies' -H 'Accept: application/dicom+json'
  curl -s -H "$AUTH" http://127.0.0.1:$HTTP_PORT/api/system | jq .storage   # compression, per modality
  curl http://127.0.0.1:$HTTP_PORT/healthz   # the one route without a token
  echoscu -aec CLOUDFILM 127.0.0.1 $DICOM_PORT
  storescu -aec CLOUDFILM 127.0.0.1 $DICOM_PORT +sd +r some-folder/

MSG
export CLOUDFILM_BOOTSTRAP_TOKEN=$TOKEN
exec "$BIN" serve --data "$DATA" --http-port "$HTTP_PORT" --dicom-port "$DICOM_PORT" --bind 127.0.0.1
