#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Query/Retrieve against the real server with DCMTK's findscu, movescu and
# getscu, DCMTK storescp and a real Orthanc (Debian package) as C-MOVE
# destinations: counts, returned values, and the SHA-256 of every data set
# received (the receivers write their own file meta, so data sets are
# compared) against what was stored.
source "$(dirname "$0")/lib.sh"

"$CLOUDFILM" synth "$WORK/synth" --seed 31 --patients 3 --studies 2 --series 2 --instances 3 \
  --modalities CT,MR --ct-size 64 >/dev/null

# Receivers: DEST accepts every transfer syntax, UNCOMP only uncompressed ones.
DEST_PORT=$(free_port); UNCOMP_PORT=$(free_port)
mkdir -p "$WORK/dest" "$WORK/uncomp"
storescp -aet DEST +xa -od "$WORK/dest" "$DEST_PORT" >"$WORK/dest.log" 2>&1 &
DEST_PID=$!
storescp -aet UNCOMP -od "$WORK/uncomp" "$UNCOMP_PORT" >"$WORK/uncomp.log" 2>&1 &
UNCOMP_PID=$!
trap 'kill $DEST_PID $UNCOMP_PID 2>/dev/null; cleanup' EXIT

ORTHANC_AVAILABLE=0
command -v Orthanc >/dev/null && ORTHANC_AVAILABLE=1
O_HTTP=$(free_port); O_DICOM=$(free_port)
start_server "$WORK/data" --dicom-destination "DEST=127.0.0.1:$DEST_PORT" \
  --dicom-destination "UNCOMP=127.0.0.1:$UNCOMP_PORT" --dicom-destination "ORTHANC=127.0.0.1:$O_DICOM"
check "C-STORE of 36 synthetic instances" storescu -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
check_eq "all 36 are indexed" 36 "$(count_instances)"

# What was sent: SOP Instance UID -> data set SHA-256, and the hierarchy.
declare -A SENT STUDY_OF SERIES_OF
while read -r f; do
  sop=$(sop_of "$f")
  SENT[$sop]=$(dataset_sha "$f")
  STUDY_OF[$sop]=$(dcmdump -q +P 0020,000d "$f" | sed -E 's/.*\[(.*)\].*/\1/')
  SERIES_OF[$sop]=$(dcmdump -q +P 0020,000e "$f" | sed -E 's/.*\[(.*)\].*/\1/')
done < <(find "$WORK/synth" -name '*.dcm' | sort)
first=$(first_dicom "$WORK/synth")
FIRST_SOP=$(sop_of "$first")
STUDY=${STUDY_OF[$FIRST_SOP]}
SERIES=${SERIES_OF[$FIRST_SOP]}
PATIENT_ID=$(dcmdump -q +P 0010,0020 "$first" | sed -E 's/.*\[(.*)\].*/\1/')
PATIENT_NAME=$(dcmdump +U8 -q +P 0010,0010 "$first" | sed -E 's/.*\[(.*)\].*/\1/')
expected_in() {  # expected_in STUDY|SERIES UID: how many sent instances belong to it
  local kind=$1 uid=$2 n=0 sop
  for sop in "${!SENT[@]}"; do
    if [[ $kind == STUDY && ${STUDY_OF[$sop]} == "$uid" ]] || [[ $kind == SERIES && ${SERIES_OF[$sop]} == "$uid" ]]; then n=$((n + 1)); fi
  done
  echo "$n"
}

# received DIR: prints "COUNT BAD": files in DIR and how many differ from what was sent.
received() {
  local n=0 bad=0 f sop
  while read -r f; do
    n=$((n + 1)); sop=$(sop_of "$f")
    [[ -n ${SENT[$sop]:-} && $(dataset_sha "$f") == "${SENT[$sop]}" ]] || { bad=$((bad + 1)); echo "  differs: $sop" >&2; }
  done < <(find "$1" -type f -name '*[0-9]*' ! -name '*.log')
  echo "$n $bad"
}
wait_files() {  # wait_files DIR N: storescp writes files asynchronously to the move response
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $(find "$1" -type f | wc -l) -ge $2 ]] && return 0
    sleep 0.05
  done
}

