"""The composition root: the one place where adapters are chosen and wired to the use cases.

Nothing here runs at import time. :func:`container` builds the graph on first use and caches it for the life of
the Lambda execution environment; boto3 clients, the Graph API session and the secrets are created lazily
inside it. Tests swap the whole graph with :func:`override`.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.observability import configure_logging
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from chalicelib.adapters.api_secret import CursorKeyProvider
    from chalicelib.adapters.documents import S3DocumentStorage
    from chalicelib.adapters.erasure import PersonalDataEraser
    from chalicelib.adapters.reminder_queue import SqsJobQueue
    from chalicelib.adapters.secrets import SecretsProvider
    from chalicelib.auth import TokenVerifier
    from chalicelib.domain.cases import Case
    from chalicelib.domain.inbound import InboundMessage
    from chalicelib.domain.reminders import ReminderPolicy
    from chalicelib.domain.retention import RetentionPolicy
    from chalicelib.domain.upload_links import IssuedLink, LinkPurpose
    from chalicelib.services.audit import AuditLog
    from chalicelib.services.calendar.slots import CalendarDeps
    from chalicelib.services.cases.erasure import ErasureDeps
    from chalicelib.services.cases.export import ExportDeps
    from chalicelib.services.cases.ports import CaseRepository, DocumentStorage
    from chalicelib.services.cases.registry import CaseDeps
    from chalicelib.services.chat.turn import ChatDeps
    from chalicelib.services.messages.gateway import WhatsAppGateway
    from chalicelib.services.messages.ingest import IngestDeps
    from chalicelib.services.messages.messenger import Messenger
    from chalicelib.services.messages.notices import Notifier
    from chalicelib.services.messages.ports import (
        ApplicantStore,
        InboundStore,
        OutboundStore,
        QuarantineStore,
        ThreadStore,
    )
    from chalicelib.services.messages.process import ProcessDeps
    from chalicelib.services.metrics import Metrics
    from chalicelib.services.officers import OfficerDirectory, SeenOfficers
    from chalicelib.services.privacy import PrivacyContext
    from chalicelib.services.public_info import SummaryStore
    from chalicelib.services.reminders.delivery import DeliveryDeps
    from chalicelib.services.reminders.ports import ReminderStore
    from chalicelib.services.reminders.schedule import SchedulerDeps
    from chalicelib.services.retention import AnonymiseDeps
    from chalicelib.services.uploads.page import UploadDeps

# What erasure tries of a turn's reply ids, to find the replies filed in no thread (see chat_reply_ids).
MAX_REPLIES_PER_TURN = 10
# Parallel conditional puts for batched webhooks (different applicants only; see services.ingest).
INGEST_WORKERS = 8
# A JWKS fetch happens on a cold start or a key rotation, inside an officer's request: fail fast if it hangs.
JWKS_TIMEOUT_S = 3.0


def phone_region(wa_id: str) -> str | None:
    """The country (ISO 3166) of a WhatsApp number, to guess the applicant's language."""
    import phonenumbers

    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(f"+{wa_id}"))
    except phonenumbers.NumberParseException:
        return None


def reminder_policy(quiet_hours: str) -> ReminderPolicy:
    """The reminder timing, with quiet hours from ``HH:MM-HH:MM`` (office-local)."""
    from datetime import time as clock

    from chalicelib.domain.reminders import ReminderPolicy
    from chalicelib.settings import ConfigurationError

    try:
        start, end = (clock.fromisoformat(part.strip()) for part in quiet_hours.split("-"))
    except ValueError as exc:
        raise ConfigurationError("REMINDER_QUIET_HOURS must look like 20:00-08:00") from exc
    return ReminderPolicy(quiet_start=start, quiet_end=end)


def privacy_context(settings: Settings) -> PrivacyContext:
    """The privacy notice's links and retention periods, from the settings that set the stores' expiry."""
    from chalicelib.adapters.dynamo.upload_links import KEEP_AFTER_EXPIRY
    from chalicelib.services.privacy import PrivacyContext, Retention

    retention = Retention(
        inbound_days=settings.inbound_retention_days,
        outbound_days=settings.outbound_retention_days,
        quarantine_days=settings.quarantine_retention_days,
        upload_link_seconds=settings.upload_link_seconds,
        upload_link_kept_days=KEEP_AFTER_EXPIRY.days,
        document_days=settings.document_retention_days,
        case_days=settings.case_retention_days,
        applicant_days=settings.applicant_retention_days,
    )
    return PrivacyContext(settings.public_base_url, retention, settings.region)


