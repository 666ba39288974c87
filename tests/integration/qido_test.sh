#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# QIDO-RS through the real binary with curl: studies, series and instances
# at every level, each matching type (single value, UID list, wildcard,
# date range, fuzzy names in Chinese and Latin script), includefield,
# paging with its Warning header, and the 400/406 answers to bad queries.
# Every expected answer is computed from the synthetic data's manifest.
source "$(dirname "$0")/lib.sh"

"$CLOUDFILM" synth "$WORK/synth" --seed 21 --patients 6 --studies 2 --series 2 --instances 2 \
  --modalities CT,MR,US --ct-size 32 --us-frames 2 --charset mixed >/dev/null
MANIFEST=$WORK/synth/manifest.tsv
rc=0; "$CLOUDFILM" import --data "$WORK/data" --quiet "$WORK/synth"/*/ >/dev/null || rc=$?
check_eq "import exits 0" 0 "$rc"
start_server "$WORK/data"
W=$BASE/dicom-web

# Sorted values of TAG in a QIDO answer, one per line.
values() { jq -r --arg t "$2" '.[][$t].Value[0] // empty' "$WORK/$1.body" | sort; }
# Sorted distinct values of manifest column N over rows where AWK_COND holds.
expect() { awk -F'\t' -v OFS='\t' "NR > 1 && ($2) { print \$$1 }" "$MANIFEST" | sort -u; }
problem_mentions() {  # problem_mentions NAME WORD: problem JSON whose detail names WORD
  [[ $(jq -r .status "$WORK/$1.body") == 400 ]] && jq -r .detail "$WORK/$1.body" | grep -q "$2"
}
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

STUDY_UID=5; SERIES_UID=6; SOP_UID=7; MODALITY=9; STUDY_DATE=10

# --- Studies -------------------------------------------------------------------
check_eq "all studies: 200" 200 "$(get all "$W/studies")"
check_eq "all studies: dicom+json" "application/dicom+json" "$(header all Content-Type)"
check_eq "all studies listed" "$(expect $STUDY_UID 1)" "$(values all 0020000D)"
check "newest study first" bash -c "jq -r '.[][\"00080020\"].Value[0]' '$WORK/all.body' | sort -c -r"
S1=$(awk -F'\t' 'NR == 2 { print $5 }' "$MANIFEST")
n1=$(awk -F'\t' -v s="$S1" 'NR > 1 && $5 == s' "$MANIFEST" | wc -l)
get one "$W/studies?StudyInstanceUID=$S1" >/dev/null
check_eq "study counts its instances" "$n1" \
  "$(jq -r '.[0]["00201208"].Value[0]' "$WORK/one.body")"
check_eq "study counts its series" 2 "$(jq -r '.[0]["00201206"].Value[0]' "$WORK/one.body")"
check_eq "RetrieveURL names the study" "$W/studies/$S1" \
  "$(jq -r '.[0]["00081190"].Value[0]' "$WORK/one.body")"
check_eq "RetrieveURL retrieves" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$(jq -r '.[0]["00081190"].Value[0]' "$WORK/one.body")")"

P1=$(awk -F'\t' 'NR == 2 { print $2 }' "$MANIFEST")
get pid "$W/studies?PatientID=$P1" >/dev/null
check_eq "PatientID single value" "$(expect $STUDY_UID "\$2 == \"$P1\"")" "$(values pid 0020000D)"
get pidtag "$W/studies?00100020=$P1" >/dev/null
check_eq "matching key by tag" "$(values pid 0020000D)" "$(values pidtag 0020000D)"

S2=$(awk -F'\t' -v s="$S1" 'NR > 1 && $5 != s { print $5; exit }' "$MANIFEST")
get list "$W/studies?StudyInstanceUID=$S1%5C$S2%5C1.2.3.4" >/dev/null
check_eq "UID list matching" "$(printf '%s\n%s\n' "$S1" "$S2" | sort)" "$(values list 0020000D)"

# A Chinese patient of the synthetic set: by a whole group, wildcards, fuzzy words.
CN=$(awk -F'\t' 'NR > 1 && $3 ~ /=/ { print $3; exit }' "$MANIFEST")
CN_ID=$(awk -F'\t' -v n="$CN" 'NR > 1 && $3 == n { print $2; exit }' "$MANIFEST")
IDEO=$(cut -d= -f2 <<<"$CN")            # 刘^晓燕
ALPHA=$(cut -d= -f1 <<<"$CN")           # Liu^Xiaoyan
FAMILY=${ALPHA%%^*}; GIVEN_IDEO=${IDEO#*^}
want=$(expect $STUDY_UID "\$2 == \"$CN_ID\"")
check "the data has a Chinese patient with studies" test -n "$GIVEN_IDEO" -a -n "$want"
get ideo "$W/studies?PatientName=$(urlencode "$IDEO")" >/dev/null
check_eq "PatientName by its ideographic group" "$want" "$(values ideo 0020000D)"
get lower "$W/studies?PatientName=$(urlencode "${ALPHA,,}")" >/dev/null
check_eq "PatientName case-insensitive" "$want" "$(values lower 0020000D)"
get wild "$W/studies?PatientName=$(urlencode "${FAMILY}*")" >/dev/null
check_eq "PatientName wildcard" "$(expect $STUDY_UID "\$3 ~ /^$FAMILY/")" "$(values wild 0020000D)"
get fuzzy "$W/studies?PatientName=$(urlencode "${FAMILY,,}")&fuzzymatching=true" >/dev/null
check_eq "fuzzy: family name in lower case" \
  "$(expect $STUDY_UID "toupper(\$3) ~ /(^|[\\^= ])$(tr a-z A-Z <<<"$FAMILY")/")" \
  "$(values fuzzy 0020000D)"
get fuzzycn "$W/studies?PatientName=$(urlencode "$GIVEN_IDEO")&fuzzymatching=true" >/dev/null
check_eq "fuzzy: Chinese given name" "$want" "$(values fuzzycn 0020000D)"
check_eq "PN answers in groups" "$IDEO" \
  "$(jq -r '.[0]["00100010"].Value[0].Ideographic' "$WORK/fuzzycn.body")"

D=$(awk -F'\t' 'NR > 1 { print $10 }' "$MANIFEST" | sort -u | sed -n 3p)
check "a middle study date" test -n "$D" -a "$(expect $STUDY_UID "\$10 < \"$D\"")" != ""
get from "$W/studies?StudyDate=$D-" >/dev/null
check_eq "StudyDate open range" "$(expect $STUDY_UID "\$10 >= \"$D\"")" "$(values from 0020000D)"
get range "$W/studies?StudyDate=19000101-$D" >/dev/null
check_eq "StudyDate closed range" "$(expect $STUDY_UID "\$10 <= \"$D\"")" "$(values range 0020000D)"
get mod "$W/studies?ModalitiesInStudy=MR" >/dev/null
check_eq "ModalitiesInStudy" "$(expect $STUDY_UID '$9 == "MR"')" "$(values mod 0020000D)"

total=$(expect $STUDY_UID 1 | wc -l)
get page "$W/studies?limit=3&offset=2" >/dev/null
check_eq "limit" 3 "$(jq length "$WORK/page.body")"
check_eq "offset skips the first matches" "$(jq -c '.[2:5]' "$WORK/all.body")" "$(jq -c . "$WORK/page.body")"
check "Warning header when more results exist" grep -qi '^Warning: 299 .*additional results' "$WORK/page.hdr"
get last "$W/studies?offset=$((total - 1))" >/dev/null
check_eq "last page has one match" 1 "$(jq length "$WORK/last.body")"
check "no Warning on the last page" bash -c "! grep -qi '^Warning' '$WORK/last.hdr'"
get past "$W/studies?offset=$total" >/dev/null
check_eq "offset past the end: empty array" "[]" "$(jq -c . "$WORK/past.body")"

# --- Series ----------------------------------------------------------------------
get series "$W/studies/$S1/series" >/dev/null
check_eq "series of a study" "$(expect $SERIES_UID "\$5 == \"$S1\"")" "$(values series 0020000E)"
check "series within a study leave out the study's attributes" \
  bash -c "jq -e '.[0] | has(\"00100010\") | not' '$WORK/series.body' >/dev/null"
n_series=$(awk -F'\t' -v s="$(jq -r '.[0]["0020000E"].Value[0]' "$WORK/series.body")" 'NR > 1 && $6 == s' "$MANIFEST" | wc -l)
check_eq "series counts its instances" "$n_series" "$(jq -r '.[0]["00201209"].Value[0]' "$WORK/series.body")"
SE0=$(jq -r '.[0]["0020000E"].Value[0]' "$WORK/series.body")
SE0_FILE=$(awk -F'\t' -v s="$SE0" 'NR > 1 && $6 == s { print $1; exit }' "$MANIFEST")
series_date=$(dcmdump -q +P 0008,0021 "$WORK/synth/$SE0_FILE" | sed -E 's/.*\[(.*)\].*/\1/')
check_eq "series answers carry SeriesDate from the index" "$series_date" \
  "$(jq -r --arg s "$SE0" '.[] | select(.["0020000E"].Value[0] == $s) | .["00080021"].Value[0]' "$WORK/series.body")"
