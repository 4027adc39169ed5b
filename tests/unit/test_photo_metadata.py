"""Photo metadata: GPS, XMP, IPTC and text chunks leave JPEG and PNG uploads; the image and its orientation stay."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import DomainError
from chalicelib.domain.photo_metadata import DamagedImage, strip_location

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"

# TIFF field types and the tags the fixtures use.
ASCII, SHORT, LONG, RATIONAL = 2, 3, 4, 5
MAKE, ORIENTATION, DATE_TIME, GPS_IFD = 0x010F, 0x0112, 0x0132, 0x8825
THUMBNAIL_OFFSET, THUMBNAIL_LENGTH = 0x0201, 0x0202
STANDALONE = {0x01, *range(0xD0, 0xD9)}

# Generated cases are random on purpose, but leave nothing behind in the working tree.
PROPERTY = settings(max_examples=200, deadline=None, database=None)

Entry = tuple[int, int, int, bytes]  # tag, field type, count, value bytes already in the TIFF's byte order


def _fmt(order: bytes) -> str:
    return "<" if order == b"II" else ">"


# --- EXIF, as a phone writes it --------------------------------------------------------------------------------

THUMBNAIL = b"\xff\xd8thumbnail of the passport page\xff\xd9"


def _latitude(order: bytes) -> bytes:
    return struct.pack(_fmt(order) + "6I", 43, 1, 37, 1, 1234, 100)


def _ifd_size(entries: list[Entry]) -> int:
    return 2 + 12 * len(entries) + 4 + sum(len(raw) + len(raw) % 2 for *_, raw in entries if len(raw) > 4)


def _ifd(fmt: str, entries: list[Entry], offset: int, next_ifd: int) -> bytes:
    """An IFD that starts at ``offset``, followed by the values too long to sit in their entries."""
    table = struct.pack(fmt + "H", len(entries))
    values = b""
    values_at = offset + 2 + 12 * len(entries) + 4
    for tag, field_type, count, raw in entries:
        if len(raw) <= 4:
            table += struct.pack(fmt + "HHI", tag, field_type, count) + raw.ljust(4, b"\x00")
        else:
            table += struct.pack(fmt + "HHII", tag, field_type, count, values_at + len(values))
            values += raw + b"\x00" * (len(raw) % 2)
    return table + struct.pack(fmt + "I", next_ifd) + values


def _exif(
    order: bytes = b"II", orientation: int | None = 6, *, orientation_type: int = SHORT, gps: bool = True
) -> bytes:
    """An APP1 EXIF payload: IFD0 (make, orientation, date, GPS pointer), the GPS IFD, IFD1 with a thumbnail."""
    fmt = _fmt(order)
    ifd0: list[Entry] = [(MAKE, ASCII, 12, b"PhoneMaker1\x00")]
    if orientation is not None:
        value = struct.pack(fmt + ("H" if orientation_type == SHORT else "I"), orientation)
        ifd0.append((ORIENTATION, orientation_type, 1, value))
    ifd0.append((DATE_TIME, ASCII, 20, b"2025:11:02 10:11:12\x00"))
    gps_ifd: list[Entry] = [
        (1, ASCII, 2, b"N\x00"),
        (2, RATIONAL, 3, _latitude(order)),
        (3, ASCII, 2, b"E\x00"),
        (4, RATIONAL, 3, struct.pack(fmt + "6I", 13, 1, 31, 1, 777, 100)),
    ]
    if gps:
        ifd0.append((GPS_IFD, LONG, 1, bytes(4)))  # a placeholder of the right size, to measure IFD0
    gps_at = 8 + _ifd_size(ifd0)
    ifd1_at = gps_at + (_ifd_size(gps_ifd) if gps else 0)
    if gps:
        ifd0[-1] = (GPS_IFD, LONG, 1, struct.pack(fmt + "I", gps_at))
    thumbnail_at = ifd1_at + _ifd_size([(0, 0, 0, b"")] * 2)
    ifd1: list[Entry] = [
        (THUMBNAIL_OFFSET, LONG, 1, struct.pack(fmt + "I", thumbnail_at)),
        (THUMBNAIL_LENGTH, LONG, 1, struct.pack(fmt + "I", len(THUMBNAIL))),
    ]
    tiff = order + struct.pack(fmt + "HI", 42, 8) + _ifd(fmt, ifd0, 8, ifd1_at)
    if gps:
        tiff += _ifd(fmt, gps_ifd, gps_at, 0)
    tiff += _ifd(fmt, ifd1, ifd1_at, 0) + THUMBNAIL
    return b"Exif\x00\x00" + tiff


def _minimal_exif(order: bytes, orientation: int) -> bytes:
    """What the module must write, spelled out from the EXIF/TIFF specification."""
    fmt = _fmt(order)
    ifd0 = struct.pack(fmt + "HHHIH", 1, ORIENTATION, SHORT, 1, orientation) + b"\x00\x00" + struct.pack(fmt + "I", 0)
    return b"Exif\x00\x00" + order + struct.pack(fmt + "HI", 42, 8) + ifd0


# --- a real 8x8 grey baseline JPEG, assembled by hand ------------------------------------------------------------


def _segment(marker: int, data: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data


JFIF = _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
JFXX = _segment(0xE0, b"JFXX\x00\x10" + b"\xff\xd8\xff\xd9")
ICC = _segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + bytes(range(64)))
# A Multi-Picture index (CIPA DC-007): where the images appended after EOI start.
MPF = _segment(0xE2, b"MPF\x00MM\x00*\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00")
COMMENT = _segment(0xFE, b"scanned at the counter")
OTHER_APP1 = _segment(0xE1, b"FLIR\x00\x01\x02\x03")
DQT = _segment(0xDB, b"\x00" + b"\x01" * 64)
SOF0 = _segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")  # 8 bits, 8x8, one component, table 0
# One Huffman code ("0") per table: DC difference category 0, and end-of-block.
DHT_DC = _segment(0xC4, b"\x00\x01" + bytes(15) + b"\x00")
DHT_AC = _segment(0xC4, b"\x10\x01" + bytes(15) + b"\x00")
SOS = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
SCAN = b"\x3f\xff\xd9"  # the bits "00" (DC 0, EOB) padded with ones, then EOI
IMAGE = DQT + SOF0 + DHT_DC + DHT_AC + SOS + SCAN

XMP_PACKET = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="43,37.2N"'
    b' exif:GPSLongitude="13,31.1E"/></rdf:RDF></x:xmpmeta>'
)
XMP = _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP_PACKET)
EXTENDED_XMP = _segment(
    0xE1, b"http://ns.adobe.com/xmp/extension/\x00" + b"0" * 32 + struct.pack(">II", 40, 0) + b"exif:GPSAltitude"
)
IPTC = _segment(
    0xED, b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00" + struct.pack(">I", 11) + b"\x1c\x02\x5a\x00\x06Ancona\x00"
)


def _jpeg(*headers: bytes) -> bytes:
    return b"\xff\xd8" + b"".join(headers) + IMAGE


def _app1(data: bytes) -> bytes:
    return _segment(0xE1, data)


def _segments(jpeg: bytes) -> list[tuple[int, bytes]]:
    """``(marker, data)`` of each segment between SOI and SOS: a walk of our own, to read the module's output."""
    assert jpeg[:2] == b"\xff\xd8"
    pos = 2
    found: list[tuple[int, bytes]] = []
    while True:
        while jpeg[pos + 1] == 0xFF:
            pos += 1
        marker = jpeg[pos + 1]
        if marker == 0xDA:
            return found
        if marker in STANDALONE:
            found.append((marker, b""))
            pos += 2
            continue
        length = int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
        found.append((marker, jpeg[pos + 4 : pos + 2 + length]))
        pos += 2 + length


