"""DynamoDB repository for applicants' WhatsApp identities."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.dynamo.models import ApplicantModel

if TYPE_CHECKING:
    from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.conversation import Conversation, ConversationState
from chalicelib.domain.retention import RetentionPolicy
from chalicelib.services.cases.ports import VersionConflict

CONDITION_FAILED = "ConditionalCheckFailedException"


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class DynamoApplicantStore:
    """One item per applicant key, forgotten (TTL) ``retention.applicant_days`` after their last message unless a
    case of theirs is open."""

    def __init__(self, retention: RetentionPolicy | None = None) -> None:
        self._retention = retention or RetentionPolicy()

    def record_inbound(self, applicant: ApplicantRef, profile_name: str | None, sent_at: int, now_ms: int) -> None:
        identity: list[Any] = [ApplicantModel.first_seen_at.set(ApplicantModel.first_seen_at | now_ms)]
        if applicant.wa_id:
            identity.append(ApplicantModel.wa_id.set(applicant.wa_id))
        if applicant.user_id:
            identity.append(ApplicantModel.user_id.set(applicant.user_id))
        if profile_name:
            identity.append(ApplicantModel.profile_name.set(profile_name))
        newer = ApplicantModel.last_inbound_at.does_not_exist() | (ApplicantModel.last_inbound_at < sent_at)
        latest = [*identity, ApplicantModel.last_inbound_at.set(sent_at)]
        # The silence counts from the later of the message (Meta's seconds) and now: a late one never shortens it.
        last_seen_ms = max(sent_at * 1000, now_ms)
        expiry = ApplicantModel.expires_at.set(_at(self._retention.applicant_until_ms(last_seen_ms)))
        attempts: tuple[tuple[list[Any], Any], ...] = (
            ([*latest, expiry], newer & ApplicantModel.held.does_not_exist()),
            (latest, newer),  # held by an open case: no expiry
            (identity, None),  # an older message processed late: keep the later last_inbound_at and its expiry
        )
        item = ApplicantModel(applicant.key)
        for actions, condition in attempts:
            try:
                item.update(actions=actions, condition=condition)
                return
            except UpdateError as exc:
                if exc.cause_response_code != CONDITION_FAILED:
                    raise

    def hold(self, applicant_key: str) -> None:
        ApplicantModel(applicant_key).update(
            actions=[ApplicantModel.held.set(True), ApplicantModel.expires_at.remove()]
        )

    def release(self, applicant_key: str, until_ms: int) -> None:
        ApplicantModel(applicant_key).update(
            actions=[ApplicantModel.held.remove(), ApplicantModel.expires_at.set(_at(until_ms))]
        )

    def last_inbound_at(self, applicant: ApplicantRef) -> int | None:
        try:
            item = ApplicantModel.get(applicant.key, attributes_to_get=["last_inbound_at"])
        except ApplicantModel.DoesNotExist:
            return None
        return int(item.last_inbound_at) if item.last_inbound_at is not None else None


class DynamoConversationStore:
    """Conversations live on the applicant's item; a version number guards against a concurrent turn."""

    def load(self, applicant: ApplicantRef) -> Conversation:
        try:
            item = ApplicantModel.get(applicant.key, consistent_read=True)
        except ApplicantModel.DoesNotExist:
            return Conversation(applicant.key)
        return Conversation(
            applicant_key=applicant.key,
            state=ConversationState(item.conversation_state or ConversationState.NEW.value),
            language=item.language,
            pending_document_id=item.pending_document_id,
            last_wamid=item.last_wamid,
            handoff_acknowledged_at_ms=_int(item.handoff_acknowledged_at),
            opted_out_at_ms=_int(item.opted_out_at),
            version=int(item.conversation_version or 0),
        )

    def save(self, conversation: Conversation) -> None:
        model = ApplicantModel
        unchanged = (
            model.conversation_version.does_not_exist()
            if conversation.version == 0
            else model.conversation_version == conversation.version
        )
        actions: list[Any] = [
            model.conversation_state.set(conversation.state.value),
            model.conversation_version.set(conversation.version + 1),
        ]
        texts = (
            (model.language, conversation.language),
            (model.pending_document_id, conversation.pending_document_id),
            (model.last_wamid, conversation.last_wamid),
        )
        numbers = (
            (model.handoff_acknowledged_at, conversation.handoff_acknowledged_at_ms),
            (model.opted_out_at, conversation.opted_out_at_ms),
        )
        for text_attribute, text in texts:
            actions.append(text_attribute.set(text) if text is not None else text_attribute.remove())
        for number_attribute, number in numbers:
            actions.append(number_attribute.set(number) if number is not None else number_attribute.remove())
        try:
            model(conversation.applicant_key).update(actions=actions, condition=unchanged)
        except UpdateError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                raise VersionConflict(conversation.applicant_key) from None
            raise

    def opted_out(self, applicant: ApplicantRef) -> bool:
        try:
            item = ApplicantModel.get(applicant.key, attributes_to_get=["opted_out_at"])
        except ApplicantModel.DoesNotExist:
            return False
        return item.opted_out_at is not None


def _int(value: float | None) -> int | None:
    return int(value) if value is not None else None
