"""The local sign-in keeps the rules of the code flow with PKCE that Cognito keeps, and its tokens pass the API."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient

from chalicelib.auth import TokenVerifier, jwks_from_json
from devtools.local_auth import jwks
from devtools.local_signin import LocalSignIn, create_app

ISSUER, CLIENT, CONSOLE = "http://127.0.0.1:8000/local-issuer", "sportello-local", "http://127.0.0.1:8000/console/"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
VERIFIER = "v" * 48


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


@pytest.fixture
def signin() -> FlaskClient:
    return create_app(LocalSignIn(ISSUER, CLIENT, CONSOLE, KEY, time.time)).test_client()


def _code(signin: FlaskClient, username: str = "an.supervisor", redirect: str = CONSOLE) -> str:
    form = {"client_id": CLIENT, "redirect_uri": redirect, "state": "s1", "code_challenge": _challenge(VERIFIER)}
    answer = signin.post("/oauth2/choose", data={**form, "username": username})
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == CONSOLE
    query = parse_qs(target.query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def _token(signin: FlaskClient, code: str, verifier: str = VERIFIER) -> tuple[int, dict[str, object]]:
    form = {
        "grant_type": "authorization_code",
        "client_id": CLIENT,
        "code": code,
        "redirect_uri": CONSOLE,
        "code_verifier": verifier,
    }
    answer = signin.post("/oauth2/token", data=form)
    return answer.status_code, json.loads(answer.data)


def test_the_page_lists_the_sample_officers_only_for_the_registered_client_and_address(signin: FlaskClient) -> None:
    query = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": CONSOLE,
        "state": "s",
        "code_challenge": _challenge(VERIFIER),
        "code_challenge_method": "S256",
    }
    page = signin.get("/oauth2/authorize", query_string=query)
    assert page.status_code == 200 and b"Giulia Bianchi" in page.data and b"Sara Conti" in page.data
    assert "form-action 'self' " + CONSOLE in page.headers["Content-Security-Policy"]
    for bad in ({"client_id": "other"}, {"redirect_uri": "https://evil.example/"}, {"code_challenge_method": "plain"}):
        assert signin.get("/oauth2/authorize", query_string={**query, **bad}).status_code == 400


def test_a_code_with_the_right_verifier_gives_a_token_the_api_accepts_once(signin: FlaskClient) -> None:
    code = _code(signin)
    status, tokens = _token(signin, code)
    assert status == 200 and tokens["token_type"] == "Bearer"
    verifier = TokenVerifier(ISSUER, CLIENT, jwks_from_json(json.dumps(jwks(KEY))))
    officer = verifier.authenticate(f"Bearer {tokens['id_token']}")
    assert (officer.username, officer.office, officer.role.value, officer.display_name) == (
        "an.supervisor",
        "AN",
        "supervisor",
        "Marco Rossi",
    )
    assert _token(signin, code)[0] == 400  # a code is good once
    refreshed = signin.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "client_id": CLIENT, "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.status_code == 200 and "id_token" in json.loads(refreshed.data)


def test_a_wrong_verifier_or_an_unknown_officer_gets_nothing(signin: FlaskClient) -> None:
    assert _token(signin, _code(signin), verifier="w" * 48) == (400, {"error": "invalid_grant"})
    form = {"client_id": CLIENT, "redirect_uri": CONSOLE, "state": "s", "code_challenge": _challenge(VERIFIER)}
    assert signin.post("/oauth2/choose", data={**form, "username": "intruder"}).status_code == 400
    logout = signin.get("/logout", query_string={"client_id": CLIENT, "logout_uri": "https://evil.example/"})
    assert logout.status_code == 400
