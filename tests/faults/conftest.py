"""What every fault-injection test shares."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def _quiet_logs() -> Iterator[None]:
    """Thousands of injected failures log a warning each: keep pytest's captured output readable."""
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)
