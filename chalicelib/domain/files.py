"""What a document file really is, checked by walking its structure; and the name it is shown under.

Applicants and officers send JPEG, PNG and PDF files. A file's first bytes (its "magic") say little: a PDF header
followed by an HTML page, or a JPEG with a ``<script>`` after its end, is a *polyglot* that a browser may run as
a page. Here every image is walked to its end: each JPEG marker segment through the entropy-coded data to EOI, each
PNG chunk with its CRC and the image data inflated to exactly the size its header announces. Bytes after the
format's end are cut off (phones append motion-photo videos and second pictures there), unless they carry markup,
which refuses the file. PDFs are parsed by :mod:`chalicelib.services.inspection` (pypdf); the envelope check
(nothing but whitespace after the last ``%%EOF``) is here.

Images are validated in pure Python rather than decoded with Pillow: Pillow's wheel adds 7.8 MB to a Lambda zip of
16.6 MB whose budget is 20 MB, the release that still has a wheel for the python3.11 runtime's glibc (2.26) is
pinned there, and pruning its bundled libraries by hand would leave a dependency graph of shared objects to keep
in step with each upgrade; decoding untrusted pixels in native code is attack surface too. The walk checks what
a decoder reads before the pixels: the office only ever views the file in a browser, which decodes it itself.

Only the standard library is used; nothing is decoded at import time.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import quote

from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Iterator

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
SIGNATURES = {JPEG: b"\xff\xd8\xff", PNG: b"\x89PNG\r\n\x1a\n", PDF: b"%PDF-"}
EXTENSIONS = {JPEG: (".jpg", ".jpeg"), PNG: (".png",), PDF: (".pdf",)}

# Markup that makes a browser (or a sniffing viewer) treat bytes as a page; searched case-insensitively outside
# compressed data only (in entropy-coded or deflated bytes a short marker could occur by chance).
MARKUP = re.compile(rb"<\s*(?:script|html|!doctype|svg|iframe|body)\b|javascript:", re.IGNORECASE)

MAX_PIXELS = 200_000_000  # a 200-megapixel phone photo; beyond that a header is lying
MAX_PNG_PIXELS = 100_000_000  # PNG data is inflated to check it: about 1 s for the largest (16-bit RGBA)
_INFLATE_CHUNK = 1 << 20


class FileProblem(StrEnum):
    """Why a file is refused."""

    UNKNOWN_TYPE = "unknown_type"  # not a JPEG, PNG or PDF at all
    MISMATCH = "mismatch"  # another accepted type than the one declared
    MALFORMED = "malformed"  # the structure does not walk or parse: truncated, garbled, unreadable
    ACTIVE_CONTENT = "active_content"  # markup, JavaScript, launch actions, embedded files, XFA forms


class RefusedFile(DomainError):
    """The file cannot be accepted; ``problem`` says why and ``detail`` says where (for logs, never a name)."""

    def __init__(self, problem: FileProblem, detail: str) -> None:
        super().__init__(f"{problem.value}: {detail}")
        self.problem = problem
        self.detail = detail


def sniff(body: bytes) -> str | None:
    """The accepted type the first bytes announce, if any (a first guess: :func:`check_image` and the PDF parser
    decide)."""
    for content_type, signature in SIGNATURES.items():
        if body.startswith(signature):
            return content_type
    return None


def refuse_markup(data: bytes, where: str) -> None:
    """:class:`RefusedFile` when ``data`` holds HTML or script markup."""
    if MARKUP.search(data):
        raise RefusedFile(FileProblem.ACTIVE_CONTENT, f"markup in {where}")


def _malformed(detail: str) -> RefusedFile:
    return RefusedFile(FileProblem.MALFORMED, detail)


def _cut_tail(body: bytes, end: int, what: str) -> bytes:
    """``body`` up to ``end``; what follows may be a phone's appendix, never markup."""
    refuse_markup(body[end:], f"the bytes after the {what}")
    return body[:end]


def check_image(body: bytes, content_type: str) -> bytes:
    """The image up to its end marker if it walks; :class:`RefusedFile` otherwise."""
    if content_type == JPEG:
        return _cut_tail(body, _jpeg_end(body), "JPEG's end")
    if content_type == PNG:
        return _cut_tail(body, _png_end(body), "PNG's IEND")
    raise ValueError(f"not an image type: {content_type!r}")


