"""The odd shards of the fault-injection run (see ``test_fault_injection.py``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from tests.faults.suite import run_shard, shards

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.faults


@pytest.fixture(autouse=True)
def _quiet_logs() -> Iterator[None]:
    """Thousands of injected failures log a warning each: keep pytest's captured output readable."""
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


@pytest.mark.parametrize("shard", shards(1))
def test_under_faults_every_message_is_answered_as_in_a_clean_run(shard: int) -> None:
    run_shard(shard)
