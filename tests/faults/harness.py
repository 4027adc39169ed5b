"""The fault-injection harness: the real app in-process on moto, driven the way AWS and Meta drive it, with faults.

One :class:`Scenario` (seeded) is played by :func:`play` twice, clean and with faults, each on a fresh moto:

1. **Setup** (no faults): officers register cases for some applicants and ask each for a document (which plans the
   reminders).
2. **Inbound**: Meta POSTs the webhooks (duplicates and reorders are part of the scenario, so a clean run sees them
   too; a POST answered 500 is posted again until it is stored). Each stored message becomes a stream record; the
   stream hands batches of up to 25 to ``process_inbound_stream``; a failed batch is retried, bisected
   (``BisectBatchOnFunctionError``), and after ten retries given up (its messages stay pending for the redrive);
   a batch that succeeded may be delivered again. Status webhooks Meta owes are posted after each batch.
3. **Officers** answer the applicants who wrote free text (``POST /api/cases/{id}/messages``); a 409 or 5xx is
   retried as the console would, a crash is not.
4. **Reminders**: the clock jumps to 09:05 three days on; the sweep fans out to SQS; each job is delivered 1-3 times;
   a failed job comes back after its back-off, and after six receives it is parked.
5. **Quiescence**: faults stop; the clock moves on past every lease and grace period and every sweep runs until
   nothing changes.

:func:`compare` then checks the faulted run against the clean one (:class:`Report`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import boto3
from chalice.app import DynamoDBEvent
from chalice.test import Client
from moto import mock_aws

from chalicelib import bootstrap, handlers
from chalicelib.settings import get_settings
from tests.documents import jpeg, pdf
from tests.faults.dynamo import DynamoFaults, model_clients
from tests.faults.meta import GRAPH_BASE, FakeMeta, FaultPlan, WorkerKilled, session_for
from tests.support import signed, stream_event

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROME = ZoneInfo("Europe/Rome")
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=ROME)  # a fixed Monday morning: the same figures every run
PHONE_NUMBER_ID = "106540352242922"
STREAM_BATCH = 25
STREAM_RETRIES = 10  # MaximumRetryAttempts of the inbound stream's event source
SQS_MAX_RECEIVES = 6  # maxReceiveCount of the reminders queue
PARKED_AFTER = handlers.MAX_PROCESSING_ATTEMPTS
WEBHOOK_RETRIES = 20  # Meta retries for days; a run needs far fewer
STATUSES_PER_POST = 10  # Meta puts several statuses in one webhook delivery
VISIBILITY_TIMEOUT_S = 60  # the reminders queue's: a job whose worker died comes back after it

LANGUAGES = ("it", "en", "fr", "ar", "es")
COMMANDS = ("stato", "status", "info", "aiuto", "privacy")
FREE_TEXTS = ("Grazie, ho una domanda sul permesso", "When is my appointment?", "Ho cambiato lavoro")


# --- the scenario ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applicant:
    wa_id: str
    language: str
    has_case: bool


@dataclass(frozen=True, slots=True)
class Post:
    """One webhook POST Meta makes: a message, as Meta serialises it."""

    wa_id: str
    wamid: str
    message: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    """What happens, independent of faults: the applicants, the POSTs in Meta's order, the media files."""

    applicants: tuple[Applicant, ...]
    posts: tuple[Post, ...]
    media: dict[str, tuple[bytes, str]]
    officer_replies: tuple[str, ...]  # wa_ids of applicants with a case who wrote free text

    @property
    def messages(self) -> int:
        return len({p.wamid for p in self.posts})


def make_scenario(with_case: int, without_case: int, per_applicant: int, seed: int = 7) -> Scenario:
    """``with_case + without_case`` applicants writing about ``per_applicant`` messages each, interleaved, with
    Meta's duplicates (about one POST in ten) and reorders (neighbouring POSTs swapped)."""
    rng = random.Random(seed)
    applicants = [
        Applicant(f"39333{i:07d}", rng.choice(LANGUAGES), i < with_case) for i in range(with_case + without_case)
    ]
    media: dict[str, tuple[bytes, str]] = {}
    queues: list[list[Post]] = []
    replies: list[str] = []
    sent_at = int(T0.timestamp()) - 3600
    for applicant in applicants:
        posts: list[Post] = []
        for n in range(max(2, per_applicant + rng.choice((-1, 0, 0, 1)))):
            sent_at += 1
            wamid = f"wamid.FAULT{applicant.wa_id}{n:03d}"
            message, free_text = _message(rng, applicant, n, wamid, sent_at, media)
            if free_text and applicant.has_case and applicant.wa_id not in replies:
                replies.append(applicant.wa_id)
            posts.append(Post(applicant.wa_id, wamid, message))
        queues.append(posts)
    return Scenario(tuple(applicants), tuple(_as_meta_sends(rng, queues)), media, tuple(replies))


