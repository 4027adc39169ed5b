"""Operator commands: see and replay what did not go through (works against AWS or the local system).

    python -m devtools.ops pending [--older-than SECONDS]      inbound messages not processed yet
    python -m devtools.ops replay [--include-parked]           process them now (each step is idempotent)
    python -m devtools.ops quarantine [--day YYYY-MM-DD]       signed webhook items set aside, by day

The environment names the tables (as the Lambda functions get it); with AWS credentials it works on AWS, with
``AWS_ENDPOINT_URL`` on the local system. Output carries ids, reasons and counts, never message content.
"""

from __future__ import annotations

import argparse
import json
import time

from chalicelib.bootstrap import container, now_ms
from chalicelib.handlers import MAX_PROCESSING_ATTEMPTS
from chalicelib.services.process import process_inbound


def _pending(older_than_s: int) -> list[dict[str, object]]:
    c = container()
    return [
        {"wamid": p.message.wamid, "attempts": p.attempts, "parked": p.attempts >= MAX_PROCESSING_ATTEMPTS}
        for p in c.inbound.pending_since(now_ms() - older_than_s * 1000, limit=1000)
    ]


def _replay(include_parked: bool) -> dict[str, int]:
    c = container()
    done = failed = skipped = 0
    for pending in c.inbound.pending_since(now_ms(), limit=1000):
        if pending.attempts >= MAX_PROCESSING_ATTEMPTS and not include_parked:
            skipped += 1
            continue
        try:
            process_inbound(pending.message, c.process_deps)
            done += 1
        except Exception:  # reported in the counts; the message keeps its failure count
            failed += 1
    return {"processed": done, "failed": failed, "skipped_parked": skipped}


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and print JSON."""
    parser = argparse.ArgumentParser(prog="python -m devtools.ops", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    pending = sub.add_parser("pending")
    pending.add_argument("--older-than", type=int, default=0, metavar="SECONDS")
    replay = sub.add_parser("replay")
    replay.add_argument("--include-parked", action="store_true")
    quarantine = sub.add_parser("quarantine")
    quarantine.add_argument("--day", default=time.strftime("%Y-%m-%d", time.gmtime()))
    args = parser.parse_args(argv)
    if args.command == "pending":
        result: object = _pending(args.older_than)
    elif args.command == "replay":
        result = _replay(args.include_parked)
    else:
        result = container().quarantine.on_day(args.day)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
