# SPDX-License-Identifier: Apache-2.0
"""A slow reader of a film package, for package_stream_test.sh.

  package_stream.py HOST PORT PATH TOKEN OUT STATE_DIR

Connects with a small receive buffer, sends the GET, reads the header and
the first 64 KiB of the body, writes STATE_DIR/paused (header and bytes
read so far) and stops reading until STATE_DIR/go exists: meanwhile the
server can only have sent what the socket buffers hold. Then reads to the
end, removes the chunked framing, writes the body to OUT and STATE_DIR/done
("complete" when the final chunk came, else "truncated").
"""
import os
import socket
import sys
import time

host, port, path, token, out, state = sys.argv[1:7]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((host, int(port)))
s.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
           "Connection: close\r\n\r\n").encode())
raw = b""
while b"\r\n\r\n" not in raw:
    got = s.recv(4096)
    if not got:
        break
    raw += got
head, _, rest = raw.partition(b"\r\n\r\n")
while len(rest) < 65536:
    got = s.recv(4096)
    if not got:
        break
    rest += got
with open(os.path.join(state, "paused.tmp"), "w") as f:
    f.write(head.decode("latin-1").replace("\r\n", "\n") + "\n\nread %d\n" % len(rest))
os.rename(os.path.join(state, "paused.tmp"), os.path.join(state, "paused"))
deadline = time.time() + 120
while not os.path.exists(os.path.join(state, "go")):
    if time.time() > deadline:
        sys.exit("no go within 120 s")
    time.sleep(0.05)
chunks = [rest]
while True:
    try:
        got = s.recv(1 << 16)
    except ConnectionResetError:
        break
    if not got:
        break
    chunks.append(got)
data = b"".join(chunks)
# De-chunk.
body = bytearray()
complete = False
at = 0
while True:
    eol = data.find(b"\r\n", at)
    if eol < 0:
        break
    size = int(data[at:eol].split(b";")[0], 16)
    if size == 0:
        complete = True
        break
    start = eol + 2
    if start + size + 2 > len(data):
        body += data[start:]
        break
    body += data[start:start + size]
    at = start + size + 2
with open(out, "wb") as f:
    f.write(body)
with open(os.path.join(state, "done"), "w") as f:
    f.write("complete\n" if complete else "truncated\n")
