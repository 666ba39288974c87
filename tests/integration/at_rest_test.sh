#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Encryption at rest: patient names and IDs (UTF-8 and GB18030) and a
# planted marker, stored by C-STORE (server killed -9 right after, so some
# objects are only in the journal) and by import (stopped cleanly), must not
# appear in DATA/blobs or DATA/journal; nor, while a STOW-RS upload is in
# progress (held open by a slow client), anywhere under DATA or in the
# server's unnamed spool file (read through /proc/PID/fd). The catalog still holds them
# (catalog encryption is a separate task: checked here to document the gap).
# Every object reads back byte-exact after a restart; fsck is clean.
source "$(dirname "$0")/lib.sh"
command -v storescu >/dev/null && command -v dcmodify >/dev/null || skip "DCMTK tools missing"

MARKER="CFATREST$$X$RANDOM"
"$CLOUDFILM" synth "$WORK/utf8" --seed 21 --patients 2 --series 2 --instances 4 --ct-size 64 \
  --charset utf8 >/dev/null
"$CLOUDFILM" synth "$WORK/stow" --seed 23 --patients 2 --series 1 --instances 10 --ct-size 256 \
  --charset utf8 >/dev/null
"$CLOUDFILM" synth "$WORK/gb" --seed 22 --patients 2 --series 1 --instances 4 --ct-size 64 \
  --charset gb18030 >/dev/null
mkdir -p "$WORK/marked"
first=$(first_dicom "$WORK/utf8")
cp "$first" "$WORK/marked/m.dcm"
dcmodify -nb -gst -gse -gin -i "(0010,0010)=${MARKER}^NAME" -i "(0010,0020)=${MARKER}ID" "$WORK/marked/m.dcm" >/dev/null
cp "$WORK/marked/m.dcm" "$WORK/marked_copy.dcm"  # a pristine copy for the control round

# Needles: every patient ID and name component group of both manifests, as
# UTF-8 and (for GB18030 studies) as GB18030, plus the marker.
cat >"$WORK/needles.py" <<'PY'
import sys
needles = set()
for manifest in sys.argv[2:]:
    with open(manifest, encoding="utf-8") as f:
        next(f)
        for line in f:
            col = line.rstrip("\n").split("\t")
            pid, name, charset = col[1], col[2], col[3]
            needles.add(pid.encode())
            for group in name.split("="):
                if len(group) < 2:
                    continue
                needles.add(group.encode("utf-8"))
                if "GB18030" in charset:
                    needles.add(group.encode("gb18030"))
needles.add(sys.argv[1].encode())
for n in sorted(needles):
    print(n.hex())
PY
cat >"$WORK/search.py" <<'PY'
# search.py NEEDLES_HEX_FILE PATH...: prints each needle found (hex) and where.
import os, sys
needles = [bytes.fromhex(l.strip()) for l in open(sys.argv[1]) if l.strip()]
found = 0
for root in sys.argv[2:]:
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            try:
                data = open(p, "rb").read()
            except OSError:
                continue
            for n in needles:
                if n in data:
                    found += 1
                    print(f"found {n!r} in {p}")
print(f"{found} found", file=sys.stderr)
sys.exit(1 if found else 0)
PY
(cd "$WORK" && python3 needles.py "$MARKER" utf8/manifest.tsv gb/manifest.tsv stow/manifest.tsv >needles.hex)
echo "  $(wc -l <"$WORK/needles.hex") needles (names, IDs, marker)"
found_in() { python3 "$WORK/search.py" "$WORK/needles.hex" "$@" >"$WORK/found.txt" 2>/dev/null; }

DATA=$WORK/data
check_eq "config show says encryption is on" 1 \
  "$("$CLOUDFILM" config show --data "$DATA" | grep -c '^# encryption at rest: on')"

# Round 1: C-STORE, then SIGKILL at once (the checkpoint runs every second).
start_server "$DATA"
storescu -aec CLOUDFILM +sd +r +sp '*.dcm' 127.0.0.1 "$DICOM_PORT" "$WORK/utf8" "$WORK/marked" \
  >"$WORK/scu.log" 2>&1
