"""The case's conversation for officers: the thread, newest last, and whether free text may be sent now.

Reading it is audited like a view of the case (it holds what the applicant wrote).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.audit import AuditAction
from chalicelib.services.cases.registry import audit, load_case

if TYPE_CHECKING:
    from chalicelib.auth import Officer
    from chalicelib.domain.cases import Case
    from chalicelib.domain.thread import ThreadPage
    from chalicelib.services.cases.registry import CaseDeps


@dataclass(frozen=True, slots=True)
class ConversationView:
    """A page of the thread, and the applicant's 24-hour window (free text inside it, a template outside)."""

    case: Case
    page: ThreadPage
    window_open: bool
    window_closes_at_ms: int | None


def read_conversation(
    deps: CaseDeps, officer: Officer, case_id: str, before: str | None, limit: int
) -> ConversationView:
    """Up to ``limit`` messages before ``before`` (the newest when None), oldest first."""
    case = load_case(deps, officer, case_id)
    page = deps.thread.page(case_id, before, limit)
    audit(deps, officer, AuditAction.CONVERSATION_VIEW, case_id, count=str(len(page.entries)))
    closes = deps.notifier.window_closes_at(case)
    return ConversationView(case, page, closes is not None and deps.clock_ms() < closes, closes)
