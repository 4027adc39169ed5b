"""DynamoDB (and S3, for bodies too large for an item) repository for quarantined webhook items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo.models import QuarantineModel

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.services.messages.ports import QuarantineRecord

# DynamoDB items stop at 400 KB and Meta's payloads reach 3 MB: larger bodies go to the (encrypted) bucket.
INLINE_LIMIT_BYTES = 300_000


class DynamoQuarantineStore:
    """Quarantine records, expiring after ``retention_days``."""

    def __init__(self, retention_days: int, bucket: str, s3_client: Callable[[], Any]) -> None:
        self._retention_days = retention_days
        self._bucket = bucket
        self._s3_client = s3_client

    def put(self, record: QuarantineRecord) -> None:
        received = datetime.fromtimestamp(record.received_at_ms / 1000, tz=UTC)
        day = received.strftime("%Y-%m-%d")
        body = record.item_json.encode()
        item_text: str | None = record.item_json
        s3_key: str | None = None
        if len(body) > INLINE_LIMIT_BYTES:
            s3_key = f"quarantine/{day}/{record.quarantine_id}.json"
            self._s3_client().put_object(Bucket=self._bucket, Key=s3_key, Body=body, ServerSideEncryption="aws:kms")
            item_text = None
        QuarantineModel(
            record.quarantine_id,
            reason=record.reason,
            location=record.location,
            detail=record.detail or None,
            item=item_text,
            s3_key=s3_key,
            body_sha256=record.body_sha256,
            day=day,
            received_at=record.received_at_ms,
            expires_at=received + timedelta(days=self._retention_days),
        ).save()

    def on_day(self, day: str) -> list[dict[str, object]]:
        """A day's quarantined items (``YYYY-MM-DD``), oldest first, by the ``by_day`` index."""
        return [
            {
                "quarantine_id": item.quarantine_id,
                "reason": item.reason,
                "location": item.location,
                "detail": item.detail,
                "received_at": int(item.received_at),
                "in_s3": item.s3_key is not None,
            }
            for item in QuarantineModel.by_day.query(day)
        ]
