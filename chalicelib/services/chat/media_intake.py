"""A photo or PDF an applicant sent in the chat: fetched at once, checked, stored encrypted under the case.

The download URL lives five minutes and the media id seven days, so a failed fetch raises (the event is retried)
rather than marking the message done with its file missing. What is not a JPEG, PNG or PDF, is larger than the
cap, does not match its declared type, or does not match Meta's checksum is refused with a reason the applicant
is told in their language; nothing of it is kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.documents import ACCEPTED_CONTENT_TYPES, CaseDocument, DocumentSource
from chalicelib.domain.errors import DomainError
from chalicelib.services.metrics import NO_METRICS, MetricName
from chalicelib.whatsapp.errors import GraphApiError, MediaTooLarge

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.cases import Case
    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.services.cases.ports import CaseRepository, DocumentStorage
    from chalicelib.services.messages.gateway import WhatsAppGateway
    from chalicelib.services.metrics import Metrics

MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "application/pdf": (b"%PDF-",)}
EXPIRED_URL_STATUS = 404


class MediaRejected(DomainError):
    """The file cannot be accepted; ``reason`` is one of wrong_type, too_large, mismatch, damaged."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sniffed_type(body: bytes) -> str | None:
    """The accepted type the bytes really are, if any."""
    for content_type, signatures in MAGIC.items():
        if body.startswith(signatures):
            return content_type
    return None


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
        body, meta_sha = self._download(str(message.media_id))
        if sniffed_type(body) != declared:
            raise MediaRejected("mismatch")
        if not _same_digest(body, media.get("sha256"), meta_sha):
            raise MediaRejected("damaged")
        document_id = self.document_id(message)
        key = f"cases/{case.case_id}/documents/{document_id}"
        self.storage.put(key, body, declared)
        filename = media.get("filename")
        document = CaseDocument(
            document_id,
            case.case_id,
            "",
            declared,
            len(body),
            hashlib.sha256(body).hexdigest(),
            key,
            DocumentSource.CHAT,
            self.clock_ms(),
            filename if isinstance(filename, str) else None,
        )
        self.cases.add_document(document)
        self.metrics.count(MetricName.DOCUMENTS_RECEIVED)
        return document

    def _download(self, media_id: str) -> tuple[bytes, str | None]:
        for attempt in range(2):
            info = self.gateway.media_info(media_id)
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
