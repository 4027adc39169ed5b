"""The interfaces the use cases depend on; adapters implement them and bootstrap wires them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.domain.media import MediaInfo
    from chalicelib.domain.outbound import OutboundMessage


class WhatsAppGateway(Protocol):
    """The WhatsApp Cloud API as the core needs it."""

    def send(self, message: OutboundMessage) -> str:
        """Send one message from its office's number (``message.office``) and return Meta's wamid for it."""
        ...

    def mark_read(self, wamid: str, phone_number_id: str | None = None) -> None:
        """Mark an inbound message as read (the applicant sees two blue ticks), through the number it was sent to
        (None: the configured number)."""
        ...

    def media_info(self, media_id: str, phone_number_id: str | None = None) -> MediaInfo:
        """Look up a media id from a webhook (sent to ``phone_number_id``; None: the configured number): a fresh
        five-minute download URL and Meta's metadata."""
        ...

    def download_media(self, url: str, max_bytes: int) -> bytes:
        """Download a media URL (needs the token), refusing more than ``max_bytes``."""
        ...
