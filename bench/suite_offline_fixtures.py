"""A pytest plugin for bench/third_party_suites.py: the few public files the suites download, made here.

langchain-aws's integration tests (and the standard tests of ``langchain-tests`` they build on) fetch a
sample PDF, a PNG and a WAV file from the web with ``httpx.get``, one of them at import time, so without
a network the whole Converse test module fails to collect. This machine reaches no web site, so the
plugin answers exactly those URLs with files generated here (a one-page PDF whose text is "Dummy PDF
file", a 64x64 PNG, one second of a 440 Hz tone as 16 kHz WAV); every other URL goes to the real
``httpx.get``. The tests themselves run unmodified: only what they would have downloaded is different.

Loaded with ``-p suite_offline_fixtures`` and this directory on ``PYTHONPATH``.
"""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib
from typing import Any

import httpx

PDF_URL = "https://www.w3.org/WAI/ER/tests/xhtml/testfiles/resources/pdf/dummy.pdf"
PNG_URL = (
    "https://raw.githubusercontent.com/langchain-ai/docs/4d11d08b6b0e210bd456943f7a22febbd168b543/"
    "src/images/agentic-rag-output.png"
)
WAV_URL = "https://upload.wikimedia.org/wikipedia/commons/6/6a/Northern_Flicker_202280456.wav"


def one_page_pdf(text: str) -> bytes:
    """A valid one-page PDF 1.4 showing ``text`` in Helvetica, with a correct cross-reference table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def square_png(size: int = 64) -> bytes:
    """An RGB PNG of ``size`` x ``size`` pixels: a blue square on white."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter type None
        for x in range(size):
            inside = size // 4 <= x < 3 * size // 4 and size // 4 <= y < 3 * size // 4
            rows.extend((30, 60, 200) if inside else (255, 255, 255))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


def tone_wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    """``seconds`` of a 440 Hz sine as 16-bit mono PCM WAV."""
    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return out.getvalue()


FILES = {
    PDF_URL: (one_page_pdf("Dummy PDF file"), "application/pdf"),
    PNG_URL: (square_png(), "image/png"),
    WAV_URL: (tone_wav(), "audio/wav"),
}

_real_get = httpx.get


def _get(url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
    known = FILES.get(str(url))
    if known is None:
        return _real_get(url, *args, **kwargs)
    content, media_type = known
    return httpx.Response(
        200,
        content=content,
        headers={"content-type": media_type},
        request=httpx.Request("GET", str(url)),
    )


# Patched on import, before the test modules are collected (one of them downloads at import time).
httpx.get = _get
