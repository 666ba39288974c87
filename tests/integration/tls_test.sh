#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# HTTPS and DICOM TLS through the real binary. A throwaway CA signs a server
# and a client certificate; the server runs HTTPS, a plain DICOM port and a
# DICOM TLS port side by side. Checked with curl, openssl s_client (protocol
# versions and cipher suites offered and refused) and DCMTK's TLS clients
# (echoscu, storescu, findscu): objects stored over DICOM TLS read back
# byte-exact over HTTPS, plain clients are refused on TLS ports, client
# certificates are verified and, when configured, required, and garbage on
# either TLS port does not take the server down.
source "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "openssl not installed"
# (Not `| grep -q`: with pipefail, storescu's SIGPIPE would fail the check.)
[[ $(storescu --help 2>&1) == *--enable-tls* ]] || skip "DCMTK built without TLS"

# --- Certificates ---------------------------------------------------------------
PKI=$WORK/pki
mkdir -p "$PKI"
(
  cd "$PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=cloudfilm test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  issue() {  # issue NAME EXTENDED_KEY_USAGE [CA_PREFIX]
    local ca=${3:-ca}
    openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' "$2" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial -days 2 \
      -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  }
  issue server serverAuth
  issue client clientAuth
  issue client2 clientAuth  # a second hospital's PACS
  # A client certificate from a CA the server does not trust.
  openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue-ca.key -out rogue-ca.pem -days 2 \
    -subj "/CN=rogue CA" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
  issue rogue clientAuth rogue-ca
)
[[ -s $PKI/server.pem && -s $PKI/client.pem && -s $PKI/rogue.pem ]] || { echo "cannot make certificates"; exit 1; }

# write_config FILE REQUIRE_CLIENT_CERT [overrides of the http TLS files]
write_config() {
  cat >"$1" <<EOF
[http]
tls_certificate = "${3:-$PKI/server.pem}"
tls_private_key = "${4:-$PKI/server.key}"
[dicom]
tls_port = 0
tls_certificate = "$PKI/server.pem"
tls_private_key = "$PKI/server.key"
tls_ca_certificates = "$PKI/ca.pem"
tls_require_client_certificate = $2
EOF
}

CURL=(curl -s --cacert "$PKI/ca.pem")
# start_tls_server CONFIG: sets HTTP_PORT DICOM_PORT TLS_PORT BASE SERVER_PID
start_tls_server() {
  read -r HTTP_PORT DICOM_PORT <<<"$(free_ports 2)"
  BASE=https://127.0.0.1:$HTTP_PORT
  "$CLOUDFILM" serve --config "$1" --data "$WORK/data" --http-port "$HTTP_PORT" \
    --dicom-port "$DICOM_PORT" --bind 127.0.0.1 >"$WORK/server.out" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 500; i++)); do
    if "${CURL[@]}" -f "$BASE/healthz" >/dev/null 2>&1; then
      TLS_PORT=$(sed -nE 's/^listening .* dicom_tls=([0-9]+).*/\1/p' "$WORK/server.out")
      [[ -n $TLS_PORT ]] && return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died at start:"; cat "$WORK/server.log"; return 1; }
    sleep 0.02
  done
  echo "server not ready after 10 s"; return 1
}
tls_alive() { kill -0 "$SERVER_PID" 2>/dev/null && "${CURL[@]}" -f "$BASE/healthz" >/dev/null; }

# DCMTK TLS client options: our client certificate, our CA to verify the server.
WITH_CERT=(+tls "$PKI/client.key" "$PKI/client.pem" -pw +cf "$PKI/ca.pem")
NO_CERT=(+tla +cf "$PKI/ca.pem")
ROGUE_CERT=(+tls "$PKI/rogue.key" "$PKI/rogue.pem" -pw +cf "$PKI/ca.pem")
SHORT=(-to 10 -ta 10 -td 10)

# --- Startup validation -----------------------------------------------------------
write_config "$WORK/mismatch.toml" false "$PKI/server.pem" "$PKI/client.key"
out=$("$CLOUDFILM" serve --config "$WORK/mismatch.toml" --data "$WORK/bad" --http-port 0 \
  --dicom-port 0 --bind 127.0.0.1 2>&1) && rc=0 || rc=$?
