"""A photo or PDF an applicant sent in the chat: fetched at once, checked, stored encrypted under the case.

The download URL lives five minutes and the media id seven days, so a failed fetch raises (the event is retried)
rather than marking the message done with its file missing. What is not a JPEG, PNG or PDF, is larger than the
cap, is not plainly its declared type (:func:`~chalicelib.services.inspection.inspect_file`: walked or parsed,
no markup, no script), or does not match Meta's checksum is refused with a reason the applicant is told in their
language; nothing of it is kept. The file's name is kept as a safe display name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.documents import ACCEPTED_CONTENT_TYPES, CaseDocument, DocumentSource
from chalicelib.domain.errors import DomainError
from chalicelib.domain.files import FileProblem, RefusedFile, safe_display_name
from chalicelib.services.inspection import inspect_file
from chalicelib.services.metrics import NO_METRICS, MetricName
from chalicelib.whatsapp.errors import GraphApiError, MediaTooLarge

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.cases import Case
    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.services.cases.ports import CaseRepository, DocumentStorage
    from chalicelib.services.messages.gateway import WhatsAppGateway
    from chalicelib.services.metrics import Metrics

# The reason the applicant is told (``conv.document.<reason>``) for each problem the inspection finds.
CHAT_REASONS = {
    FileProblem.UNKNOWN_TYPE: "mismatch",
    FileProblem.MISMATCH: "mismatch",
    FileProblem.MALFORMED: "damaged",
    FileProblem.ACTIVE_CONTENT: "mismatch",  # a polyglot, or a PDF that would run something: not what it says
}
EXPIRED_URL_STATUS = 404


class MediaRejected(DomainError):
    """The file cannot be accepted; ``reason`` is one of wrong_type, too_large, mismatch, damaged."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _matches(digest: bytes, value: str) -> bool:
    if value.lower() == digest.hex():
        return True
    try:
        return base64.b64decode(value, validate=True) == digest
    except (binascii.Error, ValueError):
        return False


def _same_digest(body: bytes, *expected: str | None) -> bool:
    """Every checksum Meta gave matches the bytes: base64 in webhooks, hex from ``GET /{media-id}``."""
    digest = hashlib.sha256(body).digest()
    return all(_matches(digest, value) for value in expected if value)


@dataclass(frozen=True, slots=True)
class MediaIntake:
    """Fetches, checks and stores chat media."""

    gateway: WhatsAppGateway
    storage: DocumentStorage
    cases: CaseRepository
    max_bytes: int
    clock_ms: Callable[[], int]
    metrics: Metrics = NO_METRICS

    def document_id(self, message: InboundMessage) -> str:
        """Deterministic, so that a redelivered message stores the same document once."""
        return hashlib.sha256(message.wamid.encode()).hexdigest()[:32]

    def store(self, message: InboundMessage, case: Case) -> CaseDocument:
        """Fetch the message's file and keep it under ``case``; :class:`MediaRejected` when it cannot be kept."""
        media = message.message.get(message.type.value, {})
        declared = str(media.get("mime_type", "")).split(";")[0].strip().lower()
        if declared not in ACCEPTED_CONTENT_TYPES:
            raise MediaRejected("wrong_type")
        body, meta_sha = self._download(str(message.media_id), message.phone_number_id or None)
        try:
            inspected = inspect_file(body, declared)
        except RefusedFile as refused:
            raise MediaRejected(CHAT_REASONS[refused.problem]) from None
        if not _same_digest(body, media.get("sha256"), meta_sha):
            raise MediaRejected("damaged")
        document_id = self.document_id(message)
        key = f"cases/{case.case_id}/documents/{document_id}"
        kept = inspected.body  # up to the format's end: what a phone appends after it is not kept
        self.storage.put(key, kept, inspected.content_type)
        filename = media.get("filename")
        document = CaseDocument(
            document_id,
            case.case_id,
            "",
            inspected.content_type,
            len(kept),
            hashlib.sha256(kept).hexdigest(),
            key,
            DocumentSource.CHAT,
            self.clock_ms(),
            safe_display_name(filename if isinstance(filename, str) else None, inspected.content_type),
        )
        self.cases.add_document(document)
        self.metrics.count(MetricName.DOCUMENTS_RECEIVED)
        return document

    def _download(self, media_id: str, phone_number_id: str | None) -> tuple[bytes, str | None]:
        for attempt in range(2):
            info = self.gateway.media_info(media_id, phone_number_id)
            if info.file_size is not None and info.file_size > self.max_bytes:
                raise MediaRejected("too_large")
            try:
                return self.gateway.download_media(info.url, self.max_bytes), info.sha256
            except MediaTooLarge:
                raise MediaRejected("too_large") from None
            except GraphApiError as exc:
                # The URL lives five minutes: an expired one answers 404, and a fresh one comes from the media id.
                if exc.http_status != EXPIRED_URL_STATUS or attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover
