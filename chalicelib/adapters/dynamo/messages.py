"""DynamoDB repositories for inbound and outbound messages (PynamoDB), behind the ports in services.stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.adapters.dynamo.models import InboundModel, OutboundModel
from chalicelib.domain.actors import actor_from_stored
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.delivery import DeliveryStatus, StatusUpdate
from chalicelib.domain.inbound import InboundMessage, MessageType
from chalicelib.domain.outbound import OutboundMessage, Template, content_from_recorded
from chalicelib.domain.thread import Direction, thread_key
from chalicelib.domain.upload_links import LinkPurpose
from chalicelib.services.messages.ports import Claim, ClaimOutcome, PendingInbound, StatusOutcome, UnsentMessage

if TYPE_CHECKING:
    from collections.abc import Iterator

    from chalicelib.services.messages.ports import InboundFiling, Lease, OutboxEntry
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


UNSENT_SHARD = "unsent"
# The states in which a message may still have to be sent (the others: accepted, failed).
CLAIMABLE = ("queued", "released")
IN_DOUBT = ("sending", "uncertain")


def _recipient(message: OutboundMessage) -> str:
    return message.recipient.key


def outbox_item(entry: OutboxEntry, retention_days: int) -> OutboundModel:
    """The ``queued`` record of an outbox entry, to be written with the change that says it (see cases.py)."""
    message, now = entry.message, entry.queued_at_ms
    return OutboundModel(
        message.outbound_id,
        applicant_key=_recipient(message),
        purpose=message.purpose,
        content=message.recorded_content(),
        state="queued",
        created_at=now,
        updated_at=now,
        expires_at=_expiry(now, retention_days),
        case_id=message.case_id,
        thread_key=thread_key(now, Direction.OUT, message.outbound_id) if message.case_id else None,
        author=message.author.as_dict(),
        rendered=entry.rendered.text,
        options=list(entry.rendered.options) or None,
        office=message.office,
        reply_to=message.reply_to,
        link_purpose=message.link.value if message.link else None,
        retry_at=entry.sendable_at_ms,
        unsent_shard=UNSENT_SHARD,
        attempts=0,
    )


def _unsent(item: OutboundModel) -> UnsentMessage:
    message = OutboundMessage(
        item.outbound_id,
        ApplicantRef.from_key(str(item.applicant_key)),
        content_from_recorded(dict(item.content or {})),
        reply_to=item.reply_to,
        purpose=item.purpose or "reply",
        case_id=item.case_id,
        author=actor_from_stored(item.author),
        office=item.office,
        link=LinkPurpose(item.link_purpose) if item.link_purpose else None,
    )
    return UnsentMessage(message, int(item.attempts or 0))


class DynamoOutboundStore:
    """Outbound messages keyed by idempotency key; Meta's statuses update them in one conditional write."""

    def __init__(self, retention_days: int) -> None:
        self._retention_days = retention_days

    def claim(self, message: OutboundMessage, now_ms: int, rendered: Rendered, lease: Lease) -> Claim:
        M = OutboundModel
        # Kept from the first write (the outbox's queued record, or an earlier claim): the thread's place and
        # what the record says the message is (without tokens) never move.
        first: list[Any] = [
            M.applicant_key.set(M.applicant_key | _recipient(message)),
            M.purpose.set(M.purpose | message.purpose),
            M.content.set(M.content | message.recorded_content()),
            M.created_at.set(M.created_at | now_ms),
            M.expires_at.set(M.expires_at | _expiry(now_ms, self._retention_days)),
            M.author.set(M.author | message.author.as_dict()),
            M.rendered.set(M.rendered | rendered.text),
        ]
        if message.case_id:
            first += [
                M.case_id.set(M.case_id | message.case_id),
                M.thread_key.set(M.thread_key | thread_key(now_ms, Direction.OUT, message.outbound_id)),
            ]
        if rendered.options:
            first.append(M.options.set(M.options | list(rendered.options)))
        for attribute, value in ((M.office, message.office), (M.reply_to, message.reply_to)):
            if value is not None:
                first.append(attribute.set(attribute | value))
        if message.link is not None:
            first.append(M.link_purpose.set(M.link_purpose | message.link.value))
        actions = [
            *first,
            M.state.set("sending"),
            M.lease_until.set(lease.until_ms),
            # Should this worker die, the record waits for Meta's status until then, and is the sweep's after.
            M.retry_at.set(lease.reconcile_at_ms),
            M.unsent_shard.set(UNSENT_SHARD),
            M.attempts.add(1),
            M.updated_at.set(now_ms),
        ]
        in_doubt_past_reconcile = M.state.is_in(*IN_DOUBT) & (M.retry_at <= now_ms) & M.wamid.does_not_exist()
        condition = M.outbound_id.does_not_exist() | M.state.is_in(*CLAIMABLE) | in_doubt_past_reconcile
        try:
            M(message.outbound_id).update(actions=actions, condition=condition)
        except UpdateError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                return self._not_claimed(message.outbound_id)
            raise
        return Claim(ClaimOutcome.CLAIMED)

    @staticmethod
    def _not_claimed(outbound_id: str) -> Claim:
        """Why a claim was refused (one consistent read, only when refused)."""
        try:
            item = OutboundModel.get(outbound_id, consistent_read=True)
        except OutboundModel.DoesNotExist:  # removed in between (expiry, erasure): nothing to send now
            return Claim(ClaimOutcome.IN_FLIGHT)
        if item.wamid or item.state == "accepted":
            return Claim(ClaimOutcome.ALREADY_HANDLED, wamid=item.wamid)
        if item.state == "failed":
            return Claim(ClaimOutcome.ALREADY_FAILED)
        return Claim(ClaimOutcome.IN_FLIGHT, retry_at_ms=int(item.retry_at) if item.retry_at is not None else None)

    def record_accepted(self, outbound_id: str, wamid: str, now_ms: int) -> None:
        # A status webhook may have beaten us here: keep whatever status it set.
        OutboundModel(outbound_id).update(
            actions=[
                OutboundModel.state.set("accepted"),
                OutboundModel.wamid.set(wamid),
                OutboundModel.status.set(OutboundModel.status | DeliveryStatus.ACCEPTED.value),
                OutboundModel.status_rank.set(OutboundModel.status_rank | DeliveryStatus.ACCEPTED.rank),
                OutboundModel.updated_at.set(now_ms),
                OutboundModel.unsent_shard.remove(),
            ]
        )

    def release(self, outbound_id: str, error_code: int | None, now_ms: int) -> None:
        actions: list[Any] = [
            OutboundModel.state.set("released"),
            OutboundModel.updated_at.set(now_ms),
            OutboundModel.retry_at.set(now_ms),  # the sweep's from its next run
            OutboundModel.unsent_shard.set(UNSENT_SHARD),
        ]
        if error_code is not None:
            actions.append(OutboundModel.error_code.set(error_code))
        OutboundModel(outbound_id).update(actions=actions)

    def record_uncertain(self, outbound_id: str, now_ms: int, reconcile_at_ms: int) -> None:
        OutboundModel(outbound_id).update(
            actions=[
                OutboundModel.state.set("uncertain"),
                OutboundModel.retry_at.set(reconcile_at_ms),
                OutboundModel.unsent_shard.set(UNSENT_SHARD),
                OutboundModel.updated_at.set(now_ms),
            ]
        )

    def record_failed(self, outbound_id: str, error_code: int | None, title: str, now_ms: int) -> None:
        actions: list[Any] = [
            OutboundModel.state.set("failed"),
            OutboundModel.error_title.set(title),
            OutboundModel.updated_at.set(now_ms),
            OutboundModel.unsent_shard.remove(),
        ]
        if error_code is not None:
            actions.append(OutboundModel.error_code.set(error_code))
        OutboundModel(outbound_id).update(actions=actions)

    def unsent(self, now_ms: int, limit: int) -> list[UnsentMessage]:
        query = OutboundModel.unsent.query(UNSENT_SHARD, OutboundModel.retry_at <= now_ms, limit=limit)
        return [_unsent(item) for item in query]

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
            OutboundModel.unsent_shard.remove(),  # Meta has it (a wamid): out of the outbox, never sent again
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
        if item.state in IN_DOUBT:
            self._settle(outbound_id, now_ms)
        content = item.content if isinstance(item.content, dict) else {}
        if update.status is DeliveryStatus.FAILED and content.get("kind") == Template.__name__:
            return StatusOutcome.TEMPLATE_FAILED
        return StatusOutcome.APPLIED

    @staticmethod
    def _settle(outbound_id: str, now_ms: int) -> None:
        """Meta's status proves a send in doubt (a worker died, or a read timed out) reached Meta: the record is
        accepted, its lease gone (a second write, only for records in doubt; a racing claim's record keeps its own)."""
        M = OutboundModel
        try:
            M(outbound_id).update(
                actions=[M.state.set("accepted"), M.lease_until.remove(), M.updated_at.set(now_ms)],
                condition=M.state.is_in(*IN_DOUBT) & M.wamid.exists(),
            )
        except UpdateError as exc:
            if exc.cause_response_code != CONDITION_FAILED:
                raise

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
