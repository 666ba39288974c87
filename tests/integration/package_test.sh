#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The film package, end to end: an exam sent by C-STORE plus a signed
# report (with its PDF) by REST becomes a film; its package, downloaded over
# HTTP, holds the documented layout with a DICOMDIR that dcmdump reads and
# that `cloudfilm import` follows into a fresh data folder byte for byte;
# `cloudfilm verify` passes it offline (exit 0) and names exactly what a
# tampered DICOM file, manifest or proof breaks (exit 1); an unreadable file
# exits 2; an SM2 hospital's package verifies too; and a log entry rewritten
# in the database makes every package written since fail.
source "$(dirname "$0")/lib.sh"
: "${CF_SQL_TAMPER:?CF_SQL_TAMPER must name the cf_sql_tamper tool}"

cat >"$WORK/cloudfilm.toml" <<TOML
[tenants.ruijin]
name = "Ruijin Hospital"
ae_titles = ["RJ_CT"]
[tenants.huashan]
name = "Huashan Hospital"
ae_titles = ["HS_CT"]
crypto_suite = "sm"
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")
"$CLOUDFILM" synth "$WORK/synth" --seed 62 --patients 1 --studies 1 --series 2 --instances 2 \
  --ct-size 32 >/dev/null
FIRST=$(first_dicom "$WORK/synth")
STUDY=$(dicom_value "$FIRST" StudyInstanceUID)

start_server "$WORK/data" "${CONFIG[@]}"
check "RJ_CT stores the exam (4 objects)" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
DOC=$(account_token "$WORK/data" dr.li doctor ruijin "${CONFIG[@]}")
as() { curl -q -s -H "Authorization: Bearer $DOC" "$@"; }
printf '%%PDF-1.4\n%% the department report\n' >"$WORK/report.pdf"
PDF_B64=$(base64 -w 0 "$WORK/report.pdf")
check_eq "a signed final report with its PDF: 201" 201 "$(as -o "$WORK/report.json" -w '%{http_code}' \
  -H 'Content-Type: application/json' --data-binary \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"final\",\"conclusion\":\"未见异常。\",\"signer\":\"李医生\",\"signed_at\":\"2026-11-29T09:30:00+08:00\",\"pdf\":\"$PDF_B64\"}" \
  "$BASE/api/reports")"
REPORT_ID=$(jq -r .id "$WORK/report.json")
FILM=$(as "$BASE/api/films?study=$STUDY" | jq -r '.items[0].id')
as "$BASE/api/films/$FILM" >"$WORK/film.json"
jq -r .verification.public_key_pem "$WORK/film.json" >"$WORK/ruijin.pem"

# The SM2 hospital's film: a second log entry, so that proofs have a path.
check "HS_CT stores the same exam at Huashan" storescu -aet HS_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
HS=$(account_token "$WORK/data" dr.hs doctor huashan "${CONFIG[@]}")
curl -q -s -o /dev/null -H "Authorization: Bearer $HS" -H 'Content-Type: application/json' --data-binary \
  "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"final\",\"conclusion\":\"正常\",\"signer\":\"王医生\",\"signed_at\":\"2026-11-29T10:00:00+08:00\"}" \
  "$BASE/api/reports"
HS_FILM=$(curl -q -s -H "Authorization: Bearer $HS" "$BASE/api/films?study=$STUDY" | jq -r '.items[0].id')
curl -q -s -H "Authorization: Bearer $HS" "$BASE/api/films/$HS_FILM" | jq -r .verification.public_key_pem >"$WORK/huashan.pem"

check_eq "GET /api/films/{film}/package: 200" 200 \
  "$(as -D "$WORK/pkg.hdr" -o "$WORK/film.zip" -w '%{http_code}' "$BASE/api/films/$FILM/package")"
check_eq "as application/zip" "application/zip" "$(tr -d '\r' <"$WORK/pkg.hdr" | awk -F': ' 'tolower($1) == "content-type" { print $2 }')"
check_eq "named film-<id>.zip" "attachment; filename=\"film-$FILM.zip\"" \
  "$(tr -d '\r' <"$WORK/pkg.hdr" | awk -F': ' 'tolower($1) == "content-disposition" { print $2 }')"
