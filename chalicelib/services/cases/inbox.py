"""The office's inbox: the cases that wait for an officer, the longest wait first (a Query, never a Scan)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.audit import AuditAction
from chalicelib.services.cases.registry import audit

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from chalicelib.auth import Officer
    from chalicelib.services.cases.ports import AssignedFilter, CasePage
    from chalicelib.services.cases.registry import CaseDeps


def read_inbox(
    deps: CaseDeps,
    officer: Officer,
    assigned: AssignedFilter | None,
    limit: int,
    start_key: Mapping[str, Any] | None,
) -> CasePage:
    """A page of the officer's office's inbox (optionally only one officer's cases, or nobody's)."""
    page = deps.cases.inbox(officer.office, assigned, limit, dict(start_key) if start_key else None)
    audit(deps, officer, AuditAction.INBOX_VIEW, None, count=str(len(page.cases)))
    return page
