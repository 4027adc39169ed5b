"""Scheduled handlers: EventBridge rate expressions turned into periods, and the events Lambda would get."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
# Simplification: a cron(...) schedule fires every minute locally (cron fields are not evaluated).
CRON_PERIOD = 60.0


def period_of(expression: str) -> float:
    """Seconds between firings of ``rate(N unit)``; ``cron(...)`` counts as every minute."""
    text = expression.strip()
    if text.startswith("cron("):
        return CRON_PERIOD
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"unsupported schedule expression: {expression!r}")
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")])


@dataclass
class Schedule:
    """One scheduled handler and when it is next due (monotonic seconds)."""

    handler: str
    rule_arn: str
    period: float
    due: float

    def take_if_due(self, now: float) -> bool:
        """True when due; then the next firing is one period later (missed firings are not replayed)."""
        if now < self.due:
            return False
        self.due = max(self.due + self.period, now)
        return True


def scheduled_event(rule_arn: str, region: str, account: str) -> dict[str, Any]:
    """The EventBridge "Scheduled Event" a scheduled Lambda receives."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.fromtimestamp(time.time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }
