"""The whole run under faults answers every message as a clean run does: nothing lost, nothing twice.

The even shards (``tests/faults/suite.py`` says how many and how big); ``test_fault_injection_odd.py`` runs
the others."""

from __future__ import annotations

import pytest

from tests.faults.suite import run_shard, shards

pytestmark = pytest.mark.faults


@pytest.mark.parametrize("shard", shards(0))
def test_under_faults_every_message_is_answered_as_in_a_clean_run(shard: int) -> None:
    run_shard(shard)