get sdate "$W/studies/$S1/series?SeriesDate=$series_date" >/dev/null
check "SeriesDate matches" bash -c "jq -e --arg s '$SE0' 'any(.[]; .[\"0020000E\"].Value[0] == \$s)' '$WORK/sdate.body' >/dev/null"
get allct "$W/series?Modality=CT" >/dev/null
check_eq "all series by Modality" "$(expect $SERIES_UID '$9 == "CT"')" "$(values allct 0020000E)"
check "series across studies carry the patient" \
  bash -c "jq -e 'all(.[]; has(\"00100020\"))' '$WORK/allct.body' >/dev/null"
get sp "$W/series?PatientID=$P1&Modality=CT%5CMR" >/dev/null
check_eq "series by patient and a modality list" \
  "$(expect $SERIES_UID "\$2 == \"$P1\" && (\$9 == \"CT\" || \$9 == \"MR\")")" "$(values sp 0020000E)"

# --- Instances ---------------------------------------------------------------------
SE1=$(awk -F'\t' -v s="$S1" 'NR > 1 && $5 == s { print $6; exit }' "$MANIFEST")
get inst "$W/studies/$S1/series/$SE1/instances" >/dev/null
check_eq "instances of a series" "$(expect $SOP_UID "\$6 == \"$SE1\"")" "$(values inst 00080018)"
check "instances come in instance number order" \
  bash -c "jq -r '.[][\"00200013\"].Value[0]' '$WORK/inst.body' | sort -n -c"
