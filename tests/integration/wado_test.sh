#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# WADO-RS and WADO-URI through the real binary, with curl and a multipart
# parser in Python: studies, series and instances come back byte-exact as
# stored (transfer-syntax=*) or converted (the explicit little endian
# default, a q-value fallback), metadata is DICOM JSON with UTF-8 names and
# BulkDataURIs that resolve, frames are the native pixel bytes, errors are
# problem JSON; then a real client, Orthanc's DICOMweb plugin, pulls a
# study from us.
source "$(dirname "$0")/lib.sh"

EXPLICIT_LE=1.2.840.10008.1.2.1

"$CLOUDFILM" synth "$WORK/synth" --seed 8 --patients 1 --studies 2 --series 2 --instances 2 \
  --modalities CT,US --ct-size 64 --us-frames 3 --charset gb18030 >/dev/null
MANIFEST=$WORK/synth/manifest.tsv
col() {  # col N [MODALITY]: column N of the first manifest row (of that modality)
  awk -F'\t' -v n="$1" -v m="${2:-}" 'NR > 1 && (m == "" || $9 == m) { print $n; exit }' "$MANIFEST"
}
CT_STUDY=$(col 5 CT); CT_SERIES=$(col 6 CT); CT_SOP=$(col 7 CT); CT_REL=$(col 1 CT)
US_STUDY=$(col 5 US); US_SERIES=$(col 6 US); US_SOP=$(col 7 US); US_REL=$(col 1 US)
OTHER_SERIES=$(awk -F'\t' -v s="$CT_STUDY" 'NR > 1 && $5 != s { print $6; exit }' "$MANIFEST")
n_study=$(awk -F'\t' -v s="$CT_STUDY" 'NR > 1 && $5 == s' "$MANIFEST" | wc -l)

# A compressed real file, if the shared test data is there.
REAL=
if [[ -n ${CF_TESTDATA:-} && -f $CF_TESTDATA/codecs/mr_small_jpegls-lossless.dcm ]]; then
  REAL=$CF_TESTDATA/codecs/mr_small_jpegls-lossless.dcm
