"""Officers and upload links: see a case's links (never their tokens) and revoke them. Both are audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.errors import DomainError
from chalicelib.services.audit import record
from chalicelib.services.cases.ports import CaseNotFound

if TYPE_CHECKING:
    from chalicelib.auth import Officer
    from chalicelib.domain.upload_links import LinkState, UploadLink
    from chalicelib.services.uploads.page import UploadDeps


class UploadLinkNotFound(DomainError):
    """No link with that id on the case."""


@dataclass(frozen=True, slots=True)
class LinkView:
    """A link as officers see it: its public id, dates, use count and state."""

    link: UploadLink
    state: LinkState


def _case_links(deps: UploadDeps, officer: Officer, case_id: str) -> list[UploadLink]:
    case = deps.cases.get(case_id)
    if case.office != officer.office:
        raise CaseNotFound(case_id)  # another office's case is reported as missing, like everywhere
    return deps.links.for_case(case_id)


def list_links(deps: UploadDeps, officer: Officer, case_id: str) -> list[LinkView]:
    """The case's links, newest first."""
    links = _case_links(deps, officer, case_id)
    now = deps.clock_ms()
    record(deps.audit, officer, AuditAction.UPLOAD_LINKS_VIEW, case_id, now)
    return [LinkView(link, link.state(now, deps.max_uses)) for link in links]


def revoke(deps: UploadDeps, officer: Officer, case_id: str, link_id: str | None) -> list[LinkView]:
    """Revoke one link (``link_id``) or, with None, every link of the case; returns the links revoked."""
    links = _case_links(deps, officer, case_id)
    if link_id is not None:
        links = [link for link in links if link.link_id == link_id]
        if not links:
            raise UploadLinkNotFound(link_id)
    now = deps.clock_ms()
    revoked = []
    for link in links:
        current = link
        if link.revoked_at_ms is None:
            current = link.revoked(now, officer.actor)
            deps.links.save_revocation(current)
            record(deps.audit, officer, AuditAction.UPLOAD_LINK_REVOKE, case_id, now, link_id=link.link_id)
        revoked.append(LinkView(current, current.state(now, deps.max_uses)))
    return revoked