check_eq "another hospital's doctor gets 404" 404 \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $HS" "$BASE/api/films/$FILM/package")"
check_eq "an unknown film: 404" 404 \
  "$(as -o /dev/null -w '%{http_code}' "$BASE/api/films/00112233445566778899aabbccddeeff/package")"
check_eq "without an account: 401" 401 "$(curl -q -s -o /dev/null -w '%{http_code}' "$BASE/api/films/$FILM/package")"
check_eq "the download is in the exam's audit trail, naming the film" "download film $FILM; status 200" \
  "$(curl -s "$BASE/api/audit?study=$STUDY&limit=100" | jq -r '[.events[] | select(.route == "/api/films/{film}/package" and .outcome == "success")][0] | "\(.action) \(.detail)"')"
check_eq "no staged or packaged file is left in DATA/tmp" 0 "$(find "$WORK/data/tmp" -type f | wc -l)"
curl -q -s -H "Authorization: Bearer $HS" -o "$WORK/hs.zip" "$BASE/api/films/$HS_FILM/package"
check "SIGTERM stops the server with exit 0" stop_server

# The layout, as unzip lists it.
unzip -Z1 "$WORK/film.zip" >"$WORK/names.txt"
check_eq "unzip -l shows the documented layout" \
  "manifest.json manifest.sig signing-key.pem log/entry.json log/inclusion-proof.json log/tree-head.json log/log-key.pem reports/$REPORT_ID/v1.json reports/$REPORT_ID/v1.pdf DICOM/S0001/I0001 DICOM/S0001/I0002 DICOM/S0002/I0001 DICOM/S0002/I0002 DICOMDIR README.txt contents.json contents.sig" \
  "$(tr '\n' ' ' <"$WORK/names.txt" | sed 's/ $//')"
mkdir -p "$WORK/unzipped"
(cd "$WORK/unzipped" && unzip -q "$WORK/film.zip")
check "the PDF is the department's, byte for byte" cmp -s "$WORK/report.pdf" "$WORK/unzipped/reports/$REPORT_ID/v1.pdf"
check_eq "dcmdump of the DICOMDIR lists every image" \
  "DICOM\\S0001\\I0001 DICOM\\S0001\\I0002 DICOM\\S0002\\I0001 DICOM\\S0002\\I0002" \
  "$(dcmdump -q +P 0004,1500 "$WORK/unzipped/DICOMDIR" | sed -n -E 's/^[^[]*\[(.*)\].*$/\1/p' | sort | tr '\n' ' ' | sed 's/ $//')"
bad=0
while read -r member sum; do
  [[ $(sha "$WORK/unzipped/$member") == "$sum" ]] || bad=$((bad + 1))
done < <(jq -r '.content.objects | to_entries[] | "\(.value.sha256)"' "$WORK/unzipped/manifest.json" |
  paste <(grep '^DICOM/' "$WORK/names.txt") -)
check_eq "every DICOM file hashes to its manifest value (sha256sum)" 0 "$bad"
check "openssl verifies manifest.sig with signing-key.pem, as README.txt says" \
  openssl pkeyutl -verify -pubin -inkey "$WORK/unzipped/signing-key.pem" -rawin \
  -in "$WORK/unzipped/manifest.json" -sigfile "$WORK/unzipped/manifest.sig"

check "the package's tree head is one the log's own check accepts" "$CLOUDFILM" ledger check \
  "${CONFIG[@]}" --data "$WORK/data" --tree-head "$WORK/unzipped/log/tree-head.json"

# Offline verification.
set +e
"$CLOUDFILM" verify "$WORK/film.zip" >"$WORK/verify.out" 2>&1
rc=$?
set -e
check_eq "cloudfilm verify exits 0" 0 "$rc"
check "and says who issued it and that it is unaltered" grep -q \
  "issued by ruijin at .*, 4 objects, 1 report versions, unaltered" "$WORK/verify.out"