# ---- C-FIND ----
find_count() {  # find_count DIR ARGS...: runs findscu extracting responses, prints how many
  local dir=$1; shift
  rm -rf "$dir"; mkdir -p "$dir"
  findscu -aec CLOUDFILM -X -od "$dir" "$@" 127.0.0.1 "$DICOM_PORT" >"$dir.log" 2>&1 || return 1
  find "$dir" -name 'rsp*.dcm' | wc -l
}
check_eq "study root, STUDY level: 6 studies" 6 \
  "$(find_count "$WORK/f1" -S -k QueryRetrieveLevel=STUDY -k StudyInstanceUID -k PatientName -k ModalitiesInStudy -k NumberOfStudyRelatedInstances)"
rsp=$(grep -l "$STUDY" "$WORK"/f1/rsp*.dcm | head -1)
check_eq "PatientName (Chinese ideographic group) is returned as stored, in UTF-8" "$PATIENT_NAME" "$(dicom_value "$rsp" PatientName)"
check_eq "Specific Character Set is ISO_IR 192" "ISO_IR 192" "$(dicom_value "$rsp" SpecificCharacterSet)"
check_eq "NumberOfStudyRelatedInstances" "$(expected_in STUDY "$STUDY")" "$(dicom_value "$rsp" NumberOfStudyRelatedInstances | tr -d ' ')"
check "ModalitiesInStudy is CT or MR" grep -qE '^(CT|MR)$' <<<"$(dicom_value "$rsp" ModalitiesInStudy)"
check_eq "ModalitiesInStudy=CT matches 3 studies" 3 \
  "$(find_count "$WORK/f2" -S -k QueryRetrieveLevel=STUDY -k StudyInstanceUID -k ModalitiesInStudy=CT)"
check_eq "patient root, PATIENT level: 3 patients" 3 \
  "$(find_count "$WORK/f3" -P -k QueryRetrieveLevel=PATIENT -k PatientID -k PatientName -k NumberOfPatientRelatedStudies)"
rsp=$(grep -l "$PATIENT_ID" "$WORK"/f3/rsp*.dcm | head -1)
check_eq "NumberOfPatientRelatedStudies" 2 "$(dicom_value "$rsp" NumberOfPatientRelatedStudies | tr -d ' ')"
check_eq "patient root, STUDY level by PatientID: 2 studies" 2 \
  "$(find_count "$WORK/f4" -P -k QueryRetrieveLevel=STUDY -k PatientID="$PATIENT_ID" -k StudyInstanceUID)"
check_eq "patient name wildcard with the ideographic group finds the patient" 2 \
  "$(find_count "$WORK/f5" -S -k QueryRetrieveLevel=STUDY -k "PatientName=${PATIENT_NAME%%=*}*" -k StudyInstanceUID)"
check_eq "study root, SERIES level: 2 series" 2 \
  "$(find_count "$WORK/f6" -S -k QueryRetrieveLevel=SERIES -k StudyInstanceUID="$STUDY" -k SeriesInstanceUID -k Modality -k NumberOfSeriesRelatedInstances -k OperatorsName)"
rsp=$(grep -l "$SERIES" "$WORK"/f6/rsp*.dcm | head -1)
check_eq "NumberOfSeriesRelatedInstances" 3 "$(dicom_value "$rsp" NumberOfSeriesRelatedInstances | tr -d ' ')"
check "an unindexed key (OperatorsName) is present and empty" bash -c "dcmdump -q +P 0008,1070 '$rsp' | grep -q 'no value'"
check_eq "a study with private keys and a key DCMTK does not know" 1 \
  "$(find_count "$WORK/f9" -S -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" -k "(0009,0010)=ACME 1.0" -k "(0009,1001)" -k "(0020,400d)")"
rsp=$(find "$WORK/f9" -name 'rsp*.dcm' | head -1)
check "a private creator is returned as sent" bash -c "dcmdump -q +P 0009,0010 '$rsp' | grep -q 'ACME 1.0'"
check "a private key is returned, empty" bash -c "dcmdump -q +P 0009,1001 '$rsp' | grep -q 'no value'"
check "a key the dictionary lacks is returned, empty" bash -c "dcmdump -q +P 0020,400d '$rsp' | grep -q 'no value'"
check_eq "study root, IMAGE level: 3 instances" 3 \
  "$(find_count "$WORK/f7" -S -k QueryRetrieveLevel=IMAGE -k StudyInstanceUID="$STUDY" -k SeriesInstanceUID="$SERIES" -k SOPInstanceUID -k InstanceNumber)"
check "the IMAGE level returns the stored SOP Instance UID" grep -lq "$FIRST_SOP" "$WORK"/f7/rsp*.dcm
check_eq "patient root, IMAGE level: 3 instances" 3 \
  "$(find_count "$WORK/f8" -P -k QueryRetrieveLevel=IMAGE -k PatientID="$PATIENT_ID" -k StudyInstanceUID="$STUDY" -k SeriesInstanceUID="$SERIES" -k SOPInstanceUID)"
