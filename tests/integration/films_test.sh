#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The film, end to end: an exam sent by C-STORE plus a signed report by
# REST becomes a signed, logged film; its manifest lists every object by
# the SHA-256 of the bytes we serve; the signature verifies with the
# openssl command line and the hospital's public key; anyone can check a
# film id without learning anything about the patient; an amendment issues
# a film that supersedes the first; `cloudfilm ledger check` passes.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/cloudfilm.toml" <<TOML
[tenants.ruijin]
name = "Ruijin Hospital"
ae_titles = ["RJ_CT"]
service_tier_years = 30
[tenants.huashan]
name = "Huashan Hospital"
ae_titles = ["HS_CT"]
crypto_suite = "sm"
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")
"$CLOUDFILM" synth "$WORK/synth" --seed 61 --patients 1 --studies 1 --series 2 --instances 2 \
  --ct-size 32 >/dev/null
FIRST=$(first_dicom "$WORK/synth")
STUDY=$(dicom_value "$FIRST" StudyInstanceUID)
PATIENT_ID=$(dicom_value "$FIRST" PatientID)

start_server "$WORK/data" "${CONFIG[@]}"
check "RJ_CT stores the exam (4 objects)" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
DOC=$(account_token "$WORK/data" dr.li doctor ruijin "${CONFIG[@]}")
as() { curl -q -s -H "Authorization: Bearer $DOC" "$@"; }
report() {  # report STATUS CONCLUSION [PATH]: prints the status
  as -o "$WORK/report.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary \
    "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"$1\",\"conclusion\":\"$2\",\"signer\":\"李医生\",\"signed_at\":\"2026-11-29T09:30:00+08:00\"}" \
    "$BASE${3:-/api/reports}"
}
check_eq "a preliminary report issues no film" "201 0" \
  "$(report preliminary '初步意见') $(as "$BASE/api/films?study=$STUDY" | jq '.items | length')"
check_eq "the signed final report: 201" 201 "$(report final '未见异常。')"
REPORT_ID=$(jq -r .id "$WORK/report.json")
check_eq "and the exam has its film" 1 "$(as "$BASE/api/films?study=$STUDY" | jq '.items | length')"
FILM=$(as "$BASE/api/films?study=$STUDY" | jq -r '.items[0].id')
as "$BASE/api/films/$FILM" >"$WORK/film.json"
jq -j .manifest "$WORK/film.json" >"$WORK/manifest.json"
check_eq "the manifest is what its hash says" "$(jq -r .manifest_sha256 "$WORK/film.json")" "$(sha "$WORK/manifest.json")"
check_eq "it names the hospital, the exam and 4 objects" "ruijin $STUDY 4" \
  "$(jq -r '"\(.tenant) \(.content.exam.study_uid) \(.content.objects | length)"' "$WORK/manifest.json")"
check_eq "and both report versions by their hashes" "preliminary final" \
  "$(jq -r '[.content.reports[].status] | join(" ")' "$WORK/manifest.json")"
check_eq "kept 30 years from the exam date (the hospital's tier)" 30 \
  "$(jq -r .content.retention.service_tier_years "$WORK/manifest.json")"
bad=0
while read -r sop sum; do
  as -o "$WORK/obj.dcm" "$BASE/api/instances/$sop/file"
  [[ $(sha "$WORK/obj.dcm") == "$sum" ]] || bad=$((bad + 1))
done < <(jq -r '.content.objects[] | "\(.sop_uid) \(.sha256)"' "$WORK/manifest.json")
check_eq "every listed hash is that of the bytes we serve" 0 "$bad"

# The signature, checked by OpenSSL itself with the published public key.
jq -r .verification.public_key_pem "$WORK/film.json" >"$WORK/hospital.pub.pem"
jq -r .signature "$WORK/film.json" | base64 -d >"$WORK/manifest.sig"
check "openssl verifies the hospital's Ed25519 signature of the manifest" \
  openssl pkeyutl -verify -pubin -inkey "$WORK/hospital.pub.pem" -rawin -in "$WORK/manifest.json" \
  -sigfile "$WORK/manifest.sig"
sed "s/$PATIENT_ID/X$PATIENT_ID/" "$WORK/manifest.json" >"$WORK/forged.json"
check "the forged copy differs" bash -c "! cmp -s '$WORK/manifest.json' '$WORK/forged.json'"
check "and openssl refuses it" bash -c \
  "! openssl pkeyutl -verify -pubin -inkey '$WORK/hospital.pub.pem' -rawin -in '$WORK/forged.json' -sigfile '$WORK/manifest.sig' >/dev/null 2>&1"
