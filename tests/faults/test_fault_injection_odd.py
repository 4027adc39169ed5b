"""The odd shards of the fault-injection run (see ``test_fault_injection.py``)."""

from __future__ import annotations

import pytest

from tests.faults.suite import run_shard, shards

pytestmark = pytest.mark.faults


@pytest.mark.parametrize("shard", shards(1))
def test_under_faults_every_message_is_answered_as_in_a_clean_run(shard: int) -> None:
    run_shard(shard)
