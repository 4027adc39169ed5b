"""Operator commands: see and replay what did not go through (works against AWS or the local system).

    python -m devtools.ops pending [--older-than SECONDS]      inbound messages not processed yet
    python -m devtools.ops replay [--include-parked]           process them now (each step is idempotent)
    python -m devtools.ops quarantine [--day YYYY-MM-DD]       signed webhook items set aside, by day
    python -m devtools.ops sweep [--as-of 2026-12-01T09:00 [--office AN]]
                                                               run the reminder sweep now, or "as of" an office's
                                                               local time (DEFAULT_OFFICE's unless --office)
    python -m devtools.ops reminders-dlq [--replay]            reminder jobs parked on the DLQ; move them back

The environment names the tables (as the Lambda functions get it); with AWS credentials it works on AWS, with
``AWS_ENDPOINT_URL`` on the local system. Output carries ids, reasons and counts, never message content.
"""

from __future__ import annotations

import argparse
import json
import time

from chalicelib.bootstrap import container, now_ms
from chalicelib.handlers import MAX_PROCESSING_ATTEMPTS
from chalicelib.services.messages.process import process_inbound


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


def _as_of(value: str | None, office: str | None) -> int | None:
    """``YYYY-MM-DDTHH:MM`` on the wall clock of ``office`` (default: the deployment's own, ``DEFAULT_OFFICE``), or
    any ISO time with an offset, as ms."""
    if not value:
        return None
    from datetime import datetime

    from chalicelib.offices import office_zone

    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=office_zone(office or container().settings.default_office))
    return int(moment.timestamp() * 1000)


def _reminders_dlq(replay: bool) -> dict[str, int]:
    """Count the parked reminder jobs; with ``replay``, move them back to the reminder queue (each send is
    idempotent: a job whose reminder already went out does nothing)."""
    c = container()
    sqs = c.client("sqs")
    dlq = sqs.get_queue_url(QueueName="sportello-reminders-dlq")["QueueUrl"]
    if not replay:
        attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
        return {"parked": int(attributes["Attributes"]["ApproximateNumberOfMessages"])}
    moved = 0
    while True:
        messages = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if not messages:
            return {"replayed": moved}
        for message in messages:
            sqs.send_message(QueueUrl=c.reminder_queue.url(), MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
            moved += 1


def _use_local_system(endpoint: str) -> None:
    """Point this process at the local system: its moto endpoint, fake credentials, the template's table names."""
    import os

    from devtools.local_aws import load_template, resolve

    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-south-1"),
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )
    os.environ.update({k: v for k, v in resolve(load_template()).environment.items() if k != "WHATSAPP_SECRET_ID"})


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and print JSON."""
    parser = argparse.ArgumentParser(prog="python -m devtools.ops", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--local",
        metavar="ENDPOINT",
        nargs="?",
        const="http://127.0.0.1:5000",
        help="work on `make run`'s local AWS (moto) instead of the environment's",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    pending = sub.add_parser("pending")
    pending.add_argument("--older-than", type=int, default=0, metavar="SECONDS")
    replay = sub.add_parser("replay")
    replay.add_argument("--include-parked", action="store_true")
    quarantine = sub.add_parser("quarantine")
    quarantine.add_argument("--day", default=time.strftime("%Y-%m-%d", time.gmtime()))
    sweep = sub.add_parser("sweep")
    sweep.add_argument("--as-of", metavar="YYYY-MM-DDTHH:MM")
    sweep.add_argument("--office", metavar="CODE", help="whose wall clock --as-of is (default: DEFAULT_OFFICE)")
    dlq = sub.add_parser("reminders-dlq")
    dlq.add_argument("--replay", action="store_true")
    args = parser.parse_args(argv)
    if args.local:
        _use_local_system(args.local)
    if args.command == "pending":
        result: object = _pending(args.older_than)
    elif args.command == "replay":
        result = _replay(args.include_parked)
    elif args.command == "sweep":
        from chalicelib.handlers import sweep_reminders

        result = sweep_reminders(_as_of(args.as_of, args.office))
    elif args.command == "reminders-dlq":
        result = _reminders_dlq(args.replay)
    else:
        result = container().quarantine.on_day(args.day)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
