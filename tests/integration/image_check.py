#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Checks rendered images with the standard library only, independently of
# the server's renderer (DCMTK) and encoders:
#   image_check.py size FILE
#       "png WxH channels" or "jpeg WxH channels" (JPEG from its SOF marker)
#   image_check.py window PNG RAW --bits B [--stored S] --signed 0|1 --slope M
#                  --intercept I --center C --width W [--function F] [--invert]
#       every pixel of a grayscale PNG against PS3.3 C.11.2.1 applied to the
#       native little-endian samples in RAW (one frame), within 1 gray level
#   image_check.py rgb PNG RAW --frame N [--planar P]
#       an RGB PNG equal, byte for byte, to frame N of 8-bit RGB samples
# Exit 0 when the check holds; otherwise a reason on stdout and exit 1.
import argparse
import math
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (0, 2) or interlace != 0:
        raise SystemExit(f"unexpected PNG form: depth {depth}, colour type {colour}, interlace {interlace}")
    channels = 1 if colour == 0 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):  # PNG filters (RFC 2083 6)
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, b"".join(rows)


def jpeg_size(path):
    data = open(path, "rb").read()
    if data[:2] != b"\xff\xd8":
        raise SystemExit("not a JPEG")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise SystemExit("bad JPEG marker")
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width, components = struct.unpack(">HHB", data[pos + 5:pos + 10])
            return width, height, components
        pos += 2 + length
    raise SystemExit("no SOF marker")


def voi(x, c, w, function):
    if function == "sigmoid":
        return 255 / (1 + math.exp(-4 * (x - c) / w))
    if function == "linear-exact":
        if x <= c - w / 2:
            return 0
        if x > c + w / 2:
            return 255
        return ((x - c) / w + 0.5) * 255
    if x <= c - 0.5 - (w - 1) / 2:
        return 0
    if x > c - 0.5 + (w - 1) / 2:
        return 255
    return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["size", "window", "rgb"])
    parser.add_argument("image")
    parser.add_argument("raw", nargs="?")
    parser.add_argument("--bits", type=int, default=16)
    parser.add_argument("--stored", type=int, default=0, help="bits stored (default: --bits)")
    parser.add_argument("--signed", type=int, default=0)
    parser.add_argument("--slope", type=float, default=1.0)
    parser.add_argument("--intercept", type=float, default=0.0)
    parser.add_argument("--center", type=float)
    parser.add_argument("--width", type=float)
    parser.add_argument("--function", default="linear")
    parser.add_argument("--invert", action="store_true")
    parser.add_argument("--frame", type=int, default=1)
    parser.add_argument("--planar", type=int, default=0)
    a = parser.parse_args()

    if a.command == "size":
        if open(a.image, "rb").read(2) == b"\xff\xd8":
            w, h, c = jpeg_size(a.image)
            print(f"jpeg {w}x{h} {c}")
        else:
            w, h, c, _ = read_png(a.image)
            print(f"png {w}x{h} {c}")
        return 0

    w, h, channels, pixels = read_png(a.image)
    raw = open(a.raw, "rb").read()
    if a.command == "window":
        if channels != 1:
            print(f"expected a grayscale PNG, got {channels} channels")
            return 1
        size = a.bits // 8
        fmt = {1: "B", 2: "H"}[size]
        count = w * h
        samples = struct.unpack(f"<{count}{fmt}", raw[:count * size])
        stored_bits = a.stored or a.bits
        checked = 0
        for i, stored in enumerate(samples):
            stored &= (1 << stored_bits) - 1  # bits above Bits Stored are not pixel data
            if a.signed and stored & (1 << (stored_bits - 1)):
                stored -= 1 << stored_bits
            want = voi(stored * a.slope + a.intercept, a.center, a.width, a.function)
            if a.invert:
                want = 255 - want
            if abs(pixels[i] - want) > 1.0:
                print(f"pixel {i}: stored {stored}, expected {want:.1f}, got {pixels[i]}")
                return 1
            checked += 1
        extremes = (min(pixels), max(pixels))
        print(f"{checked} pixels ok, output range {extremes[0]}..{extremes[1]}")
        return 0

    if channels != 3:
        print(f"expected an RGB PNG, got {channels} channels")
        return 1
    frame_bytes = w * h * 3
    frame = raw[(a.frame - 1) * frame_bytes:a.frame * frame_bytes]
    if a.planar:
        plane = w * h
        frame = bytes(frame[c * plane + i] for i in range(plane) for c in range(3))
    if frame != pixels:
        diff = next(i for i in range(len(frame)) if frame[i] != pixels[i])
        print(f"RGB differs at byte {diff}: expected {frame[diff]}, got {pixels[diff]}")
        return 1
    print(f"{w}x{h} RGB frame {a.frame} identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