check "and that the key is only the package's word" grep -q "signing-key.pem (key .*) is the package's own word" "$WORK/verify.out"
check "with the hospital's key trusted: exit 0, (trusted)" bash -c \
  "'$CLOUDFILM' verify '$WORK/film.zip' --trust-key '$WORK/ruijin.pem' | grep -q '(trusted)'"
"$CLOUDFILM" ledger show --public-key "${CONFIG[@]}" --data "$WORK/data" >"$WORK/log.pem"
check "with the hospital's and the published log key trusted: nothing rests on the package's word" bash -c \
  "'$CLOUDFILM' verify '$WORK/film.zip' --trust-key '$WORK/ruijin.pem' --trust-key '$WORK/log.pem' >'$WORK/trusted.out' &&
   grep -q ', trusted)' '$WORK/trusted.out' && ! grep -q '^note:' '$WORK/trusted.out'"
set +e
"$CLOUDFILM" verify "$WORK/film.zip" --trust-key "$WORK/huashan.pem" >"$WORK/wrong-key.out" 2>&1
rc=$?
set -e
check_eq "trusting only another hospital's key: exit 1" 1 "$rc"
check "naming the untrusted key" grep -q "FAILED: signing-key.pem: key .* is not one of the trusted keys" "$WORK/wrong-key.out"
check_eq "--json for machines" "true 4 ruijin" \
  "$("$CLOUDFILM" verify --json "$WORK/film.zip" | jq -r '"\(.verified) \(.objects) \(.hospital)"')"

# Tampering: rewrite the ZIP (with valid CRCs) around one changed member.
tamper() {  # tamper OUT MEMBER PYTHON-EXPRESSION-OF-data
  python3 - "$WORK/film.zip" "$1" "$2" "$3" <<'PY'
import json, sys, zipfile
src, dst, member, expr = sys.argv[1:5]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        data = zin.read(info.filename)
        if info.filename == member:
            data = eval(expr)
        zout.writestr(info.filename, data)
PY
}
verify_fails() {  # verify_fails ZIP EXPECTED-TEXT: exit 1 and the text among the failures
  local out rc=0
  out=$("$CLOUDFILM" verify "$1" 2>&1) || rc=$?
  [[ $rc == 1 ]] && grep -qF -- "$2" <<<"$out"
}
OBJ1=$(jq -r '.content.objects[0].sha256' "$WORK/unzipped/manifest.json")
SOP1=$(jq -r '.content.objects[0].sop_uid' "$WORK/unzipped/manifest.json")
tamper "$WORK/t-dicom.zip" DICOM/S0001/I0001 'data[:-1] + bytes([data[-1] ^ 1])'
check "a changed DICOM file: exit 1 naming it, its expected hash and its object" verify_fails \
  "$WORK/t-dicom.zip" "FAILED: DICOM/S0001/I0001: SHA-256 expected $OBJ1 (manifest, object $SOP1), actual"
tamper "$WORK/t-manifest.zip" manifest.json "data.replace(b'$OBJ1', b'$(sha "$WORK/report.pdf")')"
check "a manifest with another hash: its signature fails" verify_fails \
  "$WORK/t-manifest.zip" "FAILED: manifest.sig: the signature of manifest.json does not verify with signing-key.pem"
check "and the log entry no longer records it" verify_fails \
  "$WORK/t-manifest.zip" "FAILED: log/entry.json: is not the issuance entry of this manifest"
tamper "$WORK/t-proof.zip" log/inclusion-proof.json \
  'json.dumps(dict(json.loads(data), leaf_index=1 - json.loads(data)["leaf_index"])).encode()'
check "a proof for another index: the path does not lead to the signed root" verify_fails \
  "$WORK/t-proof.zip" "FAILED: log/inclusion-proof.json: the path from log/entry.json at index"
