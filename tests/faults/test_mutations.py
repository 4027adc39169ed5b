"""The suite can fail: with a send claim's lease taken away, or with the officers' send-after-save order reversed,
the same checker reports lost or doubled messages (and with them intact, it reports nothing)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from chalicelib.services.messages.notices import Notifier
from tests.faults.harness import Observation, Run, compare, make_scenario, play
from tests.faults.meta import FaultPlan

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.domain.cases import Case, CaseEvent
    from chalicelib.domain.outbound import OutboundMessage
    from chalicelib.services.cases.ports import CaseRepository
    from chalicelib.services.messages.messenger import SendOutcome

pytestmark = pytest.mark.faults

FOREVER_S = 10 * 365 * 24 * 3600


@pytest.fixture(scope="module")
def scenario_and_clean() -> tuple[object, Observation]:
    scenario = make_scenario(6, 3, 4, seed=5)
    return scenario, play(scenario, FaultPlan())


def _kill_every_third_first_attempt() -> Callable[[str], bool]:
    """Kill the worker between claim and send on the first attempt of one chat reply in three."""
    seen: set[str] = set()

    def kill(callback: str) -> bool:
        first = callback not in seen
        seen.add(callback)
        return first and callback.startswith("chat.") and len(seen) % 3 == 0

    return kill


def _with_kills(run: Run) -> None:
    run.meta.kill_hook = _kill_every_third_first_attempt()


def _without_lease(run: Run) -> None:
    """The mutation: a claim never expires (the lease and the reconcile time set to ten years)."""
    _with_kills(run)
    settings = run.container.settings
    run.container.settings = replace(settings, send_lease_seconds=FOREVER_S, send_reconcile_seconds=FOREVER_S)


def test_without_the_lease_a_send_killed_after_its_claim_is_lost(
    scenario_and_clean: tuple[object, Observation],
) -> None:
    scenario, clean = scenario_and_clean
    with_lease = compare(clean, play(scenario, FaultPlan(), prepare=_with_kills))  # type: ignore[arg-type]
    assert with_lease.ok, "\n".join(with_lease.lines())

    without = compare(clean, play(scenario, FaultPlan(), prepare=_without_lease))  # type: ignore[arg-type]
    assert without.lost > 0 and without.left_sending > 0, "\n".join(without.lines())


def _send_then_save(
    self: Notifier, cases: CaseRepository, case: Case, events: list[CaseEvent], message: OutboundMessage
) -> tuple[Case, SendOutcome]:
    """The mutation: the order before the outbox (send, then save; a conflict leaves the message sent)."""
    outcome = self.messenger.send_queued(message).outcome
    return cases.save(case, events), outcome


def _without_keys(run: Run) -> None:
    run.officer_keys = False


def test_sending_before_saving_doubles_an_officers_message_on_a_conflict(
    scenario_and_clean: tuple[object, Observation], monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario, clean = scenario_and_clean
    # Without the console's idempotency key, which would hide the order (the retry would reuse the first id).
    in_order = compare(clean, play(scenario, FaultPlan(), conflict_share=1.0, prepare=_without_keys))  # type: ignore[arg-type]
    assert in_order.ok, "\n".join(in_order.lines())

    monkeypatch.setattr(Notifier, "save_then_send", _send_then_save)
    reversed_order = compare(clean, play(scenario, FaultPlan(), conflict_share=1.0, prepare=_without_keys))  # type: ignore[arg-type]
    assert reversed_order.duplicated > 0, "\n".join(reversed_order.lines())