def _message(
    rng: random.Random, applicant: Applicant, n: int, wamid: str, sent_at: int, media: dict[str, tuple[bytes, str]]
) -> tuple[dict[str, Any], bool]:
    """The applicant's ``n``-th message: a greeting, the language, then commands, free text and files; and whether
    it is free text (an officer will answer it)."""
    if n == 0:
        return _text(wamid, applicant.wa_id, sent_at, "Buongiorno"), False
    if n == 1:
        return _list_reply(wamid, applicant.wa_id, sent_at, f"lang.{applicant.language}"), False
    kind = rng.choice(("command", "command", "free", "file"))
    if kind == "file":
        return _file(wamid, applicant.wa_id, sent_at, rng, media), False
    if kind == "free":
        return _text(wamid, applicant.wa_id, sent_at, rng.choice(FREE_TEXTS)), True
    return _text(wamid, applicant.wa_id, sent_at, rng.choice(COMMANDS)), False


def _as_meta_sends(rng: random.Random, queues: list[list[Post]]) -> list[Post]:
    """The applicants' messages interleaved, some POSTed twice and some swapped with their neighbour, as Meta does."""
    ordered: list[Post] = []
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        ordered.append(queue.pop(0))
        if rng.random() < 0.1:
            ordered.append(ordered[-1])
    for i in range(len(ordered) - 1):
        if rng.random() < 0.05:
            ordered[i], ordered[i + 1] = ordered[i + 1], ordered[i]
    return ordered


def _base(wamid: str, wa_id: str, sent_at: int, kind: str) -> dict[str, Any]:
    return {"from": wa_id, "id": wamid, "timestamp": str(sent_at), "type": kind}


def _text(wamid: str, wa_id: str, sent_at: int, body: str) -> dict[str, Any]:
    return {**_base(wamid, wa_id, sent_at, "text"), "text": {"body": body}}


def _list_reply(wamid: str, wa_id: str, sent_at: int, reply: str) -> dict[str, Any]:
    interactive = {"type": "list_reply", "list_reply": {"id": reply, "title": reply}}
    return {**_base(wamid, wa_id, sent_at, "interactive"), "interactive": interactive}


def _file(
    wamid: str, wa_id: str, sent_at: int, rng: random.Random, media: dict[str, tuple[bytes, str]]
) -> dict[str, Any]:
    media_id = f"{len(media) + 1000000:016d}"
    is_photo = rng.random() < 0.5
    content, mime = (jpeg(), "image/jpeg") if is_photo else (pdf(f"/Lang ({media_id})"), "application/pdf")
    media[media_id] = (content, mime)
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    kind = "image" if is_photo else "document"
    body: dict[str, Any] = {"id": media_id, "mime_type": mime, "sha256": digest}
    if not is_photo:
        body["filename"] = "documento.pdf"
    return {**_base(wamid, wa_id, sent_at, kind), kind: body}


def webhook_body(value: dict[str, Any]) -> dict[str, Any]:
    """A whole webhook POST around one ``value``."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "390712288000", "phone_number_id": PHONE_NUMBER_ID},
        **value,
    }
    change = {"value": value, "field": "messages"}
    return {"object": "whatsapp_business_account", "entry": [{"id": "419561257915477", "changes": [change]}]}


# --- the clock ------------------------------------------------------------------------------------------------------


@dataclass
class Clock:
    """The app's injectable clock (``bootstrap.now_ms``), moved by the harness only."""

    ms: int

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)

    def at(self, when: datetime) -> None:
        self.ms = int(when.timestamp() * 1000)


# --- what a run leaves ----------------------------------------------------------------------------------------------


