"""Small, real document files for tests: files are parsed and walked (issue 15), so magic bytes alone no longer pass.

``pdf()`` builds a one-page PDF with a correct cross-reference table; ``jpeg()`` an 8x8 grey baseline JPEG;
``png()`` a 2x2 RGB PNG. Each takes the pieces a test wants to add (catalogue entries, objects, segments, chunks).
"""

from __future__ import annotations

import struct
import zlib


def pdf(catalogue: str = "", *extra: str, padding: int = 0, version: str = "1.7") -> bytes:
    """A one-page PDF; ``catalogue`` is added to the catalogue dictionary, ``extra`` are objects 4, 5, ..."""
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R {catalogue}>>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *extra,
    ]
    out = bytearray(f"%PDF-{version}\n%\xe2\xe3\xcf\xd3\n".encode("latin-1"))
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    out += b"%" + b"0" * padding + b"\n" if padding else b""
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def segment(marker: int, data: bytes) -> bytes:
    """A JPEG marker segment."""
    return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data


JFIF = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
_DQT = segment(0xDB, b"\x00" + b"\x01" * 64)
_SOF0 = segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")  # 8 bits, 8x8, one component, table 0
_DHT = segment(0xC4, b"\x00\x01" + bytes(15) + b"\x00") + segment(0xC4, b"\x10\x01" + bytes(15) + b"\x00")
_SOS = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")


def jpeg(*headers: bytes, scan: bytes = b"\x3f") -> bytes:
    """An 8x8 grey JPEG (``headers`` after SOI, JFIF by default): DC 0 and end-of-block, padded with ones."""
    return b"\xff\xd8" + b"".join(headers or (JFIF,)) + _DQT + _SOF0 + _DHT + _SOS + scan + b"\xff\xd9"


def chunk(kind: bytes, data: bytes) -> bytes:
    """A PNG chunk with its CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(*ancillary: bytes, width: int = 2, height: int = 2) -> bytes:
    """An RGB PNG, ``ancillary`` chunks before its image data."""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    rows = b"".join(b"\x00" + bytes(range(3 * width)) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n" + header + b"".join(ancillary) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )
