"""Who did something: the applicant, the service itself, or an officer named as colleagues know them.

An officer is kept by their stable subject id (Cognito ``sub``) and, beside it, the username and display name
they had when they acted, so that a timeline, an audit entry or a thread names people, never bare ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ActorKind(StrEnum):
    """The kinds of author."""

    APPLICANT = "applicant"
    SERVICE = "service"  # Sportello itself: automatic replies, reminders
    OFFICER = "officer"


@dataclass(frozen=True, slots=True)
class Actor:
    """One author; ``subject``, ``username`` and ``name`` are an officer's (None for the others)."""

    kind: ActorKind
    subject: str | None = None
    username: str | None = None
    name: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The stored and published form."""
        return {"kind": self.kind.value, "sub": self.subject, "username": self.username, "name": self.name}

    @property
    def label(self) -> str:
        """How a colleague reads it: the display name, else the username, else the kind."""
        return self.name or self.username or self.kind.value


APPLICANT = Actor(ActorKind.APPLICANT)
SERVICE = Actor(ActorKind.SERVICE)
# Names stored before actors were structured: the applicant, the reminder worker; anything else was an officer's sub.
_LEGACY = {"applicant": APPLICANT, "reminders": SERVICE, "": SERVICE}


def actor_from_stored(value: Any) -> Actor:
    """The actor in a stored record (the dict of :meth:`Actor.as_dict`, or a bare string written earlier)."""
    if isinstance(value, dict):
        try:
            kind = ActorKind(str(value.get("kind")))
        except ValueError:
            kind = ActorKind.SERVICE
        return Actor(kind, _text(value.get("sub")), _text(value.get("username")), _text(value.get("name")))
    if isinstance(value, str):
        return _LEGACY.get(value) or Actor(ActorKind.OFFICER, subject=value)
    return SERVICE


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