out=$(findscu -v -S -aec CLOUDFILM -k StudyInstanceUID 127.0.0.1 "$DICOM_PORT" 2>&1 || true)
check "no QueryRetrieveLevel: status 0xA900" grep -q "Final Find Response (Error: DataSetDoesNotMatchSOPClass)" <<<"$out"
out=$(findscu -v -S -aec CLOUDFILM -k QueryRetrieveLevel=STUDY -k StudyDate=20201301-20200101 127.0.0.1 "$DICOM_PORT" 2>&1 || true)
check "a bad date range: status 0xA900" grep -q "Final Find Response (Error: DataSetDoesNotMatchSOPClass)" <<<"$out"

# ---- C-MOVE ----
# One move per step: storescp may still be writing when movescu returns, so
# each step waits for its files before the folder is emptied.
movescu -d -S -aec CLOUDFILM -aem DEST -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" 127.0.0.1 "$DICOM_PORT" >"$WORK/m1.log" 2>&1
check "C-MOVE study to storescp succeeds" grep -q "DIMSE Status *: 0x0000" "$WORK/m1.log"
check "pending responses carry sub-operation counts" grep -q "Remaining Suboperations *: 2" "$WORK/m1.log"
n=$(expected_in STUDY "$STUDY"); wait_files "$WORK/dest" "$n"
check_eq "storescp received the study's data sets, byte-exact" "$n 0" "$(received "$WORK/dest")"
rm -rf "$WORK/dest"/*
movescu -S -aec CLOUDFILM -aem DEST -k QueryRetrieveLevel=SERIES -k StudyInstanceUID="$STUDY" -k SeriesInstanceUID="$SERIES" 127.0.0.1 "$DICOM_PORT" >/dev/null 2>&1
wait_files "$WORK/dest" 3
check_eq "C-MOVE series: 3 data sets, byte-exact" "3 0" "$(received "$WORK/dest")"
rm -rf "$WORK/dest"/*
movescu -P -aec CLOUDFILM -aem DEST -k QueryRetrieveLevel=IMAGE -k PatientID="$PATIENT_ID" -k StudyInstanceUID="$STUDY" -k SeriesInstanceUID="$SERIES" -k SOPInstanceUID="$FIRST_SOP" 127.0.0.1 "$DICOM_PORT" >/dev/null 2>&1
wait_files "$WORK/dest" 1
check_eq "C-MOVE image (patient root): 1 data set, byte-exact" "1 0" "$(received "$WORK/dest")"
rm -rf "$WORK/dest"/*
movescu -P -aec CLOUDFILM -aem DEST -k QueryRetrieveLevel=PATIENT -k PatientID="$PATIENT_ID" 127.0.0.1 "$DICOM_PORT" >/dev/null 2>&1
wait_files "$WORK/dest" 12
check_eq "C-MOVE patient: 12 data sets, byte-exact" "12 0" "$(received "$WORK/dest")"
out=$(movescu -v -S -aec CLOUDFILM -aem NOWHERE -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" 127.0.0.1 "$DICOM_PORT" 2>&1 || true)
check "an unknown destination AE is refused with 0xA801" grep -qiE "MoveDestinationUnknown|a801" <<<"$out"

# ---- C-GET ----
mkdir -p "$WORK/get1" "$WORK/get2"
check "C-GET study succeeds" getscu -S -aec CLOUDFILM -od "$WORK/get1" -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" 127.0.0.1 "$DICOM_PORT"
check_eq "C-GET study: every data set, byte-exact" "$(expected_in STUDY "$STUDY") 0" "$(received "$WORK/get1")"
check "C-GET series succeeds" getscu -S -aec CLOUDFILM -od "$WORK/get2" -k QueryRetrieveLevel=SERIES -k StudyInstanceUID="$STUDY" -k SeriesInstanceUID="$SERIES" 127.0.0.1 "$DICOM_PORT"
check_eq "C-GET series: 3 data sets, byte-exact" "3 0" "$(received "$WORK/get2")"

# ---- Orthanc as the C-MOVE destination ----
if [[ $ORTHANC_AVAILABLE == 1 ]]; then
  mkdir -p "$WORK/orthanc"
  cat >"$WORK/orthanc.json" <<JSON
{
  "Name": "cloudfilm-qr", "StorageDirectory": "$WORK/orthanc", "IndexDirectory": "$WORK/orthanc",
  "HttpPort": $O_HTTP, "DicomPort": $O_DICOM, "DicomAet": "ORTHANC",
  "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "DicomCheckCalledAet": false,
  "Plugins": []
}
JSON
  Orthanc "$WORK/orthanc.json" >"$WORK/orthanc.log" 2>&1 &
  ORTHANC_PID=$!
  OB=http://127.0.0.1:$O_HTTP
  for ((i = 0; i < 500; i++)); do curl -q -sf "$OB/system" >/dev/null 2>&1 && break; sleep 0.05; done
  check "C-MOVE study to Orthanc succeeds" grep -q "Final Move Response (Success)" \
    <(movescu -v -S -aec CLOUDFILM -aem ORTHANC -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" 127.0.0.1 "$DICOM_PORT" 2>&1)
  mkdir -p "$WORK/from-orthanc"
  for id in $(curl -q -sf "$OB/instances" | jq -r '.[]'); do curl -q -sf "$OB/instances/$id/file" -o "$WORK/from-orthanc/$id.dcm"; done
  check_eq "Orthanc holds the study's data sets, byte-exact" "$(expected_in STUDY "$STUDY") 0" "$(received "$WORK/from-orthanc")"
else
  echo "SKIPPED (visible): Orthanc is not installed, C-MOVE to Orthanc not run"
fi

# ---- a compressed object to a destination that accepts only uncompressed ----
jls=${CF_TESTDATA:-/nonexistent}/codecs/mr_small_jpegls-lossless.dcm
if [[ -f $jls ]]; then
  storescu -R -xt -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$jls" >/dev/null 2>&1
  sop=$(sop_of "$jls")
  check_eq "the JPEG-LS object is stored as JPEG-LS" 1.2.840.10008.1.2.4.80 \
    "$(curl -sf "$BASE/api/instances/$sop" | jq -r '.versions[0].transfer_syntax_uid // .transfer_syntax_uid // empty' | head -1 || true)"
  movescu -S -aec CLOUDFILM -aem UNCOMP -k QueryRetrieveLevel=IMAGE -k StudyInstanceUID="$(dcmdump -q +P 0020,000d "$jls" | sed -E 's/.*\[(.*)\].*/\1/')" \
    -k SeriesInstanceUID="$(dcmdump -q +P 0020,000e "$jls" | sed -E 's/.*\[(.*)\].*/\1/')" -k SOPInstanceUID="$sop" 127.0.0.1 "$DICOM_PORT" >"$WORK/m-jls.log" 2>&1
  wait_files "$WORK/uncomp" 1
  got=$(find "$WORK/uncomp" -type f | head -1)
  check "the uncompressed-only destination received it" test -n "$got"
  check "it arrived uncompressed" grep -qE '^1\.2\.840\.10008\.1\.2(\.1|\.2)?$' <<<"$(ts_of "$got")"
  dcmdjpls "$jls" "$WORK/jls-reference.dcm"  # DCMTK's own decoder as the reference
  mkdir -p "$WORK/px-ref" "$WORK/px-got"
  dcmdump -q +W "$WORK/px-ref" "$WORK/jls-reference.dcm" >/dev/null
  dcmdump -q +W "$WORK/px-got" "$got" >/dev/null
  check_eq "with the same pixels" "$(cat "$WORK"/px-ref/*.raw | sha256sum)" "$(cat "$WORK"/px-got/*.raw | sha256sum)"
else
  echo "SKIPPED (visible): ../shared/testdata is absent, the compressed C-MOVE test not run"
fi

# ---- C-CANCEL: enough matches that the responses are still going out when
# it arrives (a few hundred go out before a cancel sent after the second
# response is seen) ----
"$CLOUDFILM" synth "$WORK/many" --seed 32 --patients 1 --studies 1 --series 1 --instances 2000 --ct-size 16 --threads 2 >/dev/null
storescu -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/many" >/dev/null 2>&1
out=$(findscu -v -S -aec CLOUDFILM --cancel 2 -k QueryRetrieveLevel=IMAGE -k SOPInstanceUID 127.0.0.1 "$DICOM_PORT" 2>&1 || true)
check "C-CANCEL ends a C-FIND with status 0xFE00" grep -aq "Final Find Response (Cancel" <<<"$out"

check "the server is still serving" server_alive
check "SIGTERM stops the server with exit 0" stop_server
finish