@dataclass
class Observation:
    """What one run left: what the phones received, the timelines, the stores' states, the figures."""

    delivered: dict[str, Counter[str]]  # recipient -> normalised message -> copies
    by_callback: Counter[str]  # outbound id -> copies Meta delivered
    reminder_ids: set[str]  # normalised outbound ids of the reminders due
    timelines: dict[str, Counter[str]]  # normalised case -> normalised timeline line -> copies
    left_sending: list[str]
    inbound_states: Counter[str]
    not_stored: int
    lost_inbound: list[str]  # pending, not parked
    parked_inbound: list[str]
    reminder_states: Counter[str]
    reminders_sent_undelivered: list[str]
    figures: Counter[str] = field(default_factory=Counter)
    history: dict[str, list[str]] = field(default_factory=dict)  # normalised outbound id -> each send attempt
    reminder_outcomes: dict[str, str] = field(default_factory=dict)  # normalised outbound id -> state (outcome)


@dataclass
class Run:
    """One play of a scenario on a fresh moto (see :func:`play`)."""

    scenario: Scenario
    meta: FakeMeta
    dynamo: DynamoFaults
    clock: Clock
    client: Client
    token: str
    container: bootstrap.Container
    case_ids: dict[str, str] = field(default_factory=dict)  # wa_id -> case id
    images: dict[str, dict[str, Any]] = field(default_factory=dict)  # wamid -> stored item (stream image)
    jobs: dict[str, str] = field(default_factory=dict)  # reminder outbound id -> SQS body
    figures: Counter[str] = field(default_factory=Counter)
    conflicts: set[str] = field(default_factory=set)  # cases whose next save meets a rival's save first
    conflict_share: float = 0.0  # of the officers' replies
    officer_keys: bool = True  # the console's idempotency key on each reply (kept across its retries)
    rng: random.Random = field(default_factory=lambda: random.Random(11))

    @property
    def faulty(self) -> bool:
        return self.meta.enabled or self.dynamo.enabled

    def faults(self, on: bool) -> None:
        self.meta.enabled = on and (not self.meta.plan.clean or self.meta.kill_hook is not None)
        rivals = self.dynamo.race_rate > 0 or self.conflict_share > 0
        self.dynamo.enabled = on and (self.dynamo.throttle_rate > 0 or rivals)

    # --- Meta's side -------------------------------------------------------------------------------------------------

    def post_webhook(self, payload: dict[str, Any]) -> None:
        """POST until answered 200, as Meta retries."""
        body, headers = signed(payload)
        for _ in range(WEBHOOK_RETRIES):
            try:
                status = self.client.http.post("/webhook", headers=headers, body=body).status_code
            except WorkerKilled:
                status = 502
            if status == 200:
                return
            self.figures["webhook_retries"] += 1
        raise AssertionError("a webhook was never accepted")

    def post_statuses(self) -> None:
        statuses = self.meta.take_statuses()
        self.rng.shuffle(statuses)  # Meta sends statuses in no promised order
        for start in range(0, len(statuses), STATUSES_PER_POST):  # Meta batches statuses in one delivery
            batch = statuses[start : start + STATUSES_PER_POST]
            self.figures["status_webhooks"] += len(batch)
            self.post_webhook(webhook_body({"statuses": batch}))

    # --- the stream --------------------------------------------------------------------------------------------------

    def stored_image(self, post: Post) -> dict[str, Any] | None:
        """The new item's stream image, the first time that wamid is stored."""
        from chalicelib.adapters.dynamo.models import InboundModel

        if post.wamid in self.images:
            return None
        with self.dynamo.quiet():
            try:
                item = InboundModel.get(f"wa#{post.wa_id}", post.wamid, consistent_read=True)
            except InboundModel.DoesNotExist:
                return None
        image: dict[str, Any] = item.serialize()
        self.images[post.wamid] = image
        return image

    def invoke_stream(self, images: list[dict[str, Any]]) -> bool:
        """One Lambda invocation on a batch; False when it failed (an exception, or the worker died)."""
        self.figures["stream_invocations"] += 1
        try:
            handlers.process_inbound_stream(DynamoDBEvent(stream_event(images), None))
        except (Exception, WorkerKilled):
            self.figures["stream_batch_failures"] += 1
            return False
        finally:
            self.post_statuses()
        return True

    def deliver_batch(self, images: list[dict[str, Any]], attempt: int = 0) -> None:
        """Lambda's retries of a stream batch: retried, bisected on error, given up after the retry limit."""
        if self.invoke_stream(images):
            if self.faulty and self.rng.random() < 0.3:  # at least once: a batch may come again
                self.figures["stream_redeliveries"] += 1
                self.invoke_stream(images)
            return
        if attempt >= STREAM_RETRIES:
            self.figures["stream_batches_given_up"] += 1
            return
        if len(images) > 1:
            half = len(images) // 2
            self.deliver_batch(images[:half], attempt + 1)
            self.deliver_batch(images[half:], attempt + 1)
        else:
            self.deliver_batch(images, attempt + 1)

    # --- a rival worker --------------------------------------------------------------------------------------------

    def rival(self, operation: str, params: dict[str, Any], dice: bool) -> str | None:
        """Before a conditional write, maybe a rival writes the same item first: another officer's save before a
        case save marked to conflict; another worker on the same stream record or SQS job before a send claim."""
        if operation == "TransactWriteItems":
            return self._case_conflict(params)
        if not dice or params.get("TableName") != self.container.settings.outbound_table:
            return None
        return self._claim_race((params.get("Item") or params.get("Key") or {}).get("outbound_id", {}).get("S", ""))

    def _case_conflict(self, params: dict[str, Any]) -> str | None:
        for entry in params.get("TransactItems", []):
            write = entry.get("Put") or entry.get("Update") or {}
            key = write.get("Item") or write.get("Key") or {}
            case_id = key.get("case_id", {}).get("S")
            if write.get("TableName") == self.container.settings.cases_table and case_id in self.conflicts:
                self.conflicts.discard(case_id)
                cases = self.container.cases
                case = cases.get(case_id)
                cases.save(replace(case, updated_at_ms=case.updated_at_ms + 1), [])
                return "case_conflict"
        return None

    def _claim_race(self, outbound_id: str) -> str | None:
        rival: Callable[[], object]
        if outbound_id.startswith("chat."):
            wamid = outbound_id.removeprefix("chat.").split(".", 1)[1].rsplit(".", 1)[0]
            image = self.images.get(wamid)
            if image is None:
                return None
            rival = partial(handlers.process_inbound_stream, DynamoDBEvent(stream_event([image]), None))
        elif outbound_id in self.jobs:
            rival = partial(handlers.send_reminders, [SqsRecord(self.jobs[outbound_id], "rival")])
        else:
            return None
        try:
            rival()
        except (Exception, WorkerKilled):
            self.figures["rival_worker_failures"] += 1
        return "claim_race"

    # --- officers ----------------------------------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": self.token, "Content-Type": "application/json"}
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["body"] = json.dumps(body)
        response = getattr(self.client.http, method)(path, **kwargs)
        return response.status_code, json.loads(response.body) if response.body else None

    def officer_reply(self, wa_id: str, n: int) -> None:
        """An officer answers; a 409 or an error answer is retried (the console would), a dropped request is not."""
        case_id = self.case_ids[wa_id]
        if self.conflict_share and self.rng.random() < self.conflict_share:
            self.conflicts.add(case_id)
        for _ in range(5):
            try:
                reply: dict[str, Any] = {"text": f"Risposta {n}"}
                if self.officer_keys:
                    reply["idempotency_key"] = f"reply-{n:04d}-{wa_id}"
                status, _answer = self.api("post", f"/api/cases/{case_id}/messages", reply)
            except WorkerKilled:
                self.figures["officer_requests_dropped"] += 1
                return
            if status == 200:
                return
            self.figures[f"officer_retries_{status}"] += 1
        self.figures["officer_replies_given_up"] += 1

    # --- reminders ---------------------------------------------------------------------------------------------------

    def drain_jobs(self) -> list[SqsRecord]:
        sqs = self.container.client("sqs")
        with self.dynamo.quiet():
            url = sqs.get_queue_url(QueueName=self.container.settings.reminder_queue)["QueueUrl"]
            records = []
            while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                "Messages", []
            ):
                for message in got:
                    records.append(SqsRecord(message["Body"], message["ReceiptHandle"]))
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        for record in records:
            job = json.loads(record.body)
            from chalicelib.domain.reminders import outbound_id

            self.jobs[outbound_id(job["case_id"], job["reminder_id"])] = record.body
        return records

    def deliver_jobs(self, records: list[SqsRecord]) -> list[SqsRecord]:
        """One round of the reminder worker; returns the jobs that come back (failed, not yet parked)."""
        back: list[SqsRecord] = []
        for record in records:
            copies = self.rng.choice((1, 1, 2, 3)) if self.faulty else 1
            for copy in range(copies):
                if copy:
                    self.figures["sqs_redeliveries"] += 1
                self.figures["reminder_invocations"] += 1
                try:
                    handlers.send_reminders([record])
                except (Exception, WorkerKilled) as exc:
                    self.figures["reminder_job_failures"] += 1
                    if record.receives >= SQS_MAX_RECEIVES:
                        self.figures["reminder_jobs_parked"] += 1
                    else:  # visible again after the handler's back-off (a crash: the queue's own timeout)
                        visible = self.clock() + 1000 * self._back_off(record, exc)
                        back.append(SqsRecord(record.body, record.receipt_handle, record.receives + 1, visible))
                    break
                finally:
                    self.post_statuses()
        return back

    def _back_off(self, record: SqsRecord, exc: BaseException) -> int:
        """Seconds until a failed job is received again: what ``handlers._back_off`` sets, as SQS would keep it."""
        if isinstance(exc, WorkerKilled):
            return VISIBILITY_TIMEOUT_S
        base: int = self.container.settings.reminder_retry_base_seconds
        return min(900, max(int(getattr(exc, "retry_after", None) or 0), base * int(2 ** (record.receives - 1))))

    def reminder_round(self, pending: list[SqsRecord]) -> list[SqsRecord]:
        """A sweep, then every job visible now (new ones and those whose back-off is over)."""
        try:
            handlers.sweep_reminders()
        except (Exception, WorkerKilled):  # a failed sweep is run again by the next schedule
            self.figures["sweep_failures"] += 1
        jobs = pending + self.drain_jobs()
        visible = [job for job in jobs if job.visible_at_ms <= self.clock()]
        waiting = [job for job in jobs if job.visible_at_ms > self.clock()]
        return waiting + self.deliver_jobs(visible)

    def sweeps(self) -> None:
        """Every scheduled safety net once (each may crash like any invocation)."""
        for sweep in (handlers.redrive_inbound,):
            try:
                sweep()
            except (Exception, WorkerKilled):
                self.figures["sweep_failures"] += 1
            finally:
                self.post_statuses()