kill_server
segments=$(find "$DATA/journal" -name 'seg-*.log' | wc -l)
echo "  journal segments left by the killed server: $segments"
check "the killed server left journal records behind" test "$segments" -gt 0
check "no name, ID or marker in blobs or journal after kill -9" found_in "$DATA/blobs" "$DATA/journal"
head -5 "$WORK/found.txt"
check "the master key was generated with mode 0600" test "$(stat -c %a "$DATA/keys/master.key")" = 600
check "a wrapped data key of tenant default exists" compgen -G "$DATA/keys/default.*.wrapped"

# Round 2: import (its own process), then a server started and stopped cleanly.
# (the patient folders: manifest.tsv beside them is not DICOM)
check "import succeeded" bash -c "'$CLOUDFILM' import --data '$DATA' '$WORK'/gb/*/ >'$WORK/import.log' 2>&1"
start_server "$DATA"
check "server stopped cleanly" stop_server
check "no name, ID or marker in blobs or journal after import and a clean stop" \
  found_in "$DATA/blobs" "$DATA/journal"
head -5 "$WORK/found.txt"
check "some blobs are sealed (CFX1)" test "$(find "$DATA/blobs" -type f -exec head -c4 {} \; -printf '\n' | grep -c '^CFX1')" -gt 0

# The databases (catalog, accounts, audit trail) are encrypted too: the
# whole data folder holds no name, ID or marker in clear.
check "no name, ID or marker anywhere in the data folder (databases included)" found_in "$DATA"
head -5 "$WORK/found.txt"
check "catalog.sqlite does not even say it is SQLite" \
  bash -c "! head -c 16 '$DATA/catalog.sqlite' | grep -q 'SQLite format 3'"
check_eq "yet cloudfilm sql reads it through the same keys" 1 \
  "$("$CLOUDFILM" sql --data "$DATA" "SELECT count(*) FROM patients WHERE patient_id = '${MARKER}ID'")"

# Control: the same search finds the marker in a folder without encryption,
# so the checks above can fail.
printf '[security]\nencryption = false\n' >"$WORK/plain.toml"
"$CLOUDFILM" import --config "$WORK/plain.toml" --data "$WORK/plain" "$WORK/marked_copy.dcm" >/dev/null 2>&1
if found_in "$WORK/plain/blobs"; then
  echo "FAILED - control: the marker was not found in an unencrypted folder"; FAILURES=$((FAILURES + 1))
else echo "ok - control: the search finds the marker in an unencrypted folder"; fi
CHECKS=$((CHECKS + 1))
mkdir -p "$WORK/plain-db" && cp "$WORK/plain/catalog.sqlite"* "$WORK/plain-db/"
if found_in "$WORK/plain-db"; then
  echo "FAILED - control: the marker was not found in an unencrypted catalog"; FAILURES=$((FAILURES + 1))
else echo "ok - control: the search finds the marker in an unencrypted catalog"; fi
CHECKS=$((CHECKS + 1))
# With encryption turned on, a plaintext catalog from before is converted
# in place at the next open, and keeps its content.
check_eq "a catalog from before encryption reads after conversion" 1 \
  "$("$CLOUDFILM" sql --data "$WORK/plain" "SELECT count(*) FROM patients WHERE patient_id = '${MARKER}ID'")"
rm -rf "$WORK/plain-db" && mkdir -p "$WORK/plain-db" && cp "$WORK/plain/catalog.sqlite"* "$WORK/plain-db/"
check "and holds the marker in clear no more" found_in "$WORK/plain-db"
rc=0; "$CLOUDFILM" sql --config "$WORK/plain.toml" --data "$WORK/plain" "SELECT 1" >/dev/null 2>"$WORK/plain-off.err" || rc=$?
check "with encryption off again, the encrypted catalog is refused, not damaged" \
  bash -c "[[ $rc -ne 0 ]] && grep -q 'is encrypted' '$WORK/plain-off.err'"

