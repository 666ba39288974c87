#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Abuse resistance of the real server, tried from outside with raw sockets
# and curl: slowloris clients (a header byte at a time) are cut off within
# the read deadline while a normal client is still served; oversized
# headers and bodies get 431 and 413; path traversal finds no file; a
# request cannot make the server write a header of its choosing; too many
# connections or requests from one address get 429 with Retry-After, and
# the client is served again once it slows down. Loopback is exempt from
# the per-client limits by default: this test lifts the exemption.
source "$(dirname "$0")/lib.sh"

"$CLOUDFILM" synth "$WORK/synth" --seed 51 --patients 1 --studies 1 --series 1 --instances 1 \
  --ct-size 32 >/dev/null

# Server 1: short deadlines, small limits, a generous request rate.
cat >"$WORK/limits.toml" <<'TOML'
[http]
read_timeout = "3s"
idle_timeout = "4s"
max_header_bytes = 4096
max_body_bytes = 65536
max_connections_per_client = 16
requests_per_second = 1000
request_burst = 1000
limit_exempt = []
cors_allow_origin = "https://viewer.example"
TOML
start_server "$WORK/data" --config "$WORK/limits.toml"
check "config show lists the limits" bash -c "'$CLOUDFILM' config show --config '$WORK/limits.toml' \
  | grep -q 'max_connections_per_client = 16'"
printf '[http]\nlimit_exempt = ["10.0.0.0/33"]\n' >"$WORK/bad.toml"
rc=0; "$CLOUDFILM" config show --config "$WORK/bad.toml" >/dev/null 2>"$WORK/bad.err" || rc=$?
check_eq "a limit_exempt entry that is no network is refused: exit 2" 2 "$rc"
check "naming the setting" grep -q 'http.limit_exempt' "$WORK/bad.err"
check "C-STORE of a synthetic instance" storescu -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 \
  "$DICOM_PORT" "$WORK/synth"
STUDY=$(curl -s "$BASE/dicom-web/studies" | jq -r '.[0]["0020000D"].Value[0]')

# --- slowloris ---------------------------------------------------------------
# Four clients each send a header byte every 0.3 s, which keeps every single
# read short; each prints how long the server let it go on (or "never").
cat >"$WORK/slowloris.py" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
start = time.monotonic()
try:
    for byte in request:
        s.sendall(bytes([byte]))
        time.sleep(0.3)
        if time.monotonic() - start > 30:
            break
    else:
        print("never")  # the whole request went through
        sys.exit(0)
    s.settimeout(30)
    while s.recv(4096):
        pass
except OSError:
    pass
print("%.1f" % (time.monotonic() - start))
PY
slow_pids=()
for i in 1 2 3 4; do
  python3 "$WORK/slowloris.py" "$HTTP_PORT" >"$WORK/slow.$i" &
  slow_pids+=($!)
done
sleep 1
check_eq "while they trickle, a normal client is served: 200" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/dicom-web/studies/$STUDY/metadata")"
wait "${slow_pids[@]}"
for i in 1 2 3 4; do
  took=$(cat "$WORK/slow.$i")
  check "slowloris $i is cut off within the 3 s read deadline (+3 s slack for a loaded machine): ${took}s" \
    python3 -c "import sys; t = '$took'; sys.exit(0 if t != 'never' and 2.0 <= float(t) <= 6.0 else 1)"
done
check_eq "and afterwards the server still answers: 200" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")"

# An idle kept-alive connection is closed after idle_timeout.
took=$(python3 - "$HTTP_PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
start = time.monotonic()
s.settimeout(20)
try:
    while s.recv(4096):
        pass
except OSError:
    pass
print("%.1f" % (time.monotonic() - start))
PY
)
check "an idle kept-alive connection closes after idle_timeout (4 s): ${took}s" \
  python3 -c "import sys; sys.exit(0 if 3.5 <= float('$took') <= 8.0 else 1)"

# --- sizes -------------------------------------------------------------------
big=$(head -c 6000 /dev/zero | tr '\0' a)
status=$(get big_header "$BASE/healthz" -H "X-Big: $big")
check_eq "a header over max_header_bytes: 431" 431 "$status"
check "431 is problem JSON" grep -qi '^content-type: application/problem+json' "$WORK/big_header.hdr"
head -c 100000 /dev/zero | tr '\0' x >"$WORK/big.body"
status=$(get big_body "$BASE/api/auth/login" -H 'Content-Type: application/json' \
  --data-binary @"$WORK/big.body")