@dataclass
class SqsRecord:
    """What the reminder worker reads of an SQS record."""

    body: str
    receipt_handle: str
    receives: int = 1
    visible_at_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"attributes": {"ApproximateReceiveCount": str(self.receives)}}


# --- playing a scenario ---------------------------------------------------------------------------------------------


def play(
    scenario: Scenario,
    plan: FaultPlan,
    *,
    throttle_rate: float = 0.0,
    race_rate: float = 0.0,
    conflict_share: float = 0.0,
    prepare: Callable[[Run], None] | None = None,
) -> Observation:
    """Play ``scenario`` on a fresh moto with the faults of ``plan`` (and DynamoDB's), then observe."""
    from devtools.local_auth import mint_id_token
    from devtools.local_aws import create_resources
    from tests.conftest import _RESOURCES, _TEMPLATE, ROOT, TEST_AUDIENCE, TEST_ISSUER, TEST_SIGNING_KEY

    with ExitStack() as stack:
        stack.enter_context(mock_aws())
        dynamo = DynamoFaults(throttle_rate=throttle_rate, race_rate=race_rate)
        stack.enter_context(dynamo.hooking_new_clients())
        create_resources(_TEMPLATE, _RESOURCES, boto3.session.Session(), "eu-south-1")
        clock = Clock(int(T0.timestamp() * 1000))
        stack.enter_context(_patched_clock(clock))
        get_settings.cache_clear()
        container = bootstrap.Container(get_settings())
        meta = FakeMeta(plan=plan, media=dict(scenario.media))
        from chalicelib.whatsapp.graph import GraphApiClient

        settings = container.settings
        container.__dict__["gateway"] = GraphApiClient(
            base_url=GRAPH_BASE,
            api_version=settings.graph_api_version,
            phone_number_id=lambda: PHONE_NUMBER_ID,
            access_token=lambda: "test-access-token",
            session=session_for(meta),
            sleep=lambda seconds: None,  # the back-off is Meta's business here, not the test's wall clock
            random=lambda: 0.5,
            office_number=bootstrap.office_number,
        )
        bootstrap.override(container)
        stack.callback(bootstrap.override, None)
        dynamo.install(model_clients())
        stack.callback(dynamo.uninstall)
        from app import app

        client = stack.enter_context(Client(app, stage_name="dev", project_dir=str(ROOT)))
        token = "Bearer " + mint_id_token(
            TEST_SIGNING_KEY,
            issuer=TEST_ISSUER,
            audience=TEST_AUDIENCE,
            office="AN",
            role="officer",
            username="faults.officer",
            display_name="Fault Officer",
        )
        run = Run(scenario, meta, dynamo, clock, client, token, container, conflict_share=conflict_share)
        dynamo.race = run.rival
        if prepare is not None:
            prepare(run)
        _setup(run)
        run.faults(True)
        _inbound(run)
        _officers(run)
        _reminders(run)
        run.faults(False)
        _quiesce(run)
        return _observe(run)


