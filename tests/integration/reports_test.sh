#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reports through the REST API of the real server: a department posts a
# preliminary, then a signed final report with its PDF for an exam stored
# by C-STORE; an amendment keeps the history; a signed report never goes
# back; problems are RFC 9457 JSON; other hospitals and roles without the
# permission get nothing; the text is not on disk in clear and survives a
# restart.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/cloudfilm.toml" <<TOML
[tenants.ruijin]
name = "Ruijin Hospital"
ae_titles = ["RJ_CT"]
[tenants.huashan]
name = "Huashan Hospital"
ae_titles = ["HS_CT"]
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")
"$CLOUDFILM" synth "$WORK/synth" --seed 51 --patients 1 --studies 1 --series 1 --instances 2 \
  --ct-size 32 >/dev/null
FIRST=$(first_dicom "$WORK/synth")
STUDY=$(dicom_value "$FIRST" StudyInstanceUID)
SOP=$(dicom_value "$FIRST" SOPInstanceUID)
ACCESSION="RJ-2026-0001"

start_server "$WORK/data" "${CONFIG[@]}"
# cairo, pango and libcurl are opened when first needed
# (film/render_module.hpp, core/curl_library.hpp), not mapped into a server
# that only stores and serves images.
mapped() { grep -cE "/lib($1)[-.0-9]*\.so" "/proc/$SERVER_PID/maps" || true; }
check_eq "a server that has printed nothing maps no cairo, pango, glib or libcurl" 0 \
  "$(mapped 'cairo|pango-1|glib-2|curl')"
check "RJ_CT stores the exam" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
RIS=$(account_token "$WORK/data" ris.rj api-client ruijin "${CONFIG[@]}")
DOC=$(account_token "$WORK/data" dr.rj doctor ruijin "${CONFIG[@]}")
KIOSK=$(account_token "$WORK/data" kiosk.rj kiosk ruijin "${CONFIG[@]}")
HS=$(account_token "$WORK/data" dr.hs doctor huashan "${CONFIG[@]}")
post() {  # post NAME TOKEN PATH JSON: body to $WORK/NAME.json, prints the status
  curl -q -s -o "$WORK/$1.json" -w '%{http_code}' -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/json' --data-binary "$4" "$BASE$3"
}
get() { local t=$1; shift; curl -q -s -H "Authorization: Bearer $t" "$@"; }

check_eq "a preliminary report by accession: 201" 201 "$(post pre "$RIS" /api/reports \
  "{\"accession\":\"$ACCESSION\",\"kind\":\"radiology\",\"status\":\"preliminary\",\"conclusion\":\"初步：右肺结节\"}")"
ID=$(jq -r .id "$WORK/pre.json")
printf '%%PDF-1.4\n%% cloudfilm test report\n1 0 obj <<>> endobj\ntrailer <<>>\n%%%%EOF\n' >"$WORK/report.pdf"
PDF64=$(base64 -w 0 "$WORK/report.pdf")
FINAL="{\"study_uid\":\"$STUDY\",\"accession\":\"$ACCESSION\",\"kind\":\"radiology\",\"status\":\"final\",
  \"sections\":[{\"title\":\"所见\",\"text\":\"右肺上叶见一结节，约 8 mm。\"}],
  \"conclusion\":\"右肺上叶结节，建议三个月后复查。\",\"signer\":\"李医生\",
  \"signed_at\":\"2026-11-29T09:30:00+08:00\",\"key_images\":[\"$SOP\"],\"pdf\":\"$PDF64\"}"
check_eq "the signed final version with its PDF: 201" 201 "$(post final "$DOC" /api/reports "$FINAL")"
check_eq "it is the same report, now with the study UID" "$ID $STUDY 2" \
  "$(jq -r '"\(.id) \(.study_uid) \(.versions | length)"' "$WORK/final.json")"
check_eq "signed at 01:30 UTC" "2026-11-29T01:30:00.000Z" "$(jq -r '.versions[1].signed_at' "$WORK/final.json")"
check_eq "posting it again (a retry) adds no version" "201 2" \
  "$(post retry "$DOC" /api/reports "$FINAL") $(jq '.versions | length' "$WORK/retry.json")"
