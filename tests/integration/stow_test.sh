#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# STOW-RS (PS3.18 10.5) against the real server: multipart bodies built
# with Python's standard library and posted with curl, then a real client,
# Orthanc's DICOMweb plugin, storing to us. Checks the DICOM JSON answers,
# the status codes (200 202 409 400 415 413), that every stored object reads
# back byte-exact, that a refused request stores nothing, and that the
# server stays up.
source "$(dirname "$0")/lib.sh"

"$CLOUDFILM" synth "$WORK/synth" --seed 31 --patients 2 --studies 1 --series 2 --instances 3 \
  --modalities CT,MR --ct-size 64 >/dev/null
"$CLOUDFILM" synth "$WORK/extra" --seed 32 --patients 1 --studies 1 --series 1 --instances 3 \
  --modalities CT --ct-size 64 >/dev/null

# mp.py OUT [options] FILES...: writes a multipart/related body, prints its Content-Type.
cat >"$WORK/mp.py" <<'PY'
import argparse, os, shutil
p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("files", nargs="*")
p.add_argument("--boundary", default="cf-" + os.urandom(12).hex())
p.add_argument("--quote", action="store_true", help="quote the boundary parameter")
p.add_argument("--type", default="application/dicom", help="type parameter; empty: none")
p.add_argument("--part-type", action="append", default=[], help="Content-Type of part N (in order)")
p.add_argument("--preamble", action="store_true")
p.add_argument("--epilogue", action="store_true")
p.add_argument("--length", action="store_true", help="Content-Length part headers")
p.add_argument("--truncate", type=int, default=0, help="cut this many bytes off the end")
a = p.parse_intermixed_args()
b = a.boundary.encode()
with open(a.out, "wb") as out:
    if a.preamble:
        out.write(b"This preamble is ignored.\r\n")
    for i, name in enumerate(a.files):
        part_type = a.part_type[i] if i < len(a.part_type) else "application/dicom"
        out.write(b"--" + b + b"\r\nContent-Type: " + part_type.encode() + b"\r\n")
        if a.length:
            out.write(b"Content-Length: %d\r\n" % os.path.getsize(name))
        out.write(b"\r\n")
        with open(name, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
        out.write(b"\r\n")
    out.write(b"--" + b + b"--")
    if a.epilogue:
        out.write(b"\r\nThis epilogue is ignored too.\r\n")
if a.truncate:
    os.truncate(a.out, os.path.getsize(a.out) - a.truncate)
ct = "multipart/related"
if a.type:
    ct += '; type="%s"' % a.type
ct += "; boundary=" + ('"%s"' % a.boundary if a.quote else a.boundary)
print(ct)
PY
body() { python3 "$WORK/mp.py" "$@"; }

# post BODY CONTENT_TYPE [STUDY] [curl options...]: sets STATUS, the answer in $WORK/answer.json
post() {
  local file=$1 type=$2 study=${3:-}
  shift $(($# < 3 ? $# : 3))
  STATUS=$(curl -s -o "$WORK/answer.json" -w '%{http_code}' -X POST -T "$file" \
    -H "Content-Type: $type" -H "Accept: application/dicom+json" "$@" \
    "$BASE/dicom-web/studies${study:+/$study}")
}
answer_type() { curl -s -o /dev/null -w '%{content_type}' -X POST -T "$1" -H "Content-Type: $2" "$BASE/dicom-web/studies"; }
referenced() { jq '(."00081199".Value // []) | length' "$WORK/answer.json"; }
failed() { jq '(."00081198".Value // []) | length' "$WORK/answer.json"; }
failure_reasons() { jq -r '[(."00081198".Value // [])[]."00081197".Value[0]] | join(",")' "$WORK/answer.json"; }
warning_reasons() { jq -r '[(."00081199".Value // [])[] | ."00081196".Value[0] // empty] | join(",")' "$WORK/answer.json"; }
detail() { jq -r .detail "$WORK/answer.json"; }
# stored_exact FILE: one stored version of the file's SOP Instance UID has exactly its bytes.
stored_exact() {
  local f=$1 sop sum version
  sop=$(sop_of "$f"); sum=$(sha "$f")
  version=$(curl -sf "$BASE/api/instances/$sop" |
    jq -r --arg s "$sum" '[.versions[] | select(.sha256_hex == $s) | .version][0] // empty')
  [[ -n $version ]] || return 1
  api_file "$sop" "$WORK/back.dcm" "$version" && [[ $(sha "$WORK/back.dcm") == "$sum" ]]
}
# answered_exact FILES...: how many of the files are, byte for byte, a stored version of an
# instance that the last answer's ReferencedSOPSequence names, read back through the API.
# (Works for objects filed under a UID the archive derived, which the file does not hold.)
answered_exact() {
  local sop f sum line n=0
  jq -r '(."00081199".Value // [])[]."00081155".Value[0]' "$WORK/answer.json" | sort -u |
    while read -r sop; do
      curl -sf "$BASE/api/instances/$sop" | jq -r --arg s "$sop" '.versions[] | "\(.sha256_hex) \($s) \(.version)"'
    done >"$WORK/stored.txt"
  for f in "$@"; do
    sum=$(sha "$f")
    line=$(grep -m1 "^$sum " "$WORK/stored.txt") || continue
    read -r _ sop version <<<"$line"
    api_file "$sop" "$WORK/back.dcm" "$version" && [[ $(sha "$WORK/back.dcm") == "$sum" ]] && n=$((n + 1))
  done
  echo "$n"
}

mapfile -t ALL < <(find "$WORK/synth" -name '*.dcm' | sort)
STUDY_A=$(dicom_value "${ALL[0]}" 0020,000d)
A=(); B=()
for f in "${ALL[@]}"; do
  if [[ $(dicom_value "$f" 0020,000d) == "$STUDY_A" ]]; then A+=("$f"); else B+=("$f"); fi
done
STUDY_B=$(dicom_value "${B[0]}" 0020,000d)
check_eq "synth wrote two studies of 6 objects" "6 6" "${#A[@]} ${#B[@]}"
mapfile -t EXTRA < <(find "$WORK/extra" -name '*.dcm' | sort)

start_server "$WORK/data"
check "the spool folder is created under the data folder" test -d "$WORK/data/tmp/http"

# --- 200: a whole study, quoted boundary, preamble, epilogue, Content-Length ---
ct=$(body "$WORK/a.mp" --quote --preamble --epilogue --length "${A[@]}")
post "$WORK/a.mp" "$ct"
check_eq "study A: 200" 200 "$STATUS"
check_eq "study A: 6 items in ReferencedSOPSequence" 6 "$(referenced)"
check_eq "study A: no FailedSOPSequence" 0 "$(failed)"
check_eq "study A: RetrieveURL of the study" "$BASE/dicom-web/studies/$STUDY_A" \
  "$(jq -r '."00081190".Value[0]' "$WORK/answer.json")"
sop=$(sop_of "${A[0]}"); series=$(dicom_value "${A[0]}" 0020,000e)
check_eq "each item has its SOP Class, SOP Instance and RetrieveURL" \
  "$(dicom_value "${A[0]}" 0008,0016) $BASE/dicom-web/studies/$STUDY_A/series/$series/instances/$sop" \
  "$(jq -r --arg s "$sop" '."00081199".Value[] | select(."00081155".Value[0] == $s) |
      "\(."00081150".Value[0]) \(."00081190".Value[0])"' "$WORK/answer.json")"
check_eq "the answer is application/dicom+json" "application/dicom+json" "$(answer_type "$WORK/a.mp" "$ct")"
check_eq "6 instances stored" 6 "$(count_instances)"
bad=0
for f in "${A[@]}"; do stored_exact "$f" || bad=$((bad + 1)); done
check_eq "study A reads back byte-exact (SHA-256)" 0 "$bad"

# --- 200 on /studies/{study}: unquoted boundary, no type parameter ---
ct=$(body "$WORK/b.mp" --type "" "${B[@]}")
post "$WORK/b.mp" "$ct" "$STUDY_B"
check_eq "study B to /studies/{B}: 200" 200 "$STATUS"
check_eq "study B: 6 referenced" 6 "$(referenced)"
check_eq "study B: RetrieveURL of the study" "$BASE/dicom-web/studies/$STUDY_B" \
  "$(jq -r '."00081190".Value[0]' "$WORK/answer.json")"
bad=0
for f in "${B[@]}"; do stored_exact "$f" || bad=$((bad + 1)); done
check_eq "study B reads back byte-exact" 0 "$bad"
post "$WORK/b.mp" "$ct" "$STUDY_B"
check_eq "the same request again: 200 (idempotent)" "200 6" "$STATUS $(referenced)"
check_eq "nothing added by the repeat" 12 "$(count_instances)"

# --- 202: one new version (warning B000), one new object, one non-DICOM part ---
cp "${A[0]}" "$WORK/changed.dcm"
dcmodify -nb -m "StudyDescription=changed by the test" "$WORK/changed.dcm"
printf 'this is not DICOM at all' >"$WORK/garbage.dcm"
ct=$(body "$WORK/mixed.mp" "$WORK/changed.dcm" "${EXTRA[0]}" "$WORK/garbage.dcm")
post "$WORK/mixed.mp" "$ct"
check_eq "mixed: 202" 202 "$STATUS"
check_eq "mixed: 2 referenced, 1 failed" "2 1" "$(referenced) $(failed)"
check_eq "mixed: the new version has Warning Reason B000" "$((0xB000))" "$(warning_reasons)"
check_eq "mixed: the non-DICOM part has Failure Reason C000" "$((0xC000))" "$(failure_reasons)"
check "the new version reads back byte-exact" stored_exact "$WORK/changed.dcm"
check "the new object reads back byte-exact" stored_exact "${EXTRA[0]}"
check_eq "13 instances, 14 versions" "13 14" \
  "$(curl -sf "$BASE/api/system" | jq -r '"\(.instances) \(.instance_versions)"')"

# --- 409: every part refused ---
ct=$(body "$WORK/wrong-study.mp" "${B[0]}" "${EXTRA[1]}")
post "$WORK/wrong-study.mp" "$ct" "$STUDY_A"
check_eq "objects of other studies to /studies/{A}: 409" 409 "$STATUS"
check_eq "both failed with A900, none referenced" "$((0xA900)),$((0xA900)) 0" "$(failure_reasons) $(referenced)"
check_eq "the failed items name their SOP Instance" "$(sop_of "${B[0]}")" \
  "$(jq -r '."00081198".Value[0]."00081155".Value[0]' "$WORK/answer.json")"
ct=$(body "$WORK/garbage.mp" "$WORK/garbage.dcm")
post "$WORK/garbage.mp" "$ct"
check_eq "only a non-DICOM part: 409 with C000" "409 $((0xC000))" "$STATUS $(failure_reasons)"
check_eq "nothing stored by the refused parts" 13 "$(count_instances)"

# --- 400 and 415: the request is refused whole; a valid first part is not stored ---
refused() {  # refused DESCRIPTION STATUS DETAIL_FRAGMENT BODY CONTENT_TYPE [STUDY]
  post "$4" "$5" "${6:-}"
  check_eq "$1: $2" "$2" "$STATUS"
  check "$1: problem JSON names it" grep -qi -- "$3" <<<"$(detail)"
  check_eq "$1: nothing stored" 13 "$(count_instances)"
}
ct=$(body "$WORK/valid.mp" "${EXTRA[1]}")
refused "missing boundary" 400 "no boundary parameter" "$WORK/valid.mp" 'multipart/related; type="application/dicom"'
refused "not multipart" 400 "not multipart/related" "${EXTRA[1]}" "application/dicom"
refused "no Content-Type" 400 "no Content-Type" "$WORK/valid.mp" ""
printf -- '--b--\r\n' >"$WORK/empty.mp"
refused "no parts" 400 "no parts" "$WORK/empty.mp" 'multipart/related; type="application/dicom"; boundary=b'
ct=$(body "$WORK/truncated.mp" --truncate 100 "${EXTRA[1]}" "$WORK/garbage.dcm")
refused "truncated body" 400 "truncated" "$WORK/truncated.mp" "$ct"
ct=$(body "$WORK/wrong-boundary.mp" --boundary real "${EXTRA[1]}")
refused "boundary parameter not in the body" 400 "no boundary line" "$WORK/wrong-boundary.mp" \
  'multipart/related; type="application/dicom"; boundary=other'
ct=$(body "$WORK/json.mp" --type "application/dicom+json" "${EXTRA[1]}")
refused "metadata and bulk data STOW" 415 "metadata and bulk data" "$WORK/json.mp" "$ct"
ct=$(body "$WORK/octet.mp" --part-type application/dicom --part-type application/octet-stream \
  "${EXTRA[1]}" "${EXTRA[1]}")
refused "a part that is not application/dicom" 415 "part 2: media type 'application/octet-stream'" \
  "$WORK/octet.mp" "$ct"
check "the server is still up" server_alive

# --- chunked upload (no Content-Length), as Orthanc sends ---
ct=$(body "$WORK/extra.mp" "${EXTRA[1]}")
post "$WORK/extra.mp" "$ct" "" -H "Transfer-Encoding: chunked"
check_eq "chunked upload: 200" "200 1" "$STATUS $(referenced)"
check "it reads back byte-exact" stored_exact "${EXTRA[1]}"
check_eq "the spool folder is empty after the requests" "" "$(ls -A "$WORK/data/tmp/http")"

# --- real files (../shared/testdata), all in one request ---
if [[ -n ${CF_TESTDATA:-} && -f $CF_TESTDATA/MANIFEST.tsv ]]; then
  mapfile -t REAL < <(testdata_objects | sed "s|^|$CF_TESTDATA/|")
  ct=$(body "$WORK/real.mp" "${REAL[@]}")
  post "$WORK/real.mp" "$ct"
  check "real files ($(du -h "$WORK/real.mp" | cut -f1)): 200 or 202" grep -qE '^20[02]$' <<<"$STATUS"
  check_eq "every real file is referenced or failed" "${#REAL[@]}" "$(($(referenced) + $(failed)))"
  echo "  $(failed) of ${#REAL[@]} real files refused, Failure Reasons: $(failure_reasons)"
  check_eq "every referenced real file reads back byte-exact" "$(referenced)" "$(answered_exact "${REAL[@]}")"
  mapfile -t MALFORMED < <(awk -F'\t' 'NR > 1 && $1 ~ /^malformed\// { print $1 }' "$CF_TESTDATA/MANIFEST.tsv" |
    sed "s|^|$CF_TESTDATA/|")
  ct=$(body "$WORK/malformed.mp" "${MALFORMED[@]}")
  post "$WORK/malformed.mp" "$ct"
  check "malformed files: an answer for each part (${#MALFORMED[@]})" \
    test "$(($(referenced) + $(failed)))" -eq "${#MALFORMED[@]}"
  check "the server is still up after the malformed files" server_alive
else
  echo "SKIPPED (visible): real files, CF_TESTDATA not present"
fi

# --- a real client: Orthanc's DICOMweb plugin (STOW-RS client) ---
plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
if command -v Orthanc >/dev/null && [[ -f $plugin ]]; then
  O_HTTP=$(free_port); O_DICOM=$(free_port)
  mkdir -p "$WORK/orthanc"
  cat >"$WORK/orthanc.json" <<JSON
{
  "Name": "cloudfilm-stow-it", "StorageDirectory": "$WORK/orthanc", "IndexDirectory": "$WORK/orthanc",
  "HttpPort": $O_HTTP, "DicomPort": $O_DICOM, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "Plugins": [ "$plugin" ],
  "DicomWeb": { "Enable": true, "Servers": { "cloudfilm": {
    "Url": "$BASE/dicom-web/", "HttpHeaders": { "Authorization": "Bearer $CF_TOKEN" } } } }
}
JSON
  Orthanc "$WORK/orthanc.json" >"$WORK/orthanc.log" 2>&1 &
  ORTHANC_PID=$!
  OB=http://127.0.0.1:$O_HTTP
  for ((i = 0; i < 500; i++)); do curl -q -sf "$OB/system" >/dev/null 2>&1 && break; sleep 0.05; done
  check "Orthanc with the DICOMweb plugin is up" curl -q -sf "$OB/dicom-web/servers" -o /dev/null

  "$CLOUDFILM" synth "$WORK/orthanc-synth" --seed 33 --patients 2 --studies 1 --series 2 \
    --instances 4 --modalities CT,MR --ct-size 96 >/dev/null
  mapfile -t OFILES < <(find "$WORK/orthanc-synth" -name '*.dcm' | sort)
  if [[ -n ${CF_TESTDATA:-} && -d $CF_TESTDATA/modalities ]]; then
    mapfile -t -O "${#OFILES[@]}" OFILES < <(awk -F'\t' 'NR > 1 && $1 ~ /^modalities\// && $8 != "n/a" { print $1 }' \
      "$CF_TESTDATA/MANIFEST.tsv" | sed "s|^|$CF_TESTDATA/|")
  fi
  ids=()
  for f in "${OFILES[@]}"; do
    id=$(curl -q -sf -X POST --data-binary @"$f" "$OB/instances" | jq -r '.ID // empty') || true
    [[ -n $id ]] && ids+=("$id")
  done
  before=$(count_instances)
  echo "  Orthanc holds ${#ids[@]} of ${#OFILES[@]} files"
  request=$(printf '%s\n' "${ids[@]}" | jq -R . | jq -s '{Resources: .}')
  # Plugin 1.7 (Debian 12) answers when the upload is done; later versions may start a job.
  code=$(curl -q -s -o "$WORK/orthanc-stow.json" -w '%{http_code}' -X POST \
    "$OB/dicom-web/servers/cloudfilm/stow" -d "$request")
  job=$(jq -r '.ID // empty' "$WORK/orthanc-stow.json" 2>/dev/null || true)
  if [[ -n $job ]]; then
    for ((i = 0; i < 600; i++)); do
      state=$(curl -q -sf "$OB/jobs/$job" | jq -r .State)
      [[ $state == Success || $state == Failure ]] && break
      sleep 0.1
    done
    [[ $state == Success ]] && code=200
  fi
  check_eq "Orthanc's STOW-RS client stores all ${#ids[@]} instances to us" 200 "$code"
  [[ $code == 200 ]] || { cat "$WORK/orthanc-stow.json"; tail -5 "$WORK/orthanc.log"; }
  bad=0; new=0
  for id in "${ids[@]}"; do
    curl -q -sf "$OB/instances/$id/file" -o "$WORK/orthanc.dcm"
    stored_exact "$WORK/orthanc.dcm" || { bad=$((bad + 1)); echo "  differs or missing: Orthanc instance $id"; }
  done
  check_eq "every instance Orthanc sent reads back byte-exact" 0 "$bad"
  check "we hold more instances than before" test "$(count_instances)" -gt "$before"
else
  echo "SKIPPED (visible): Orthanc or its DICOMweb plugin is not installed"
fi
check "the server is still up" server_alive

# --- upload memory: kept for the next body, given back once uploads stop ---
rss_anon_kib() { awk '$1 == "RssAnon:" { print $2 }' "/proc/$SERVER_PID/status"; }
head -c 30000000 /dev/urandom >"$WORK/filler.bin"
ct=$(body "$WORK/held.mp" "${EXTRA[0]}" "$WORK/filler.bin")
sleep 3  # whatever earlier uploads left is given back
idle_kib=$(rss_anon_kib)
post "$WORK/held.mp" "$ct"
held_kib=$(rss_anon_kib)
check_eq "a 30 MB body with a non-DICOM part: 202 (its object was stored before)" 202 "$STATUS"
check "its memory is kept for the next upload: +$(((held_kib - idle_kib) / 1024)) MiB" \
  test $((held_kib - idle_kib)) -ge 25000
given_back=
for ((i = 0; i < 50; i++)); do
  (($(rss_anon_kib) - idle_kib < 8000)) && { given_back=yes; break; }
  sleep 0.1
done
check "and given back within 5 s of the last upload ($(((held_kib - $(rss_anon_kib)) / 1024)) MiB)" \
  test -n "$given_back"
check "SIGTERM stops the server with exit 0" stop_server

# --- size limit: a small max_upload_bytes, then bigger uploads ---
printf '[http]\nmax_upload_bytes = 1048576\n' >"$WORK/small.toml"
start_server "$WORK/data" --config "$WORK/small.toml"
before=$(count_instances)
head -c 3000000 /dev/urandom >"$WORK/big.bin"
ct=$(body "$WORK/big.mp" "${EXTRA[2]}" "$WORK/big.bin")
post "$WORK/big.mp" "$ct"
check_eq "an upload over max_upload_bytes (Content-Length): 413" 413 "$STATUS"
check "413 is problem JSON naming the limit" grep -q "max_upload_bytes" <<<"$(detail)"
post "$WORK/big.mp" "$ct" "" -H "Transfer-Encoding: chunked"
check_eq "an upload over max_upload_bytes (chunked): 413" 413 "$STATUS"
check_eq "nothing stored by the oversized uploads" "$before" "$(count_instances)"
check "not even their valid first part" bash -c "! curl -sf '$BASE/api/instances/$(sop_of "${EXTRA[2]}")' >/dev/null"
check "the server is still up after 413s" server_alive
check_eq "the spool folder is empty" "" "$(ls -A "$WORK/data/tmp/http")"
check "SIGTERM stops the server with exit 0" stop_server
finish
