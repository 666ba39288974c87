#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An SMTP server for notify_test.sh (Debian's python3-aiosmtpd): STARTTLS
required with the given certificate, AUTH required and checked against one
login and password, each accepted message stored in a Maildir. Every AUTH
attempt appends "login ok|refused" to AUTH_LOG.

usage: notify_smtpd.py PORT CERT KEY LOGIN PASSWORD_FILE MAILDIR AUTH_LOG
"""
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, login, password_file, maildir, auth_log = sys.argv[1:8]
password = open(password_file, "rb").read().rstrip(b"\r\n")
for sub in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(maildir, sub), exist_ok=True)


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == login.encode()
          and auth_data.password == password)
    with open(auth_log, "a") as log:
        log.write(f"{mechanism} {'ok' if ok else 'refused'}\n")
    return AuthResult(success=ok)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=int(port),
                        tls_context=context, require_starttls=True, auth_required=True,
                        auth_require_tls=True, authenticator=authenticate)
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