def _ifd0(tiff: bytes) -> tuple[dict[int, tuple[int, int, bytes]], int]:
    """IFD0's entries by tag, as ``(type, count, 4 value bytes)``, and the offset of the next IFD."""
    assert tiff[:2] in (b"II", b"MM")
    fmt = _fmt(tiff[:2])
    magic, at = struct.unpack_from(fmt + "HI", tiff, 2)
    assert magic == 42
    (count,) = struct.unpack_from(fmt + "H", tiff, at)
    entries = {}
    for index in range(count):
        tag, field_type, values, raw = struct.unpack_from(fmt + "HHI4s", tiff, at + 2 + 12 * index)
        entries[tag] = (field_type, values, raw)
    (next_ifd,) = struct.unpack_from(fmt + "I", tiff, at + 2 + 12 * count)
    return entries, next_ifd


def _orientation(jpeg: bytes) -> tuple[bytes, int] | None:
    """The byte order and orientation of the output's one EXIF segment, checking it holds nothing else."""
    exif = [data for marker, data in _segments(jpeg) if marker == 0xE1 and data.startswith(b"Exif")]
    if not exif:
        return None
    assert len(exif) == 1
    tiff = exif[0][6:]
    entries, next_ifd = _ifd0(tiff)
    assert GPS_IFD not in entries
    assert set(entries) == {ORIENTATION}
    assert next_ifd == 0
    field_type, values, raw = entries[ORIENTATION]
    assert (field_type, values) == (SHORT, 1)
    return tiff[:2], struct.unpack(_fmt(tiff[:2]) + "H", raw[:2])[0]


