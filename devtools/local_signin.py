"""The local stand-in for Cognito's hosted sign-in, so that ``make run``'s console signs in exactly as in AWS.

The console runs the OAuth 2 authorization code flow with PKCE (RFC 7636) against both: here, ``/oauth2/authorize``
shows the sample officers of each office instead of a password form; choosing one redirects back with a one-time
code; ``/oauth2/token`` checks the code, the client, the redirect URI and the code verifier, and answers with an ID
token signed by the local issuer (the same key and claims as ``make token``) and a refresh token; ``/logout``
redirects back. Nothing here is deployed: it exists only in the local system.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, redirect, request
from werkzeug.serving import make_server

from devtools.local_auth import DEFAULT_TTL_S, SAMPLE_OFFICERS, SAMPLE_OFFICES, mint_id_token, signing_key

if TYPE_CHECKING:
    from collections.abc import Callable

    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from werkzeug.serving import BaseWSGIServer
    from werkzeug.wrappers import Response as WerkzeugResponse

CODE_TTL_S = 120
REFRESH_TTL_S = 12 * 3600
PAGE_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f2f7fc;color:#1a1a1a}"
    "header{background:#0066cc;color:#fff;padding:1rem 1.5rem}h1{font-size:1.4rem;margin:0}"
    "main{max-width:44rem;margin:1.5rem auto;padding:0 1rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}"
    "ul{list-style:none;padding:0}li{margin:.4rem 0}"
    "button{font:inherit;width:100%;text-align:left;padding:.8rem 1rem;border:2px solid #0066cc;border-radius:4px;"
    "background:#fff;color:#004d99;cursor:pointer}button:focus,button:hover{background:#e6f0fa;outline:3px solid #f90}"
    ".role{float:right;color:#455b71}.note{color:#455b71;font-size:.9rem}"
)
PAGE_STYLE_HASH = base64.b64encode(hashlib.sha256(PAGE_STYLE.encode()).digest()).decode()


@dataclass(frozen=True, slots=True)
class Grant:
    """What a code or a refresh token stands for."""

    username: str
    client_id: str
    redirect_uri: str
    challenge: str | None
    expires_at: float


def _officer(username: str) -> tuple[str, str, str, str] | None:
    return next((o for o in SAMPLE_OFFICERS if o[1] == username), None)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _error(code: str, status: int = 400) -> Response:
    response = jsonify({"error": code})
    response.status_code = status
    return response


class LocalSignIn:
    """The issuer's state: one-time codes and refresh tokens, in memory."""

    def __init__(self, issuer: str, client_id: str, console_url: str, key: RSAPrivateKey, clock: Callable[[], float]):
        self.issuer, self.client_id, self.console_url = issuer, client_id, console_url
        self._key, self._clock = key, clock
        self._codes: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._clock()

    def issue_code(self, grant: Grant) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = grant
        return code

    def redeem_code(self, code: str) -> Grant | None:
        with self._lock:
            grant = self._codes.pop(code, None)  # one use only, whatever happens next
        return grant if grant and grant.expires_at > self._clock() else None

    def tokens(self, grant: Grant) -> dict[str, Any]:
        office, username, role, name = _officer(grant.username) or ("AN", grant.username, "officer", "")
        id_token = mint_id_token(
            self._key,
            issuer=self.issuer,
            audience=self.client_id,
            office=office,
            role=role,
            username=username,
            display_name=name or None,
        )
        refresh = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh[refresh] = Grant(
                grant.username, grant.client_id, grant.redirect_uri, None, self._clock() + REFRESH_TTL_S
            )
        return {
            "id_token": id_token,
            "access_token": id_token,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": DEFAULT_TTL_S,
        }

    def refresh(self, token: str, client_id: str) -> dict[str, Any] | None:
        with self._lock:
            grant = self._refresh.get(token)
        if grant is None or grant.client_id != client_id or grant.expires_at <= self._clock():
            return None
        tokens = self.tokens(grant)
        tokens.pop("refresh_token")  # as Cognito: a refresh answers without a new refresh token
        return tokens

    def allowed_redirect(self, uri: str) -> bool:
        return uri == self.console_url


