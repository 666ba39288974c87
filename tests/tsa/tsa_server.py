#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An RFC 3161 TSA over HTTP for the tests: each POSTed query is answered by
OpenSSL's own TSA (`openssl ts -reply`) with the certificate made by
make_tsa.sh. While the file DIR/down exists it answers 503, so that a test
can take the TSA away and bring it back. Prints its port, then serves.

usage: tsa_server.py DIR"""
import http.server
import os
import subprocess
import sys
import tempfile

DIR = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if os.path.exists(os.path.join(DIR, "down")):
            self.send_error(503, "TSA down (test)")
            return
        if self.headers.get("Content-Type") != "application/timestamp-query":
            self.send_error(415, "not a time-stamp query")
            return
        with tempfile.TemporaryDirectory() as tmp:
            query, reply = os.path.join(tmp, "q.tsq"), os.path.join(tmp, "r.tsr")
            with open(query, "wb") as f:
                f.write(body)
            done = subprocess.run(["openssl", "ts", "-reply", "-config", os.path.join(DIR, "tsa.cnf"),
                                   "-queryfile", query, "-out", reply], capture_output=True)
            if done.returncode != 0:
                self.send_error(400, "openssl ts -reply failed")
                return
            with open(reply, "rb") as f:
                answer = f.read()
        with open(os.path.join(DIR, "stamped"), "a") as f:
            f.write("1\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
