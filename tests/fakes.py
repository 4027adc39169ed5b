"""In-memory fakes of the ports, for unit tests of the use cases."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from chalicelib.domain.delivery import DeliveryStatus
from chalicelib.domain.media import MediaInfo
from chalicelib.domain.outbound import content_from_recorded
from chalicelib.services.cases.ports import CaseNotFound, CasePage, MessageAlreadyQueued, VersionConflict
from chalicelib.services.messages.ingest import IngestDeps
from chalicelib.services.messages.ports import (
    Claim,
    ClaimOutcome,
    InboundFiling,
    PendingInbound,
    QuarantineRecord,
    StatusOutcome,
    UnsentMessage,
)
from chalicelib.whatsapp.errors import MediaTooLarge
from tests.support import APP_SECRET

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from chalicelib.domain.applicants import ApplicantRef
    from chalicelib.domain.cases import Case, CaseEvent, MessagePreview
    from chalicelib.domain.delivery import StatusUpdate
    from chalicelib.domain.documents import CaseDocument
    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.domain.outbound import OutboundMessage
    from chalicelib.services.calendar.ports import SlotClaim
    from chalicelib.services.cases.ports import AssignedFilter, CaseFilter
    from chalicelib.services.messages.ports import Lease, OutboxEntry
    from chalicelib.services.messages.rendering import Rendered
    from chalicelib.services.metrics import MetricName


@dataclass
class FakeGateway:
    """Records sends; ``errors`` are raised, in order, by the next calls to ``send``."""

    sent: list[OutboundMessage] = field(default_factory=list)
    read: list[str] = field(default_factory=list)
    read_through: list[str | None] = field(default_factory=list)  # the number each mark-as-read went through
    errors: list[Exception] = field(default_factory=list)
    read_errors: list[Exception] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)
    media_errors: list[Exception] = field(default_factory=list)
    downloads: int = 0
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def send(self, message: OutboundMessage) -> str:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(message)
        return f"wamid.out.{next(self._ids)}"

    def mark_read(self, wamid: str, phone_number_id: str | None = None) -> None:
        if self.read_errors:
            raise self.read_errors.pop(0)
        self.read.append(wamid)
        self.read_through.append(phone_number_id)

    def media_info(self, media_id: str, phone_number_id: str | None = None) -> MediaInfo:
        body = self.media[media_id]
        return MediaInfo(
            media_id, f"https://lookaside.test/{media_id}", "", hashlib.sha256(body).hexdigest(), len(body)
        )

    def download_media(self, url: str, max_bytes: int) -> bytes:
        self.downloads += 1
        if self.media_errors:
            raise self.media_errors.pop(0)
        body = self.media[url.rsplit("/", 1)[1]]
        if len(body) > max_bytes:
            raise MediaTooLarge(max_bytes=max_bytes, size=len(body), declared=False)
        return body


@dataclass
class FakeInboundStore:
    items: dict[tuple[str, str], InboundMessage] = field(default_factory=dict)
    processed: set[str] = field(default_factory=set)
    attempts: dict[str, int] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)
    filed: dict[str, tuple[str, InboundFiling]] = field(default_factory=dict)

    def add(self, message: InboundMessage, received_at_ms: int) -> bool:
        key = (message.applicant.key, message.wamid)
        if key in self.items:
            return False
        self.items[key] = message
        self.received[message.wamid] = received_at_ms
        return True

    def is_processed(self, message: InboundMessage) -> bool:
        return message.wamid in self.processed

    def mark_processed(self, message: InboundMessage, now_ms: int) -> None:
        self.processed.add(message.wamid)

    def record_failure(self, message: InboundMessage, error_type: str) -> None:
        self.attempts[message.wamid] = self.attempts.get(message.wamid, 0) + 1

    def file_under_case(self, message: InboundMessage, case_id: str, filing: InboundFiling) -> None:
        self.filed[message.wamid] = (case_id, filing)

    def pending_since(self, before_ms: int, limit: int) -> Iterator[PendingInbound]:
        pending = [
            m for m in self.items.values() if m.wamid not in self.processed and self.received[m.wamid] < before_ms
        ]
        pending.sort(key=lambda m: self.received[m.wamid])
        for message in pending[:limit]:
            yield PendingInbound(message, self.attempts.get(message.wamid, 0))


@dataclass
class OutboundRecord:
    state: str
    wamid: str | None = None
    message: OutboundMessage | None = None
    rendered: Rendered | None = None
    status_rank: int | None = None
    status: str | None = None
    error_code: int | None = None
    lease_until: int | None = None
    retry_at: int | None = None  # set while unsent (the sparse index): when the sweep may take it
    attempts: int = 0


@dataclass
class FakeOutboundStore:
    """The outbox as DynamoOutboundStore keeps it (the same claim rule, the same sparse index of unsent ones)."""

    records: dict[str, OutboundRecord] = field(default_factory=dict)

    def queue(self, entry: OutboxEntry) -> None:
        """What the case transaction writes (FakeCases.save with an outbox entry)."""
        assert entry.message.outbound_id not in self.records, "a queued record is written once"
        self.records[entry.message.outbound_id] = OutboundRecord(
            "queued", message=entry.message, rendered=entry.rendered, retry_at=entry.sendable_at_ms
        )

    def claim(self, message: OutboundMessage, now_ms: int, rendered: Rendered, lease: Lease) -> Claim:
        current = self.records.get(message.outbound_id)
        in_doubt_past_reconcile = (
            current is not None
            and current.state in ("sending", "uncertain")
            and current.wamid is None
            and (current.retry_at or 0) <= now_ms
        )
        if current is None or current.state in ("queued", "released") or in_doubt_past_reconcile:
            record = current or OutboundRecord("sending", message=message, rendered=rendered)
            record.state, record.lease_until, record.retry_at = "sending", lease.until_ms, lease.reconcile_at_ms
            record.attempts += 1
            self.records[message.outbound_id] = record
            return Claim(ClaimOutcome.CLAIMED)
        if current.wamid is not None or current.state == "accepted":
            return Claim(ClaimOutcome.ALREADY_HANDLED, wamid=current.wamid)
        if current.state == "failed":
            return Claim(ClaimOutcome.ALREADY_FAILED)
        return Claim(ClaimOutcome.IN_FLIGHT, retry_at_ms=current.retry_at)

    def record_accepted(self, outbound_id: str, wamid: str, now_ms: int) -> None:
        record = self.records[outbound_id]
        record.state, record.wamid, record.retry_at = "accepted", wamid, None

    def release(self, outbound_id: str, error_code: int | None, now_ms: int) -> None:
        record = self.records[outbound_id]
        record.state, record.error_code, record.retry_at = "released", error_code, now_ms

    def record_uncertain(self, outbound_id: str, now_ms: int, reconcile_at_ms: int) -> None:
        record = self.records[outbound_id]
        record.state, record.retry_at = "uncertain", reconcile_at_ms

    def record_failed(self, outbound_id: str, error_code: int | None, title: str, now_ms: int) -> None:
        record = self.records[outbound_id]
        record.state, record.error_code, record.retry_at = "failed", error_code, None

    def unsent(self, now_ms: int, limit: int) -> list[UnsentMessage]:
        due = [r for r in self.records.values() if r.retry_at is not None and r.retry_at <= now_ms and r.message]
        due.sort(key=lambda r: r.retry_at or 0)
        return [UnsentMessage(_hide_tokens(r.message), r.attempts) for r in due[:limit] if r.message]

    def apply_status(self, update: StatusUpdate, now_ms: int) -> StatusOutcome:
        outbound_id = update.outbound_id or next((k for k, r in self.records.items() if r.wamid == update.wamid), None)
        record = self.records.get(outbound_id) if outbound_id is not None else None
        if record is None:  # as in DynamoDB: a status never creates a record
            return StatusOutcome.UNKNOWN_MESSAGE
        if record.status_rank is not None and record.status_rank >= update.status.rank:
            return StatusOutcome.STALE
        record.status, record.status_rank = update.status.value, update.status.rank
        record.wamid = record.wamid or update.wamid
        record.retry_at = None  # Meta has it: out of the outbox
        if record.state in ("sending", "uncertain"):  # the status proves the send in doubt reached Meta
            record.state, record.lease_until = "accepted", None
        record.error_code = update.error_code or record.error_code
        if update.status is DeliveryStatus.FAILED and record.message is not None and record.message.is_template:
            return StatusOutcome.TEMPLATE_FAILED
        return StatusOutcome.APPLIED


def _hide_tokens(message: OutboundMessage) -> OutboundMessage:
    """The message as its record keeps it: upload-link tokens hidden (they are sent, never stored)."""
    return replace(message, content=content_from_recorded(message.recorded_content()))


@dataclass
class FakeApplicantStore:
    last_inbound: dict[str, int] = field(default_factory=dict)

    def record_inbound(self, applicant: ApplicantRef, profile_name: str | None, sent_at: int, now_ms: int) -> None:
        self.last_inbound[applicant.key] = max(sent_at, self.last_inbound.get(applicant.key, 0))

    def last_inbound_at(self, applicant: ApplicantRef) -> int | None:
        return self.last_inbound.get(applicant.key)


@dataclass
class FakeQuarantineStore:
    records: dict[str, QuarantineRecord] = field(default_factory=dict)

    def put(self, record: QuarantineRecord) -> None:
        self.records[record.quarantine_id] = record

    def on_day(self, day: str) -> list[dict[str, object]]:
        return [{"quarantine_id": r.quarantine_id, "reason": r.reason} for r in self.records.values()]


@dataclass
class FakeMetrics:
    """Records each count as ``(name, value, dimensions)``."""

    counts: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)

    def count(self, name: MetricName, value: int = 1, **dimensions: str) -> None:
        self.counts.append((str(name), value, dimensions))

    def total(self, name: str) -> int:
        """The sum counted for ``name``."""
        return sum(value for counted, value, _ in self.counts if counted == name)

    def codes(self, name: str) -> list[str]:
        """The ``code`` dimension of each count of ``name`` that had one."""
        return [dims["code"] for counted, _, dims in self.counts if counted == name and "code" in dims]


def fake_ingest_deps(route: Callable[[str], str | None] | None = None) -> IngestDeps:
    """Webhook ingestion over fresh fakes, signed with the tests' app secret (``route``: the office routing)."""
    return IngestDeps(
        app_secret=lambda: APP_SECRET,
        inbound=FakeInboundStore(),
        outbound=FakeOutboundStore(),
        quarantine=FakeQuarantineStore(),
        clock_ms=lambda: 1_764_100_000_000,
        route=route,
    )