# Everything reads back exact after a restart. (Uploads go to the spool
# file, not memory, so that round 3 can look at one.)
printf '[http]\nupload_memory_bytes = 0\n' >"$WORK/spool.toml"
start_server "$DATA" --config "$WORK/spool.toml"
check_eq "every object is held" $(($(find "$WORK/utf8" "$WORK/gb" -name '*.dcm' | wc -l) + 1)) "$(count_instances)"
declare -A SOP
while read -r rel sop; do SOP[$WORK/utf8/$rel]=$sop; done < <(awk -F'\t' 'NR > 1 { print $1, $7 }' "$WORK/utf8/manifest.tsv")
{ for f in "${!SOP[@]}"; do printf '%s\t%s\n' "$f" "${SOP[$f]}"; done
  printf '%s\t%s\n' "$WORK/marked/m.dcm" "$(sop_of "$WORK/marked/m.dcm")"; } >"$WORK/stored.tsv"
check "C-STORE'd objects read back exact (dataset bytes)" \
  python3 "$HERE/verify_datasets.py" "$BASE" <"$WORK/stored.tsv"
bad=0
while read -r rel sop; do
  api_file "$sop" "$WORK/back.dcm" || { bad=$((bad + 1)); continue; }
  [[ $(sha "$WORK/back.dcm") == $(sha "$WORK/gb/$rel") ]] || bad=$((bad + 1))
done < <(awk -F'\t' 'NR > 1 { print $1, $7 }' "$WORK/gb/manifest.tsv")
check_eq "imported objects read back byte-exact (SHA-256 of the file)" 0 "$bad"

# Round 3: a STOW-RS upload held open. The client sends all of the body
# but its last bytes and waits; meanwhile the spool file (unnamed:
# O_TMPFILE in DATA/tmp/http) holds megabytes of it.
cat >"$WORK/slow_stow.py" <<'PY'
# slow_stow.py PORT BODY CONTENT_TYPE READY GO ANSWER: sends all but the last 1 KiB
# of BODY, writes READY, waits (at most 120 s) for the file GO, sends the
# rest, prints the answer's status code and writes its body to ANSWER.
import os, socket, sys, time
port, body_path, ctype, ready, go, answer_path = sys.argv[1:7]
body = open(body_path, "rb").read()
s = socket.create_connection(("127.0.0.1", int(port)))
head = (f"POST /dicom-web/studies HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {os.environ['CF_TOKEN']}\r\nContent-Type: {ctype}\r\n"
        f"Accept: application/dicom+json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
s.sendall(head.encode() + body[:-1024])
open(ready, "w").write(str(len(body) - 1024))
deadline = time.time() + 120
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.05)
s.sendall(body[-1024:])
answer = b""
while True:
    piece = s.recv(65536)
    if not piece:
        break
    answer += piece
head, _, content = answer.partition(b"\r\n\r\n")
open(answer_path, "wb").write(content)
print(head.split(b" ", 2)[1].decode())
PY
mapfile -t STOW_FILES < <(find "$WORK/stow" -name '*.dcm' | sort)
STOW_FILES+=("$WORK/marked/m.dcm")
ctype='multipart/related; type="application/dicom"; boundary=cf-at-rest-boundary'
python3 - "$WORK/stow.body" "${STOW_FILES[@]}" <<'PY'
import sys
with open(sys.argv[1], "wb") as out:
    for name in sys.argv[2:]:
        out.write(b"--cf-at-rest-boundary\r\nContent-Type: application/dicom\r\n\r\n")
        out.write(open(name, "rb").read())
        out.write(b"\r\n")
    out.write(b"--cf-at-rest-boundary--\r\n")
PY
echo "  STOW-RS body: $(stat -c %s "$WORK/stow.body") bytes in ${#STOW_FILES[@]} parts"
rm -f "$WORK/stow.ready" "$WORK/stow.go"
python3 "$WORK/slow_stow.py" "$HTTP_PORT" "$WORK/stow.body" "$ctype" "$WORK/stow.ready" "$WORK/stow.go" \
  "$WORK/stow.answer" >"$WORK/stow.status" 2>"$WORK/stow.err" &
