#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `cloudfilm synth` + `cloudfilm import` + the HTTP API: what is imported
# reads back byte-exact, queries find it, fsck is clean, re-import is idempotent.
source "$(dirname "$0")/lib.sh"

"$CLOUDFILM" synth "$WORK/synth" --seed 7 --patients 3 --studies 1 --series 2 --instances 4 \
  --modalities CT,MR,US --ct-size 128 --us-frames 3 >"$WORK/synth.out"
n_files=$(find "$WORK/synth" -name '*.dcm' | wc -l)
check_eq "synth wrote the files it was asked for" 24 "$n_files"

# The synth folder also holds manifest.tsv, which is not DICOM: import says so and exits 1.
rc=0; out=$("$CLOUDFILM" import --data "$WORK/data" "$WORK/synth" 2>"$WORK/import.err") || rc=$?
check_eq "all 24 objects stored" "stored: 24" "$(grep '^stored:' <<<"$out")"
check_eq "a non-DICOM file makes import exit 1" 1 "$rc"
check "the rejected file is named with its reason" grep -q "^rejected: .*manifest.tsv: invalid-dicom" <<<"$out"
check "import on a pipe prints plain progress lines" grep -q "^import: 25/25" "$WORK/import.err"
# A CD zipped on a Mac or with 7-Zip: Chinese folder names, flagged UTF-8.
# The environment's locale is whatever the caller has (here none at all).
python3 - "$(find "$WORK/synth" -name '*.dcm' | sort | head -1)" "$WORK/cn.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w") as z:
    z.write(sys.argv[1], "张三/影像0001.dcm")
    z.writestr("张三/坏的.dcm", b"not a DICOM object")
PY
rc=0; out=$(LC_ALL= LANG= "$CLOUDFILM" import --data "$WORK/data" --quiet "$WORK/cn.zip") || rc=$?
check_eq "a ZIP with Chinese entry names is read (exit 1: one entry is bad)" 1 "$rc"
check_eq "its good entry is found already present" "already present: 1" "$(grep '^already present:' <<<"$out")"
check "its bad entry is named in UTF-8" grep -q "^rejected: .*cn.zip!张三/坏的.dcm: invalid-dicom" <<<"$out"
rc=0; out=$("$CLOUDFILM" import --data "$WORK/data" --quiet "$WORK"/synth/*/) || rc=$?
check_eq "re-import of the patient folders exits 0" 0 "$rc"
check_eq "re-import finds everything present" "already present: 24" "$(grep '^already present:' <<<"$out")"

start_server "$WORK/data"
check_eq "/api/system counts instances" 24 "$(count_instances)"
rc=0; "$CLOUDFILM" fsck --data "$WORK/data" >/dev/null 2>"$WORK/fsck.err" || rc=$?
check "fsck refuses to run beside a server" test "$rc" -ne 0
check "and says why" grep -q "in use" "$WORK/fsck.err"
rc=0; timeout 20 "$CLOUDFILM" serve --data "$WORK/data" --http-port "$(free_port)" \
  --dicom-port "$(free_port)" >/dev/null 2>"$WORK/serve2.err" || rc=$?
check "a second server on the same folder refuses to start" test "$rc" -ne 0 -a "$rc" -ne 124
check "and says why" grep -q "already serves this data folder" "$WORK/serve2.err"
check_eq "/api/system counts studies" 3 "$(curl -sf "$BASE/api/system" | jq .studies)"
bad=0
while read -r rel sop; do
  api_file "$sop" "$WORK/back.dcm" || { bad=$((bad + 1)); continue; }
  [[ $(sha "$WORK/back.dcm") == "$(sha "$WORK/synth/$rel")" ]] || bad=$((bad + 1))
done < <(awk -F'\t' 'NR > 1 { print $1, $7 }' "$WORK/synth/manifest.tsv")
check_eq "every file reads back byte-exact via /api/instances/{uid}/file" 0 "$bad"

pid=$(awk -F'\t' 'NR == 2 { print $2; exit }' "$WORK/synth/manifest.tsv")
check_eq "studies by patient ID" 1 "$(curl -sf "$BASE/api/studies?patient_id=$pid" | jq .total)"
check_eq "studies by modality" 1 "$(curl -sf "$BASE/api/studies?modality=US" | jq .total)"
check_eq "paging: limit 2 gives 2 items of 3" "2 3" "$(curl -sf "$BASE/api/studies?limit=2" | jq -r '"\(.items | length) \(.total)"')"
code=$(curl -s -o "$WORK/p.json" -w '%{http_code}' "$BASE/api/studies?limit=abc")
check_eq "bad limit is a 400" 400 "$code"
check_eq "errors are problem JSON" 400 "$(jq .status "$WORK/p.json")"
code=$(curl -s -o "$WORK/p.json" -w '%{http_code}' "$BASE/api/studies/1.2.3.4.5.6.7")
check_eq "unknown study is a 404" 404 "$code"
check_eq "unknown instance is a 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/instances/9.9.9/file")"
study=$(curl -sf "$BASE/api/studies?limit=1" | jq -r '.items[0].study_instance_uid')
check_eq "a study lists its series" 2 "$(curl -sf "$BASE/api/studies/$study" | jq '.series | length')"
qido=$(curl -sf "$BASE/dicom-web/studies?includefield=00201208" -H 'Accept: application/dicom+json')
check_eq "QIDO-RS counts the instances of every study" 24 "$(jq '[.[] | .["00201208"].Value[0]] | add' <<<"$qido")"
check_eq "QIDO-RS by PatientID" "$pid" "$(curl -sf "$BASE/dicom-web/studies?PatientID=$pid" | jq -r '.[0]["00100020"].Value[0]')"
check_eq "QIDO-RS names carry their component groups" "true" "$(jq '[.[]["00100010"].Value[0] | has("Alphabetic") or has("Ideographic")] | all' <<<"$qido")"
check_eq "QIDO-RS rejects a bad date" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies?StudyDate=2026-01")"
check "the server stops cleanly" stop_server

check "fsck is clean" "$CLOUDFILM" fsck --data "$WORK/data"

# Real public data, when it is beside the checkout.
if [[ -n ${CF_TESTDATA:-} && -f $CF_TESTDATA/MANIFEST.tsv ]]; then
  rc=0; out=$("$CLOUDFILM" import --data "$WORK/real" --quiet "$CF_TESTDATA/series" "$CF_TESTDATA/media/dicomdir-3patients/DICOMDIR") || rc=$?
  check_eq "real series and DICOMDIR media import with exit 0" 0 "$rc"
  rc=0; out=$("$CLOUDFILM" import --data "$WORK/real" --quiet "$CF_TESTDATA/malformed") || rc=$?
  check_eq "malformed files make import exit 1" 1 "$rc"
  check "each rejection names the file and the reason" grep -q "rejected: .*zero-length.dcm: invalid-dicom: empty file" <<<"$out"
  check "fsck of the real data is clean" "$CLOUDFILM" fsck --data "$WORK/real"
else
  echo "SKIPPED (visible): ../shared/testdata is absent, real-data import not run"
fi
finish