check "a key that does not match its certificate stops startup" test "$rc" -ne 0
check "... saying so" grep -q "does not match" <<<"$out"
write_config "$WORK/missing.toml" false "$PKI/nowhere.pem" "$PKI/server.key"
out=$("$CLOUDFILM" serve --config "$WORK/missing.toml" --data "$WORK/bad" --http-port 0 \
  --dicom-port 0 --bind 127.0.0.1 2>&1) && rc=0 || rc=$?
check "a missing certificate stops startup" test "$rc" -ne 0
check "... naming the setting" grep -q "http.tls_certificate: no such file" <<<"$out"
printf '[http]\ntls_certificate = "%s"\n' "$PKI/server.pem" >"$WORK/half.toml"
out=$("$CLOUDFILM" serve --config "$WORK/half.toml" --data "$WORK/bad" --http-port 0 \
  --dicom-port 0 --bind 127.0.0.1 2>&1) && rc=0 || rc=$?
check "a certificate without a key stops startup" test "$rc" -ne 0

# An expired certificate: a warning at startup, not an error.
if python3 -c 'import cryptography' 2>/dev/null; then
  python3 - "$PKI/expired.pem" "$PKI/expired.key" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=30))
        .not_valid_after(now - datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
open(sys.argv[1], "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open(sys.argv[2], "wb").write(key.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
PY
  write_config "$WORK/expired.toml" false "$PKI/expired.pem" "$PKI/expired.key"
  "$CLOUDFILM" serve --config "$WORK/expired.toml" --data "$WORK/expired" --http-port 0 \
    --dicom-port 0 --bind 127.0.0.1 >"$WORK/expired.out" 2>"$WORK/expired.log" &
  expired_pid=$!
  for ((i = 0; i < 500; i++)); do grep -q '^listening' "$WORK/expired.out" && break; sleep 0.02; done
  check "an expired certificate still starts the server" grep -q '^listening' "$WORK/expired.out"
  check "... with a warning naming it" grep -q 'serve.tls_certificate.*http.tls_certificate: certificate .*expired.pem has expired' "$WORK/expired.log"
  kill -TERM "$expired_pid"; wait "$expired_pid" || true
fi

write_config "$WORK/tls.toml" false
check "config show prints the TLS settings" bash -c \
  "'$CLOUDFILM' config show --config '$WORK/tls.toml' | grep -q 'tls_ca_certificates = .*ca.pem'"

# --- HTTPS ----------------------------------------------------------------------------
start_tls_server "$WORK/tls.toml"
echo "# ports: https=$HTTP_PORT dicom=$DICOM_PORT dicom-tls=$TLS_PORT"
check_eq "GET /healthz over HTTPS" 200 "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/healthz")"
hsts=$("${CURL[@]}" -D - -o /dev/null "$BASE/healthz" | tr -d '\r' | awk -F': ' 'tolower($1) == "strict-transport-security" { print $2 }')
check_eq "HSTS on HTTPS answers" "max-age=31536000" "$hsts"
check "plain HTTP to the HTTPS port fails" bash -c \
  "! curl -s -f -m 5 http://127.0.0.1:$HTTP_PORT/healthz >/dev/null"
check "an untrusted server certificate is refused by curl" bash -c \
  "! curl -s -f -m 5 https://127.0.0.1:$HTTP_PORT/healthz >/dev/null"

# s_client: prints "proto cipher" of the handshake, or "refused".
handshake() {  # handshake PORT ARGS...
  local port=$1; shift
  local out
  out=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile "$PKI/ca.pem" "$@" </dev/null 2>&1) || true
  # "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"; "New, (NONE), ..." when refused.
  local line
  line=$(sed -nE 's/^New, (TLSv[0-9.]+), Cipher is ([A-Z0-9_-]+)$/\1 \2/p' <<<"$out" | head -1)
  echo "${line:-refused}"
}
# @SECLEVEL=0: OpenSSL 3 clients refuse TLS 1.0/1.1 themselves otherwise,
# and the test would pass without asking the server anything.
OLD=(-cipher 'DEFAULT:@SECLEVEL=0')
for port_name in "https:$HTTP_PORT" "dicom-tls:$TLS_PORT"; do
  name=${port_name%%:*}; port=${port_name#*:}
  r=$(handshake "$port" -tls1 "${OLD[@]}"); echo "# $name TLS 1.0: $r"
  check_eq "$name: TLS 1.0 refused" refused "$r"
  r=$(handshake "$port" -tls1_1 "${OLD[@]}"); echo "# $name TLS 1.1: $r"
  check_eq "$name: TLS 1.1 refused" refused "$r"
  r=$(handshake "$port" -tls1_2); echo "# $name TLS 1.2: $r"
  # HTTPS: ECDHE only; DICOM (BCP 195): ECDHE or DHE; AEAD suites only.
  check "$name: TLS 1.2 accepted with a forward-secret AEAD suite" grep -qE '^TLSv1\.2 (ECDHE-(RSA|ECDSA)|DHE-RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$' <<<"$r"
  [[ $name == https ]] && check "https: TLS 1.2 suite is ECDHE" grep -q '^TLSv1\.2 ECDHE-' <<<"$r"
  r=$(handshake "$port" -tls1_3); echo "# $name TLS 1.3: $r"
  check "$name: TLS 1.3 accepted" grep -qE '^TLSv1\.3 TLS_' <<<"$r"
  for weak in AES128-SHA AES256-SHA256 ECDHE-RSA-AES128-SHA DES-CBC3-SHA; do
    r=$(handshake "$port" -tls1_2 -cipher "$weak:@SECLEVEL=0"); echo "# $name TLS 1.2 $weak: $r"
    check_eq "$name: weak suite $weak refused" refused "$r"
  done
done
r=$(handshake "$HTTP_PORT" -tls1_2 -cipher 'ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256')
echo "# https TLS 1.2, client preferring ChaCha20: $r"
check_eq "https: the server's cipher preference wins" "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256" "$r"

# --- DICOM TLS ----------------------------------------------------------------------
"$CLOUDFILM" synth "$WORK/synth" --seed 31 --patients 1 --studies 1 --series 1 --instances 4 \
  --modalities CT --ct-size 32 >/dev/null
check "C-ECHO over TLS with a client certificate" echoscu "${SHORT[@]}" -aec CLOUDFILM "${WITH_CERT[@]}" 127.0.0.1 "$TLS_PORT"
check "C-ECHO over TLS without a client certificate (not required)" echoscu "${SHORT[@]}" -aec CLOUDFILM "${NO_CERT[@]}" 127.0.0.1 "$TLS_PORT"
check "C-ECHO over TLS with an untrusted client certificate is refused" bash -c \
  "! echoscu ${SHORT[*]} -aec CLOUDFILM ${ROGUE_CERT[*]} 127.0.0.1 $TLS_PORT 2>/dev/null"
check "plain C-ECHO to the TLS port is refused" bash -c \
  "! echoscu ${SHORT[*]} -aec CLOUDFILM 127.0.0.1 $TLS_PORT 2>/dev/null"
check "TLS C-ECHO to the plain port fails" bash -c \
  "! echoscu ${SHORT[*]} -aec CLOUDFILM ${WITH_CERT[*]} 127.0.0.1 $DICOM_PORT 2>/dev/null"
check "plain C-ECHO to the plain port still works" echoscu "${SHORT[@]}" -aec CLOUDFILM 127.0.0.1 "$DICOM_PORT"
check "C-STORE over TLS" storescu "${SHORT[@]}" -aec CLOUDFILM "${WITH_CERT[@]}" +sd +r +sp '*.dcm' 127.0.0.1 "$TLS_PORT" "$WORK/synth"
check_eq "the 4 objects are indexed" 4 "$("${CURL[@]}" "$BASE/api/system" | jq -r .instances)"
bad=0
while read -r f; do
  sop=$(sop_of "$f")
  "${CURL[@]}" -f -o "$WORK/back.dcm" "$BASE/api/instances/$sop/file" || { bad=$((bad + 1)); continue; }
  [[ $(dataset_sha "$f") == $(dataset_sha "$WORK/back.dcm") ]] || bad=$((bad + 1))
done < <(find "$WORK/synth" -name '*.dcm')
check_eq "objects stored over DICOM TLS read back byte-exact over HTTPS (SHA-256)" 0 "$bad"
matches=$(findscu "${SHORT[@]}" -v -S -aec CLOUDFILM "${WITH_CERT[@]}" -k QueryRetrieveLevel=STUDY \
  -k StudyInstanceUID 127.0.0.1 "$TLS_PORT" 2>&1 | grep -c "Pending" || true)
check_eq "C-FIND over TLS answers the study" 1 "$matches"

# QIDO over HTTPS, with https RetrieveURLs.
check_eq "QIDO over HTTPS" 200 "$("${CURL[@]}" -o "$WORK/qido.json" -w '%{http_code}' "$BASE/dicom-web/studies")"
url=$(jq -r '.[0]["00081190"].Value[0]' "$WORK/qido.json")
check "QIDO RetrieveURL is https" grep -q "^https://127.0.0.1:$HTTP_PORT/dicom-web/studies/" <<<"$url"
check_eq "... and retrieves" 200 "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$url")"

