#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# DCMTK's echoscu and storescu against the real server: everything sent is
# stored, and each object's dataset reads back exactly as sent when the
# transfer syntax was not changed in transit (C-STORE carries no file meta).
source "$(dirname "$0")/lib.sh"

"$CLOUDFILM" synth "$WORK/synth" --seed 11 --patients 2 --studies 1 --series 2 --instances 5 \
  --modalities CT,MR --ct-size 128 >/dev/null
start_server "$WORK/data"
check "C-ECHO succeeds" echoscu -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT"
check "C-STORE of synthetic studies succeeds" storescu -aec CLOUDFILM +sd +r 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
check_eq "all 20 are indexed" 20 "$(count_instances)"

compare_dataset() {  # FILE: stored dataset equals the file's, when the TS is unchanged
  local f=$1 sop ts_sent ts_back
  sop=$(sop_of "$f")
  api_file "$sop" "$WORK/back.dcm" || { echo "  missing $f"; return 1; }
  ts_sent=$(ts_of "$f"); ts_back=$(ts_of "$WORK/back.dcm")
  if [[ -n $ts_sent && $ts_sent != "$ts_back" ]]; then
    CHANGED_TS=$((CHANGED_TS + 1)); return 0
  fi
  [[ $(dataset_sha "$f") == $(dataset_sha "$WORK/back.dcm") ]] || { echo "  differs: $f"; return 1; }
}
CHANGED_TS=0; bad=0
while read -r f; do compare_dataset "$f" || bad=$((bad + 1)); done < <(find "$WORK/synth" -name '*.dcm')
check_eq "synthetic datasets read back exact" 0 "$bad"

out=$(storescu -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$(find "$WORK/synth" -name '*.dcm' | head -1)" 2>&1)
check "re-sending the same object is a success" test $? -eq 0
check_eq "re-sending does not add an instance" 20 "$(count_instances)"

# Same SOP Instance UID, different bytes: a warning, and a second version.
first=$(find "$WORK/synth" -name '*.dcm' | sort | head -1)
cp "$first" "$WORK/changed.dcm"
dcmodify -nb -m "StudyDescription=changed" "$WORK/changed.dcm"
out=$(storescu -v -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$WORK/changed.dcm" 2>&1)
check "a changed object under a known UID gets a warning status" grep -qi "warning" <<<"$out"
sop=$(sop_of "$first")
check_eq "it is kept as version 2" 2 "$(curl -sf "$BASE/api/instances/$sop" | jq '.versions | length')"
api_file "$sop" "$WORK/v1.dcm"
check_eq "version 1 is still the first bytes" "$(dataset_sha "$first")" "$(dataset_sha "$WORK/v1.dcm")"

# The real public data, every non-malformed object.
if [[ -n ${CF_TESTDATA:-} && -f $CF_TESTDATA/MANIFEST.tsv ]]; then
  mapfile -t files < <(testdata_objects | sed "s#^#$CF_TESTDATA/#")
  storescu -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "${files[@]}" >"$WORK/real.out" 2>&1 || true
  CHANGED_TS=0; bad=0; missing=0; checked=0
  for f in "${files[@]}"; do
    sop=$(sop_of "$f")
    [[ -n $sop ]] || continue  # no SOP Instance UID in the dataset: storescu cannot send it
    checked=$((checked + 1))
    versions=$(curl -sf "$BASE/api/instances/$sop" | jq -r '.versions[].version' 2>/dev/null) || { missing=$((missing + 1)); echo "  missing $f"; continue; }
    want=$(dataset_sha "$f"); found=0
    for v in $versions; do
      api_file "$sop" "$WORK/back.dcm" "$v"
      if [[ $(ts_of "$WORK/back.dcm") != $(ts_of "$f") && -n $(ts_of "$f") ]]; then found=2; continue; fi
      [[ $(dataset_sha "$WORK/back.dcm") == "$want" ]] && { found=1; break; }
    done
    [[ $found == 2 ]] && CHANGED_TS=$((CHANGED_TS + 1))
    [[ $found == 0 ]] && { bad=$((bad + 1)); echo "  differs: $f"; }
  done
  echo "  $checked real objects sent; $CHANGED_TS changed transfer syntax in transit"
  check_eq "every real object sent by storescu is stored" 0 "$missing"
  check_eq "every real object reads back exact (same transfer syntax)" 0 "$bad"
  check "the server is still serving" server_alive
else
  echo "SKIPPED (visible): ../shared/testdata is absent, real-data C-STORE not run"
fi
check "SIGTERM stops the server with exit 0" stop_server
check "fsck is clean" "$CLOUDFILM" fsck --data "$WORK/data"
finish
