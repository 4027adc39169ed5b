"""Retention that follows the case: the case repository, with each stored closing starting the clocks of what the
case holds, and each new case keeping its applicant from being forgotten while it is open.

At closing, whichever use case closed it: the documents' files are re-stamped and tagged so that the bucket's
lifecycle deletes them ``document_days`` later (S3 counts a rule's days from an object's creation, not from its
tagging, so a file received months before the closing is copied onto itself), the documents' records expire with
them, the other records ``case_days`` later, and the applicant, if no other case of theirs is open, is forgotten
after ``applicant_days`` of silence. The case item's own expiry is set by the repository (a backstop: see
:mod:`chalicelib.domain.retention`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.actors import SERVICE
from chalicelib.domain.cases import CaseEvent, CaseStatus, Erasure
from chalicelib.domain.erasure import anonymised
from chalicelib.observability import get_logger
from chalicelib.services.cases.passthrough import PassThroughCases
from chalicelib.services.cases.ports import VersionConflict
from chalicelib.services.messages.notices import applicant_ref

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from chalicelib.domain.cases import Case
    from chalicelib.domain.documents import CaseDocument
    from chalicelib.domain.retention import RetentionPolicy
    from chalicelib.services.calendar.ports import SlotClaim
    from chalicelib.services.cases.erasure import ErasureStore
    from chalicelib.services.cases.ports import CaseRepository
    from chalicelib.services.messages.ports import OutboxEntry

log = get_logger("retention")


class RecordExpiry(Protocol):
    """Sets the expiry of a case's records."""

    def expire_records(self, case_id: str, documents_until_ms: int, records_until_ms: int) -> None:
        """Documents' records end at ``documents_until_ms``, every other record of the case at ``records_until_ms``."""
        ...


class DocumentExpiry(Protocol):
    """Starts the end of a stored document file."""

    def start_expiry(self, key: str, content_type: str) -> None:
        """Hand the file to the closed-case lifecycle rule, its days counted from now."""
        ...


class ApplicantHold(Protocol):
    """Keeps an applicant while a case of theirs is open; lets them be forgotten after it."""

    def hold(self, applicant_key: str) -> None:
        """No expiry while a case is open."""
        ...

    def release(self, applicant_key: str, until_ms: int) -> None:
        """Forgotten at ``until_ms``, unless they write again (which starts the silence anew)."""
        ...


class EndedCases(Protocol):
    """Finds closed cases whose retention has ended."""

    def due_for_anonymising(self, office: str, until_ms: int, limit: int) -> list[str]:
        """Ids of the office's closed, not yet anonymised cases whose retention ended by ``until_ms``, oldest
        first (never a Scan)."""
        ...


def became_closed(events: Iterable[CaseEvent]) -> bool:
    """Whether these events close the case (the status change is the one sure sign, whoever closed it)."""
    return any(e.kind == "status_changed" and e.data.get("to") == CaseStatus.CLOSED.value for e in events)


@dataclass(frozen=True, slots=True)
class RetainingCases(PassThroughCases):
    """A :class:`CaseRepository` that starts the retention clocks when it stores a closing."""

    inner: CaseRepository
    records: RecordExpiry
    files: DocumentExpiry
    applicants: ApplicantHold
    policy: RetentionPolicy
    clock_ms: Callable[[], int]

    def _closed(self, case: Case) -> None:
        now = self.clock_ms()
        for document in self.inner.documents(case.case_id):
            self.files.start_expiry(document.storage_key, document.content_type)
        self.records.expire_records(
            case.case_id, self.policy.documents_until_ms(now), self.policy.records_until_ms(now)
        )
        key = applicant_ref(case).key
        if self.inner.open_case_for(key) is None:
            self.applicants.release(key, self.policy.applicant_until_ms(now))

    def add(self, case: Case, events: Iterable[CaseEvent], *, outbox: OutboxEntry | None = None) -> Case:
        added = self.inner.add(case, events, outbox=outbox)
        if added.is_open:
            self.applicants.hold(applicant_ref(added).key)
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
        events = list(events)
        saved = self.inner.save(case, events, take, release, documents, outbox=outbox)
        if became_closed(events):
            try:
                self._closed(saved)
            except Exception as exc:  # the closing is saved: failing the officer's request now would not undo it
                log.error("retention_start_failed", extra={"error_type": type(exc).__name__})
        return saved


RETENTION_ENDED = "retention_ended"  # the anonymisation's reason: the case's retention period ran out
DEFAULT_BUDGET = 200  # cases per run: a daily job catches up over a few days after an outage, never in one timeout


@dataclass(frozen=True, slots=True)
class AnonymiseDeps:
    """What the daily anonymisation needs."""

    cases: CaseRepository
    ended: EndedCases
    store: ErasureStore
    offices: tuple[str, ...]
    clock_ms: Callable[[], int]


@dataclass(frozen=True, slots=True)
class AnonymiseResult:
    """How many cases were anonymised, and whether more were due than this run's budget allowed."""

    anonymised: int
    more: bool


def anonymise_ended_cases(deps: AnonymiseDeps, budget: int = DEFAULT_BUDGET) -> AnonymiseResult:
    """Anonymise every closed case whose retention ended: delete its files, records, thread, upload links and
    reminders, and keep the case without personal fields (what the waiting-time figures read).

    Erasure's own steps, without its message to the applicant: this is the policy the privacy notice announced,
    not a request. The applicant's record is left to its own expiry (they may have written since).
    """
    now = deps.clock_ms()
    tried, done, more = 0, 0, False
    for office in deps.offices:
        room = budget - tried
        if room <= 0:  # offices left unread: assume they have some
            more = True
            break
        due = deps.ended.due_for_anonymising(office, now, room + 1)  # one more than room: tells whether more wait
        more = more or len(due) > room
        for case_id in due[:room]:
            tried += 1
            done += _anonymise(deps, case_id, now)
    log.info("cases_anonymised", extra={"count": done, "status": "more_due" if more else "done"})
    return AnonymiseResult(done, more)


def _anonymise(deps: AnonymiseDeps, case_id: str, now: int) -> int:
    case = deps.cases.get(case_id)
    if case.is_open or case.erased is not None:  # reopened or erased meanwhile: no longer due
        return 0
    store = deps.store
    store.delete_objects(f"cases/{case_id}/")
    store.delete_objects(f"uploads/{case_id}/")
    store.delete_case_records(case_id)
    store.delete_thread(case_id)
    store.delete_upload_links(case_id)
    store.delete_reminders(case_id)
    erasure = Erasure(now, SERVICE.kind.value, RETENTION_ENDED)
    event = CaseEvent("case_anonymised", now, SERVICE, {"reason": RETENTION_ENDED})
    try:
        deps.cases.save(anonymised(case, erasure), [event])
    except VersionConflict:  # saved meanwhile: the next run finds it again
        return 0
    return 1