check_eq "the film is in the transparency log" "true true" \
  "$(jq -r '"\(.verification.signature_valid) \(.verification.in_log)"' "$WORK/film.json")"

# Public verification: no account, no patient data.
curl -q -s "$BASE/verify/films/$FILM" >"$WORK/public.json"
check_eq "anyone with the film id gets the verdict" \
  "issued by ruijin, unaltered, recorded in the transparency log" "$(jq -r .verdict "$WORK/public.json")"
check "without patient data" absent "$PATIENT_ID" "$WORK/public.json"
check "nor the manifest" absent '"manifest"' "$WORK/public.json"
check_eq "an unknown film id: 404" 404 "$(curl -q -s -o /dev/null -w '%{http_code}' "$BASE/verify/films/00112233445566778899aabbccddeeff")"
check_eq "the film itself needs an account: 401" 401 "$(curl -q -s -o /dev/null -w '%{http_code}' "$BASE/api/films/$FILM")"

# Issuing again without a change gives the same film; an amendment a new one.
check_eq "issuing again, nothing changed: the same film" "$FILM" \
  "$(as -H 'Content-Type: application/json' --data-binary "{\"study_uid\":\"$STUDY\"}" "$BASE/api/films" | jq -r .id)"
check_eq "an amendment of the report: 201" 201 "$(report amended '右肺小结节（更正）。' "/api/reports/$REPORT_ID/versions")"
check_eq "issues a film that supersedes the first" "2 $FILM" \
  "$(as "$BASE/api/films?study=$STUDY" | jq -r '"\(.items | length) \(.items[1].supersedes)"')"
check_eq "and the first says it is superseded" \
  "$(as "$BASE/api/films?study=$STUDY" | jq -r '.items[1].id')" \
  "$(curl -q -s "$BASE/verify/films/$FILM" | jq -r .superseded_by)"
check_eq "issuing for an unknown exam: 404" 404 "$(as -o /dev/null -w '%{http_code}' \
  -H 'Content-Type: application/json' --data-binary '{"study_uid":"1.2.3.4.5"}' "$BASE/api/films")"

# Retention: the later of the hospital's tier from the exam date and the
# legal minimum (15 years after the last outpatient visit, 30 after the
# last discharge), from the visits the hospital's information system sends.
STUDY_DATE=$(dicom_value "$FIRST" StudyDate)
later() { if [[ $1 > $2 ]]; then echo "$1"; else echo "$2"; fi; }
visit() {  # visit JSON TOKEN: prints the status
  curl -q -s -o "$WORK/visit.json" -w '%{http_code}' -H "Authorization: Bearer ${2:-$DOC}" \
    -H 'Content-Type: application/json' --data-binary "$1" "$BASE/api/visits"
}
retention() { as "$BASE/api/studies/$STUDY/retention" | jq -r ".$1"; }
check_eq "without visits the hospital's 30-year tier decides" \
  "$((${STUDY_DATE:0:4} + 30))${STUDY_DATE:4} service-tier null" \
  "$(retention retain_until) $(retention decided_by) $(retention legal_minimum_until)"
check_eq "an outpatient visit: 201" 201 \
  "$(visit "{\"visit_id\":\"OP-77\",\"patient_id\":\"$PATIENT_ID\",\"kind\":\"outpatient\",\"date\":\"2026-11-01\"}")"
check_eq "counts 15 years from it" 20411101 "$(retention legal_minimum_until)"
check_eq "an admission with no discharge yet: 201, and it changes nothing" "201 20411101" \
  "$(visit "{\"visit_id\":\"IP-5\",\"patient_id\":\"$PATIENT_ID\",\"kind\":\"inpatient\"}") $(retention legal_minimum_until)"
check_eq "its discharge, sent later under the same visit id: 201" 201 \
  "$(visit "{\"visit_id\":\"IP-5\",\"patient_id\":\"$PATIENT_ID\",\"kind\":\"inpatient\",\"discharged\":\"2026-11-20\"}")"
EXPECTED=$(later 20561120 "$((${STUDY_DATE:0:4} + 30))${STUDY_DATE:4}")
check_eq "30 years after the discharge; the later date decides" "20561120 $EXPECTED" \
  "$(retention legal_minimum_until) $(retention retain_until)"
check "the rule is stated with the dates it used" bash -c \
  "as() { curl -q -s -H 'Authorization: Bearer $DOC' \"\$@\"; }; as '$BASE/api/studies/$STUDY/retention' | jq -r .rule | grep -q 'last discharge 2026-11-20 gives 2056-11-20'"
