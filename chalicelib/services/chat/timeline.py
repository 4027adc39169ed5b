"""The timeline lines of one conversation turn, named by the message that caused them.

The inbound stream and the redrive deliver a message at least once, and a turn that failed half-way (a reply that
could not be sent) runs again from the start. Every line a turn writes — through :meth:`add_events` or inside a
case save (a document assigned, a visit booked or cancelled) — gets an id from the message's wamid and its kind,
and the message's receipt time as its time, so the repository stores it once however often the turn runs: a
second ``add_events`` leaves it as it is, and a save carrying a line already stored was made by an earlier run
(nothing is written again).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chalicelib.domain.cases import EventCause
from chalicelib.services.cases.passthrough import PassThroughCases

if TYPE_CHECKING:
    from collections.abc import Iterable

    from chalicelib.domain.cases import Case, CaseEvent
    from chalicelib.domain.documents import CaseDocument
    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.services.calendar.ports import SlotClaim
    from chalicelib.services.cases.ports import CaseRepository
    from chalicelib.services.messages.ports import OutboxEntry


def message_cause(message: InboundMessage) -> EventCause:
    """The cause of a turn's lines: a digest of the wamid (short, and the same on every delivery) and the time
    the message was received (stored with it, so the same on every delivery too)."""
    at_ms = message.received_at_ms if message.received_at_ms is not None else message.sent_at * 1000
    return EventCause(f"in.{hashlib.sha256(message.wamid.encode()).hexdigest()[:24]}", at_ms)


@dataclass(frozen=True, slots=True)
class TurnCases(PassThroughCases):
    """The case repository for one turn: each line it writes is named by the turn's message."""

    inner: CaseRepository
    cause: EventCause
    seen: dict[str, int] = field(default_factory=dict)  # kinds written so far in this turn (``kind.2``…)

    def _lines(self, events: Iterable[CaseEvent]) -> list[CaseEvent]:
        return self.cause.identify(events, self.seen)

    def add(self, case: Case, events: Iterable[CaseEvent], *, outbox: OutboxEntry | None = None) -> Case:
        return self.inner.add(case, self._lines(events), outbox=outbox)

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
        return self.inner.save(case, self._lines(events), take, release, documents, outbox=outbox)

    def add_events(self, case_id: str, events: Iterable[CaseEvent]) -> None:
        self.inner.add_events(case_id, self._lines(events))