tamper "$WORK/t-readme.zip" README.txt 'data + b"added"'
check "even README.txt is covered" verify_fails "$WORK/t-readme.zip" \
  "FAILED: README.txt: SHA-256 expected"
set +e
"$CLOUDFILM" verify "$WORK/report.pdf" >/dev/null 2>&1
rc=$?
set -e
check_eq "a file that is not a package: exit 2" 2 "$rc"

# The SM2 hospital's package; its report came as text, so the package
# carries the PDF the platform prints from it, said to be the platform's.
"$CLOUDFILM" verify "$WORK/hs.zip" --trust-key "$WORK/huashan.pem" >"$WORK/hs-verify.out"
check "Huashan's SM2 package verifies with its key trusted" grep -q 'signed with sm2 key .* (trusted)' "$WORK/hs-verify.out"
check "its text report is printed in the package" bash -c \
  "unzip -p '$WORK/hs.zip' 'reports/*/v1.rendered.pdf' | pdftotext - - | grep -q '正常'"
check "and verify says the printed PDF is the platform's, the text the hospital's" grep -q \
  "note: reports/.*/v1.rendered.pdf was printed by the platform from reports/.*/v1.json, which is what the hospital signed" \
  "$WORK/hs-verify.out"

# The CLI writes the same package from the data folder.
check "cloudfilm film package writes it" "$CLOUDFILM" film package "$FILM" --out "$WORK/cli.zip" \
  "${CONFIG[@]}" --data "$WORK/data"
check "and it verifies" "$CLOUDFILM" verify "$WORK/cli.zip" --trust-key "$WORK/ruijin.pem"

# A log entry rewritten in place (triggers dropped): the package written
# since carries the rewritten entry, which is not this film's and does not
# lead to the root the tree head signed before.
"$CF_SQL_TAMPER" "$WORK/data" ledger "DROP TRIGGER ledger_entries_no_update;
  UPDATE ledger_entries SET entry = CAST(replace(CAST(entry AS TEXT), '\"ruijin\"', '\"forged\"') AS BLOB)
  WHERE leaf_index = 0;"
check "a package written after the log was rewritten" "$CLOUDFILM" film package "$FILM" \
  --out "$WORK/after.zip" "${CONFIG[@]}" --data "$WORK/data"
check "fails: the entry is not this film's" verify_fails "$WORK/after.zip" \
  "FAILED: log/entry.json: is not the issuance entry of this manifest"
check "and its path leads to another root than the signed one" verify_fails "$WORK/after.zip" \
  "FAILED: log/inclusion-proof.json: the path from log/entry.json at index 0 leads to root"

# The ZIP opens like a CD: import follows its DICOMDIR and stores every object byte-exact.
check "cloudfilm import of the package into a fresh data folder" "$CLOUDFILM" import \
  "${CONFIG[@]}" --data "$WORK/fresh" --tenant ruijin -q "$WORK/film.zip"
check_eq "stores every object with the manifest's hashes" \
  "$(jq -r '[.content.objects[].sha256] | sort | join(" ")' "$WORK/unzipped/manifest.json")" \
  "$("$CLOUDFILM" sql "${CONFIG[@]}" --data "$WORK/fresh" "SELECT sha256 FROM instances ORDER BY sha256" | tr '\n' ' ' | sed 's/ $//')"

# Unzipped and zipped again by Info-ZIP (other order, folder entries): still
# the same package, and still media for import.
(cd "$WORK/unzipped" && zip -q -r -X "$WORK/rezipped.zip" .)
check "a package unzipped and zipped again still verifies" "$CLOUDFILM" verify "$WORK/rezipped.zip" \
  --trust-key "$WORK/ruijin.pem"
check "and imports like the original" "$CLOUDFILM" import "${CONFIG[@]}" --data "$WORK/fresh2" \
  --tenant ruijin -q "$WORK/rezipped.zip"
check_eq "every object, nothing else" 4 \
  "$("$CLOUDFILM" sql "${CONFIG[@]}" --data "$WORK/fresh2" "SELECT count(*) FROM instances")"
finish
