"""Configuration read from the environment once, lazily (never at import time: cold starts stay cheap).

Resource names come from the environment that ``infra/resources.json`` sets on every function (and that the
local system derives from the same file). Secrets never live in the environment in AWS: ``secrets.py`` reads them
from Secrets Manager on first use; locally the ``WHATSAPP_*`` variables stand in for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed."""


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def require(value: str | None, name: str) -> str:
    """``value`` of the optional setting ``name``, for the code paths that cannot run without it."""
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer") from exc


def _page_url(value: str) -> str:
    """The upload page's base address, ending in ``/`` so that the token is simply appended."""
    if not value.startswith(("https://", "http://")):
        raise ConfigurationError("UPLOAD_PAGE_URL must be an http(s) URL")
    return value if value.endswith("/") else f"{value}/"


def _public_base_url(value: str | None, upload_page_url: str) -> str:
    """The public pages' base address, ending in ``/``: ``PUBLIC_BASE_URL``, else the upload page's parent
    (``https://host/api/u/`` → ``https://host/api/``), which is where the app's public routes live too."""
    if not value:
        return urljoin(upload_page_url, "../")
    if not value.startswith(("https://", "http://")):
        raise ConfigurationError("PUBLIC_BASE_URL must be an http(s) URL")
    return value if value.endswith("/") else f"{value}/"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app reads from its environment."""

    region: str
    inbound_table: str
    outbound_table: str
    applicants_table: str
    quarantine_table: str
    cases_table: str
    summaries_table: str
    case_records_table: str
    media_bucket: str
    whatsapp_secret_id: str | None
    graph_api_base_url: str
    graph_api_version: str
    inbound_retention_days: int
    outbound_retention_days: int
    quarantine_retention_days: int
    redrive_after_seconds: int
    document_link_seconds: int
    default_office: str
    waiting_window_days: int
    waiting_minimum_cases: int
    reminder_retry_base_seconds: int
    max_document_bytes: int
    audit_table: str
    # Officer authentication: only the officers' API needs these, so they are checked when the verifier is built
    # (with :func:`require`), not here, and the webhook, the processor and the tools run without them.
    auth_issuer: str | None
    auth_audience: str | None
    auth_jwks_json: str | None  # local runs: the issuer's keys inline instead of fetched from the issuer
    cursor_secret: str | None  # local runs and tests; in AWS the cursor key is in the API secret
    api_secret_id: str | None
    reminders_table: str = ""
    reminder_queue: str = ""  # a queue URL in AWS (the template's Ref), a queue name locally
    quiet_hours: str = "20:00-08:00"  # each office's wall clock; no reminder is sent inside them
    throughput_per_s: int = 80  # the number's messages per second (Meta's default tier)
    upload_links_table: str = ""
    officers_table: str = ""
    calendar_table: str = ""
    officer_retention_days: int = 180  # a directory entry lasts this long after its officer was last seen
    # The officers' console signs in with the OAuth 2 authorization code flow and PKCE: Cognito's hosted UI in AWS,
    # the local issuer under ``make run``. Its client id is ``auth_audience``; the console is its redirect URI.
    console_auth_url: str | None = None
    console_url: str | None = None
    # The secure upload page: its public address (the token is appended), how long a link lives, how long one
    # pre-signed POST may be used, and how many uses a link allows before it is treated as leaked.
    upload_page_url: str = "http://127.0.0.1:8000/u/"
    upload_link_seconds: int = 24 * 60 * 60
    upload_post_seconds: int = 600
    upload_link_max_uses: int = 100
    # Where the public pages (``/info…``, the privacy notice) are, for the links the chat sends.
    public_base_url: str = "http://127.0.0.1:8000/"
    # Business metrics as embedded-metric log lines: in Lambda only, where CloudWatch Logs reads stdout; elsewhere
    # stdout is a terminal, a benchmark's report or a command's JSON.
    emf_metrics: bool = False
    # Sends (services/messages/messenger.py): a claim's lease outlasts the Graph client's worst case for one send
    # (4 attempts of 3.05 s connect + 10 s read, with up to three 8 s back-offs: 76.2 s); a send in doubt waits this
    # long for Meta's status before it may go again; the outbox sweep takes at most this many messages a run.
    send_lease_seconds: int = 90
    send_reconcile_seconds: int = 600
    outbox_sweep_limit: int = 100
    # Retention (the README's "Retention" table): documents some days after their case closes, the case's personal
    # fields, thread and records later (an anonymised case stays for the figures), applicants without an open case
    # after a silence, audit entries (ids, never content) for two years.
    document_retention_days: int = 30
    case_retention_days: int = 180
    applicant_retention_days: int = 30
    audit_retention_days: int = 730

    @classmethod
    def from_env(cls) -> Settings:
        """Read and check the environment."""
        return cls(
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-south-1",
            inbound_table=_required("INBOUND_TABLE"),
            outbound_table=_required("OUTBOUND_TABLE"),
            applicants_table=_required("APPLICANTS_TABLE"),
            quarantine_table=_required("QUARANTINE_TABLE"),
            cases_table=_required("CASES_TABLE"),
            summaries_table=_required("SUMMARIES_TABLE"),
            case_records_table=_required("CASE_RECORDS_TABLE"),
            media_bucket=_required("MEDIA_BUCKET"),
            whatsapp_secret_id=os.environ.get("WHATSAPP_SECRET_ID") or None,
            graph_api_base_url=os.environ.get("GRAPH_API_BASE_URL", "https://graph.facebook.com").rstrip("/"),
            graph_api_version=os.environ.get("GRAPH_API_VERSION", "v25.0"),
            inbound_retention_days=_int("INBOUND_RETENTION_DAYS", 90),
            outbound_retention_days=_int("OUTBOUND_RETENTION_DAYS", 90),
            quarantine_retention_days=_int("QUARANTINE_RETENTION_DAYS", 30),
            redrive_after_seconds=_int("REDRIVE_AFTER_SECONDS", 300),
            document_link_seconds=_int("DOCUMENT_LINK_SECONDS", 300),
            default_office=os.environ.get("DEFAULT_OFFICE", "AN"),
            waiting_window_days=_int("WAITING_WINDOW_DAYS", 180),
            waiting_minimum_cases=_int("WAITING_MINIMUM_CASES", 5),
            reminder_retry_base_seconds=_int("REMINDER_RETRY_BASE_SECONDS", 30),
            max_document_bytes=_int("MAX_DOCUMENT_BYTES", 10 * 1024 * 1024),
            audit_table=_required("AUDIT_TABLE"),
            auth_issuer=os.environ.get("AUTH_ISSUER") or None,
            auth_audience=os.environ.get("AUTH_AUDIENCE") or None,
            auth_jwks_json=os.environ.get("AUTH_JWKS_JSON") or None,
            cursor_secret=os.environ.get("CURSOR_SECRET") or None,
            api_secret_id=os.environ.get("API_SECRET_ID") or None,
            reminders_table=_required("REMINDERS_TABLE"),
            reminder_queue=_required("REMINDER_QUEUE"),
            quiet_hours=os.environ.get("REMINDER_QUIET_HOURS", "20:00-08:00"),
            throughput_per_s=_int("WHATSAPP_THROUGHPUT_PER_S", 80),
            upload_links_table=_required("UPLOAD_LINKS_TABLE"),
            officers_table=_required("OFFICERS_TABLE"),
            calendar_table=_required("CALENDAR_TABLE"),
            officer_retention_days=_int("OFFICER_RETENTION_DAYS", 180),
            console_auth_url=(os.environ.get("CONSOLE_AUTH_URL") or "").rstrip("/") or None,
            console_url=os.environ.get("CONSOLE_URL") or None,
            upload_page_url=_page_url(os.environ.get("UPLOAD_PAGE_URL", "http://127.0.0.1:8000/u/")),
            upload_link_seconds=_int("UPLOAD_LINK_SECONDS", 24 * 60 * 60),
            upload_post_seconds=_int("UPLOAD_POST_SECONDS", 600),
            upload_link_max_uses=_int("UPLOAD_LINK_MAX_USES", 100),
            public_base_url=_public_base_url(
                os.environ.get("PUBLIC_BASE_URL"),
                _page_url(os.environ.get("UPLOAD_PAGE_URL", "http://127.0.0.1:8000/u/")),
            ),
            emf_metrics=bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")),  # set by the Lambda runtime
            send_lease_seconds=_int("SEND_LEASE_SECONDS", 90),
            send_reconcile_seconds=_int("SEND_RECONCILE_SECONDS", 600),
            outbox_sweep_limit=_int("OUTBOX_SWEEP_LIMIT", 100),
            document_retention_days=_int("DOCUMENT_RETENTION_DAYS", 30),
            case_retention_days=_int("CASE_RETENTION_DAYS", 180),
            applicant_retention_days=_int("APPLICANT_RETENTION_DAYS", 30),
            audit_retention_days=_int("AUDIT_RETENTION_DAYS", 730),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings.from_env()
