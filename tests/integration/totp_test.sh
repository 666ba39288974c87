#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The TOTP second factor (RFC 6238) from outside, with the real binary and
# curl; codes are computed here with Python's standard library, as an
# authenticator app would. With security.require_totp_for_admins on: an
# admin without a second factor may only enrol; enrolment stays pending
# until a code confirms it; then a login needs a code, refuses a replayed
# one and one outside the drift window, and counts wrong ones towards the
# lockout; the owner may disable it with the password; the operator resets
# it from the CLI; API tokens are not affected; every step is in the audit
# trail and no secret is in the server's output.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/cloudfilm.toml" <<'TOML'
[security]
require_totp_for_admins = true
max_failed_logins = 3
login_attempts_per_minute = 200
TOML
start_server "$WORK/data" --config "$WORK/cloudfilm.toml"

check "config show has the setting" bash -c \
  "'$CLOUDFILM' config show --config '$WORK/cloudfilm.toml' | grep -qx 'require_totp_for_admins = true'"

ADMIN_PW='admin password 7f3c'
DOCTOR_PW='doctor password 91ab'
HEAD_PW='head password 4d2a'
printf '%s\n' "$ADMIN_PW" | "$CLOUDFILM" accounts create --data "$WORK/data" --login admin --role platform-admin >/dev/null
printf '%s\n' "$DOCTOR_PW" | "$CLOUDFILM" accounts create --data "$WORK/data" --login dr.wang --role doctor >/dev/null
printf '%s\n' "$HEAD_PW" | "$CLOUDFILM" accounts create --data "$WORK/data" --login head --role hospital-admin >/dev/null

# code SECRET STEP: the 6-digit code of a base32 secret at a 30 s time step.
code() {
  python3 - "$1" "$2" <<'PY'
import base64, hashlib, hmac, struct, sys
secret = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
mac = hmac.new(secret, struct.pack(">Q", int(sys.argv[2])), hashlib.sha1).digest()
offset = mac[-1] & 0x0F
value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
print("%06d" % (value % 1000000))
PY
}
# align: waits for a time step with at least 15 s left, so that the checks
# that follow run within it; sets S to it.
align() {
  local left
  left=$(python3 -c 'import time; print(30 - int(time.time()) % 30)')
  if ((left < 15)); then sleep "$left"; fi
  S=$(python3 -c 'import time; print(int(time.time()) // 30)')
}
step_now() { python3 -c 'import time; print(int(time.time()) // 30)'; }
login() {  # login NAME LOGIN PASSWORD [TOTP]: cookie jar $WORK/NAME.jar; prints the status
  local body
  body=$(jq -cn --arg l "$2" --arg p "$3" --arg t "${4:-}" \
    '{login: $l, password: $p} + (if $t == "" then {} else {totp: $t} end)')
  curl -q -s -c "$WORK/$1.jar" -D "$WORK/$1.login.hdr" -o "$WORK/$1.login.json" -w '%{http_code}' \
    -H 'Content-Type: application/json' -A 'totp-test-browser' -d "$body" "$BASE/api/auth/login"
}
csrf() { jq -r .csrf_token "$WORK/$1.login.json"; }
as() {  # as NAME [curl args...]: a request of NAME's session, with its CSRF token
  local name=$1; shift
  curl -q -s -b "$WORK/$name.jar" -H "X-CSRF-Token: $(csrf "$name")" "$@"
}
post() {  # post NAME PATH JSON [OUT]: prints the status
  as "$1" -o "${4:-/dev/null}" -w '%{http_code}' -H 'Content-Type: application/json' -d "$3" "$BASE$2"
}

# --- machine tokens are not affected ------------------------------------------
ADMIN_TOKEN=$("$CLOUDFILM" tokens issue --data "$WORK/data" --login admin --label automation 2>/dev/null)
check_eq "an admin's API token works without a second factor: 200" 200 "$(curl -q -s -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE/api/accounts")"
check_eq "and so does the bootstrap token: 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/accounts")"
check_eq "a token cannot enrol a second factor: 403" 403 "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
  -H 'Content-Type: application/json' -d '{}' "$BASE/api/auth/totp/enroll")"

# --- an admin without a second factor may only enrol --------------------------
check_eq "admin signs in with the password: 200" 200 "$(login admin admin "$ADMIN_PW")"
check_eq "the answer says it must enrol" true "$(jq -r .must_enrol_totp "$WORK/admin.login.json")"
check_eq "/api/auth/me answers: 200" 200 "$(as admin -o "$WORK/me.json" -w '%{http_code}' "$BASE/api/auth/me")"
check_eq "and says so too" "true false" "$(jq -r '"\(.must_enrol_totp) \(.totp_active)"' "$WORK/me.json")"
check_eq "but the session may not list accounts: 403" 403 "$(as admin -o "$WORK/held.json" -w '%{http_code}' "$BASE/api/accounts")"
check "the refusal says how to enrol" grep -q 'api/auth/totp/enroll' "$WORK/held.json"
check_eq "nor read images: 403" 403 "$(as admin -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies")"
check_eq "nor issue itself a token: 403" 403 "$(post admin /api/tokens '{"label":"escape"}')"
check_eq "enrolment without the CSRF token: 403" 403 "$(curl -q -s -b "$WORK/admin.jar" -o /dev/null -w '%{http_code}' \
  -X POST -H 'Content-Type: application/json' -d '{}' "$BASE/api/auth/totp/enroll")"