fi
rc=0; "$CLOUDFILM" import --data "$WORK/data" --quiet "$WORK/synth"/*/ ${REAL:+"$REAL"} >/dev/null || rc=$?
check_eq "import exits 0" 0 "$rc"
start_server "$WORK/data"
W=$BASE/dicom-web

problem_status() { jq -r .status "$WORK/$1.body" 2>/dev/null; }
native_pixels() {  # native_pixels FILE OUT: the pixel data value, decompressed by DCMTK's tools
  local dir; dir=$(mktemp -d "$WORK/px.XXXX")
  case $(ts_of "$1") in  # (DCMTK's warnings about the samples are not ours to show)
    1.2.840.10008.1.2.4.80|1.2.840.10008.1.2.4.81) dcmdjpls "$1" "$dir/n.dcm" 2>/dev/null ;;
    1.2.840.10008.1.2.5) dcmdrle "$1" "$dir/n.dcm" 2>/dev/null ;;
    *) dcmconv +te "$1" "$dir/n.dcm" 2>/dev/null ;;
  esac
  dcmdump -q +W "$dir" "$dir/n.dcm" >/dev/null 2>&1
  cp "$(ls -S "$dir"/*.raw | head -1)" "$2"
}
STAR='multipart/related; type="application/dicom"; transfer-syntax=*'

# --- Retrieve as stored -------------------------------------------------------
code=$(get study "$W/studies/$CT_STUDY" -H "Accept: $STAR")
check_eq "retrieve study: 200" 200 "$code"
check "retrieve study: multipart/related; type=application/dicom" \
  grep -q '^multipart/related; type="application/dicom"; boundary=' <<<"$(header study Content-Type)"
check_eq "retrieve study: streamed (chunked)" chunked "$(header study Transfer-Encoding)"
check "retrieve study: the parts split" split_parts study
check_eq "retrieve study: one part per instance" "$n_study" "$(wc -l <"$WORK/study.parts")"
expected=$(awk -F'\t' -v s="$CT_STUDY" 'NR > 1 && $5 == s { print $1 }' "$MANIFEST" |
  while read -r rel; do sha "$WORK/synth/$rel"; done | sort)
check_eq "retrieve study: every part is the imported file (SHA-256)" "$expected" \
  "$(awk '{ print $2 }' "$WORK/study.parts" | sort)"
check_eq "retrieve study: parts say their transfer syntax" "$n_study" \
  "$(grep -c "application/dicom;transfer-syntax=$EXPLICIT_LE\$" "$WORK/study.parts")"

code=$(get series "$W/studies/$CT_STUDY/series/$CT_SERIES" -H "Accept: $STAR")
split_parts series
check_eq "retrieve series: 200 with its 2 instances" "200 2" "$code $(wc -l <"$WORK/series.parts")"
code=$(get inst "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$CT_SOP" -H "Accept: $STAR")
split_parts inst
check_eq "retrieve instance: the exact file" "200 $(sha "$WORK/synth/$CT_REL")" \
  "$code $(awk '{ print $2 }' "$WORK/inst.parts")"
code=$(get head "$W/studies/$CT_STUDY" -I -H "Accept: $STAR")  # curl -I writes only the header
check_eq "HEAD of a study: 200, no body" "200 0" "$code $(grep -ac DICM "$WORK/head.body")"

# --- Transfer syntax negotiation ----------------------------------------------
code=$(get ls "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$CT_SOP" \
  -H 'Accept: multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.80')
split_parts ls
part=$(awk 'NR == 1 { print $1 }' "$WORK/ls.parts")
check_eq "JPEG-LS asked: 200, part typed JPEG-LS" \
  "200 application/dicom;transfer-syntax=1.2.840.10008.1.2.4.80" "$code $(awk '{ print $3 }' "$WORK/ls.parts")"
check_eq "JPEG-LS asked: the object is JPEG-LS" 1.2.840.10008.1.2.4.80 "$(ts_of "$part")"
native_pixels "$WORK/synth/$CT_REL" "$WORK/ct.raw"
native_pixels "$part" "$WORK/ls.raw"
check_eq "JPEG-LS asked: DCMTK decodes the same pixels" "$(sha "$WORK/ct.raw")" "$(sha "$WORK/ls.raw")"

# HTJ2K, which DCMTK 3.6.7 cannot write: assembled by us, decoded by OpenJPEG.
code=$(get hj "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$CT_SOP" \
  -H 'Accept: multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.201')
split_parts hj
part=$(awk 'NR == 1 { print $1 }' "$WORK/hj.parts")
check_eq "HTJ2K asked: 200, the object is HTJ2K lossless" "200 1.2.840.10008.1.2.4.201" "$code $(ts_of "$part")"
python3 - "$part" "$WORK/hj.j2c" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
at = data.index(b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff") + 12
def item(at):
    tag, length = struct.unpack_from("<II", data, at)
    return tag, length, at + 8
tag, length, at = item(at)            # Basic Offset Table
at += length
tag, length, at = item(at)            # the first frame's fragment
open(sys.argv[2], "wb").write(data[at:at + length])
PY
opj_decompress -i "$WORK/hj.j2c" -o "$WORK/hj.rawl" >/dev/null 2>&1 || true
code=$(get hjus "$W/studies/$US_STUDY" -H 'Accept: multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.201, multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1; q=0.5')
split_parts hjus
check_eq "HTJ2K of colour images: every part in HTJ2K lossless" \
  "200 application/dicom;transfer-syntax=1.2.840.10008.1.2.4.201" "$code $(awk '{ print $3 }' "$WORK/hjus.parts" | sort -u)"
check_eq "RGB coded with the reversible colour transform: YBR_RCT" "YBR_RCT" \
  "$(dicom_value "$(awk 'NR == 1 { print $1 }' "$WORK/hjus.parts")" PhotometricInterpretation)"
bits=$(dcmdump -q +P 0028,0101 "$WORK/synth/$CT_REL" | sed -E 's/.*US ([0-9]+).*/\1/')
check_eq "HTJ2K asked: OpenJPEG decodes the same samples" "same" "$(python3 - "$WORK/ct.raw" "$WORK/hj.rawl" "$bits" <<'PY'
import struct, sys
a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read(); mask = (1 << int(sys.argv[3])) - 1
n = len(a) // 2
if len(b) < 2 * n: print("short"); sys.exit()
x = struct.unpack(f"<{n}H", a); y = struct.unpack(f"<{n}H", b[:2 * n])
print("same" if all((p & mask) == (q & mask) for p, q in zip(x, y)) else "differ")
PY
)"

