#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Accounts, tokens, sessions and the audit trail, tried from outside as an
# attacker and as each kind of user would: anonymous requests on every kind
# of route, brute force on a password, a stolen cookie without its CSRF
# token, a revoked token, a doctor trying to store or administer; and then
# the audit trail, which must show every access made by HTTP and DIMSE
# clients, and no password or token anywhere in the server's output.
source "$(dirname "$0")/lib.sh"
# A token is PREFIX_ID_SECRET with a hex id; its base64url secret may hold
# '_' itself, so it is what follows the second '_' (not the last one, which
# once left a 1-character "secret" that matched the log by chance).
secret_of() { local rest=${1#*_}; echo "${rest#*_}"; }

"$CLOUDFILM" synth "$WORK/synth" --seed 41 --patients 1 --studies 1 --series 1 --instances 3 \
  --ct-size 64 >/dev/null
"$CLOUDFILM" synth "$WORK/stow" --seed 42 --patients 1 --studies 1 --series 1 --instances 1 \
  --ct-size 64 >/dev/null
cat >"$WORK/cloudfilm.toml" <<'TOML'
[security]
max_failed_logins = 3
login_attempts_per_minute = 12
TOML
start_server "$WORK/data" --config "$WORK/cloudfilm.toml"
check "a fresh server says how to create the first administrator" \
  grep -q "cloudfilm accounts create" "$WORK/server.out"

# --- anonymous --------------------------------------------------------------
check_eq "anonymous health probe: 200" 200 "$(curl -q -s -o /dev/null -w '%{http_code}' "$BASE/healthz")"
for path in /dicom-web/studies /api/studies /api/system /api/audit /api/accounts /api/auth/me \
  "/wado?requestType=WADO&studyUID=1&seriesUID=1&objectUID=1"; do
  check_eq "anonymous GET $path: 401" 401 "$(curl -q -s -g -o /dev/null -w '%{http_code}' "$BASE$path")"
done
status=$(curl -q -s -D "$WORK/anon.hdr" -o "$WORK/anon.body" -w '%{http_code}' "$BASE/dicom-web/studies")
check "401 says how to authenticate" grep -qi '^WWW-Authenticate: Bearer' "$WORK/anon.hdr"
check_eq "401 is problem JSON" "application/problem+json" "$(tr -d '\r' <"$WORK/anon.hdr" | awk -F': ' 'tolower($1)=="content-type"{print $2}')"
# An anonymous STOW-RS upload is refused on its header: nothing is spooled.
head -c 3000000 /dev/urandom >"$WORK/junk.bin"
status=$(curl -q -s -o /dev/null -w '%{http_code}' -X POST \
  -H 'Content-Type: multipart/related; type="application/dicom"; boundary=x' \
  --data-binary @"$WORK/junk.bin" "$BASE/dicom-web/studies")
check_eq "anonymous STOW-RS: 401" 401 "$status"
check_eq "and nothing was spooled" 0 "$(find "$WORK/data/tmp/http" -type f | wc -l)"
check_eq "a forged bearer token: 401" 401 \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer cft_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' "$BASE/dicom-web/studies")"
check_eq "the bootstrap token: 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies")"

# --- accounts from the CLI ----------------------------------------------------
ADMIN_PW='admin password 7f3c'
DOCTOR_PW='doctor password 91ab'
AUDITOR_PW='auditor password 5d2e'
printf '%s\n' "$ADMIN_PW" >"$WORK/admin.pw"
check "accounts create (password file)" "$CLOUDFILM" accounts create --data "$WORK/data" \
  --login admin --role platform-admin --password-file "$WORK/admin.pw"
check "accounts create (password on stdin)" \
  bash -c "printf '%s\n' '$DOCTOR_PW' | '$CLOUDFILM' accounts create --data '$WORK/data' --login dr.wang --role doctor"
printf '%s\n' "$AUDITOR_PW" | "$CLOUDFILM" accounts create --data "$WORK/data" --login audit1 --role auditor >/dev/null
rc=0; printf 'short\n' | "$CLOUDFILM" accounts create --data "$WORK/data" --login x.short --role doctor \
  >/dev/null 2>"$WORK/short.err" || rc=$?
check_eq "a too-short password is refused with exit 2" 2 "$rc"
check "and the message says why" grep -q "at least 10" "$WORK/short.err"
rc=0; printf '%s\n' "$DOCTOR_PW" | "$CLOUDFILM" accounts create --data "$WORK/data" --login DR.WANG \
  --role doctor >/dev/null 2>&1 || rc=$?
check_eq "a duplicate login (any case) is refused with exit 5" 5 "$rc"
check "accounts list shows the three accounts" \
  bash -c "'$CLOUDFILM' accounts list --data '$WORK/data' | grep -c -E '^(admin|dr.wang|audit1) ' | grep -qx 3"

# --- browser session --------------------------------------------------------
login() {  # login NAME LOGIN PASSWORD: cookie jar $WORK/NAME.jar; prints the status
  curl -q -s -c "$WORK/$1.jar" -D "$WORK/$1.login.hdr" -o "$WORK/$1.login.json" -w '%{http_code}' \
    -H 'Content-Type: application/json' -A 'auth-test-browser' \
    -d "{\"login\":\"$2\",\"password\":\"$3\"}" "$BASE/api/auth/login"
}
check_eq "doctor login: 200" 200 "$(login doctor dr.wang "$DOCTOR_PW")"
check "the session cookie is HttpOnly and SameSite=Strict" \
  grep -qiE '^Set-Cookie: cf_session=cfs_[^;]+;.*SameSite=Strict.*HttpOnly' "$WORK/doctor.login.hdr"
check_eq "the login answer names the role" doctor "$(jq -r .role "$WORK/doctor.login.json")"
CSRF=$(jq -r .csrf_token "$WORK/doctor.login.json")
session() { curl -q -s -b "$WORK/doctor.jar" "$@"; }
check_eq "the session reads studies: 200" 200 "$(session -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies")"
check_eq "/api/auth/me names the doctor" dr.wang "$(session "$BASE/api/auth/me" | jq -r .login)"
check_eq "a POST without the CSRF token: 403" 403 "$(session -o /dev/null -w '%{http_code}' \
  -H 'Content-Type: application/json' -d '{"label":"x"}' "$BASE/api/tokens")"
