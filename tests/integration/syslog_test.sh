#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Audit export to a real syslog collector: rsyslog (Debian's) in the
# foreground with a private configuration, receiving on plain TCP (imptcp,
# octet-counted frames), UDP (imudp) and mutual TLS (imtcp with the ossl
# driver, certificates made here by openssl), each into its own file. Real
# requests (a failed login, a QIDO-RS query) must arrive as DICOM PS3.15
# audit messages that rsyslog parsed as RFC 5424; events made while the
# collector is down, or while the server is stopped, must arrive after it
# comes back, once each; a collector whose certificate does not verify or
# does not name the host gets nothing.
source "$(dirname "$0")/lib.sh"

command -v rsyslogd >/dev/null || skip "rsyslogd is not installed (Debian: rsyslog, rsyslog-openssl)"
RSYSLOG_MODULES=$(dirname "$(find /usr/lib -name imptcp.so -path '*rsyslog*' 2>/dev/null | head -1)")
[[ -f $RSYSLOG_MODULES/imptcp.so && -f $RSYSLOG_MODULES/imudp.so ]] || skip "rsyslog modules not found"
HAVE_TLS=0
[[ -f $RSYSLOG_MODULES/lmnsd_ossl.so && -f $RSYSLOG_MODULES/imtcp.so ]] && HAVE_TLS=1

RS=$WORK/rsyslog
mkdir -p "$RS/work"
RSYSLOG_PID=
stop_rsyslog() {
  [[ -n $RSYSLOG_PID ]] || return 0
  kill -TERM "$RSYSLOG_PID" 2>/dev/null || true
  wait "$RSYSLOG_PID" 2>/dev/null || true
  RSYSLOG_PID=
}
trap 'rc=$?; stop_rsyslog; (exit $rc); cleanup' EXIT

# --- certificates: a CA for the collector and the client, and a rogue CA ----
make_ca() {  # make_ca NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=$1" -keyout "$RS/$1.key" -out "$RS/$1.pem" 2>/dev/null
}
make_cert() {  # make_cert NAME CA SUBJECT_ALT_NAME
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$RS/$1.key" -out "$RS/$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\n' "$3" >"$RS/$1.ext"
  openssl x509 -req -in "$RS/$1.csr" -CA "$RS/$2.pem" -CAkey "$RS/$2.key" -CAcreateserial \
    -days 2 -extfile "$RS/$1.ext" -out "$RS/$1.pem" 2>/dev/null
  chmod 600 "$RS/$1.key"
}
make_ca test-ca
make_ca rogue-ca
make_cert collector test-ca "DNS:localhost,IP:127.0.0.1"
make_cert archive test-ca "DNS:archive.test"

# --- the collector ----------------------------------------------------------
TCP_PORT=$(free_port)
UDP_PORT=$(free_port)
TLS_PORT=$(free_port)
# One line per message: the RFC 5424 fields rsyslog parsed, then the MSG.
cat >"$RS/rsyslog.conf" <<CONF
global(workDirectory="$RS/work" maxMessageSize="256k"
       defaultNetstreamDriverCAFile="$RS/test-ca.pem"
       defaultNetstreamDriverCertFile="$RS/collector.pem"
       defaultNetstreamDriverKeyFile="$RS/collector.key")
module(load="imptcp")
module(load="imudp")
template(name="fields" type="string"
         string="%protocol-version%|%app-name%|%msgid%|%pri%|%msg%\n")
ruleset(name="tcp") { action(type="omfile" file="$RS/tcp.log" template="fields") }
ruleset(name="udp") { action(type="omfile" file="$RS/udp.log" template="fields") }
input(type="imptcp" address="127.0.0.1" port="$TCP_PORT" ruleset="tcp")
input(type="imudp" address="127.0.0.1" port="$UDP_PORT" ruleset="udp")
CONF
if ((HAVE_TLS)); then
  cat >>"$RS/rsyslog.conf" <<CONF
module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1"
       streamDriver.authMode="x509/certvalid")
ruleset(name="tls") { action(type="omfile" file="$RS/tls.log" template="fields") }
input(type="imtcp" port="$TLS_PORT" ruleset="tls")
CONF
fi
rsyslogd -N1 -f "$RS/rsyslog.conf" >"$RS/check.out" 2>&1 || { cat "$RS/check.out"; exit 1; }

listening() { python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; }
start_rsyslog() {
  rsyslogd -n -f "$RS/rsyslog.conf" -i "$RS/rsyslog.pid" >>"$RS/rsyslog.out" 2>&1 &
  RSYSLOG_PID=$!
  local i
  for ((i = 0; i < 250; i++)); do
    listening "$TCP_PORT" && { ((!HAVE_TLS)) || listening "$TLS_PORT"; } && return 0
    kill -0 "$RSYSLOG_PID" 2>/dev/null || { echo "rsyslogd died:"; cat "$RS/rsyslog.out"; return 1; }
    sleep 0.02
  done
  echo "rsyslogd not listening after 5 s"; return 1
}

