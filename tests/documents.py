"""Small, real document files for tests: files are parsed and walked (issue 15), so magic bytes alone no longer pass.

``pdf()`` builds a one-page PDF with a correct cross-reference table; ``jpeg()`` an 8x8 grey baseline JPEG;
``png()`` a 2x2 RGB PNG. Each takes the pieces a test wants to add (catalogue entries, objects, segments, chunks).
``photo_with_gps()`` and ``photo_with_appended_image()`` are phone photos with location data (issue 16), and
``location_findings()`` says what location data a JPEG still holds.
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


# --- photos as phones write them: EXIF with GPS, XMP, appended images --------------------------------------------

GPS_LATITUDE = struct.pack(">6I", 43, 1, 37, 1, 1234, 100)  # 43° 37' 12.34" N: Ancona, in a big-endian EXIF
GPS_IFD_TAG = 0x8825


def exif_gps(orientation: int = 6, latitude: bytes = GPS_LATITUDE) -> bytes:
    """An APP1 EXIF segment (big-endian TIFF) as a phone writes it: IFD0 with make, orientation and the GPS IFD
    pointer, then the GPS IFD (latitude reference and latitude)."""
    make = b"PhoneMaker1\x00"
    ifd0_entries = 3
    gps_at = 8 + 2 + 12 * ifd0_entries + 4
    make_at = gps_at + 2 + 12 * 2 + 4
    latitude_at = make_at + len(make)
    ifd0 = struct.pack(">H", ifd0_entries)
    ifd0 += struct.pack(">HHII", 0x010F, 2, len(make), make_at)  # Make, ASCII
    ifd0 += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)  # Orientation, SHORT
    ifd0 += struct.pack(">HHII", GPS_IFD_TAG, 4, 1, gps_at) + struct.pack(">I", 0)  # GPS IFD pointer, LONG
    gps = struct.pack(">H", 2)
    gps += struct.pack(">HHI2sH", 1, 2, 2, b"N\x00", 0)  # GPSLatitudeRef
    gps += struct.pack(">HHII", 2, 5, 3, latitude_at) + struct.pack(">I", 0)  # GPSLatitude, 3 RATIONALs
    tiff = b"MM" + struct.pack(">HI", 42, 8) + ifd0 + gps + make + latitude
    return segment(0xE1, b"Exif\x00\x00" + tiff)


XMP_GPS = segment(
    0xE1,
    b"http://ns.adobe.com/xap/1.0/\x00"
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="43,37.2N"/></rdf:RDF>'
    b"</x:xmpmeta>",
)
# A Multi-Picture index (CIPA DC-007): a phone's pointer to the images it appends after the end of image.
MPF = segment(0xE2, b"MPF\x00MM\x00*\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00")


def photo_with_gps() -> bytes:
    """A JPEG with GPS in its EXIF and its XMP."""
    return jpeg(JFIF, exif_gps(), XMP_GPS, scan=b"\x3f" * 40)


def photo_with_appended_image() -> bytes:
    """A JPEG with GPS EXIF and a Multi-Picture index, followed after its EOI by a second image (a depth or gain
    map) carrying its own EXIF with other coordinates, as phones append them."""
    appended = jpeg(JFIF, exif_gps(orientation=1, latitude=struct.pack(">6I", 45, 1, 28, 1, 4321, 100)), XMP_GPS)
    return jpeg(JFIF, exif_gps(), MPF, scan=b"\x3f" * 40) + appended


def location_findings(body: bytes) -> list[str]:
    """What in a JPEG could tell where it was taken, found by a walk of our own over the whole file (every
    segment, through every scan, to EOI): a GPS IFD in any EXIF, "GPS" in any APP1 (XMP), an MPF index, and
    anything after EOI (a second SOI, a second EXIF). Empty when the file is clean."""
    findings: list[str] = []
    segments, end = _walk_to_eoi(body)
    for at, marker, data in segments:
        if marker == 0xE1 and data.startswith(b"Exif") and _has_gps_ifd(data[6:]):
            findings.append(f"GPS IFD in the EXIF at offset {at}")
        if marker == 0xE1 and b"GPS" in data:
            findings.append(f"GPS in the APP1 at offset {at}")
        if marker == 0xE2 and data.startswith(b"MPF\x00"):
            findings.append(f"MPF index at offset {at}")
    tail = body[end:]
    if tail:
        findings.append(f"{len(tail)} bytes after EOI")
    if b"\xff\xd8" in tail or b"Exif" in tail:
        findings.append("a second image or EXIF after EOI")
    return findings


def _walk_to_eoi(body: bytes) -> tuple[list[tuple[int, int, bytes]], int]:
    """``(offset, marker, data)`` of every segment with a length, through the scans' data, and the offset past
    EOI."""
    assert body.startswith(b"\xff\xd8"), "not a JPEG"
    segments: list[tuple[int, int, bytes]] = []
    pos = 2
    while True:
        while body[pos + 1] == 0xFF:
            pos += 1
        marker = body[pos + 1]
        if marker == 0xD9:
            return segments, pos + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            pos += 2
            continue
        length = int.from_bytes(body[pos + 2 : pos + 4], "big")
        segments.append((pos, marker, body[pos + 4 : pos + 2 + length]))
        pos += 2 + length
        if marker == 0xDA:  # entropy-coded data up to the next marker that is not FF00 or RSTn
            while not (body[pos] == 0xFF and body[pos + 1] not in (0x00, *range(0xD0, 0xD8))):
                pos += 1


def _has_gps_ifd(tiff: bytes) -> bool:
    """Whether IFD0 of an EXIF TIFF block has the GPS IFD pointer (tag 0x8825)."""
    fmt = "<" if tiff[:2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(fmt + "I", tiff, 4)
    (count,) = struct.unpack_from(fmt + "H", tiff, ifd0)
    tags = [struct.unpack_from(fmt + "H", tiff, ifd0 + 2 + 12 * i)[0] for i in range(count)]
    return GPS_IFD_TAG in tags
