"""Erasure of a case's personal data (GDPR art. 17), and the applicant's erasure requests.

``erase_case`` (supervisors) tells the applicant first — their number is needed to tell them — and then deletes,
in this order, the files, the case's records (timeline, notes, documents, uploads), the thread, the upload links
and the reminders; then it saves the anonymised case, marked erased: the save is the commit point, so a crash
before it leaves a case that a second call erases again (every step is idempotent), and a second call on an
erased case answers the same. The applicant's own record and their messages go too when no other case of theirs
is left.

The notice's outbound record is the one trace of the number left behind, on purpose: Meta's delivery statuses for
it must find it (else they would be quarantined, number included, for a month). It is filed in no case's thread
and expires after ``notice_keep_ms``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from chalicelib.auth.errors import SupervisorOnly
from chalicelib.domain.actors import APPLICANT
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.cases import Case, CaseEvent, Erasure
from chalicelib.domain.erasure import ErasureDecision, ErasureReason, NoErasureRequest, RefusalReason, anonymised
from chalicelib.domain.templates import DATA_ERASED, ERASURE_REFUSED
from chalicelib.i18n import translate
from chalicelib.observability import get_logger
from chalicelib.services.cases.ports import VersionConflict
from chalicelib.services.cases.registry import audit, load_case
from chalicelib.services.messages.notices import Notice, applicant_ref
from chalicelib.whatsapp.errors import GraphApiError, TransportError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from chalicelib.auth import Officer
    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.services.cases.ports import CaseRepository
    from chalicelib.services.cases.registry import CaseDeps

log = get_logger("erasure")

SAVE_ATTEMPTS = 3
NOTICE_FAILED = "failed"


class ErasureStore(Protocol):
    """Deletes everything stored about a case and its applicant (every method is idempotent)."""

    def delete_objects(self, prefix: str) -> int:
        """Delete every object (every version, where the bucket keeps versions) under ``prefix``; how many."""
        ...

    def delete_case_records(self, case_id: str) -> int:
        """Delete the case's timeline, notes, document and upload records."""
        ...

    def delete_thread(self, case_id: str) -> int:
        """Delete the inbound and outbound messages filed under the case."""
        ...

    def delete_upload_links(self, case_id: str) -> int:
        """Delete the case's upload links."""
        ...

    def delete_reminders(self, case_id: str) -> int:
        """Delete the case's reminders, whatever their state."""
        ...

    def has_other_case(self, applicant_key: str, case_id: str) -> bool:
        """Whether the applicant has a case besides ``case_id``."""
        ...

    def unfiled_messages(self, applicant_key: str) -> list[InboundMessage]:
        """The applicant's messages filed under no case (written before a case, or after it closed)."""
        ...

    def delete_outbound(self, outbound_ids: Iterable[str]) -> None:
        """Delete these outbound messages' records (those that exist)."""
        ...

    def forget_applicant(self, applicant_key: str) -> int:
        """Delete the applicant's record (conversation, profile name) and every inbound message of theirs."""
        ...

    def expire_outbound(self, outbound_id: str, at_ms: int) -> None:
        """Let an outbound message's record expire at ``at_ms`` (if it exists)."""
        ...


@dataclass(frozen=True, slots=True)
class ErasureDeps:
    """The case use cases' dependencies, the store that deletes, and how long the notice's record stays."""

    case: CaseDeps
    store: ErasureStore
    # The ids the chat gives its replies to a message: replies to messages filed under no case are in no thread,
    # and only their ids lead to them (the outbound table has no index by applicant).
    reply_ids: Callable[[InboundMessage], Iterable[str]] = lambda message: ()
    notice_keep_ms: int = 3 * 24 * 60 * 60 * 1000  # Meta's statuses arrive within hours; a margin for retries


@dataclass(frozen=True, slots=True)
class ErasureResult:
    """The erased case, what became of the notice to the applicant, and whether it was erased before."""

    case: Case
    notice: str | None
    already_erased: bool


def require_supervisor(officer: Officer) -> None:
    if not officer.is_supervisor:
        raise SupervisorOnly("only a supervisor can erase a case or decide an erasure request")


def _notify(deps: ErasureDeps, case: Case, notice: Notice, outbound_id: str) -> str:
    """Send ``notice`` outside the case's thread (which is about to go) and let its record expire soon."""
    notifier = deps.case.notifier
    message = replace(notifier.build(case, notice, outbound_id), case_id=None)
    try:
        outcome = notifier.messenger.send_once(message).value
    except (TransportError, GraphApiError) as exc:
        # The erasure does not wait for Meta: the office must erase at once; the response says the notice failed.
        log.warning("erasure_notice_failed", extra={"case_id": case.case_id, "error": type(exc).__name__})
        outcome = NOTICE_FAILED
    deps.store.expire_outbound(outbound_id, deps.case.clock_ms() + deps.notice_keep_ms)
    return outcome


def _delete_case_data(deps: ErasureDeps, case_id: str) -> dict[str, int]:
    store = deps.store
    return {
        "objects": store.delete_objects(f"cases/{case_id}/") + store.delete_objects(f"uploads/{case_id}/"),
        "records": store.delete_case_records(case_id),
        "messages": store.delete_thread(case_id),
        "upload_links": store.delete_upload_links(case_id),
        "reminders": store.delete_reminders(case_id),
    }


