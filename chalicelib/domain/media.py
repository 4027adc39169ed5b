"""Media an applicant sent, as Meta describes it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """The answer to ``GET /{media-id}``: a download URL that lives five minutes, and what Meta says of the file."""

    media_id: str
    url: str
    mime_type: str
    sha256: str | None
    file_size: int | None
