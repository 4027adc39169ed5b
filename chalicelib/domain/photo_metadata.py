"""Remove location-revealing metadata (EXIF, XMP, IPTC, PNG text chunks) from uploaded JPEG and PNG files.

Applicants photograph their documents with phones that stamp GPS coordinates, dates and device serials into the
file. We keep the image data and what is needed to show it (quantisation and Huffman tables, ICC profile, the EXIF
orientation) and drop the rest, walking the container structure only: no pixel is decoded or re-encoded.

The whole file is walked, not only the headers before the first scan: metadata segments between the scans of a
progressive JPEG go too, and nothing after the image's end (JPEG EOI, PNG IEND) is kept. Phones append depth maps,
gain maps and Multi-Picture (MPF) images there, each a JPEG with its own EXIF and GPS; the image shown is the first.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Iterator


class DamagedImage(DomainError):
    """The bytes are not a JPEG or PNG whose structure we can walk: truncated, garbled, or another format."""


# JPEG markers (ITU T.81, table B.1) and the identifiers that open the metadata segments we drop.
_SOI = 0xD8
_EOI = 0xD9
_SOS = 0xDA
_APP0 = 0xE0
_APP1 = 0xE1
_APP2 = 0xE2
_APP13 = 0xED  # Photoshop image resources, which carry the IPTC record
_RST = frozenset(range(0xD0, 0xD8))
# TEM, RST0-7 and SOI have no length field; every other marker is followed by one.
_STANDALONE = frozenset({0x01, _SOI, *range(0xD0, 0xD8)})
# "Exif" rather than "Exif\0\0": some writers pad with 0xFF, and a near-miss must not let GPS through.
_EXIF_ID = b"Exif"
_EXIF_HEADER_LEN = 6
_XMP_IDS = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
# The Multi-Picture index (CIPA DC-007) points at the images appended after EOI, which are dropped with it.
_MPF_ID = b"MPF\x00"
_ORIENTATION_TAG = 0x0112
_SHORT = 3  # TIFF field type of Orientation

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# eXIf holds EXIF (GPS included); iTXt holds XMP; tEXt/zTXt hold free text and ImageMagick's "Raw profile" dumps.
_PNG_DROPPED = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt"})
_PNG_MAX_CHUNK = 2**31 - 1  # PNG caps chunk lengths here; a larger one is garbage, not a huge chunk


def strip_location(body: bytes, content_type: str) -> bytes:
    """Return ``body`` without the metadata that could reveal where (or with what device) it was taken.

    ``content_type`` is ``image/jpeg``, ``image/png`` or ``application/pdf``; PDFs are returned unchanged.
    The result of a second pass equals the first. Raises :class:`DamagedImage` when the bytes are not a JPEG
    or PNG we can walk, and ``ValueError`` for any other content type (a caller's bug, not the applicant's).
    """
    if content_type == "image/jpeg":
        return _strip_jpeg(body)
    if content_type == "image/png":
        return _strip_png(body)
    if content_type == "application/pdf":
        return body
    raise ValueError(f"unsupported content type {content_type!r}")


def _strip_jpeg(body: bytes) -> bytes:
    """Drop EXIF, XMP, MPF and APP13 segments wherever they are and everything after EOI; re-emit the EXIF
    orientation, alone."""
    if body[:2] != b"\xff\xd8":
        raise DamagedImage("not a JPEG: no SOI marker")
    kept = [body[:2]]
    # The fresh EXIF segment goes after SOI and any APP0 (JFIF/JFXX) right behind it: JFIF wants APP0 first.
    insert_at = 1
    orientation: tuple[bytes, int] | None = None
    for marker, start, data_start, end in _jpeg_segments(body):
        # startswith() at an offset, not a slice: an SOS "segment" holds a whole scan's compressed data.
        if marker == _APP1 and body.startswith(_EXIF_ID, data_start, end):
            if orientation is None:
                orientation = _exif_orientation(body[data_start + _EXIF_HEADER_LEN : end])
            continue
        if (
            (marker == _APP1 and body.startswith(_XMP_IDS, data_start, end))
            or (marker == _APP2 and body.startswith(_MPF_ID, data_start, end))
            or marker == _APP13
        ):
            continue
        if marker == _APP0 and insert_at == len(kept):
            insert_at += 1
        kept.append(body[start:end])
    if orientation is not None:
        kept.insert(insert_at, _orientation_segment(*orientation))
    return b"".join(kept)


def _jpeg_segments(body: bytes) -> Iterator[tuple[int, int, int, int]]:
    """Yield ``(marker, start, data_start, end)`` for each segment after SOI, up to and including EOI.

    ``start`` includes any fill bytes before the marker and ``data_start`` is past the length field. An SOS
    segment runs through its entropy-coded data (restart markers included) to the next marker; the walk goes on
    through every scan and stops at EOI, so that nothing after the image's end is ever yielded.
    """
    pos = 2
    scans = 0
    while True:
        start = pos
        marker, pos = _next_marker(body, pos)
        if marker in _STANDALONE:
            yield marker, start, pos, pos
            continue
        if marker == _EOI:
            if not scans:
                raise DamagedImage("JPEG ends before any scan")
            yield marker, start, pos, pos
            return
        if pos + 2 > len(body):
            raise DamagedImage(f"JPEG truncated in the length of segment 0x{marker:02X}")
        length = int.from_bytes(body[pos : pos + 2], "big")
        if length < 2 or pos + length > len(body):
            raise DamagedImage(f"JPEG segment 0x{marker:02X} at offset {start} overruns the file")
        end = _scan_end(body, pos + length) if marker == _SOS else pos + length
        scans += marker == _SOS
        yield marker, start, pos + 2, end
        pos = end


def _scan_end(body: bytes, pos: int) -> int:
    """The offset of the marker (its first fill byte) that ends the entropy-coded data starting at ``pos``.

    Inside the data FF00 is a stuffed 0xFF and RSTn a restart: both are data, not the end.
    """
    while True:
        pos = body.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(body):
            raise DamagedImage("JPEG truncated in its image data")
        following = body[pos + 1]
        if following == 0x00 or following in _RST:
            pos += 2
        elif following == 0xFF:
            # Fill bytes before a marker: the segment ends at the first of them, as for every other marker.
            run = pos
            while run < len(body) and body[run] == 0xFF:
                run += 1
            if run >= len(body):
                raise DamagedImage("JPEG truncated in a marker")
            if body[run] == 0x00 or body[run] in _RST:
                pos = run + 1
            else:
                return pos
        else:
            return pos


def _next_marker(body: bytes, pos: int) -> tuple[int, int]:
    """Read the marker at ``pos``, skipping 0xFF fill bytes; return it and the offset just after it."""
    if pos >= len(body):
        raise DamagedImage("JPEG truncated before its end")
    if body[pos] != 0xFF:
        raise DamagedImage(f"JPEG has no marker at offset {pos}")
    while pos < len(body) and body[pos] == 0xFF:
        pos += 1
    if pos >= len(body):
        raise DamagedImage("JPEG truncated in a marker")
    if body[pos] == 0x00:
        # FF00 is byte stuffing, which only exists inside entropy-coded data.
        raise DamagedImage(f"JPEG has a stuffed byte outside a scan at offset {pos}")
    return body[pos], pos + 1


def _exif_orientation(tiff: bytes) -> tuple[bytes, int] | None:
    """The byte order and Orientation (1..8) in IFD0 of an EXIF TIFF block, or None if absent or unreadable.

    Broken EXIF is not a broken JPEG: the segment is dropped either way, so we only lose the orientation.
    """
    order = tiff[:2]
    if order not in (b"II", b"MM"):
        return None
    fmt = "<" if order == b"II" else ">"
    try:
        magic, ifd0 = struct.unpack_from(fmt + "HI", tiff, 2)
        if magic != 42:
            return None
        (count,) = struct.unpack_from(fmt + "H", tiff, ifd0)
        for index in range(count):
            tag, field_type, values, value = struct.unpack_from(fmt + "HHIH", tiff, ifd0 + 2 + 12 * index)
            if tag == _ORIENTATION_TAG:
                return (order, value) if field_type == _SHORT and values == 1 and 1 <= value <= 8 else None
    except struct.error:
        return None
    return None


def _orientation_segment(order: bytes, orientation: int) -> bytes:
    """A minimal APP1 EXIF segment: TIFF header in ``order``, IFD0 with only Orientation, no next IFD."""
    fmt = "<" if order == b"II" else ">"
    # magic 42, IFD0 at offset 8; one entry: tag, SHORT, count 1, value left-justified in 4 bytes; next IFD 0.
    tiff = order + struct.pack(fmt + "HIHHHIHHI", 42, 8, 1, _ORIENTATION_TAG, _SHORT, 1, orientation, 0, 0)
    data = b"Exif\x00\x00" + tiff
    return b"\xff" + bytes([_APP1]) + struct.pack(">H", len(data) + 2) + data


def _strip_png(body: bytes) -> bytes:
    """Drop the eXIf and text chunks; keep every other chunk byte for byte and nothing after IEND."""
    if not body.startswith(_PNG_SIGNATURE):
        raise DamagedImage("not a PNG: bad signature")
    kept = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while True:
        if pos + 8 > len(body):
            raise DamagedImage("PNG truncated before IEND")
        length = int.from_bytes(body[pos : pos + 4], "big")
        chunk_type = body[pos + 4 : pos + 8]
        end = pos + 12 + length  # length, type, data, CRC
        if length > _PNG_MAX_CHUNK or not chunk_type.isalpha() or end > len(body):
            raise DamagedImage(f"PNG chunk at offset {pos} is malformed or truncated")
        if pos == len(_PNG_SIGNATURE) and chunk_type != b"IHDR":
            raise DamagedImage("PNG does not start with IHDR")
        if chunk_type not in _PNG_DROPPED:
            kept.append(body[pos:end])
        if chunk_type == b"IEND":
            # Bytes after IEND are no part of the image and could hide anything.
            return b"".join(kept)
        pos = end
