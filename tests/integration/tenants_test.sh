#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hospitals as tenants, end to end with real clients: two hospitals send the
# same study (same UIDs, different patients) from their own AE titles with
# DCMTK storescu; each hospital's C-FIND, C-MOVE, C-GET, DICOMweb and JSON
# API see only its own; C-MOVE never sends to another hospital's node; an
# AE title that belongs to no hospital is refused; the platform sees both
# and must name one for an ambiguous UID; `cloudfilm import --tenant`
# files a CD under its hospital; each hospital's blobs are sealed with its
# own data key, and crypto-shredding one hospital spares the other.
source "$(dirname "$0")/lib.sh"

RJ_DEST_PORT=$(free_port); HS_DEST_PORT=$(free_port)
mkdir -p "$WORK/rj-dest" "$WORK/hs-dest"
storescp -aet RJ_DEST -od "$WORK/rj-dest" "$RJ_DEST_PORT" >"$WORK/rj-dest.log" 2>&1 &
RJ_DEST_PID=$!
storescp -aet HS_DEST -od "$WORK/hs-dest" "$HS_DEST_PORT" >"$WORK/hs-dest.log" 2>&1 &
HS_DEST_PID=$!
trap 'kill $RJ_DEST_PID $HS_DEST_PID 2>/dev/null; cleanup' EXIT

cat >"$WORK/cloudfilm.toml" <<TOML
[dicom]
destinations = { RJ_DEST = "127.0.0.1:$RJ_DEST_PORT", HS_DEST = "127.0.0.1:$HS_DEST_PORT" }

[tenants.ruijin]
name = "Ruijin Hospital"
region = "shanghai"
ae_titles = ["RJ_CT", "RJ_DEST"]

[tenants.huashan]
name = "Huashan Hospital"
region = "shanghai"
ae_titles = ["HS_CT", "HS_DEST"]
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")

"$CLOUDFILM" config show "${CONFIG[@]}" >"$WORK/config.out"
check "config show refuses unknown callers once hospitals are configured" \
  grep -q "unknown_callers = 'refuse'" "$WORK/config.out"
check "and lists both hospitals" grep -q "Huashan Hospital" "$WORK/config.out"
cat >"$WORK/dup.toml" <<TOML
[tenants.a]
ae_titles = ["SAME"]
[tenants.b]
ae_titles = ["SAME"]
TOML
rc=0; out=$("$CLOUDFILM" config show --config "$WORK/dup.toml" 2>&1) || rc=$?
check "an AE title listed by two hospitals is a configuration error" \
  bash -c "[[ $rc -ne 0 ]] && grep -q 'belongs to one hospital' <<<'$out'"

# One synthetic study, and the same UIDs under another patient (a second
# hospital whose generator or CD collides with the first).
"$CLOUDFILM" synth "$WORK/rj" --seed 41 --patients 1 --studies 1 --series 1 --instances 3 \
  --ct-size 32 >/dev/null
cp -r "$WORK/rj" "$WORK/hs"
find "$WORK/hs" -name '*.dcm' -exec dcmodify -nb -m "PatientID=HS-PATIENT-7" \
  -m "PatientName=Huashan^Patient" {} + >/dev/null 2>&1
FIRST=$(first_dicom "$WORK/rj")
STUDY=$(dicom_value "$FIRST" StudyInstanceUID)
SOP=$(dicom_value "$FIRST" SOPInstanceUID)
RJ_PID=$(dicom_value "$FIRST" PatientID)

start_server "$WORK/data" "${CONFIG[@]}"
check "RJ_CT stores the study" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/rj"
check "HS_CT stores the same UIDs" storescu -aet HS_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/hs"
check_eq "both are kept: 6 instances, 2 patients" "6 2" \
  "$(curl -sf "$BASE/api/system" | jq -r '"\(.instances) \(.patients)"')"
rc=0; storescu -aet STRANGER -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$FIRST" >"$WORK/stranger.log" 2>&1 || rc=$?
check "an AE title of no hospital is refused" bash -c "[[ $rc -ne 0 ]] && grep -qi 'rejected\|not recognized' '$WORK/stranger.log'"
check_eq "and nothing more is stored" 6 "$(curl -sf "$BASE/api/system" | jq -r .instances)"