get sinst "$W/studies/$S1/instances" >/dev/null
check_eq "instances of a study" "$(expect $SOP_UID "\$5 == \"$S1\"")" "$(values sinst 00080018)"
SOP=$(head -1 <(values inst 00080018))
get byuid "$W/instances?SOPInstanceUID=$SOP&includefield=BitsAllocated,00280004" >/dev/null
check_eq "instance by SOP Instance UID" "$SOP" "$(values byuid 00080018)"
modality=$(awk -F'\t' -v u="$SOP" 'NR > 1 && $7 == u { print $9 }' "$MANIFEST")
check_eq "includefield reads an attribute outside the index" \
  "$([[ $modality == US ]] && echo 8 || echo 16)" "$(jq -r '.[0]["00280100"].Value[0]' "$WORK/byuid.body")"
check "includefield by tag" bash -c "jq -e '.[0][\"00280004\"].Value[0] | length > 0' '$WORK/byuid.body' >/dev/null"
check_eq "instance RetrieveURL retrieves" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$(jq -r '.[0]["00081190"].Value[0]' "$WORK/byuid.body")")"
# Many instances at once (their headers are read together): each its own.
get ibits "$W/instances?includefield=BitsAllocated&limit=1000" >/dev/null
check_eq "includefield over many instances gives each its own attribute" \
  "$(awk -F'\t' -v OFS='\t' 'NR > 1 { print $7, ($9 == "US" ? 8 : 16) }' "$MANIFEST" | sort)" \
  "$(jq -r '.[] | [.["00080018"].Value[0], .["00280100"].Value[0]] | @tsv' "$WORK/ibits.body" | sort)"
