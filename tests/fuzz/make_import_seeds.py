#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpus of the import fuzzer (corpus/import_media) from
the film package seeds (corpus/package_verify, packages the platform
wrote: DICOM files, a DICOMDIR, reports, signatures), in the input format
of import_media_harness.hpp: a mode byte (bit 0: a folder on disk, else a
ZIP), then the members.
  python3 tests/fuzz/make_import_seeds.py
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
PACKAGE = HERE / "corpus" / "package_verify" / "ct-two-series-two-reports"
OUT = HERE / "corpus" / "import_media"


def decode(data):
    members, at = [], 0
    while at < len(data):
        n = data[at]
        at += 1
        name = data[at:at + n]
        at += n
        size = int.from_bytes(data[at:at + 3], "little")
        at += 3
        members.append((name, data[at:at + size]))
        at += size
    return members


def encode(mode, members):
    out = bytearray([mode])
    for name, content in members:
        out += bytes([len(name)]) + name + len(content).to_bytes(3, "little") + content
    return bytes(out)


def main():
    package = decode(PACKAGE.read_bytes())
    dicom = [(n, c) for n, c in package if n.startswith(b"DICOM/")]
    OUT.mkdir(parents=True, exist_ok=True)
    seeds = {
        # A film package as it is: a ZIP with a DICOMDIR at its root (media).
        "zip-film-package": encode(0, package),
        # The same unpacked on a CD: imported through its DICOMDIR.
        "cd-film-package": encode(1, package),
        # A CD whose files are lower case where its DICOMDIR says upper.
        "cd-lower-case-files": encode(1, [(n.lower() if n.startswith(b"DICOM/") else n, c)
                                          for n, c in package]),
        # A ZIP of loose files with Chinese folder names (UTF-8), no DICOMDIR.
        "zip-chinese-names": encode(0, [("张三/影像{}.dcm".format(i + 1).encode(), c)
                                        for i, (_, c) in enumerate(dicom)]
                                    + [(b"README.txt", b"not DICOM\n")]),
        # A folder of loose files, no DICOMDIR.
        "cd-loose-files": encode(1, [(b"IMG%04d" % (i + 1), c) for i, (_, c) in enumerate(dicom)]),
    }
    for name, data in seeds.items():
        (OUT / name).write_bytes(data)
        print(OUT / name)


if __name__ == "__main__":
    main()
