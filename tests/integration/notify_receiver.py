#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A webhook gateway for notify_test.sh: takes cloudfilm's signed POSTs and
appends one JSON line per request to LOG: the idempotency key, the answer
it gave, whether the X-Cloudfilm-Signature header is the HMAC-SHA256 of the
body under the secret, and the document itself.

How it answers depends on the message's idempotency key, so that one
gateway plays every part the test needs:
  flaky-*   500 to the first two requests for that key, then 200
  reject-*  400, always
  slow-*    waits 2 s before its 200 (time for the test to kill cloudfilm;
            less than the webhook timeout of the test, 3 s)
  other     200
A 200 answer is {"id": "gw-<key>-<n>"}, n counting the requests for that key.

usage: notify_receiver.py PORT SECRET_FILE LOG [CERT KEY]   (with CERT KEY: HTTPS)
"""
import hashlib
import hmac
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, SECRET_FILE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
SECRET = open(SECRET_FILE, "rb").read().rstrip(b"\r\n")
lock = threading.Lock()
seen = {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        signature_ok = hmac.compare_digest(expected, self.headers.get("X-Cloudfilm-Signature", ""))
        doc = json.loads(body)
        key = doc.get("idempotency_key", "")
        with lock:
            seen[key] = seen.get(key, 0) + 1
            n = seen[key]
        status = 200
        if key.startswith("flaky-") and n <= 2:
            status = 500
        elif key.startswith("reject-"):
            status = 400
        with lock, open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"key": key, "status": status, "signature_ok": signature_ok,
                                  "idempotency_header": self.headers.get("Idempotency-Key", ""),
                                  "doc": doc}, ensure_ascii=False) + "\n")
        if key.startswith("slow-"):
            time.sleep(2)
        answer = json.dumps({"id": f"gw-{key}-{n}"} if status == 200 else {"error": "no"}).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:
            pass  # cloudfilm was killed meanwhile


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
if len(sys.argv) > 5:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[4], sys.argv[5])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