# STOW-RS over HTTPS (the spooled upload path), with an https RetrieveURL.
"$CLOUDFILM" synth "$WORK/stow" --seed 32 --patients 1 --studies 1 --series 1 --instances 1 \
  --modalities CT --ct-size 32 >/dev/null
one=$(find "$WORK/stow" -name '*.dcm' | sed -n 1p)
python3 - "$one" "$WORK/stow.body" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
b = b'cfboundary'
open(sys.argv[2], 'wb').write(b'--' + b + b'\r\nContent-Type: application/dicom\r\n\r\n' + data + b'\r\n--' + b + b'--\r\n')
PY
code=$("${CURL[@]}" -o "$WORK/stow.json" -w '%{http_code}' -X POST \
  -H 'Content-Type: multipart/related; type="application/dicom"; boundary=cfboundary' \
  -H 'Accept: application/dicom+json' --data-binary "@$WORK/stow.body" "$BASE/dicom-web/studies")
check_eq "STOW-RS over HTTPS" 200 "$code"
check "STOW-RS RetrieveURL is https" grep -q '"https://127.0.0.1' "$WORK/stow.json"

# Garbage on both TLS ports, a silent connection, then everything still works.
python3 - "$HTTP_PORT" "$TLS_PORT" <<'PY'
import os, socket, sys
for port in map(int, sys.argv[1:]):
    for payload in (os.urandom(4096), b'\x16\x03\x01\x00\x05hello', b'GET / HTTP/1.1\r\n\r\n'):
        s = socket.create_connection(('127.0.0.1', port), timeout=5)
        try:
            s.sendall(payload)
            s.recv(1024)
        except OSError:
            pass
        s.close()
