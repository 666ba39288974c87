#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# WADO-RS rendered resources and thumbnails through the real binary, with
# curl: content types, image sizes (PNG header, JPEG SOF marker) and, for
# PNGs, every pixel against values computed in Python from the DICOM
# samples (decoded by DCMTK's command-line tools, not by the server):
# windowed synthetic CT (rescale intercept -1024), a frame of an RGB
# ultrasound clip, and real files compressed as JPEG-LS, JPEG 2000 and RLE,
# and a MONOCHROME1 radiograph. Then the 400/404/406 problems.
source "$(dirname "$0")/lib.sh"

CHECK="python3 $HERE/image_check.py"

"$CLOUDFILM" synth "$WORK/synth" --seed 8 --patients 1 --studies 2 --series 2 --instances 3 \
  --modalities CT,US --ct-size 64 --us-frames 3 >/dev/null
MANIFEST=$WORK/synth/manifest.tsv
col() {  # col N MODALITY [INSTANCE_NUMBER]: column N of the first matching manifest row
  awk -F'\t' -v n="$1" -v m="$2" -v i="${3:-}" \
    'NR > 1 && $9 == m && (i == "" || $13 == i) { print $n; exit }' "$MANIFEST"
}
CT_STUDY=$(col 5 CT); CT_SERIES=$(col 6 CT); CT_SOP=$(col 7 CT); CT_REL=$(col 1 CT)
CT_MIDDLE_SOP=$(awk -F'\t' -v s="$CT_SERIES" 'NR > 1 && $6 == s && $13 == 2 { print $7 }' "$MANIFEST")
US_STUDY=$(col 5 US); US_SERIES=$(col 6 US); US_SOP=$(col 7 US); US_REL=$(col 1 US)
US_ROWS=$(col 15 US); US_COLS=$(col 16 US)
OTHER_SERIES=$(awk -F'\t' -v s="$CT_STUDY" 'NR > 1 && $5 != s { print $6; exit }' "$MANIFEST")

# Real files, when the shared test data is there.
REAL=()
real() {  # real VAR RELATIVE_PATH: VAR names the file if present, else is empty (a visible skip)
  local f=${CF_TESTDATA:-/nonexistent}/$2
  if [[ -f $f ]]; then
    REAL+=("$f"); printf -v "$1" '%s' "$f"
  else
    printf -v "$1" ''; echo "SKIPPED: $2 absent (no shared test data), its checks are skipped"
  fi
}
real JLS codecs/mr_small_jpegls-lossless.dcm
real J2K codecs/mr_small_j2k-lossless.dcm
real J2K_REF codecs/mr_small_explicit-le.dcm  # the same pixels, uncompressed
real RLE_RGB codecs/rle_rgb.dcm
real MONO1 modalities/dx_monochrome1.dcm
real SR nonimage/sr_basic-text.dcm
real PDF nonimage/encapsulated_pdf.dcm

