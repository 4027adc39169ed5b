"""S3 storage for document files: server-side encryption with KMS, one prefix per case, short-lived links.

The secure upload page writes here too, from the applicant's browser, through pre-signed POST forms that allow
exactly one key, one content type, a size range and KMS encryption; the app then reads the file back to check it.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chalicelib.services.uploads.ports import PresignedPost

if TYPE_CHECKING:
    from collections.abc import Callable

MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
CLOSED_TAG = "retention=closed"  # the bucket's lifecycle rule "closed-case-documents" expires objects with it


class S3DocumentStorage:
    """Document files in the media bucket."""

    def __init__(self, bucket: str, client: Callable[[], Any]) -> None:
        self._bucket = bucket
        self._client = client

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._client().put_object(
            Bucket=self._bucket, Key=key, Body=body, ContentType=content_type, ServerSideEncryption="aws:kms"
        )

    def start_expiry(self, key: str, content_type: str) -> None:
        """Copy the file onto itself, tagged ``retention=closed``: the bucket's closed-case rule counts its days
        from an object's creation, so the copy makes them count from now (a tag alone would let a file received
        months earlier go at once)."""
        from botocore.exceptions import ClientError

        try:
            self._client().copy_object(
                Bucket=self._bucket,
                Key=key,
                CopySource={"Bucket": self._bucket, "Key": key},
                MetadataDirective="REPLACE",  # S3 refuses a copy onto itself that changes nothing
                ContentType=content_type,
                ServerSideEncryption="aws:kms",
                TaggingDirective="REPLACE",
                Tagging=CLOSED_TAG,
            )
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) not in MISSING_CODES:
                raise
            # Already gone (erased, or never confirmed): nothing left to expire.

    def link(
        self, key: str, expires_in_s: int, *, content_type: str | None = None, disposition: str | None = None
    ) -> str:
        params = {"Bucket": self._bucket, "Key": key}
        # S3 answers with these headers instead of the stored ones: the signature covers them, so they hold.
        if content_type:
            params["ResponseContentType"] = content_type
        if disposition:
            params["ResponseContentDisposition"] = disposition
        url: str = self._client().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in_s)
        return url

    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires_in_s: int) -> PresignedPost:
        fields = {"Content-Type": content_type, "x-amz-server-side-encryption": "aws:kms"}
        conditions: list[Any] = [
            {"Content-Type": content_type},
            {"x-amz-server-side-encryption": "aws:kms"},
            ["content-length-range", 1, max_bytes],
        ]
        post = self._client().generate_presigned_post(
            Bucket=self._bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in_s
        )
        return PresignedPost(str(post["url"]), {str(k): str(v) for k, v in post["fields"].items()})

    @cached_property
    def document_origin(self) -> str:
        """The origin of the short-lived document links (for the console's Content-Security-Policy)."""
        parts = urlsplit(self.link("origin-probe", 60))
        return f"{parts.scheme}://{parts.netloc}"

    @cached_property
    def post_origin(self) -> str:
        """The origin the browser posts files to (for the page's Content-Security-Policy); signing is local."""
        url = self.presigned_post("origin-probe", "application/pdf", 1, 60).url
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def fetch(self, key: str, max_bytes: int) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            # A range read: a file larger than the cap costs at most one byte more than the cap to find out.
            response = self._client().get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{max_bytes}")
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in MISSING_CODES:
                return None
            if code == "InvalidRange":  # an empty object has no byte 0
                return b""
            raise
        body: bytes = response["Body"].read()
        return body

    def delete(self, key: str) -> None:
        self._client().delete_object(Bucket=self._bucket, Key=key)