check_eq "a POST with another session's CSRF token: 403" 403 "$(session -o /dev/null -w '%{http_code}' \
  -H 'X-CSRF-Token: cfc_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' \
  -H 'Content-Type: application/json' -d '{"label":"x"}' "$BASE/api/tokens")"
status=$(session -o "$WORK/token.json" -w '%{http_code}' -H "X-CSRF-Token: $CSRF" \
  -H 'Content-Type: application/json' -d '{"label":"viewer","scopes":["read-images"]}' "$BASE/api/tokens")
check_eq "with it, the doctor issues itself a token: 201" 201 "$status"
DOCTOR_TOKEN=$(jq -r .token "$WORK/token.json")
DOCTOR_TOKEN_ID=$(jq -r .id "$WORK/token.json")
check "the token is shown once, in full" bash -c "[[ '$DOCTOR_TOKEN' =~ ^cft_${DOCTOR_TOKEN_ID}_[A-Za-z0-9_-]{43}\$ ]]"
curl -q -s -b "$WORK/doctor.jar" "$BASE/api/tokens" >"$WORK/tokens.json"
check "the token list is there" jq -e '.tokens | length >= 1' "$WORK/tokens.json"
check "and never shows a secret" absent "$(secret_of "$DOCTOR_TOKEN")" "$WORK/tokens.json"
check_eq "the doctor may not create accounts: 403" 403 "$(session -o /dev/null -w '%{http_code}' \
  -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
  -d '{"login":"mallory","role":"platform-admin","password":"0123456789ab"}' "$BASE/api/accounts")"
check_eq "nor read the audit trail: 403" 403 "$(session -o /dev/null -w '%{http_code}' "$BASE/api/audit")"

# --- API tokens --------------------------------------------------------------
as_doctor() { curl -q -s -H "Authorization: Bearer $DOCTOR_TOKEN" "$@"; }
check "C-STORE of 3 synthetic instances" storescu -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/synth"
STUDY=$(curl -s "$BASE/dicom-web/studies" | jq -r '.[0]["0020000D"].Value[0]')
check_eq "the doctor's token searches: 200" 200 "$(as_doctor -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies")"
check_eq "and reads the study's metadata: 200" 200 \
  "$(as_doctor -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies/$STUDY/metadata")"