# --- JPEG (ITU T.81) ----------------------------------------------------------------------------------------------

_SOI, _EOI, _SOS, _DQT, _DNL, _COM = 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xFE
_RST = frozenset(range(0xD0, 0xD8))
# Start of frame: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


@dataclass(slots=True)
class _JpegWalk:
    """What the walk has met so far."""

    frame: bool = False
    tables: bool = False
    scans: int = 0


def _jpeg_end(body: bytes) -> int:
    """The offset just past the first image's EOI, after walking every segment and scan."""
    if not body.startswith(b"\xff\xd8"):
        raise _malformed("no JPEG SOI")
    pos, walk = 2, _JpegWalk()
    while True:
        marker, pos = _jpeg_marker(body, pos)
        if marker == _EOI:
            if not walk.scans:
                raise _malformed("JPEG ends before any scan")
            return pos
        if marker in _RST or marker in (0x00, 0x01, _SOI):
            raise _malformed(f"JPEG marker 0x{marker:02X} out of place at offset {pos - 1}")
        if pos + 2 > len(body):
            raise _malformed(f"JPEG truncated in the length of segment 0x{marker:02X}")
        length = int.from_bytes(body[pos : pos + 2], "big")
        if length < 2 or pos + length > len(body):
            raise _malformed(f"JPEG segment 0x{marker:02X} overruns the file")
        _jpeg_segment(walk, marker, body[pos + 2 : pos + length])
        pos = _scan_end(body, pos + length) if marker == _SOS else pos + length


def _jpeg_marker(body: bytes, pos: int) -> tuple[int, int]:
    """The marker at ``pos`` (after any 0xFF fill bytes) and the offset just past it."""
    if pos >= len(body) or body[pos] != 0xFF:
        raise _malformed(f"no JPEG marker at offset {pos}")
    while pos < len(body) and body[pos] == 0xFF:
        pos += 1
    if pos >= len(body):
        raise _malformed("JPEG truncated in a marker")
    return body[pos], pos + 1


def _jpeg_segment(walk: _JpegWalk, marker: int, data: bytes) -> None:
    """Check one segment in its place: one frame header, tables before the first scan, no markup in comments and
    application segments."""
    if marker in _SOF:
        if walk.frame:
            raise _malformed("JPEG has a second frame header")
        _check_frame(data)
        walk.frame = True
    elif marker == _DQT:
        walk.tables = True
    elif marker == _SOS:
        if not walk.frame or not walk.tables:
            raise _malformed("JPEG scan before its frame header or quantisation tables")
        components = data[0] if data else 0
        if not 1 <= components <= 4 or len(data) != 4 + 2 * components:
            raise _malformed("JPEG scan header is malformed")
        walk.scans += 1
    elif marker == _COM or 0xE0 <= marker <= 0xEF:
        refuse_markup(data, f"JPEG segment 0x{marker:02X}")
    elif marker == _DNL:
        raise _malformed("JPEG with a DNL segment (height defined after the scan)")


def _check_frame(data: bytes) -> None:
    """Precision, dimensions and components of a SOF segment are those of a picture."""
    if len(data) < 6:
        raise _malformed("JPEG frame header too short")
    precision = data[0]
    height, width = int.from_bytes(data[1:3], "big"), int.from_bytes(data[3:5], "big")
    components = data[5]
    if precision not in (8, 12, 16) or not 1 <= components <= 4 or len(data) != 6 + 3 * components:
        raise _malformed("JPEG frame header is malformed")
    if not height or not width or height * width > MAX_PIXELS:
        raise _malformed(f"JPEG dimensions {width}x{height} are not a picture's")


def _scan_end(body: bytes, pos: int) -> int:
    """The offset of the marker that ends the entropy-coded data starting at ``pos`` (FF00 and RSTn are data)."""
    size = len(body)
    while True:
        pos = body.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= size:
            raise _malformed("JPEG truncated in its image data")
        following = body[pos + 1]
        if following == 0x00 or following in _RST:
            pos += 2
        elif following == 0xFF:
            pos += 1  # fill byte before a marker
        else:
            return pos


