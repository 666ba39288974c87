#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# WADO-RS frames in compressed media types through the real binary:
# - objects received compressed (JPEG-LS, JPEG, JPEG 2000, RLE; fragmented
#   without a Basic Offset Table) answer transfer-syntax=* and their image
#   media type with the received frames, byte for byte (compared with the
#   fragments a separate parser finds in the original file);
# - synthetic CT held in its HTJ2K stored form (--compress-after 0) answers
#   image/jhc with codestreams that OpenJPEG's opj_decompress decodes to
#   exactly the native frame the default Accept gives (signed CT included);
# - what cannot be produced is a 406 that says what can.
source "$(dirname "$0")/lib.sh"

EXPLICIT_LE=1.2.840.10008.1.2.1
HTJ2K_LOSSLESS=1.2.840.10008.1.2.4.201
command -v opj_decompress >/dev/null || skip "opj_decompress not installed (scripts/install-deps.sh)"


"$CLOUDFILM" synth "$WORK/synth" --seed 11 --patients 2 --studies 2 --series 1 --instances 2 \
  --modalities CT,US --ct-size 96 --us-frames 2 >/dev/null
MANIFEST=$WORK/synth/manifest.tsv

REAL=()
if [[ -n ${CF_TESTDATA:-} && -d $CF_TESTDATA/codecs ]]; then
  for f in codecs/mr_small_jpegls-lossless.dcm codecs/fragmentation/CT0012.fragmented_no_bot_jpeg_ls.80.dcm \
    codecs/j2k-lossless_us_ybr-rct.dcm codecs/jpeg-baseline_8bit_mono.dcm \
    codecs/rle_rgb_16bit_2frame.dcm; do
    [[ -f $CF_TESTDATA/$f ]] && REAL+=("$CF_TESTDATA/$f")
  done
