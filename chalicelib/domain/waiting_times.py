"""Real waiting times from an office's own cases: registration → complete checklist → counter appointment.

Published only as medians and 90th percentiles over a recent window, per permit type and overall, and only when
enough cases back a figure: below the minimum, a figure would mislead (and could single out a person), so it is
reported as "not enough data". No personal data goes in.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from chalicelib.domain.cases import Case

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class Figure:
    """Median and 90th percentile in days, or None each when fewer than the minimum cases."""

    cases: int
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True, slots=True)
class Stage:
    """The two stages the public asks about."""

    to_complete: Figure
    to_appointment: Figure


@dataclass(frozen=True, slots=True)
class WaitingTimes:
    """An office's summary, recomputed on a schedule."""

    office: str
    computed_at_ms: int
    window_days: int
    minimum_cases: int
    overall: Stage
    by_permit_type: dict[str, Stage]


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    rank = max(1, math.ceil(fraction * len(values)))
    return values[rank - 1]


def figure(days: list[float], minimum: int) -> Figure:
    """The figure for these durations."""
    if len(days) < minimum:
        return Figure(len(days), None, None)
    ordered = sorted(days)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Figure(len(ordered), round(median, 1), round(_percentile(ordered, 0.9), 1))


def summarise(
    office: str, cases: Iterable[Case], now_ms: int, window_days: int = 180, minimum_cases: int = 5
) -> WaitingTimes:
    """Waiting times of the cases that reached each stage within the window."""
    start = now_ms - window_days * DAY_MS
    complete: dict[str, list[float]] = defaultdict(list)
    appointment: dict[str, list[float]] = defaultdict(list)
    for case in cases:
        if case.office != office:
            continue
        if case.completed_at_ms and case.completed_at_ms >= start:
            complete[case.permit_type].append((case.completed_at_ms - case.created_at_ms) / DAY_MS)
            if case.booked_at_ms and case.booked_at_ms >= case.completed_at_ms:
                appointment[case.permit_type].append((case.booked_at_ms - case.completed_at_ms) / DAY_MS)

    def stage(to_complete: list[float], to_appointment: list[float]) -> Stage:
        return Stage(figure(to_complete, minimum_cases), figure(to_appointment, minimum_cases))

    overall = stage([d for v in complete.values() for d in v], [d for v in appointment.values() for d in v])
    by_type = {code: stage(complete[code], appointment.get(code, [])) for code in sorted(complete)}
    return WaitingTimes(office, now_ms, window_days, minimum_cases, overall, by_type)