# --- JPEG --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", [b"II", b"MM"])
def test_gps_make_date_and_thumbnail_leave_but_the_orientation_stays(order: bytes) -> None:
    original = _jpeg(JFIF, _app1(_exif(order)), ICC)

    cleaned = strip_location(original, JPEG)

    assert _orientation(cleaned) == (order, 6)
    for secret in (_latitude(order), b"PhoneMaker1", b"2025:11:02", THUMBNAIL):
        assert secret in original
        assert secret not in cleaned
    assert cleaned == _jpeg(JFIF, _app1(_minimal_exif(order, 6)), ICC)


def test_the_orientation_goes_right_after_soi_without_jfif_and_after_the_app0_run_with_it() -> None:
    exif = _app1(_exif(b"MM", 8))

    assert strip_location(_jpeg(exif, ICC), JPEG) == _jpeg(_app1(_minimal_exif(b"MM", 8)), ICC)
    assert strip_location(_jpeg(exif, JFIF, JFXX, ICC), JPEG) == _jpeg(JFIF, JFXX, _app1(_minimal_exif(b"MM", 8)), ICC)


def test_xmp_extended_xmp_and_photoshop_iptc_segments_are_dropped() -> None:
    cleaned = strip_location(_jpeg(JFIF, XMP, EXTENDED_XMP, ICC, IPTC, COMMENT), JPEG)

    assert cleaned == _jpeg(JFIF, ICC, COMMENT)
    assert b"GPS" not in cleaned
    assert b"Ancona" not in cleaned


def test_every_other_segment_is_kept_byte_for_byte_with_its_fill_bytes() -> None:
    original = _jpeg(JFIF, JFXX, b"\xff\xff" + ICC, OTHER_APP1, b"\xff\xd0", b"\xff\xff\xff" + COMMENT)

    assert strip_location(original, JPEG) == original
    assert strip_location(_jpeg(), JPEG) == _jpeg()


def test_fill_bytes_leave_with_the_segment_they_pad() -> None:
    original = _jpeg(JFIF, b"\xff\xff\xff" + _app1(_exif(b"II", 3)), b"\xff" + XMP, ICC)

    assert strip_location(original, JPEG) == _jpeg(JFIF, _app1(_minimal_exif(b"II", 3)), ICC)


def test_the_first_readable_orientation_wins_when_there_are_several_exif_segments() -> None:
    original = _jpeg(_app1(b"Exif\x00\x00XX"), _app1(_exif(b"II", 3)), _app1(_exif(b"MM", 8)))

    assert strip_location(original, JPEG) == _jpeg(_app1(_minimal_exif(b"II", 3)))


def test_an_exif_header_padded_with_ff_is_exif_too() -> None:
    original = _jpeg(_app1(b"Exif\x00\xff" + _exif(b"MM", 5)[6:]))

    assert strip_location(original, JPEG) == _jpeg(_app1(_minimal_exif(b"MM", 5)))