fi
[[ ${#REAL[@]} -gt 0 ]] || echo "# ../shared/testdata absent: received compressed frames not checked"

start_server "$WORK/data" --compress-after 0
W=$BASE/dicom-web
check "storescu sends the synthetic studies" storescu -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
for f in "${REAL[@]}"; do
  check "storescu sends $(basename "$f") as it is" storescu -aec CLOUDFILM "$(propose_flag "$f")" 127.0.0.1 "$DICOM_PORT" "$f"
done

part() { awk -v n="$2" 'NR == n { print $1 }' "$WORK/$1.parts"; }        # part NAME N: its file
part_type() { awk -v n="$2" 'NR == n { print $3 }' "$WORK/$1.parts"; }   # part NAME N: its type
top_level() {  # top_level FILE TAG: its value at the top level of the data set
  dcmdump -q +p +P "$2" "$1" 2>/dev/null | grep "^($2)" | sed -E 's/.*\[(.*)\].*/\1/' || true
}
path_of() {  # path_of FILE: the instance's WADO-RS path
  local study series sop
  study=$(top_level "$1" 0020,000d)
  series=$(top_level "$1" 0020,000e)
  sop=$(top_level "$1" 0008,0018)
  echo "$W/studies/$study/series/$series/instances/$sop"
}

# The fragments of each frame of an encapsulated file, found independently
# of the server: one file per frame in DIR (frame-1.bin...).
fragments_by_frame() {  # fragments_by_frame FILE FRAMES DIR
  python3 - "$@" <<'PY'
import os, struct, sys
data = open(sys.argv[1], "rb").read(); frames = int(sys.argv[2]); out = sys.argv[3]
os.makedirs(out, exist_ok=True)
at = max(data.rfind(b"\xe0\x7f\x10\x00" + vr + b"\x00\x00\xff\xff\xff\xff") for vr in (b"OB", b"OW")) + 12
items = []
while True:
    tag, length = struct.unpack_from("<II", data, at); at += 8
    if tag == 0xE0DDFFFE: break
    items.append(data[at:at + length]); at += length
fragments = items[1:]
if frames == 1:
    groups = [fragments]
elif len(fragments) == frames:
    groups = [[f] for f in fragments]
else:  # JPEG family: a frame starts at each fragment opening with SOI
    groups = []
    for f in fragments:
        if f.startswith(b"\xff\xd8\xff") or not groups: groups.append([])
        groups[-1].append(f)
assert len(groups) == frames, (len(groups), frames)
for i, g in enumerate(groups):
    open(os.path.join(out, "frame-%d.bin" % (i + 1)), "wb").write(b"".join(g))
PY
}

STAR='multipart/related; type="application/octet-stream"; transfer-syntax=*'

# --- Received compressed frames ----------------------------------------------
for f in "${REAL[@]}"; do
  name=$(basename "$f" .dcm)
  ts=$(ts_of "$f")
  frames=$(top_level "$f" 0028,0008 | tr -d ' ')
  frames=${frames:-1}
  fragments_by_frame "$f" "$frames" "$WORK/$name.expected"
  list=$(seq -s, 1 "$frames")
  code=$(get "$name" "$(path_of "$f")/frames/$list" -H "Accept: $STAR")
  split_parts "$name"
  check_eq "$name: transfer-syntax=* gives $frames received frame(s)" "200 $frames" "$code $(wc -l <"$WORK/$name.parts")"
  check_eq "$name: the parts say $ts" "application/octet-stream;transfer-syntax=$ts" "$(part_type "$name" 1)"
  same=0
  for ((i = 1; i <= frames; i++)); do
    [[ $(sha "$(part "$name" "$i")") == $(sha "$WORK/$name.expected/frame-$i.bin") ]] && same=$((same + 1))
  done
  check_eq "$name: every frame is the received fragments, byte for byte" "$frames" "$same"
done
if [[ ${#REAL[@]} -gt 0 ]]; then
  jls=$(basename "${REAL[0]}" .dcm)
  for type in image/jls image/x-jls; do
    code=$(get jlst "$(path_of "${REAL[0]}")/frames/1" -H "Accept: multipart/related; type=\"$type\"")
    split_parts jlst
    check_eq "JPEG-LS as $type: the same frame, typed $type" \
      "200 $type;transfer-syntax=1.2.840.10008.1.2.4.80 $(sha "$WORK/$jls.expected/frame-1.bin")" \
      "$code $(part_type jlst 1) $(sha "$(part jlst 1)")"
    check "JPEG-LS as $type: multipart/related; type=\"$type\"" \
      grep -q "^multipart/related; type=\"$type\"" <<<"$(header jlst Content-Type)"
  done
  # The received frame decodes (DCMTK, a separate process) to the pixels of
  # the original: put back into a copy of the file, it decodes the same.
  cp "${REAL[0]}" "$WORK/jls-copy.dcm"
  native_of() { dcmdjpls "$1" "$2" 2>/dev/null && dcmdump -q +W "$WORK/$3" "$2" >/dev/null 2>&1 && sha "$(ls -S "$WORK/$3"/*.raw | head -1)"; }
  mkdir -p "$WORK/px-a" "$WORK/px-b"
  python3 - "$WORK/jls-copy.dcm" "$(part jlst 1)" <<'PY'
import struct, sys
path, frame = sys.argv[1], open(sys.argv[2], "rb").read()
data = bytearray(open(path, "rb").read())
at = max(data.rfind(b"\xe0\x7f\x10\x00" + vr + b"\x00\x00\xff\xff\xff\xff") for vr in (b"OB", b"OW")) + 12
if len(frame) % 2: frame += b"\0"
tail = struct.pack("<II", 0xE000FFFE, 0) + struct.pack("<II", 0xE000FFFE, len(frame)) + frame + struct.pack("<II", 0xE0DDFFFE, 0)
open(path, "wb").write(bytes(data[:at]) + tail)
PY
  check_eq "the served JPEG-LS frame decodes (dcmdjpls) to the original's pixels" \
    "$(native_of "${REAL[0]}" "$WORK/a.dcm" px-a)" "$(native_of "$WORK/jls-copy.dcm" "$WORK/b.dcm" px-b)"
fi

# --- HTJ2K from the stored form ----------------------------------------------
# The materializer compresses right after the acknowledgement.
for ((i = 0; i < 300; i++)); do
  pending=$("$CLOUDFILM" sql --data "$WORK/data" \
    "SELECT count(*) FROM instances WHERE stored_form = 0 AND transfer_syntax = '$EXPLICIT_LE'" 2>/dev/null || echo 1)
  [[ $pending == 0 ]] && break
  sleep 0.1
done
check_eq "the synthetic objects are compressed" 0 "$pending"

signed=0; checked=0
while IFS=$'\t' read -r rel modality; do
  f=$WORK/synth/$rel
  p=$(path_of "$f")
  get nat "$p/frames/1" >/dev/null
  split_parts nat
  if [[ $modality != CT ]]; then
    # Colour (synthetic US: RGB, interleaved): the stored codestream with the
    # reversible colour transform (YBR_RCT), which opj_decompress turns back
    # into the native frame's RGB samples.
    code=$(get col "$p/frames/1" -H 'Accept: multipart/related; type="image/jhc"')
    split_parts col
    check_eq "$modality $rel (colour): image/jhc, HTJ2K lossless" \
      "200 image/jhc;transfer-syntax=$HTJ2K_LOSSLESS" "$code $(part_type col 1)"
    cp "$(part col 1)" "$WORK/col.j2c"
    rm -f "$WORK/col.ppm"
    opj_decompress -i "$WORK/col.j2c" -o "$WORK/col.ppm" >/dev/null 2>&1
    result=$(python3 - "$WORK/col.ppm" "$(part nat 1)" <<'PY'
import sys
ppm = open(sys.argv[1], "rb").read(); native = open(sys.argv[2], "rb").read()
tokens, at = [], 0
while len(tokens) < 4:  # P6 width height maxval, "#" comments between them
    if ppm[at:at + 1] == b"#":
        at = ppm.index(b"\n", at)
    elif not ppm[at:at + 1].isspace():
        end = at
        while not ppm[end:end + 1].isspace():
            end += 1
        tokens.append(ppm[at:end]); at = end; continue
    at += 1
body = ppm[at + 1:]
print("equal" if tokens[0] == b"P6" and body == native else
      "differ (%s, %d/%d bytes)" % (tokens[0], len(body), len(native)))
PY
)
    check_eq "$modality $rel (colour): opj_decompress gives the native RGB frame" equal "$result"
    continue
  fi
  code=$(get hj "$p/frames/1" -H 'Accept: multipart/related; type="image/jhc"')
  split_parts hj
  check_eq "CT $rel: image/jhc, HTJ2K lossless" "200 image/jhc;transfer-syntax=$HTJ2K_LOSSLESS" "$code $(part_type hj 1)"
  rm -f "$WORK"/hj*.pgx
  cp "$(part hj 1)" "$WORK/hj.j2c"
  opj_decompress -i "$WORK/hj.j2c" -o "$WORK/hj.pgx" >/dev/null 2>&1
  is_signed=$(dcmdump -q +p +P 0028,0103 "$f" | awk '/^\(0028,0103\)/ { print $3 }')
  result=$(python3 - "$WORK/hj_0.pgx" "$(part nat 1)" "$is_signed" <<'PY'
import struct, sys
pgx = open(sys.argv[1], "rb").read(); native = open(sys.argv[2], "rb").read(); signed = sys.argv[3] == "1"
head, _, body = pgx.partition(b"\n")
fields = head.split()  # PG ML [+|-] bits w h
pgx_signed = b"-" in fields
values = struct.unpack(">%dh" % (len(body) // 2) if pgx_signed else ">%dH" % (len(body) // 2), body)
expected = struct.unpack("<%dh" % (len(native) // 2) if signed else "<%dH" % (len(native) // 2), native)
print("equal" if values == expected and pgx_signed == signed else
      "differ (signed %s/%s, %d/%d values)" % (pgx_signed, signed, len(values), len(expected)))
PY
)
  check_eq "CT $rel (Pixel Representation $is_signed): opj_decompress gives the native frame" equal "$result"
  [[ $is_signed == 1 ]] && signed=$((signed + 1))
  checked=$((checked + 1))
  code=$(get hj2 "$p/frames/1" -H "Accept: multipart/related; type=\"application/octet-stream\"; transfer-syntax=$HTJ2K_LOSSLESS")
  split_parts hj2
  check_eq "CT $rel: octet-stream with transfer-syntax=.201, the same codestream" \
    "200 application/octet-stream;transfer-syntax=$HTJ2K_LOSSLESS $(sha "$(part hj 1)")" \
    "$code $(part_type hj2 1) $(sha "$(part hj2 1)")"
  code=$(get oh "$p/frames/1" -H "Accept: $STAR")
  split_parts oh
  check_eq "CT $rel: transfer-syntax=* still gives the native frame" \
    "200 $(sha "$(part nat 1)") application/octet-stream;transfer-syntax=$EXPLICIT_LE" \
    "$code $(sha "$(part oh 1)") $(part_type oh 1)"
done < <(awk -F'\t' 'NR > 1 { print $1 "\t" $9 }' "$MANIFEST")
check "at least one signed and one unsigned CT were checked" test "$signed" -ge 1 -a "$checked" -gt "$signed"

# --- What cannot be produced ------------------------------------------------
ct=$(awk -F'\t' 'NR > 1 && $9 == "CT" { print $1; exit }' "$MANIFEST")
code=$(get no "$(path_of "$WORK/synth/$ct")/frames/1" -H 'Accept: multipart/related; type="image/jls"')
check_eq "image/jls of a native object: 406" "406 406" "$code $(jq -r .status "$WORK/no.body")"
check "the 406 names what can be produced" grep -q 'image/jphc' "$WORK/no.body"
code=$(get no2 "$(path_of "$WORK/synth/$ct")/frames/1" \
  -H 'Accept: multipart/related; type="image/jphc"; transfer-syntax=1.2.840.10008.1.2.4.202')
check_eq "HTJ2K RPCL (.202) from the stored form: 406" 406 "$code"
code=$(get q "$(path_of "$WORK/synth/$ct")/frames/1" \
  -H 'Accept: multipart/related; type="image/jls", multipart/related; type="application/octet-stream"; q=0.5')
split_parts q
check_eq "image/jls or else native: native" "200 application/octet-stream;transfer-syntax=$EXPLICIT_LE" \
  "$code $(part_type q 1)"
code=$(get oor "$(path_of "$WORK/synth/$ct")/frames/2" -H 'Accept: multipart/related; type="image/jhc"')
check_eq "an out-of-range frame in HTJ2K: 404" 404 "$code"
check "the server stops cleanly" stop_server
finish