code=$(get q "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$CT_SOP" -H \
  'Accept: multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50, multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.5; q=0.5')
split_parts q
check_eq "lossy first choice refused, q=0.5 RLE served" \
  "200 application/dicom;transfer-syntax=1.2.840.10008.1.2.5" "$code $(awk '{ print $3 }' "$WORK/q.parts")"

code=$(get lossy "$W/studies/$CT_STUDY" \
  -H 'Accept: multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50')
check_eq "only a lossy transfer syntax accepted: 406 problem" "406 406 application/problem+json" \
  "$code $(problem_status lossy) $(header lossy Content-Type)"
code=$(get json406 "$W/studies/$CT_STUDY" -H 'Accept: application/dicom+json')
check_eq "retrieve with Accept: application/dicom+json: 406" "406 406" "$code $(problem_status json406)"
code=$(get single "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$CT_SOP" \
  -H 'Accept: application/dicom; transfer-syntax=*')
check_eq "Accept: application/dicom on an instance: the bare object" \
  "200 $(sha "$WORK/synth/$CT_REL")" "$code $(sha "$WORK/single.body")"

if [[ -n $REAL ]]; then
  real_study=$(dcmdump -q +P 0020,000D "$REAL" 2>/dev/null | sed -E 's/.*\[(.*)\].*/\1/')
  code=$(get real "$W/studies/$real_study")  # no Accept: explicit VR little endian
  split_parts real
  part=$(awk 'NR == 1 { print $1 }' "$WORK/real.parts")
  check_eq "compressed real file, no Accept: converted to explicit LE" "200 $EXPLICIT_LE" \
    "$code $(ts_of "$part")"
  native_pixels "$REAL" "$WORK/real_ref.raw"
  native_pixels "$part" "$WORK/real_out.raw"
  check_eq "and its pixels are the decoded original's" "$(sha "$WORK/real_ref.raw")" \
    "$(sha "$WORK/real_out.raw")"
else
  echo "SKIPPED (visible): ../shared/testdata is absent, no compressed real file converted"
fi

# --- Not found ----------------------------------------------------------------
code=$(get nf1 "$W/studies/1.2.3.4.5.6")
check_eq "unknown study: 404 problem" "404 404" "$code $(problem_status nf1)"
code=$(get nf2 "$W/studies/$CT_STUDY/series/$OTHER_SERIES")
check_eq "a series of another study: 404" "404 404" "$code $(problem_status nf2)"
code=$(get nf3 "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/1.2.3.4")
check_eq "unknown instance: 404" "404 404" "$code $(problem_status nf3)"
code=$(get nf4 "$W/studies/$US_STUDY/series/$US_SERIES/instances/$CT_SOP")
check_eq "an instance under the wrong study and series: 404" "404 404" "$code $(problem_status nf4)"

# --- Metadata -----------------------------------------------------------------
code=$(get meta "$W/studies/$CT_STUDY/metadata")
check_eq "study metadata: 200 application/dicom+json" "200 application/dicom+json" \
  "$code $(header meta Content-Type)"
