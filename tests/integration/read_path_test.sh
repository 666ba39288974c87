#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The WADO-RS read path with encryption at rest (the default): a study
# retrieve is byte-exact with its objects as received (sealed blobs, whose
# AEAD tag is the check) and in their compressed stored form (rebuilt and
# checked against their SHA-256); a sealed blob altered on disk is refused;
# a catalog entry pointing at another object's sealed blob is refused
# (an attacker with the catalog and its key, cf_sql_tamper); fsck still
# finds both.
source "$(dirname "$0")/lib.sh"
: "${CF_SQL_TAMPER:?CF_SQL_TAMPER must name the cf_sql_tamper tool}"

"$CLOUDFILM" synth "$WORK/synth" --seed 11 --patients 1 --studies 1 --series 2 --instances 12 \
  --modalities CT --ct-size 128 >/dev/null
MANIFEST=$WORK/synth/manifest.tsv
STUDY=$(awk -F'\t' 'NR == 2 { print $5 }' "$MANIFEST")
n=$(($(wc -l <"$MANIFEST") - 1))
expected=$(awk -F'\t' 'NR > 1 { print $1 }' "$MANIFEST" | while read -r rel; do sha "$WORK/synth/$rel"; done | sort)
"$CLOUDFILM" import --data "$WORK/data" --quiet "$WORK/synth"/*/ >/dev/null
check_eq "every imported blob is sealed (CFX1)" "$n" \
  "$(find "$WORK/data/blobs" -name '*.dcm' -exec head -c 4 {} \; -exec echo \; | grep -c '^CFX1$')"
STAR='multipart/related; type="application/dicom"; transfer-syntax=*'

retrieve_exact() {  # retrieve_exact NAME: the study, every part the file sent
  local code
  code=$(get "$1" "$BASE/dicom-web/studies/$STUDY" -H "Accept: $STAR")
  split_parts "$1"
  check_eq "$1: 200, one part per object" "200 $n" "$code $(wc -l <"$WORK/$1.parts")"
  check_eq "$1: every part is the file sent (SHA-256)" "$expected" \
    "$(awk '{ print $2 }' "$WORK/$1.parts" | sort)"
}

# --- As received: sealed blobs, opened and checked by their tag ---------------
start_server "$WORK/data"
retrieve_exact received
for i in 1 2 3; do retrieve_exact "received_again$i" >/dev/null; done
check_eq "three more retrieves, the same bytes" "$(cat "$WORK/received.parts" | awk '{ print $2 }' | sort)" \
  "$(awk '{ print $2 }' "$WORK/received_again3.parts" | sort)"
stop_server

# --- The stored form: rebuilt, SHA-256 checked --------------------------------
cp -a "$WORK/data" "$WORK/stored"
"$CLOUDFILM" compact --data "$WORK/stored" >/dev/null
stored=$("$CLOUDFILM" sql --data "$WORK/stored" "SELECT count(*) FROM instances WHERE stored_form = 2")
check_eq "compact gave every object its stored form" "$n" "$stored"
start_server "$WORK/stored"
retrieve_exact stored
stop_server

# --- A sealed blob altered on disk ----------------------------------------------
SOP1=$(awk -F'\t' 'NR == 2 { print $7 }' "$MANIFEST")
SERIES1=$(awk -F'\t' 'NR == 2 { print $6 }' "$MANIFEST")
SOP2=$(awk -F'\t' -v s="$SERIES1" 'NR > 2 && $6 == s { print $7; exit }' "$MANIFEST")
blob_of() { "$CLOUDFILM" sql --data "$1" "SELECT blob_key FROM instances WHERE sop_uid = '$2'"; }
cp -a "$WORK/data" "$WORK/altered"
B1=$WORK/altered/blobs/$(blob_of "$WORK/altered" "$SOP1")
size=$(stat -c %s "$B1")
# One byte in the middle of the ciphertext, flipped.
python3 - "$B1" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x01
open(p, "wb").write(b)
PY
check_eq "the altered blob keeps its size" "$size" "$(stat -c %s "$B1")"
start_server "$WORK/altered"
INST=$BASE/dicom-web/studies/$STUDY/series/$SERIES1/instances
code=$(get alt1 "$INST/$SOP1" -H "Accept: $STAR")
check_eq "WADO-RS of the altered instance: 500 problem, no bytes" "500 0" \
  "$code $(grep -ac DICM "$WORK/alt1.body" || true)"
code=$(get alt1u "$BASE/wado?requestType=WADO&studyUID=$STUDY&seriesUID=$SERIES1&objectUID=$SOP1&contentType=application/dicom&transferSyntax=*")
check_eq "WADO-URI of the altered instance: 500" 500 "$code"
code=$(get alt2 "$INST/$SOP2" -H "Accept: $STAR")
split_parts alt2
check_eq "its neighbour is still served, exact" "200 $(sha "$WORK/synth/$(awk -F'\t' -v s="$SOP2" '$7 == s { print $1 }' "$MANIFEST")")" \
  "$code $(awk '{ print $2 }' "$WORK/alt2.parts")"
# The study: the answer is cut where the altered object would be, never
# complete-looking (curl reports the transfer as incomplete, or a 500 when
# it is the first part).
rc=0
code=$(curl -s -o "$WORK/altstudy.body" -w '%{http_code}' -H "Accept: $STAR" "$BASE/dicom-web/studies/$STUDY") || rc=$?
check "the study retrieve fails visibly (500, or a cut transfer)" \
  test "$code" = 500 -o "$rc" -ne 0
check "  and never with the closing delimiter" bash -c "! tail -c 64 '$WORK/altstudy.body' | grep -aq -- '--\$'"
stop_server
rc=0; "$CLOUDFILM" fsck --data "$WORK/altered" >"$WORK/fsck1.out" 2>&1 || rc=$?
check_eq "fsck reports the altered blob (exit 1)" 1 "$rc"

# --- A catalog entry naming another object's blob ------------------------------
cp -a "$WORK/data" "$WORK/swapped"
K1=$(blob_of "$WORK/swapped" "$SOP1"); K2=$(blob_of "$WORK/swapped" "$SOP2")
"$CF_SQL_TAMPER" "$WORK/swapped" catalog \
  "UPDATE instances SET blob_key = 'swap' WHERE sop_uid = '$SOP1';
   UPDATE instances SET blob_key = '$K1' WHERE sop_uid = '$SOP2';
   UPDATE instances SET blob_key = '$K2' WHERE sop_uid = '$SOP1';" >/dev/null
check_eq "the catalog now names each other's blob" "$K2 $K1" \
  "$(blob_of "$WORK/swapped" "$SOP1") $(blob_of "$WORK/swapped" "$SOP2")"
start_server "$WORK/swapped"
INST=$BASE/dicom-web/studies/$STUDY/series/$SERIES1/instances
code=$(get sw1 "$INST/$SOP1" -H "Accept: $STAR")
check_eq "WADO-RS of an instance whose entry names another's blob: 500" 500 "$code"
code=$(get sw2 "$INST/$SOP2" -H "Accept: $STAR")
check_eq "  and of the other one: 500" 500 "$code"
check "  logged as a hash mismatch" grep -q "retrieve.hash_mismatch" "$WORK/server.log"
stop_server

finish
