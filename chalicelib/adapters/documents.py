"""S3 storage for document files: server-side encryption with KMS, one prefix per case, short-lived links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


class S3DocumentStorage:
    """Document files in the media bucket."""

    def __init__(self, bucket: str, client: Callable[[], Any]) -> None:
        self._bucket = bucket
        self._client = client

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._client().put_object(
            Bucket=self._bucket, Key=key, Body=body, ContentType=content_type, ServerSideEncryption="aws:kms"
        )

    def link(self, key: str, expires_in_s: int) -> str:
        url: str = self._client().generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in_s
        )
        return url