@dataclass
class FakeCaseRepository:
    """Cases in memory, kept as the DynamoDB repository keeps them: a save is conditioned on the version read; a
    line named by its cause (``event_id``) is stored once, and a save carrying one already stored writes nothing
    and returns the case as stored; documents are recorded once, a save's in the same write. Counter slots
    (``take``, ``release``) are not kept; ``outbox`` entries are listed, not sent."""

    cases: dict[str, Case] = field(default_factory=dict)
    lines: dict[str, list[CaseEvent]] = field(default_factory=dict)
    docs: dict[str, dict[str, CaseDocument]] = field(default_factory=dict)
    outbox: list[OutboxEntry] = field(default_factory=list)  # messages queued by saves
    saves: int = 0  # writes that changed a case

    def _named(self, case_id: str, event_id: str) -> bool:
        return any(line.event_id == event_id for line in self.lines.get(case_id, []))

    def _append(self, case_id: str, events: Iterable[CaseEvent]) -> None:
        for event in events:
            if event.event_id is None or not self._named(case_id, event.event_id):
                self.lines.setdefault(case_id, []).append(event)

    def get(self, case_id: str) -> Case:
        if case_id not in self.cases:
            raise CaseNotFound(case_id)
        return self.cases[case_id]

    def add(self, case: Case, events: Iterable[CaseEvent], *, outbox: OutboxEntry | None = None) -> Case:
        if case.case_id in self.cases:
            raise VersionConflict(case.case_id)
        self.cases[case.case_id] = added = replace(case, version=1)
        self._append(case.case_id, events)
        if outbox is not None:
            self.outbox.append(outbox)
        return added

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
        stored = self.get(case.case_id)
        if stored.version != case.version:
            raise VersionConflict(case.case_id)
        events, documents = list(events), list(documents)
        if any(e.event_id is not None and self._named(case.case_id, e.event_id) for e in events):
            return stored  # saved before, by an earlier delivery of the same cause
        if any(d.document_id in self.docs.get(d.case_id, {}) for d in documents):
            raise VersionConflict(case.case_id)
        if outbox is not None and any(e.message.outbound_id == outbox.message.outbound_id for e in self.outbox):
            raise MessageAlreadyQueued(outbox.message.outbound_id)
        self.cases[case.case_id] = saved = replace(case, version=case.version + 1)
        self._append(case.case_id, events)
        for document in documents:
            self.docs.setdefault(document.case_id, {})[document.document_id] = document
        if outbox is not None:
            self.outbox.append(outbox)
        self.saves += 1
        return saved

    def add_events(self, case_id: str, events: Iterable[CaseEvent]) -> None:
        self._append(case_id, events)

    def events(self, case_id: str) -> list[CaseEvent]:
        return sorted(self.lines.get(case_id, []), key=lambda e: e.at_ms)

    def add_document(self, document: CaseDocument) -> None:
        self.docs.setdefault(document.case_id, {}).setdefault(document.document_id, document)

    def documents(self, case_id: str) -> list[CaseDocument]:
        return list(self.docs.get(case_id, {}).values())

    def list(self, office: str, filters: CaseFilter, limit: int, start_key: dict[str, object] | None) -> CasePage:
        found = [c for c in self.cases.values() if c.office == office and filters.status in (None, c.status)]
        return CasePage(found[:limit], None)

    def inbox(
        self, office: str, assigned: AssignedFilter | None, limit: int, start_key: dict[str, object] | None
    ) -> CasePage:
        return CasePage([c for c in self.cases.values() if c.office == office][:limit], None)

    def _of(self, applicant_key: str) -> list[Case]:
        keys = (lambda c: f"wa#{c.applicant.wa_id}", lambda c: f"bsuid#{c.applicant.user_id}")
        found = [c for c in self.cases.values() if any(key(c) == applicant_key for key in keys)]
        return sorted(found, key=lambda c: c.created_at_ms, reverse=True)

    def open_case_for(self, applicant_key: str) -> Case | None:
        return next((c for c in self._of(applicant_key) if c.is_open), None)

    def latest_case_for(self, applicant_key: str) -> Case | None:
        return next(iter(self._of(applicant_key)), None)

    def updated_since(self, office: str, since_ms: int) -> Iterator[Case]:
        return iter([c for c in self.cases.values() if c.office == office and c.updated_at_ms >= since_ms])

    def set_document_item(self, case_id: str, document_id: str, item_code: str) -> None:
        document = self.docs[case_id][document_id]
        self.docs[case_id][document_id] = replace(document, item_code=item_code)

    def touch_from_chat(
        self, case_id: str, *, unanswered: bool, language: str | None, preview: MessagePreview | None = None
    ) -> None:
        case = self.get(case_id)
        if unanswered and case.unanswered_since_ms is None:
            case = replace(case, unanswered_since_ms=case.updated_at_ms, last_inbound=preview)
        if language and language != case.applicant.language:
            case = replace(case, applicant=replace(case.applicant, language=language))
        self.cases[case_id] = case