# --- PNG (ISO/IEC 15948) ------------------------------------------------------------------------------------------

_PNG_SIGNATURE = SIGNATURES[PNG]
_MAX_CHUNK = 2**31 - 1
# Allowed bit depths per colour type, and samples per pixel.
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 passes: (x start, y start, x step, y step).
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


@dataclass(slots=True)
class _PngWalk:
    """What the walk has met so far."""

    header: tuple[int, int, int, int, int] | None = None
    palette: bool = False
    idat: list[bytes] = field(default_factory=list)
    idat_done: bool = False


def _png_end(body: bytes) -> int:
    """The offset just past IEND's CRC, after checking every chunk and inflating the image data."""
    if not body.startswith(_PNG_SIGNATURE):
        raise _malformed("no PNG signature")
    pos, walk = len(_PNG_SIGNATURE), _PngWalk()
    while True:
        if pos + 12 > len(body):
            raise _malformed("PNG truncated before IEND")
        length = int.from_bytes(body[pos : pos + 4], "big")
        kind = body[pos + 4 : pos + 8]
        end = pos + 12 + length
        if length > _MAX_CHUNK or not kind.isalpha() or end > len(body):
            raise _malformed(f"PNG chunk at offset {pos} is malformed or truncated")
        data = body[pos + 8 : pos + 8 + length]
        if zlib.crc32(kind + data) != int.from_bytes(body[end - 4 : end], "big"):
            raise _malformed(f"PNG chunk {kind.decode()} has a bad CRC")
        if kind == b"IEND":
            _png_finish(walk, length)
            return end
        _png_chunk(walk, kind, data)
        pos = end


def _png_chunk(walk: _PngWalk, kind: bytes, data: bytes) -> None:
    """Check one chunk before IEND in its place."""
    if walk.header is None and kind != b"IHDR":
        raise _malformed("PNG does not start with IHDR")
    if walk.idat and kind != b"IDAT":
        walk.idat_done = True
    if kind == b"IHDR":
        if walk.header is not None:
            raise _malformed("PNG has a second IHDR")
        walk.header = _png_header(data)
    elif kind == b"PLTE":
        walk.palette = True
    elif kind == b"IDAT":
        if walk.idat_done:
            raise _malformed("PNG image data is not contiguous")
        walk.idat.append(data)
    elif kind[0:1].islower():  # ancillary chunks carry text, profiles, metadata: never markup
        refuse_markup(data, f"PNG chunk {kind.decode()}")
    else:
        raise _malformed(f"PNG has an unknown critical chunk {kind.decode()}")


def _png_finish(walk: _PngWalk, iend_length: int) -> None:
    """At IEND: the image data is there and inflates to what the header says."""
    if iend_length or not walk.idat or walk.header is None:
        raise _malformed("PNG ends without image data")
    if walk.header[1] == 3 and not walk.palette:
        raise _malformed("PNG palette image without PLTE")
    _inflate_exactly(b"".join(walk.idat), walk.header)


def _png_header(data: bytes) -> tuple[int, int, int, int, int]:
    """(depth, colour type, width, height, interlace) of a valid IHDR."""
    if len(data) != 13:
        raise _malformed("PNG IHDR has the wrong length")
    width, height = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
    depth, colour, compression, filtering, interlace = data[8:13]
    if colour not in _DEPTHS or depth not in _DEPTHS[colour] or compression or filtering or interlace > 1:
        raise _malformed("PNG IHDR has invalid fields")
    if not width or not height or width > _MAX_CHUNK or height > _MAX_CHUNK or width * height > MAX_PNG_PIXELS:
        raise _malformed(f"PNG dimensions {width}x{height} are not a picture's")
    return depth, colour, width, height, interlace


def _png_rows(header: tuple[int, int, int, int, int]) -> Iterator[int]:
    """The length of every scanline in the inflated data, its filter-type byte included, in order."""
    depth, colour, width, height, interlace = header
    bits = depth * _SAMPLES[colour]
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    for x0, y0, dx, dy in passes:
        columns = (width - x0 + dx - 1) // dx if width > x0 else 0
        rows = (height - y0 + dy - 1) // dy if height > y0 else 0
        if columns and rows:
            row = 1 + (columns * bits + 7) // 8
            for _ in range(rows):
                yield row