some_dcm=$(find "$WORK/stow" -name '*.dcm' | head -1)
python3 - "$some_dcm" "$WORK/one.mp" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
with open(sys.argv[2], 'wb') as out:
    out.write(b'--b\r\nContent-Type: application/dicom\r\n\r\n' + data + b'\r\n--b--\r\n')
PY
check_eq "but may not store (STOW-RS): 403" 403 "$(as_doctor -o /dev/null -w '%{http_code}' -X POST \
  -H 'Content-Type: multipart/related; type="application/dicom"; boundary=b' \
  --data-binary @"$WORK/one.mp" "$BASE/dicom-web/studies")"
TECH_TOKEN=$(printf 'tech password 1234\n' | { "$CLOUDFILM" accounts create --data "$WORK/data" \
  --login tech1 --role technologist >/dev/null && "$CLOUDFILM" tokens issue --data "$WORK/data" \
  --login tech1 --scope store-images --label modality 2>/dev/null; })
check_eq "a technologist's store-only token stores: 200" 200 "$(curl -q -s -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer $TECH_TOKEN" -X POST \
  -H 'Content-Type: multipart/related; type="application/dicom"; boundary=b' \
  --data-binary @"$WORK/one.mp" "$BASE/dicom-web/studies")"
check_eq "but does not search: 403" 403 "$(curl -q -s -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer $TECH_TOKEN" "$BASE/dicom-web/studies")"
check_eq "the doctor revokes its token: 204" 204 "$(session -o /dev/null -w '%{http_code}' -X DELETE \
  -H "X-CSRF-Token: $CSRF" "$BASE/api/tokens/$DOCTOR_TOKEN_ID")"
check_eq "the revoked token: 401" 401 "$(as_doctor -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies")"
check_eq "logout: 204" 204 "$(session -o /dev/null -w '%{http_code}' -X POST -H "X-CSRF-Token: $CSRF" "$BASE/api/auth/logout")"
check_eq "the ended session: 401" 401 "$(session -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies")"

# --- break-glass: a doctor of another hospital in an emergency --------------
printf 'h2 doctor password 1\n' | "$CLOUDFILM" accounts create --data "$WORK/data" --login dr.zhao \
  --role doctor --tenant h2 >/dev/null
check_eq "another hospital's doctor signs in: 200" 200 "$(login h2 dr.zhao 'h2 doctor password 1')"
H2_CSRF=$(jq -r .csrf_token "$WORK/h2.login.json")
h2() { curl -q -s -b "$WORK/h2.jar" "$@"; }
check_eq "but sees nothing of this hospital: 404 in its own" 404 "$(h2 -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies/$STUDY/metadata")"
check_eq "and 403 naming this one" 403 "$(h2 -o /dev/null -w '%{http_code}' -H 'X-Cloudfilm-Tenant: default' \
  "$BASE/dicom-web/studies/$STUDY/metadata")"
check_eq "break-glass without a real reason: 400" 400 "$(h2 -o /dev/null -w '%{http_code}' -H "X-CSRF-Token: $H2_CSRF" \
  -H 'Content-Type: application/json' -d '{"tenant":"default","reason":"need it"}' "$BASE/api/auth/break-glass")"
check_eq "break-glass with a typed reason: 201" 201 "$(h2 -o /dev/null -w '%{http_code}' -H "X-CSRF-Token: $H2_CSRF" \
  -H 'Content-Type: application/json' -d '{"tenant":"default","reason":"unconscious patient in our ER, prior CT needed","minutes":15}' \
  "$BASE/api/auth/break-glass")"
check_eq "now the study reads, naming its hospital: 200" 200 "$(h2 -o /dev/null -w '%{http_code}' \
  -H 'X-Cloudfilm-Tenant: default' "$BASE/dicom-web/studies/$STUDY/metadata")"
check_eq "but storing is still refused: 403" 403 "$(h2 -o /dev/null -w '%{http_code}' -X POST -H "X-CSRF-Token: $H2_CSRF" \
  -H 'X-Cloudfilm-Tenant: default' -H 'Content-Type: multipart/related; type="application/dicom"; boundary=b' \
  --data-binary @"$WORK/one.mp" "$BASE/dicom-web/studies")"

# The auditor signs in now: the brute force below exhausts this address's
# login budget.
check_eq "auditor login: 200" 200 "$(login auditor audit1 "$AUDITOR_PW")"