rc=0; "$CLOUDFILM" import --data "$WORK/data" --quiet "$WORK/synth"/*/ "${REAL[@]}" >/dev/null || rc=$?
check_eq "import exits 0" 0 "$rc"
start_server "$WORK/data"
W=$BASE/dicom-web

size_of() { $CHECK size "$WORK/$1.body" 2>&1; }
answer() { echo "$1 $(header "$2" Content-Type) $(size_of "$2")"; }  # answer STATUS NAME
problem() {  # problem NAME: "status type" of a problem+json answer
  echo "$(header "$1" Content-Type) $(jq -r '"\(.status) \(.detail)"' "$WORK/$1.body" 2>/dev/null)"
}
attr() {  # attr FILE TAG: the value of a top-level attribute, as dcmdump shows it
  dcmdump -q +P "$2" "$1" 2>/dev/null | head -1 | sed -E 's/^\([0-9a-f,]+\) [A-Z]{2} //; s/^\[([^]]*)\].*/\1/; s/ +#.*//'
}
instance_url() {  # instance_url FILE: the WADO-RS instance path of an imported file
  echo "$W/studies/$(attr "$1" 0020,000d)/series/$(attr "$1" 0020,000e)/instances/$(attr "$1" 0008,0018)"
}
native_pixels() {  # native_pixels FILE OUT: decoded by DCMTK's tools; sets PLANAR
  local dir; dir=$(mktemp -d "$WORK/px.XXXX")
  case $(ts_of "$1") in  # (DCMTK's warnings about the samples are not ours to show)
    1.2.840.10008.1.2.4.80|1.2.840.10008.1.2.4.81) dcmdjpls "$1" "$dir/n.dcm" 2>/dev/null ;;
    1.2.840.10008.1.2.5) dcmdrle "$1" "$dir/n.dcm" 2>/dev/null ;;
    *) dcmconv +te "$1" "$dir/n.dcm" 2>/dev/null ;;
  esac
  PLANAR=$(attr "$dir/n.dcm" 0028,0006); PLANAR=${PLANAR:-0}
  dcmdump -q +W "$dir" "$dir/n.dcm" >/dev/null 2>&1
  cp "$(ls -S "$dir"/*.raw | head -1)" "$2"
}
# window_check NAME FILE CENTER WIDTH [FUNCTION] [--invert]: the PNG against
# the samples of FILE (or of $REF when set: a lossless equivalent that
# DCMTK's tools can decode)
REF=
window_check() {
  local name=$1 file=$2 c=$3 w=$4 f=${5:-linear}; shift 5 2>/dev/null || shift $#
  native_pixels "${REF:-$file}" "$WORK/$name.raw"
  local slope intercept
  slope=$(attr "$file" 0028,1053); intercept=$(attr "$file" 0028,1052)
  $CHECK window "$WORK/$name.body" "$WORK/$name.raw" --bits "$(attr "$file" 0028,0100)" \
    --stored "$(attr "$file" 0028,0101)" --signed "$(attr "$file" 0028,0103)" \
    --slope "${slope:-1}" --intercept "${intercept:-0}" --center "$c" --width "$w" \
    --function "$f" "$@"
}

CT_URL=$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$CT_SOP
US_URL=$W/studies/$US_STUDY/series/$US_SERIES/instances/$US_SOP

# --- Synthetic CT ---------------------------------------------------------------
code=$(get ct "$CT_URL/rendered")
check_eq "CT rendered: JPEG by default, 64x64 gray" "200 image/jpeg jpeg 64x64 1" "$(answer "$code" ct)"
check_eq "CT rendered: not for shared caches" "private, no-cache" "$(header ct Cache-Control)"
code=$(get ctstar "$CT_URL/rendered" -H 'Accept: */*')
check_eq "CT rendered: */* is JPEG" "200 image/jpeg" "$code $(header ctstar Content-Type)"
code=$(get ctq "$CT_URL/rendered?quality=20")
check "CT rendered: quality=20 gives a smaller JPEG" \
  test "$(stat -c %s "$WORK/ctq.body")" -lt "$(stat -c %s "$WORK/ct.body")"

code=$(get ctpng "$CT_URL/rendered?window=40,400" -H 'Accept: image/png')
check_eq "CT rendered PNG: 200 image/png 64x64" "200 image/png png 64x64 1" "$(answer "$code" ctpng)"
check "CT rendered PNG: every pixel is the window 40/400 of the HU values" \
  window_check ctpng "$WORK/synth/$CT_REL" 40 400
code=$(get ctexact "$CT_URL/rendered?window=-600,1500,linear-exact&accept=image/png")
check "CT rendered PNG (accept= parameter): window -600/1500 linear-exact, every pixel" \
  window_check ctexact "$WORK/synth/$CT_REL" -600 1500 linear-exact
code=$(get ctsig "$CT_URL/rendered?window=40,400,SIGMOID" -H 'Accept: image/png')
check "CT rendered PNG: sigmoid window, every pixel" \
  window_check ctsig "$WORK/synth/$CT_REL" 40 400 sigmoid
