"""The audit log's entries: who did what to which case, when. Append-only administrative records.

Details name things (document ids, checklist item codes, reason codes, status values); they never carry
document content or phone numbers. Keys and lengths are checked here so that a free-text field cannot slip in
whole by mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

DETAIL_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_DETAIL_VALUE = 500  # room for a list of item codes; free text belongs in a case note, not here
MAX_DETAILS = 10


class AuditAction(StrEnum):
    """What an officer (or, for uploads, the applicant through a link) did."""

    CASE_REGISTER = "case.register"
    CASE_VIEW = "case.view"
    CASE_LIST = "case.list"
    DOCUMENT_VIEW = "document.view"
    DOCUMENT_REVIEW = "document.review"
    DOCUMENT_ATTACH = "document.attach"  # an officer attached a file received for the applicant
    DOCUMENTS_REQUEST = "documents.request"
    MESSAGE_SEND = "message.send"
    APPOINTMENT_BOOK = "appointment.book"
    APPOINTMENT_OVERRIDE = "appointment.override"
    NOTE_ADD = "note.add"
    CASE_ASSIGN = "case.assign"
    CASE_UPDATE = "case.update"
    CASE_CLOSE = "case.close"
    AUDIT_VIEW = "audit.view"
    CONVERSATION_VIEW = "conversation.view"
    INBOX_VIEW = "inbox.view"
    OFFICERS_VIEW = "officers.view"
    CALENDAR_UPDATE = "calendar.update"
    CALENDAR_DAY_VIEW = "calendar.day_view"
    APPOINTMENT_ATTENDED = "appointment.attended"
    APPOINTMENT_MISSED = "appointment.missed"
    UPLOAD_LINKS_VIEW = "upload_links.view"
    UPLOAD_LINK_REVOKE = "upload_link.revoke"
    DOCUMENT_UPLOAD = "document.upload"  # by the applicant, on the secure upload page (actor: the link)
    CASE_ERASE = "case.erase"  # the applicant's personal data erased (art. 17)
    ERASURE_REFUSE = "erasure.refuse"  # an applicant's erasure request refused, with its reason
    CASE_EXPORT = "case.export"  # everything held about the applicant, exported (art. 15)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One thing an officer did; ``actor`` is the officer's stable subject id (``link:<id>`` for an applicant's
    upload), kept beside the username and display name they had then; ``office`` scopes the entry."""

    at_ms: int
    actor: str
    actor_role: str
    office: str
    action: AuditAction
    case_id: str | None
    detail: Mapping[str, str] = field(default_factory=dict)
    actor_username: str | None = None
    actor_name: str | None = None

    def __post_init__(self) -> None:
        if len(self.detail) > MAX_DETAILS:
            raise ValueError(f"an audit entry has at most {MAX_DETAILS} details")
        for key, value in self.detail.items():
            if not DETAIL_KEY.fullmatch(key) or not isinstance(value, str) or len(value) > MAX_DETAIL_VALUE:
                raise ValueError(f"audit detail {key!r} must be a snake_case key with a short string value")
        # A read-only copy: the entry stays frozen even if the caller's dict changes afterwards.
        object.__setattr__(self, "detail", MappingProxyType(dict(self.detail)))