status=$(as admin -D "$WORK/enroll.hdr" -o "$WORK/enroll.json" -w '%{http_code}' -X POST \
  -H 'Content-Type: application/json' -d '{}' "$BASE/api/auth/totp/enroll")
check_eq "enrolment: 200" 200 "$status"
SECRET=$(jq -r .secret "$WORK/enroll.json")
check "the secret is 160 bits of base32" bash -c "[[ '$SECRET' =~ ^[A-Z2-7]{32}\$ ]]"
check_eq "the otpauth URI names issuer and login" \
  "otpauth://totp/cloudfilm:admin?secret=$SECRET&issuer=cloudfilm&algorithm=SHA1&digits=6&period=30" \
  "$(jq -r .uri "$WORK/enroll.json")"
check "the answer is not cached" grep -qi '^Cache-Control: no-store' "$WORK/enroll.hdr"
check_eq "the pending secret is not active: a password login still works" 200 "$(login pending admin "$ADMIN_PW")"
check_eq "and is still held to enrolment" true "$(jq -r .must_enrol_totp "$WORK/pending.login.json")"
check "accounts list shows it pending" bash -c "'$CLOUDFILM' accounts list --data '$WORK/data' | grep -E '^admin ' | grep -qw pending"

align
check_eq "confirm with a wrong code: 400" 400 "$(post admin /api/auth/totp/confirm "{\"code\":\"$(code "$SECRET" $((S + 5)))\"}")"
check_eq "still held: 403" 403 "$(as admin -o /dev/null -w '%{http_code}' "$BASE/api/accounts")"
check_eq "confirm with the app's code (a step behind): 200" 200 \
  "$(post admin /api/auth/totp/confirm "{\"code\":\"$(code "$SECRET" $((S - 1)))\"}")"
check_eq "the same session now lists accounts: 200" 200 "$(as admin -o /dev/null -w '%{http_code}' "$BASE/api/accounts")"
check_eq "the session opened with the password alone has ended: 401" 401 \
  "$(as pending -o /dev/null -w '%{http_code}' "$BASE/api/auth/me")"

# --- logins need the code ------------------------------------------------------
check_eq "a login without the code: 401" 401 "$(login nocode admin "$ADMIN_PW")"
check_eq "a problem saying a second factor is required" "urn:cloudfilm:error:second-factor-required totp" \
  "$(jq -r '"\(.type) \(.second_factor)"' "$WORK/nocode.login.json")"
check "and no session cookie" bash -c "! grep -qi '^Set-Cookie: cf_session' '$WORK/nocode.login.hdr'"
check_eq "a wrong code: 401" 401 "$(login wrong admin "$ADMIN_PW" "$(code "$SECRET" $((S + 7)))")"
check "and no session cookie" bash -c "! grep -qi '^Set-Cookie: cf_session' '$WORK/wrong.login.hdr'"
check_eq "the code that confirmed the enrolment cannot sign in: 401" 401 \
  "$(login replay0 admin "$ADMIN_PW" "$(code "$SECRET" $((S - 1)))")"
check_eq "the current code: 200" 200 "$(login admin2 admin "$ADMIN_PW" "$(code "$SECRET" "$S")")"
check_eq "with the factor active" "true false" \
  "$(jq -r '"\(.totp_active) \(.must_enrol_totp)"' "$WORK/admin2.login.json")"
check_eq "the same code again (replay): 401" 401 "$(login replay admin "$ADMIN_PW" "$(code "$SECRET" "$S")")"
check_eq "the next step's code (clock drift): 200" 200 "$(login admin3 admin "$ADMIN_PW" "$(code "$SECRET" $((S + 1)))")"
check_eq "a code three steps ahead: 401" 401 "$(login far admin "$ADMIN_PW" "$(code "$SECRET" $((S + 3)))")"
check "accounts list shows it active" bash -c "'$CLOUDFILM' accounts list --data '$WORK/data' | grep -E '^admin ' | grep -qw active"

