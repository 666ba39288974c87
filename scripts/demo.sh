#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: a server on loopback with SQLite and a local folder, demo
# studies loaded, URLs printed. Runs in the foreground; Ctrl-C stops it.
# Environment: DEMO_DATA (default ./demo-data), HTTP_PORT (8080), DICOM_PORT (11112).
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
cat <<MSG

demo: starting cloudfilm (Ctrl-C to stop). Try:
  curl http://127.0.0.1:$HTTP_PORT/api/system
  curl 'http://127.0.0.1:$HTTP_PORT/api/studies?limit=5'
  curl 'http://127.0.0.1:$HTTP_PORT/dicom-web/studies' -H 'Accept: application/dicom+json'
  curl -s http://127.0.0.1:$HTTP_PORT/api/system | jq .storage   # compression, per modality
  echoscu -aec CLOUDFILM 127.0.0.1 $DICOM_PORT
  storescu -aec CLOUDFILM 127.0.0.1 $DICOM_PORT +sd +r some-folder/

MSG
exec "$BIN" serve --data "$DATA" --http-port "$HTTP_PORT" --dicom-port "$DICOM_PORT" --bind 127.0.0.1