check_eq "a preliminary version after the final one: 409" 409 "$(post back "$RIS" /api/reports \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"preliminary\",\"conclusion\":\"x\"}")"
check "as problem JSON saying why" grep -q 'cannot follow a final' "$WORK/back.json"
check_eq "an amendment of the report: 201" 201 "$(post amend "$DOC" "/api/reports/$ID/versions" \
  '{"status":"amended","conclusion":"右肺上叶结节约 9 mm（更正），建议三个月后复查。","signer":"李医生","signed_at":"2026-11-29T10:00:00Z"}')"
check_eq "the history keeps every version" "preliminary final amended" \
  "$(get "$DOC" "$BASE/api/reports/$ID" | jq -r '[.versions[].status] | join(" ")')"
check_eq "the exam's reports by study" "1 amended" \
  "$(get "$DOC" "$BASE/api/reports?study=$STUDY" | jq -r '"\(.items | length) \(.items[0].status)"')"
get "$DOC" -o "$WORK/back.pdf" "$BASE/api/reports/$ID/versions/2/pdf"
check_eq "the PDF comes back byte-exact" "$(sha "$WORK/report.pdf")" "$(sha "$WORK/back.pdf")"
# A version sent as text is printed (film/draw_report.cpp); pdftotext reads it back.
check_eq "a version sent as text is printed: 200 application/pdf" "200 application/pdf" \
  "$(get "$DOC" -o "$WORK/v3.pdf" -w '%{http_code} %{content_type}' "$BASE/api/reports/$ID/versions/3/pdf")"
pdftotext -enc UTF-8 "$WORK/v3.pdf" "$WORK/v3.txt"
check "printing loaded the render module, and pango with it" \
  test "$(mapped 'pango-1')" -gt 0
V3_SHA=$(get "$DOC" "$BASE/api/reports/$ID" | jq -r '.versions[2].sha256')
for text in "Ruijin Hospital" "放射检查报告 Radiology report" "检查号 Accession" "$ACCESSION" \
  "修订报告 Amended report" "右肺上叶结节约 9 mm（更正），建议三个月后复查。" "报告医生 Signed by: 李医生" \
  "2026-11-29 10:00 UTC" "Report $ID · version 3 · amended" \
  "SHA-256 $V3_SHA" "Page 1 of 1"; do
  check "the printed version says: $text" grep -qF "$text" "$WORK/v3.txt"
done
check_eq "printing it again gives the same bytes" "$(sha "$WORK/v3.pdf")" \
  "$(get "$DOC" "$BASE/api/reports/$ID/versions/3/pdf" | sha256sum | cut -d' ' -f1)"
check_eq "an unknown version: 404" 404 "$(get "$DOC" -o /dev/null -w '%{http_code}' "$BASE/api/reports/$ID/versions/9/pdf")"
check_eq "another hospital cannot print it: 404" 404 "$(get "$HS" -o /dev/null -w '%{http_code}' "$BASE/api/reports/$ID/versions/3/pdf")"

