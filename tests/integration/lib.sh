# SPDX-License-Identifier: Apache-2.0
# Shared helpers of the integration tests: they start the real `cloudfilm`
# binary on free loopback ports and talk to it with real clients.
# Sourced by each *_test.sh; CLOUDFILM and CF_TESTDATA come from CTest.
set -euo pipefail

: "${CLOUDFILM:?CLOUDFILM must name the cloudfilm binary}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cf-it-XXXXXX")
SERVER_PID=
FAILURES=0
CHECKS=0
export TCP_NODELAY=1  # DCMTK clients: see DESIGN.md, performance notes
# Debian's interpreter (install-deps.sh installs its modules), not a version
# manager's shim in front of it on PATH: a pyenv shim costs over half a
# second per call, and storescu_test alone calls python3 about a thousand
# times (it took 13 minutes instead of 3 on such a machine).
if [[ -x /usr/bin/python3 ]]; then
  python3() { /usr/bin/python3 "$@"; }
  export -f python3
fi

# Authentication. Every HTTP route but GET /healthz wants a bearer token (once
# the server enforces it; until then the header is ignored). Each test run
# makes one random token: exported as CLOUDFILM_BOOTSTRAP_TOKEN, it is
# the platform-admin token of every `cloudfilm serve` the test starts (with
# start_server or by hand), and as CF_TOKEN it is there for the test's own
# clients (the Python helpers and the Node tests read CF_TOKEN).
# curl sends it without being asked: CURL_HOME points at $WORK, whose .curlrc
# adds the Authorization header to every curl of the test and of its child
# processes. Hence:
#   - `curl -q ...` (-q first, it must be the first argument) is an anonymous
#     request: curl reads no .curlrc. Use it for a request that must carry no
#     token (a check of the 401, or another server such as Orthanc), and for
#     one with another token: `curl -q -H "Authorization: Bearer $OTHER" ...`
#     (without -q, curl would send both Authorization headers).
#   - CF_AUTH is the header itself, for clients that read no .curlrc.
CF_TOKEN=$(head -c 30 /dev/urandom | base64 -w 0 | tr '+/' '-_')  # 240 bits, 40 base64url characters
[[ $CF_TOKEN =~ ^[A-Za-z0-9_-]{40}$ ]] || { echo "cannot make a random token"; exit 1; }
CF_AUTH="Authorization: Bearer $CF_TOKEN"
export CF_TOKEN CLOUDFILM_BOOTSTRAP_TOKEN=$CF_TOKEN
(umask 077 && printf 'header = "%s"\n' "$CF_AUTH" >"$WORK/.curlrc")
export CURL_HOME=$WORK

cleanup() {
  local rc=$?
  # A failed run shows the end of the server's log (no patient data by
  # design) before $WORK goes: the one trace of a crash.
  if ((rc != 0 && rc != 77)) && [[ -s $WORK/server.log ]]; then
    echo "--- last 40 lines of the server log ---"
    tail -n 40 "$WORK/server.log"
  fi
  stop_server || true
  [[ -n ${ORTHANC_PID:-} ]] && kill "$ORTHANC_PID" 2>/dev/null && wait "$ORTHANC_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# free_ports N: N distinct free loopback ports, on one line, none of them
# handed out before in this test (they are kept in $WORK/.ports: calls run
# in subshells). Two separate calls could otherwise be given the same port
# back before anything listens on it (integration.keys once failed so, HTTP
# and DICOM on one port; integration.orthanc_peer, Orthanc's and ours).
free_ports() {
  python3 - "$1" "$WORK/.ports" <<'PY'
import socket, sys
n, path = int(sys.argv[1]), sys.argv[2]
try:
    used = set(open(path).read().split())
except FileNotFoundError:
    used = set()
held, picked = [], []
while len(picked) < n:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)  # held until all are picked: no port twice in one call
    port = s.getsockname()[1]
    if str(port) not in used:
        picked.append(port)
with open(path, "a") as f:
    f.write("".join(f"{p}\n" for p in picked))
print(*picked)
for s in held:
    s.close()
PY
}
free_port() { free_ports 1; }

check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  CHECKS=$((CHECKS + 1))
  if "$@"; then echo "ok - $what"; else echo "FAILED - $what"; FAILURES=$((FAILURES + 1)); fi
}
check_eq() {  # check_eq DESCRIPTION EXPECTED ACTUAL
  CHECKS=$((CHECKS + 1))
  if [[ "$2" == "$3" ]]; then echo "ok - $1"; else echo "FAILED - $1: expected [$2], got [$3]"; FAILURES=$((FAILURES + 1)); fi
}
finish() {
  echo "$((CHECKS - FAILURES)) passed, $FAILURES failed"
  [[ $FAILURES -eq 0 ]]
}
skip() { echo "SKIPPED: $*"; exit 77; }

