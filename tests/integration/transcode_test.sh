#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Storage compression and transcoding through the real binary: imported
# images are kept in their compressed stored form yet read back byte-exact;
# /api/instances/{uid}/file?transfer-syntax= converts losslessly, refuses
# lossy output unless asked, and every codec sample of the shared test data
# converts to explicit little endian.
source "$(dirname "$0")/lib.sh"

# Pixel data of a file as native bytes: decompressed by DCMTK's own tools
# in a separate process, then the raw value dumped.
pixels_sha() {  # pixels_sha FILE
  local dir; dir=$(mktemp -d "$WORK/px.XXXX")
  case $(ts_of "$1") in
    1.2.840.10008.1.2.4.80|1.2.840.10008.1.2.4.81) dcmdjpls "$1" "$dir/n.dcm" ;;
    1.2.840.10008.1.2.5) dcmdrle "$1" "$dir/n.dcm" ;;
    1.2.840.10008.1.2.4.5*|1.2.840.10008.1.2.4.70) dcmdjpeg "$1" "$dir/n.dcm" ;;
    *) dcmconv +te "$1" "$dir/n.dcm" ;;
  esac
  dcmdump -q +W "$dir" "$dir/n.dcm" >/dev/null
  sha "$(ls -S "$dir"/*.raw | head -1)"
}

"$CLOUDFILM" synth "$WORK/synth" --seed 3 --patients 1 --studies 3 --series 1 --instances 3 \
  --modalities CT,MR,US --ct-size 256 --us-frames 4 >/dev/null