# ---- FHIR R4 DiagnosticReport ----
fhir() {  # fhir NAME JSON: prints the status
  curl -q -s -o "$WORK/$1.json" -w '%{http_code}' -H "Authorization: Bearer $RIS" \
    -H 'Content-Type: application/fhir+json' --data-binary "$2" "$BASE/fhir/DiagnosticReport"
}
US_TEXT=$(printf '肝脏大小形态正常，回声均匀。' | base64 -w 0)
check_eq "an ultrasound report as FHIR DiagnosticReport: 201" 201 "$(fhir us "{\"resourceType\":\"DiagnosticReport\",
  \"status\":\"final\",\"category\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0074\",\"code\":\"RUS\"}]}],
  \"code\":{\"text\":\"Abdominal ultrasound\"},
  \"identifier\":[{\"system\":\"urn:dicom:uid\",\"value\":\"urn:oid:$STUDY\"},
                  {\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"ACSN\"}]},\"value\":\"$ACCESSION\"}],
  \"issued\":\"2026-11-29T11:00:00+08:00\",\"resultsInterpreter\":[{\"display\":\"王医生\"}],
  \"conclusion\":\"肝脏未见异常。\",
  \"presentedForm\":[{\"contentType\":\"text/plain; charset=utf-8\",\"title\":\"所见\",\"data\":\"$US_TEXT\"},
                     {\"contentType\":\"application/pdf\",\"data\":\"$PDF64\"}]}")"
check_eq "it is an ultrasound report of the exam, signed by its interpreter" "ultrasound $STUDY 王医生 fhir true" \
  "$(jq -r '"\(.kind) \(.study_uid) \(.versions[0].signer) \(.versions[0].source) \(.versions[0].has_pdf)"' "$WORK/us.json")"
check_eq "with the text of its plain-text form" "肝脏大小形态正常，回声均匀。" "$(jq -r '.versions[0].sections[0].text' "$WORK/us.json")"
check_eq "the exam now has two reports" "radiology ultrasound" \
  "$(get "$DOC" "$BASE/api/reports?accession=$ACCESSION" | jq -r '[.items[].kind] | sort | join(" ")')"
check_eq "a DiagnosticReport of no known kind: 400" 400 "$(fhir nokind \
  "{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\",\"conclusion\":\"x\"}")"
check_eq "another resource type: 400" 400 "$(fhir patient '{"resourceType":"Patient"}')"

# ---- a structured report sent by C-STORE ----
SR=${CF_TESTDATA:-/nonexistent}/nonimage/sr_comprehensive_nested.dcm
if [[ -f $SR ]]; then
  check "RJ_CT sends a verified Comprehensive SR" storescu -aet RJ_CT -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$SR"
  SR_STUDY=$(dicom_value "$SR" StudyInstanceUID)
  check_eq "it is filed as the exam's signed report, with its text" "1 dicom-sr true" \
    "$(get "$DOC" "$BASE/api/reports?study=$SR_STUDY" | jq -r \
      '"\(.items | length) \(.items[0].versions[0].source) \(.items[0].versions[0].sections | map(.text) | join(" ") | contains("Diameter: 3 cm"))"')"
  check_eq "signed" final "$(get "$DOC" "$BASE/api/reports?study=$SR_STUDY" | jq -r '.items[0].status')"
  check_eq "and the SR object itself is stored too" 1 \
    "$(get "$DOC" "$BASE/dicom-web/studies?StudyInstanceUID=$SR_STUDY" | jq length)"
else
  echo "SKIPPED (visible): ../shared/testdata is absent, the SR report is not tried"
fi

# ---- a 12-lead ECG sent by C-STORE: its annotations are its report ----
ECG=${CF_TESTDATA:-/nonexistent}/nonimage/ecg_12lead.dcm
if [[ -f $ECG ]]; then
  check "RJ_CT sends a 12-lead ECG" storescu -aet RJ_CT -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT" "$ECG"
  ECG_STUDY=$(dicom_value "$ECG" StudyInstanceUID)
  get "$DOC" "$BASE/api/reports?study=$ECG_STUDY" >"$WORK/ecg.json"
  check_eq "it is filed as the exam's ECG report: the machine's reading, unsigned" \
    "1 ecg preliminary dicom-ecg" \
    "$(jq -r '"\(.items | length) \(.items[0].kind) \(.items[0].status) \(.items[0].versions[0].source)"' "$WORK/ecg.json")"
  check_eq "its interpretation is the conclusion" "RITMO SINUSALE
ECG NORMALE" "$(jq -r '.items[0].versions[0].conclusion' "$WORK/ecg.json")"
  check "with the measurements" jq -e '.items[0].versions[0].sections[0].text | contains("QT Interval")' "$WORK/ecg.json"
  ECG_ID=$(jq -r '.items[0].id' "$WORK/ecg.json")
  get "$DOC" -o "$WORK/ecg.pdf" "$BASE/api/reports/$ECG_ID/versions/1/pdf"
  pdftotext -enc UTF-8 "$WORK/ecg.pdf" "$WORK/ecg.txt"
  check "and it prints as an ECG report" grep -q "心电图报告 ECG report" "$WORK/ecg.txt"
  check "naming the RR interval" grep -q "RR Interval: 982 ms" "$WORK/ecg.txt"
else
  echo "SKIPPED (visible): ../shared/testdata is absent, the ECG report is not tried"
fi

# ---- bad input ----
check_eq "malformed JSON: 400" 400 "$(post bad1 "$RIS" /api/reports '{"kind":')"
check_eq "an unknown kind: 400" 400 "$(post bad2 "$RIS" /api/reports \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"xray\",\"status\":\"final\"}")"
check "naming the kinds" grep -q 'radiology, ultrasound, endoscopy, pathology or ecg' "$WORK/bad2.json"
check_eq "a final report without signer: 400" 400 "$(post bad3 "$RIS" /api/reports \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"ultrasound\",\"status\":\"final\",\"conclusion\":\"x\",\"signed_at\":\"2026-11-29T10:00:00Z\"}")"
check_eq "a time without zone: 400" 400 "$(post bad4 "$RIS" /api/reports \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"ecg\",\"status\":\"final\",\"conclusion\":\"x\",\"signer\":\"a\",\"signed_at\":\"2026-11-29T10:00:00\"}")"
check_eq "a pdf that is not a PDF: 400" 400 "$(post bad5 "$RIS" /api/reports \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"ecg\",\"status\":\"preliminary\",\"pdf\":\"$(printf 'hello world!' | base64)\"}")"
check_eq "not JSON: 415" 415 "$(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $RIS" \
  -H 'Content-Type: text/plain' --data-binary 'x' "$BASE/api/reports")"
