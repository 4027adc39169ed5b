"""DynamoDB repository for cases, their timeline and their documents (PynamoDB).

A case and the events that tell its change are written in one transaction, conditioned on the version the
caller read: two officers saving at once never lose an update; the second gets :class:`VersionConflict`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo.calendar import release_action, take_action
from chalicelib.adapters.dynamo.case_models import CaseModel, CaseRecordModel
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
    MessagePreview,
)
from chalicelib.domain.catalogue import Procedure, Requirement
from chalicelib.domain.checklist import Checklist, ChecklistItem, ItemState, Rejection, RejectionReason
from chalicelib.domain.documents import CaseDocument, DocumentSource
from chalicelib.domain.inbox import waiting
from chalicelib.services.calendar.ports import SlotClaim, SlotTaken
from chalicelib.services.cases.ports import AssignedFilter, CaseFilter, CaseNotFound, CasePage, VersionConflict

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

CONDITION_FAILED = "ConditionalCheckFailed"


def _applicant_key(applicant: CaseApplicant) -> str:
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
        applicant_key=_applicant_key(case.applicant),
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
    )


def _event_record(case_id: str, event: CaseEvent) -> CaseRecordModel:
    record_id = f"event#{event.at_ms:015d}#{uuid.uuid4().hex[:8]}"
    return CaseRecordModel(
        case_id, record_id, kind=event.kind, at=event.at_ms, actor=event.actor.as_dict(), data=event.data
    )


class DynamoCaseRepository:
    """Cases, timelines and documents in DynamoDB."""

    def __init__(self, region: str) -> None:
        self._region = region
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

    def add(self, case: Case, events: Iterable[CaseEvent]) -> Case:
        model = to_model(case)
        self._write(model, list(events), condition=CaseModel.case_id.does_not_exist())
        return from_model(model)

    def save(
        self,
        case: Case,
        events: Iterable[CaseEvent],
        take: SlotClaim | None = None,
        release: SlotClaim | None = None,
    ) -> Case:
        """Save ``case`` if nobody saved it since ``case.version`` was read; returns it with its new version.

        With ``take``, one place of a counter slot is taken for the case in the same transaction (refused with
        :class:`SlotTaken` when the slot is full); with ``release``, the case's place in another slot is given back.
        """
        model = to_model(case)
        self._write(model, list(events), take=take, release=release)
        return from_model(model)

    def _write(
        self,
        model: CaseModel,
        events: list[CaseEvent],
        condition: Any = None,
        take: SlotClaim | None = None,
        release: SlotClaim | None = None,
    ) -> None:
        slots = [(claim, action(claim)) for claim, action in ((take, take_action), (release, release_action)) if claim]
        try:
            with TransactWrite(connection=self._transactions) as transaction:
                transaction.save(model, condition=condition)  # the version check is added by PynamoDB
                for event in events:
                    transaction.save(_event_record(model.case_id, event))
                for _, (item, actions, slot_condition) in slots:
                    transaction.update(item, actions=actions, condition=slot_condition)
        except TransactWriteError as exc:
            # PynamoDB sends the puts (the case, then its events) before the updates (the slots), in that order.
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if reasons and reasons[0] == CONDITION_FAILED:
                raise VersionConflict(model.case_id) from None
            slot_reasons = reasons[1 + len(events) :]
            if take is not None and slot_reasons and slot_reasons[0] == CONDITION_FAILED:
                raise SlotTaken(slot_key(take.at)) from None
            if any(code == CONDITION_FAILED for code in reasons):
                raise VersionConflict(model.case_id) from None
            raise

    def add_events(self, case_id: str, events: Iterable[CaseEvent]) -> None:
        for event in events:
            _event_record(case_id, event).save()

    def events(self, case_id: str) -> list[CaseEvent]:
        query = CaseRecordModel.query(case_id, CaseRecordModel.record_id.startswith("event#"))
        return [CaseEvent(r.kind, int(r.at), actor_from_stored(r.actor), dict(r.data or {})) for r in query]

    def add_document(self, document: CaseDocument) -> None:
        data = asdict(document)
        data["source"] = document.source.value
        record = CaseRecordModel(
            document.case_id, f"doc#{document.document_id}", kind="document", at=document.received_at_ms, data=data
        )
        try:
            record.save(condition=CaseRecordModel.record_id.does_not_exist())
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
        if filters.status:
            range_condition = (
                CaseModel.status_since <= filters.waiting_since_ms if filters.waiting_since_ms is not None else None
            )
            if filters.officer:
                extra = CaseModel.assigned_officer == filters.officer
                condition = extra if condition is None else condition & extra
            result = CaseModel.by_office_status.query(
                f"{office}#{filters.status.value}",
                range_condition,
                filter_condition=condition,
                limit=limit,
                last_evaluated_key=start_key,
            )
        elif filters.officer:
            result = CaseModel.by_office_officer.query(
                f"{office}#{filters.officer}",
                filter_condition=_waiting(condition, filters),
                limit=limit,
                last_evaluated_key=start_key,
                scan_index_forward=False,
            )
        else:
            result = CaseModel.by_office_updated.query(
                office,
                filter_condition=_waiting(condition, filters),
                limit=limit,
                last_evaluated_key=start_key,
                scan_index_forward=False,
            )
        cases = [from_model(item) for item in result]
        return CasePage(cases, result.last_evaluated_key)

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


def _waiting(condition: Any, filters: CaseFilter) -> Any:
    if filters.waiting_since_ms is None:
        return condition
    extra = CaseModel.status_since <= filters.waiting_since_ms
    return extra if condition is None else condition & extra


def _document(data: dict[str, Any]) -> CaseDocument:
    data["source"] = DocumentSource(data["source"])
    return CaseDocument(**data)
