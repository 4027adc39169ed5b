"""The office's officers as colleagues know them: username, display name and role, remembered from their tokens.

Cognito keeps the accounts; this directory keeps what the console needs to name and offer colleagues (for an
assignment, say). It is written when an officer is seen (at most every few minutes per process, so a busy desk
costs no write per request) and an entry expires some months after its officer was last seen: officers' names
are personal data too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.audit import AuditAction
from chalicelib.observability import get_logger
from chalicelib.services.audit import record

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.auth import Officer, Role
    from chalicelib.services.audit import AuditLog

REFRESH_MS = 10 * 60 * 1000
log = get_logger("officers")


@dataclass(frozen=True, slots=True)
class OfficerProfile:
    """One officer of an office, as last seen."""

    office: str
    username: str
    subject: str
    display_name: str | None
    role: Role
    last_seen_at_ms: int


class OfficerDirectory(Protocol):
    """Officers by office and username."""

    def remember(self, profile: OfficerProfile) -> None:
        """Store or refresh ``profile``."""
        ...

    def of_office(self, office: str) -> list[OfficerProfile]:
        """The office's officers, by username."""
        ...

    def find(self, office: str, username: str) -> OfficerProfile | None:
        """One officer, if the directory has seen them."""
        ...


class SeenOfficers:
    """Remembers officers as they make requests, writing each at most once per :data:`REFRESH_MS` per process."""

    def __init__(self, directory: OfficerDirectory, clock_ms: Callable[[], int]) -> None:
        self._directory = directory
        self._clock_ms = clock_ms
        self._written: dict[tuple[str, str, str, str | None, str], int] = {}
        self._lock = threading.Lock()

    def seen(self, officer: Officer) -> None:
        """Note that ``officer`` is at work; a failed write is logged, never the officer's problem."""
        key = (officer.office, officer.username, officer.subject, officer.display_name, officer.role.value)
        now = self._clock_ms()
        with self._lock:
            if now - self._written.get(key, -REFRESH_MS) < REFRESH_MS:
                return
            self._written[key] = now
        profile = OfficerProfile(
            officer.office, officer.username, officer.subject, officer.display_name, officer.role, now
        )
        try:
            self._directory.remember(profile)
        except Exception as exc:  # the directory only names colleagues: the request goes on without it
            with self._lock:
                self._written.pop(key, None)
            log.warning("officer_directory_write_failed", extra={"error_type": type(exc).__name__})


def display_name(directory: OfficerDirectory, officer: Officer, username: str | None) -> str | None:
    """The display name of ``username``, a colleague of ``officer`` (None when unknown or unassigned)."""
    if username is None:
        return None
    if username == officer.username:
        return officer.display_name
    profile = directory.find(officer.office, username)
    return profile.display_name if profile else None


def list_officers(directory: OfficerDirectory, audit: AuditLog, officer: Officer, now_ms: int) -> list[OfficerProfile]:
    """The officer's own office's officers (audited as a view: it lists people)."""
    officers = directory.of_office(officer.office)
    record(audit, officer, AuditAction.OFFICERS_VIEW, None, now_ms, count=str(len(officers)))
    return officers