wait_for() {  # wait_for FILE TEXT [SECONDS]: until the fixed TEXT is in FILE
  local i
  for ((i = 0; i < ${3:-10} * 10; i++)); do
    grep -q -F -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
wait_for_re() {  # wait_for_re FILE REGEX [SECONDS]
  local i
  for ((i = 0; i < ${3:-10} * 10; i++)); do
    grep -q -E -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
fail_login() {  # fail_login LOGIN: a wrong password, an audit event (login-failed)
  curl -q -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"login\":\"$1\",\"password\":\"not the password\"}" "$BASE/api/auth/login"
}
# The messages of one actor in a collector's file.
lines_of() { grep -F -- "UserID=\"$2\"" "$1" 2>/dev/null || true; }

start_rsyslog
check "rsyslogd listens on its TCP port" listening "$TCP_PORT"

# --- plain TCP: real requests arrive as PS3.15 audit messages --------------
"$CLOUDFILM" config show --audit-syslog "tcp://127.0.0.1:$TCP_PORT" >"$WORK/show.toml"
check "config show has the collector" grep -qE "^ *syslog = .tcp://127.0.0.1:$TCP_PORT.$" "$WORK/show.toml"
check "and says where audit events go" grep -q "^# audit export: every audit event to tcp://" "$WORK/show.toml"
rc=0; "$CLOUDFILM" config show --audit-syslog "http://127.0.0.1:$TCP_PORT" >/dev/null 2>"$WORK/bad.err" || rc=$?
check_eq "a collector URL that is not udp/tcp/tls is refused" 2 "$rc"
check "and the message names the setting" grep -q "audit.syslog" "$WORK/bad.err"

start_server "$WORK/data" --audit-syslog "tcp://127.0.0.1:$TCP_PORT"
check "the server logs where audit events go" grep -q "audit.syslog_started.*tcp://127.0.0.1:$TCP_PORT" "$WORK/server.log"
check_eq "a failed login: 401" 401 "$(fail_login ghost-tcp-1)"
check_eq "a QIDO-RS query: 200" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies?PatientID=SYSLOG-PID-7")"
check "the failed login reaches the collector" wait_for "$RS/tcp.log" 'UserID="ghost-tcp-1"'
login_line=$(lines_of "$RS/tcp.log" ghost-tcp-1 | head -1)
check "rsyslog parsed it as RFC 5424: version 1, app cloudfilm, MSGID IHE+RFC-3881, authpriv.notice" \
  grep -q '^1|cloudfilm|IHE+RFC-3881|85|' <<<"$login_line"
check "its MSG is a DICOM audit message" grep -q '<?xml version="1.0" encoding="UTF-8"?><AuditMessage>' <<<"$login_line"
check "of a user authentication (DCM 110114), login, failed (4)" bash -c \
  "grep -q 'EventOutcomeIndicator=\"4\"><EventID csd-code=\"110114\" codeSystemName=\"DCM\"' <<<'$login_line' &&
   grep -q '<EventTypeCode csd-code=\"110122\"' <<<'$login_line'"
check "naming this archive as the audit source" grep -q 'AuditSourceID="cloudfilm@' <<<"$login_line"
check "the query reaches the collector (DCM 110112 Query)" \
  wait_for "$RS/tcp.log" '<EventID csd-code="110112" codeSystemName="DCM" originalText="Query"/>'
# The query's keys travel base64-encoded in ParticipantObjectQuery.
queries=$(grep -o '<ParticipantObjectQuery>[^<]*' "$RS/tcp.log" | sed 's/<ParticipantObjectQuery>//' |
  while read -r b64; do base64 -d <<<"$b64"; echo; done)
check "with the QIDO-RS query keys" grep -q 'PatientID=SYSLOG-PID-7' <<<"$queries"
check "the server log holds no audit message" bash -c "! grep -q -e AuditMessage -e SYSLOG-PID-7 '$WORK/server.log'"

# --- the collector goes down; events wait in the database -------------------
stop_rsyslog
for i in 1 2 3; do fail_login "ghost-down-$i" >/dev/null; done
curl -s -o /dev/null "$BASE/dicom-web/studies?PatientID=SYSLOG-DOWN-8"
check "the server says the collector is unreachable" wait_for "$WORK/server.log" "audit.syslog_failed" 10
check "naming it and the cause" grep -q "audit.syslog_failed.*tcp://127.0.0.1:$TCP_PORT.*refused" "$WORK/server.log"
check "without patient data" bash -c "! grep -q -e SYSLOG-DOWN-8 -e AuditMessage '$WORK/server.log'"
check "the server keeps serving meanwhile" server_alive
start_rsyslog
for i in 1 2 3; do
  check "ghost-down-$i arrives once the collector is back" wait_for "$RS/tcp.log" "UserID=\"ghost-down-$i\"" 70
done
check "the server says the export resumed" wait_for "$WORK/server.log" "audit.syslog_resumed" 5
check_eq "each event made while down arrives once" "1 1 1" \
  "$(for i in 1 2 3; do lines_of "$RS/tcp.log" "ghost-down-$i" | wc -l; done | xargs)"
check_eq "events sent before the outage are not sent again" 1 "$(lines_of "$RS/tcp.log" ghost-tcp-1 | wc -l)"

# --- the server restarts; what happened meanwhile is sent -------------------
check "the server stops cleanly" stop_server
printf 'offline password 1234\n' | "$CLOUDFILM" accounts create --data "$WORK/data" \
  --login offline-acct --role doctor >/dev/null
start_server "$WORK/data" --audit-syslog "tcp://127.0.0.1:$TCP_PORT"
check "an account created by the CLI while the server was stopped arrives after its restart" \
  wait_for "$RS/tcp.log" "account offline-acct role doctor" 10
fail_login ghost-after-restart >/dev/null
check "and new events follow it" wait_for "$RS/tcp.log" 'UserID="ghost-after-restart"'
check_eq "the restart resent nothing" "1 1" \
  "$(lines_of "$RS/tcp.log" ghost-tcp-1 | wc -l) $(lines_of "$RS/tcp.log" ghost-down-3 | wc -l)"
tcp_order=$(grep -o 'UserID="ghost-[a-z0-9-]*"' "$RS/tcp.log" | sed 's/UserID=//; s/"//g' | xargs)
check_eq "in the order they happened" "ghost-tcp-1 ghost-down-1 ghost-down-2 ghost-down-3 ghost-after-restart" "$tcp_order"
stop_server

# --- UDP --------------------------------------------------------------------
start_server "$WORK/data-udp" --audit-syslog "udp://127.0.0.1:$UDP_PORT"
fail_login ghost-udp >/dev/null
check "over UDP the failed login arrives" wait_for "$RS/udp.log" 'UserID="ghost-udp"'
check "also as RFC 5424" grep -q '^1|cloudfilm|IHE+RFC-3881|85|.*UserID="ghost-udp"' "$RS/udp.log"
stop_server

# --- mutual TLS ---------------------------------------------------------------
if ((HAVE_TLS)); then
  tls_config() {  # tls_config FILE URL CA
    cat >"$1" <<TOML
[audit]
syslog = "$2"
syslog_ca_file = "$3"
syslog_client_certificate = "$RS/archive.pem"
syslog_client_private_key = "$RS/archive.key"
source_id = "cloudfilm-syslog-test"
TOML
  }
  tls_config "$WORK/tls.toml" "tls://localhost:$TLS_PORT" "$RS/test-ca.pem"
  start_server "$WORK/data-tls" --config "$WORK/tls.toml"
  fail_login ghost-tls >/dev/null
  check "over mutual TLS the failed login arrives" wait_for "$RS/tls.log" 'UserID="ghost-tls"' 10
  check "as RFC 5424 from the configured audit source" \
    grep -q '^1|cloudfilm|IHE+RFC-3881|85|.*AuditSourceID="cloudfilm-syslog-test"' "$RS/tls.log"
  stop_server

  # A collector whose certificate another CA signed: nothing is sent.
  tls_config "$WORK/rogue.toml" "tls://localhost:$TLS_PORT" "$RS/rogue-ca.pem"
  : >"$WORK/server.log"
  start_server "$WORK/data-rogue" --config "$WORK/rogue.toml"
  fail_login ghost-rogue >/dev/null
  check "a collector certificate from another CA is refused" \
    wait_for_re "$WORK/server.log" "audit.syslog_failed.*TLS handshake.*failed: .*(certificate|issuer)" 10
  check "and nothing reached it" bash -c "! grep -q 'ghost-rogue' '$RS/tls.log'"
  stop_server

  # The right CA, but an address the certificate does not name.
  tls_config "$WORK/mismatch.toml" "tls://127.0.0.2:$TLS_PORT" "$RS/test-ca.pem"
  : >"$WORK/server.log"
  start_server "$WORK/data-mismatch" --config "$WORK/mismatch.toml"
  fail_login ghost-mismatch >/dev/null
  check "a certificate that does not name the collector's address is refused" \
    wait_for_re "$WORK/server.log" "audit.syslog_failed.*TLS handshake.*mismatch" 10
  check "and nothing reached it" bash -c "! grep -q 'ghost-mismatch' '$RS/tls.log'"
  stop_server

  printf '[audit]\nsyslog_ca_file = "%s"\n' "$RS/missing.pem" >"$WORK/missing-ca.toml"
  rc=0; "$CLOUDFILM" serve --data "$WORK/data-bad" --http-port 0 --dicom-port 0 \
    --audit-syslog "tls://localhost:$TLS_PORT" --config "$WORK/missing-ca.toml" \
    >/dev/null 2>"$WORK/bad-ca.err" || rc=$?
  check "serve refuses a missing CA file at startup" test "$rc" -ne 0
  check "naming the setting" grep -q 'audit.syslog_ca_file' "$WORK/bad-ca.err"
else
  echo "# rsyslog's ossl driver (rsyslog-openssl) is missing: TLS not tested"
fi

finish
