"""The fault-injection run of one shard, shared by the two test files that split the shards between pytest's
workers (``--dist loadfile`` gives a file to one worker: two files keep CI's two cores busy).

The scale: under CI (``CI=true``), or with ``SPORTELLO_FAULTS_SCALE=full``, four shards of the issue's size
(1,000+ inbound messages and 200+ reminders in all); otherwise two small shards, quick enough to run often.
The figures of each shard, and their sum, go to ``test-artifacts/faults.txt``.
"""

from __future__ import annotations

import json
import os
from collections import Counter

from tests.conftest import ROOT
from tests.faults.harness import compare, figures_text, make_scenario, play
from tests.faults.meta import FaultPlan

_SCALE = os.environ.get("SPORTELLO_FAULTS_SCALE") or ("full" if os.environ.get("CI") == "true" else "quick")
FULL = _SCALE == "full"
SHARDS = 4 if FULL else 2
# Per shard: applicants with an open case (each with one reminder due), without one, messages each.
SIZE = (55, 20, 4) if FULL else (16, 8, 4)
# Meta's status webhook comes back for every accepted send (FaultPlan's default): it settles sends in doubt.
FAULTS = FaultPlan(graph_rate=0.3, kill_rate=0.03, seed=1)
ARTIFACTS = ROOT / "test-artifacts"


def shards(parity: int) -> list[int]:
    """The shards one test file runs (the even ones, or the odd ones)."""
    return [shard for shard in range(SHARDS) if shard % 2 == parity]


def run_shard(shard: int) -> None:
    """Play the shard clean and under faults; assert the faults happened and every invariant held."""
    scenario = make_scenario(*SIZE, seed=100 + shard)
    clean = play(scenario, FaultPlan())
    faulted = play(
        scenario,
        FaultPlan(FAULTS.graph_rate, FAULTS.kill_rate, FAULTS.status_rate, seed=FAULTS.seed + shard),
        throttle_rate=0.005,
        race_rate=0.05,
        conflict_share=0.3,
    )
    report = compare(clean, faulted)
    text = figures_text(scenario, faulted, report)
    _write_figures(shard, text, faulted.figures, report.lines())
    print(text)
    # The faults really happened (else the run proves nothing), and then the invariants.
    figures = faulted.figures
    assert figures["kill_before_send"] and figures["read_timeout"] and figures["graph_5xx"], text
    assert figures["dynamo_throttle"] and figures["claim_race"], text
    if FULL:
        assert figures["kill_after_send"], text
    assert report.ok, text


def _write_figures(shard: int, text: str, figures: Counter[str], lines: list[str]) -> None:
    """This shard's figures, and the sum over every shard written so far (``test-artifacts/faults.txt``)."""
    folder = ARTIFACTS / "faults"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"shard-{shard}.txt").write_text(text)
    (folder / f"shard-{shard}.json").write_text(json.dumps({"figures": figures, "report": lines, "scale": _SCALE}))
    total: Counter[str] = Counter()
    done = sorted(folder.glob("shard-*.json"))
    for path in done:
        total.update(json.loads(path.read_text())["figures"])
    summary = [f"{len(done)} shard(s), scale {_SCALE}; totals:"]
    summary += [f"  {key}: {value}" for key, value in sorted(total.items())]
    parts = [(folder / f"shard-{p.stem.split('-')[1]}.txt").read_text() for p in done]
    (ARTIFACTS / "faults.txt").write_text("\n".join(summary) + "\n\n" + "\n".join(parts))
