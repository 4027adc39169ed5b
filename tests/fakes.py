"""In-memory fakes of the ports, for unit tests of the use cases."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chalicelib.domain.delivery import DeliveryStatus
from chalicelib.domain.media import MediaInfo
from chalicelib.services.messages.ingest import IngestDeps
from chalicelib.services.messages.ports import (
    ClaimOutcome,
    InboundFiling,
    PendingInbound,
    QuarantineRecord,
    StatusOutcome,
)
from chalicelib.whatsapp.errors import MediaTooLarge
from tests.support import APP_SECRET

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from chalicelib.domain.applicants import ApplicantRef
    from chalicelib.domain.delivery import StatusUpdate
    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.domain.outbound import OutboundMessage
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


@dataclass
class FakeOutboundStore:
    records: dict[str, OutboundRecord] = field(default_factory=dict)

    def claim(self, message: OutboundMessage, now_ms: int, rendered: Rendered) -> ClaimOutcome:
        current = self.records.get(message.outbound_id)
        if current is not None and current.state != "released":
            return ClaimOutcome.ALREADY_HANDLED
        self.records[message.outbound_id] = OutboundRecord("sending", message=message, rendered=rendered)
        return ClaimOutcome.CLAIMED

    def record_accepted(self, outbound_id: str, wamid: str, now_ms: int) -> None:
        record = self.records[outbound_id]
        record.state, record.wamid = "accepted", wamid

    def release(self, outbound_id: str, error_code: int | None, now_ms: int) -> None:
        self.records[outbound_id].state = "released"
        self.records[outbound_id].error_code = error_code

    def record_failed(self, outbound_id: str, error_code: int | None, title: str, now_ms: int) -> None:
        self.records[outbound_id].state = "failed"
        self.records[outbound_id].error_code = error_code

    def apply_status(self, update: StatusUpdate, now_ms: int) -> StatusOutcome:
        outbound_id = update.outbound_id or next((k for k, r in self.records.items() if r.wamid == update.wamid), None)
        record = self.records.get(outbound_id) if outbound_id is not None else None
        if record is None:  # as in DynamoDB: a status never creates a record
            return StatusOutcome.UNKNOWN_MESSAGE
        if record.status_rank is not None and record.status_rank >= update.status.rank:
            return StatusOutcome.STALE
        record.status, record.status_rank = update.status.value, update.status.rank
        record.wamid = record.wamid or update.wamid
        record.error_code = update.error_code or record.error_code
        if update.status is DeliveryStatus.FAILED and record.message is not None and record.message.is_template:
            return StatusOutcome.TEMPLATE_FAILED
        return StatusOutcome.APPLIED


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
