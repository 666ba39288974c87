#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The notification outbox against real receivers: a Python HTTPS webhook
# gateway (notify_receiver.py) that checks our HMAC signature, and aiosmtpd
# behind STARTTLS and a login, both with a test certificate that only
# notify.*.ca_file makes trusted. A message the gateway refuses twice
# with 500 is delivered on the 3rd attempt; one it answers 400 fails after
# one; a Chinese e-mail arrives with its subject and body intact; the file
# provider writes its JSON line; messages queued while the gateway is down
# arrive after a kill -9 and a restart, at least once each.
source "$(dirname "$0")/lib.sh"

/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || skip "python3-aiosmtpd is not installed"

GW_PORT=$(free_port)
SMTP_PORT=$(free_port)
(umask 077 && printf 'gateway shared secret 2026\n' >"$WORK/webhook.secret")
(umask 077 && printf 'mail password\n' >"$WORK/smtp.password")
# A certificate for the gateway's HTTPS and the SMTP server's STARTTLS,
# trusted through notify.webhook.ca_file and notify.smtp.ca_file.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/test.key" -out "$WORK/test.crt" 2>/dev/null

cat >"$WORK/cloudfilm.toml" <<TOML
[tenants.north]
name = "North Hospital"
notify_provider = "smtp"
[notify]
provider = "webhook"
[notify.webhook]
url = "https://127.0.0.1:$GW_PORT/hook"
secret_file = "$WORK/webhook.secret"
timeout = "3s"
ca_file = "$WORK/test.crt"
[notify.smtp]
url = "smtp://127.0.0.1:$SMTP_PORT"
from = "films@north.example"
starttls = true
username = "cloudfilm"
password_file = "$WORK/smtp.password"
ca_file = "$WORK/test.crt"
[notify.file]
path = "$WORK/notifications.jsonl"
[notify.retry]
max_attempts = 10
first_delay = "1s"
max_delay = "2s"
max_age = "1h"
TOML
CONFIG=(--config "$WORK/cloudfilm.toml")

GW_PID=
start_gateway() {
  /usr/bin/python3 "$HERE/notify_receiver.py" "$GW_PORT" "$WORK/webhook.secret" "$WORK/gateway.jsonl" \
    "$WORK/test.crt" "$WORK/test.key" &
  GW_PID=$!
  local i
  for ((i = 0; i < 200; i++)); do
    curl -q -s -o /dev/null --cacert "$WORK/test.crt" "https://127.0.0.1:$GW_PORT/" && return 0
    sleep 0.05
  done
  echo "gateway not ready"; return 1
}
stop_gateway() { kill "$GW_PID" 2>/dev/null; wait "$GW_PID" 2>/dev/null || true; GW_PID=; }
mkdir -p "$WORK/maildir"
/usr/bin/python3 "$HERE/notify_smtpd.py" "$SMTP_PORT" "$WORK/test.crt" "$WORK/test.key" cloudfilm \
  "$WORK/smtp.password" "$WORK/maildir" "$WORK/smtp-auth.log" >"$WORK/smtpd.out" 2>"$WORK/smtpd.log" &
SMTPD_PID=$!
# lib.sh's cleanup reads the exit status first: hand it on.
trap 'rc=$?; stop_gateway; kill $SMTPD_PID 2>/dev/null; (exit $rc); cleanup' EXIT
start_gateway
for ((i = 0; i < 200; i++)); do grep -q ready "$WORK/smtpd.out" 2>/dev/null && break; sleep 0.05; done

# Configuration: secrets stay in their files, a provider without what it
# needs is refused at startup.
"$CLOUDFILM" config show "${CONFIG[@]}" >"$WORK/config.toml"
check_eq "config show names the secret files" "$WORK/webhook.secret $WORK/smtp.password" \
  "$(grep -E '^ *(secret|password)_file' "$WORK/config.toml" | sed -E "s/.*= '(.*)'$/\1/" |
    sort -r | tr '\n' ' ' | sed 's/ $//')"
