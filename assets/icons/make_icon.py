"""Draws the app icon (assets/icons/icon.svg, rasterised) as an RGBA PNG.

Usage: python3 assets/icons/make_icon.py src-tauri/icons/icon.png
Kept so the icon can be regenerated without an SVG toolchain.
"""
import struct
import sys
import zlib

S = 256
RED, WHITE, GOLD, CLEAR = (163, 20, 28, 255), (255, 255, 255, 255), (242, 194, 0, 255), (0, 0, 0, 0)


def in_round_rect(x, y, x0, y0, w, h, r):
    x1, y1 = x0 + w, y0 + h
    if not (x0 <= x < x1 and y0 <= y < y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def pixel(x, y):
    if (x - 160) ** 2 + (y - 172) ** 2 <= 18 * 18:
        return GOLD
    for bx, by, bw in ((84, 82, 88), (84, 106, 88), (84, 130, 60)):
        if bx <= x < bx + bw and by <= y < by + 10:
            return RED
    if in_round_rect(x, y, 64, 52, 128, 152, 10):
        return WHITE
    if in_round_rect(x, y, 8, 8, 240, 240, 40):
        return RED
    return CLEAR


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


rows = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(S)) for y in range(S))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", S, S, 8, 6, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
with open(sys.argv[1], "wb") as f:
    f.write(png)