def _forget(deps: ErasureDeps, applicant_key: str) -> int:
    """The applicant's own record, their messages and the chat's replies to those filed under no case."""
    unfiled = deps.store.unfiled_messages(applicant_key)
    deps.store.delete_outbound([outbound_id for message in unfiled for outbound_id in deps.reply_ids(message)])
    return deps.store.forget_applicant(applicant_key)


def erase_case(deps: ErasureDeps, officer: Officer, case_id: str, reason: ErasureReason) -> ErasureResult:
    """``POST /api/cases/{id}/erase``: tell the applicant, delete everything personal, keep the anonymised case."""
    require_supervisor(officer)
    case = load_case(deps.case, officer, case_id)
    if case.erased is not None:  # everything was deleted before the erased case was saved
        audit(deps.case, officer, AuditAction.CASE_ERASE, case_id, reason=reason.value, outcome="already_erased")
        return ErasureResult(case, None, already_erased=True)
    applicant_key = applicant_ref(case).key
    notice = Notice("notice.data_erased", {"case_ref": case_id}, DATA_ERASED)
    outcome = _notify(deps, case, notice, f"case.{case_id}.erased")
    erasure = Erasure(deps.case.clock_ms(), officer.subject, reason.value)
    event = CaseEvent("case_erased", erasure.at_ms, officer.actor, {"reason": reason.value})
    for _ in range(SAVE_ATTEMPTS):
        counts = _delete_case_data(deps, case_id)
        # Asked before the save, while the case still names the applicant: the index then finds only others.
        if not deps.store.has_other_case(applicant_key, case_id):
            counts["applicant_items"] = _forget(deps, applicant_key)
        try:
            # The commit point: the anonymised case and one timeline line (who, when, why) in one write.
            case = deps.case.cases.save(anonymised(case, erasure), [event])
            break
        except VersionConflict:  # the applicant wrote, a colleague saved: delete again what came meanwhile
            case = deps.case.cases.get(case_id)
    else:
        raise VersionConflict(case_id)
    details = {key: str(value) for key, value in counts.items()}
    audit(deps.case, officer, AuditAction.CASE_ERASE, case_id, reason=reason.value, notice=outcome, **details)
    log.info("case_erased", extra={"case_id": case_id, **counts})
    return ErasureResult(case, outcome, already_erased=False)


def decide_erasure_request(
    deps: ErasureDeps,
    officer: Officer,
    case_id: str,
    decision: ErasureDecision,
    *,
    refusal: RefusalReason | None = None,
    reason: ErasureReason = ErasureReason.APPLICANT_REQUEST,
) -> ErasureResult:
    """``POST /api/cases/{id}/erasure-request``: confirm (the case is erased) or refuse with a reason that the
    applicant reads in their language."""
    require_supervisor(officer)
    case = load_case(deps.case, officer, case_id)
    if case.erasure_requested_at_ms is None or case.erased is not None:
        raise NoErasureRequest(case_id)
    if decision is ErasureDecision.CONFIRM:
        return erase_case(deps, officer, case_id, reason)
    if refusal is None:
        raise ValueError("a refusal needs its reason")
    now = deps.case.clock_ms()
    requested = case.erasure_requested_at_ms
    language = case.applicant.language
    notice = Notice(
        "notice.erasure_refused",
        {"case_ref": case_id, "reason": translate(f"erasure.refusal.{refusal.value}", language)},
        ERASURE_REFUSED,
    )
    event = CaseEvent("erasure_refused", now, officer.actor, {"reason": refusal.value})
    # Saved with the refusal, queued in the same write (the outbox), then sent: refused for now, the outbox
    # sweep sends it (``queued``); a conflict saves nothing and sends nothing.
    notifier = deps.case.notifier
    message = notifier.build(case, notice, f"case.{case_id}.erasure_refused.{requested}")
    refused = replace(case, erasure_requested_at_ms=None, updated_at_ms=now)
    saved, outcome = notifier.save_then_send(deps.case.cases, refused, [event], message)
    outcome_value = outcome.value
    audit(deps.case, officer, AuditAction.ERASURE_REFUSE, case_id, reason=refusal.value, notice=outcome_value)
    return ErasureResult(saved, outcome_value, already_erased=False)


def request_erasure(cases: CaseRepository, case_id: str, now_ms: int) -> Case:
    """The applicant asked in the chat to erase their data: the case shows the request in the office's inbox until
    a supervisor decides (asking twice keeps the first time)."""
    for _ in range(SAVE_ATTEMPTS):
        case = cases.get(case_id)
        if case.erasure_requested_at_ms is not None or case.erased is not None:
            return case
        event = CaseEvent("erasure_requested", now_ms, APPLICANT)
        try:
            return cases.save(replace(case, erasure_requested_at_ms=now_ms, updated_at_ms=now_ms), [event])
        except VersionConflict:  # an officer saved meanwhile: ask again on what is there now
            continue
    raise VersionConflict(case_id)
