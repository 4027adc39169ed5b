"""PynamoDB models: one per table, mirroring ``infra/resources.json`` (a test keeps the two in step).

Table names and region are bound by :func:`bind_models` from the settings, never at import time; ``Meta.host``
stays unset because botocore honours ``AWS_ENDPOINT_URL`` (moto server locally).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.adapters.dynamo.calendar import CalendarModel
from chalicelib.adapters.dynamo.case_models import CASE_MODELS, CaseModel, CaseRecordModel
from chalicelib.adapters.dynamo.reminders import ReminderModel
from chalicelib.adapters.dynamo.upload_links import UploadLinkModel

if TYPE_CHECKING:
    from chalicelib.settings import Settings


UNBOUND = "unbound-table"


class PendingIndex(GlobalSecondaryIndex["InboundModel"]):
    """Sparse: only messages still waiting for processing carry ``pending_shard``; the redrive sweep queries it."""

    class Meta:
        index_name = "pending"
        projection = AllProjection()

    pending_shard = UnicodeAttribute(hash_key=True)
    received_at = NumberAttribute(range_key=True)


class InboundCaseIndex(GlobalSecondaryIndex["InboundModel"]):
    """Sparse: the messages filed under a case (once processed with it), in thread order."""

    class Meta:
        index_name = "by_case"
        projection = AllProjection()

    case_id = UnicodeAttribute(hash_key=True)
    thread_key = UnicodeAttribute(range_key=True)


class InboundModel(Model):
    """An inbound WhatsApp message, keyed by applicant then wamid: the stream keeps per-applicant order."""

    class Meta:
        table_name = UNBOUND
        stream_view_type = "NEW_IMAGE"

    applicant_key = UnicodeAttribute(hash_key=True)
    wamid = UnicodeAttribute(range_key=True)
    wa_id = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute(null=True)
    profile_name = UnicodeAttribute(null=True)
    phone_number_id = UnicodeAttribute(default="")
    office = UnicodeAttribute(null=True)  # the office whose number it was sent to
    message_type = UnicodeAttribute()
    message = JSONAttribute()
    sent_at = NumberAttribute()
    received_at = NumberAttribute()
    state = UnicodeAttribute(default="pending")
    pending_shard = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    processed_at = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    # Set when the conversation handled the message for an open case: it is then part of that case's thread.
    case_id = UnicodeAttribute(null=True)
    thread_key = UnicodeAttribute(null=True)
    document_id = UnicodeAttribute(null=True)
    file_refused = UnicodeAttribute(null=True)

    pending = PendingIndex()
    by_case = InboundCaseIndex()


class WamidIndex(GlobalSecondaryIndex["OutboundModel"]):
    """Finds an outbound message by Meta's id when a status arrives without our callback data."""

    class Meta:
        index_name = "by_wamid"
        projection = KeysOnlyProjection()

    wamid = UnicodeAttribute(hash_key=True)


class OutboundCaseIndex(GlobalSecondaryIndex["OutboundModel"]):
    """Sparse: the messages sent about a case (or to its applicant while it was open), in thread order."""

    class Meta:
        index_name = "by_case"
        projection = AllProjection()

    case_id = UnicodeAttribute(hash_key=True)
    thread_key = UnicodeAttribute(range_key=True)


class UnsentIndex(GlobalSecondaryIndex["OutboundModel"]):
    """Sparse: the outbox's unsent messages (queued, released, in doubt) by the time the sweep may take them."""

    class Meta:
        index_name = "unsent"
        projection = AllProjection()

    unsent_shard = UnicodeAttribute(hash_key=True)
    retry_at = NumberAttribute(range_key=True)


class OutboundModel(Model):
    """A message we send, keyed by its idempotency key (``outbound_id``), with its delivery status."""

    class Meta:
        table_name = UNBOUND

    outbound_id = UnicodeAttribute(hash_key=True)
    applicant_key = UnicodeAttribute(null=True)
    purpose = UnicodeAttribute(null=True)
    content = JSONAttribute(null=True)
    state = UnicodeAttribute(null=True)
    wamid = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    status_rank = NumberAttribute(null=True)
    status_at = NumberAttribute(null=True)
    error_code = NumberAttribute(null=True)
    error_title = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    # The thread: the case, the author, and what the applicant read (personal data: it expires with the record).
    case_id = UnicodeAttribute(null=True)
    thread_key = UnicodeAttribute(null=True)
    author = JSONAttribute(null=True)
    rendered = UnicodeAttribute(null=True)
    options = JSONAttribute(null=True)
    # The outbox (services/messages/messenger.py): how to send it again, the claim's lease, and while unsent
    # ``unsent_shard`` with ``retry_at`` (when the sweep may take it).
    office = UnicodeAttribute(null=True)
    reply_to = UnicodeAttribute(null=True)
    link_purpose = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    retry_at = NumberAttribute(null=True)
    unsent_shard = UnicodeAttribute(null=True)
    attempts = NumberAttribute(null=True)

    by_wamid = WamidIndex()
    by_case = OutboundCaseIndex()
    unsent = UnsentIndex()


