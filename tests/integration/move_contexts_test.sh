#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A C-MOVE whose objects need more presentation contexts than one
# association carries (128): a study holding one object of each of ~140
# storage SOP classes goes to a real storescp over two associations, every
# object arriving byte-exact and counted as completed.
source "$(dirname "$0")/lib.sh"

"$CLOUDFILM" synth "$WORK/synth" --seed 7 --patients 1 --studies 1 --series 1 --instances 1 \
  --modalities CT --ct-size 16 >/dev/null
template=$(first_dicom "$WORK/synth")
STUDY=$(dicom_value "$template" StudyInstanceUID)

# The storage SOP classes DCMTK knows, without retired ones, the DICOMDIR's,
# and the non-patient ones (hanging protocols, palettes, implant templates,
# defined procedure protocols) that storescp does not accept by default.
mapfile -t CLASSES < <(grep -E '^#define UID_[A-Za-z0-9]*Storage +"' /usr/include/dcmtk/dcmdata/dcuid.h |
  grep -v -e RETIRED -e MediaStorageDirectory -e HangingProtocol -e ColorPalette -e Implant \
    -e DefinedProcedureProtocol -e ProtocolApproval | sed -E 's/.*"(.*)".*/\1/' | sort -u)
((${#CLASSES[@]} > 130)) || skip "DCMTK lists only ${#CLASSES[@]} storage classes"

mkdir -p "$WORK/objects"
n=0
for uid in "${CLASSES[@]}"; do
  n=$((n + 1))
  f=$WORK/objects/$(printf '%03d' "$n").dcm
  cp "$template" "$f"
  dcmodify -nb -q -m "(0008,0016)=$uid" -m "(0008,0018)=2.25.$((900000 + n))" -m "(0020,0013)=$n" "$f"
done

DEST_PORT=$(free_port)
mkdir -p "$WORK/dest"
storescp -v -aet DEST -od "$WORK/dest" "$DEST_PORT" >"$WORK/dest.log" 2>&1 &
DEST_PID=$!
trap 'kill $DEST_PID 2>/dev/null; cleanup' EXIT
start_server "$WORK/data" --dicom-destination "DEST=127.0.0.1:$DEST_PORT"

# storescu proposes a context per class too: send in groups that fit.
stored=0
for group in $(seq 0 40 $((n - 1))); do
  files=$(find "$WORK/objects" -name '*.dcm' | sort | tail -n +$((group + 1)) | sed -n 1,40p)
  # shellcheck disable=SC2086
  storescu -R -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" $files >>"$WORK/store.log" 2>&1 || true
done
stored=$(count_instances)
((stored > 128)) || { echo "only $stored of $n objects were stored; cannot test"; cat "$WORK/store.log" | tail -5; exit 1; }
echo "# $stored objects of $stored distinct SOP classes stored"

declare -A SENT
for f in "$WORK"/objects/*.dcm; do SENT[$(sop_of "$f")]=$(dataset_sha "$f"); done

movescu -v -S -aec CLOUDFILM -aem DEST -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" \
  127.0.0.1 "$DICOM_PORT" >"$WORK/move.log" 2>&1 || true
check "the C-MOVE ends with status 0x0000" grep -q "Received Final Move Response (Success)" "$WORK/move.log"
for ((i = 0; i < 100; i++)); do
  [[ $(find "$WORK/dest" -type f | wc -l) -ge $stored ]] && break
  sleep 0.1
done
received=0 bad=0
while read -r f; do
  received=$((received + 1))
  sop=$(sop_of "$f")
  [[ -n ${SENT[$sop]:-} && $(dataset_sha "$f") == "${SENT[$sop]}" ]] || bad=$((bad + 1))
done < <(find "$WORK/dest" -type f)
check_eq "storescp received every object, byte-exact" "$stored 0" "$received $bad"
check_eq "over two associations (128 contexts at most each)" 2 "$(grep -c 'Association Received' "$WORK/dest.log")"
check "the last pending response counts every sub-operation" \
  grep -q "Completed Suboperations *: $((stored - 1))" <(movescu -d -S -aec CLOUDFILM -aem DEST \
    -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$STUDY" 127.0.0.1 "$DICOM_PORT" 2>&1)
check "the server is up" server_alive
finish
