#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The film package streams as it is produced, deterministically, with
# nothing of the exam on disk (issue 6): for an exam of 80 CT images
# (~18 MB zipped, far more than the socket buffers hold),
# - the answer is chunked, and its first bytes reach a client that then
#   stops reading while the server has not finished the package
#   (film.packaged is logged only at its end) and DATA/tmp holds no file;
#   once the client reads on, it gets the whole package;
# - two downloads, and `cloudfilm film package`, are byte-identical;
# - `cloudfilm verify` accepts it and names a tampered DICOM file;
# - dcmftest and dcmdump read its DICOMDIR, whose records reference every
#   object;
# - an object whose stored bytes are damaged, read after the first bytes
#   went out, cuts the connection: curl exit 18, no valid ZIP, the
#   server logs why, and the audit trail records the download as failed.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

cat >"$WORK/cloudfilm.toml" <<TOML
[tenants.ruijin]
name = "Ruijin Hospital"
ae_titles = ["RJ_CT"]
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")
"$CLOUDFILM" synth "$WORK/synth" --seed 66 --patients 1 --studies 1 --series 2 --instances 40 \
  --modalities CT --charset mixed >/dev/null
FIRST=$(first_dicom "$WORK/synth")
STUDY=$(dicom_value "$FIRST" StudyInstanceUID)

start_server "$WORK/data" "${CONFIG[@]}"
check "RJ_CT stores the exam (80 objects)" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
DOC=$(account_token "$WORK/data" dr.li doctor ruijin "${CONFIG[@]}")
as() { curl -q -s -H "Authorization: Bearer $DOC" "$@"; }
check_eq "a signed final report issues the film: 201" 201 "$(as -o "$WORK/report.json" -w '%{http_code}' \
  -H 'Content-Type: application/json' --data-binary \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"final\",\"conclusion\":\"未见异常。\",\"signer\":\"李医生\",\"signed_at\":\"2026-11-29T09:30:00+08:00\"}" \
  "$BASE/api/reports")"
FILM=$(as "$BASE/api/films?study=$STUDY" | jq -r '.items[0].id')
URL="$BASE/api/films/$FILM/package"

# --- Two downloads, byte for byte.
check_eq "first download: 200" 200 "$(as -D "$WORK/a.hdr" -o "$WORK/a.zip" -w '%{http_code}' "$URL")"
check_eq "sent chunked, without a Content-Length" "chunked " \
  "$(tr -d '\r' <"$WORK/a.hdr" | awk -F': ' 'tolower($1) == "transfer-encoding" { printf "%s ", $2 } tolower($1) == "content-length" { printf "length %s ", $2 }')"
size=$(stat -c %s "$WORK/a.zip")
check "the package is larger than the socket buffers can hold (> 12 MB: $size)" test "$size" -gt 12000000
check_eq "second download: 200" 200 "$(as -o "$WORK/b.zip" -w '%{http_code}' "$URL")"
check "the two downloads are byte-identical" cmp "$WORK/a.zip" "$WORK/b.zip"
"$CLOUDFILM" film package "$FILM" --out "$WORK/cli.zip" --data "$WORK/data" "${CONFIG[@]}" >"$WORK/cli.out" 2>&1
check "cloudfilm film package writes the same bytes" cmp "$WORK/a.zip" "$WORK/cli.zip"
check_eq "and leaves no temporary file beside it" "cli.zip" "$(cd "$WORK" && ls cli.zip* | tr '\n' ' ' | sed 's/ $//')"

# --- The first bytes arrive while the package is still being produced.
packaged_before=$(grep -c 'film[.]packaged' "$WORK/server.log" || true)
mkdir -p "$WORK/slow"
python3 "$HERE/package_stream.py" 127.0.0.1 "$HTTP_PORT" "/api/films/$FILM/package" "$DOC" \
  "$WORK/slow.zip" "$WORK/slow" &
SLOW=$!
for ((i = 0; i < 600; i++)); do [[ -f $WORK/slow/paused ]] && break; sleep 0.05; done
check "the slow client got the status line and its first 64 KiB" grep -q "^HTTP/1.1 200" "$WORK/slow/paused"
sleep 1  # let the server fill the socket buffers and wait on them
check_eq "while it does not read, the server has not finished the package" "$packaged_before" \
  "$(grep -c 'film[.]packaged' "$WORK/server.log" || true)"
check_eq "and nothing of it is on disk under DATA/tmp" "" "$(find "$WORK/data/tmp" -type f)"
check_eq "nor anywhere in the data folder outside the catalog, blobs, journal and keys" "" \
  "$(find "$WORK/data" -type f -newer "$WORK/slow/paused" ! -path '*/blobs/*' ! -path '*/journal/*' \
      ! -path '*/keys/*' ! -name '*.sqlite*' ! -name '*-wal' ! -name '*-shm' | head -5)"