class ApplicantModel(Model):
    """What we know of an applicant on WhatsApp (identity, language, last inbound time for the 24-hour window)."""

    class Meta:
        table_name = UNBOUND

    applicant_key = UnicodeAttribute(hash_key=True)
    wa_id = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute(null=True)
    profile_name = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    first_seen_at = NumberAttribute(null=True)
    last_inbound_at = NumberAttribute(null=True)
    conversation_state = UnicodeAttribute(null=True)
    pending_document_id = UnicodeAttribute(null=True)
    last_wamid = UnicodeAttribute(null=True)
    handoff_acknowledged_at = NumberAttribute(null=True)
    opted_out_at = NumberAttribute(null=True)
    conversation_version = NumberAttribute(null=True)
    # Retention: while a case of theirs is open the applicant is ``held`` and has no expiry; otherwise they are
    # forgotten some days after their last message (or after their last case closed).
    held = BooleanAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class QuarantineDayIndex(GlobalSecondaryIndex["QuarantineModel"]):
    """Lists a day's quarantined items, newest last, without a Scan."""

    class Meta:
        index_name = "by_day"
        projection = AllProjection()

    day = UnicodeAttribute(hash_key=True)
    received_at = NumberAttribute(range_key=True)


class QuarantineModel(Model):
    """A signed webhook item we could not use, kept (bounded by TTL) for a person to inspect and replay."""

    class Meta:
        table_name = UNBOUND

    quarantine_id = UnicodeAttribute(hash_key=True)
    reason = UnicodeAttribute()
    location = UnicodeAttribute()
    detail = UnicodeAttribute(null=True)
    item = UnicodeAttribute(null=True)
    s3_key = UnicodeAttribute(null=True)
    body_sha256 = UnicodeAttribute()
    day = UnicodeAttribute()
    received_at = NumberAttribute()
    expires_at = TTLAttribute(null=True)

    by_day = QuarantineDayIndex()


class AuditModel(Model):
    """One audit entry, newest-first by ``entry_id`` (zero-padded ms + random suffix) within its office.

    Append-only: written once with a condition, never updated or deleted by the app; DynamoDB's TTL removes an
    entry once its retention (two years by default) is over.
    """

    class Meta:
        table_name = UNBOUND

    office = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    at_ms = NumberAttribute()
    actor = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    actor_username = UnicodeAttribute(null=True)
    actor_name = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    case_id = UnicodeAttribute(null=True)
    detail = MapAttribute[str, str](default=dict)
    expires_at = TTLAttribute(null=True)


class OfficerModel(Model):
    """An officer of an office as last seen (username, display name, role), expiring months after that."""

    class Meta:
        table_name = UNBOUND

    office = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute(range_key=True)
    subject = UnicodeAttribute()
    display_name = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    last_seen_at = NumberAttribute()
    expires_at = TTLAttribute(null=True)


class SummaryModel(Model):
    """A small computed record served to the public (e.g. an office's waiting times), replaced on each run."""

    class Meta:
        table_name = UNBOUND

    summary_id = UnicodeAttribute(hash_key=True)
    body = JSONAttribute()
    computed_at = NumberAttribute()


ALL_MODELS: tuple[type[Model], ...] = (
    InboundModel,
    OutboundModel,
    ApplicantModel,
    QuarantineModel,
    AuditModel,
    SummaryModel,
    OfficerModel,
    *CASE_MODELS,
    ReminderModel,
    UploadLinkModel,
    CalendarModel,
)


def bind_models(settings: Settings) -> None:
    """Point every model at its table (idempotent)."""
    names = {
        InboundModel: settings.inbound_table,
        OutboundModel: settings.outbound_table,
        ApplicantModel: settings.applicants_table,
        QuarantineModel: settings.quarantine_table,
        AuditModel: settings.audit_table,
        SummaryModel: settings.summaries_table,
        OfficerModel: settings.officers_table,
        CaseModel: settings.cases_table,
        CaseRecordModel: settings.case_records_table,
        ReminderModel: settings.reminders_table,
        UploadLinkModel: settings.upload_links_table,
        CalendarModel: settings.calendar_table,
    }
    for model, table in names.items():
        model.Meta.table_name = table
        model.Meta.region = settings.region