check_eq "a body over max_body_bytes: 413" 413 "$status"
status=$(get big_chunked "$BASE/api/auth/login" -H 'Content-Type: application/json' \
  -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/big.body")
check_eq "a chunked body over max_body_bytes: 413" 413 "$status"

# --- path traversal ----------------------------------------------------------
# No route serves files by name; every object is found by UID in the
# catalog. None of these may answer anything but 400 or 404, nor leak a file.
for target in "/../../../../etc/passwd" "/%2e%2e/%2e%2e/%2e%2e/etc/passwd" \
  "/api/instances/..%2F..%2F..%2Fetc%2Fpasswd/file" "/api/instances/../../etc/passwd/file" \
  "/dicom-web/studies/..%2F..%2Fetc%2Fpasswd/series/x/instances/y" \
  "/dicom-web/studies/$STUDY/series/..%2F..%2F..%2Fkeys/instances/x/bulkdata/7FE00010" \
  "/wado?requestType=WADO&studyUID=..%2F..%2Fetc&seriesUID=..&objectUID=..%2Fpasswd" \
  "/api/studies/$STUDY%00.json" "/static/..%5c..%5cetc%5cpasswd" "/healthz/../api/system"; do
  status=$(curl -s -g --path-as-is -o "$WORK/trav.body" -w '%{http_code}' "$BASE$target")
  check "traversal $target: 400 or 404 (got $status)" bash -c "[[ $status == 400 || $status == 404 ]]"
  check "traversal $target: no file content" bash -c "! grep -qE 'root:|CFX1|PRIVATE KEY' '$WORK/trav.body'"
done

# --- header injection --------------------------------------------------------
# Percent-escaped CR LF in the path and in query values that end up in
# answers (ETag, Content-Disposition, Warning) must not become headers.
for target in "/api/instances/1.2%0D%0ASet-Cookie:%20pwned=1/file" \
  "/api/instances/1.2/file?transfer-syntax=1.2%0D%0ASet-Cookie:%20pwned=1" \
  "/dicom-web/studies?00100010%0D%0ASet-Cookie:%20pwned=1=x" \
  "/dicom-web/studies/$STUDY/series?%0d%0aSet-Cookie:pwned=1"; do
  curl -s -g -D "$WORK/inj.hdr" -o /dev/null "$BASE$target"
  check "injection $target: no header of the attacker's" bash -c "! grep -qi 'pwned' '$WORK/inj.hdr'"
done
# A raw CR inside a header value, and an obs-fold whose echo (CORS
# preflight) would carry a line of its own: refused, or folded into one line.
python3 - "$HTTP_PORT" >"$WORK/raw.txt" <<'PY'
import socket, sys
port = int(sys.argv[1])
def exchange(request):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request)
    s.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    s.close()
    return data.split(b"\r\n\r\n")[0].decode("latin-1")
print("== bare CR")
print(exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rSet-Cookie: pwned=1\r\n\r\n"))
print("== obs-fold")
print(exchange(b"OPTIONS /dicom-web/studies HTTP/1.1\r\nHost: x\r\nOrigin: https://viewer.example\r\n"
               b"Access-Control-Request-Method: GET\r\n"
               b"Access-Control-Request-Headers: accept,\r\n Set-Cookie: pwned=1\r\n\r\n"))
PY
check "a bare CR in a header value: 400" bash -c "sed -n '/== bare CR/,/== obs-fold/p' '$WORK/raw.txt' | grep -q '^HTTP/1.1 400'"
check "no answer has a header line of the attacker's" bash -c "! grep -qi '^set-cookie: pwned' '$WORK/raw.txt'"
check "the folded value is echoed on one line" \
  bash -c "grep -qi '^Access-Control-Allow-Headers: accept, Set-Cookie: pwned=1' '$WORK/raw.txt'"

# --- connections per client --------------------------------------------------
python3 - "$HTTP_PORT" >"$WORK/conns.txt" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
time.sleep(0.5)
extra = socket.create_connection(("127.0.0.1", port))
extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
extra.settimeout(5)
print(extra.recv(4096).split(b"\r\n")[0].decode())
for s in held:
    s.close()
PY
check "the 17th connection from one address: 429" grep -q '^HTTP/1.1 429' "$WORK/conns.txt"
sleep 0.5
check_eq "once they close, the address is served again: 200" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")"
check "the server is alive" server_alive
check "refusals are logged with the limit, at most once a second" \
  grep -q 'http.client_limited.*limit=connections_per_client' "$WORK/server.log"
stop_server

# Server 2: a low request rate.
cat >"$WORK/rate.toml" <<'TOML'
[http]
requests_per_second = 1
request_burst = 3
limit_exempt = []
TOML
start_server "$WORK/data" --config "$WORK/rate.toml"
# On a loaded machine the curls themselves may be slow enough for a token
# to come back between them: the checks ask for the burst, then some 429s.
codes=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  codes+="$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz") "
done
check "a burst of 12 requests: the first are served (the readiness probe took one token), then 429s ($codes)" \
  bash -c "[[ '$codes' =~ ^(200\ ){2} && '$codes' == *429* ]]"
for i in 1 2 3; do
  status=$(get limited "$BASE/healthz")
  [[ $status == 429 ]] && break
done
check_eq "still too fast: 429" 429 "$status"
check "429 says when to retry" bash -c "[[ \$(tr -d '\r' <'$WORK/limited.hdr' | awk -F': ' 'tolower(\$1)==\"retry-after\"{print \$2}') =~ ^[1-9][0-9]*\$ ]]"
check_eq "429 is problem JSON" "urn:cloudfilm:error:rate-limited" "$(jq -r .type "$WORK/limited.body")"
sleep 1.5
check_eq "after a pause the client is served again: 200" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")"
check "the rate limit is logged" grep -q 'http.client_limited.*limit=requests_per_client' "$WORK/server.log"
check "no token in the server's output" absent "$CF_TOKEN" "$WORK/server.log" "$WORK/server.out"
stop_server

# Loopback is exempt by default, so a fast local client (benchmarks, a
# reverse proxy on this machine) is never limited, even at a rate of 1.
cat >"$WORK/exempt.toml" <<'TOML'
[http]
requests_per_second = 1
request_burst = 1
max_connections_per_client = 1
TOML
start_server "$WORK/data" --config "$WORK/exempt.toml"
codes=$(for i in $(seq 1 30); do curl -s -o /dev/null -w '%{http_code}\n' "$BASE/healthz"; done | sort -u | tr '\n' ' ')
check_eq "loopback is exempt by default: 30 quick requests all served" "200 " "$codes"
finish