check_eq "study metadata: one object per instance" "$n_study" "$(jq length "$WORK/meta.body")"
obj() { jq --arg s "$CT_SOP" '.[] | select(.["00080018"].Value[0] == $s)' "$WORK/meta.body"; }
check_eq "metadata: Study Instance UID" "$CT_STUDY" "$(obj | jq -r '.["0020000D"].Value[0]')"
check_eq "metadata: Rows is a number" "US 64" "$(obj | jq -r '.["00280010"] | "\(.vr) \(.Value[0])"')"
name=$(awk -F'\t' -v s="$CT_SOP" 'NR > 1 && $7 == s { print $3 }' "$MANIFEST")
check_eq "metadata: PN groups, GB18030 name as UTF-8" "$name" \
  "$(obj | jq -r '.["00100010"].Value[0] | [.Alphabetic, .Ideographic, .Phonetic] | join("=")')"
check_eq "metadata: Specific Character Set is now ISO_IR 192" "ISO_IR 192" \
  "$(obj | jq -r '.["00080005"].Value[0]')"
uri=$(obj | jq -r '.["7FE00010"].BulkDataURI')
check_eq "metadata: Pixel Data is a BulkDataURI" \
  "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$CT_SOP/bulkdata/7FE00010" "$uri"
code=$(get bulk "$uri" -H 'Accept: multipart/related; type="application/octet-stream"')
split_parts bulk
check_eq "the BulkDataURI resolves to the native pixel bytes" "200 $(sha "$WORK/ct.raw")" \
  "$code $(awk '{ print $2 }' "$WORK/bulk.parts")"
# Ranges of bulk data (PS3.18 8.3.5.1), multipart and single part.
code=$(get brange "$uri" -H 'Accept: multipart/related; type="application/octet-stream"' -H 'Range: bytes=100-1123')
split_parts brange
size=$(stat -c %s "$WORK/ct.raw")
check_eq "a byte range: 206 with Content-Range" "206 bytes 100-1123/$size" "$code $(header brange Content-Range)"
check_eq "its part holds exactly those bytes" "$(tail -c +101 "$WORK/ct.raw" | head -c 1024 | sha256sum | cut -d' ' -f1)" \
  "$(awk '{ print $2 }' "$WORK/brange.parts")"
code=$(get bsingle "$uri" -H 'Accept: application/octet-stream')
check_eq "single part bulk data: the pixel bytes themselves" "200 application/octet-stream $(sha "$WORK/ct.raw")" \
  "$code $(header bsingle Content-Type) $(sha "$WORK/bsingle.body")"
code=$(get bsuffix "$uri" -H 'Accept: application/octet-stream' -H 'Range: bytes=-16')
check_eq "a suffix range, single part" "206 $(tail -c 16 "$WORK/ct.raw" | sha256sum | cut -d' ' -f1)" \
  "$code $(sha "$WORK/bsuffix.body")"
code=$(get bbeyond "$uri" -H 'Accept: application/octet-stream' -H "Range: bytes=$size-")
check_eq "a range beyond the end: 416 problem JSON" "416 416 bytes */$size" \
  "$code $(problem_status bbeyond) $(header bbeyond Content-Range)"
code=$(get meta2 "$W/studies/$CT_STUDY/metadata")
check "study metadata again (cached): the same JSON" cmp -s "$WORK/meta.body" "$WORK/meta2.body"
code=$(get metagz "$W/studies/$CT_STUDY/metadata" -H 'Accept-Encoding: gzip')
check_eq "metadata with Accept-Encoding: gzip is gzipped" "200 gzip" "$code $(header metagz Content-Encoding)"
check "and inflates to the same JSON" cmp -s "$WORK/meta.body" <(gzip -dc "$WORK/metagz.body")
code=$(get smeta "$W/studies/$CT_STUDY/series/$CT_SERIES/metadata")
check_eq "series metadata: its 2 instances" "200 2" "$code $(jq length "$WORK/smeta.body")"
code=$(get imeta "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$CT_SOP/metadata")
check_eq "instance metadata: one object" "200 $CT_SOP" "$code $(jq -r '.[0]["00080018"].Value[0]' "$WORK/imeta.body")"
code=$(get mnf "$W/studies/$CT_STUDY/series/$OTHER_SERIES/metadata")
check_eq "metadata of a series of another study: 404" 404 "$code"
code=$(get mxml "$W/studies/$CT_STUDY/metadata" -H 'Accept: multipart/related; type="application/dicom+xml"')
check_eq "metadata as XML: 406" 406 "$code"

