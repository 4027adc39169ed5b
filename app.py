"""Sportello: the Chalice application.

HTTP areas are Blueprints in ``functions/``; every non-HTTP handler is declared here, as a one-line delegation,
because Chalice names Lambda handlers after the declaring module and only ``app.py`` handlers run the app's
middleware. ``infra/resources.json`` replaces the placeholder stream ARN with the real one at package time.
"""

from __future__ import annotations

import os
from typing import Any

from chalice.app import Chalice, Cron, Rate

from functions import entry, http, routes
from functions.entry import FUNCTION_VARIABLE

# Chalice wants a literal ARN at import time; the merge template swaps in Fn::GetAtt InboundTable.StreamArn.
INBOUND_STREAM_ARN = "arn:aws:dynamodb:eu-south-1:000000000000:table/sportello-inbound/stream/placeholder"
# The template names this queue explicitly: Chalice builds the event source ARN from the name.
REMINDER_QUEUE = "sportello-reminders"

app = Chalice(app_name="sportello", configure_logs=False)  # our JSON logger, not a second copy
# The public function registers only the public blueprints (functions/routes.py); reading the environment is not I/O.
for blueprint in routes.blueprints(os.environ.get(FUNCTION_VARIABLE, "")):
    app.register_blueprint(blueprint)
# First registered, outermost: the security headers go on whatever the other middleware answer too.
app.register_middleware(http.security_headers, "http")
app.register_middleware(http.framework_errors, "http")  # Chalice's own 415/405/500 in our error shape
app.register_middleware(entry.only_own_paths, "http")  # in AWS, the public function never serves /api/*


@app.on_dynamodb_record(stream_arn=INBOUND_STREAM_ARN, batch_size=25, starting_position="TRIM_HORIZON")
def process_inbound_messages(event: Any) -> dict[str, int]:
    from chalicelib import handlers  # here, not at import: the HTTP functions never need it

    return handlers.process_inbound_stream(event)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def redrive_inbound(event: Any) -> dict[str, int]:
    from chalicelib import handlers

    return handlers.redrive_inbound()


@app.schedule(Rate(1, unit=Rate.HOURS))
def refresh_waiting_times(event: Any) -> dict[str, int]:
    from chalicelib import handlers

    return handlers.refresh_waiting_times()


# Every 15 minutes from 06:00 to 19:45 UTC: Europe/Rome's office day in winter and summer time alike; the sweep
# itself keeps the quiet hours (20:00-08:00 Rome by default) in the office's own zone.
@app.schedule(Cron("0/15", "6-19", "*", "*", "?", "*"))
def sweep_reminders(event: Any) -> dict[str, int]:
    from chalicelib import handlers

    return handlers.sweep_reminders()


# Daily, at night: closed cases whose retention ended are anonymised (services/retention.py).
@app.schedule(Cron("30", "2", "*", "*", "?", "*"))
def anonymise_ended_cases(event: Any) -> dict[str, int]:
    from chalicelib import handlers

    return handlers.anonymise_ended_cases()


@app.on_sqs_message(queue=REMINDER_QUEUE, batch_size=1)
def send_reminder(event: Any) -> dict[str, int]:
    from chalicelib import handlers

    return handlers.send_reminders(event)
