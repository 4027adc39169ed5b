"""``make bench``: run the benchmarks and print the Markdown that goes in BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import sys
import time

from bench import booking, cold_start, reminder_sweep, upload_page, webhook_ack, workspace
from bench.environment import local_aws


def main() -> None:
    """Run every benchmark once, in this process."""
    sys.path.insert(0, str(os.getcwd()))
    print(
        f"<!-- {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs -->"
    )
    with local_aws() as local:
        # First, before the others fill moto's tables: fresh processes from the built package, each its own cold start.
        print("\n### Cold start and package size (`python -m bench`)\n")
        cold_start.report(cold_start.run(local))
        print("\n### Webhook ack path (`python -m bench`)\n")
        webhook_ack.report(webhook_ack.run(local))
        # Before the sweep, which leaves 100,000 reminders behind: moto's Query walks a whole table, and every case
        # save re-plans the case's reminders with one.
        print("\n### Secure upload page (`python -m bench`)\n")
        upload_page.report(upload_page.run(local))
        # Before the workspace reads, which leave a thousand cases behind: moto's TransactWriteItems copies every
        # table it touches, so a booking's cost there grows with the tables' size (not so in DynamoDB).
        print("\n### Counter visit booking (`python -m bench`)\n")
        booking.report(booking.run(local))
        print("\n### Officers' workspace reads (`python -m bench`)\n")
        workspace.report(workspace.run(local))
        print("\n### Reminder sweep (`python -m bench`)\n")
        reminder_sweep.report(reminder_sweep.run(local))


if __name__ == "__main__":
    main()
