"""What happened to a message we sent: Meta's status updates, which arrive late, twice, or out of order."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DeliveryStatus(StrEnum):
    """Outbound message states, ordered: a status only ever moves forward."""

    ACCEPTED = "accepted"  # Meta answered the send with a wamid; no webhook yet
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    FAILED = "failed"

    @property
    def rank(self) -> int:
        """Position in the forward-only order; ``failed`` is terminal."""
        return _RANKS[self]


_RANKS = {
    DeliveryStatus.ACCEPTED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
    DeliveryStatus.PLAYED: 4,
    DeliveryStatus.FAILED: 5,
}


@dataclass(frozen=True, slots=True)
class StatusError:
    """Meta's reason for a failed delivery (the code is what we act on)."""

    code: int | None
    title: str
    details: str | None = None


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One entry of a webhook's ``statuses[]``."""

    wamid: str
    status: DeliveryStatus
    timestamp: int
    outbound_id: str | None
    errors: tuple[StatusError, ...] = ()

    @property
    def error_code(self) -> int | None:
        """The first error's code, for failed deliveries."""
        return self.errors[0].code if self.errors else None
