"""Erasure and access on DynamoDB and S3: every item and object of a case and its applicant, found by key or by an
index (never a Scan), deleted one by one (each delete is idempotent, so an interrupted erasure is simply redone).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.dynamo.case_models import CaseModel, CaseRecordModel
from chalicelib.adapters.dynamo.messages import inbound_from_model
from chalicelib.adapters.dynamo.models import ApplicantModel, InboundModel, OutboundModel
from chalicelib.adapters.dynamo.reminders import ReminderModel
from chalicelib.adapters.dynamo.upload_links import UploadLinkModel

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from pynamodb.models import Model

    from chalicelib.domain.inbound import InboundMessage

CONDITION_FAILED = "ConditionalCheckFailedException"
DELETE_BATCH = 1000  # S3's DeleteObjects limit


def _delete_all(items: Iterable[Model]) -> int:
    count = 0
    for item in items:
        item.delete()
        count += 1
    return count


class PersonalDataEraser:
    """:class:`~chalicelib.services.cases.erasure.ErasureStore` and the export's applicant records."""

    def __init__(self, bucket: str, s3: Callable[[], Any]) -> None:
        self._bucket = bucket
        self._s3 = s3

    def delete_objects(self, prefix: str) -> int:
        # Versions, not just keys: should the bucket ever keep versions, a plain delete would leave them behind.
        client = self._s3()
        count = 0
        for page in client.get_paginator("list_object_versions").paginate(Bucket=self._bucket, Prefix=prefix):
            found = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            keys = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in found]
            for start in range(0, len(keys), DELETE_BATCH):
                chunk = keys[start : start + DELETE_BATCH]
                client.delete_objects(Bucket=self._bucket, Delete={"Objects": chunk, "Quiet": True})
                count += len(chunk)
        return count

    def delete_case_records(self, case_id: str) -> int:
        return _delete_all(CaseRecordModel.query(case_id))

    def delete_thread(self, case_id: str) -> int:
        inbound = _delete_all(InboundModel.by_case.query(case_id))
        return inbound + _delete_all(OutboundModel.by_case.query(case_id))

    def delete_upload_links(self, case_id: str) -> int:
        return _delete_all(UploadLinkModel.by_case.query(case_id))

    def delete_reminders(self, case_id: str) -> int:
        return _delete_all(ReminderModel.query(case_id))

    def has_other_case(self, applicant_key: str, case_id: str) -> bool:
        return any(key.case_id != case_id for key in CaseModel.by_applicant.query(applicant_key))

    def unfiled_messages(self, applicant_key: str) -> list[InboundMessage]:
        items = InboundModel.query(applicant_key, filter_condition=InboundModel.case_id.does_not_exist())
        return [inbound_from_model(item) for item in items]

    def delete_outbound(self, outbound_ids: Iterable[str]) -> None:
        # Most of the ids name nothing (a turn's replies are fewer than the ids tried): one batch per 25 deletes.
        with OutboundModel.batch_write() as batch:
            for outbound_id in outbound_ids:
                batch.delete(OutboundModel(outbound_id))

    def forget_applicant(self, applicant_key: str) -> int:
        # The applicant's partition of the inbound table holds what they wrote outside any case too.
        count = _delete_all(InboundModel.query(applicant_key))
        ApplicantModel(applicant_key).delete()
        return count + 1

    def expire_outbound(self, outbound_id: str, at_ms: int) -> None:
        expiry = datetime.fromtimestamp(at_ms / 1000, tz=UTC)
        try:
            OutboundModel(outbound_id).update(
                actions=[OutboundModel.expires_at.set(expiry)], condition=OutboundModel.outbound_id.exists()
            )
        except UpdateError as exc:
            if exc.cause_response_code != CONDITION_FAILED:
                raise

    def record(self, applicant_key: str) -> Mapping[str, Any] | None:
        try:
            item = ApplicantModel.get(applicant_key, consistent_read=True)
        except ApplicantModel.DoesNotExist:
            return None
        return {name: value for name, value in item.attribute_values.items() if value is not None}