touch "$WORK/slow/go"
wait "$SLOW"
check_eq "reading on, the slow client gets the final chunk" complete "$(cat "$WORK/slow/done")"
check "and the same package" cmp "$WORK/a.zip" "$WORK/slow.zip"
check_eq "which the server logged as packaged once it ended" "$((packaged_before + 1))" \
  "$(grep -c 'film[.]packaged' "$WORK/server.log" || true)"
check "SIGTERM stops the server with exit 0" stop_server

# --- Offline checks.
check "cloudfilm verify accepts the streamed package" bash -c "'$CLOUDFILM' verify '$WORK/a.zip' >'$WORK/verify.out'"
mkdir -p "$WORK/unzipped"
(cd "$WORK/unzipped" && unzip -q "$WORK/a.zip")
check "dcmftest: the DICOMDIR is a DICOM file" bash -c "dcmftest '$WORK/unzipped/DICOMDIR' | grep -q '^yes:'"
dcmdump -q +P ReferencedFileID "$WORK/unzipped/DICOMDIR" |
  sed -n -E 's/^[^[]*\[(.*)\].*$/\1/p' | tr '\\' '/' | sort >"$WORK/referenced.txt"
unzip -Z1 "$WORK/a.zip" | grep '^DICOM/' | sort >"$WORK/dicom-members.txt"
check_eq "the DICOMDIR references 80 files" 80 "$(wc -l <"$WORK/referenced.txt")"
check "exactly the package's DICOM files" cmp "$WORK/referenced.txt" "$WORK/dicom-members.txt"
dcmdump -q +P DirectoryRecordType "$WORK/unzipped/DICOMDIR" | sed -n -E 's/^[^[]*\[(.*)\].*$/\1/p' >"$WORK/types.txt"
check_eq "records: 1 patient, 1 study, 2 series, 80 images" "1 1 2 80" \
  "$(for t in PATIENT STUDY SERIES IMAGE; do grep -cx "$t" "$WORK/types.txt"; done | tr '\n' ' ' | sed 's/ $//')"
python3 - "$WORK/a.zip" "$WORK/tampered.zip" <<'PY'
import sys, zipfile
src, dst = sys.argv[1:3]
with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
    for info in z.infolist():
        data = z.read(info.filename)
        if info.filename == "DICOM/S0002/I0007":
            data = data[:-1] + bytes([data[-1] ^ 1])
        out.writestr(info, data)
PY
set +e
"$CLOUDFILM" verify "$WORK/tampered.zip" >"$WORK/tampered.out" 2>&1
rc=$?
set -e
check_eq "a tampered DICOM file fails verification: exit 1" 1 "$rc"
check "naming the file" grep -q "DICOM/S0002/I0007" "$WORK/tampered.out"

# --- A failure after the first bytes: the connection is cut.
LAST_SOP=$(jq -r '.content.objects[-1].sop_uid' "$WORK/unzipped/manifest.json")
KEY=$("$CLOUDFILM" sql --data "$WORK/data" "SELECT blob_key FROM instances WHERE sop_uid = '$LAST_SOP'")
check "the last object's blob is found" test -f "$WORK/data/blobs/$KEY"
python3 - "$WORK/data/blobs/$KEY" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[len(data) // 2] ^= 0xFF
open(path, "wb").write(data)
PY
start_server "$WORK/data" "${CONFIG[@]}"
URL="$BASE/api/films/$FILM/package"
rc=0
as -D "$WORK/cut.hdr" -o "$WORK/cut.zip" "$URL" || rc=$?
check_eq "the download starts (200) and is cut: curl exit 18" "200 18" \
  "$(head -1 "$WORK/cut.hdr" | awk '{ print $2 }') $rc"
check "after more than the first megabyte" test "$(stat -c %s "$WORK/cut.zip")" -gt 1000000
check "what arrived is not a ZIP unzip accepts" bash -c "! unzip -tq '$WORK/cut.zip' >/dev/null 2>&1"
check "nor one cloudfilm verify accepts" bash -c "! '$CLOUDFILM' verify '$WORK/cut.zip' >/dev/null 2>&1"
check "the server logs the failed package" grep -q 'film[.]package_failed' "$WORK/server.log"
check "and the cut stream" grep -q 'http[.]stream_failed' "$WORK/server.log"
# The download was audited when it began; its cut is audited too, so the
# exam's access history does not show it as a complete download.
curl -s "$BASE/api/audit?study=$STUDY&limit=100" >"$WORK/audit.json"
check_eq "the cut download is a failure event of the film's route" 1 \
  "$(jq '[.events[] | select(.outcome == "failure" and .route == "/api/films/{film}/package" and (.detail | startswith("incomplete after ")))] | length' "$WORK/audit.json")"
check "after its success event, which stays" \
  jq -e '[.events[] | select(.outcome == "success" and .route == "/api/films/{film}/package")] | length >= 1' "$WORK/audit.json"
check "SIGTERM stops the server with exit 0" stop_server
finish