# --- wrong codes count towards the lockout -------------------------------------
check_eq "the doctor signs in (a second factor is optional for doctors): 200" 200 "$(login doctor dr.wang "$DOCTOR_PW")"
check_eq "and is not held to enrolment" false "$(jq -r .must_enrol_totp "$WORK/doctor.login.json")"
post doctor /api/auth/totp/enroll '{}' "$WORK/doctor.enroll.json" >/dev/null
DOCTOR_SECRET=$(jq -r .secret "$WORK/doctor.enroll.json")
align
check_eq "the doctor confirms: 200" 200 "$(post doctor /api/auth/totp/confirm "{\"code\":\"$(code "$DOCTOR_SECRET" "$S")\"}")"
for i in 1 2 3; do
  check_eq "wrong code $i: 401" 401 "$(login brute dr.wang "$DOCTOR_PW" "$(code "$DOCTOR_SECRET" $((S + 10 + i)))")"
done
check_eq "then even the right password and code: 429 (locked)" 429 \
  "$(login brute dr.wang "$DOCTOR_PW" "$(code "$DOCTOR_SECRET" $((S + 1)))")"
check "with Retry-After" grep -qi '^Retry-After: [0-9]' "$WORK/brute.login.hdr"

# --- disabling needs the password again ----------------------------------------
check_eq "disable with a wrong password: 403" 403 "$(post admin2 /api/auth/totp/disable '{"password":"not the password"}')"
check_eq "disable with nothing: 400" 400 "$(post admin2 /api/auth/totp/disable '{}')"
check_eq "disable with the password: 204" 204 "$(post admin2 /api/auth/totp/disable "{\"password\":\"$ADMIN_PW\"}")"
check_eq "the admin's session is held to enrolment again: 403" 403 "$(as admin2 -o /dev/null -w '%{http_code}' "$BASE/api/accounts")"
check_eq "its other sessions have ended: 401" 401 "$(as admin3 -o /dev/null -w '%{http_code}' "$BASE/api/auth/me")"

# --- operator recovery ----------------------------------------------------------
check_eq "the hospital admin signs in to enrol: 200" 200 "$(login head head "$HEAD_PW")"
post head /api/auth/totp/enroll '{}' "$WORK/head.enroll.json" >/dev/null
HEAD_SECRET=$(jq -r .secret "$WORK/head.enroll.json")
check_eq "and confirms: 200" 200 "$(post head /api/auth/totp/confirm "{\"code\":\"$(code "$HEAD_SECRET" "$(step_now)")\"}")"
check_eq "its session is complete: 200" 200 "$(as head -o /dev/null -w '%{http_code}' "$BASE/api/accounts")"
check "accounts reset-totp (the phone is lost)" bash -c \
  "'$CLOUDFILM' accounts reset-totp head --data '$WORK/data' | grep -q 'removed the TOTP second factor for head'"
check_eq "its sessions have ended: 401" 401 "$(as head -o /dev/null -w '%{http_code}' "$BASE/api/auth/me")"
check_eq "it signs in with the password alone: 200" 200 "$(login head2 head "$HEAD_PW")"
check_eq "held to enrolment again" true "$(jq -r .must_enrol_totp "$WORK/head2.login.json")"
rc=0; "$CLOUDFILM" accounts reset-totp no.such.user --data "$WORK/data" >/dev/null 2>&1 || rc=$?
check_eq "reset-totp of an unknown login: exit 4" 4 "$rc"

# --- the audit trail -------------------------------------------------------------
audit() { curl -s "$BASE/api/audit?limit=1000&$1"; }
details=$(audit "action=login-failed&actor=admin" | jq -r '[.events[].detail] | unique | join(",")')
check "a wrong code is a login-failed event saying \"second factor\"" grep -q '\(^\|,\)second factor\(,\|$\)' <<<"$details"
check "a replayed code is one too" grep -q 'second factor (code already used)' <<<"$details"
check "and a missing code" grep -q 'second factor missing' <<<"$details"
check "enrolment, confirmation and disabling are account-change events" bash -c \
  "curl -s '$BASE/api/audit?limit=1000&action=account-change&actor=admin' | jq -e '[.events[].detail] | (map(select(contains(\"enrolment started\"))) | length >= 1) and (map(select(contains(\"totp active\"))) | length == 1) and (map(select(contains(\"totp disabled\"))) | length == 1)' >/dev/null"
check "the operator's reset is recorded" bash -c \
  "curl -s '$BASE/api/audit?limit=1000&action=account-change&actor=operator' | jq -e '.events[] | select(.detail | contains(\"reset for head (totp removed)\")) | .protocol == \"cli\"' >/dev/null"
check "the held session's refusals are recorded" bash -c \
  "curl -s '$BASE/api/audit?limit=1000&action=access-denied&actor=admin' | jq -e '[.events[] | select(.detail == \"second factor not enrolled\")] | length >= 3' >/dev/null"

# --- no secret in the server's output ---------------------------------------------
for secret in "$SECRET" "$DOCTOR_SECRET" "$HEAD_SECRET" "$ADMIN_PW" "$DOCTOR_PW" "$HEAD_PW"; do
  check "no TOTP secret or password in the server log (${#secret} chars)" \
    bash -c "! grep -qF -- '$secret' '$WORK/server.log' '$WORK/server.out'"
done
check "the server is still up" server_alive
finish