check "and never their contents" bash -c "! grep -q -e 'gateway shared secret' -e 'mail password' '$WORK/config.toml'"
sed '/^secret_file/d' "$WORK/cloudfilm.toml" >"$WORK/no-secret.toml"
rc=0
"$CLOUDFILM" config show --config "$WORK/no-secret.toml" >/dev/null 2>"$WORK/no-secret.err" || rc=$?
check_eq "a webhook without its secret file is refused" \
  "2 cloudfilm: notify.provider = \"webhook\" needs notify.webhook.url and notify.webhook.secret_file" \
  "$rc $(cat "$WORK/no-secret.err")"

# TLS verification is on: without ca_file the test certificate is not trusted.
sed '/^ca_file/d' "$WORK/cloudfilm.toml" >"$WORK/no-ca.toml"
rc=0
"$CLOUDFILM" notify send --config "$WORK/no-ca.toml" --data "$WORK/data" --to +8613500000000 \
  --text "tls" --key tls-1 >"$WORK/no-ca.out" || rc=$?
check_eq "an untrusted gateway certificate: not delivered (exit 1), queued for a retry" "1 queued" \
  "$rc $(awk '{ print $2 }' "$WORK/no-ca.out")"
check "with a libcurl TLS error" grep -q 'error="libcurl: SSL peer certificate or SSH remote key was not OK"' "$WORK/no-ca.out"

start_server "$WORK/data" "${CONFIG[@]}"
send() {  # send JSON [curl args...]: POST /api/notifications, answer in $WORK/sent.json; prints the status
  local body=$1; shift
  curl -s -o "$WORK/sent.json" -w '%{http_code}' -H 'Content-Type: application/json' "$@" \
    --data-binary "$body" "$BASE/api/notifications"
}
state() {  # state KEY: "status attempts" of the message with that idempotency key
  curl -s "$BASE/api/notifications?limit=1000" |
    jq -r --arg k "$1" '.items[] | select(.idempotency_key == $k) | "\(.status) \(.attempts)"'
}
wait_state() {  # wait_state KEY STATUS: up to 30 s
  local i
  for ((i = 0; i < 300; i++)); do
    [[ $(state "$1") == "$2 "* ]] && return 0
    sleep 0.1
  done
  return 1
}
gateway() { jq -r -s "$1" "$WORK/gateway.jsonl"; }

# 1. A flaky gateway: 500, 500, then 200.
check_eq "POST /api/notifications: 201" 201 \
  "$(send '{"to":"+8613800000000","subject":"验证码","text":"您的验证码是 123456","kind":"share-code","idempotency_key":"flaky-1"}')"
ID=$(jq -r .id "$WORK/sent.json")
check_eq "the same idempotency key again: 200, the same message" "200 $ID" \
  "$(send '{"to":"+8613800000000","text":"again","idempotency_key":"flaky-1"}') $(jq -r .id "$WORK/sent.json")"
check "delivered within 30 s" wait_state flaky-1 delivered
curl -s "$BASE/api/notifications?status=delivered" >"$WORK/list.json"
check_eq "/api/notifications: delivered after 3 attempts" "delivered 3" "$(state flaky-1)"
check_eq "with the gateway's message id" "gw-flaky-1-3" \
  "$(jq -r '.items[] | select(.idempotency_key == "flaky-1") | .provider_message_id' "$WORK/list.json")"
check_eq "the recipient masked, no subject or body in the admin view" "+86138****0000 false" \
  "$(jq -r '.items[] | select(.idempotency_key == "flaky-1") | "\(.recipient) \(has("body") or has("subject"))"' "$WORK/list.json")"
check "and no text of the message anywhere in it" bash -c "! grep -q 123456 '$WORK/list.json'"
check_eq "the gateway saw 500, 500, 200 for it" "500 500 200" \
  "$(gateway '[.[] | select(.key == "flaky-1") | .status] | map(tostring) | join(" ")')"