@pytest.mark.parametrize(
    "exif",
    [
        _exif(b"II", None),
        _exif(b"MM", 0),
        _exif(b"II", 9),
        _exif(b"MM", 6, orientation_type=LONG),
        _exif(b"II", None, gps=False),
        b"Exif\x00\x00",
        b"Exif\x00\x00XX*\x00\x08\x00\x00\x00",
        b"Exif\x00\x00II+\x00\x08\x00\x00\x00",
        b"Exif\x00\x00MM\x00*\xff\xff\xff\xff",
        b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x05\x00\x12\x01\x03\x00",  # five entries promised, one half there
    ],
    ids=["absent", "zero", "nine", "long-typed", "no-gps", "empty", "bad-order", "bad-magic", "far-ifd", "cut-ifd"],
)
def test_without_a_valid_orientation_no_exif_is_written_at_all(exif: bytes) -> None:
    assert strip_location(_jpeg(JFIF, _app1(exif), ICC), JPEG) == _jpeg(JFIF, ICC)


def test_every_scan_and_the_segments_between_scans_are_kept() -> None:
    # A progressive JPEG has more segments between its scans; stuffed bytes and restart markers are scan data.
    tail = b"\x3f" + DHT_AC + _segment(0xDA, b"\x01\x01\x00\x01\x3f\x00") + b"\x12\xff\x00\x34\xff\xd3" + SCAN
    original = b"\xff\xd8" + JFIF + DQT + SOF0 + DHT_DC + DHT_AC + SOS + tail

    assert strip_location(original, JPEG) == original


def test_metadata_between_scans_is_dropped_too() -> None:
    second_scan = _segment(0xDA, b"\x01\x01\x00\x01\x3f\x00") + b"\x12\xff\x00\x34" + SCAN
    between = b"\xff\xff" + _app1(_exif(b"II")) + XMP + IPTC + MPF
    original = b"\xff\xd8" + JFIF + DQT + SOF0 + DHT_DC + DHT_AC + SOS + b"\x3f" + between + DHT_AC + second_scan

    cleaned = strip_location(original, JPEG)

    assert cleaned == b"\xff\xd8" + JFIF + _app1(_minimal_exif(b"II", 6)) + IMAGE[: -len(SCAN)] + b"\x3f" + (
        DHT_AC + second_scan
    )
    assert _latitude(b"II") not in cleaned
    assert b"GPS" not in cleaned


def test_nothing_after_the_end_of_image_is_kept() -> None:
    # What phones append: an MPF index in the first image, then a depth map or gain map with its own EXIF and GPS.
    appended = _jpeg(JFIF, _app1(_exif(b"MM", 1)), XMP)
    original = _jpeg(JFIF, _app1(_exif(b"II", 6)), MPF, ICC) + appended + b"\x00\x00\x00\x18ftypmp42"

    cleaned = strip_location(original, JPEG)

    assert cleaned == _jpeg(JFIF, _app1(_minimal_exif(b"II", 6)), ICC)
    assert cleaned.count(b"\xff\xd8") == 1
    assert cleaned.endswith(b"\xff\xd9")
    for secret in (_latitude(b"II"), _latitude(b"MM"), b"GPS", b"MPF", b"ftyp"):
        assert secret not in cleaned


@pytest.mark.parametrize(
    "body",
    [
        _jpeg(JFIF, _app1(_exif(b"II")), XMP, ICC, IPTC),
        _jpeg(_app1(_exif(b"MM", 1)), JFIF),
        _jpeg(b"\xff\xff" + JFIF, b"\xff\xd0", _app1(_exif(b"MM", 7))),
        _jpeg(JFIF, ICC),
    ],
)
def test_stripping_twice_changes_nothing_more(body: bytes) -> None:
    once = strip_location(body, JPEG)

    assert strip_location(once, JPEG) == once


