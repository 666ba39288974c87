#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Prints the dataset bytes of a DICOM file (everything after the preamble and
# the file meta group), or with --transfer-syntax the meta's (0002,0010).
# A raw dataset without preamble is printed whole. Used by integration tests
# to compare what a C-STORE carried (no file meta) with the file sent.
import struct
import sys


def split(data):
    if len(data) >= 132 and data[128:132] == b"DICM":
        pos = 132
        ts = ""
        while pos + 8 <= len(data):
            group, elem = struct.unpack_from("<HH", data, pos)
            if group != 2:
                break
            vr = data[pos + 4:pos + 6]
            if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV"):
                length = struct.unpack_from("<I", data, pos + 8)[0]
                header = 12
            else:
                length = struct.unpack_from("<H", data, pos + 6)[0]
                header = 8
            if elem == 0x0010:
                ts = data[pos + header:pos + header + length].rstrip(b"\0 ").decode()
            pos += header + length
        return ts, data[pos:]
    return "", data


def main():
    args = sys.argv[1:]
    want_ts = args and args[0] == "--transfer-syntax"
    if want_ts:
        args = args[1:]
    with open(args[0], "rb") as f:
        ts, dataset = split(f.read())
    if want_ts:
        print(ts)
    else:
        sys.stdout.buffer.write(dataset)


if __name__ == "__main__":
    main()