STOW_PID=$!
for ((i = 0; i < 600; i++)); do [[ -s $WORK/stow.ready ]] && break; sleep 0.05; done
# The server's descriptors into DATA/tmp/http: the spool file. Wait until
# it stops growing (the server writes it a chunk at a time).
spool_fds() {
  local fd
  for fd in /proc/"$SERVER_PID"/fd/*; do
    [[ $(readlink "$fd" 2>/dev/null) == "$DATA/tmp/http/"* ]] && echo "$fd"
  done
  return 0
}
spool_size=0
for ((i = 0; i < 100; i++)); do
  size=0
  for fd in $(spool_fds); do size=$((size + $(stat -L -c %s "$fd"))); done
  [[ $size -gt 0 && $size -eq $spool_size ]] && break
  spool_size=$size
  sleep 0.1
done
check_eq "the server holds one spool file of the upload" 1 "$(spool_fds | wc -l)"
echo "  spool file: $(spool_fds | head -1) -> $(readlink "$(spool_fds | head -1)"), $spool_size bytes"
check "it holds megabytes of the body" test "$spool_size" -gt $((1 << 20))
mkdir -p "$WORK/spool-copy"
for fd in $(spool_fds); do cat "$fd" >"$WORK/spool-copy/$(basename "$fd")"; done
check "no name, ID or marker in the spool file of an upload in progress" found_in "$WORK/spool-copy"
head -5 "$WORK/found.txt"
check "nor anywhere under DATA meanwhile" found_in "$DATA"
head -5 "$WORK/found.txt"
# Control: the body's bytes that are in the spool file hold the needles.
mkdir -p "$WORK/spool-plain" && head -c "$spool_size" "$WORK/stow.body" >"$WORK/spool-plain/prefix"
if found_in "$WORK/spool-plain"; then
  echo "FAILED - control: the spooled part of the body holds no needle"; FAILURES=$((FAILURES + 1))
else echo "ok - control: the spooled part of the body holds $(grep -c . "$WORK/found.txt") needles in clear"; fi
CHECKS=$((CHECKS + 1))
touch "$WORK/stow.go"
wait "$STOW_PID" || true
# 202: the marked object is stored again as a new version (a warning).
check_eq "the upload then completes: 202" 202 "$(cat "$WORK/stow.status")"
check_eq "every part is stored, none failed" "${#STOW_FILES[@]} 0" \
  "$(jq -r '"\((."00081199".Value // []) | length) \((."00081198".Value // []) | length)"' "$WORK/stow.answer")"
for ((i = 0; i < 50; i++)); do [[ -z $(spool_fds) ]] && break; sleep 0.1; done
check_eq "and the server keeps no spool file" 0 "$(spool_fds | wc -l)"
check_eq "its objects are stored" $(($(find "$WORK/utf8" "$WORK/gb" "$WORK/stow" -name '*.dcm' | wc -l) + 1)) \
  "$(count_instances)"
stop_server
check "no name, ID or marker anywhere in the data folder after the upload" found_in "$DATA"
head -5 "$WORK/found.txt"
check "fsck is clean" "$CLOUDFILM" fsck --data "$DATA"
check "no name, ID or marker in blobs or journal at the end" found_in "$DATA/blobs" "$DATA/journal"

# Crypto-shredding: without the tenant's data key nothing reads back.
mkdir -p "$WORK/shredded" && cp -a "$DATA/." "$WORK/shredded/"
rm -f "$WORK/shredded/keys/"default.*.wrapped
start_server "$WORK/shredded"
sop=$(sop_of "$WORK/marked/m.dcm")
check "after crypto-shredding an object does not read back" bash -c "! curl -sf -o /dev/null '$BASE/api/instances/$sop/file'"
stop_server || true
"$CLOUDFILM" fsck --data "$WORK/shredded" >"$WORK/fsck.shredded" 2>&1 || true
check "fsck names the missing data key" grep -q "crypto-shredded" "$WORK/fsck.shredded"
finish