class _patched_clock:
    def __init__(self, clock: Clock) -> None:
        self._clock, self._saved = clock, bootstrap.now_ms

    def __enter__(self) -> None:
        bootstrap.now_ms = self._clock

    def __exit__(self, *exc: object) -> None:
        bootstrap.now_ms = self._saved


def _setup(run: Run) -> None:
    for applicant in run.scenario.applicants:
        if not applicant.has_case:
            continue
        body = {
            "procedure": "rinnovo",
            "permit_type": "lavoro_subordinato",
            "applicant": {"phone": f"+{applicant.wa_id}", "name": "Richiedente", "language": applicant.language},
        }
        status, answer = run.api("post", "/api/cases", body)
        assert status == 201, answer
        case_id = answer["case"]["id"]
        run.case_ids[applicant.wa_id] = case_id
        status, answer = run.api("post", f"/api/cases/{case_id}/requests", {"items": ["buste_paga"], "note": ""})
        assert status == 200, answer


def _inbound(run: Run) -> None:
    buffer: list[dict[str, Any]] = []
    for post in run.scenario.posts:
        contact = {"profile": {"name": "Richiedente"}, "wa_id": post.wa_id}
        run.post_webhook(webhook_body({"contacts": [contact], "messages": [post.message]}))
        image = run.stored_image(post)
        if image is not None:
            buffer.append(image)
        if len(buffer) >= STREAM_BATCH:
            run.deliver_batch(buffer)
            buffer = []
    if buffer:
        run.deliver_batch(buffer)
    run.figures["webhook_posts"] = len(run.scenario.posts)


