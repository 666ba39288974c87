#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# RFC 3161 time-stamps of the transparency log's tree heads, against
# OpenSSL's own TSA served over HTTP (tests/tsa): a film issued while a TSA
# is configured is dated by the TSA's signed token, which `openssl ts
# -verify` accepts for the imprint recomputed from the published tree head;
# a TSA that is down delays the stamp but not the film; `ledger check`
# verifies every kept token and names one that was swapped; a film's
# package carries the token and `cloudfilm verify --tsa-ca` checks it.
source "$(dirname "$0")/lib.sh"
: "${CF_SQL_TAMPER:?CF_SQL_TAMPER must name the cf_sql_tamper tool}"
TSA_DIR=$WORK/tsa
"$HERE/../tsa/make_tsa.sh" "$TSA_DIR"
python3 "$HERE/../tsa/tsa_server.py" "$TSA_DIR" >"$WORK/tsa.port" 2>"$WORK/tsa.log" &
TSA_PID=$!
trap 'rc=$?; kill $TSA_PID 2>/dev/null; (exit $rc); cleanup' EXIT
for ((i = 0; i < 100; i++)); do [[ -s $WORK/tsa.port ]] && break; sleep 0.05; done
TSA_URL="http://127.0.0.1:$(cat "$WORK/tsa.port")/"

cat >"$WORK/cloudfilm.toml" <<TOML
[tenants.ruijin]
name = "Ruijin Hospital"
ae_titles = ["RJ_CT"]
[ledger]
tsa_url = "$TSA_URL"
tsa_ca_file = "$TSA_DIR/ca.pem"
tsa_interval = "1s"
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")

# A TSA without its CA is refused at start: an unchecked stamp is anyone's word.
printf '[ledger]\ntsa_url = "%s"\n' "$TSA_URL" >"$WORK/no-ca.toml"
check_eq "tsa_url without tsa_ca_file: cloudfilm refuses to start" 2 \
  "$("$CLOUDFILM" config show --config "$WORK/no-ca.toml" >/dev/null 2>"$WORK/no-ca.err"; echo $?)"
check "naming the missing setting" grep -q 'ledger.tsa_ca_file is required' "$WORK/no-ca.err"

"$CLOUDFILM" synth "$WORK/synth" --seed 71 --patients 1 --studies 1 --series 1 --instances 2 \
  --ct-size 32 >/dev/null
STUDY=$(dicom_value "$(first_dicom "$WORK/synth")" StudyInstanceUID)
start_server "$WORK/data" "${CONFIG[@]}"
check "RJ_CT stores the exam" storescu -aet RJ_CT -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
DOC=$(account_token "$WORK/data" dr.li doctor ruijin "${CONFIG[@]}")
report() {  # report STATUS CONCLUSION: prints the status
  curl -q -s -o "$WORK/report.json" -w '%{http_code}' -H "Authorization: Bearer $DOC" \
    -H 'Content-Type: application/json' --data-binary \
    "{\"study_uid\":\"$STUDY\",\"kind\":\"radiology\",\"status\":\"$1\",\"conclusion\":\"$2\",\"signer\":\"李医生\",\"signed_at\":\"2026-11-29T09:30:00+08:00\"}" \
    "$BASE/api/reports"
}
check_eq "the signed report issues a film" 201 "$(report final '未见异常。')"
FILM=$(curl -q -s -H "Authorization: Bearer $DOC" "$BASE/api/films?study=$STUDY" | jq -r '.items[-1].id')

# The server stamps in the background (every second here).
wait_stamped() {  # wait_stamped FILM: the public verification, once a stamp covers the film
  local i
  for ((i = 0; i < 100; i++)); do
    curl -q -s "$BASE/verify/films/$1" >"$WORK/public.json"
    [[ $(jq -r '.tree_head_timestamp != null' "$WORK/public.json") == true ]] && return 0
    sleep 0.2
  done
  return 1
}
check "within seconds a time-stamped tree head covers the film" wait_stamped "$FILM"
check "the verdict says so" grep -q 'time-stamped by an RFC 3161 authority at 20' "$WORK/public.json"
check_eq "the stamp is of the head that proves the film" \
  "$(jq -r .tree_head.tree_size "$WORK/public.json")" "$(jq -r .tree_head_timestamp.tree_size "$WORK/public.json")"
check "the TSA is named" grep -q 'cloudfilm test TSA' "$WORK/public.json"
FIRST_SIZE=$(jq -r .tree_head.tree_size "$WORK/public.json")

# Independent check: the imprint is SHA-256 of the head's 50 signed bytes
# (RFC 6962 TreeHeadSignature), recomputed here from the published JSON.
imprint_of() {  # imprint_of JSON: from its .tree_head
  python3 - "$1" <<'PY'
import hashlib, json, struct, sys
h = json.load(open(sys.argv[1]))["tree_head"]
signed = bytes([0, 1]) + struct.pack(">QQ", h["timestamp"], h["tree_size"]) + bytes.fromhex(h["sha256_root_hash"])
print(hashlib.sha256(signed).hexdigest())
PY
}
jq -r .tree_head_timestamp.token "$WORK/public.json" | base64 -d >"$WORK/token.der"
IMPRINT=$(imprint_of "$WORK/public.json")
check "openssl ts -verify accepts the token for the recomputed imprint" \
  openssl ts -verify -digest "$IMPRINT" -in "$WORK/token.der" -token_in -CAfile "$TSA_DIR/ca.pem"
