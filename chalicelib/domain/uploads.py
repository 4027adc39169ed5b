"""A file the applicant is sending from the secure upload page: announced, put straight into S3, then confirmed.

The browser never names a storage key: the key is built here from the link's case and a fresh id, so a token
can only ever write under its own case's prefix.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.errors import DomainError

STAGING_PREFIX = "uploads/"  # the bucket's lifecycle deletes what is never confirmed


class UploadProblem(StrEnum):
    """Why an upload was refused; each has a text in the applicant's language (``upload.problem.<value>``)."""

    WRONG_TYPE = "wrong_type"  # not a JPEG, PNG or PDF
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    NOT_RECEIVED = "not_received"  # the confirmation came but the file is not in storage
    MISMATCH = "mismatch"  # the bytes are not the type announced
    DAMAGED = "damaged"  # checksum differs from the browser's, or the image cannot be read
    NOT_WANTED = "not_wanted"  # the item is not (or no longer) one the office is waiting for


class UploadRefused(DomainError):
    """The upload cannot become a document; ``problem`` says why."""

    def __init__(self, problem: UploadProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class UploadNotFound(DomainError):
    """No upload with that id under the link's case."""


class UploadState(StrEnum):
    """Where an upload stands."""

    STARTED = "started"
    RECEIVED = "received"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Upload:
    """One announced upload."""

    upload_id: str
    case_id: str
    link_id: str
    item_code: str
    content_type: str
    size_bytes: int
    created_at_ms: int
    state: UploadState = UploadState.STARTED
    document_id: str | None = None
    problem: UploadProblem | None = None

    @property
    def staging_key(self) -> str:
        """Where the browser puts the file (exactly this key: the pre-signed POST allows no other)."""
        return staging_key(self.case_id, self.upload_id)


def staging_key(case_id: str, upload_id: str) -> str:
    """The one key an upload may be written to."""
    return f"{STAGING_PREFIX}{case_id}/{upload_id}"


def new_upload_id() -> str:
    """A fresh upload id (also the document's id once confirmed)."""
    return secrets.token_hex(16)


def well_formed_upload_id(value: str) -> bool:
    """Whether ``value`` could be an upload id (checked before any lookup)."""
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)
