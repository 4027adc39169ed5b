"""Issue 15: document files are walked or parsed, not trusted on their first bytes; names are made safe to show."""

from __future__ import annotations

import zlib

import pytest

from chalicelib.domain.files import FileProblem, RefusedFile, content_disposition, safe_display_name
from chalicelib.services.inspection import inspect_file
from tests.documents import chunk, jpeg, pdf, png, segment
from tests.unit.test_photo_metadata import ICC, JFIF, MPF, XMP, _app1, _exif, _jpeg, _latitude, _minimal_exif

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
# What the upload page's script builds from photos (functions/upload.js): one page, one JPEG image.
PAGE = "q 595 0 0 842 0 0 cm /Im0 Do Q"


@pytest.mark.parametrize(
    ("body", "declared"),
    [
        (pdf(), PDF),
        (pdf(version="1.4", padding=5000), PDF),
        (jpeg(), JPEG),
        (_jpeg(), JPEG),  # the photo-metadata tests' 8x8 baseline JPEG
        (png(), PNG),
        (png(chunk(b"pHYs", bytes(9)), width=9, height=5), PNG),
        (
            pdf(
                "",
                "<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
                f"/Filter /DCTDecode /Length {len(jpeg())} >>\nstream\n".replace("\n", "\n", 1)
                + jpeg().decode("latin-1")
                + "\nendstream",
                f"<< /Length {len(PAGE)} >>\nstream\n{PAGE}\nendstream",
            ),
            PDF,
        ),
    ],
    ids=["pdf", "pdf_1_4_padded", "jpeg", "jpeg_photo_metadata", "png", "png_with_physical_size", "pdf_with_image"],
)
def test_real_files_pass_as_they_are(body: bytes, declared: str) -> None:
    assert inspect_file(body, declared).body == body
    assert inspect_file(body, declared).content_type == declared


@pytest.mark.parametrize(
    ("body", "declared", "problem"),
    [
        (pdf(padding=2000) + b"\n<html><script>alert(1)</script></html>", PDF, FileProblem.ACTIVE_CONTENT),
        (pdf() + b"<svg onload=alert(1)>", PDF, FileProblem.ACTIVE_CONTENT),
        (b"%PDF-1.7\n<!DOCTYPE html><html>" + pdf()[9:], PDF, FileProblem.ACTIVE_CONTENT),
        (pdf("/OpenAction 4 0 R ", "<< /S /JavaScript /JS (app.alert(1)) >>"), PDF, FileProblem.ACTIVE_CONTENT),
        (pdf("/Names << /JavaScript 4 0 R >> ", "<< /Names [(x) 5 0 R] >>"), PDF, FileProblem.ACTIVE_CONTENT),
        (pdf("/OpenAction << /S /Launch /F (calc.exe) >> "), PDF, FileProblem.ACTIVE_CONTENT),
        (pdf("/OpenAction << /S /L#61unch /F (calc.exe) >> "), PDF, FileProblem.ACTIVE_CONTENT),  # name escapes
        (pdf("/Names << /EmbeddedFiles << /Names [] >> >> "), PDF, FileProblem.ACTIVE_CONTENT),
        (pdf("/AcroForm << /Fields [] /XFA 4 0 R >> ", "<< >>"), PDF, FileProblem.ACTIVE_CONTENT),
        (pdf("/OpenAction << /S /URI /URI (javascript:alert(1)) >> "), PDF, FileProblem.ACTIVE_CONTENT),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", PDF, FileProblem.MALFORMED),
        (pdf()[:-30], PDF, FileProblem.MALFORMED),
        (jpeg() + b"<script>alert(1)</script>", JPEG, FileProblem.ACTIVE_CONTENT),
        (jpeg(JFIF_COMMENT_HTML := segment(0xFE, b"<html><body>hi")), JPEG, FileProblem.ACTIVE_CONTENT),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, JPEG, FileProblem.MALFORMED),  # the magic bytes, nothing more
        (jpeg()[:-2], JPEG, FileProblem.MALFORMED),  # no EOI
        (png()[:-1] + bytes([png()[-1] ^ 1]), PNG, FileProblem.MALFORMED),  # IEND's CRC
        (png(width=3)[:33] + bytes([png(width=3)[33] ^ 1]) + png(width=3)[34:], PNG, FileProblem.MALFORMED),
        (png() + b"<script>", PNG, FileProblem.ACTIVE_CONTENT),
        (png(chunk(b"tEXt", b"c\x00<svg onload=x>")), PNG, FileProblem.ACTIVE_CONTENT),
        (jpeg(), PDF, FileProblem.MISMATCH),
        (b"<html>%PDF-1.7", PDF, FileProblem.UNKNOWN_TYPE),
    ],
    ids=[
        "pdf_html_after_eof",
        "pdf_svg_after_eof",
        "pdf_html_in_header",
        "pdf_javascript_open_action",
        "pdf_javascript_names_tree",
        "pdf_launch",
        "pdf_launch_escaped",
        "pdf_embedded_files",
        "pdf_xfa",
        "pdf_javascript_uri",
        "pdf_that_does_not_parse",
        "pdf_truncated",
        "jpeg_script_after_eoi",
        "jpeg_html_comment",
        "jpeg_magic_only",
        "jpeg_truncated",
        "png_bad_crc",
        "png_bad_ihdr_crc",
        "png_script_after_iend",
        "png_svg_text_chunk",
        "jpeg_declared_pdf",
        "html",
    ],
)
def test_files_that_are_not_plainly_what_they_say_are_refused(body: bytes, declared: str, problem: str) -> None:
    with pytest.raises(RefusedFile) as refused:
        inspect_file(body, declared)
    assert refused.value.problem is problem