# --- brute force --------------------------------------------------------------
for i in 1 2 3; do
  check_eq "wrong password $i: 401" 401 "$(login brute dr.wang "guess number $i")"
done
check_eq "then even the right password: 429 (locked)" 429 "$(login brute dr.wang "$DOCTOR_PW")"
check "with Retry-After" grep -qi '^Retry-After: [0-9]' "$WORK/brute.login.hdr"
check_eq "an unknown login answers like a wrong password" 401 "$(login nobody no.such.user "whatever 123")"
codes=""
for i in $(seq 1 10); do codes+="$(login spray "user$i" "password $i") "; done
check "the address is throttled after 12 attempts a minute: 429" grep -q 429 <<<"$codes"

# --- DICOM clients are audited too ------------------------------------------
check "C-FIND" bash -c "findscu -S -aet AUDITED -aec CLOUDFILM -k QueryRetrieveLevel=STUDY -k StudyInstanceUID 127.0.0.1 $DICOM_PORT 2>&1 | grep -q StudyInstanceUID"
mkdir -p "$WORK/get"
check "C-GET of the study" getscu -aet GETTER -aec CLOUDFILM -od "$WORK/get" -k QueryRetrieveLevel=STUDY \
  -k "StudyInstanceUID=$STUDY" 127.0.0.1 "$DICOM_PORT"

# --- the audit trail, as the auditor sees it --------------------------------
audit() { curl -q -s -b "$WORK/auditor.jar" "$BASE/api/audit?limit=1000&$1"; }
check_eq "the auditor may not read images: 403" 403 \
  "$(curl -q -s -b "$WORK/auditor.jar" -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies")"
who_viewed=$(audit "study=$STUDY" | jq -r '[.events[] | select(.outcome == "success") | "\(.actor) \(.action) \(.protocol)"] | unique | join(",")')
check "who viewed the exam: the doctor's view over HTTP" grep -q "dr.wang view http" <<<"$who_viewed"
check "and the modality's C-STORE" grep -q "ae:STORESCU store dimse" <<<"$who_viewed"
check "and the C-GET" grep -q "ae:GETTER download dimse" <<<"$who_viewed"
check "the C-FIND is a query event" bash -c "curl -q -s -b '$WORK/auditor.jar' '$BASE/api/audit?actor=ae:AUDITED' | jq -e '.events[0].action == \"query\" and .events[0].route == \"C-FIND\"' >/dev/null"
check "failed logins are there with their source address" bash -c \
  "curl -q -s -b '$WORK/auditor.jar' '$BASE/api/audit?action=login-failed&actor=dr.wang' | jq -e '(.events | length) >= 4 and .events[0].source == \"127.0.0.1\" and .events[0].user_agent == \"auth-test-browser\"' >/dev/null"
check "the refused STOW-RS of the doctor is an access-denied event" bash -c \
  "curl -q -s -b '$WORK/auditor.jar' '$BASE/api/audit?action=access-denied&actor=dr.wang' | jq -e '.events | length >= 1' >/dev/null"
check "token creation and revocation are recorded" bash -c \
  "curl -q -s -b '$WORK/auditor.jar' '$BASE/api/audit?actor=dr.wang' | jq -e '[.events[].action] | (index(\"token-create\") != null) and (index(\"token-revoke\") != null)' >/dev/null"
check "the break-glass grant and the read through it are flagged for review" bash -c \
  "curl -q -s -b '$WORK/auditor.jar' '$BASE/api/audit?flagged=true&actor=dr.zhao' | jq -e '([.events[].action] | index(\"break-glass\") != null and index(\"view\") != null) and (.events[] | select(.action == \"break-glass\") | .detail | contains(\"unconscious patient\"))' >/dev/null"
check_eq "an unknown action filter: 400" 400 "$(curl -q -s -o /dev/null -w '%{http_code}' -b "$WORK/auditor.jar" "$BASE/api/audit?action=peek")"

# --- no secret in the server's output ---------------------------------------
for secret in "$ADMIN_PW" "$DOCTOR_PW" "$AUDITOR_PW" "$CF_TOKEN" "$(secret_of "$DOCTOR_TOKEN")" \
  "$(secret_of "$TECH_TOKEN")" "$(secret_of "$CSRF")"; do
  check "no password or token secret in the server log (${#secret} chars)" \
    absent "$secret" "$WORK/server.log" "$WORK/server.out"
done
check "the server is still up" server_alive
finish