# A new instance in the study: the cached metadata must not hide it.
cp "$WORK/synth/$CT_REL" "$WORK/new.dcm"
dcmodify -nb -i "(0008,0018)=$CT_SOP.999" -i "(0020,0013)=99" "$WORK/new.dcm" >/dev/null
check "storescu sends one more instance" storescu -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$WORK/new.dcm"
get meta3 "$W/studies/$CT_STUDY/metadata" -H 'Accept-Encoding: gzip' >/dev/null
check_eq "metadata after a new instance: $((n_study + 1)) objects" "$((n_study + 1))" \
  "$(gzip -dc "$WORK/meta3.body" | jq length)"

# --- Frames -------------------------------------------------------------------
US_PATH=$W/studies/$US_STUDY/series/$US_SERIES/instances/$US_SOP
native_pixels "$WORK/synth/$US_REL" "$WORK/us.raw"
frames=$(awk -F'\t' -v s="$US_SOP" 'NR > 1 && $7 == s { print $17 }' "$MANIFEST")
python3 - "$WORK/us.raw" "$frames" "$WORK/us" <<'PY'
import sys
data = open(sys.argv[1], "rb").read(); n = int(sys.argv[2]); size = len(data) // n
for i in range(n):
    open("%s.frame%d" % (sys.argv[3], i + 1), "wb").write(data[i * size:(i + 1) * size])
PY
code=$(get fr "$US_PATH/frames/2,3" -H 'Accept: multipart/related; type="application/octet-stream"; transfer-syntax=*')
split_parts fr
check_eq "frames 2,3 of a $frames-frame clip: 200, 2 parts" "200 2" "$code $(wc -l <"$WORK/fr.parts")"
check_eq "frame 2 is the native pixel bytes" "$(sha "$WORK/us.frame2")" "$(awk 'NR == 1 { print $2 }' "$WORK/fr.parts")"
check_eq "frame 3 is the native pixel bytes" "$(sha "$WORK/us.frame3")" "$(awk 'NR == 2 { print $2 }' "$WORK/fr.parts")"
check_eq "frame parts are octet-stream in explicit LE" "application/octet-stream;transfer-syntax=$EXPLICIT_LE" \
  "$(awk 'NR == 1 { print $3 }' "$WORK/fr.parts")"
code=$(get fr1 "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$CT_SOP/frames/1")
split_parts fr1
check_eq "frame 1 of a CT image (no Accept)" "200 $(sha "$WORK/ct.raw")" "$code $(awk '{ print $2 }' "$WORK/fr1.parts")"
code=$(get fr404 "$US_PATH/frames/1,$((frames + 1))")
check_eq "an out-of-range frame: 404" "404 404" "$code $(problem_status fr404)"
check "the problem names the frame" grep -q "frame $((frames + 1)) " "$WORK/fr404.body"
for bad in 0 1,,2 x 1-3; do
  code=$(get fr400 "$US_PATH/frames/$bad")
  check_eq "malformed frame list '$bad': 400" "400 400" "$code $(problem_status fr400)"
done
code=$(get fr406 "$US_PATH/frames/1" -H 'Accept: multipart/related; type="image/jpeg"')
check_eq "frames as image/jpeg: 406" 406 "$code"

# --- WADO-URI -----------------------------------------------------------------
URI="$BASE/wado?requestType=WADO&studyUID=$CT_STUDY&seriesUID=$CT_SERIES&objectUID=$CT_SOP"
code=$(get wu "$URI&contentType=application/dicom&transferSyntax=$EXPLICIT_LE")
check_eq "WADO-URI application/dicom: the exact object" "200 application/dicom $(sha "$WORK/synth/$CT_REL")" \
  "$code $(header wu Content-Type) $(sha "$WORK/wu.body")"