def _officers(run: Run) -> None:
    run.clock.advance(600)
    for n, wa_id in enumerate(run.scenario.officer_replies):
        run.officer_reply(wa_id, n)
        run.post_statuses()


def _reminders(run: Run) -> None:
    day = (T0 + timedelta(days=3)).date()
    run.clock.at(datetime(day.year, day.month, day.day, 9, 5, tzinfo=ROME))
    pending = run.reminder_round([])
    for _ in range(SQS_MAX_RECEIVES + 2):
        if not pending:
            break
        run.clock.ms = max(run.clock.ms + 1000, min(job.visible_at_ms for job in pending))
        run.sweeps()
        pending = run.reminder_round(pending)
    run.figures["reminder_jobs_left_faulted"] = len(pending)
    run.pending_jobs = pending  # type: ignore[attr-defined]


def _quiesce(run: Run) -> None:
    """No more faults: move the clock past leases and grace periods and run every sweep until nothing changes."""
    pending: list[SqsRecord] = getattr(run, "pending_jobs", [])
    for _ in range(6):
        run.clock.advance(16 * 60)  # past the reminder lease (15 min) and the redrive delay (5 min)
        run.sweeps()
        pending = run.reminder_round(pending)
        run.post_statuses()


# --- observing ------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"/u/[A-Za-z0-9_\-]{16,}")


def _normaliser(run: Run) -> Callable[[str], str]:
    names = {case_id: f"CASE{i}" for i, case_id in enumerate(run.case_ids.values())}
    pattern = re.compile("|".join(re.escape(c) for c in names)) if names else None

    def normalise(text: str) -> str:
        text = _TOKEN.sub("/u/<token>", text)
        return pattern.sub(lambda m: names[m.group(0)], text) if pattern else text

    return normalise