def _page(state: LocalSignIn, params: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
    )
    sections = []
    for office, office_name in SAMPLE_OFFICES:
        rows = "".join(
            f'<li><button name="username" value="{html.escape(user)}">{html.escape(name)} '
            f'<span class="role">{html.escape(user)} · {html.escape(role)}</span></button></li>'
            for o, user, role, name in SAMPLE_OFFICERS
            if o == office
        )
        sections.append(f"<h2>{html.escape(office_name)} ({office})</h2><ul>{rows}</ul>")
    return (
        '<!doctype html><html lang="it"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Accesso locale — Sportello</title><style>{PAGE_STYLE}</style></head><body>"
        "<header><h1>Sportello — accesso locale</h1></header><main>"
        '<p class="note">Solo per <code>make run</code>: in AWS qui c&#39;è l&#39;accesso di Cognito (password e MFA). '
        "Scegli un operatore di prova.</p>"
        f'<form method="post" action="choose">{hidden}{"".join(sections)}</form></main></body></html>'
    )


def _headers(state: LocalSignIn, response: WerkzeugResponse) -> WerkzeugResponse:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src 'sha256-{PAGE_STYLE_HASH}'; form-action 'self' "
            f"{state.console_url}; frame-ancestors 'none'; base-uri 'none'"
        )
    # The console exchanges codes from its own origin (as with Cognito's token endpoint, which allows CORS).
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _authorize(state: LocalSignIn) -> WerkzeugResponse | str:
    params = {k: request.args.get(k, "") for k in ("client_id", "redirect_uri", "state", "code_challenge")}
    if request.args.get("response_type") != "code" or params["client_id"] != state.client_id:
        return _error("unauthorized_client")
    if not state.allowed_redirect(params["redirect_uri"]):
        return _error("invalid_request")  # never redirect to an address the client did not register
    if request.args.get("code_challenge_method") != "S256" or len(params["code_challenge"]) < 43:
        return _error("invalid_request")
    return _page(state, params)


def _choose(state: LocalSignIn) -> WerkzeugResponse:
    form = request.form
    if form.get("client_id") != state.client_id or not state.allowed_redirect(form.get("redirect_uri", "")):
        return _error("invalid_request")
    if _officer(form.get("username", "")) is None:
        return _error("access_denied")
    expires = state.now() + CODE_TTL_S
    grant = Grant(form["username"], form["client_id"], form["redirect_uri"], form.get("code_challenge"), expires)
    query = urlencode({"code": state.issue_code(grant), "state": form.get("state", "")})
    return redirect(f"{form['redirect_uri']}?{query}", code=302)


def _token(state: LocalSignIn) -> WerkzeugResponse:
    if request.method == "OPTIONS":
        response = Response(status=204)
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "POST"
        return response
    form = request.form
    if form.get("grant_type") == "refresh_token":
        tokens = state.refresh(form.get("refresh_token", ""), form.get("client_id", ""))
        return jsonify(tokens) if tokens else _error("invalid_grant")
    if form.get("grant_type") != "authorization_code":
        return _error("unsupported_grant_type")
    grant = state.redeem_code(form.get("code", ""))
    if (
        grant is None
        or grant.client_id != form.get("client_id")
        or grant.redirect_uri != form.get("redirect_uri")
        or grant.challenge != _s256(form.get("code_verifier", ""))
    ):
        return _error("invalid_grant")
    return jsonify(state.tokens(grant))


def _logout(state: LocalSignIn) -> WerkzeugResponse:
    target = request.args.get("logout_uri", "")
    if request.args.get("client_id") != state.client_id or not state.allowed_redirect(target):
        return _error("invalid_request")
    return redirect(target, code=302)


def create_app(state: LocalSignIn) -> Flask:
    """The hosted-UI endpoints the console uses."""
    app = Flask("local-signin")
    app.after_request(partial(_headers, state))
    app.add_url_rule("/oauth2/authorize", "authorize", partial(_authorize, state), methods=["GET"])
    app.add_url_rule("/oauth2/choose", "choose", partial(_choose, state), methods=["POST"])
    app.add_url_rule("/oauth2/token", "token", partial(_token, state), methods=["POST", "OPTIONS"])
    app.add_url_rule("/logout", "logout", partial(_logout, state), methods=["GET"])
    return app


@dataclass
class RunningSignIn:
    """The local sign-in serving on ``url`` until ``stop()``."""

    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start(issuer: str, client_id: str, console_url: str, port: int = 0) -> RunningSignIn:
    """Serve the local sign-in on loopback (``port`` 0: a free one) in a daemon thread."""
    state = LocalSignIn(issuer, client_id, console_url, signing_key(), time.time)
    server = make_server("127.0.0.1", port, create_app(state), threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-signin", daemon=True
    )
    thread.start()
    return RunningSignIn(f"http://127.0.0.1:{server.server_port}", server, thread)
