#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real Orthanc (Debian package) as a DICOM peer: it stores to us with its
# own C-STORE SCU (/modalities/{id}/store), and what arrives is what Orthanc
# holds; then, emptied, it finds the studies on us with its C-FIND SCU
# (/modalities/{id}/query) and takes them back by C-MOVE (/retrieve).
source "$(dirname "$0")/lib.sh"
command -v Orthanc >/dev/null || skip "Orthanc is not installed"

"$CLOUDFILM" synth "$WORK/synth" --seed 21 --patients 2 --studies 1 --series 1 --instances 6 \
  --modalities CT,MR --ct-size 128 >/dev/null
O_HTTP=$(free_port); O_DICOM=$(free_port)
start_server "$WORK/data" --dicom-destination "ORTHANC=127.0.0.1:$O_DICOM"

mkdir -p "$WORK/orthanc"
cat >"$WORK/orthanc.json" <<JSON
{
  "Name": "cloudfilm-it", "StorageDirectory": "$WORK/orthanc", "IndexDirectory": "$WORK/orthanc",
  "HttpPort": $O_HTTP, "DicomPort": $O_DICOM, "DicomAet": "ORTHANC",
  "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
  "DicomModalities": { "cloudfilm": [ "CLOUDFILM", "127.0.0.1", $DICOM_PORT ] },
  "Plugins": []
}
JSON
Orthanc "$WORK/orthanc.json" >"$WORK/orthanc.log" 2>&1 &
ORTHANC_PID=$!
OB=http://127.0.0.1:$O_HTTP
for ((i = 0; i < 500; i++)); do curl -q -sf "$OB/system" >/dev/null 2>&1 && break; sleep 0.05; done
check "Orthanc is up" curl -q -sf "$OB/system" -o /dev/null

ids=()
while read -r f; do
  ids+=("$(curl -q -sf -X POST --data-binary @"$f" "$OB/instances" | jq -r .ID)")
done < <(find "$WORK/synth" -name '*.dcm' | sort)
check_eq "Orthanc holds the 12 files" 12 "$(curl -q -sf "$OB/instances" | jq length)"

check "C-ECHO from Orthanc to us" curl -q -sf -X POST "$OB/modalities/cloudfilm/echo" -d '{}' -o /dev/null
body=$(printf '%s\n' "${ids[@]}" | jq -R . | jq -s '{Resources: ., Synchronous: true}')
check "Orthanc's C-STORE to us succeeds" curl -q -sf -X POST "$OB/modalities/cloudfilm/store" -d "$body" -o "$WORK/store.json"
check_eq "we index the 12 instances" 12 "$(count_instances)"

bad=0
for id in "${ids[@]}"; do
  curl -q -sf "$OB/instances/$id/file" -o "$WORK/orthanc.dcm"
  sop=$(sop_of "$WORK/orthanc.dcm")
  api_file "$sop" "$WORK/ours.dcm" || { bad=$((bad + 1)); continue; }
  [[ $(dataset_sha "$WORK/orthanc.dcm") == $(dataset_sha "$WORK/ours.dcm") ]] || bad=$((bad + 1))
done
check_eq "every dataset Orthanc sent reads back exact" 0 "$bad"

# Orthanc again: idempotent.
curl -q -sf -X POST "$OB/modalities/cloudfilm/store" -d "$body" -o /dev/null
check_eq "a second store from Orthanc adds nothing" 12 "$(count_instances)"

# Orthanc forgets everything, then queries us and moves a study back.
for id in "${ids[@]}"; do curl -q -sf -X DELETE "$OB/instances/$id" -o /dev/null; done
check_eq "Orthanc is empty" 0 "$(curl -q -sf "$OB/instances" | jq length)"
P1=$(awk -F'\t' 'NR == 2 { print $2 }' "$WORK/synth/manifest.tsv")
S1=$(awk -F'\t' 'NR == 2 { print $5 }' "$WORK/synth/manifest.tsv")
n1=$(awk -F'\t' -v s="$S1" 'NR > 1 && $5 == s' "$WORK/synth/manifest.tsv" | wc -l)
query=$(curl -q -sf -X POST "$OB/modalities/cloudfilm/query" \
  -d "{\"Level\": \"Study\", \"Query\": {\"PatientID\": \"$P1\", \"StudyInstanceUID\": \"\", \"NumberOfStudyRelatedInstances\": \"\"}}" | jq -r .ID)
check "Orthanc's C-FIND to us answers" test -n "$query" -a "$query" != null
answers=$(curl -q -sf "$OB/queries/$query/answers?expand" )
check_eq "one study of that patient" "$S1" "$(jq -r '.[0]["0020,000d"].Value' <<<"$answers")"
check_eq "with its instance count" "$n1" "$(jq -r '.[0]["0020,1208"].Value' <<<"$answers")"
all=$(curl -q -sf -X POST "$OB/modalities/cloudfilm/query" -d '{"Level": "Study", "Query": {"PatientName": "*"}}' | jq -r .ID)
check_eq "a wildcard query finds both studies" 2 "$(curl -q -sf "$OB/queries/$all/answers" | jq length)"
check "Orthanc's C-MOVE from us to itself succeeds" \
  curl -q -sf -X POST "$OB/queries/$query/retrieve" -d '{"TargetAet": "ORTHANC", "Synchronous": true}' -o "$WORK/move.json"
check_eq "Orthanc received the study's instances" "$n1" "$(curl -q -sf "$OB/instances" | jq length)"
bad=0
for id in $(curl -q -sf "$OB/instances" | jq -r '.[]'); do
  curl -q -sf "$OB/instances/$id/file" -o "$WORK/back.dcm"
  sop=$(sop_of "$WORK/back.dcm")
  f=$(awk -F'\t' -v s="$sop" 'NR > 1 && $7 == s { print $1 }' "$WORK/synth/manifest.tsv")
  [[ -n $f && $(dataset_sha "$WORK/back.dcm") == $(dataset_sha "$WORK/synth/$f") ]] || bad=$((bad + 1))
done
check_eq "every data set Orthanc got back is the one first sent" 0 "$bad"
check "SIGTERM stops the server with exit 0" stop_server
finish
