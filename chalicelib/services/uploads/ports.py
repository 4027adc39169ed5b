"""What the secure upload page needs from storage: the links, the announced uploads, and the file store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from chalicelib.domain.upload_links import UploadLink
    from chalicelib.domain.uploads import Upload


class UploadLinkStore(Protocol):
    """Issued links, by the hash of their token."""

    def add(self, link: UploadLink) -> None:
        """Store a new link."""
        ...

    def use(self, token_hash: str) -> UploadLink | None:
        """Count one use of the link and return it (with the new count); None for an unknown hash."""
        ...

    def for_case(self, case_id: str) -> list[UploadLink]:
        """The case's links, newest first."""
        ...

    def save_revocation(self, link: UploadLink) -> None:
        """Store ``link``'s revocation (time and officer)."""
        ...


class UploadStore(Protocol):
    """Announced uploads, under their case."""

    def add(self, upload: Upload) -> None:
        """Store a new upload."""
        ...

    def get(self, case_id: str, upload_id: str) -> Upload | None:
        """The upload, if it exists under ``case_id``."""
        ...

    def save(self, upload: Upload) -> None:
        """Store the upload's outcome."""
        ...


@dataclass(frozen=True, slots=True)
class PresignedPost:
    """Where and how the browser posts one file: the form's URL and its fields (policy, signature, key...)."""

    url: str
    fields: Mapping[str, str]


class UploadStorage(Protocol):
    """The encrypted bucket, seen from the upload page."""

    @property
    def post_origin(self) -> str:
        """The origin the browser posts files to (the page's Content-Security-Policy allows it)."""
        ...

    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires_in_s: int) -> PresignedPost:
        """A form that may write exactly ``key``, with this content type and at most ``max_bytes``."""
        ...

    def fetch(self, key: str, max_bytes: int) -> bytes | None:
        """The object's bytes, None when there is no such object; at most ``max_bytes + 1`` bytes are read."""
        ...

    def put(self, key: str, body: bytes, content_type: str) -> None:
        """Store ``body`` encrypted."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object (no error when it is gone)."""
        ...