# ---- C-FIND, C-MOVE, C-GET per hospital ----
find_ids() {  # find_ids AE: the Patient IDs of every study the AE finds
  local dir=$WORK/find-$1
  rm -rf "$dir"; mkdir -p "$dir"
  findscu -aet "$1" -aec CLOUDFILM -S -X -od "$dir" -k QueryRetrieveLevel=STUDY -k PatientID \
    -k StudyInstanceUID 127.0.0.1 "$DICOM_PORT" >/dev/null 2>&1
  for f in "$dir"/rsp*.dcm; do [[ -e $f ]] && dicom_value "$f" PatientID; done | sort | tr '\n' ' '
}
check_eq "RJ_CT's C-FIND finds only Ruijin's patient" "$RJ_PID " "$(find_ids RJ_CT)"
check_eq "HS_CT's C-FIND finds only Huashan's patient" "HS-PATIENT-7 " "$(find_ids HS_CT)"

out=$(movescu -v -aet RJ_CT -aec CLOUDFILM -aem HS_DEST -S -k QueryRetrieveLevel=STUDY \
  -k StudyInstanceUID="$STUDY" 127.0.0.1 "$DICOM_PORT" 2>&1 || true)
check "RJ_CT cannot move its study to Huashan's node (0xA801)" grep -qiE "MoveDestinationUnknown|a801" <<<"$out"
check_eq "and Huashan's node received nothing" 0 "$(find "$WORK/hs-dest" -type f | wc -l)"
movescu -aet RJ_CT -aec CLOUDFILM -aem RJ_DEST -S -k QueryRetrieveLevel=STUDY \
  -k StudyInstanceUID="$STUDY" 127.0.0.1 "$DICOM_PORT" >"$WORK/move-rj.log" 2>&1