check "problems are application/problem+json" bash -c \
  "curl -q -s -D - -o /dev/null -H 'Authorization: Bearer $RIS' -H 'Content-Type: application/json' \
   --data-binary '{' '$BASE/api/reports' | grep -qi '^content-type: application/problem+json'"

# ---- who may ----
check_eq "a kiosk may not write reports: 403" 403 "$(post k "$KIOSK" /api/reports "$FINAL")"
check_eq "another hospital's doctor does not find it" 0 \
  "$(get "$HS" "$BASE/api/reports?study=$STUDY" | jq '.items | length')"
check_eq "nor open it by id: 404" 404 "$(get "$HS" -o /dev/null -w '%{http_code}' "$BASE/api/reports/$ID")"
check_eq "nor amend it: 404" 404 "$(post hs "$HS" "/api/reports/$ID/versions" \
  '{"status":"amended","conclusion":"x","signer":"a","signed_at":"2026-11-29T10:00:00Z"}')"
check "every read and write is audited" test "$(curl -sf "$BASE/api/audit?limit=500" | \
  jq '[.events[] | select(.route | startswith("/api/reports"))] | length')" -ge 10
# The exam's access history sees reads that name a report, not the exam.
curl -sf "$BASE/api/audit?study=$STUDY&limit=500" >"$WORK/exam-audit.json"
for route in "/api/reports/{report}" "/api/reports/{report}/versions/{version}/pdf" \
  "/api/reports/{report}/versions" "/api/reports"; do
  check "the exam's audit trail holds $route" \
    jq -e --arg r "$route" '[.events[] | select(.route == $r and .outcome == "success")] | length > 0' \
    "$WORK/exam-audit.json"
done
# (Reads of one exam by one reader coalesce: a second doctor has read nothing yet.)
DOC2=$(account_token "$WORK/data" dr.wu doctor ruijin "${CONFIG[@]}")
check_eq "another doctor downloads one of its objects by SOP Instance UID" 200 \
  "$(get "$DOC2" -o /dev/null -w '%{http_code}' "$BASE/api/instances/$SOP/file")"
check "and the exam's audit trail holds that too" \
  bash -c "curl -sf '$BASE/api/audit?study=$STUDY&limit=500' | jq -e '[.events[] | select(.route == \"/api/instances/{instance}/file\")] | length == 1'"

# ---- at rest, and after a restart ----
check "the report text is nowhere on disk in clear" absent '建议三个月后复查' "$WORK/data"
check "nor the signer" absent '李医生' "$WORK/data"
check "SIGTERM stops the server with exit 0" stop_server
start_server "$WORK/data" "${CONFIG[@]}"
check_eq "after a restart the history is intact" "3 $(jq -r '.versions[1].sha256' "$WORK/final.json")" \
  "$(get "$DOC" "$BASE/api/reports/$ID" | jq -r '"\(.versions | length) \(.versions[1].sha256)"')"
check "the server is still serving" server_alive
check "SIGTERM stops the server with exit 0" stop_server
finish