def _without_tokens(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with each upload link's token (a URL button's parameter) replaced: tokens are random."""
    template = payload.get("template")
    if isinstance(template, dict):
        components = [
            {**c, "parameters": [{**p, "text": "<token>"} for p in c.get("parameters", [])]}
            if c.get("sub_type") == "url"
            else c
            for c in template.get("components", [])
        ]
        payload = {**payload, "template": {**template, "components": components}}
    return payload


def _observe(run: Run) -> Observation:
    from chalicelib.adapters.dynamo.case_models import CaseRecordModel
    from chalicelib.adapters.dynamo.models import InboundModel, OutboundModel
    from chalicelib.adapters.dynamo.reminders import ReminderModel
    from chalicelib.domain.reminders import outbound_id

    normalise = _normaliser(run)
    delivered: dict[str, Counter[str]] = {}
    by_callback: Counter[str] = Counter()
    for sent in run.meta.delivered:
        payload = _without_tokens({k: v for k, v in sent.payload.items() if k != "biz_opaque_callback_data"})
        delivered.setdefault(sent.to, Counter())[normalise(json.dumps(payload, sort_keys=True))] += 1
        by_callback[normalise(sent.callback)] += 1
    with run.dynamo.quiet():
        timelines: dict[str, Counter[str]] = {}
        reminder_ids: set[str] = set()
        reminder_states: Counter[str] = Counter()
        outcomes: dict[str, str] = {}
        sent_undelivered: list[str] = []
        for case_id in run.case_ids.values():
            lines: Counter[str] = Counter()
            for record in CaseRecordModel.query(case_id, CaseRecordModel.record_id.startswith("event#")):
                data = {k: v for k, v in dict(record.data or {}).items() if k not in ("link_id", "at", "event_id")}
                lines[normalise(json.dumps([record.kind, data], sort_keys=True))] += 1
            timelines[normalise(case_id)] = lines
            for reminder in ReminderModel.query(case_id):
                reminder_states[reminder.state] += 1
                callback = outbound_id(case_id, reminder.reminder_id)
                outcomes[normalise(callback)] = f"{reminder.state} ({reminder.outcome})"
                if reminder.state == "sent":
                    reminder_ids.add(normalise(callback))
                    if by_callback[normalise(callback)] == 0:
                        sent_undelivered.append(normalise(callback))
        left_sending = [
            normalise(f"{i.outbound_id} (wamid {'set' if i.wamid else 'none'}, status {i.status})")
            for i in OutboundModel.scan()
            if i.state == "sending"
        ]
        states: Counter[str] = Counter()
        lost: list[str] = []
        parked: list[str] = []
        stored = set()
        for item in InboundModel.scan():
            stored.add(item.wamid)
            states[item.state] += 1
            if item.state != "processed":
                (parked if int(item.attempts or 0) >= PARKED_AFTER else lost).append(item.wamid)
    not_stored = len({p.wamid for p in run.scenario.posts} - stored)
    figures = run.figures + run.meta.injected + run.dynamo.injected
    figures["messages"] = run.scenario.messages
    figures["reminders_sent"] = reminder_states["sent"]
    return Observation(
        delivered,
        by_callback,
        reminder_ids,
        timelines,
        left_sending,
        states,
        not_stored,
        lost,
        parked,
        reminder_states,
        sent_undelivered,
        figures,
        {normalise(k): v for k, v in run.meta.history.items()},
        outcomes,
    )


# --- the invariants -------------------------------------------------------------------------------------------------


@dataclass
class Report:
    """What the faulted run did differently from the clean one; :attr:`ok` when nothing."""

    duplicated: int = 0  # copies beyond what the clean run delivered (same recipient, same message)
    lost: int = 0  # copies the clean run delivered and the faulted run did not
    unexpected: int = 0  # messages the clean run never sent
    duplicate_sends: int = 0  # one outbound id delivered more than once
    reminders_missing: int = 0
    reminders_doubled: int = 0
    reminders_sent_undelivered: int = 0
    timeline_doubled: int = 0
    timeline_missing: int = 0
    left_sending: int = 0
    inbound_lost: int = 0
    inbound_parked: int = 0
    not_stored: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(v for k, v in self.__dict__.items() if k not in ("examples", "inbound_parked"))

    def example(self, kind: str, text: str) -> None:
        """Keep a few examples of each finding for the report."""
        if len(self.examples) < 40:
            self.examples.append(f"{kind}: {text[:300]}")

    def lines(self) -> list[str]:
        return [f"{k}: {v}" for k, v in self.__dict__.items() if k != "examples"] + self.examples[:12]


def compare(clean: Observation, faulted: Observation) -> Report:
    """Check the invariants of the faulted run against the clean run of the same scenario."""
    report = Report()
    _compare_deliveries(clean, faulted, report)
    _compare_reminders(clean, faulted, report)
    _compare_timelines(clean, faulted, report)
    report.left_sending = len(faulted.left_sending)
    for outbound in faulted.left_sending[:5]:
        report.example("claim left sending", outbound)
    report.inbound_lost = len(faulted.lost_inbound)
    report.inbound_parked = len(faulted.parked_inbound)
    report.not_stored = faulted.not_stored
    return report


def _compare_deliveries(clean: Observation, faulted: Observation, report: Report) -> None:
    """Per recipient, what the phone received (normalised) against the clean run; and no outbound id twice."""
    for recipient in set(clean.delivered) | set(faulted.delivered):
        want, got = clean.delivered.get(recipient, Counter()), faulted.delivered.get(recipient, Counter())
        for message in set(want) | set(got):
            extra = got[message] - want[message]
            if extra > 0 and want[message]:
                report.duplicated += extra
                report.example("duplicated", f"{recipient} {message}")
            elif extra > 0:
                report.unexpected += extra
                report.example("unexpected", f"{recipient} {message}")
            elif extra < 0:
                report.lost -= extra
                report.example("lost", f"{recipient} {message}")
    for callback, copies in faulted.by_callback.items():
        if copies > 1:
            report.duplicate_sends += copies - 1
            report.example("sent twice", f"{callback}: {faulted.history.get(callback)}")


def _compare_reminders(clean: Observation, faulted: Observation, report: Report) -> None:
    """Every reminder the clean run sent, sent once; none marked sent that Meta never delivered."""
    report.reminders_missing = len(clean.reminder_ids - faulted.reminder_ids)
    for callback in sorted(clean.reminder_ids - faulted.reminder_ids):
        outcome = faulted.reminder_outcomes.get(callback)
        report.example("reminder missing", f"{callback}: {outcome}, sends {faulted.history.get(callback)}")
    report.reminders_doubled = sum(
        1 for callback, copies in faulted.by_callback.items() if callback.startswith("reminder.") and copies > 1
    )
    report.reminders_sent_undelivered = len(faulted.reminders_sent_undelivered)
    for callback in faulted.reminders_sent_undelivered:
        report.example("reminder marked sent, never delivered", callback)


def _compare_timelines(clean: Observation, faulted: Observation, report: Report) -> None:
    """Per case, the timeline's lines (normalised) against the clean run: none doubled, none missing."""
    for case in set(clean.timelines) | set(faulted.timelines):
        want, got = clean.timelines.get(case, Counter()), faulted.timelines.get(case, Counter())
        for line in set(want) | set(got):
            if got[line] > want[line]:
                report.timeline_doubled += got[line] - want[line]
                report.example("timeline doubled", f"{case} {line}")
            elif want[line] > got[line]:
                report.timeline_missing += want[line] - got[line]
                report.example("timeline missing", f"{case} {line}")


