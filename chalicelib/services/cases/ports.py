"""Ports of the case use cases: where cases and documents are kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.errors import DomainError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from chalicelib.domain.cases import Case, CaseEvent, CaseStatus, MessagePreview
    from chalicelib.domain.documents import CaseDocument
    from chalicelib.services.calendar.ports import SlotClaim
    from chalicelib.services.messages.ports import OutboxEntry


class CaseNotFound(DomainError):
    """No such case (or not one the caller may see: the API never says which)."""


class VersionConflict(DomainError):
    """Someone else changed the case since it was read: reload and try again."""


class MessageAlreadyQueued(DomainError):
    """The message a save would queue is in the outbox already: the same request (the same idempotency key) was
    made before, and its change saved. Nothing was written this time."""


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """What ``GET /api/cases`` can filter on."""

    status: CaseStatus | None = None
    officer: str | None = None
    missing: str | None = None
    waiting_since_ms: int | None = None
    unanswered: bool = False


@dataclass(frozen=True, slots=True)
class AssignedFilter:
    """Whose cases: one officer's (by username), or nobody's."""

    username: str | None = None
    unassigned: bool = False


@dataclass(frozen=True, slots=True)
class CasePage:
    """One page of cases and the key to continue from."""

    cases: list[Case]
    last_key: dict[str, Any] | None


class CaseRepository(Protocol):
    """Cases, their timeline and their documents."""

    def get(self, case_id: str) -> Case:
        """The case, or :class:`CaseNotFound`."""
        ...

    def add(self, case: Case, events: Iterable[CaseEvent], *, outbox: OutboxEntry | None = None) -> Case:
        """Store a new case with its first events (and ``outbox``, the message that tells it, ``queued`` in the
        same write); :class:`VersionConflict` when its id is taken."""
        ...

    def save(
        self,
        case: Case,
        events: Iterable[CaseEvent],
        take: SlotClaim | None = None,
        release: SlotClaim | None = None,
        documents: Iterable[CaseDocument] = (),
        *,
        outbox: OutboxEntry | None = None,
    ) -> Case:
        """Store a change, or :class:`VersionConflict` if the case changed since ``case.version``; with ``take``,
        take a place of a counter slot in the same write (or :class:`SlotTaken`), with ``release`` give one back;
        ``documents`` are recorded in the same write (a conflict records none), and so is ``outbox``, the message
        that tells the change, ``queued`` (a conflict queues nothing). When a line of ``events`` named by
        its cause (``event_id``) is stored already, the change was saved before: nothing is written, and the case
        is returned as stored."""
        ...

    def add_events(self, case_id: str, events: Iterable[CaseEvent]) -> None:
        """Append to the timeline without changing the case (messages, notes); a line named by its cause is
        stored once however often it is added."""
        ...

    def events(self, case_id: str) -> list[CaseEvent]:
        """The timeline, oldest first."""
        ...

    def add_document(self, document: CaseDocument) -> None:
        """Record a document (the same id twice keeps one)."""
        ...

    def documents(self, case_id: str) -> list[CaseDocument]:
        """The case's documents."""
        ...

    def list(self, office: str, filters: CaseFilter, limit: int, start_key: dict[str, Any] | None) -> CasePage:
        """A page of the office's cases (a Query on an index, never a Scan), reading a bounded number of items: a
        page can hold fewer than ``limit`` cases, even none, and still have a ``last_key`` to go on from."""
        ...

    def inbox(
        self, office: str, assigned: AssignedFilter | None, limit: int, start_key: dict[str, Any] | None
    ) -> CasePage:
        """A page of the office's cases that wait for an officer, the longest wait first (a Query on the inbox
        index)."""
        ...

    def open_case_for(self, applicant_key: str) -> Case | None:
        """The applicant's open case, if any."""
        ...

    def latest_case_for(self, applicant_key: str) -> Case | None:
        """The applicant's most recent case, open or closed (what their status speaks of once it is closed)."""
        ...

    def updated_since(self, office: str, since_ms: int) -> Iterator[Case]:
        """The office's cases updated since ``since_ms``."""
        ...

    def set_document_item(self, case_id: str, document_id: str, item_code: str) -> None:
        """Record which checklist item a document is."""
        ...

    def touch_from_chat(
        self, case_id: str, *, unanswered: bool, language: str | None, preview: MessagePreview | None = None
    ) -> None:
        """The applicant wrote: mark the case unanswered (keeping ``preview``) and/or follow their chat language."""
        ...


class DocumentStorage(Protocol):
    """Encrypted object storage for document files."""

    def put(self, key: str, body: bytes, content_type: str) -> None:
        """Store a file (encrypted at rest)."""
        ...

    def delete(self, key: str) -> None:
        """Remove a file (nothing happens if there is none)."""
        ...

    def link(
        self, key: str, expires_in_s: int, *, content_type: str | None = None, disposition: str | None = None
    ) -> str:
        """A short-lived download link; the response carries ``content_type`` and ``disposition``
        (``Content-Disposition``) when given."""
        ...
