"""The console's HTML shell, its headers, and its static files (a fixed list, read once per process)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.i18n import DEFAULT_LANGUAGE, OFFICER_LANGUAGES, catalogue, translate

if TYPE_CHECKING:
    from collections.abc import Mapping

STATIC = Path(__file__).with_name("static") / "console"
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
ASSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,80}")
TEXT_PREFIX = "console."


@dataclass(frozen=True, slots=True)
class Shell:
    """What the page needs to know about where it runs."""

    prefix: str  # the API's path prefix (API Gateway's stage, e.g. "/api"; "" locally)
    auth_url: str | None  # the OAuth 2 base: Cognito's hosted UI domain, or the local sign-in
    client_id: str | None
    redirect_uri: str
    document_origin: str


@dataclass(frozen=True, slots=True)
class Asset:
    """One static file."""

    body: str
    content_type: str
    digest: str


def path_prefix(context_path: str) -> str:
    """The part of the request path before ``/console`` (API Gateway keeps the stage in it)."""
    path = context_path.rstrip("/")
    return path[: -len("/console")] if path.endswith("/console") else ""


def own_url(headers: Mapping[str, str], prefix: str) -> str:
    """The console's address as the browser asked for it (when no ``CONSOLE_URL`` is configured)."""
    scheme = headers.get("x-forwarded-proto", "http").split(",")[0].strip() or "http"
    host = headers.get("host", "127.0.0.1")
    return f"{scheme}://{host}{prefix}/console/"


@lru_cache(maxsize=64)
def asset(name: str) -> Asset | None:
    """The static file called ``name``, if it is one of the console's."""
    if not ASSET_NAME.fullmatch(name) or Path(name).suffix not in TYPES:
        return None
    path = STATIC / name
    if path.parent != STATIC or not path.is_file():
        return None
    body = path.read_text(encoding="utf-8")
    return Asset(body, TYPES[path.suffix], hashlib.sha256(body.encode()).hexdigest()[:20])


def texts() -> dict[str, dict[str, str]]:
    """The console's texts in its languages (from the ``console`` catalogue)."""
    return {
        language: {k: v for k, v in catalogue(language).items() if k.startswith(TEXT_PREFIX)}
        for language in OFFICER_LANGUAGES
    }


def _json_for_html(value: object) -> str:
    """JSON that cannot close the element it sits in."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _url(shell: Shell, name: str) -> str:
    found = asset(name)
    version = f"?v={found.digest}" if found else ""
    return escape(f"{shell.prefix}/console/assets/{name}{version}")


@lru_cache(maxsize=1)
def reference_data() -> dict[str, object]:
    """What the screens name from the catalogues: offices (and their time zones), chat languages, permit types."""
    from chalicelib.catalogue import load_catalogue
    from chalicelib.i18n.languages import languages
    from chalicelib.offices import offices

    permits = load_catalogue().permit_types
    return {
        "offices": {code: {"name": o.name, "timezone": o.timezone} for code, o in offices().items()},
        "languages": {language.code: language.name for language in languages()},
        "permits": {lang: {p.code: translate(p.name_key, lang) for p in permits} for lang in OFFICER_LANGUAGES},
        # The paths of a procedure, where it has several (family, first issue: how the applicant came): the form
        # asks for one, so that only that path's documents are needed.
        "variants": {
            lang: {
                p.code: {
                    procedure.value: [[v.code, translate(v.title_key, lang)] for v in spec.variants]
                    for procedure, spec in p.procedures.items()
                    if spec.variants
                }
                for p in permits
                if any(spec.variants for spec in p.procedures.values())
            }
            for lang in OFFICER_LANGUAGES
        },
    }


def page(shell: Shell) -> str:
    """The shell: the stylesheets, the entry module, the settings and the texts; the scripts draw the rest."""
    language = DEFAULT_LANGUAGE
    config = {
        "api": shell.prefix,
        "assets": f"{shell.prefix}/console/assets/",
        "authUrl": shell.auth_url,
        "clientId": shell.client_id,
        "redirectUri": shell.redirect_uri,
        **reference_data(),
    }
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">'
        f"<title>{escape(translate('console.title', language))}</title>"
        f'<link rel="stylesheet" href="{_url(shell, "bootstrap-italia.min.css")}">'
        f'<link rel="stylesheet" href="{_url(shell, "console.css")}">'
        f'<script type="module" src="{_url(shell, "console.js")}"></script>'
        "</head><body>"
        f'<a class="visually-hidden-focusable skip" href="#main">{escape(translate("console.skip", language))}</a>'
        f'<div id="app"><p class="p-4">{escape(translate("console.loading", language))}</p>'
        f"<noscript>{escape(translate('console.noscript', language))}</noscript></div>"
        f'<script type="application/json" id="console-config">{_json_for_html(config)}</script>'
        f'<script type="application/json" id="console-texts">{_json_for_html(texts())}</script>'
        "</body></html>"
    )


def page_headers(shell: Shell) -> dict[str, str | list[str]]:
    """Strict headers: scripts and styles from the app; documents from the bucket; sign-in at the issuer."""
    auth = f" {shell.auth_url}" if shell.auth_url else ""
    documents = shell.document_origin
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self' data:; "
            f"img-src 'self' data: {documents}; frame-src {documents}; connect-src 'self'{auth}; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "X-Robots-Tag": "noindex, nofollow",
        "Permissions-Policy": "camera=(), geolocation=(), microphone=(), payment=()",
    }
