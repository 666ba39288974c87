#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Splits a multipart/related HTTP answer into its parts, as a client would.

usage: multipart_split.py HEADERS BODY OUTDIR
  HEADERS  the response header block (curl -D), for Content-Type and its boundary
  BODY     the response body (curl -o, already de-chunked)
Writes OUTDIR/part-001.bin ... and prints one line per part:
  <path> <sha256> <content-type of the part>
Two parsers must agree: a strict one written here (RFC 2046 delimiters:
CRLF "--" boundary) and the standard library's email parser, so that a
body that only one of them accepts fails the test.
"""
import email
import email.policy
import hashlib
import os
import sys


def content_type(headers):
    value = None
    for line in headers.decode("latin-1").split("\r\n"):
        name, _, rest = line.partition(":")
        if name.strip().lower() == "content-type":
            value = rest.strip()  # the last answer's, after any 100 Continue
    if value is None:
        sys.exit("no Content-Type in the answer")
    return value


def boundary_of(ctype):
    for param in ctype.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary":
            return value.strip().strip('"').encode()
    sys.exit("no boundary in " + ctype)


def strict_split(body, boundary):
    delimiter = b"--" + boundary
    if not body.startswith(delimiter):
        sys.exit("body does not start with the boundary")
    parts = []
    pos = 0
    while True:
        pos += len(delimiter)
        if body[pos : pos + 2] == b"--":
            if body[pos + 2 :] not in (b"", b"\r\n"):
                sys.exit("bytes after the closing delimiter")
            return parts
        if body[pos : pos + 2] != b"\r\n":
            sys.exit("delimiter line not ended by CRLF")
        head_end = body.index(b"\r\n\r\n", pos)
        fields = {}
        for line in body[pos + 2 : head_end].split(b"\r\n"):
            name, _, value = line.decode("latin-1").partition(":")
            fields[name.strip().lower()] = value.strip()
        end = body.find(b"\r\n" + delimiter, head_end + 4)
        if end < 0:
            sys.exit("part not closed by a delimiter")
        parts.append((fields.get("content-type", ""), body[head_end + 4 : end]))
        pos = end + 2


def email_split(body, ctype):
    message = email.message_from_bytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body, policy=email.policy.HTTP
    )
    if not message.is_multipart():
        sys.exit("the email parser does not see a multipart body")
    return [(p.get_content_type(), p.get_payload(decode=True)) for p in message.iter_parts()]


def main():
    headers_path, body_path, out_dir = sys.argv[1:4]
    with open(headers_path, "rb") as f:
        ctype = content_type(f.read())
    with open(body_path, "rb") as f:
        body = f.read()
    if not ctype.lower().startswith("multipart/related"):
        sys.exit("not multipart/related: " + ctype)
    parts = strict_split(body, boundary_of(ctype))
    others = email_split(body, ctype)
    if len(others) != len(parts):
        sys.exit("parsers disagree on the number of parts: %d vs %d" % (len(parts), len(others)))
    for (_, mine), (_, theirs) in zip(parts, others):
        if mine != theirs:
            sys.exit("parsers disagree on a part's bytes")
    os.makedirs(out_dir, exist_ok=True)
    for i, (part_type, data) in enumerate(parts, 1):
        path = os.path.join(out_dir, "part-%03d.bin" % i)
        with open(path, "wb") as f:
            f.write(data)
        print(path, hashlib.sha256(data).hexdigest(), part_type.replace(" ", ""))


if __name__ == "__main__":
    main()
