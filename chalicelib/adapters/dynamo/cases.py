"""DynamoDB repository for cases, their timeline and their documents (PynamoDB).

A case and the events that tell its change are written in one transaction, conditioned on the version the
caller read: two officers saving at once never lose an update; the second gets :class:`VersionConflict`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo.calendar import release_action, take_action
from chalicelib.adapters.dynamo.case_models import CaseModel, CaseRecordModel
from chalicelib.adapters.dynamo.messages import outbox_item
from chalicelib.adapters.dynamo.models import OutboundModel
from chalicelib.domain.actors import actor_from_stored
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.calendar import slot_key
from chalicelib.domain.cases import (
    Appointment,
    Case,
    CaseApplicant,
    CaseEvent,
    CaseStatus,
    CloseReason,
    Erasure,
    MessagePreview,
)
from chalicelib.domain.catalogue import Procedure, Requirement
from chalicelib.domain.checklist import Checklist, ChecklistItem, ItemState, Rejection, RejectionReason
from chalicelib.domain.documents import CaseDocument, DocumentSource
from chalicelib.domain.erasure import ERASED_KEY_PREFIX
from chalicelib.domain.inbox import waiting
from chalicelib.domain.retention import RetentionPolicy
from chalicelib.services.calendar.ports import SlotClaim, SlotTaken
from chalicelib.services.cases.ports import (
    AssignedFilter,
    CaseFilter,
    CaseNotFound,
    CasePage,
    MessageAlreadyQueued,
    VersionConflict,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from pynamodb.pagination import ResultIterator

    from chalicelib.services.messages.ports import OutboxEntry

CONDITION_FAILED = "ConditionalCheckFailed"
# Items one listing request reads at most. DynamoDB applies a filter (``missing=``, ``unanswered=``, an officer
# within a status, a waiting date) to what it has read, so a filter few cases match would otherwise walk the office's
# whole index in one request: past the budget the page ends short (even empty), with a cursor to go on from.
LIST_READ_BUDGET = 500
# DynamoDB's Limit per Query when a filter applies: it keeps only part of what it reads, so read ahead in pages of
# this size (within the budget) rather than of the few cases still wanted.
FILTERED_PAGE = 100


def _applicant_key(case: Case) -> str:
    applicant = case.applicant
    if case.erased is not None:  # nobody is left to find it by: the key names the case, not a person
        return f"{ERASED_KEY_PREFIX}{case.case_id}"
    return ApplicantRef(wa_id=applicant.wa_id, user_id=applicant.user_id).key


def _item_to_json(item: ChecklistItem) -> dict[str, Any]:
    data = asdict(item)
    data["rejection"] = asdict(item.rejection) if item.rejection else None
    return data


def _item_from_json(data: dict[str, Any]) -> ChecklistItem:
    rejection = data.get("rejection")
    return ChecklistItem(
        code=data["code"],
        requirement=Requirement(data["requirement"]),
        group=data.get("group"),
        needed=bool(data["needed"]),
        precheck_in_chat=bool(data["precheck_in_chat"]),
        original_at_counter=bool(data["original_at_counter"]),
        state=ItemState(data["state"]),
        at_counter=bool(data["at_counter"]),
        rejection=Rejection(RejectionReason(rejection["reason"]), rejection.get("note", "")) if rejection else None,
        document_id=data.get("document_id"),
        requested_at_ms=data.get("requested_at_ms"),
        rejected_at_ms=data.get("rejected_at_ms"),
        received_at_ms=data.get("received_at_ms"),
        request_note=data.get("request_note"),
    )


def _preview_json(preview: MessagePreview | None) -> dict[str, Any] | None:
    return asdict(preview) if preview else None


def _preview(data: dict[str, Any] | None) -> MessagePreview | None:
    return MessagePreview(str(data["kind"]), data.get("text"), int(data["at_ms"])) if data else None


def to_model(case: Case) -> CaseModel:
    """The item for ``case`` (its version is the one the caller read), with its inbox entry while it waits."""
    appointment = case.appointment
    reasons = waiting(case)
    model = CaseModel(
        case.case_id,
        office=case.office,
        status=case.status.value,
        office_status=f"{case.office}#{case.status.value}",
        status_since=case.status_since_ms,
        office_officer=f"{case.office}#{case.assigned_officer}" if case.assigned_officer else None,
        assigned_officer=case.assigned_officer,
        applicant_key=_applicant_key(case),
        procedure=case.procedure.value,
        permit_type=case.permit_type,
        pratica_number=case.pratica_number,
        permit_expiry=case.permit_expiry.isoformat() if case.permit_expiry else None,
        applicant=asdict(case.applicant),
        checklist=[_item_to_json(item) for item in case.checklist.items],
        missing_items=set(case.checklist.missing_codes()) or None,
        documents_requested=case.documents_requested,
        appointment=(
            {
                "at": appointment.at.isoformat(),
                "place": appointment.place,
                "override_reason": appointment.override_reason,
                "counted": appointment.counted,
                "attended": appointment.attended,
            }
            if appointment
            else None
        ),
        close_reason=case.close_reason.value if case.close_reason else None,
        unanswered_since=case.unanswered_since_ms,
        last_inbound=_preview_json(case.last_inbound),
        assigned_officer_name=case.assigned_officer_name,
        inbox=case.office if reasons else None,
        inbox_officer=f"{case.office}#{case.assigned_officer or ''}" if reasons else None,
        inbox_since=reasons[0].since_ms if reasons else None,
        inbox_reasons=[{"reason": w.reason.value, "since_ms": w.since_ms} for w in reasons] or None,
        completed_at=case.completed_at_ms,
        booked_at=case.booked_at_ms,
        erasure_requested_at=case.erasure_requested_at_ms,
        erased=asdict(case.erased) if case.erased else None,
        created_at=case.created_at_ms,
        updated_at=case.updated_at_ms,
    )
    if case.version:  # a new case has no version yet: PynamoDB then saves on "does not exist"
        model.version = case.version
    return model


def from_model(item: CaseModel) -> Case:
    """The domain case stored in ``item``."""
    appointment = item.appointment
    return Case(
        case_id=item.case_id,
        office=item.office,
        procedure=Procedure(item.procedure),
        permit_type=item.permit_type,
        applicant=CaseApplicant(**item.applicant),
        checklist=Checklist(tuple(_item_from_json(data) for data in item.checklist)),
        status=CaseStatus(item.status),
        created_at_ms=int(item.created_at),
        status_since_ms=int(item.status_since),
        updated_at_ms=int(item.updated_at),
        version=int(item.version or 0),
        pratica_number=item.pratica_number,
        permit_expiry=date.fromisoformat(item.permit_expiry) if item.permit_expiry else None,
        assigned_officer=item.assigned_officer,
        documents_requested=bool(item.documents_requested),
        appointment=(
            Appointment(
                datetime.fromisoformat(appointment["at"]),
                appointment["place"],
                appointment["override_reason"],
                bool(appointment.get("counted")),
                appointment.get("attended"),
            )
            if appointment
            else None
        ),
        close_reason=CloseReason(item.close_reason) if item.close_reason else None,
        unanswered_since_ms=_optional_int(item.unanswered_since),
        last_inbound=_preview(item.last_inbound),
        assigned_officer_name=item.assigned_officer_name,
        completed_at_ms=_optional_int(item.completed_at),
        booked_at_ms=_optional_int(item.booked_at),
        erasure_requested_at_ms=_optional_int(item.erasure_requested_at),
        erased=Erasure(int(item.erased["at_ms"]), str(item.erased["by"]), str(item.erased["reason"]))
        if item.erased
        else None,
    )


def _event_record(case_id: str, event: CaseEvent) -> CaseRecordModel:
    """The line's record. A line named by its cause has a key made of its cause's time and its id, the same on
    every delivery, and is written on "does not exist" (:func:`_event_condition`); any other gets a random
    suffix."""
    record_id = f"event#{event.at_ms:015d}#{event.event_id or uuid.uuid4().hex[:8]}"
    return CaseRecordModel(
        case_id,
        record_id,
        kind=event.kind,
        at=event.at_ms,
        actor=event.actor.as_dict(),
        data=event.data,
        event_id=event.event_id,
    )


def _event_condition(event: CaseEvent) -> Any:
    return CaseRecordModel.record_id.does_not_exist() if event.event_id else None


def _document_record(document: CaseDocument) -> CaseRecordModel:
    data = asdict(document)
    data["source"] = document.source.value
    return CaseRecordModel(
        document.case_id, f"doc#{document.document_id}", kind="document", at=document.received_at_ms, data=data
    )


class TimelineReplayed(Exception):
    """A line named by its cause is stored already: the save carrying it was made before (a redelivery)."""


class DynamoCaseRepository:
    """Cases, timelines and documents in DynamoDB."""

    read_budget: int = LIST_READ_BUDGET  # items one listing reads at most

    def __init__(
        self, region: str, retention: RetentionPolicy | None = None, *, outbox_retention_days: int = 90
    ) -> None:
        self._region = region
        self._retention = retention or RetentionPolicy()
        self._outbox_retention_days = outbox_retention_days  # the outbound table's (OUTBOUND_RETENTION_DAYS)
        self._connection: Connection | None = None

    @property
    def _transactions(self) -> Connection:
        # One connection (and so one botocore client) for the life of the repository: a Connection per
        # transaction built a new client each time, ~150 ms of every case save (measured: BENCHMARKS.md).
        if self._connection is None:
            self._connection = Connection(region=self._region)
        return self._connection

    def get(self, case_id: str) -> Case:
        try:
            return from_model(CaseModel.get(case_id, consistent_read=True))
        except CaseModel.DoesNotExist:
            raise CaseNotFound(case_id) from None

    def add(self, case: Case, events: Iterable[CaseEvent], *, outbox: OutboxEntry | None = None) -> Case:
        model = self._with_expiry(to_model(case), case)
        self._write(model, list(events), condition=CaseModel.case_id.does_not_exist(), outbox=outbox)
        return from_model(model)

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
        """Save ``case`` if nobody saved it since ``case.version`` was read; returns it with its new version.

        With ``take``, one place of a counter slot is taken for the case in the same transaction (refused with
        :class:`SlotTaken` when the slot is full); with ``release``, the case's place in another slot is given back.
        ``documents`` are recorded in the same transaction (on "does not exist"): a conflict records none.
        A line of ``events`` named by its cause that is stored already means this change was saved before, by an
        earlier delivery of its cause: nothing is written again and the case is returned as stored.
        """
        model = self._with_expiry(to_model(case), case)
        try:
            self._write(model, list(events), take=take, release=release, documents=list(documents), outbox=outbox)
        except TimelineReplayed:
            return self.get(case.case_id)
        return from_model(model)

    def _write(
        self,
        model: CaseModel,
        events: list[CaseEvent],
        *,
        condition: Any = None,
        take: SlotClaim | None = None,
        release: SlotClaim | None = None,
        documents: list[CaseDocument] | None = None,
        outbox: OutboxEntry | None = None,
    ) -> None:
        # The message that tells the change, queued with it (the outbox: services/messages/messenger.py).
        queued = [outbox_item(outbox, self._outbox_retention_days)] if outbox else []
        slots = [(claim, action(claim)) for claim, action in ((take, take_action), (release, release_action)) if claim]
        documents = documents or []
        try:
            with TransactWrite(connection=self._transactions) as transaction:
                transaction.save(model, condition=condition)  # the version check is added by PynamoDB
                for event in events:
                    transaction.save(_event_record(model.case_id, event), condition=_event_condition(event))
                for document in documents:
                    transaction.save(_document_record(document), condition=CaseRecordModel.record_id.does_not_exist())
                for message in queued:
                    transaction.save(message, condition=OutboundModel.outbound_id.does_not_exist())
                for _, (item, actions, slot_condition) in slots:
                    transaction.update(item, actions=actions, condition=slot_condition)
        except TransactWriteError as exc:
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            refusal = _refusal(reasons, model.case_id, events, documents, queued, take)
            if refusal is None:
                raise
            raise refusal from None

    def _with_expiry(self, model: CaseModel, case: Case) -> CaseModel:
        """A closed case is listed for anonymising when its retention ends, and its item ends a little later, as
        a backstop; an open case (or an anonymised one) is in no such list and has no end."""
        if case.is_open or case.erased is not None:
            model.expires_at = model.anonymise_office = model.anonymise_at = None
        else:
            ends = self._retention.case_item_until_ms(case.status_since_ms)
            model.expires_at = datetime.fromtimestamp(ends / 1000, UTC)
            model.anonymise_office = case.office
            model.anonymise_at = self._retention.records_until_ms(case.status_since_ms)
        return model

    def due_for_anonymising(self, office: str, until_ms: int, limit: int) -> list[str]:
        """Ids of the office's closed cases whose retention ended by ``until_ms``, the oldest first (a Query on the
        sparse ``to_anonymise`` index: only closed cases not yet anonymised are in it)."""
        query = CaseModel.to_anonymise.query(office, CaseModel.anonymise_at <= until_ms, limit=limit)
        return [item.case_id for item in query]

    def expire_records(self, case_id: str, documents_until_ms: int, records_until_ms: int) -> None:
        """Give each record of the case its end: documents' records with their files, the rest later."""
        documents_until = datetime.fromtimestamp(documents_until_ms / 1000, UTC)
        records_until = datetime.fromtimestamp(records_until_ms / 1000, UTC)
        for record in CaseRecordModel.query(case_id):
            ends = documents_until if record.record_id.startswith("doc#") else records_until
            record.update(actions=[CaseRecordModel.expires_at.set(ends)])

    def add_events(self, case_id: str, events: Iterable[CaseEvent]) -> None:
        """Append lines; one named by its cause that is stored already is left as it is (a redelivery)."""
        for event in events:
            try:
                _event_record(case_id, event).save(condition=_event_condition(event))
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise

    def events(self, case_id: str) -> list[CaseEvent]:
        query = CaseRecordModel.query(case_id, CaseRecordModel.record_id.startswith("event#"))
        return [CaseEvent(r.kind, int(r.at), actor_from_stored(r.actor), dict(r.data or {}), r.event_id) for r in query]

    def add_document(self, document: CaseDocument) -> None:
        try:
            _document_record(document).save(condition=CaseRecordModel.record_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    def documents(self, case_id: str) -> list[CaseDocument]:
        query = CaseRecordModel.query(case_id, CaseRecordModel.record_id.startswith("doc#"))
        return [_document(dict(r.data or {})) for r in query]

    def list(self, office: str, filters: CaseFilter, limit: int, start_key: dict[str, Any] | None) -> CasePage:
        condition: Any = None
        if filters.missing:
            condition = CaseModel.missing_items.contains(filters.missing)
        if filters.unanswered:
            unanswered = CaseModel.unanswered_since.exists()
            condition = unanswered if condition is None else condition & unanswered
        query: Callable[..., ResultIterator[CaseModel]]
        if filters.status:
            range_condition = (
                CaseModel.status_since <= filters.waiting_since_ms if filters.waiting_since_ms is not None else None
            )
            if filters.officer:
                extra = CaseModel.assigned_officer == filters.officer
                condition = extra if condition is None else condition & extra
            query = partial(
                CaseModel.by_office_status.query,
                f"{office}#{filters.status.value}",
                range_condition,
                filter_condition=condition,
            )
        elif filters.officer:
            condition = _waiting(condition, filters)
            query = partial(
                CaseModel.by_office_officer.query,
                f"{office}#{filters.officer}",
                filter_condition=condition,
                scan_index_forward=False,
            )
        else:
            condition = _waiting(condition, filters)
            query = partial(
                CaseModel.by_office_updated.query, office, filter_condition=condition, scan_index_forward=False
            )
        return _bounded_page(query, limit, self.read_budget, start_key, filtered=condition is not None)

    def inbox(
        self, office: str, assigned: AssignedFilter | None, limit: int, start_key: dict[str, Any] | None
    ) -> CasePage:
        # Two sparse indexes, so that neither listing filters: every item read is an item returned.
        if assigned is None:
            result = CaseModel.by_inbox.query(office, limit=limit, last_evaluated_key=start_key)
        else:
            key = f"{office}#{'' if assigned.unassigned else assigned.username}"
            result = CaseModel.by_inbox_officer.query(key, limit=limit, last_evaluated_key=start_key)
        return CasePage([from_model(item) for item in result], result.last_evaluated_key)

    def updated_since(self, office: str, since_ms: int) -> Iterator[Case]:
        """The office's cases updated since ``since_ms`` (the office index, a Query)."""
        for item in CaseModel.by_office_updated.query(office, CaseModel.updated_at >= since_ms):
            yield from_model(item)

    def set_document_item(self, case_id: str, document_id: str, item_code: str) -> None:
        record = CaseRecordModel.get(case_id, f"doc#{document_id}")
        record.data = {**(record.data or {}), "item_code": item_code}
        record.save()

    def touch_from_chat(
        self, case_id: str, *, unanswered: bool, language: str | None, preview: MessagePreview | None = None
    ) -> None:
        """Mark the case unanswered (with what the applicant wrote) and follow their chat language, retrying over
        officers' saves."""
        for _ in range(5):
            case = self.get(case_id)
            changes: dict[str, Any] = {}
            if unanswered and case.unanswered_since_ms is None:
                changes["unanswered_since_ms"] = int(time.time() * 1000)
            if unanswered and preview is not None and preview != case.last_inbound:
                changes["last_inbound"] = preview
            if language and language != case.applicant.language:
                changes["applicant"] = replace(case.applicant, language=language)
            if not changes:
                return
            try:
                self.save(replace(case, **changes), [])
                return
            except VersionConflict:
                continue
        raise VersionConflict(case_id)

    def open_case_for(self, applicant_key: str) -> Case | None:
        for key in CaseModel.by_applicant.query(applicant_key, scan_index_forward=False):
            case = self.get(key.case_id)
            if case.is_open:
                return case
        return None

    def latest_case_for(self, applicant_key: str) -> Case | None:
        for key in CaseModel.by_applicant.query(applicant_key, scan_index_forward=False, limit=1):
            return self.get(key.case_id)
        return None


def _optional_int(value: float | None) -> int | None:
    return int(value) if value is not None else None


def _bounded_page(
    query: Callable[..., ResultIterator[CaseModel]],
    limit: int,
    budget: int,
    start_key: dict[str, Any] | None,
    *,
    filtered: bool,
) -> CasePage:
    """Up to ``limit`` cases from ``query``'s pages, reading at most ``budget`` items, and the key to go on from
    whenever the index may hold more (a short page can have a next one: the filter met its budget)."""
    pages = query(last_evaluated_key=start_key).page_iter
    cases: list[Case] = []
    read, last_key = 0, start_key
    while read < budget and len(cases) < limit:
        wanted = limit - len(cases)
        pages.page_size = min(budget - read, max(wanted, FILTERED_PAGE) if filtered else wanted)
        page = next(pages, None)
        if page is None:  # the previous page was the last
            return CasePage(cases, None)
        read += int(page["ScannedCount"])
        items = page.get("Items", [])
        taken = items[:wanted]
        cases.extend(from_model(CaseModel.from_raw_data(raw)) for raw in taken)
        if len(taken) < len(items):  # the page held more than was wanted: go on right after the last one taken
            return CasePage(cases, {name: taken[-1][name] for name in pages.key_names})
        last_key = pages.last_evaluated_key
        if last_key is None:
            break
    return CasePage(cases, last_key)


def _waiting(condition: Any, filters: CaseFilter) -> Any:
    if filters.waiting_since_ms is None:
        return condition
    extra = CaseModel.status_since <= filters.waiting_since_ms
    return extra if condition is None else condition & extra


def _document(data: dict[str, Any]) -> CaseDocument:
    data["source"] = DocumentSource(data["source"])
    return CaseDocument(**data)


def _refusal(  # noqa: PLR0917 - the parts of one transaction, in the order they were sent
    reasons: list[str | None],
    case_id: str,
    events: list[CaseEvent],
    documents: list[CaseDocument],
    queued: list[OutboundModel],
    take: SlotClaim | None,
) -> Exception | None:
    """What a cancelled case transaction means, from its parts' reasons (PynamoDB sends the puts — the case, its
    events, its documents, its queued message — before the updates — the slots —, in order); None: not ours."""
    if reasons and reasons[0] == CONDITION_FAILED:
        return VersionConflict(case_id)
    if CONDITION_FAILED in reasons[1 : 1 + len(events)]:
        return TimelineReplayed(case_id)
    queued_at = 1 + len(events) + len(documents)
    if queued and reasons[queued_at : queued_at + 1] == [CONDITION_FAILED]:
        return MessageAlreadyQueued(queued[0].outbound_id)
    slot_reasons = reasons[queued_at + len(queued) :]
    if take is not None and slot_reasons and slot_reasons[0] == CONDITION_FAILED:
        return SlotTaken(slot_key(take.at))
    if CONDITION_FAILED in reasons:
        return VersionConflict(case_id)
    return None
