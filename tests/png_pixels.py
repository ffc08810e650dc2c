"""Read the pixels of a PNG (8-bit RGB or RGBA, not interlaced: what Chromium's screenshots are), so a
browser test can look at a picture without an imaging library."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from collections.abc import Iterator

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def pixels(png: bytes) -> Iterator[tuple[int, int, int]]:
    """Every pixel's (red, green, blue), row by row."""
    assert png.startswith(SIGNATURE), "not a PNG"
    offset = len(SIGNATURE)
    header: tuple[int, ...] = ()
    data = bytearray()
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        body = png[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            data += body
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        raise ValueError(f"only 8-bit RGB or RGBA, not interlaced: {header}")
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(bytes(data))
    stride = width * channels
    previous = bytearray(stride)
    position = 0
    for _ in range(height):
        kind = raw[position]
        line = bytearray(raw[position + 1 : position + 1 + stride])
        position += 1 + stride
        _unfilter(kind, line, previous, channels)
        yield from zip(line[0::channels], line[1::channels], line[2::channels], strict=True)
        previous = line


def _unfilter(kind: int, line: bytearray, previous: bytearray, step: int) -> None:
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        return
    if kind == 1:
        for i in range(step, len(line)):
            line[i] = (line[i] + line[i - step]) & 0xFF
        return
    for i in range(len(line)):
        left = line[i - step] if i >= step else 0
        up = previous[i]
        corner = previous[i - step] if i >= step else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            guess = left + up - corner
            pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
            nearest = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + nearest) & 0xFF


def colour_counts(png: bytes) -> Counter[tuple[int, int, int]]:
    """How many pixels of each colour the picture has."""
    return Counter(pixels(png))


def count_near(counts: Counter[tuple[int, int, int]], colour: str, tolerance: int = 6) -> int:
    """How many pixels are within ``tolerance`` of ``#rrggbb`` in every channel."""
    want = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return sum(
        n
        for pixel, n in counts.items()
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, want, strict=True))
    )
