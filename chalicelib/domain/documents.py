"""Documents attached to a case: the file is in encrypted storage, this is what the office knows of it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DocumentSource(StrEnum):
    """How a document reached the case."""

    CHAT = "chat"  # a photo or PDF the applicant sent on WhatsApp
    UPLOAD = "upload"  # the applicant's secure upload page
    OFFICE = "office"  # attached by an officer (e.g. received by PEC or at the counter)


ACCEPTED_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})


@dataclass(frozen=True, slots=True)
class CaseDocument:
    """One file for one checklist item. ``filename`` may name the applicant: it is shown, never logged."""

    document_id: str
    case_id: str
    item_code: str
    content_type: str
    size_bytes: int
    sha256: str
    storage_key: str
    source: DocumentSource
    received_at_ms: int
    filename: str | None = None