check_eq "every request's X-Cloudfilm-Signature verifies (python hmac)" "true" \
  "$(gateway '[.[] | select(.key == "flaky-1") | .signature_ok] | all')"
check_eq "the body carries recipient and text as sent" "+8613800000000 您的验证码是 123456" \
  "$(gateway '[.[] | select(.key == "flaky-1")][-1].doc | "\(.recipient) \(.body)"')"
check_eq "and the Idempotency-Key header names tenant and key" "default/flaky-1" \
  "$(gateway '[.[] | select(.key == "flaky-1")][0].idempotency_header')"

check "the outbox is encrypted at rest: no recipient in its files" \
  bash -c "! grep -q -a 8613800000000 '$WORK/data/outbox.sqlite' '$WORK/data/outbox.sqlite-wal'"
check_eq "cloudfilm sql --db outbox reads it through the keys" "+8613800000000" \
  "$("$CLOUDFILM" sql "${CONFIG[@]}" --data "$WORK/data" --db outbox \
    "SELECT recipient FROM notifications WHERE idempotency_key = 'flaky-1'" | tail -1)"

check "the message the untrusted certificate held back went out with the server's CA file" \
  wait_state tls-1 delivered

check_eq "a provider that is not configured: 400" "400 provider \"sms\" is not configured" \
  "$(send '{"to":"+8613900000000","text":"x","provider":"sms"}') $(jq -r .detail "$WORK/sent.json")"

# 2. A gateway that refuses the message: failed after one attempt.
check_eq "a message the gateway will refuse: 201" 201 \
  "$(send '{"to":"+8613900000000","text":"x","idempotency_key":"reject-1"}')"
check "it fails" wait_state reject-1 failed
check_eq "after exactly one attempt" "failed 1" "$(state reject-1)"
check_eq "its error names the status only" "gateway answered HTTP 400" \
  "$(curl -s "$BASE/api/notifications?status=failed" | jq -r '.items[] | select(.idempotency_key == "reject-1") | .last_error')"

# 3. E-mail over STARTTLS with login: the north hospital's provider.
SUBJECT="检查报告已发布 CT 胸部平扫 $(printf '影像%.0s' {1..20})"
TEXT="您好，您的检查报告已发布。请扫描二维码查看：https://films.example/f/abc"
check_eq "north's message goes to its own provider (smtp)" "201 smtp" \
  "$(send "$(jq -nc --arg s "$SUBJECT" --arg t "$TEXT" '{to:"patient@example.org",subject:$s,text:$t,kind:"film-issued",idempotency_key:"mail-1"}')" \
    -H 'X-Cloudfilm-Tenant: north') $(jq -r .provider "$WORK/sent.json")"
check "the mail is delivered" wait_state mail-1 delivered
MAIL=$(find "$WORK/maildir/new" -type f | head -1)
check "aiosmtpd stored one message" test -n "$MAIL"
decoded=$(/usr/bin/python3 - "$MAIL" <<'PY'
import email, email.header, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
subject = str(email.header.make_header(email.header.decode_header(m["Subject"])))
body = m.get_payload(decode=True).decode(m.get_content_charset())
print(subject); print(body); print(m["From"]); print(m["To"])
PY
)
check_eq "its decoded subject is the Chinese subject sent" "$SUBJECT" "$(sed -n 1p <<<"$decoded")"
check_eq "its decoded body is the Chinese text sent" "$TEXT" "$(sed -n 2p <<<"$decoded")"
check_eq "From and To" "<films@north.example> <patient@example.org>" \
  "$(sed -n 3p <<<"$decoded") $(sed -n 4p <<<"$decoded")"
check_eq "after STARTTLS and a login with the password from its file" "ok" \
  "$(sort -u "$WORK/smtp-auth.log" | awk '{ print $2 }')"
check "no header line is longer than 78 characters" \
  bash -c "! sed '/^\r\?$/q' '$MAIL' | awk 'length > 79 { bad = 1 } END { exit !bad }'"