def _png_with_rows(rows: bytes) -> bytes:
    header = chunk(b"IHDR", b"\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "rows",
    [bytes(13), bytes(15), b"\x07" + bytes(6) + b"\x00" + bytes(6)],
    ids=["short", "long", "bad_filter"],
)
def test_png_data_must_inflate_to_exactly_its_scanlines(rows: bytes) -> None:
    assert inspect_file(_png_with_rows(bytes(14)), PNG)
    with pytest.raises(RefusedFile, match="malformed"):
        inspect_file(_png_with_rows(rows), PNG)


def test_every_image_that_passes_loses_its_location_metadata_and_what_follows_its_end() -> None:
    # One place strips for every path that stores a file: the upload page, the chat and an officer's attach.
    depth_map = _jpeg(JFIF, _app1(_exif(b"MM", 1)), XMP)
    photo = _jpeg(JFIF, _app1(_exif(b"II", 6)), MPF, ICC) + depth_map

    kept = inspect_file(photo, JPEG).body

    assert kept == _jpeg(JFIF, _app1(_minimal_exif(b"II", 6)), ICC)
    for secret in (_latitude(b"II"), _latitude(b"MM"), b"GPS", b"MPF"):
        assert secret in photo
        assert secret not in kept
    text = chunk(b"tEXt", b"Comment\x00taken at Via Roma 1, Ancona")
    assert inspect_file(png(text, width=9, height=5), PNG).body == png(width=9, height=5)


def test_what_a_phone_appends_after_the_image_is_cut_off() -> None:
    motion = jpeg() + b"\x00\x00\x00\x18ftypmp42" + bytes(100)
    assert inspect_file(motion, JPEG).body == jpeg()
    assert inspect_file(pdf() + b"\x00\x00", PDF).body == pdf()


@pytest.mark.parametrize(
    ("name", "content_type", "safe"),
    [
        ("../../etc/passwd<script>.pdf", PDF, "passwd_script_.pdf"),
        ("C:\\Users\\me\\scan 1.PDF", PDF, "scan 1.pdf"),
        ("..hidden", PDF, "hidden.pdf"),
        ("foto.exe", JPEG, "foto.jpg"),  # a lying extension is replaced
        ("foto.jpeg", JPEG, "foto.jpeg"),
        ("invoice\u202egpj.exe", PNG, "invoicegpj.png"),  # a bidi override reversing the extension
        ("tab\tand\nnew  line.png", PNG, "tab and new line.png"),
        ("صورة جواز السفر.jpg", JPEG, "صورة جواز السفر.jpg"),
        ("পাসপোর্ট.pdf", PDF, "পাসপোর্ট.pdf"),
        ("护照 扫描.png", PNG, "护照 扫描.png"),
        ("...", PDF, "documento.pdf"),
        ("x" * 300 + ".pdf", PDF, "x" * 96 + ".pdf"),
        ("  ", PDF, None),
        (None, PDF, None),
    ],
)
def test_names_are_made_safe_to_show_keeping_every_script(name: str | None, content_type: str, safe: str) -> None:
    assert safe_display_name(name, content_type) == safe


def test_the_content_disposition_is_rfc_6266_with_an_ascii_fallback() -> None:
    assert content_disposition("../a\"b'.pdf", PDF) == "inline; filename=\"a_b_.pdf\"; filename*=UTF-8''a_b%27.pdf"
    arabic = content_disposition("جواز.pdf", PDF)
    assert arabic == "inline; filename=\"____.pdf\"; filename*=UTF-8''%D8%AC%D9%88%D8%A7%D8%B2.pdf"
    assert content_disposition(None, JPEG) == "inline; filename=\"documento.jpg\"; filename*=UTF-8''documento.jpg"


def test_inspection_costs_import_app_nothing() -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = "import sys, app; print(sorted(m for m in sys.modules if m.split('.')[0] in ('pypdf', 'PIL')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
