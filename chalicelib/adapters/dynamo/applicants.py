"""DynamoDB repository for applicants' WhatsApp identities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.dynamo.models import ApplicantModel

if TYPE_CHECKING:
    from chalicelib.domain.applicants import ApplicantRef

CONDITION_FAILED = "ConditionalCheckFailedException"


class DynamoApplicantStore:
    """One item per applicant key."""

    def record_inbound(self, applicant: ApplicantRef, profile_name: str | None, sent_at: int, now_ms: int) -> None:
        identity: list[Any] = [ApplicantModel.first_seen_at.set(ApplicantModel.first_seen_at | now_ms)]
        if applicant.wa_id:
            identity.append(ApplicantModel.wa_id.set(applicant.wa_id))
        if applicant.user_id:
            identity.append(ApplicantModel.user_id.set(applicant.user_id))
        if profile_name:
            identity.append(ApplicantModel.profile_name.set(profile_name))
        newer = ApplicantModel.last_inbound_at.does_not_exist() | (ApplicantModel.last_inbound_at < sent_at)
        item = ApplicantModel(applicant.key)
        try:
            item.update(actions=[*identity, ApplicantModel.last_inbound_at.set(sent_at)], condition=newer)
        except UpdateError as exc:
            if exc.cause_response_code != CONDITION_FAILED:
                raise
            # An older message processed late: refresh the identity, keep the later last_inbound_at.
            item.update(actions=identity)

    def last_inbound_at(self, applicant: ApplicantRef) -> int | None:
        try:
            item = ApplicantModel.get(applicant.key, attributes_to_get=["last_inbound_at"])
        except ApplicantModel.DoesNotExist:
            return None
        return int(item.last_inbound_at) if item.last_inbound_at is not None else None

    def language_of(self, applicant: ApplicantRef) -> str | None:
        try:
            item = ApplicantModel.get(applicant.key, attributes_to_get=["language"])
        except ApplicantModel.DoesNotExist:
            return None
        return item.language
