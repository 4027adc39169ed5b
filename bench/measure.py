"""What the benchmarks share: latency percentiles, and a counter of the AWS requests botocore sends."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Timing:
    """Latency percentiles in milliseconds."""

    p50: float
    p99: float
    n: int


def timing(samples: list[float]) -> Timing:
    """p50 and p99 (nearest rank) of ``samples`` in seconds, in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return Timing(statistics.median(ordered) * 1000, p99 * 1000, len(ordered))


class CallCounter:
    """Counts AWS requests leaving botocore clients (PynamoDB's and boto3's alike)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, **_: Any) -> None:
        self.calls += 1

    def attach(self, client: Any) -> None:
        """Hook one botocore client."""
        client.meta.events.register("before-send", self)