PY
check "the server is up after garbage handshakes (HTTPS)" tls_alive
# Clients that connect and never finish a handshake do not hold up others.
python3 - "$HTTP_PORT" <<'PY' &
import socket, sys, time
held = [socket.create_connection(('127.0.0.1', int(sys.argv[1]))) for _ in range(64)]
for s in held[::2]:
    s.sendall(b'\x16\x03\x01')  # the start of a ClientHello, then silence
time.sleep(4)
PY
silent=$!
sleep 0.5
check "HTTPS answers while 64 handshakes stall" timeout 3 "${CURL[@]}" -f -o /dev/null "$BASE/healthz"
wait "$silent" || true
check "the server is up after garbage handshakes (DICOM TLS)" echoscu "${SHORT[@]}" -aec CLOUDFILM "${WITH_CERT[@]}" 127.0.0.1 "$TLS_PORT"
check "handshakes are logged without certificate contents" bash -c \
  "grep -q 'dimse.tls.handshake' '$WORK/server.log' && ! grep -q 'BEGIN' '$WORK/server.log'"
rc=0; stop_server || rc=$?
check_eq "stops cleanly" 0 "$rc"

# --- Client certificates required -----------------------------------------------------
write_config "$WORK/require.toml" true
start_tls_server "$WORK/require.toml"
check "required: a client without a certificate is refused" bash -c \
  "! echoscu ${SHORT[*]} -aec CLOUDFILM ${NO_CERT[*]} 127.0.0.1 $TLS_PORT 2>/dev/null"
check "required: a certificate from another CA is refused" bash -c \
  "! echoscu ${SHORT[*]} -aec CLOUDFILM ${ROGUE_CERT[*]} 127.0.0.1 $TLS_PORT 2>/dev/null"
check "required: a certificate signed by the CA is accepted" echoscu "${SHORT[@]}" -aec CLOUDFILM "${WITH_CERT[@]}" 127.0.0.1 "$TLS_PORT"
matches=$(findscu "${SHORT[@]}" -v -S -aec CLOUDFILM "${WITH_CERT[@]}" -k QueryRetrieveLevel=STUDY \
  -k StudyInstanceUID 127.0.0.1 "$TLS_PORT" 2>&1 | grep -c "Pending" || true)
check_eq "required: C-FIND over TLS answers both studies (DICOM TLS, STOW-RS)" 2 "$matches"
check "required: the server is up after refused clients" tls_alive
rc=0; stop_server || rc=$?
check_eq "stops cleanly" 0 "$rc"

