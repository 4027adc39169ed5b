"""PynamoDB models of cases: the case item (with its checklist) and its records (timeline events, documents).

Listing indexes (all keyed by office, so that an officer's queries never touch another office's cases and never
Scan): by status (``office#status``, sorted by when the case entered that status, which is "waiting since"), by
assigned officer, by last update, the inbox (sparse: cases waiting for an officer, longest wait first); and by
applicant, for the chat to find an applicant's open case.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

UNBOUND = "unbound-table"


class OfficeStatusIndex(GlobalSecondaryIndex["CaseModel"]):
    """Cases of one office in one status, oldest in that status first."""

    class Meta:
        index_name = "office_status"
        projection = AllProjection()

    office_status = UnicodeAttribute(hash_key=True)
    status_since = NumberAttribute(range_key=True)


class OfficeOfficerIndex(GlobalSecondaryIndex["CaseModel"]):
    """Cases assigned to one officer of one office, by last update."""

    class Meta:
        index_name = "office_officer"
        projection = AllProjection()

    office_officer = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class OfficeUpdatedIndex(GlobalSecondaryIndex["CaseModel"]):
    """All cases of one office, by last update."""

    class Meta:
        index_name = "office_updated"
        projection = AllProjection()

    office = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class InboxIndex(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: the office's cases that wait for an officer (only they carry ``inbox``), the longest wait first."""

    class Meta:
        index_name = "inbox"
        projection = AllProjection()

    inbox = UnicodeAttribute(hash_key=True)
    inbox_since = NumberAttribute(range_key=True)


class InboxOfficerIndex(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: one officer's waiting cases (``office#username``), or nobody's (``office#``), the longest wait first."""

    class Meta:
        index_name = "inbox_officer"
        projection = AllProjection()

    inbox_officer = UnicodeAttribute(hash_key=True)
    inbox_since = NumberAttribute(range_key=True)


class ApplicantCasesIndex(GlobalSecondaryIndex["CaseModel"]):
    """An applicant's cases (keyed as the chat keys applicants), newest first."""

    class Meta:
        index_name = "by_applicant"
        projection = KeysOnlyProjection()

    applicant_key = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class ToAnonymiseIndex(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: closed cases not yet anonymised (only they carry ``anonymise_office``), by when their retention ends."""

    class Meta:
        index_name = "to_anonymise"
        projection = KeysOnlyProjection()

    anonymise_office = UnicodeAttribute(hash_key=True)
    anonymise_at = NumberAttribute(range_key=True)


class CaseModel(Model):
    """One case; ``version`` makes every save conditional on nobody having saved in between."""

    class Meta:
        table_name = UNBOUND

    case_id = UnicodeAttribute(hash_key=True)
    office = UnicodeAttribute()
    status = UnicodeAttribute()
    office_status = UnicodeAttribute()
    status_since = NumberAttribute()
    office_officer = UnicodeAttribute(null=True)
    assigned_officer = UnicodeAttribute(null=True)
    applicant_key = UnicodeAttribute()
    procedure = UnicodeAttribute()
    permit_type = UnicodeAttribute()
    pratica_number = UnicodeAttribute(null=True)
    permit_expiry = UnicodeAttribute(null=True)
    applicant = JSONAttribute()
    checklist = JSONAttribute()
    missing_items = UnicodeSetAttribute(null=True)
    documents_requested = BooleanAttribute(default=False)
    appointment = JSONAttribute(null=True)
    close_reason = UnicodeAttribute(null=True)
    unanswered_since = NumberAttribute(null=True)
    last_inbound = JSONAttribute(null=True)
    assigned_officer_name = UnicodeAttribute(null=True)
    inbox = UnicodeAttribute(null=True)  # the office, while the case waits for an officer
    inbox_officer = UnicodeAttribute(null=True)  # office#assignee (office# when unassigned), while it waits
    inbox_since = NumberAttribute(null=True)
    inbox_reasons = JSONAttribute(null=True)
    completed_at = NumberAttribute(null=True)
    booked_at = NumberAttribute(null=True)
    erasure_requested_at = NumberAttribute(null=True)  # the applicant asked to erase their data (art. 17)
    erased = JSONAttribute(null=True)  # {"at_ms", "by", "reason"} once the personal data are erased
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    version = VersionAttribute()
    # Set at closing as a backstop: an anonymised case has none (see chalicelib.domain.retention).
    expires_at = TTLAttribute(null=True)
    anonymise_office = UnicodeAttribute(null=True)  # the office, while the case is closed and not anonymised
    anonymise_at = NumberAttribute(null=True)  # when its personal fields, thread and records are due to go

    by_office_status = OfficeStatusIndex()
    by_office_officer = OfficeOfficerIndex()
    by_office_updated = OfficeUpdatedIndex()
    by_applicant = ApplicantCasesIndex()
    by_inbox = InboxIndex()
    by_inbox_officer = InboxOfficerIndex()
    to_anonymise = ToAnonymiseIndex()


class CaseRecordModel(Model):
    """A case's timeline events (``event#<ms>#<id>``: the id is the line's ``event_id`` when it has one) and
    documents (``doc#<id>``), under the case id."""

    class Meta:
        table_name = UNBOUND

    case_id = UnicodeAttribute(hash_key=True)
    record_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    at = NumberAttribute()
    actor = JSONAttribute(null=True)  # who: {"kind", "sub", "username", "name"}
    data = JSONAttribute(null=True)
    event_id = UnicodeAttribute(null=True)  # a line named by its cause (CaseEvent.event_id): stored once
    expires_at = TTLAttribute(null=True)  # set when the case closes (documents sooner than the timeline)


CASE_MODELS: tuple[type[Model], ...] = (CaseModel, CaseRecordModel)
