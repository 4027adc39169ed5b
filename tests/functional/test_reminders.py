"""Reminders end to end on moto: officers' actions plan them, the sweep fans out to SQS, the worker sends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from chalice.test import Client

from chalicelib import handlers
from chalicelib.adapters.dynamo.reminders import ReminderModel
from chalicelib.bootstrap import Container, now_ms
from chalicelib.domain.outbound import Template, Text
from chalicelib.domain.reminders import ReminderPolicy, ReminderState
from chalicelib.i18n.formats import join_list
from chalicelib.services.reminders.schedule import pace
from chalicelib.whatsapp.errors import PairRateLimited, ReEngagementRequired, ThroughputLimited
from tests.fakes import FakeGateway
from tests.functional.test_officers_api import PDF, Api, _applicant_writes, _register
from tests.support import counter_day, open_counter

ROME = ZoneInfo("Europe/Rome")
QUEUE = "sportello-reminders"


@dataclass
class Record:
    """What the worker reads of an SQS record."""

    body: str
    receipt_handle: str
    receives: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"attributes": {"ApproximateReceiveCount": str(self.receives)}}


@pytest.fixture
def api(client: Client, officer_token: Any) -> Api:
    return Api(client, officer_token(office="AN", role="officer", username="m.rossi"))


def _local(days: int, hour: int, minute: int = 0) -> int:
    """Milliseconds of a Rome-local time ``days`` from today."""
    day = datetime.now(ROME).date() + timedelta(days=days)
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=ROME).timestamp() * 1000)


def _drain() -> list[Record]:
    sqs = boto3.client("sqs", region_name="eu-south-1")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    records = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return records
        for message in got:
            records.append(Record(message["Body"], message["ReceiptHandle"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _sweep_and_send(as_of: int) -> list[dict[str, int]]:
    handlers.sweep_reminders(as_of)
    return [handlers.send_reminders([record]) for record in _drain()]


def _requested(api: Api, **overrides: Any) -> dict[str, Any]:
    case = _register(api, permit_type="lavoro_subordinato", **overrides)
    status, answer = api.call("post", f"/api/cases/{case['id']}/requests", {"items": ["buste_paga"], "note": ""})
    assert status == 200, answer
    return case


def _reminders(case_id: str) -> dict[str, ReminderModel]:
    return {r.reminder_id: r for r in ReminderModel.query(case_id)}


def _timeline(api: Api, case_id: str) -> list[dict[str, Any]]:
    status, view = api.call("get", f"/api/cases/{case_id}")
    assert status == 200
    return [e for e in view["timeline"] if e["kind"].startswith("reminder_")]


def test_a_document_request_plans_two_reminders_and_the_first_arrives_once_as_a_template(
    api: Api, gateway: FakeGateway
) -> None:
    case = _requested(api, permit_expiry=None)
    planned = _reminders(case["id"])
    assert sorted(r.split("#")[0] for r in planned) == ["missing_documents", "missing_documents"]
    before = len(gateway.sent)
    assert _sweep_and_send(_local(3, 9, 5)) == [{"sent": 1}]
    [reminder] = gateway.sent[before:]
    assert isinstance(reminder.content, Template)
    assert (reminder.content.name, reminder.content.language) == ("sportello_promemoria_documenti", "en")
    # the schedule fires again at the same time, and later the same day: nothing more
    assert _sweep_and_send(_local(3, 9, 5)) == []
    assert _sweep_and_send(_local(3, 15)) == []
    assert len(gateway.sent) == before + 1
    [event] = _timeline(api, case["id"])
    assert event["kind"] == "reminder_sent"


def test_a_redelivered_job_sends_nothing_twice(api: Api, gateway: FakeGateway) -> None:
    case = _requested(api, permit_expiry=None)
    handlers.sweep_reminders(_local(3, 9, 5))
    [record] = _drain()
    before = len(gateway.sent)
    assert handlers.send_reminders([record]) == {"sent": 1}
    assert handlers.send_reminders([record]) == {"already_handled": 1}
    assert len(gateway.sent) == before + 1
    assert len(_timeline(api, case["id"])) == 1


def test_a_lost_job_is_swept_again_after_its_lease_and_still_sent_once(api: Api, gateway: FakeGateway) -> None:
    _requested(api, permit_expiry=None)
    handlers.sweep_reminders(_local(3, 9, 0))
    _drain()  # the job is lost
    before = len(gateway.sent)
    assert _sweep_and_send(_local(3, 9, 20)) == [{"sent": 1}]
    assert len(gateway.sent) == before + 1


def test_inside_the_window_the_reminder_is_free_text(api: Api, gateway: FakeGateway, container: Container) -> None:
    _requested(api, permit_expiry=None)
    _applicant_writes(container)
    before = len(gateway.sent)
    _sweep_and_send(_local(3, 9, 5))
    [reminder] = gateway.sent[before:]
    assert isinstance(reminder.content, Text) and "Reminder" in reminder.content.body


def test_the_reminders_stop_when_the_document_arrives(api: Api, gateway: FakeGateway) -> None:
    import base64

    case = _requested(api, permit_expiry=None)
    body = {"item": "buste_paga", "content_type": "application/pdf", "content_base64": base64.b64encode(PDF).decode()}
    assert api.call("post", f"/api/cases/{case['id']}/documents", body)[0] == 200
    assert {r.state for r in _reminders(case["id"]).values()} == {"cancelled"}
    before = len(gateway.sent)
    assert _sweep_and_send(_local(8, 9, 5)) == []
    assert len(gateway.sent) == before


def test_a_rejected_document_is_reminded(api: Api, gateway: FakeGateway) -> None:
    import base64

    case = _register(api, permit_type="lavoro_subordinato", permit_expiry=None)
    body = {"item": "buste_paga", "content_type": "application/pdf", "content_base64": base64.b64encode(PDF).decode()}
    status, answer = api.call("post", f"/api/cases/{case['id']}/documents", body)
    document_id = answer["document_id"]
    status, answer = api.call(
        "patch", f"/api/cases/{case['id']}/documents/{document_id}", {"decision": "reject", "reason": "illegible"}
    )
    assert status == 200, answer
    before = len(gateway.sent)
    assert _sweep_and_send(_local(3, 9, 5)) == [{"sent": 1}]
    assert gateway.sent[before].content.name == "sportello_promemoria_documenti_rifiutati"  # type: ignore[union-attr]


def test_quiet_hours_defer_to_eight_in_rome(api: Api, gateway: FakeGateway) -> None:
    case = _requested(api, permit_expiry=None)
    assert handlers.sweep_reminders(_local(3, 21)) == {"due": 0, "queued": 0, "quiet": 1, "more_due": 0}
    handlers.sweep_reminders(_local(3, 19, 59))
    [record] = _drain()
    job = json.loads(record.body)
    job["clock_offset_ms"] += 10 * 60 * 1000  # the worker runs at 20:09: quiet
    before = len(gateway.sent)
    assert handlers.send_reminders([Record(json.dumps(job), record.receipt_handle)]) == {"deferred": 1}
    assert len(gateway.sent) == before
    first = min(_reminders(case["id"]).values(), key=lambda r: r.reminder_id)
    assert int(first.due_at) == _local(4, 8) and first.state == "pending"
    assert _sweep_and_send(_local(4, 8, 0)) == [{"sent": 1}]


def test_an_opted_out_applicant_gets_nothing_and_the_timeline_says_why(
    api: Api, gateway: FakeGateway, container: Container
) -> None:
    from chalicelib.adapters.dynamo.models import ApplicantModel

    case = _requested(api, permit_expiry=None)
    ApplicantModel("wa#393331234567", opted_out_at=now_ms()).save()
    before = len(gateway.sent)
    assert _sweep_and_send(_local(3, 9, 5)) == [{"skipped": 1}]
    assert len(gateway.sent) == before
    [event] = _timeline(api, case["id"])
    assert event["kind"] == "reminder_skipped" and event["data"]["reason"] == "opted_out"


def test_131047_is_recorded_on_the_case_and_not_retried(api: Api, gateway: FakeGateway) -> None:
    case = _requested(api, permit_expiry=None)
    gateway.errors.append(ReEngagementRequired("outside window", code=131047))
    assert _sweep_and_send(_local(3, 9, 5)) == [{"failed": 1}]
    [event] = _timeline(api, case["id"])
    assert event["kind"] == "reminder_failed" and event["data"]["reason"] == "graph_error_131047"
    assert _sweep_and_send(_local(3, 12)) == []


@pytest.mark.parametrize(
    "error",
    [
        ThroughputLimited("slow down", code=130429, is_transient=True),
        PairRateLimited("pair", code=131056, is_transient=True),
    ],
)
def test_throttling_leaves_the_job_for_a_later_retry_and_it_is_sent_once(
    api: Api, gateway: FakeGateway, error: Exception
) -> None:
    _requested(api, permit_expiry=None)
    handlers.sweep_reminders(_local(3, 9, 5))
    [record] = _drain()
    gateway.errors.append(error)
    before = len(gateway.sent)
    with pytest.raises(type(error)):
        handlers.send_reminders([record])
    assert len(gateway.sent) == before
    assert handlers.send_reminders([Record(record.body, record.receipt_handle, receives=2)]) == {"sent": 1}
    assert len(gateway.sent) == before + 1


def test_the_appointment_is_reminded_the_day_before_and_that_morning(
    client: Client, officer_token: Any, gateway: FakeGateway, container: Any
) -> None:
    open_counter(container)
    api = Api(client, officer_token(office="AN", role="supervisor", username="s.bianchi"))
    case = _register(api, permit_expiry=None)
    visit = counter_day(5)
    days = (visit - datetime.now(ROME).date()).days
    status, answer = api.call(
        "post", f"/api/cases/{case['id']}/appointment", {"at": f"{visit.isoformat()}T10:30", "override_reason": "x"}
    )
    assert status == 200, answer
    before = len(gateway.sent)
    assert _sweep_and_send(_local(days - 1, 10, 5)) == [{"sent": 1}]
    assert _sweep_and_send(_local(days, 8, 5)) == [{"sent": 1}]
    day_before, morning = gateway.sent[before:]
    assert isinstance(morning.content, Template)
    assert isinstance(day_before.content, Template)
    assert day_before.content.name == "sportello_promemoria_appuntamento"
    assert day_before.content.body_parameters[2] == "10:30"


def test_a_permit_about_to_expire_is_reminded_at_60_and_45_days(api: Api, gateway: FakeGateway) -> None:
    expiry = datetime.now(ROME).date() + timedelta(days=70)
    case = _register(api, permit_expiry=expiry.isoformat())
    ids = sorted(r for r in _reminders(case["id"]) if r.startswith("permit_expiry"))
    assert len(ids) == 2
    before = len(gateway.sent)
    assert _sweep_and_send(_local(10, 9, 5)) == [{"sent": 1}]
    assert gateway.sent[before].content.name == "sportello_promemoria_scadenza"  # type: ignore[union-attr]
    _register(api, permit_expiry=None)  # the renewal is opened: no second invitation
    assert _sweep_and_send(_local(25, 9, 5)) == [{"skipped": 1}]
    assert _timeline(api, case["id"])[-1]["data"]["reason"] == "renewal_opened"


def test_pacing_spreads_the_fan_out_and_spaces_one_applicant() -> None:
    from chalicelib.domain.reminders import Reminder, ReminderKind

    def reminder(applicant: str) -> Reminder:
        return Reminder("c", "AN", applicant, ReminderKind.APPOINTMENT, "r", 0, 1, ReminderState.PENDING, 0)

    delays = pace([reminder(f"wa#{i}") for i in range(200)], 80, 6)
    assert delays[0] == 0 and delays[79] == 0 and delays[80] == 1 and delays[199] == 2
    assert pace([reminder("wa#1"), reminder("wa#1"), reminder("wa#2")], 80, 6) == [0, 6, 0]


def test_quiet_hours_are_configurable() -> None:
    from chalicelib.bootstrap import reminder_policy

    assert reminder_policy("21:00-07:30") == ReminderPolicy(
        quiet_start=datetime.strptime("21:00", "%H:%M").time(), quiet_end=datetime.strptime("07:30", "%H:%M").time()
    )


def test_officers_see_what_is_scheduled_for_their_office_only(api: Api, officer_token: Any) -> None:
    case = _requested(api, permit_expiry=None)
    due_before = datetime.fromtimestamp(_local(10, 12) / 1000, tz=ROME).isoformat()
    status, listing = api.call("get", f"/api/reminders?due_before={due_before.replace('+', '%2B')}")
    assert status == 200
    mine = [r for r in listing["reminders"] if r["case_id"] == case["id"]]
    assert [r["kind"] for r in mine] == ["missing_documents", "missing_documents"]
    assert mine[0]["due_at"] < mine[1]["due_at"]
    other = officer_token(office="MC", role="officer")
    assert api.call("get", "/api/reminders", token=other)[1]["reminders"] == []
    assert api.call("get", "/api/reminders?due_before=tomorrow")[0] == 422
    assert api.call("get", "/api/reminders", token=" ")[0] == 401


GROUP = ["contratto_soggiorno", "unilav", "assunzione_domestico"]  # rapporto_lavoro: any one of them will do


def _upload_through_the_page(client: Client, container: Container, token: str, item: str) -> None:
    """The applicant sends ``item`` from their secure page (announce, the browser's POST, confirm)."""
    import hashlib

    from tests.functional.test_upload_page import PDF as PAGE_PDF
    from tests.functional.test_upload_page import _announced, _confirm, _put

    upload_id, key = _announced(client, token, item, PAGE_PDF, "application/pdf")
    _put(container, key, PAGE_PDF)
    status, answer = _confirm(client, token, upload_id, hashlib.sha256(PAGE_PDF).hexdigest())
    assert status == 200, answer


def test_the_missing_documents_reminder_lists_only_what_was_asked_for_and_has_not_arrived(
    api: Api, client: Client, gateway: FakeGateway, container: Container
) -> None:
    from tests.functional.test_upload_page import _sent_token

    case = _register(api, permit_type="lavoro_subordinato", permit_expiry=None)
    asked = ["buste_paga", "cu_730", "alloggio"]
    status, answer = api.call("post", f"/api/cases/{case['id']}/requests", {"items": asked, "note": ""})
    assert status == 200, answer
    token = _sent_token(gateway)
    for item in asked[:2]:  # two of the three arrive through the upload page
        _upload_through_the_page(client, container, token, item)
    _applicant_writes(container)
    before = len(gateway.sent)
    assert _sweep_and_send(_local(3, 9, 5)) == [{"sent": 1}]
    [reminder] = gateway.sent[before:]
    assert isinstance(reminder.content, Text)
    listed = [line for line in reminder.content.body.splitlines() if line.startswith("• ")]
    assert listed == [f"• {_title('alloggio')}"]  # not the two that arrived, nor what was never asked for


def _title(code: str) -> str:
    from chalicelib.i18n import translate

    return translate(f"document.{code}.title", "en")


def test_no_reminder_when_one_of_the_requested_alternatives_arrived(
    api: Api, client: Client, gateway: FakeGateway, container: Container
) -> None:
    from tests.functional.test_upload_page import _sent_token

    case = _register(api, permit_type="lavoro_subordinato", permit_expiry=None)
    status, answer = api.call("post", f"/api/cases/{case['id']}/requests", {"items": GROUP, "note": ""})
    assert status == 200, answer
    assert len(_reminders(case["id"])) == 2
    _upload_through_the_page(client, container, _sent_token(gateway), "unilav")
    # the group is satisfied: the reminders are re-planned away, and nothing is sent
    assert {r.state for r in _reminders(case["id"]).values()} == {"cancelled"}
    before = len(gateway.sent)
    assert _sweep_and_send(_local(3, 9, 5)) == []
    assert _sweep_and_send(_local(7, 9, 5)) == []
    assert len(gateway.sent) == before


def test_a_one_of_group_is_one_item_in_the_reminder(api: Api, gateway: FakeGateway, container: Container) -> None:
    case = _register(api, permit_type="lavoro_subordinato", permit_expiry=None)
    status, answer = api.call("post", f"/api/cases/{case['id']}/requests", {"items": GROUP, "note": ""})
    assert status == 200, answer
    before = len(gateway.sent)
    assert _sweep_and_send(_local(3, 9, 5)) == [{"sent": 1}]  # outside the window: the template
    [template] = gateway.sent[before:]
    assert isinstance(template.content, Template)
    alternatives = join_list([_title(code) for code in GROUP], "en", style="or")
    assert template.content.body_parameters[1] == alternatives
    _applicant_writes(container)
    before = len(gateway.sent)
    assert _sweep_and_send(_local(7, 9, 5)) == [{"sent": 1}]  # inside it: free text, one line for the group
    [text] = gateway.sent[before:]
    assert isinstance(text.content, Text)
    listed = [line for line in text.content.body.splitlines() if line.startswith("• ")]
    assert listed == [f"• {alternatives}"]
