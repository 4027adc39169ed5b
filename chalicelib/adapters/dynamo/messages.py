"""DynamoDB repositories for inbound and outbound messages (PynamoDB), behind the ports in services.stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.adapters.dynamo.models import InboundModel, OutboundModel
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.delivery import DeliveryStatus, StatusUpdate
from chalicelib.domain.inbound import InboundMessage, MessageType
from chalicelib.domain.outbound import Template
from chalicelib.domain.thread import Direction, thread_key
from chalicelib.services.messages.ports import ClaimOutcome, PendingInbound, StatusOutcome

if TYPE_CHECKING:
    from collections.abc import Iterator

    from chalicelib.domain.outbound import OutboundMessage
    from chalicelib.services.messages.ports import InboundFiling
    from chalicelib.services.messages.rendering import Rendered

# One shard is plenty for one office's traffic (a GSI partition takes 1,000 writes/s); raise it by making the
# shard a function of the applicant key, and query each shard in pending_since.
PENDING_SHARD = "pending"
CONDITION_FAILED = "ConditionalCheckFailedException"


def _expiry(now_ms: int, days: int) -> datetime:
    return datetime.fromtimestamp(now_ms / 1000, tz=UTC) + timedelta(days=days)


def inbound_from_model(item: InboundModel) -> InboundMessage:
    """The domain message stored in an inbound item."""
    return InboundMessage(
        wamid=item.wamid,
        applicant=ApplicantRef(wa_id=item.wa_id, user_id=item.user_id),
        sent_at=int(item.sent_at),
        type=MessageType(item.message_type),
        message=dict(item.message),
        phone_number_id=item.phone_number_id,
        profile_name=item.profile_name,
        office=item.office,
        received_at_ms=int(item.received_at),
    )


def inbound_from_stream_image(image: dict[str, Any]) -> InboundMessage:
    """The domain message in a DynamoDB stream record's ``NewImage``."""
    return inbound_from_model(InboundModel.from_raw_data(image))