rc=0; "$CLOUDFILM" import --data "$WORK/data" --quiet "$WORK/synth"/*/ >"$WORK/import.out" || rc=$?
check_eq "import exits 0" 0 "$rc"

count_stored_forms() {  # count_stored_forms DATA_DIR
  # Blobs are sealed on disk (encryption at rest), so their first bytes no
  # longer tell: the catalog marks a blob's stored form (2) once it is written.
  "$CLOUDFILM" sql --data "$1" 'SELECT count(*) FROM instances WHERE stored_form = 2'
}

# An import files objects as received, so that it ends promptly; the
# stored form comes from `cloudfilm compact` or a server's idle compactor.
check_eq "an import stores objects as received" 0 "$(count_stored_forms "$WORK/data")"
cp -a "$WORK/data" "$WORK/data2"
out=$("$CLOUDFILM" compact --data "$WORK/data")
check_eq "compact compresses every synthetic image" "compressed: 9" "$(grep '^compressed:' <<<"$out")"
check_eq "and leaves one blob per object" 9 "$(find "$WORK/data/blobs" -type f | wc -l)"
check_eq "every blob is now in its compressed stored form" 9 "$(count_stored_forms "$WORK/data")"
check_eq "a second compact finds nothing to do" "examined: 0" "$("$CLOUDFILM" compact --data "$WORK/data" | grep '^examined:')"

stats=$("$CLOUDFILM" stats --data "$WORK/data" --json)
check_eq "stats counts the objects" 9 "$(jq .instance_versions <<<"$stats")"
check "stats: stored at least 2x smaller overall" test "$(jq '.ratio >= 2' <<<"$stats")" = true
check_eq "stats: one row per modality" "CT MR US" "$(jq -r '[.by_modality[].modality] | sort | join(" ")' <<<"$stats")"
check "stats: CT at least 3x smaller" test "$(jq '.by_modality[] | select(.modality == "CT") | .ratio >= 3' <<<"$stats")" = true
check "stats as a table names the modalities" grep -q "^CT " <("$CLOUDFILM" stats --data "$WORK/data")

start_server "$WORK/data"
sys=$(curl -sf "$BASE/api/system")
check_eq "/api/system reports per modality" 3 "$(jq '.storage.by_modality | length' <<<"$sys")"
check "/api/system reports the overall ratio" test "$(jq '.storage.ratio >= 2' <<<"$sys")" = true
check "stored bytes are under half the received bytes" \
  test "$(jq '.bytes_stored * 2 < .bytes_received' <<<"$sys")" = true
check_eq "compression is reported on" true "$(jq .storage.compression <<<"$sys")"

bad=0
while read -r rel sop; do
  api_file "$sop" "$WORK/back.dcm" || { bad=$((bad + 1)); continue; }
  [[ $(sha "$WORK/back.dcm") == "$(sha "$WORK/synth/$rel")" ]] || bad=$((bad + 1))
done < <(awk -F'\t' 'NR > 1 { print $1, $7 }' "$WORK/synth/manifest.tsv")
check_eq "every object reads back byte-exact from its stored form" 0 "$bad"

ct_rel=$(awk -F'\t' 'NR > 1 && $9 == "CT" { print $1; exit }' "$WORK/synth/manifest.tsv")
ct_sop=$(awk -F'\t' 'NR > 1 && $9 == "CT" { print $7; exit }' "$WORK/synth/manifest.tsv")
us_sop=$(awk -F'\t' 'NR > 1 && $9 == "US" { print $7; exit }' "$WORK/synth/manifest.tsv")
ref_sha=$(pixels_sha "$WORK/synth/$ct_rel")
for ts in 1.2.840.10008.1.2.4.80 1.2.840.10008.1.2.5 1.2.840.10008.1.2.4.70 1.2.840.10008.1.2; do
  code=$(curl -s -o "$WORK/t.dcm" -w '%{http_code}' "$BASE/api/instances/$ct_sop/file?transfer-syntax=$ts")
  check_eq "CT as $ts: 200" 200 "$code"
  check_eq "CT as $ts: the file says $ts" "$ts" "$(ts_of "$WORK/t.dcm")"
  check_eq "CT as $ts: DCMTK decodes the same pixels" "$ref_sha" "$(pixels_sha "$WORK/t.dcm")"
done
etag_raw=$(curl -sI "$BASE/api/instances/$ct_sop/file" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" { print $2 }')
etag_ls=$(curl -sI "$BASE/api/instances/$ct_sop/file?transfer-syntax=1.2.840.10008.1.2.4.80" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" { print $2 }')
check "a conversion has its own ETag" test "$etag_raw" != "$etag_ls"

code=$(curl -s -o "$WORK/p.json" -w '%{http_code}' "$BASE/api/instances/$us_sop/file?transfer-syntax=1.2.840.10008.1.2.4.50")
check_eq "lossy output without consent is 406" 406 "$code"
check "the problem says why" grep -q "explicit request" "$WORK/p.json"
code=$(curl -s -o "$WORK/t.dcm" -w '%{http_code}' "$BASE/api/instances/$us_sop/file?transfer-syntax=1.2.840.10008.1.2.4.50&lossy=true")
check_eq "lossy output with consent is 200" 200 "$code"
check_eq "and is JPEG baseline" 1.2.840.10008.1.2.4.50 "$(ts_of "$WORK/t.dcm")"
code=$(curl -s -o "$WORK/p.json" -w '%{http_code}' "$BASE/api/instances/$ct_sop/file?transfer-syntax=1.2.3.4")
check_eq "an unknown transfer syntax is 406" 406 "$code"
check_eq "as problem JSON" 406 "$(jq .status "$WORK/p.json")"
check "the server stops cleanly" stop_server

# A server compacts what an import left as received, on its own (here
# at once: --compress-after 0; by default objects wait a day, see below).
start_server "$WORK/data2" --compress-after 0
ratio=0
for _ in $(seq 1 120); do
  ratio=$(curl -sf "$BASE/api/system" | jq .storage.ratio)
  [[ $(jq ". >= 2" <<<"$ratio") == true ]] && break
  sleep 0.5
done
check "the server's idle compactor compresses imported objects (ratio $ratio)" test "$(jq ". >= 2" <<<"$ratio")" = true
bad=0
while read -r rel sop; do
  api_file "$sop" "$WORK/back.dcm" || { bad=$((bad + 1)); continue; }
  [[ $(sha "$WORK/back.dcm") == "$(sha "$WORK/synth/$rel")" ]] || bad=$((bad + 1))
done < <(awk -F'\t' 'NR > 1 { print $1, $7 }' "$WORK/synth/manifest.tsv")
check_eq "and every object still reads back byte-exact" 0 "$bad"
check "the server stops cleanly" stop_server
check "fsck is clean after compaction" "$CLOUDFILM" fsck --data "$WORK/data2"

# Objects a server receives stay as received for storage.compress_after
# (default 24h: recent exams are read most, and raw reads need no
# decoding), then the idle compactor compresses them.
start_server "$WORK/data3"
storescu -xe 127.0.0.1 "$DICOM_PORT" -aec CLOUDFILM +sd +r "$WORK/synth" >/dev/null 2>&1 || true
check_eq "C-STORE stores every object" 9 "$(count_instances)"
sleep 1  # the materializer files blobs right after the acknowledgement
check_eq "by default new objects stay as received" 0 "$(count_stored_forms "$WORK/data3")"
check "config show prints the default" grep -q "compress_after = .24h." \
  <("$CLOUDFILM" config show --data "$WORK/data3")
check "the server stops cleanly" stop_server
start_server "$WORK/data3" --compress-after 1s
n=0
for _ in $(seq 1 120); do
  n=$(count_stored_forms "$WORK/data3"); [[ $n == 9 ]] && break; sleep 0.5
done
check_eq "once older than compress_after they are compressed" 9 "$n"
bad=0
while read -r rel sop; do
  api_file "$sop" "$WORK/back.dcm" || { bad=$((bad + 1)); continue; }
  # C-STORE carries the data set only: compare that.
  [[ $(dataset_sha "$WORK/back.dcm") == "$(dataset_sha "$WORK/synth/$rel")" ]] || bad=$((bad + 1))
done < <(awk -F'\t' 'NR > 1 { print $1, $7 }' "$WORK/synth/manifest.tsv")
check_eq "and every data set still reads back byte-exact" 0 "$bad"
check "the server stops cleanly" stop_server
check_eq "a malformed compress_after is refused" 2 \
  "$(rc=0; "$CLOUDFILM" config show --compress-after 3weeks >/dev/null 2>&1 || rc=$?; echo $rc)"

if [[ -n ${CF_TESTDATA:-} && -f $CF_TESTDATA/MANIFEST.tsv ]]; then
  rc=0; "$CLOUDFILM" import --data "$WORK/codecs" --quiet "$CF_TESTDATA/codecs" >/dev/null || rc=$?
  check_eq "the codec samples import" 0 "$rc"
  start_server "$WORK/codecs"
  failed=0; n=0
  for f in $(find "$CF_TESTDATA/codecs" -name '*.dcm'); do
    sop=$(sop_of "$f")
    [[ -z $sop ]] && continue
    n=$((n + 1))
    code=$(curl -s -o "$WORK/t.dcm" -w '%{http_code}' "$BASE/api/instances/$sop/file?transfer-syntax=1.2.840.10008.1.2.1")
    if [[ $code != 200 || $(ts_of "$WORK/t.dcm") != 1.2.840.10008.1.2.1 ]]; then
      echo "  cannot convert ${f#"$CF_TESTDATA"/}: HTTP $code"; failed=$((failed + 1))
    fi
  done
  check "codec samples were tried" test "$n" -ge 20
  check_eq "every codec sample converts to explicit little endian" 0 "$failed"
  check "the server stops cleanly" stop_server
else
  echo "SKIPPED (visible): ../shared/testdata is absent, codec samples not converted"
fi
finish
