"""Who is calling: an officer of one office, mapped from the claims of a Cognito ID token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from chalicelib.auth.errors import AuthFailure, NotAnOfficer, Unauthenticated
from chalicelib.domain.actors import Actor, ActorKind

if TYPE_CHECKING:
    from collections.abc import Mapping

OFFICE_CODE = re.compile(r"[A-Z]{2,4}")  # a Questura's province code: AN, MC, RM...
MAX_NAME = 120


class Role(StrEnum):
    """Cognito groups that grant access; a supervisor can do everything an officer can, and more."""

    OFFICER = "officer"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True, slots=True)
class Officer:
    """The authenticated caller: ``subject`` is the stable id (Cognito ``sub``) that records keep; ``username`` and
    ``display_name`` (the user pool's ``name``, when it has one) are how colleagues know them."""

    subject: str
    username: str
    office: str
    role: Role
    display_name: str | None = None

    @property
    def is_supervisor(self) -> bool:
        """True for supervisors."""
        return self.role is Role.SUPERVISOR

    @property
    def actor(self) -> Actor:
        """The officer as the author of what they do."""
        return Actor(ActorKind.OFFICER, self.subject, self.username, self.display_name)


def officer_from_claims(claims: Mapping[str, Any]) -> Officer:
    """The officer named by verified ID-token claims (``sub``, ``cognito:username``, ``cognito:groups``,
    ``custom:office``, and ``name`` when the user pool has it)."""
    subject, username = claims.get("sub"), claims.get("cognito:username")
    if not isinstance(subject, str) or not subject or not isinstance(username, str) or not username:
        raise Unauthenticated(AuthFailure.MALFORMED_TOKEN)
    groups = claims.get("cognito:groups")
    names = {g for g in groups if isinstance(g, str)} if isinstance(groups, list) else set()
    if Role.SUPERVISOR in names:
        role = Role.SUPERVISOR
    elif Role.OFFICER in names:
        role = Role.OFFICER
    else:
        raise NotAnOfficer("no_role")
    office = claims.get("custom:office")
    if not isinstance(office, str) or not OFFICE_CODE.fullmatch(office):
        raise NotAnOfficer("no_office")
    from chalicelib.offices import offices  # a small JSON file, read once

    if office not in offices():
        raise NotAnOfficer("unknown_office", f"not an officer: office {office} is not one this deployment serves")
    name = claims.get("name")
    display_name = " ".join(name.split())[:MAX_NAME] or None if isinstance(name, str) else None
    return Officer(subject=subject, username=username, office=office, role=role, display_name=display_name)