class DynamoInboundStore:
    """Inbound messages: one item per (applicant, wamid), written with a condition so a wamid is stored once."""

    def __init__(self, retention_days: int) -> None:
        self._retention_days = retention_days

    def add(self, message: InboundMessage, received_at_ms: int) -> bool:
        item = InboundModel(
            message.applicant.key,
            message.wamid,
            wa_id=message.applicant.wa_id,
            user_id=message.applicant.user_id,
            profile_name=message.profile_name,
            phone_number_id=message.phone_number_id,
            office=message.office,
            message_type=message.type.value,
            message=message.message,
            sent_at=message.sent_at,
            received_at=received_at_ms,
            state="pending",
            pending_shard=PENDING_SHARD,
            expires_at=_expiry(received_at_ms, self._retention_days),
        )
        try:
            item.save(condition=InboundModel.wamid.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                return False
            raise
        return True

    def is_processed(self, message: InboundMessage) -> bool:
        try:
            item = InboundModel.get(
                message.applicant.key, message.wamid, consistent_read=True, attributes_to_get=["state"]
            )
        except InboundModel.DoesNotExist:
            return False
        return item.state == "processed"

    def mark_processed(self, message: InboundMessage, now_ms: int) -> None:
        InboundModel(message.applicant.key, message.wamid).update(
            actions=[
                InboundModel.state.set("processed"),
                InboundModel.processed_at.set(now_ms),
                InboundModel.pending_shard.remove(),
            ],
            condition=InboundModel.wamid.exists(),
        )

    def record_failure(self, message: InboundMessage, error_type: str) -> None:
        InboundModel(message.applicant.key, message.wamid).update(
            actions=[InboundModel.attempts.add(1), InboundModel.last_error.set(error_type)],
            condition=InboundModel.wamid.exists(),
        )

    def pending_since(self, before_ms: int, limit: int) -> Iterator[PendingInbound]:
        query = InboundModel.pending.query(PENDING_SHARD, InboundModel.received_at < before_ms, limit=limit)
        for item in query:
            yield PendingInbound(inbound_from_model(item), int(item.attempts or 0))

    def file_under_case(self, message: InboundMessage, case_id: str, filing: InboundFiling) -> None:
        received = message.received_at_ms if message.received_at_ms is not None else message.sent_at * 1000
        actions: list[Any] = [
            InboundModel.case_id.set(case_id),
            InboundModel.thread_key.set(thread_key(received, Direction.IN, message.wamid)),
        ]
        if filing.document_id:
            actions.append(InboundModel.document_id.set(filing.document_id))
        if filing.refused:
            actions.append(InboundModel.file_refused.set(filing.refused))
        InboundModel(message.applicant.key, message.wamid).update(
            actions=actions, condition=InboundModel.wamid.exists()
        )


class DynamoOutboundStore:
    """Outbound messages keyed by idempotency key; Meta's statuses update them in one conditional write."""

    def __init__(self, retention_days: int) -> None:
        self._retention_days = retention_days

    def claim(self, message: OutboundMessage, now_ms: int, rendered: Rendered) -> ClaimOutcome:
        item = OutboundModel(
            message.outbound_id,
            applicant_key=message.recipient.key,
            purpose=message.purpose,
            content=message.recorded_content(),
            state="sending",
            created_at=now_ms,
            updated_at=now_ms,
            expires_at=_expiry(now_ms, self._retention_days),
            case_id=message.case_id,
            thread_key=thread_key(now_ms, Direction.OUT, message.outbound_id) if message.case_id else None,
            author=message.author.as_dict(),
            rendered=rendered.text,
            options=list(rendered.options) or None,
        )
        released = OutboundModel.state == "released"
        try:
            item.save(condition=OutboundModel.outbound_id.does_not_exist() | released)
        except PutError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                return ClaimOutcome.ALREADY_HANDLED
            raise
        return ClaimOutcome.CLAIMED

    def record_accepted(self, outbound_id: str, wamid: str, now_ms: int) -> None:
        # A status webhook may have beaten us here: keep whatever status it set.
        OutboundModel(outbound_id).update(
            actions=[
                OutboundModel.state.set("accepted"),
                OutboundModel.wamid.set(wamid),
                OutboundModel.status.set(OutboundModel.status | DeliveryStatus.ACCEPTED.value),
                OutboundModel.status_rank.set(OutboundModel.status_rank | DeliveryStatus.ACCEPTED.rank),
                OutboundModel.updated_at.set(now_ms),
            ]
        )

    def release(self, outbound_id: str, error_code: int | None, now_ms: int) -> None:
        actions: list[Any] = [OutboundModel.state.set("released"), OutboundModel.updated_at.set(now_ms)]
        if error_code is not None:
            actions.append(OutboundModel.error_code.set(error_code))
        OutboundModel(outbound_id).update(actions=actions)

    def record_failed(self, outbound_id: str, error_code: int | None, title: str, now_ms: int) -> None:
        actions: list[Any] = [
            OutboundModel.state.set("failed"),
            OutboundModel.error_title.set(title),
            OutboundModel.updated_at.set(now_ms),
        ]
        if error_code is not None:
            actions.append(OutboundModel.error_code.set(error_code))
        OutboundModel(outbound_id).update(actions=actions)

    def apply_status(self, update: StatusUpdate, now_ms: int) -> StatusOutcome:
        outbound_id = update.outbound_id or self._find_by_wamid(update.wamid)
        if outbound_id is None:
            return StatusOutcome.UNKNOWN_MESSAGE
        actions: list[Any] = [
            OutboundModel.status.set(update.status.value),
            OutboundModel.status_rank.set(update.status.rank),
            OutboundModel.status_at.set(update.timestamp),
            OutboundModel.wamid.set(OutboundModel.wamid | update.wamid),
            OutboundModel.updated_at.set(now_ms),
        ]
        if update.errors:
            actions.append(OutboundModel.error_title.set(update.errors[0].title or "failed"))
            if update.error_code is not None:
                actions.append(OutboundModel.error_code.set(update.error_code))
        forward = OutboundModel.status_rank.does_not_exist() | (OutboundModel.status_rank < update.status.rank)
        item = OutboundModel(outbound_id)
        try:
            # Only on a message we sent: callback data naming anything else must not create a record.
            item.update(actions=actions, condition=OutboundModel.outbound_id.exists() & forward)  # ALL_NEW comes back
        except UpdateError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                return StatusOutcome.STALE if self._exists(outbound_id) else StatusOutcome.UNKNOWN_MESSAGE
            raise
        content = item.content if isinstance(item.content, dict) else {}
        if update.status is DeliveryStatus.FAILED and content.get("kind") == Template.__name__:
            return StatusOutcome.TEMPLATE_FAILED
        return StatusOutcome.APPLIED

    @staticmethod
    def _exists(outbound_id: str) -> bool:
        """Whether a refused status was stale or for no message of ours (one read, only when refused)."""
        try:
            OutboundModel.get(outbound_id, consistent_read=True, attributes_to_get=["outbound_id"])
        except OutboundModel.DoesNotExist:
            return False
        return True

    @staticmethod
    def _find_by_wamid(wamid: str) -> str | None:
        for item in OutboundModel.by_wamid.query(wamid, limit=1):
            return str(item.outbound_id)
        return None
