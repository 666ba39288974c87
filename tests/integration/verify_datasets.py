#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Reads "FILE<TAB>SOP_INSTANCE_UID" lines on stdin and checks, against a
# running server (argv[1] = base URL), that /api/instances/{uid}/file holds a
# version whose dataset bytes equal FILE's. Prints each file that does not
# and exits 1 if any. One process for many files keeps the crash test fast.
# Requests carry "Authorization: Bearer $CF_TOKEN" when CF_TOKEN is set
# (lib.sh exports it: the token of the servers the tests start).
import os
import sys
import urllib.error
import urllib.request

from dataset_bytes import split

HEADERS = {"Authorization": f"Bearer {os.environ['CF_TOKEN']}"} if os.environ.get("CF_TOKEN") else {}


def fetch(url):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=HEADERS), timeout=30) as r:
            return r.read()
    except urllib.error.URLError:
        return None


def main():
    import json
    base = sys.argv[1]
    bad = 0
    for line in sys.stdin:
        path, sop = line.rstrip("\n").split("\t")
        with open(path, "rb") as f:
            want = split(f.read())[1]
        meta = fetch(f"{base}/api/instances/{sop}")
        versions = [v["version"] for v in json.loads(meta)["versions"]] if meta else []
        if not any(split(fetch(f"{base}/api/instances/{sop}/file?version={v}") or b"")[1] == want for v in versions):
            print(f"LOST: {path} ({len(versions)} versions stored)")
            bad += 1
    sys.exit(1 if bad else 0)


main()