# --- Client certificates bound to hospitals ---------------------------------------------
# Ruijin's PACS holds client.pem, Huashan's client2.pem: the certificate, not
# the AE title a caller claims, says whose data an association touches.
fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
write_config "$WORK/bound.toml" false
cat >>"$WORK/bound.toml" <<EOF
[tenants.ruijin]
ae_titles = ["RJ_PACS"]
dicom_client_certificates = ["$(fingerprint "$PKI/client.pem")"]
[tenants.huashan]
ae_titles = ["HS_PACS"]
dicom_client_certificates = ["$(fingerprint "$PKI/client2.pem" | tr -d : | tr A-F a-f)"]
EOF
rm -rf "$WORK/data"
start_tls_server "$WORK/bound.toml"
HS_CERT=(+tls "$PKI/client2.key" "$PKI/client2.pem" -pw +cf "$PKI/ca.pem")
check "Ruijin's PACS with Ruijin's certificate stores" storescu "${SHORT[@]}" -aet RJ_PACS -aec CLOUDFILM \
  "${WITH_CERT[@]}" +sd +r +sp '*.dcm' 127.0.0.1 "$TLS_PORT" "$WORK/synth"
check "Huashan's AE title with Ruijin's certificate is refused" bash -c \
  "! echoscu ${SHORT[*]} -aet HS_PACS -aec CLOUDFILM ${WITH_CERT[*]} 127.0.0.1 $TLS_PORT 2>/dev/null"
check "Ruijin's AE title with Huashan's certificate is refused" bash -c \
  "! echoscu ${SHORT[*]} -aet RJ_PACS -aec CLOUDFILM ${HS_CERT[*]} 127.0.0.1 $TLS_PORT 2>/dev/null"
check "Ruijin's AE title without a certificate is refused, even over TLS" bash -c \
  "! echoscu ${SHORT[*]} -aet RJ_PACS -aec CLOUDFILM ${NO_CERT[*]} 127.0.0.1 $TLS_PORT 2>/dev/null"
check "and over plain TCP (an AE title alone can be spoofed)" bash -c \
  "! echoscu ${SHORT[*]} -aet RJ_PACS -aec CLOUDFILM 127.0.0.1 $DICOM_PORT 2>/dev/null"
check "an AE title no hospital lists, with Huashan's certificate, is Huashan's node" \
  storescu "${SHORT[@]}" -aet HS_NEW_CT -aec CLOUDFILM "${HS_CERT[@]}" +sd +r +sp '*.dcm' 127.0.0.1 "$TLS_PORT" "$WORK/synth"
check_eq "each hospital holds what its certificate sent: 4 and 4" "4 4" \
  "$("${CURL[@]}" -H 'X-Cloudfilm-Tenant: ruijin' "$BASE/api/system" | jq -r .instances) $("${CURL[@]}" -H 'X-Cloudfilm-Tenant: huashan' "$BASE/api/system" | jq -r .instances)"
check_eq "the refusal is an audit event of the AE title's hospital, naming the reason" true \
  "$("${CURL[@]}" "$BASE/api/audit?action=access-denied&tenant=huashan&limit=50" | jq '[.events[] | select(.detail | contains("another hospital than its client certificate"))] | length >= 1')"
rc=0; stop_server || rc=$?
check_eq "stops cleanly" 0 "$rc"
write_config "$WORK/twice.toml" false
cat >>"$WORK/twice.toml" <<EOF
[tenants.a]
dicom_client_certificates = ["$(fingerprint "$PKI/client.pem")"]
[tenants.b]
dicom_client_certificates = ["$(fingerprint "$PKI/client.pem")"]
EOF
check "a certificate bound to two hospitals is a configuration error" bash -c \
  "! '$CLOUDFILM' config show --config '$WORK/twice.toml' >/dev/null 2>'$WORK/twice.err' && grep -q 'belongs to one hospital' '$WORK/twice.err'"
printf '[tenants.a]\ndicom_client_certificates = ["not a fingerprint"]\n' >"$WORK/bad.toml"
check "a malformed fingerprint is a configuration error naming the setting" bash -c \
  "! '$CLOUDFILM' config show --config '$WORK/bad.toml' >/dev/null 2>'$WORK/bad.err' && grep -q 'dicom_client_certificates' '$WORK/bad.err'"

finish