# Above the instance level such an attribute is the study's or series' first instance's.
get sbits "$W/studies?includefield=BitsAllocated&limit=1000" >/dev/null
check_eq "includefield at study level reads an attribute outside the index" \
  "$(awk -F'\t' -v OFS='\t' 'NR > 1 { print $5, ($9 == "US" ? 8 : 16) }' "$MANIFEST" | sort -u)" \
  "$(jq -r '.[] | [.["0020000D"].Value[0], .["00280100"].Value[0]] | @tsv' "$WORK/sbits.body" | sort)"
get sebits "$W/series?includefield=BitsAllocated&limit=1000" >/dev/null
check_eq "includefield at series level reads an attribute outside the index" \
  "$(awk -F'\t' -v OFS='\t' 'NR > 1 { print $6, ($9 == "US" ? 8 : 16) }' "$MANIFEST" | sort -u)" \
  "$(jq -r '.[] | [.["0020000E"].Value[0], .["00280100"].Value[0]] | @tsv' "$WORK/sebits.body" | sort)"
get iall "$W/instances?SOPInstanceUID=$SOP&includefield=all" >/dev/null
check "includefield=all gives the object's attributes with Pixel Data as bulk data" \
  bash -c "jq -e '.[0][\"7FE00010\"].BulkDataURI and .[0][\"00280010\"].Value[0] > 0' '$WORK/iall.body' >/dev/null"
get ust "$W/instances?ImageType=ORIGINAL&SOPInstanceUID=$SOP" >/dev/null
check "a key we cannot match is ignored with a Warning" grep -qi '^Warning: 299 .*ImageType' "$WORK/ust.hdr"
check_eq "and the search still answers" "$SOP" "$(values ust 00080018)"

# --- Bad queries: 400/406 with problem JSON that names the problem -------------------
check_eq "malformed date: 400" 400 "$(get bad1 "$W/studies?StudyDate=2021-06-18")"
check "problem names StudyDate" problem_mentions bad1 StudyDate
check_eq "unknown parameter: 400" 400 "$(get bad2 "$W/studies?NoSuchKey=1")"
check "problem names the parameter" problem_mentions bad2 NoSuchKey
check_eq "unknown includefield: 400" 400 "$(get bad3 "$W/studies?includefield=Nope")"
check_eq "series key on a study search: 400" 400 "$(get bad4 "$W/studies?SeriesInstanceUID=1.2")"
check_eq "wildcard in a UID: 400" 400 "$(get bad5 "$W/studies?StudyInstanceUID=1.2.*")"
check_eq "invalid UID in the path: 400" 400 "$(get bad6 "$W/studies/1.2.abc/series")"
check_eq "limit 0: 400" 400 "$(get bad7 "$W/studies?limit=0")"
check_eq "fuzzymatching=maybe: 400" 400 "$(get bad8 "$W/studies?fuzzymatching=maybe")"
check_eq "Accept image/png: 406" 406 "$(get bad9 "$W/studies" -H 'Accept: image/png')"
check_eq "unknown study: empty array" "[]" \
  "$(get none "$W/studies/1.2.3.4.5/series" >/dev/null; jq -c . "$WORK/none.body")"
check "server still up" server_alive
finish