# start_server DATA_DIR [extra flags...]: sets HTTP_PORT DICOM_PORT BASE SERVER_PID
start_server() {
  local data=$1; shift
  read -r HTTP_PORT DICOM_PORT <<<"$(free_ports 2)"
  BASE=http://127.0.0.1:$HTTP_PORT
  "$CLOUDFILM" serve --data "$data" --http-port "$HTTP_PORT" --dicom-port "$DICOM_PORT" \
    --bind 127.0.0.1 "$@" >"$WORK/server.out" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 500; i++)); do
    curl -sf "$BASE/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died at start:"; cat "$WORK/server.log"; return 1; }
    sleep 0.02
  done
  echo "server not ready after 10 s"; return 1
}
stop_server() {  # SIGTERM, wait; returns the exit code
  [[ -n $SERVER_PID ]] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=
  return $rc
}
kill_server() {
  [[ -n $SERVER_PID ]] || return 0
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
server_alive() { kill -0 "$SERVER_PID" 2>/dev/null && curl -sf "$BASE/healthz" >/dev/null; }

sha() { sha256sum "$1" | cut -d' ' -f1; }
# absent TEXT PATH...: true only when grep ran and found TEXT (literal, may
# start with '-') in none of the files or folders; an unreadable path is an
# error, not "absent" (`! grep` would pass on it).
absent() {
  local text=$1 rc=0
  shift
  grep -rqF -e "$text" -- "$@" || rc=$?
  [[ $rc -eq 1 ]]
}

# HTTP answers kept by name for the checks that follow (-g: URLs are taken
# literally, so that '[' and '*' in query values need no escaping).
get() {  # get NAME URL [curl args...]: body to $WORK/NAME.body, headers to .hdr; prints the status
  local name=$1 url=$2; shift 2
  curl -s -g -D "$WORK/$name.hdr" -o "$WORK/$name.body" -w '%{http_code}' "$@" "$url"
}
header() {  # header NAME FIELD: the last value of that header field
  tr -d '\r' <"$WORK/$1.hdr" | awk -F': ' -v f="$2" 'tolower($1) == tolower(f) { v = $2 } END { print v }'
}
split_parts() {  # split_parts NAME: "path sha type" lines of a multipart answer in $WORK/NAME.parts
  python3 "$HERE/multipart_split.py" "$WORK/$1.hdr" "$WORK/$1.body" "$WORK/$1.d" >"$WORK/$1.parts"
}
# The dataset bytes of a file: after the preamble and file meta group if any.
dataset_sha() { python3 "$HERE/dataset_bytes.py" "$1" | sha256sum | cut -d' ' -f1; }
ts_of() { python3 "$HERE/dataset_bytes.py" --transfer-syntax "$1"; }
# first_value FILE DCMDUMP-OPTIONS...: the first bracketed value dcmdump
# prints. sed reads all of dcmdump's output (`head -1` would end dcmdump with
# SIGPIPE), and a dcmdump that fails on an odd file prints nothing rather
# than ending the test through pipefail.
first_value() {
  local file=$1
  shift
  { dcmdump "$@" "$file" 2>/dev/null || true; } | sed -n -E '1s/^[^[]*\[(.*)\].*$/\1/p'
}
# first_dicom DIR: the first .dcm file under DIR in sorted order. sed reads
# all of sort's output: `sort | head -1` ends sort with SIGPIPE once the
# list outgrows head's first read, and pipefail then ends the test silently.
first_dicom() { find "$1" -name '*.dcm' | sort | sed -n 1p; }
# dicom_value FILE KEYWORD|gggg,eeee: in UTF-8, UIDs as numbers.
dicom_value() { first_value "$1" +U8 -Un -q +P "$2"; }
# Without +U8: a character set dcmdump cannot convert must not hide the UID.
sop_of() { first_value "$1" -Un -q +P 0008,0018; }
# account_token DATA LOGIN ROLE TENANT [cloudfilm options...]: creates the
# account with the CLI and prints an API token of it.
account_token() {
  local data=$1 login=$2 role=$3 tenant=$4
  shift 4
  printf 'a long enough password\n' | "$CLOUDFILM" accounts create "$@" --data "$data" \
    --login "$login" --role "$role" --tenant "$tenant" >/dev/null
  "$CLOUDFILM" tokens issue "$@" --data "$data" --login "$login" --label test 2>/dev/null
}
api_file() {  # api_file SOP OUT [VERSION]
  curl -sf -o "$2" "$BASE/api/instances/$1/file${3:+?version=$3}"
}
count_instances() { curl -sf "$BASE/api/system" | jq -r .instances; }

# Non-malformed files of the shared test data that are archivable objects.
testdata_objects() {
  awk -F'\t' 'NR > 1 && $1 !~ /^malformed\// && $1 !~ /DICOMDIR/ && $8 != "n/a" { print $1 }' "$CF_TESTDATA/MANIFEST.tsv"
}

propose_flag() {  # storescu's option that proposes the file's own transfer syntax
  case $(ts_of "$1") in
    1.2.840.10008.1.2.4.50) echo -xy ;; 1.2.840.10008.1.2.4.51) echo -xx ;; 1.2.840.10008.1.2.4.70) echo -xs ;;
    1.2.840.10008.1.2.4.80) echo -xt ;; 1.2.840.10008.1.2.4.81) echo -xu ;; 1.2.840.10008.1.2.4.90) echo -xv ;;
    1.2.840.10008.1.2.4.91) echo -xw ;; 1.2.840.10008.1.2.5) echo -xr ;; 1.2.840.10008.1.2.1.99) echo -xd ;;
    1.2.840.10008.1.2.2) echo -xb ;; 1.2.840.10008.1.2) echo -xi ;; 1.2.840.10008.1.2.4.100) echo -xm ;;
    1.2.840.10008.1.2.4.101) echo -xh ;; 1.2.840.10008.1.2.4.102) echo -xn ;; *) echo -xe ;;
  esac
}
