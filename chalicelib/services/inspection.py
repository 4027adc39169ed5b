"""The one check every document file passes, whichever way it came (upload page, chat, officer's attach).

:func:`inspect_file` says what a file really is and returns what is kept of it, or raises
:class:`~chalicelib.domain.files.RefusedFile`. Images are walked in pure Python (:mod:`chalicelib.domain.files`).
PDFs are parsed with pypdf (pure Python, imported on the first PDF only, never by ``import app``): a file it cannot
read is refused, and so is one that could act when opened — JavaScript (``/JS``, ``/JavaScript`` in the names tree
or any action, an ``/OpenAction`` included), ``/Launch``, ``/ImportData``, ``/SubmitForm``, embedded files, rich
media, XFA forms, ``javascript:`` links — or that carries markup around it (a polyglot). Every indirect object is
visited, not only those reachable from the catalogue, and the text outside streams is searched too (for objects a
broken cross-reference table hides from pypdf but a viewer's repair would find), within bounds of objects and time.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.files import PDF, FileProblem, RefusedFile, check_image, pdf_envelope, sniff
from chalicelib.domain.photo_metadata import DamagedImage, strip_location

MAX_PDF_PAGES = 500
MAX_PDF_OBJECTS = 200_000
MAX_PDF_DEPTH = 64  # direct objects nested in one object
PDF_SECONDS = 10.0

# Keys whose presence means something runs, or a file rides along, when the document is opened.
_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/XFA", "/RichMedia", "/RichMediaContent"}
)
# Action types (``/S``) that run code, start programs, reach out or open an embedded document.
_ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToE", "/RichMediaExecute", "/Rendition"}
)
_STREAM = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)
_NAME = re.compile(rb"/[^\s/<>\[\]()%{}\x00]+")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


@dataclass(frozen=True, slots=True)
class InspectedFile:
    """What a file is (``content_type``, sniffed and verified) and the bytes to keep: up to its format's end and,
    for an image, without EXIF, XMP, IPTC or text metadata (the orientation stays)."""

    content_type: str
    body: bytes


def inspect_file(body: bytes, declared: str) -> InspectedFile:
    """Check ``body``, announced as ``declared``; :class:`RefusedFile` when it is not plainly that."""
    real = sniff(body)
    if real is None:
        raise RefusedFile(FileProblem.UNKNOWN_TYPE, "no JPEG, PNG or PDF signature")
    if real != declared:
        raise RefusedFile(FileProblem.MISMATCH, f"{real} declared as {declared}")
    if real == PDF:
        kept = pdf_envelope(body)
        check_pdf(kept)
        return InspectedFile(real, kept)
    try:
        # Stripped after the walk, so that only a file the walk accepted is rewritten.
        return InspectedFile(real, strip_location(check_image(body, real), real))
    except DamagedImage as damaged:
        raise RefusedFile(FileProblem.MALFORMED, str(damaged)) from None


def check_pdf(body: bytes) -> None:
    """:class:`RefusedFile` unless pypdf reads ``body`` as a PDF with pages and nothing active in it."""
    _refuse_active_names(_STREAM.sub(b"", body), "the PDF's text")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    deadline = time.monotonic() + PDF_SECONDS
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise RefusedFile(FileProblem.MALFORMED, "PDF needs a password")
        if not 1 <= len(reader.pages) <= MAX_PDF_PAGES:
            raise RefusedFile(FileProblem.MALFORMED, "PDF page count out of bounds")
        numbers = [(n, g) for g, ids in reader.xref.items() for n in ids] + [(n, 0) for n in reader.xref_objStm]
        if len(numbers) > MAX_PDF_OBJECTS:
            raise RefusedFile(FileProblem.MALFORMED, "PDF has too many objects")
        _scan(reader.trailer, 0)
        from pypdf.generic import IndirectObject

        for number, generation in numbers:
            if time.monotonic() > deadline:
                raise RefusedFile(FileProblem.MALFORMED, "PDF takes too long to check")
            _scan(reader.get_object(IndirectObject(number, generation, reader)), 0)
    except RefusedFile:
        raise
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        raise RefusedFile(FileProblem.MALFORMED, f"PDF does not parse ({type(exc).__name__})") from None


def _scan(value: Any, depth: int) -> None:
    """Refuse active content in one object and the direct objects nested in it (indirect ones are scanned on
    their own)."""
    if depth > MAX_PDF_DEPTH:
        raise RefusedFile(FileProblem.MALFORMED, "PDF object nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _ACTIVE_KEYS:
                raise RefusedFile(FileProblem.ACTIVE_CONTENT, f"PDF has {key}")
            if key == "/S" and _resolved(item) in _ACTIVE_ACTIONS:
                raise RefusedFile(FileProblem.ACTIVE_CONTENT, f"PDF has a {_resolved(item)} action")
            if key == "/URI" and str(_resolved(item)).strip().lower().startswith(("javascript:", "data:")):
                raise RefusedFile(FileProblem.ACTIVE_CONTENT, "PDF has a script link")
            _scan(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _scan(item, depth + 1)


def _resolved(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


def _refuse_active_names(text: bytes, where: str) -> None:
    """The same keys and actions, as names in the raw text (``#xx`` escapes decoded)."""
    for match in _NAME.finditer(text):
        raw = match.group(0)
        name = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw) if b"#" in raw else raw
        decoded = name.decode("latin-1")
        if decoded in _ACTIVE_KEYS or decoded in _ACTIVE_ACTIONS:
            raise RefusedFile(FileProblem.ACTIVE_CONTENT, f"{decoded} in {where}")
