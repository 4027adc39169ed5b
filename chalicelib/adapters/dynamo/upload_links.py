"""Upload links (by token hash) and announced uploads (``upload#<id>`` records under their case)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters.dynamo.case_models import CaseRecordModel
from chalicelib.domain.actors import actor_from_stored
from chalicelib.domain.upload_links import LinkPurpose, UploadLink
from chalicelib.domain.uploads import Upload, UploadProblem, UploadState

UNBOUND = "unbound-table"
KEEP_AFTER_EXPIRY = timedelta(days=30)  # officers can still see an expired link for a month; then TTL removes it


class CaseLinksIndex(GlobalSecondaryIndex["UploadLinkModel"]):
    """A case's links, newest first: for officers' listing and revocation."""

    class Meta:
        index_name = "by_case"
        projection = AllProjection()

    case_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class UploadLinkModel(Model):
    """One issued link; the token itself is never stored, only its SHA-256."""

    class Meta:
        table_name = UNBOUND

    token_hash = UnicodeAttribute(hash_key=True)
    link_id = UnicodeAttribute()
    case_id = UnicodeAttribute()
    office = UnicodeAttribute()
    created_at = NumberAttribute()
    expires_at_ms = NumberAttribute()
    issued_for = UnicodeAttribute()
    uses = NumberAttribute(default=0)
    revoked_at = NumberAttribute(null=True)
    revoked_by = JSONAttribute(null=True)  # the officer: {"kind", "sub", "username", "name"}
    expires_at = TTLAttribute(null=True)

    by_case = CaseLinksIndex()


def _link(model: UploadLinkModel) -> UploadLink:
    return UploadLink(
        token_hash=model.token_hash,
        link_id=model.link_id,
        case_id=model.case_id,
        office=model.office,
        created_at_ms=int(model.created_at),
        expires_at_ms=int(model.expires_at_ms),
        issued_for=LinkPurpose(model.issued_for),
        uses=int(model.uses or 0),
        revoked_at_ms=int(model.revoked_at) if model.revoked_at is not None else None,
        revoked_by=actor_from_stored(model.revoked_by) if model.revoked_by else None,
    )


class DynamoUploadLinkStore:
    """Links in their own table, keyed by token hash, with a by-case index."""

    def add(self, link: UploadLink) -> None:
        UploadLinkModel(
            link.token_hash,
            link_id=link.link_id,
            case_id=link.case_id,
            office=link.office,
            created_at=link.created_at_ms,
            expires_at_ms=link.expires_at_ms,
            issued_for=link.issued_for.value,
            uses=0,
            expires_at=datetime.fromtimestamp(link.expires_at_ms / 1000, UTC) + KEEP_AFTER_EXPIRY,
        ).save(condition=UploadLinkModel.token_hash.does_not_exist())

    def use(self, token_hash: str) -> UploadLink | None:
        # One atomic write counts the use and reads the link back; the condition keeps unknown hashes from
        # creating items (an UpdateItem would otherwise upsert).
        model = UploadLinkModel(token_hash)
        try:
            model.update(actions=[UploadLinkModel.uses.add(1)], condition=UploadLinkModel.token_hash.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return _link(model)

    def for_case(self, case_id: str) -> list[UploadLink]:
        return [_link(m) for m in UploadLinkModel.by_case.query(case_id, scan_index_forward=False)]

    def save_revocation(self, link: UploadLink) -> None:
        if link.revoked_at_ms is None or link.revoked_by is None:
            raise ValueError("the link is not revoked")
        UploadLinkModel(link.token_hash).update(
            actions=[
                UploadLinkModel.revoked_at.set(link.revoked_at_ms),
                UploadLinkModel.revoked_by.set(link.revoked_by.as_dict()),
            ],
            condition=UploadLinkModel.token_hash.exists(),
        )


def _upload_data(upload: Upload) -> dict[str, Any]:
    data = asdict(upload)
    data["state"] = upload.state.value
    data["problem"] = upload.problem.value if upload.problem else None
    return data


def _upload(data: dict[str, Any]) -> Upload:
    return Upload(
        upload_id=data["upload_id"],
        case_id=data["case_id"],
        link_id=data["link_id"],
        item_code=data["item_code"],
        content_type=data["content_type"],
        size_bytes=int(data["size_bytes"]),
        created_at_ms=int(data["created_at_ms"]),
        state=UploadState(data["state"]),
        document_id=data.get("document_id"),
        problem=UploadProblem(data["problem"]) if data.get("problem") else None,
    )


def _record(upload: Upload) -> CaseRecordModel:
    return CaseRecordModel(
        upload.case_id, f"upload#{upload.upload_id}", kind="upload", at=upload.created_at_ms, data=_upload_data(upload)
    )


class DynamoUploadStore:
    """Uploads as ``upload#<id>`` records in the case records table (one partition per case)."""

    def add(self, upload: Upload) -> None:
        _record(upload).save(condition=CaseRecordModel.record_id.does_not_exist())

    def get(self, case_id: str, upload_id: str) -> Upload | None:
        try:
            record = CaseRecordModel.get(case_id, f"upload#{upload_id}", consistent_read=True)
        except CaseRecordModel.DoesNotExist:
            return None
        return _upload(dict(record.data or {}))

    def save(self, upload: Upload) -> None:
        _record(upload).save()