def test_every_cut_before_the_end_of_image_is_a_damaged_image() -> None:
    # Without its EOI nobody can tell where the image ends and what follows it: not kept.
    original = _jpeg(JFIF, _app1(_exif(b"MM")), ICC)

    for cut in range(len(original)):
        with pytest.raises(DamagedImage):
            strip_location(original[:cut], JPEG)
    assert _orientation(strip_location(original, JPEG)) == (b"MM", 6)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff",
        b"GIF89a\x01\x00\x01\x00",
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8" + b"\xff" * 8,
        b"\xff\xd8\x00" + IMAGE,
        b"\xff\xd8\xff\x00" + IMAGE,
        b"\xff\xd8\xff\xd9",
        b"\xff\xd8\xff\xe0\x00\x01" + IMAGE,
        b"\xff\xd8\xff\xe0\x00\x00" + IMAGE,
        b"\xff\xd8\xff\xe1\xff\xff" + IMAGE,
        b"\xff\xd8" + JFIF + b"junk" + IMAGE,
        b"\xff\xd8" + IMAGE[: -len(SCAN)] + b"\x3f\xff\x00",
        b"\xff\xd8" + IMAGE[: -len(SCAN)] + b"\x3f\xff\xff",
    ],
    ids=[
        "empty",
        "one-byte",
        "gif",
        "png",
        "only-fill",
        "no-marker",
        "stuffed-zero",
        "eoi-before-scan",
        "length-1",
        "length-0",
        "overrun",
        "junk-between",
        "no-eoi",
        "fill-at-end",
    ],
)
def test_what_is_not_a_walkable_jpeg_is_a_damaged_image(body: bytes) -> None:
    with pytest.raises(DamagedImage):
        strip_location(body, JPEG)


def test_a_damaged_image_is_a_domain_error() -> None:
    assert issubclass(DamagedImage, DomainError)


# --- PNG ---------------------------------------------------------------------------------------------------------

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


IHDR = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))  # 1x1, 8-bit RGB
IDAT = _chunk(b"IDAT", zlib.compress(b"\x00\x80\x80\x80"))  # filter "none", one grey pixel
IEND = _chunk(b"IEND", b"")
PHYS = _chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1))
ICCP = _chunk(b"iCCP", b"sRGB\x00\x00" + zlib.compress(b"not really a profile"))
PNG_EXIF = _chunk(b"eXIf", _exif(b"MM")[6:])
PNG_XMP = _chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP_PACKET)
PNG_TEXT = _chunk(b"tEXt", b"Comment\x00taken at Via Roma 1, Ancona")
PNG_ZTXT = _chunk(b"zTXt", b"Raw profile type exif\x00\x00" + zlib.compress(b"GPSLatitude 43 37 12.34"))


def _png(*chunks: bytes) -> bytes:
    return SIGNATURE + b"".join(chunks)


def _chunk_types(png: bytes, *, check_crc: bool = True) -> list[bytes]:
    """The chunk types of a PNG, checking each CRC: a walk of our own, to read the module's output."""
    assert png.startswith(SIGNATURE)
    pos = len(SIGNATURE)
    found: list[bytes] = []
    while pos < len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        crc = int.from_bytes(png[pos + 8 + length : pos + 12 + length], "big")
        assert crc == zlib.crc32(kind + data) or not check_crc
        found.append(kind)
        pos += 12 + length
    return found


def test_png_exif_xmp_and_text_chunks_are_dropped_and_the_rest_kept() -> None:
    original = _png(IHDR, ICCP, PNG_EXIF, PHYS, PNG_TEXT, PNG_XMP, IDAT, PNG_ZTXT, IEND)

    cleaned = strip_location(original, PNG)

    assert cleaned == _png(IHDR, ICCP, PHYS, IDAT, IEND)
    assert _chunk_types(cleaned) == [b"IHDR", b"iCCP", b"pHYs", b"IDAT", b"IEND"]
    assert _latitude(b"MM") not in cleaned
    assert b"GPS" not in cleaned
    assert b"Ancona" not in cleaned
    assert strip_location(cleaned, PNG) == cleaned


def test_a_png_without_metadata_is_unchanged_and_bytes_after_iend_are_dropped() -> None:
    clean = _png(IHDR, PHYS, IDAT, IDAT, IEND)

    assert strip_location(clean, PNG) == clean
    assert strip_location(clean + b"appended: Via Roma 1, Ancona", PNG) == clean