for ((i = 0; i < 100; i++)); do [[ $(find "$WORK/rj-dest" -type f | wc -l) -ge 3 ]] && break; sleep 0.05; done
check_eq "RJ_CT moves its study to its own node: 3 objects" 3 "$(find "$WORK/rj-dest" -type f | wc -l)"
ids=$(for f in "$WORK"/rj-dest/*; do [[ -f $f ]] && dicom_value "$f" PatientID; done | sort -u | tr '\n' ' ')
check_eq "all of them Ruijin's patient" "$RJ_PID " "$ids"
mkdir -p "$WORK/hs-get"
check "HS_CT's C-GET of the study succeeds" getscu -aet HS_CT -aec CLOUDFILM -S -od "$WORK/hs-get" \
  -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" 127.0.0.1 "$DICOM_PORT"
ids=$(for f in "$WORK"/hs-get/*; do [[ -f $f ]] && dicom_value "$f" PatientID; done | sort -u | tr '\n' ' ')
check_eq "and gets Huashan's objects only" "HS-PATIENT-7 " "$ids"

# ---- HTTP: accounts of each hospital ----
RJ_DOC=$(account_token "$WORK/data" dr.rj doctor ruijin "${CONFIG[@]}")
HS_DOC=$(account_token "$WORK/data" dr.hs doctor huashan "${CONFIG[@]}")
rc=0; printf 'a long enough password\n' | "$CLOUDFILM" accounts create "${CONFIG[@]}" --data "$WORK/data" \
  --login dr.typo --role doctor --tenant ruijn >/dev/null 2>"$WORK/typo.err" || rc=$?
check "an account of an unconfigured hospital is refused" bash -c "[[ $rc -ne 0 ]] && grep -q 'unknown tenant' '$WORK/typo.err'"
as() { local t=$1; shift; curl -q -s -H "Authorization: Bearer $t" "$@"; }
check_eq "Ruijin's doctor lists one study, Ruijin's patient" "1 $RJ_PID" \
  "$(as "$RJ_DOC" "$BASE/api/studies" | jq -r '"\(.total) \(.items[0].patient_id)"')"
check_eq "Huashan's doctor: Huashan's patient, by QIDO-RS" "HS-PATIENT-7" \
  "$(as "$HS_DOC" "$BASE/dicom-web/studies?StudyInstanceUID=$STUDY" | jq -r '.[0]["00100020"].Value[0]')"
as "$HS_DOC" -o "$WORK/hs.dcm" "$BASE/api/instances/$SOP/file"
check_eq "Huashan's doctor downloads Huashan's object" "HS-PATIENT-7" "$(dicom_value "$WORK/hs.dcm" PatientID)"
check_eq "naming the other hospital is refused: 403" 403 "$(as "$HS_DOC" -o /dev/null -w '%{http_code}' \
  -H 'X-Cloudfilm-Tenant: ruijin' "$BASE/api/studies/$STUDY")"
check_eq "naming a hospital that does not exist: 400" 400 "$(as "$HS_DOC" -o /dev/null -w '%{http_code}' \
  -H 'X-Cloudfilm-Tenant: ruijn' "$BASE/api/studies")"
check_eq "the platform sees both hospitals" "huashan ruijin" \
  "$(curl -sf "$BASE/api/studies" | jq -r '[.items[].tenant] | sort | join(" ")')"
check_eq "and must name one for a UID both hold: 409" 409 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/studies/$STUDY")"
check_eq "named, it gets that hospital's study" "$RJ_PID" \
  "$(curl -sf -H 'X-Cloudfilm-Tenant: ruijin' "$BASE/api/studies/$STUDY" | jq -r .patient_id)"
HS_ADMIN=$(account_token "$WORK/data" admin.hs hospital-admin huashan "${CONFIG[@]}")
check_eq "Huashan's admin sees Huashan's totals only: 3 instances, 1 patient, its hospital named" \
  "3 1 huashan" "$(as "$HS_ADMIN" "$BASE/api/system" | jq -r '"\(.instances) \(.patients) \(.tenant)"')"
check_eq "and its own bytes per modality" \
  "$(as "$HS_ADMIN" "$BASE/api/system" | jq .bytes_received)" \
  "$(as "$HS_ADMIN" "$BASE/api/system" | jq '[.storage.by_modality[].bytes_received] | add')"
check_eq "the platform sees the node: 6 instances, 2 patients" "6 2 null" \
  "$(curl -sf "$BASE/api/system" | jq -r '"\(.instances) \(.patients) \(.tenant)"')"
check_eq "or one hospital, named" "3 ruijin" \
  "$(curl -sf -H 'X-Cloudfilm-Tenant: ruijin' "$BASE/api/system" | jq -r '"\(.instances) \(.tenant)"')"
events=$(as "$HS_DOC" -o /dev/null "$BASE/dicom-web/studies/$STUDY/metadata"; \
  curl -sf "$BASE/api/audit?tenant=huashan&limit=500" | jq -r '[.events[] | select(.actor == "dr.hs" and .tenant == "huashan")] | length')
check "Huashan's doctor's reads are audit events of Huashan" test "$events" -ge 1

# ---- import --tenant ----
"$CLOUDFILM" synth "$WORK/cd" --seed 42 --patients 1 --studies 1 --series 1 --instances 2 --ct-size 32 >/dev/null
stop_server
rc=0; "$CLOUDFILM" import "${CONFIG[@]}" --data "$WORK/data" --tenant ruijn -q "$WORK/cd" >/dev/null 2>"$WORK/imp.err" || rc=$?
check "import --tenant with an unknown hospital is refused" bash -c "[[ $rc -ne 0 ]] && grep -q 'unknown tenant' '$WORK/imp.err'"
check "import --tenant huashan files a CD" "$CLOUDFILM" import "${CONFIG[@]}" --data "$WORK/data" \
  --tenant huashan -q $(find "$WORK/cd" -name '*.dcm')
CD_STUDY=$(dicom_value "$(find "$WORK/cd" -name '*.dcm' | head -1)" StudyInstanceUID)

# ---- keys and blobs per hospital ----
check "each hospital has its own data key" bash -c \
  "ls '$WORK/data/keys' | grep -q '^ruijin\.' && ls '$WORK/data/keys' | grep -q '^huashan\.'"
check "each hospital's blobs are filed under it" bash -c \
  "[[ -n \$(find '$WORK/data/blobs/ruijin' -type f | head -1) && -n \$(find '$WORK/data/blobs/huashan' -type f | head -1) ]]"
rm -f "$WORK"/data/keys/huashan.*  # crypto-shredding Huashan
start_server "$WORK/data" "${CONFIG[@]}"
check_eq "after crypto-shredding Huashan, Ruijin's object still reads" "$RJ_PID" \
  "$(as "$RJ_DOC" -o "$WORK/rj.dcm" "$BASE/api/instances/$SOP/file"; dicom_value "$WORK/rj.dcm" PatientID)"
check_eq "and Huashan's does not: 500" 500 \
  "$(as "$HS_DOC" -o /dev/null -w '%{http_code}' "$BASE/api/instances/$SOP/file")"

check_eq "the CD is Huashan's: its doctor finds it" 1 \
  "$(as "$HS_DOC" "$BASE/dicom-web/studies?StudyInstanceUID=$CD_STUDY" | jq length)"
check_eq "Ruijin's does not" 0 "$(as "$RJ_DOC" "$BASE/dicom-web/studies?StudyInstanceUID=$CD_STUDY" | jq length)"
check "the server is still serving" server_alive
check "SIGTERM stops the server with exit 0" stop_server
finish
