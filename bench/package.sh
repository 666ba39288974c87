#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Film package download: time to first byte and total time of
# `GET /api/films/{film}/package` for a synthetic CT exam (2,000 objects of
# 512x512, about 1 GB as received), measured with curl on loopback, and the
# server's peak RSS; then `cloudfilm film package` to a file and
# `cloudfilm verify` of it. Run it with another binary (e.g. main's) to
# compare. A few minutes on 2 cores; needs about 3 GB free under TMPDIR.
#
#   bench/package.sh [CLOUDFILM] [INSTANCES_PER_SERIES]
# CLOUDFILM: build/apps/cloudfilm/cloudfilm; INSTANCES_PER_SERIES: 1000
# (two series). Environment: RUNS (3) downloads, KEEP=1 keeps the folder.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
CLOUDFILM=$(realpath "${1:-$ROOT/build/apps/cloudfilm/cloudfilm}")
PER_SERIES=${2:-1000}
RUNS=${RUNS:-3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cf-bench-package-XXXXXX")
SERVER=
cleanup() {
  [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

cat >"$WORK/cloudfilm.toml" <<TOML
[tenants.ruijin]
name = "Ruijin Hospital"
ae_titles = ["RJ_CT"]
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")
echo "synth: 2 series x $PER_SERIES CT objects" >&2
"$CLOUDFILM" synth "$WORK/synth" --seed 7 --patients 1 --studies 1 --series 2 \
  --instances "$PER_SERIES" --modalities CT --ct-size 512 >/dev/null
RECEIVED=$(du -sb "$WORK/synth" | cut -f1)
STUDY=$(dcmdump -q +P StudyInstanceUID "$(find "$WORK/synth" -name '*.dcm' | head -1)" |
  sed -n -E 's/^[^[]*\[(.*)\].*$/\1/p')
find "$WORK/synth" -type f ! -name "*.dcm" -delete  # synth's manifest.tsv is not DICOM
echo "import" >&2
"$CLOUDFILM" import -q --tenant ruijin --data "$WORK/data" "${CONFIG[@]}" "$WORK/synth" >&2
rm -rf "$WORK/synth"

HTTP=$(port)
DICOM=$(port)
"$CLOUDFILM" serve --data "$WORK/data" "${CONFIG[@]}" --bind 127.0.0.1 --http-port "$HTTP" \
  --dicom-port "$DICOM" >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER=$!
BASE=http://127.0.0.1:$HTTP
for ((i = 0; i < 500; i++)); do curl -sf "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
printf 'a long enough password\n' | "$CLOUDFILM" accounts create "${CONFIG[@]}" --data "$WORK/data" \
  --login bench --role doctor --tenant ruijin >/dev/null
TOKEN=$("$CLOUDFILM" tokens issue "${CONFIG[@]}" --data "$WORK/data" --login bench --label bench 2>/dev/null)
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  --data-binary "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"final\",\"conclusion\":\"bench\",\"signer\":\"bench\",\"signed_at\":\"2026-11-29T09:30:00+08:00\"}" \
  "$BASE/api/reports"
FILM=$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/films?study=$STUDY" | jq -r '.items[0].id')
rss_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$SERVER/status"; }
BEFORE_RSS=$(rss_kb)

echo "| run | first byte | total | ZIP | server peak RSS |"
echo "| --- | --- | --- | --- | --- |"
for ((r = 1; r <= RUNS; r++)); do
  out=$(curl -s -o "$WORK/package.zip" -H "Authorization: Bearer $TOKEN" \
    -w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}' \
    "$BASE/api/films/$FILM/package")
  read -r code first total size <<<"$out"
  [[ $code == 200 ]] || { echo "package.sh: download answered $code" >&2; exit 1; }
  printf '| %d | %.2f s | %.1f s | %.1f MB | %d MB (before the downloads: %d MB) |\n' "$r" "$first" "$total" \
    "$(echo "$size / 1000000" | bc -l)" "$(($(rss_kb) / 1024))" "$((BEFORE_RSS / 1024))"
done
kill "$SERVER"
wait "$SERVER" || true
SERVER=
start=$(date +%s.%N)
"$CLOUDFILM" film package "$FILM" --out "$WORK/cli.zip" --data "$WORK/data" "${CONFIG[@]}" >/dev/null
cli=$(echo "$(date +%s.%N) - $start" | bc -l)
start=$(date +%s.%N)
"$CLOUDFILM" verify "$WORK/cli.zip" >/dev/null
verify=$(echo "$(date +%s.%N) - $start" | bc -l)
same=different
cmp -s "$WORK/cli.zip" "$WORK/package.zip" && same=identical
printf '\nreceived %.1f MB; cloudfilm film package %.1f s (%s to the download); cloudfilm verify %.1f s\n' \
  "$(echo "$RECEIVED / 1000000" | bc -l)" "$cli" "$same" "$verify"