def test_every_cut_of_a_png_is_a_damaged_image() -> None:
    original = _png(IHDR, PNG_EXIF, IDAT, IEND)

    for cut in range(len(original)):
        with pytest.raises(DamagedImage):
            strip_location(original[:cut], PNG)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xd8\xff\xe0",
        b"\x89PNG\r\n\x1a\x00" + IHDR + IDAT + IEND,
        _png(IDAT, IHDR, IEND),
        _png(IHDR, _chunk(b"ID4T", b"x"), IEND),
        _png(IHDR, b"\x80\x00\x00\x00IDAT" + bytes(8), IEND),
        _png(IHDR, IDAT),
    ],
    ids=["empty", "jpeg", "bad-signature", "ihdr-not-first", "bad-type", "huge-length", "no-iend"],
)
def test_what_is_not_a_walkable_png_is_a_damaged_image(body: bytes) -> None:
    with pytest.raises(DamagedImage):
        strip_location(body, PNG)


# --- other content types -----------------------------------------------------------------------------------------


def test_pdfs_are_returned_unchanged() -> None:
    pdf = b"%PDF-1.7\n1 0 obj << /Producer (Scanner) /GPS (43.62N) >> endobj\n%%EOF\n"

    assert strip_location(pdf, PDF) == pdf
    assert strip_location(_jpeg(_app1(_exif())), PDF) == _jpeg(_app1(_exif()))


@pytest.mark.parametrize("content_type", ["image/gif", "image/jpg", "IMAGE/JPEG", ""])
def test_other_content_types_are_a_programming_error(content_type: str) -> None:
    with pytest.raises(ValueError, match="unsupported content type"):
        strip_location(_jpeg(), content_type)


# --- generated cases ---------------------------------------------------------------------------------------------

Piece = tuple[bytes, bool, tuple[bytes, int] | None]  # raw bytes, dropped?, the orientation it carries

_orders = st.sampled_from([b"II", b"MM"])
_exif_pieces = st.builds(
    lambda order, orientation, gps: (
        _app1(_exif(order, orientation, gps=gps)),
        True,
        (order, orientation) if orientation is not None and 1 <= orientation <= 8 else None,
    ),
    _orders,
    st.none() | st.integers(0, 10),
    st.booleans(),
)
# Broken EXIF that can never hold an orientation: a byte order that is neither II nor MM, or an IFD cut short.
_broken_exif_pieces = st.one_of(
    st.binary(max_size=30).map(lambda junk: _app1(b"Exif\x00\x00XX" + junk)),
    st.binary(max_size=11).map(lambda junk: _app1(b"Exif\x00\x00II*\x00\x08\x00\x00\x00" + junk)),
).map(lambda raw: (raw, True, None))
_other_metadata = st.sampled_from([XMP, EXTENDED_XMP, IPTC, MPF]).map(lambda raw: (raw, True, None))
_kept_pieces = st.one_of(
    st.sampled_from([JFIF, JFXX, ICC, COMMENT, OTHER_APP1, DQT, DHT_DC, b"\xff\xd0", b"\xff\x01", b"\xff\xd8"]),
    st.builds(
        _segment, st.sampled_from([0xE0, 0xE2, 0xEC, 0xEE, 0xEF, 0xFE, 0xDB, 0xC4, 0xDD]), st.binary(max_size=40)
    ),
    st.binary(max_size=40).map(lambda data: _app1(b"FLIR\x00" + data)),
).map(lambda raw: (raw, False, None))


@st.composite
def _pieces(draw: st.DrawFn) -> list[Piece]:
    pieces = draw(st.lists(st.one_of(_exif_pieces, _broken_exif_pieces, _other_metadata, _kept_pieces), max_size=8))
    fills = draw(st.lists(st.integers(0, 3), min_size=len(pieces), max_size=len(pieces)))
    return [
        (b"\xff" * fill + raw, dropped, orientation)
        for (raw, dropped, orientation), fill in zip(pieces, fills, strict=True)
    ]


