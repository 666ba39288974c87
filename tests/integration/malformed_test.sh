#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bad input over the network: every file of malformed/ that storescu can
# send at all is refused with a failure status (or accepted with a warning
# when it is a complete raw dataset); aborted associations and garbage on
# the port leave the server serving, and nothing stored is altered.
source "$(dirname "$0")/lib.sh"

"$CLOUDFILM" synth "$WORK/synth" --seed 3 --patients 1 --studies 1 --series 1 --instances 3 --ct-size 64 >/dev/null
start_server "$WORK/data"
storescu -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
before=$(count_instances)

# Garbage on the DICOM port, then a connection closed mid-PDU.
head -c 5000 /dev/urandom | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$DICOM_PORT" 2>/dev/null || true
printf '\x01\x00\x00\x00\xff\xff' | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$DICOM_PORT" 2>/dev/null || true
check "garbage on the DICOM port leaves the server serving" echoscu -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT"

# storescu killed in the middle of a large object.
"$CLOUDFILM" synth "$WORK/big" --seed 4 --patients 1 --studies 1 --series 1 --instances 1 --modalities US --us-frames 200 >/dev/null
big=$(find "$WORK/big" -name '*.dcm')
storescu --max-send-pdu 4096 -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$big" >/dev/null 2>&1 &
sp=$!; sleep 0.3; kill -KILL "$sp" 2>/dev/null; wait "$sp" 2>/dev/null || true
# The server notices the dead peer when its read fails; give it a moment.
for ((i = 0; i < 50; i++)); do [[ -z $(find "$WORK/data/tmp" -type f 2>/dev/null) ]] && break; sleep 0.1; done
check "an aborted association leaves the server serving" echoscu -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT"
# Either the object arrived whole before the kill (and reads back exact) or not at all.
after=$(count_instances)
if [[ $after -eq $before ]]; then
  echo "ok - the aborted object is not indexed"
else
  api_file "$(sop_of "$big")" "$WORK/big-back.dcm"
  check_eq "the object completed before the kill is whole" "$(dataset_sha "$big")" "$(dataset_sha "$WORK/big-back.dcm")"
fi
check "no half-received object is left in tmp" bash -c "[[ -z \$(find '$WORK/data/tmp' -type f 2>/dev/null) ]]"

if [[ -n ${CF_TESTDATA:-} && -f $CF_TESTDATA/MANIFEST.tsv ]]; then
  for f in "$CF_TESTDATA"/malformed/*; do
    name=$(basename "$f")
    rc=0; out=$(timeout 60 storescu -v -R "$(propose_flag "$f")" -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$f" 2>&1) || rc=$?
    status=$(grep -oE 'Received Store Response \([^)]*\)' <<<"$out" | head -1 || true)
    case $name in
      no-meta_explicit-le.dcm | no-meta_explicit-be.dcm | j2k_embedded-sequence-delimiter.dcm)
        if grep -q 'No presentation context' <<<"$out"; then
          echo "ok - $name: storescu does not propose its SOP class (import covers it)"
        else
          check "$name is accepted" grep -qE 'Success|Warning' <<<"$status"
        fi ;;
      *)
        if [[ -z $status ]]; then
          echo "ok - $name: storescu could not send it (rc=$rc)"
        else
          check "$name is refused with a failure status ($status)" grep -qvE 'Success' <<<"$status"
        fi ;;
    esac
    server_alive || { check "server alive after $name" false; break; }
  done
  check "the server is still serving after every malformed file" echoscu -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT"
else
  echo "SKIPPED (visible): ../shared/testdata is absent, malformed C-STORE files not sent"
fi
# An object that parses but whose HTJ2K frame is damaged (COD says 9-7,
# QCD no quantization: OpenJPH 0.9 asserts on it, which once aborted the
# server on the first view): stored as received; a sender's HTJ2K is
# decoded by OpenJPEG, which reads this one, so every view is an image and
# the server is still up.
htj2k="$HERE/../fuzz/regressions/dicom_object/upload-htj2k-quantization-not-the-wavelets.dcm"
python3 - "$htj2k" "$WORK/htj2k.body" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(b"--cfb\r\nContent-Type: application/dicom\r\n\r\n" + data + b"\r\n--cfb--\r\n")
PY
check_eq "a damaged HTJ2K object is stored as received (STOW-RS)" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$WORK/htj2k.body" \
     -H 'Content-Type: multipart/related; type="application/dicom"; boundary=cfb' "$BASE/dicom-web/studies")"
api_file "$(sop_of "$htj2k")" "$WORK/htj2k-back.dcm"
check_eq "it reads back byte-exact" "$(sha "$htj2k")" "$(sha "$WORK/htj2k-back.dcm")"
htj2k_url="$BASE/dicom-web/studies/$(dicom_value "$htj2k" StudyInstanceUID)/series/$(dicom_value "$htj2k" SeriesInstanceUID)/instances/$(sop_of "$htj2k")"
# Rendered views have the object's size; a thumbnail its own.
us_value() { dcmdump -q +P "$2" "$1" | awk '{ print $3; exit }'; }
size="$(us_value "$htj2k" 0028,0011)x$(us_value "$htj2k" 0028,0010)"
for view in rendered frames/1/rendered thumbnail; do
  check_eq "its $view is answered" 200 "$(get "htj2k-view" "$htj2k_url/$view")"
  shape=$(python3 "$HERE/image_check.py" size "$WORK/htj2k-view.body" 2>&1)
  if [[ $view == thumbnail ]]; then
    check "with a grayscale JPEG ($shape)" grep -qE '^jpeg [0-9]+x[0-9]+ 1$' <<<"$shape"
  else
    check_eq "with a grayscale JPEG of the object's size" "jpeg $size 1" "$shape"
  fi
  check "the server is still serving after its $view" server_alive
done
bad=0
while read -r f; do
  api_file "$(sop_of "$f")" "$WORK/back.dcm" && [[ $(dataset_sha "$f") == $(dataset_sha "$WORK/back.dcm") ]] || bad=$((bad + 1))
done < <(find "$WORK/synth" -name '*.dcm')
check_eq "what was stored before is unaltered" 0 "$bad"
check "SIGTERM stops the server with exit 0" stop_server
check "fsck is clean" "$CLOUDFILM" fsck --data "$WORK/data"
finish