IFS='\' read -r CT_C _ <<<"$(attr "$WORK/synth/$CT_REL" 0028,1050)"
IFS='\' read -r CT_W _ <<<"$(attr "$WORK/synth/$CT_REL" 0028,1051)"
code=$(get ctdef "$CT_URL/rendered" -H 'Accept: image/png')
check "CT rendered PNG without window: the object's first window ($CT_C/$CT_W)" \
  window_check ctdef "$WORK/synth/$CT_REL" "$CT_C" "$CT_W"

code=$(get ctvp "$CT_URL/rendered?viewport=32,32" -H 'Accept: image/png')
check_eq "CT viewport=32,32: scaled down" "200 image/png png 32x32 1" "$(answer "$code" ctvp)"
code=$(get ctvp2 "$CT_URL/rendered?viewport=100,50")
check_eq "CT viewport=100,50: fits, aspect kept" "200 image/jpeg jpeg 50x50 1" "$(answer "$code" ctvp2)"
code=$(get ctvp3 "$CT_URL/rendered?viewport=256,256")
check_eq "CT viewport=256,256: enlarged" "200 image/jpeg jpeg 256x256 1" "$(answer "$code" ctvp3)"
code=$(get ctcrop "$CT_URL/rendered?viewport=40,20,0,0,32,16")
check_eq "CT viewport with a source region 32x16 into 40x20" "200 image/jpeg jpeg 40x20 1" \
  "$(answer "$code" ctcrop)"
code=$(get ctann "$CT_URL/rendered?annotation=patient,technique")
check_eq "annotation is accepted (and ignored)" "200 image/jpeg jpeg 64x64 1" "$(answer "$code" ctann)"
code=$(get ctframe "$CT_URL/frames/1/rendered")
check_eq "CT frames/1/rendered" "200 image/jpeg jpeg 64x64 1" "$(answer "$code" ctframe)"

code=$(get ctthumb "$CT_URL/thumbnail")
check_eq "CT thumbnail: a 64x64 image is not enlarged" "200 image/jpeg jpeg 64x64 1" \
  "$(answer "$code" ctthumb)"
code=$(get ctthumb2 "$CT_URL/thumbnail?viewport=16,16" -H 'Accept: image/png')
check_eq "CT thumbnail with a viewport" "200 image/png png 16x16 1" "$(answer "$code" ctthumb2)"

# A series and a study are represented by the middle instance of (their
# first) series: the same bytes as that instance's own rendering.
get mid "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$CT_MIDDLE_SOP/rendered" >/dev/null
code=$(get series "$W/studies/$CT_STUDY/series/$CT_SERIES/rendered")
check_eq "series rendered: 200 image/jpeg" "200 image/jpeg" "$code $(header series Content-Type)"
check_eq "series rendered: the middle instance (number 2 of 3)" "$(sha "$WORK/mid.body")" \
  "$(sha "$WORK/series.body")"
code=$(get study "$W/studies/$CT_STUDY/rendered")
check_eq "study rendered: the middle instance of its first series" "200 $(sha "$WORK/mid.body")" \
  "$code $(sha "$WORK/study.body")"
code=$(get sthumb "$W/studies/$CT_STUDY/thumbnail")
check_eq "study thumbnail" "200 image/jpeg jpeg 64x64 1" "$(answer "$code" sthumb)"
code=$(get sethumb "$W/studies/$CT_STUDY/series/$CT_SERIES/thumbnail" -H 'Accept: image/png')
check_eq "series thumbnail" "200 image/png png 64x64 1" "$(answer "$code" sethumb)"
code=$(get headr "$CT_URL/rendered" -I)
check_eq "HEAD of a rendered resource" "200 image/jpeg" "$code $(header headr Content-Type)"

# --- Synthetic RGB ultrasound clip, frame 2 -------------------------------------
native_pixels "$WORK/synth/$US_REL" "$WORK/us.raw"
US_PLANAR=$PLANAR
code=$(get us2 "$US_URL/frames/2/rendered" -H 'Accept: image/png')
check_eq "US frames/2/rendered: RGB PNG of the clip's size" "200 image/png png ${US_COLS}x${US_ROWS} 3" \
  "$(answer "$code" us2)"