def _expected(pieces: list[Piece]) -> bytes:
    """The module's rules, restated: metadata goes, the first orientation comes back after the leading APP0s."""
    kept = [raw for raw, dropped, _ in pieces if not dropped]
    orientations = [orientation for _, _, orientation in pieces if orientation is not None]
    if orientations:
        leading_app0 = 0
        while leading_app0 < len(kept) and kept[leading_app0].lstrip(b"\xff")[0] == 0xE0:
            leading_app0 += 1
        kept.insert(leading_app0, _app1(_minimal_exif(*orientations[0])))
    return _jpeg(*kept)


@PROPERTY
@given(
    _pieces(), st.one_of(st.just(b""), st.binary(max_size=40), _pieces().map(lambda p: _jpeg(*(r for r, _, _ in p))))
)
def test_generated_jpegs_lose_exactly_their_metadata(pieces: list[Piece], trailer: bytes) -> None:
    original = _jpeg(*(raw for raw, _, _ in pieces)) + trailer  # whatever follows EOI goes

    cleaned = strip_location(original, JPEG)

    assert cleaned == _expected(pieces)
    _orientation(cleaned)  # at most one EXIF segment, and only the orientation in it
    assert strip_location(cleaned, JPEG) == cleaned


_fixtures = [
    (_jpeg(JFIF, _app1(_exif(b"II")), XMP, ICC, IPTC), JPEG),
    (_jpeg(_app1(_exif(b"MM", 3)), COMMENT), JPEG),
    (_png(IHDR, ICCP, PNG_EXIF, PNG_TEXT, PNG_XMP, IDAT, PNG_ZTXT, IEND), PNG),
]


@PROPERTY
@given(st.sampled_from(_fixtures), st.data())
def test_mutated_files_either_clean_up_or_are_damaged_images(fixture: tuple[bytes, str], data: st.DataObject) -> None:
    body, content_type = fixture
    at = data.draw(st.integers(0, len(body)), label="at")
    edit = data.draw(st.sampled_from(["replace", "insert", "delete", "cut"]), label="edit")
    byte = bytes([data.draw(st.integers(0, 255), label="byte")])
    mutated = {
        "replace": body[:at] + byte + body[at + 1 :],
        "insert": body[:at] + byte + body[at:],
        "delete": body[:at] + body[at + 1 :],
        "cut": body[:at],
    }[edit]

    try:
        cleaned = strip_location(mutated, content_type)
    except DamagedImage:
        return
    assert strip_location(cleaned, content_type) == cleaned
    if content_type == JPEG:
        _orientation(cleaned)
    else:
        assert not {b"eXIf", b"tEXt", b"zTXt", b"iTXt"} & set(
            _chunk_types(cleaned, check_crc=False)
        )  # a mutation may hit a CRC


@PROPERTY
@given(
    st.sampled_from([b"", b"\xff\xd8", b"\xff\xd8\xff", b"\xff\xd8\xff\xe1", SIGNATURE, SIGNATURE + IHDR]), st.binary()
)
def test_random_bytes_raise_nothing_but_damaged_image(prefix: bytes, junk: bytes) -> None:
    for content_type in (JPEG, PNG):
        try:
            cleaned = strip_location(prefix + junk, content_type)
        except DamagedImage:
            continue
        assert strip_location(cleaned, content_type) == cleaned


_png_kinds = st.sampled_from([b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"pHYs", b"iCCP", b"sRGB", b"IDAT", b"tIME", b"prVt"])


@PROPERTY
@given(st.lists(st.tuples(_png_kinds, st.binary(max_size=30)), max_size=8), st.binary(max_size=20))
def test_generated_pngs_lose_exactly_their_metadata_chunks(chunks: list[tuple[bytes, bytes]], trailer: bytes) -> None:
    body = [_chunk(kind, data) for kind, data in chunks]
    kept = [
        raw for (kind, _), raw in zip(chunks, body, strict=True) if kind not in {b"eXIf", b"tEXt", b"zTXt", b"iTXt"}
    ]

    cleaned = strip_location(_png(IHDR, *body, IEND) + trailer, PNG)

    assert cleaned == _png(IHDR, *kept, IEND)
    assert strip_location(cleaned, PNG) == cleaned