def figures_text(scenario: Scenario, faulted: Observation, report: Report) -> str:
    """The figures of a run, as written to ``test-artifacts/faults.txt``."""
    f = faulted.figures
    faults = {k: f[k] for k in sorted(f) if k.startswith(("graph_", "connect_", "read_", "kill_", "dynamo_", "claim_"))}
    lines = [
        f"inbound messages: {scenario.messages} ({len(scenario.posts)} webhook POSTs with Meta's duplicates, reorders)",
        f"applicants: {len(scenario.applicants)}; officer replies: {len(scenario.officer_replies)}",
        f"reminders due and sent: {f['reminders_sent']}",
        "faults injected: " + ", ".join(f"{k} {v}" for k, v in faults.items()) + f" (total {sum(faults.values())})",
        "redeliveries: "
        + ", ".join(
            f"{k} {f[k]}"
            for k in (
                "stream_redeliveries",
                "stream_batch_failures",
                "stream_batches_given_up",
                "sqs_redeliveries",
                "reminder_job_failures",
                "webhook_retries",
            )
        ),
        f"duplicates: {report.duplicated + report.duplicate_sends + report.timeline_doubled + report.reminders_doubled}"
        f"; lost: {report.lost + report.inbound_lost + report.reminders_missing + report.reminders_sent_undelivered}"
        f"; unexpected: {report.unexpected}; claims left sending: {report.left_sending}"
        f"; parked visibly: {report.inbound_parked}",
        *report.lines(),
    ]
    return "\n".join(lines) + "\n"


def iter_posts(scenario: Scenario) -> Iterator[Post]:
    yield from scenario.posts