check "and refuses it for another head" bash -c "! openssl ts -verify -digest $(printf '%064d' 0) \
  -in '$WORK/token.der' -token_in -CAfile '$TSA_DIR/ca.pem' >/dev/null 2>&1"
check "and with another CA" bash -c "'$HERE/../tsa/make_tsa.sh' '$WORK/other' && ! openssl ts -verify \
  -digest $IMPRINT -in '$WORK/token.der' -token_in -CAfile '$WORK/other/ca.pem' >/dev/null 2>&1"

# The TSA goes down: a film is still issued at once; its stamp follows
# when the TSA is back.
touch "$TSA_DIR/down"
check_eq "while the TSA is down, an amendment still issues a film at once" 201 \
  "$(curl -q -s -o "$WORK/amend.json" -w '%{http_code}' -H "Authorization: Bearer $DOC" \
    -H 'Content-Type: application/json' --data-binary \
    '{"status":"amended","conclusion":"更正：未见异常。","signer":"李医生","signed_at":"2026-11-29T10:00:00Z"}' \
    "$BASE/api/reports/$(jq -r .id "$WORK/report.json")/versions")"
SECOND=$(curl -q -s -H "Authorization: Bearer $DOC" "$BASE/api/films?study=$STUDY" | jq -r '.items[-1].id')
check "which is a new film" test "$SECOND" != "$FILM"
for ((i = 0; i < 100; i++)); do grep -q ledger.timestamp_failed "$WORK/server.log" && break; sleep 0.1; done
check "the failure is logged with the reason" grep -q 'ledger.timestamp_failed.*HTTP 503' "$WORK/server.log"
curl -q -s "$BASE/verify/films/$SECOND" >"$WORK/second.json"
check_eq "and the film verifies, not yet stamped" "true null" \
  "$(jq -r '"\(.in_log) \(.tree_head_timestamp)"' "$WORK/second.json")"
rm "$TSA_DIR/down"
check "when the TSA is back, a stamp covers the new film too" wait_stamped "$SECOND"
check "the server logged the stamp" grep -q 'ledger.timestamped tree_size=' "$WORK/server.log"
check "no signer in the log" absent '李医生' "$WORK/server.log"
check "nor the study UID" absent "$STUDY" "$WORK/server.log"

# The film's package carries the stamp, and cloudfilm verify checks it offline.
check_eq "the package of the stamped film: 200" 200 "$(curl -q -s -o "$WORK/film.zip" -w '%{http_code}' \
  -H "Authorization: Bearer $DOC" "$BASE/api/films/$SECOND/package")"
check "it holds the TSA's token" bash -c "unzip -Z1 '$WORK/film.zip' | grep -qx log/tree-head.tst"
check "cloudfilm verify --tsa-ca checks it up to the TSA's CA" bash -c "'$CLOUDFILM' verify '$WORK/film.zip' \
  --tsa-ca '$TSA_DIR/ca.pem' | grep -q 'time-stamped by an RFC 3161 authority at 20.* (signature checked against --tsa-ca)'"
check_eq "against another TSA's CA: exit 1" 1 \
  "$("$CLOUDFILM" verify "$WORK/film.zip" --tsa-ca "$WORK/other/ca.pem" >"$WORK/other-ca.out" 2>&1; echo $?)"
check "naming the token" grep -q "FAILED: log/tree-head.tst: not a time-stamp of log/tree-head.json" "$WORK/other-ca.out"
stop_server

check "ledger check verifies the kept tokens against the TSA's CA" \
  "$CLOUDFILM" ledger check --data "$WORK/data" "${CONFIG[@]}"
"$CLOUDFILM" ledger check --data "$WORK/data" "${CONFIG[@]}" >"$WORK/check.out"
STAMPS=$(sed -n 's/^time-stamps checked: \([0-9]*\).*/\1/p' "$WORK/check.out")
check "at least two stamps were checked" test "${STAMPS:-0}" -ge 2
"$CLOUDFILM" ledger timestamp --data "$WORK/data" "${CONFIG[@]}" --out "$WORK/cli.der" >"$WORK/cli.json"
check "ledger timestamp shows the latest stamp with its imprint; openssl verifies the token" \
  openssl ts -verify -digest "$(jq -r .imprint_sha256 "$WORK/cli.json")" -in "$WORK/cli.der" \
  -token_in -CAfile "$TSA_DIR/ca.pem"

# A token swapped onto another head (possible only by rewriting the file
# with the master key) is named by the check.
cp -a "$WORK/data" "$WORK/swapped"
"$CF_SQL_TAMPER" "$WORK/swapped" ledger "DROP TRIGGER ledger_timestamps_no_update;
  UPDATE ledger_timestamps SET token = (SELECT token FROM ledger_timestamps ORDER BY tree_size DESC LIMIT 1)
  WHERE tree_size = $FIRST_SIZE" >/dev/null
check_eq "ledger check fails on the swapped token" 1 \
  "$("$CLOUDFILM" ledger check --data "$WORK/swapped" "${CONFIG[@]}" >"$WORK/swapped.out" 2>&1; echo $?)"
check "naming the head whose stamp does not hold" \
  grep -q "problem: the time-stamp of the tree head of size $FIRST_SIZE: time-stamp: the token does not verify" "$WORK/swapped.out"
finish