check_eq "another patient's visit under that id: 409" 409 \
  "$(visit '{"visit_id":"IP-5","patient_id":"SOMEONE-ELSE","kind":"inpatient","discharged":"2026-11-21"}')"
check_eq "a visit of an unknown kind: 400" 400 \
  "$(visit "{\"visit_id\":\"X-1\",\"patient_id\":\"$PATIENT_ID\",\"kind\":\"emergency\",\"date\":\"2026-11-01\"}")"
check_eq "a date that is no date: 400" 400 \
  "$(visit "{\"visit_id\":\"X-2\",\"patient_id\":\"$PATIENT_ID\",\"kind\":\"outpatient\",\"date\":\"2026-13-01\"}")"

# A hospital on the national suite: its film is signed with SM2 over SM3.
check "HS_CT stores the same exam at Huashan" storescu -aet HS_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
HS=$(account_token "$WORK/data" dr.hs doctor huashan "${CONFIG[@]}")
curl -q -s -H "Authorization: Bearer $HS" -H 'Content-Type: application/json' --data-binary \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"final\",\"conclusion\":\"正常\",\"signer\":\"王医生\",\"signed_at\":\"2026-11-29T10:00:00+08:00\"}" \
  "$BASE/api/reports" >/dev/null
HS_FILM=$(curl -q -s -H "Authorization: Bearer $HS" "$BASE/api/films?study=$STUDY" | jq -r '.items[0].id')
curl -q -s -H "Authorization: Bearer $HS" "$BASE/api/films/$HS_FILM" >"$WORK/hs-film.json"
check_eq "Huashan's film is its own, signed with SM2" "huashan sm2" \
  "$(jq -r '"\(.tenant) \(.signature_suite)"' "$WORK/hs-film.json")"
jq -j .manifest "$WORK/hs-film.json" >"$WORK/hs-manifest.json"
jq -r .verification.public_key_pem "$WORK/hs-film.json" >"$WORK/hs.pub.pem"
jq -r .signature "$WORK/hs-film.json" | base64 -d >"$WORK/hs-manifest.sig"
check "openssl verifies it with SM3 and the standard distinguishing ID" \
  openssl pkeyutl -verify -pubin -inkey "$WORK/hs.pub.pem" -rawin -digest sm3 \
  -pkeyopt distid:1234567812345678 -in "$WORK/hs-manifest.json" -sigfile "$WORK/hs-manifest.sig"
check_eq "Ruijin's doctor cannot see Huashan's film: 404" 404 \
  "$(as -o /dev/null -w '%{http_code}' "$BASE/api/films/$HS_FILM")"
check_eq "Ruijin's visits are not Huashan's: its film keeps the 15-year tier" \
  "$((${STUDY_DATE:0:4} + 15))${STUDY_DATE:4} service-tier null" \
  "$(jq -r '.content.retention | "\(.retain_until) \(.decided_by) \(.legal_minimum_until)"' "$WORK/hs-manifest.json")"

check "SIGTERM stops the server with exit 0" stop_server
check "cloudfilm ledger check passes" "$CLOUDFILM" ledger check "${CONFIG[@]}" --data "$WORK/data"
check_eq "the log holds the three issuances" 3 \
  "$("$CLOUDFILM" ledger show "${CONFIG[@]}" --data "$WORK/data" | jq -r .tree_size)"
# A CD imported with its verified SR report: the film is issued on import too.
SR=${CF_TESTDATA:-/nonexistent}/nonimage/sr_comprehensive_nested.dcm
if [[ -f $SR ]]; then
  check "import --tenant ruijin of a verified SR" "$CLOUDFILM" import "${CONFIG[@]}" --data "$WORK/data" \
    --tenant ruijin -q "$SR"
  check_eq "files its report and issues the exam's film" 1 \
    "$("$CLOUDFILM" sql "${CONFIG[@]}" --data "$WORK/data" --db films \
      "SELECT count(*) FROM films WHERE study_uid = '$(dicom_value "$SR" StudyInstanceUID)' AND tenant = 'ruijin'")"
  check_eq "logged as the fourth issuance" 4 \
    "$("$CLOUDFILM" ledger show "${CONFIG[@]}" --data "$WORK/data" | jq -r .tree_size)"
else
  echo "SKIPPED (visible): ../shared/testdata is absent, the imported SR is not tried"
fi
check "the patient is not on disk in clear" absent "$PATIENT_ID" "$WORK/data"
check "nor the report text" absent '未见异常' "$WORK/data"
finish