def office_number(code: str) -> str | None:
    """The office's own WhatsApp number (Meta's ``phone_number_id``) from ``offices.json``; None: the configured."""
    from chalicelib.offices import offices

    entry = offices().get(code)
    return entry.phone_number_id if entry else None


def chat_reply_ids(message: InboundMessage) -> list[str]:
    """Every id the chat may have given a reply to ``message`` (a turn says far fewer things than this)."""
    from chalicelib.services.chat.conversation import reply_id

    return [reply_id(message, index) for index in range(MAX_REPLIES_PER_TURN)]


def now_ms() -> int:
    """Wall-clock time in milliseconds."""
    return int(time.time() * 1000)


class Container:
    """Adapters and use-case dependencies, built lazily."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[str, Any] = {}
        self._session: Any = None
        self._lock = threading.Lock()
        from chalicelib.adapters.dynamo.models import bind_models

        bind_models(settings)

    def client(self, service: str) -> Any:
        """A cached boto3 client (botocore honours AWS_ENDPOINT_URL, which points at moto locally).

        One boto3 session makes them all: a session loads endpoint data and resolves credentials once, and a cold
        start pays for every session it builds. Clients are thread-safe; building one is not, hence the lock.
        """
        with self._lock:
            if service not in self._clients:
                if self._session is None:
                    import boto3

                    self._session = boto3.session.Session()
                self._clients[service] = self._session.client(service, region_name=self.settings.region)
            return self._clients[service]

    @cached_property
    def secrets(self) -> SecretsProvider:
        from chalicelib.adapters.secrets import SecretsProvider

        return SecretsProvider(self.settings.whatsapp_secret_id, lambda: self.client("secretsmanager"))

    @cached_property
    def metrics(self) -> Metrics:
        """Business metrics: EMF lines on stdout in Lambda, nothing elsewhere (see ``Settings.emf_metrics``)."""
        if not self.settings.emf_metrics:
            from chalicelib.services.metrics import NO_METRICS

            return NO_METRICS
        from chalicelib.observability import EmfMetrics

        return EmfMetrics()

    @cached_property
    def inbound(self) -> InboundStore:
        from chalicelib.adapters.dynamo.messages import DynamoInboundStore

        return DynamoInboundStore(self.settings.inbound_retention_days)

    @cached_property
    def outbound(self) -> OutboundStore:
        from chalicelib.adapters.dynamo.messages import DynamoOutboundStore

        return DynamoOutboundStore(self.settings.outbound_retention_days)

    @cached_property
    def applicants(self) -> ApplicantStore:
        from chalicelib.adapters.dynamo.applicants import DynamoApplicantStore

        return DynamoApplicantStore(self.retention)

    @cached_property
    def quarantine(self) -> QuarantineStore:
        from chalicelib.adapters.dynamo.quarantine import DynamoQuarantineStore

        return DynamoQuarantineStore(
            self.settings.quarantine_retention_days, self.settings.media_bucket, lambda: self.client("s3")
        )

    @cached_property
    def gateway(self) -> WhatsAppGateway:
        # Imported here: requests costs ~70 ms of cold start that the webhook's ack path never needs.
        from chalicelib.whatsapp.graph import GraphApiClient

        return GraphApiClient(
            base_url=self.settings.graph_api_base_url,
            api_version=self.settings.graph_api_version,
            phone_number_id=lambda: self.secrets.get().phone_number_id,
            access_token=lambda: self.secrets.get().access_token,
            office_number=office_number,
        )

    @cached_property
    def messenger(self) -> Messenger:
        from chalicelib.services.messages.messenger import Messenger, SendPolicy

        policy = SendPolicy(self.settings.send_lease_seconds * 1000, self.settings.send_reconcile_seconds * 1000)
        return Messenger(self.gateway, self.outbound, now_ms, self.metrics, policy)

    def fresh_link(self, case_id: str, purpose: LinkPurpose) -> str | None:
        """A new upload link's token for a message the outbox sends again (its record keeps no token); None when
        the case is gone."""
        from chalicelib.services.cases.ports import CaseNotFound

        try:
            case = self.cases.get(case_id)
        except CaseNotFound:
            return None
        return self.issue_link(case, purpose).token

    @cached_property
    def ingest_deps(self) -> IngestDeps:
        from chalicelib.services.messages.ingest import IngestDeps

        executor = ThreadPoolExecutor(max_workers=INGEST_WORKERS, thread_name_prefix="ingest")
        return IngestDeps(
            app_secret=lambda: self.secrets.get().app_secret,
            inbound=self.inbound,
            outbound=self.outbound,
            quarantine=self.quarantine,
            clock_ms=now_ms,
            executor=executor,
            metrics=self.metrics,
            route=self.route,
        )

    def route(self, phone_number_id: str) -> str | None:
        """The office a message sent to ``phone_number_id`` is for (None: no office's number)."""
        from chalicelib.offices import office_for_number

        configured = self.secrets.get().phone_number_id
        return office_for_number(phone_number_id, configured, self.settings.default_office)

    @cached_property
    def process_deps(self) -> ProcessDeps:
        from chalicelib.services.chat.conversation import handle_message
        from chalicelib.services.messages.process import ProcessDeps

        chat = self.chat_deps
        return ProcessDeps(self.inbound, self.applicants, self.gateway, lambda m: handle_message(m, chat), now_ms)

    @cached_property
    def chat_deps(self) -> ChatDeps:
        from chalicelib.adapters.dynamo.applicants import DynamoConversationStore
        from chalicelib.catalogue import load_catalogue
        from chalicelib.offices import office
        from chalicelib.services.chat.media_intake import MediaIntake
        from chalicelib.services.chat.turn import ChatDeps

        intake = MediaIntake(
            self.gateway, self.document_storage, self.cases, self.settings.max_document_bytes, now_ms, self.metrics
        )
        return ChatDeps(
            conversations=DynamoConversationStore(),
            cases=self.cases,
            inbound=self.inbound,
            messenger=self.messenger,
            intake=intake,
            catalogue=load_catalogue,
            office=office,
            default_office=self.settings.default_office,
            region_of=phone_region,
            clock_ms=now_ms,
            issue_link=self.issue_link,
            calendar=self.calendar_deps,
            privacy=self.privacy,
            max_mb=self.settings.max_document_bytes // (1024 * 1024),
        )

    @cached_property
    def privacy(self) -> PrivacyContext:
        """The privacy notice's context (the chat's link and short notice, the full notice)."""
        return privacy_context(self.settings)

    @cached_property
    def cursor_key(self) -> CursorKeyProvider:
        from chalicelib.adapters.api_secret import CursorKeyProvider

        return CursorKeyProvider(
            self.settings.cursor_secret, self.settings.api_secret_id, lambda: self.client("secretsmanager")
        )

    def cursor_secret(self) -> bytes:
        """The key that signs pagination cursors (read lazily)."""
        return self.cursor_key.get()

    @cached_property
    def verifier(self) -> TokenVerifier:
        from chalicelib.auth import TokenVerifier, jwks_from_json, jwks_from_url
        from chalicelib.settings import require

        issuer = require(self.settings.auth_issuer, "AUTH_ISSUER")
        audience = require(self.settings.auth_audience, "AUTH_AUDIENCE")
        if self.settings.auth_jwks_json:
            jwks = jwks_from_json(self.settings.auth_jwks_json)  # the local issuer's keys
        else:
            jwks = jwks_from_url(f"{issuer.rstrip('/')}/.well-known/jwks.json", timeout=JWKS_TIMEOUT_S)  # Cognito's
        return TokenVerifier(issuer, audience, jwks)

    @cached_property
    def audit(self) -> AuditLog:
        from chalicelib.adapters.dynamo.audit import DynamoAuditLog

        return DynamoAuditLog(self.cursor_secret, retention=self.retention)

    @cached_property
    def cases(self) -> CaseRepository:
        """Cases; every stored change re-plans the case's reminders."""
        from chalicelib.adapters.dynamo.applicants import DynamoApplicantStore
        from chalicelib.adapters.dynamo.cases import DynamoCaseRepository
        from chalicelib.services.reminders.hook import SchedulingCases
        from chalicelib.services.retention import RetainingCases

        stored = DynamoCaseRepository(
            self.settings.region, self.retention, outbox_retention_days=self.settings.outbound_retention_days
        )
        # Retention inside the reminders' hook: a closing's clocks start before its reminders are cancelled.
        applicants = DynamoApplicantStore(self.retention)
        retained = RetainingCases(stored, stored, self.s3_documents, applicants, self.retention, now_ms)
        return SchedulingCases(retained, self.scheduler)

    @cached_property
    def anonymise_deps(self) -> AnonymiseDeps:
        """The daily anonymisation of closed cases whose retention ended: erasure's deleting store, no notice."""
        from chalicelib.adapters.dynamo.cases import DynamoCaseRepository
        from chalicelib.offices import offices
        from chalicelib.services.retention import AnonymiseDeps

        ended = DynamoCaseRepository(self.settings.region, self.retention)
        return AnonymiseDeps(self.cases, ended, self.personal_data, tuple(offices().keys()), now_ms)

    @cached_property
    def retention(self) -> RetentionPolicy:
        """How long each kind of personal data is kept (the README's "Retention" table)."""
        from chalicelib.domain.retention import RetentionPolicy

        return RetentionPolicy(
            document_days=self.settings.document_retention_days,
            case_days=self.settings.case_retention_days,
            applicant_days=self.settings.applicant_retention_days,
            audit_days=self.settings.audit_retention_days,
        )

    @cached_property
    def reminders(self) -> ReminderStore:
        from chalicelib.adapters.dynamo.reminders import DynamoReminderStore
        from chalicelib.offices import offices

        return DynamoReminderStore(offices().keys(), now_ms)

    @cached_property
    def reminder_queue(self) -> SqsJobQueue:
        from chalicelib.adapters.reminder_queue import SqsJobQueue

        return SqsJobQueue(self.settings.reminder_queue, lambda: self.client("sqs"))

    @cached_property
    def scheduler(self) -> SchedulerDeps:
        from chalicelib.offices import offices
        from chalicelib.services.reminders.schedule import SchedulerDeps

        return SchedulerDeps(
            store=self.reminders,
            queue=self.reminder_queue,
            policy=reminder_policy(self.settings.quiet_hours),
            clock_ms=now_ms,
            throughput_per_s=self.settings.throughput_per_s,
            zones={code: entry.timezone for code, entry in offices().items()},
        )

    @cached_property
    def delivery_deps(self) -> DeliveryDeps:
        from chalicelib.adapters.dynamo.applicants import DynamoConversationStore
        from chalicelib.catalogue import load_catalogue
        from chalicelib.services.reminders.delivery import DeliveryDeps

        return DeliveryDeps(
            scheduler=self.scheduler,
            cases=self.cases,
            notifier=self.notifier,
            opted_out=DynamoConversationStore().opted_out,
            catalogue=load_catalogue,
            issue_link=self.issue_link,
            metrics=self.metrics,
            lease_ms=self.settings.send_lease_seconds * 1000,
        )

    @cached_property
    def s3_documents(self) -> S3DocumentStorage:
        """The media bucket's documents: officers' links, chat files, and the upload page's forms."""
        from chalicelib.adapters.documents import S3DocumentStorage

        return S3DocumentStorage(self.settings.media_bucket, lambda: self.client("s3"))

    @cached_property
    def document_storage(self) -> DocumentStorage:
        return self.s3_documents

    @cached_property
    def notifier(self) -> Notifier:
        from chalicelib.services.messages.notices import Notifier

        return Notifier(self.messenger, self.applicants, now_ms)

    @cached_property
    def calendar_deps(self) -> CalendarDeps:
        """The counter calendar: its store, Italy's holidays, the offices' defaults."""
        from chalicelib.adapters.dynamo.calendar import DynamoCalendarStore
        from chalicelib.adapters.holidays import ItalianHolidays
        from chalicelib.offices import office
        from chalicelib.services.calendar.slots import CalendarDeps

        return CalendarDeps(DynamoCalendarStore(), ItalianHolidays(office), office, self.audit, now_ms)

    @cached_property
    def thread(self) -> ThreadStore:
        from chalicelib.adapters.dynamo.thread import DynamoThreadStore

        return DynamoThreadStore()

    @cached_property
    def officers(self) -> OfficerDirectory:
        from chalicelib.adapters.dynamo.officers import DynamoOfficerDirectory

        return DynamoOfficerDirectory(self.settings.officer_retention_days)

    @cached_property
    def seen_officers(self) -> SeenOfficers:
        """Remembers officers in the directory as they make requests (at most every few minutes each)."""
        from chalicelib.services.officers import SeenOfficers

        return SeenOfficers(self.officers, now_ms)

    @cached_property
    def summaries(self) -> SummaryStore:
        from chalicelib.adapters.dynamo.summaries import DynamoSummaryStore

        return DynamoSummaryStore()

    @cached_property
    def case_deps(self) -> CaseDeps:
        from chalicelib.catalogue import load_catalogue
        from chalicelib.services.cases.registry import CaseDeps

        return CaseDeps(
            cases=self.cases,
            storage=self.document_storage,
            audit=self.audit,
            notifier=self.notifier,
            catalogue=load_catalogue,
            clock_ms=now_ms,
            issue_link=self.issue_link,
            thread=self.thread,
            officers=self.officers,
            calendar=self.calendar_deps,
            link_seconds=self.settings.document_link_seconds,
            max_document_bytes=self.settings.max_document_bytes,
        )

    @cached_property
    def upload_deps(self) -> UploadDeps:
        from chalicelib.adapters.dynamo.upload_links import DynamoUploadLinkStore, DynamoUploadStore
        from chalicelib.services.uploads.page import UploadDeps

        return UploadDeps(
            links=DynamoUploadLinkStore(),
            uploads=DynamoUploadStore(),
            cases=self.cases,
            storage=self.s3_documents,
            audit=self.audit,
            clock_ms=now_ms,
            page_url=self.settings.upload_page_url,
            link_seconds=self.settings.upload_link_seconds,
            post_seconds=self.settings.upload_post_seconds,
            max_uses=self.settings.upload_link_max_uses,
            max_bytes=self.settings.max_document_bytes,
            metrics=self.metrics,
        )

    @cached_property
    def personal_data(self) -> PersonalDataEraser:
        """Finds and deletes a case's and its applicant's data (erasure), reads the applicant's record (access)."""
        from chalicelib.adapters.erasure import PersonalDataEraser

        return PersonalDataEraser(self.settings.media_bucket, lambda: self.client("s3"))

    @cached_property
    def erasure_deps(self) -> ErasureDeps:
        from chalicelib.services.cases.erasure import ErasureDeps

        return ErasureDeps(self.case_deps, self.personal_data, chat_reply_ids)

    @cached_property
    def export_deps(self) -> ExportDeps:
        from chalicelib.services.cases.export import ExportDeps

        return ExportDeps(self.case_deps, self.upload_deps.links, self.reminders, self.personal_data)

    def issue_link(self, case: Case, issued_for: LinkPurpose) -> IssuedLink:
        """A fresh secure upload link for ``case`` (stored as a hash; the token goes in the message)."""
        from chalicelib.services.uploads.page import issue_link

        return issue_link(self.upload_deps, case, issued_for)


_container: Container | None = None
_container_lock = threading.Lock()


def container() -> Container:
    """The process-wide container, built on first use."""
    global _container  # noqa: PLW0603 - one graph per execution environment, by design
    with _container_lock:
        if _container is None:
            configure_logging()
            _container = Container(get_settings())
        return _container


def override(replacement: Container | None) -> None:
    """Replace (or with None, forget) the container: for tests and the local event runner."""
    global _container  # noqa: PLW0603
    with _container_lock:
        _container = replacement