code=$(get wu2 "$URI&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.4.80")
check_eq "WADO-URI transferSyntax=JPEG-LS converts" "200 1.2.840.10008.1.2.4.80" "$code $(ts_of "$WORK/wu2.body")"
code=$(get wu3 "$URI")
check_eq "WADO-URI without contentType: a JPEG of the image" "200 image/jpeg jpeg 64x64 1" \
  "$code $(header wu3 Content-Type) $(python3 "$HERE/image_check.py" size "$WORK/wu3.body")"
code=$(get wu3p "$URI&contentType=image/png&windowCenter=40&windowWidth=400")
get wu3r "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$CT_SOP/rendered?window=40,400" \
  -H 'Accept: image/png' >/dev/null
check_eq "WADO-URI PNG with a window is WADO-RS rendered's image" "200 image/png" \
  "$code $(header wu3p Content-Type)"
check "  (the same bytes)" cmp -s "$WORK/wu3p.body" "$WORK/wu3r.body"
code=$(get wu3s "$URI&contentType=image/jpeg&rows=32&imageQuality=50")
check_eq "WADO-URI rows bounds the size" "200 jpeg 32x32 1" \
  "$code $(python3 "$HERE/image_check.py" size "$WORK/wu3s.body")"
check_eq "WADO-URI windowCenter without windowWidth: 400" 400 "$(get wu3b "$URI&windowCenter=40")"
check_eq "WADO-URI region (not supported): 400" 400 "$(get wu3c "$URI&region=0,0,0.5,0.5")"
check_eq "WADO-URI contentType=text/html: 406" 406 "$(get wu3d "$URI&contentType=text/html")"
code=$(get wu4 "$URI&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.4.50")
check_eq "WADO-URI lossy transferSyntax: 406" 406 "$code"
code=$(get wu5 "$BASE/wado?requestType=WADO&studyUID=$CT_STUDY&seriesUID=$CT_SERIES&contentType=application/dicom")
check_eq "WADO-URI without objectUID: 400" "400 400" "$code $(problem_status wu5)"
code=$(get wu6 "${URI/requestType=WADO/requestType=FOO}&contentType=application/dicom")
check_eq "WADO-URI with another requestType: 400" 400 "$code"
code=$(get wu7 "$BASE/wado?requestType=WADO&studyUID=$US_STUDY&seriesUID=$CT_SERIES&objectUID=$CT_SOP&contentType=application/dicom")
check_eq "WADO-URI with the wrong study: 404" 404 "$code"