# Who sees what: a hospital admin its own hospital's messages, a doctor none.
ADMIN=$(account_token "$WORK/data" admin.north hospital-admin north "${CONFIG[@]}")
DOCTOR=$(account_token "$WORK/data" dr.north doctor north "${CONFIG[@]}")
check_eq "north's hospital admin sees north's message only" "mail-1" \
  "$(curl -q -s -H "Authorization: Bearer $ADMIN" "$BASE/api/notifications" | jq -r '[.items[].idempotency_key] | join(" ")')"
check_eq "and may not read another hospital's message" 404 \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" "$BASE/api/notifications/$ID")"
check_eq "a doctor may not see the outbox" 403 \
  "$(curl -q -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $DOCTOR" "$BASE/api/notifications")"
check_eq "reads, sends and the refusal are in the audit trail" "access-denied query share view" \
  "$(curl -s "$BASE/api/audit?limit=1000" | jq -r '[.events[] | select(.route | startswith("/api/notifications")) | .action] | unique | join(" ")')"

# 4. The CLI tests a provider configuration: the file provider.
rc=0
"$CLOUDFILM" notify send "${CONFIG[@]}" --data "$WORK/data" --provider file \
  --to patient@example.org --subject "胶片" --text "胶片已签发" --key file-1 >"$WORK/cli.out" || rc=$?
check_eq "notify send: exit 0 and delivered" "0 delivered" "$rc $(awk '{ print $2 }' "$WORK/cli.out")"
check_eq "the file provider wrote the JSON line" "file-1 patient@example.org 胶片已签发" \
  "$(jq -r 'select(.idempotency_key == "file-1") | "\(.idempotency_key) \(.recipient) \(.body)"' "$WORK/notifications.jsonl")"
check_eq "notify list shows it, masked" "delivered p***@example.org" \
  "$("$CLOUDFILM" notify list "${CONFIG[@]}" --data "$WORK/data" --status delivered |
    awk '/provider=file/ { print $2, $7 }' | sed 's/to=//')"

# 5. kill -9 with messages queued while the gateway is down, and one being sent.
stop_gateway
for i in 1 2 3 4 5; do send "{\"to\":\"+861370000000$i\",\"text\":\"n$i\",\"idempotency_key\":\"crash-$i\"}" >/dev/null; done
for ((i = 0; i < 100; i++)); do
  [[ $(state crash-5) == "queued "[1-9]* ]] && break
  sleep 0.1
done
check_eq "with the gateway down they wait in the queue" "queued" "$(state crash-5 | cut -d' ' -f1)"
start_gateway
send '{"to":"+8613600000000","text":"slow","idempotency_key":"slow-1"}' >/dev/null
for ((i = 0; i < 100; i++)); do
  gateway '[.[] | select(.key == "slow-1")] | length' | grep -q '^1$' && break
  sleep 0.1
done
check_eq "the slow message reached the gateway before the crash" 1 \
  "$(gateway '[.[] | select(.key == "slow-1")] | length')"
kill_server
start_server "$WORK/data" "${CONFIG[@]}"
for key in crash-1 crash-2 crash-3 crash-4 crash-5 slow-1; do
  check "$key delivered after the restart" wait_state "$key" delivered
done
received=$(gateway '[.[] | select(.status == 200 and (.key | test("^(crash|slow)-"))) | .key] | unique | length')
check_eq "every message arrived at least once (by idempotency key)" 6 "$received"
duplicates=$(gateway '[.[] | select(.status == 200 and (.key | test("^(crash|slow)-")))] | length - 6')
echo "# duplicates after kill -9: $duplicates (the message being sent at the crash is sent again)"
check_eq "the one being sent when killed came twice: at least once, not exactly once" 2 \
  "$(gateway '[.[] | select(.key == "slow-1")] | length')"
check "signatures verify on every request" test "$(gateway '[.[].signature_ok] | all')" == true

stop_server
finish