def _inflate_exactly(compressed: bytes, header: tuple[int, int, int, int, int]) -> None:
    """The image data inflates to exactly the scanlines the header announces, each with a valid filter type."""
    inflater = zlib.decompressobj()
    rows = _png_rows(header)
    next_row = 0  # offset of the next filter-type byte in the inflated stream
    seen = 0  # inflated bytes so far
    expected = sum(_png_rows(header))
    pending = compressed
    try:
        while True:
            chunk = inflater.decompress(pending, _INFLATE_CHUNK)
            pending = inflater.unconsumed_tail
            if not chunk:
                break
            while next_row < seen + len(chunk):
                if chunk[next_row - seen] > 4:
                    raise _malformed("PNG scanline with an unknown filter type")
                next_row += next(rows, expected + 1)
            seen += len(chunk)
            if seen > expected:
                raise _malformed("PNG image data is larger than its header says")
    except zlib.error:
        raise _malformed("PNG image data does not inflate") from None
    if seen != expected or not inflater.eof:
        raise _malformed("PNG image data is shorter than its header says")


# --- PDF envelope -------------------------------------------------------------------------------------------------

_EOF_MARK = b"%%EOF"


def pdf_envelope(body: bytes) -> bytes:
    """The PDF up to its last ``%%EOF`` (and its end of line); :class:`RefusedFile` when something other than a PDF
    header opens it, or markup is around it (a polyglot)."""
    if not body.startswith(SIGNATURES[PDF]):
        raise _malformed("no PDF header")
    refuse_markup(body[:1024], "the PDF's header")  # what browsers sniff
    end = body.rfind(_EOF_MARK)
    if end < 0:
        raise _malformed("PDF without %%EOF")
    end += len(_EOF_MARK)
    for eol in (b"\r\n", b"\n", b"\r"):
        if body.startswith(eol, end):
            end += len(eol)
            break
    return _cut_tail(body, end, "PDF's last %%EOF")


# --- names --------------------------------------------------------------------------------------------------------

MAX_NAME = 100
_FALLBACK_STEM = "documento"
_UNSAFE = re.compile(r'[<>:"|?*\\/]')
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")
_JOINERS = frozenset("\u200c\u200d")  # ZWNJ/ZWJ: how Persian, Bengali and Indic scripts are written


def _kept(char: str) -> bool:
    category = unicodedata.category(char)
    if category[0] == "C":  # control, format (bidi overrides that reverse an extension), surrogate, private, unassigned
        return char in _JOINERS
    return True


def safe_display_name(name: str | None, content_type: str) -> str | None:
    """A name that can be shown and offered for download: no directories, control or bidi characters, nor
    ``<>:"|?*``; no leading dots; single spaces; at most :data:`MAX_NAME` characters; the extension of the real type
    (a lying one replaced). Letters of every script are kept. None when there was no name."""
    if name is None or not name.strip():
        return None
    text = unicodedata.normalize("NFC", name)
    text = re.split(r"[\\/]", text)[-1]  # the last path component, of either kind
    text = "".join(" " if char.isspace() else char for char in text if char.isspace() or _kept(char))
    text = _UNSAFE.sub("_", text)
    text = " ".join(text.split()).lstrip(". ")  # no hidden files
    match = _EXTENSION.search(text)
    stem = text[: match.start()] if match else text
    extension = match.group(0).lower() if match else ""
    extensions = EXTENSIONS.get(content_type, (extension,))
    if extension not in extensions:
        extension = extensions[0]
    stem = stem.lstrip(". ").rstrip(". ")[: MAX_NAME - len(extension)].rstrip(". ")
    return f"{stem or _FALLBACK_STEM}{extension}"


def content_disposition(name: str | None, content_type: str, disposition: str = "inline") -> str:
    """An RFC 6266 ``Content-Disposition``: an ASCII ``filename`` for old clients, the real one as RFC 5987
    ``filename*``."""
    safe = safe_display_name(name, content_type) or safe_display_name(_FALLBACK_STEM, content_type) or _FALLBACK_STEM
    ascii_name = "".join(c if " " <= c <= "~" and c not in "\"'%;" else "_" for c in safe)
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe, safe='')}"