check "US frame 2: the PNG holds exactly frame 2's RGB samples" \
  $CHECK rgb "$WORK/us2.body" "$WORK/us.raw" --frame 2 --planar "$US_PLANAR"
check "US frame 2 is not frame 1" \
  bash -c "! $CHECK rgb '$WORK/us2.body' '$WORK/us.raw' --frame 1 --planar '$US_PLANAR' >/dev/null"
code=$(get us3 "$US_URL/frames/3/rendered")
check_eq "US frames/3/rendered as JPEG: colour" "200 image/jpeg jpeg ${US_COLS}x${US_ROWS} 3" \
  "$(answer "$code" us3)"
code=$(get usthumb "$US_URL/thumbnail")
check_eq "US thumbnail: fits in 128x128" "200 image/jpeg jpeg 128x96 3" "$(answer "$code" usthumb)"
code=$(get usf2thumb "$US_URL/frames/2/thumbnail")
check_eq "US frames/2/thumbnail" "200 image/jpeg jpeg 128x96 3" "$(answer "$code" usf2thumb)"

# --- Real compressed files ------------------------------------------------------
if [[ -n $JLS ]]; then
  code=$(get jls "$(instance_url "$JLS")/rendered?window=600,1600" -H 'Accept: image/png')
  check_eq "JPEG-LS MR rendered PNG" "200 image/png png 64x64 1" "$(answer "$code" jls)"
  check "JPEG-LS MR: every pixel is the window 600/1600 of the decoded (signed) samples" \
    window_check jls "$JLS" 600 1600
fi
if [[ -n $J2K ]]; then
  code=$(get j2k "$(instance_url "$J2K")/rendered")
  check_eq "JPEG 2000 MR rendered JPEG" "200 image/jpeg jpeg 64x64 1" "$(answer "$code" j2k)"
  code=$(get j2kpng "$(instance_url "$J2K")/rendered?window=100,500,linear-exact" -H 'Accept: image/png')
  # DCMTK's tools do not decode JPEG 2000: the uncompressed original stands in.
  if [[ -n $J2K_REF ]]; then
    REF=$J2K_REF
    check "JPEG 2000 MR: every pixel is the window 100/500 of the original samples" \
      window_check j2kpng "$J2K" 100 500 linear-exact
    REF=
  fi
fi
if [[ -n $RLE_RGB ]]; then
  code=$(get rle "$(instance_url "$RLE_RGB")/rendered" -H 'Accept: image/png')
  check_eq "RLE RGB rendered PNG" "200 image/png png 100x100 3" "$(answer "$code" rle)"
  native_pixels "$RLE_RGB" "$WORK/rle.raw"
  check "RLE RGB: the PNG holds exactly the decoded RGB samples" \
    $CHECK rgb "$WORK/rle.body" "$WORK/rle.raw" --planar "$PLANAR"
fi
if [[ -n $MONO1 ]]; then
  code=$(get mono1 "$(instance_url "$MONO1")/rendered?window=128,256" -H 'Accept: image/png')
  check_eq "MONOCHROME1 DX rendered PNG" "200 image/png png 211x169 1" "$(answer "$code" mono1)"
  check "MONOCHROME1: every pixel inverted (low values white)" \
    window_check mono1 "$MONO1" 128 256 linear --invert
fi
if [[ -z $JLS$J2K$RLE_RGB$MONO1 ]]; then echo "SKIPPED (partly): no shared test data at ${CF_TESTDATA:-?}"; fi