# --- A real client: Orthanc's DICOMweb plugin ----------------------------------
PLUGIN=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
if command -v Orthanc >/dev/null && [[ -f $PLUGIN ]]; then
  O_HTTP=$(free_port); O_DICOM=$(free_port)
  mkdir -p "$WORK/orthanc"
  cat >"$WORK/orthanc.json" <<JSON
{
  "Name": "cloudfilm-wado-it", "StorageDirectory": "$WORK/orthanc", "IndexDirectory": "$WORK/orthanc",
  "HttpPort": $O_HTTP, "DicomPort": $O_DICOM, "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
  "Plugins": [ "$PLUGIN" ],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/",
                "Servers": { "cloudfilm": {
                  "Url": "$W/", "HttpHeaders": { "Authorization": "Bearer $CF_TOKEN" } } } }
}
JSON
  Orthanc "$WORK/orthanc.json" >"$WORK/orthanc.log" 2>&1 &
  ORTHANC_PID=$!
  OB=http://127.0.0.1:$O_HTTP
  for ((i = 0; i < 500; i++)); do curl -q -sf "$OB/system" >/dev/null 2>&1 && break; sleep 0.05; done
  check "Orthanc with its DICOMweb plugin is up" curl -q -sf "$OB/dicom-web/servers" -o /dev/null
  check "Orthanc retrieves the study from us over WADO-RS" curl -q -sf -X POST \
    "$OB/dicom-web/servers/cloudfilm/retrieve" -d "{\"Resources\": [{\"Study\": \"$CT_STUDY\"}]}" -o "$WORK/o_retrieve.json"
  n_now=$((n_study + 1))
  check_eq "Orthanc now holds the study's $n_now instances" "$n_now" "$(curl -q -sf "$OB/instances" | jq length)"
  theirs=$(for id in $(curl -q -sf "$OB/instances" | jq -r '.[]'); do
    curl -q -sf "$OB/instances/$id/file" | sha256sum | cut -d' ' -f1
  done | sort)
  # What we hold (the storescu'd instance was filed with our own file meta).
  ours=$(for sop in $(gzip -dc "$WORK/meta3.body" | jq -r '.[]["00080018"].Value[0]'); do
    api_file "$sop" "$WORK/ours.dcm" && sha "$WORK/ours.dcm"
  done | sort)
  check_eq "and every file has the SHA-256 of what was imported" "$ours" "$theirs"
  check "Orthanc reads our study metadata through its DICOMweb client" curl -q -sf -X POST \
    "$OB/dicom-web/servers/cloudfilm/get" -d "{\"Uri\": \"/studies/$CT_STUDY/metadata\"}" -o "$WORK/o_meta.json"
  check_eq "and sees $n_now objects" "$n_now" "$(jq length "$WORK/o_meta.json")"
  kill "$ORTHANC_PID"; wait "$ORTHANC_PID" 2>/dev/null || true; ORTHANC_PID=
else
  echo "SKIPPED (visible): Orthanc or its DICOMweb plugin (orthanc-dicomweb) is not installed"
fi

check_eq "no CORS header unless configured" "" "$(header meta Access-Control-Allow-Origin)"
check "the server stops cleanly" stop_server

# --- CORS (off by default, on with http.cors_allow_origin) --------------------
printf '[http]\ncors_allow_origin = "https://viewer.example"\n' >"$WORK/cors.toml"
start_server "$WORK/data" --config "$WORK/cors.toml"
code=$(get pre "$BASE/dicom-web/studies/$CT_STUDY/metadata" -X OPTIONS \
  -H 'Origin: https://viewer.example' -H 'Access-Control-Request-Method: GET' \
  -H 'Access-Control-Request-Headers: accept')
check_eq "CORS preflight: 204 for the configured origin" "204 https://viewer.example accept" \
  "$code $(header pre Access-Control-Allow-Origin) $(header pre Access-Control-Allow-Headers)"
code=$(get corsget "$BASE/dicom-web/studies/$CT_STUDY/metadata" -H 'Origin: https://viewer.example')
check_eq "CORS: answers carry Access-Control-Allow-Origin" "200 https://viewer.example" \
  "$code $(header corsget Access-Control-Allow-Origin)"
check "the server stops cleanly" stop_server

# --- A blob lost under a retrieve: an incomplete body, never a complete-looking one
second=$(awk -F'\t' -v se="$CT_SERIES" 'NR > 1 && $6 == se && $13 == 2 { print $7 }' "$MANIFEST")
cp -a "$WORK/data" "$WORK/broken"
key=$("$CLOUDFILM" sql --data "$WORK/broken" \
  "SELECT blob_key FROM instances WHERE sop_uid = '$second' AND version = 1")
rm "$WORK/broken/blobs/$key"
start_server "$WORK/broken"
rc=0; curl -s -o /dev/null -H "Accept: $STAR" "$BASE/dicom-web/studies/$CT_STUDY/series/$CT_SERIES" || rc=$?
check_eq "the second part's blob is missing: the transfer is cut (curl exit 18)" 18 "$rc"
check "and the server says so in its log" grep -q http.stream_failed "$WORK/server.log"
check "the server stops cleanly" stop_server
finish