# --- Errors ---------------------------------------------------------------------
UNKNOWN=1.2.826.0.1.3680043.8.498.999
code=$(get e1 "$W/studies/$UNKNOWN/rendered")
check_eq "unknown study: 404 problem" "404 application/problem+json" "$code $(header e1 Content-Type)"
code=$(get e2 "$W/studies/$CT_STUDY/series/$CT_SERIES/instances/$UNKNOWN/rendered")
check_eq "unknown instance: 404 problem" "404 application/problem+json" "$code $(header e2 Content-Type)"
code=$(get e3 "$W/studies/$CT_STUDY/series/$OTHER_SERIES/rendered")
check_eq "a series of another study: 404" "404" "$code"
code=$(get e4 "$W/studies/$CT_STUDY/series/$OTHER_SERIES/instances/$CT_SOP/thumbnail")
check_eq "an instance under another series: 404" "404" "$code"
code=$(get e5 "$CT_URL/rendered" -H 'Accept: image/gif')
check_eq "Accept: image/gif: 406 problem" "406 application/problem+json" "$code $(header e5 Content-Type)"
code=$(get e6 "$CT_URL/rendered" -H 'Accept: application/dicom')
check_eq "Accept: application/dicom on rendered: 406" "406" "$code"
code=$(get e7 "$CT_URL/rendered?quality=0")
check "quality=0: 400 naming the parameter" grep -q "'quality'" <<<"$code $(problem e7)"
check_eq "quality=0: 400" 400 "$code"
code=$(get e8 "$CT_URL/rendered?window=40")
check_eq "window=40 (no width): 400 naming window" "400 1" "$code $(grep -c "'window'" "$WORK/e8.body")"
code=$(get e9 "$CT_URL/rendered?window=40,400,gamma")
check_eq "window with an unknown function: 400" "400 1" "$code $(grep -c "'window'" "$WORK/e9.body")"
code=$(get e10 "$CT_URL/rendered?window=40,0.5")
check_eq "linear window narrower than 1: 400" "400 1" "$code $(grep -c "'window'" "$WORK/e10.body")"
code=$(get e11 "$CT_URL/rendered?viewport=0,10")
check_eq "viewport=0,10: 400 naming viewport" "400 1" "$code $(grep -c "'viewport'" "$WORK/e11.body")"
code=$(get e12 "$CT_URL/rendered?viewport=10,10,0,0,-5,5")
check_eq "viewport flipping (negative sw): 400" "400 1" "$code $(grep -c "'viewport'" "$WORK/e12.body")"
code=$(get e13 "$CT_URL/rendered?viewport=10,10,60,0,10,10")
check_eq "viewport region outside the image: 400" "400" "$code"
code=$(get e14 "$CT_URL/frames/2/rendered")
check_eq "frame 2 of a single-frame CT: 400 problem (PS3.18 9.5.2)" "400 application/problem+json" \
  "$code $(header e14 Content-Type)"
code=$(get e15 "$US_URL/frames/4/rendered")
check "frame 4 of a 3-frame clip: 400 saying how many there are" \
  grep -q '^400 .*3 frame' <<<"$code $(problem e15)"
code=$(get e16 "$US_URL/frames/1,2/rendered")
check_eq "several frames: 400" 400 "$code"
code=$(get e17 "$US_URL/frames/0/thumbnail")
check_eq "frame 0: 400" 400 "$code"
if [[ -n $SR ]]; then
  code=$(get e18 "$(instance_url "$SR")/rendered")
  check "an SR: 406 problem saying it is not an image" \
    grep -q '^406 .*not an image' <<<"$code $(problem e18)"
  code=$(get e19 "$W/studies/$(attr "$SR" 0020,000d)/thumbnail")
  check "a study with only an SR: 406 (no images to render)" grep -q '^406 .*no images' <<<"$code $(problem e19)"
fi
if [[ -n $PDF ]]; then
  code=$(get e20 "$(instance_url "$PDF")/rendered" -H 'Accept: image/png')
  check_eq "an encapsulated PDF: 406" 406 "$code"
fi

check "server still healthy" server_alive
check "no SOP Instance UID in the server log" absent "$CT_SOP" "$WORK/server.log"
check "nor the Study UID" absent "$CT_STUDY" "$WORK/server.log"
stop_server
finish
