"""Officer authentication: Cognito-shaped ID tokens are accepted, everything else is refused with its reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import stat
from typing import TYPE_CHECKING, Any

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from chalicelib import bootstrap
from chalicelib.auth import (
    AuthFailure,
    JwksUnavailable,
    NotAnOfficer,
    Officer,
    Role,
    TokenVerifier,
    Unauthenticated,
    jwks_from_json,
    jwks_from_url,
)
from chalicelib.observability import JsonFormatter
from chalicelib.settings import ConfigurationError, Settings, get_settings
from devtools import local_auth
from devtools import token as token_cli

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

ISSUER = "https://cognito-idp.eu-south-1.amazonaws.com/eu-south-1_Example"
AUDIENCE = "5example0client0id"
NOW = 1_764_100_000
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ROTATED_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KID, ROTATED_KID = "key-2025", "key-2026"
REMOVE = object()


def _jwks(*keys: tuple[str, RSAPrivateKey]) -> dict[str, Any]:
    entries = [
        {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "alg": "RS256", "use": "sig"}
        for kid, key in keys
    ]
    return {"keys": entries}


def _claims(**overrides: object) -> dict[str, Any]:
    """An ID token's claims as Cognito writes them for an officer of Ancona."""
    claims: dict[str, Any] = {
        "sub": "7d8a1c2e-0000-4000-8000-000000000001",
        "cognito:groups": ["officer"],
        "email_verified": True,
        "iss": ISSUER,
        "cognito:username": "m.rossi",
        "custom:office": "AN",
        "aud": AUDIENCE,
        "token_use": "id",
        "auth_time": NOW - 60,
        "exp": NOW + 3600,
        "iat": NOW - 60,
        "jti": "2f1c",
    }
    for keyword, value in overrides.items():
        name = keyword.replace("__", ":")  # cognito__groups -> cognito:groups
        if value is REMOVE:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def _sign(claims: Mapping[str, Any], key: RSAPrivateKey = KEY, kid: str | None = KID, alg: str = "RS256") -> str:
    return jwt.encode(dict(claims), key, algorithm=alg, headers={"kid": kid} if kid else None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned_parts(alg: str, claims: Mapping[str, Any]) -> str:
    header = _b64(json.dumps({"alg": alg, "kid": KID, "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(dict(claims)).encode())}"


class CountingJwks:
    """A JWKS source that records how often it is asked, and can rotate keys."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.calls = 0

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        return self.document


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _verifier(
    jwks: Callable[[], Mapping[str, Any]] | None = None, clock: Callable[[], float] = lambda: NOW
) -> TokenVerifier:
    return TokenVerifier(ISSUER, AUDIENCE, jwks or (lambda: _jwks((KID, KEY))), clock=clock)


def _reason(header: str | None, verifier: TokenVerifier | None = None) -> AuthFailure:
    with pytest.raises(Unauthenticated) as caught:
        (verifier or _verifier()).authenticate(header)
    return caught.value.reason


# --- accepted tokens ---------------------------------------------------------------------------------------------


def test_an_officer_token_maps_to_the_officer() -> None:
    officer = _verifier().authenticate(f"Bearer {_sign(_claims())}")
    assert officer == Officer(subject=_claims()["sub"], username="m.rossi", office="AN", role=Role.OFFICER)
    assert not officer.is_supervisor


def test_a_supervisor_token_maps_to_a_supervisor_and_the_scheme_is_case_insensitive() -> None:
    token = _sign(_claims(cognito__groups=["supervisor"], **{"custom:office": "MC"}))
    officer = _verifier().authenticate(f"bearer   {token}")
    assert (officer.role, officer.office, officer.is_supervisor) == (Role.SUPERVISOR, "MC", True)


def test_clock_skew_within_the_leeway_is_tolerated() -> None:
    verifier = _verifier()
    assert verifier.authenticate(f"Bearer {_sign(_claims(exp=NOW - 20))}")
    assert verifier.authenticate(f"Bearer {_sign(_claims(iat=NOW + 20, nbf=NOW + 20))}")


def test_an_audience_list_containing_the_client_is_accepted() -> None:
    assert _verifier().authenticate(f"Bearer {_sign(_claims(aud=['other', AUDIENCE]))}").office == "AN"


# --- rejected tokens ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (_claims(exp=NOW - 31), AuthFailure.EXPIRED),
        (_claims(iat=NOW + 120), AuthFailure.EXPIRED),
        (_claims(nbf=NOW + 120), AuthFailure.EXPIRED),
        (_claims(iss="https://cognito-idp.eu-south-1.amazonaws.com/eu-south-1_Other"), AuthFailure.WRONG_ISSUER),
        (_claims(iss=REMOVE), AuthFailure.WRONG_ISSUER),
        (_claims(aud="another-client"), AuthFailure.WRONG_AUDIENCE),
        (_claims(aud=REMOVE), AuthFailure.WRONG_AUDIENCE),
        (_claims(token_use="access", aud=REMOVE, client_id=AUDIENCE), AuthFailure.UNSUPPORTED_TOKEN),
        (_claims(token_use=REMOVE), AuthFailure.UNSUPPORTED_TOKEN),
        (_claims(exp=REMOVE), AuthFailure.MALFORMED_TOKEN),
        (_claims(exp="tomorrow"), AuthFailure.MALFORMED_TOKEN),
        (_claims(iat=True), AuthFailure.MALFORMED_TOKEN),
        (_claims(sub=REMOVE), AuthFailure.MALFORMED_TOKEN),
        (_claims(cognito__username=""), AuthFailure.MALFORMED_TOKEN),
    ],
    ids=[
        "expired",
        "issued-in-the-future",
        "not-yet-valid",
        "wrong-issuer",
        "no-issuer",
        "wrong-audience",
        "no-audience",
        "access-token",
        "no-token-use",
        "no-exp",
        "exp-not-a-number",
        "iat-boolean",
        "no-sub",
        "empty-username",
    ],
)
def test_claims_that_do_not_hold_are_refused(claims: dict[str, Any], reason: AuthFailure) -> None:
    assert _reason(f"Bearer {_sign(claims)}") is reason


def test_alg_none_is_refused() -> None:
    assert _reason(f"Bearer {_unsigned_parts('none', _claims())}.") is AuthFailure.UNSUPPORTED_TOKEN


def test_hs256_signed_with_the_public_key_is_refused() -> None:
    # The classic confusion attack: the public key (which anyone has) used as an HMAC secret.
    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = _unsigned_parts("HS256", _claims())
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert _reason(f"Bearer {signing_input}.{_b64(signature)}") is AuthFailure.UNSUPPORTED_TOKEN


def test_other_rsa_algorithms_and_tokens_without_a_key_id_are_refused() -> None:
    assert _reason(f"Bearer {_sign(_claims(), alg='RS512')}") is AuthFailure.UNSUPPORTED_TOKEN
    assert _reason(f"Bearer {_sign(_claims(), alg='PS256')}") is AuthFailure.UNSUPPORTED_TOKEN
    assert _reason(f"Bearer {_sign(_claims(), kid=None)}") is AuthFailure.UNSUPPORTED_TOKEN


def test_an_unknown_kid_is_refused() -> None:
    assert _reason(f"Bearer {_sign(_claims(), ROTATED_KEY, kid='not-ours')}") is AuthFailure.BAD_SIGNATURE


def test_a_token_signed_by_another_key_under_our_kid_is_refused() -> None:
    assert _reason(f"Bearer {_sign(_claims(), ROTATED_KEY, kid=KID)}") is AuthFailure.BAD_SIGNATURE


def test_a_tampered_payload_is_refused() -> None:
    header, _, signature = _sign(_claims()).split(".")
    forged = _b64(json.dumps(_claims(cognito__groups=["supervisor"], **{"custom:office": "MC"})).encode())
    assert _reason(f"Bearer {header}.{forged}.{signature}") is AuthFailure.BAD_SIGNATURE


@pytest.mark.parametrize("header", [None, "", "   ", "Bearer", "Bearer  ", "Basic dXNlcjpwYXNz", _sign(_claims())])
def test_a_missing_bearer_token_is_refused(header: str | None) -> None:
    assert _reason(header) is AuthFailure.MISSING_TOKEN


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "a.b", "....", "eyJhbGciOiJSUzI1NiJ9.e30", "x" * 9000 + ".y.z", "Bearer two words"],
)
def test_garbage_is_refused_as_malformed(token: str) -> None:
    assert _reason(f"Bearer {token}") is AuthFailure.MALFORMED_TOKEN


# --- groups and office -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["officer"], Role.OFFICER),
        (["supervisor"], Role.SUPERVISOR),
        (["officer", "supervisor"], Role.SUPERVISOR),
        (["supervisor", "officer", "admins"], Role.SUPERVISOR),
        (["staff", "officer"], Role.OFFICER),
    ],
)
def test_groups_map_to_the_role_and_supervisor_wins(groups: list[str], role: Role) -> None:
    assert _verifier().authenticate(f"Bearer {_sign(_claims(cognito__groups=groups))}").role is role


@pytest.mark.parametrize("groups", [[], ["admins"], "officer", REMOVE, [["officer"]]])
def test_a_valid_token_without_an_officer_group_is_not_an_officer(groups: object) -> None:
    with pytest.raises(NotAnOfficer) as caught:
        _verifier().authenticate(f"Bearer {_sign(_claims(cognito__groups=groups))}")
    assert caught.value.reason == "no_role"


@pytest.mark.parametrize("office", [REMOVE, "", "an", "A", "ANCON", "A1", ["AN"], 12])
def test_a_valid_token_without_an_office_is_not_an_officer(office: object) -> None:
    with pytest.raises(NotAnOfficer) as caught:
        _verifier().authenticate(f"Bearer {_sign(_claims(**{'custom:office': office}))}")
    assert caught.value.reason == "no_office"


@pytest.mark.parametrize("office", ["RM", "ZZZ"])
def test_a_token_for_an_office_this_deployment_does_not_serve_is_refused(office: str) -> None:
    """A well-formed office code that is not in offices.json is refused, saying which office."""
    with pytest.raises(NotAnOfficer) as caught:
        _verifier().authenticate(f"Bearer {_sign(_claims(**{'custom:office': office}))}")
    assert caught.value.reason == "unknown_office" and office in str(caught.value)


# --- keys: rotation, rate limit, sources -------------------------------------------------------------------------


def test_an_unknown_kid_refetches_the_jwks_once_to_pick_up_a_rotated_key() -> None:
    source, clock = CountingJwks(_jwks((KID, KEY))), Clock()
    verifier = _verifier(source, clock)
    assert verifier.authenticate(f"Bearer {_sign(_claims())}") and source.calls == 1
    assert verifier.authenticate(f"Bearer {_sign(_claims())}") and source.calls == 1  # cached

    clock.now += 61
    source.document = _jwks((KID, KEY), (ROTATED_KID, ROTATED_KEY))  # Cognito published a new key
    rotated = f"Bearer {_sign(_claims(iat=NOW + 60), ROTATED_KEY, ROTATED_KID)}"
    assert verifier.authenticate(rotated).office == "AN" and source.calls == 2
    assert verifier.authenticate(rotated) and source.calls == 2


def test_unknown_kids_refetch_at_most_once_per_interval() -> None:
    source, clock = CountingJwks(_jwks((KID, KEY))), Clock()
    verifier = _verifier(source, clock)
    verifier.authenticate(f"Bearer {_sign(_claims())}")
    for kid in ("ghost-1", "ghost-2", "ghost-3"):
        assert _reason(f"Bearer {_sign(_claims(), ROTATED_KEY, kid)}", verifier) is AuthFailure.BAD_SIGNATURE
    assert source.calls == 1  # the first load was moments ago: a flood of made-up kids costs no fetches

    clock.now += 61
    assert _reason(f"Bearer {_sign(_claims(), ROTATED_KEY, 'ghost-4')}", verifier) is AuthFailure.BAD_SIGNATURE
    assert source.calls == 2


def test_keys_that_are_not_rs256_signing_keys_are_ignored() -> None:
    document = _jwks((KID, KEY))
    document["keys"] = [
        {**document["keys"][0], "use": "enc"},
        {**document["keys"][0], "alg": "RS512"},
        {"kty": "oct", "kid": KID, "k": "c2VjcmV0"},
        {"kty": "RSA", "kid": KID, "n": "not-base64!", "e": "AQAB"},
        "junk",
    ]
    assert _reason(f"Bearer {_sign(_claims())}", _verifier(lambda: document)) is AuthFailure.BAD_SIGNATURE


def test_a_jwks_fetch_failure_is_a_typed_error_and_is_retried_next_time() -> None:
    calls: list[int] = []

    def failing() -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise JwksUnavailable("down")
        return _jwks((KID, KEY))

    verifier = _verifier(failing)
    with pytest.raises(JwksUnavailable):
        verifier.authenticate(f"Bearer {_sign(_claims())}")
    assert verifier.authenticate(f"Bearer {_sign(_claims())}").office == "AN"


@responses.activate
def test_the_url_source_fetches_lazily_and_turns_failures_into_a_typed_error() -> None:
    url = f"{ISSUER}/.well-known/jwks.json"
    source = jwks_from_url(url, timeout=1.0)
    assert len(responses.calls) == 0  # nothing fetched at construction
    responses.get(url, json=_jwks((KID, KEY)))
    assert _verifier(source).authenticate(f"Bearer {_sign(_claims())}").office == "AN"

    responses.replace(responses.GET, url, status=503)
    with pytest.raises(JwksUnavailable):
        source()
    responses.replace(responses.GET, url, body="<html>")
    with pytest.raises(JwksUnavailable):
        source()
    responses.replace(responses.GET, url, body=requests.ConnectTimeout("slow"))
    with pytest.raises(JwksUnavailable) as caught:
        source()
    assert "ConnectTimeout" in str(caught.value)


def test_the_url_source_refuses_plain_http_except_on_loopback() -> None:
    with pytest.raises(ConfigurationError):
        jwks_from_url("http://issuer.example.test/.well-known/jwks.json")
    assert jwks_from_url("http://127.0.0.1:8000/local-issuer/.well-known/jwks.json")


@pytest.mark.parametrize("text", ["not json", "[]", '{"keys": {}}', "{}"])
def test_inline_jwks_must_be_a_jwks_document(text: str) -> None:
    with pytest.raises(ConfigurationError):
        jwks_from_json(text)


# --- logging -----------------------------------------------------------------------------------------------------


def test_logs_carry_the_reason_role_and_office_never_the_token_or_the_claims() -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("sportello.auth")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    good, expired = _sign(_claims()), _sign(_claims(exp=NOW - 3600))
    try:
        verifier = _verifier()
        verifier.authenticate(f"Bearer {good}")
        with pytest.raises(Unauthenticated):
            verifier.authenticate(f"Bearer {expired}")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    output = "\n".join(JsonFormatter().format(record) for record in records)
    assert '"reason": "expired"' in output and '"office": "AN"' in output and '"role": "officer"' in output
    for secret in (good, expired, good.split(".")[1], "m.rossi", _claims()["sub"], AUDIENCE):
        assert secret not in output


# --- wiring and the local issuer ---------------------------------------------------------------------------------


def test_the_container_builds_the_verifier_from_the_environment(officer_token: Callable[..., str]) -> None:
    verifier = bootstrap.Container(get_settings()).verifier
    assert verifier.authenticate(officer_token("MC", "supervisor")).role is Role.SUPERVISOR


def test_the_verifier_needs_an_issuer_and_an_audience(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_ISSUER")
    settings = Settings.from_env()  # the rest of the app still starts without officer auth
    with pytest.raises(ConfigurationError, match="AUTH_ISSUER"):
        _ = bootstrap.Container(settings).verifier


def test_the_local_issuers_tokens_verify_with_the_exported_jwks(tmp_path: Path) -> None:
    environment = local_auth.local_auth_environment("http://127.0.0.1:8000", {}, tmp_path)
    assert environment["AUTH_ISSUER"] == "http://127.0.0.1:8000/local-issuer"
    assert environment["AUTH_AUDIENCE"] == "sportello-local"
    verifier = TokenVerifier(
        environment["AUTH_ISSUER"], environment["AUTH_AUDIENCE"], jwks_from_json(environment["AUTH_JWKS_JSON"])
    )
    key = local_auth.signing_key(tmp_path)
    for office, role in (("AN", Role.OFFICER), ("AN", Role.SUPERVISOR), ("MC", Role.OFFICER), ("MC", Role.SUPERVISOR)):
        token = local_auth.mint_id_token(key, issuer=environment["AUTH_ISSUER"], office=office, role=role)
        officer = verifier.authenticate(f"Bearer {token}")
        assert (officer.office, officer.role, officer.username) == (office, role, f"{office.lower()}.{role}")


def test_the_local_key_is_made_once_and_private(tmp_path: Path) -> None:
    first = local_auth.jwks(local_auth.signing_key(tmp_path))
    assert local_auth.jwks(local_auth.signing_key(tmp_path)) == first
    mode = stat.S_IMODE(os.stat(tmp_path / local_auth.KEY_FILE).st_mode)
    assert mode == 0o600 and not list(tmp_path.glob("*.tmp"))
    # Nothing private in what the API gets.
    assert set(first["keys"][0]) == {"kid", "alg", "use", "kty", "n", "e"}


def test_the_local_subject_is_stable_for_a_username(tmp_path: Path) -> None:
    key = local_auth.signing_key(tmp_path)
    tokens = [local_auth.mint_id_token(key, issuer="i", office="AN", role="officer") for _ in range(2)]
    claims = [jwt.decode(token, options={"verify_signature": False}) for token in tokens]
    assert claims[0]["sub"] == claims[1]["sub"] and claims[0]["jti"] != claims[1]["jti"]


def test_the_token_command_prints_only_a_token_the_local_api_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(local_auth, "LOCAL_DIR", tmp_path)
    monkeypatch.delenv("API_PORT", raising=False)
    assert token_cli.main(["--office", "mc", "--role", "supervisor", "--user", "l.bianchi", "--ttl", "600"]) == 0
    printed = capsys.readouterr().out
    environment = local_auth.local_auth_environment("http://127.0.0.1:8000", {}, tmp_path)
    verifier = TokenVerifier(
        environment["AUTH_ISSUER"], environment["AUTH_AUDIENCE"], jwks_from_json(environment["AUTH_JWKS_JSON"])
    )
    assert printed.count("\n") == 1
    officer = verifier.authenticate(f"Bearer {printed.strip()}")
    assert (officer.office, officer.role, officer.username) == ("MC", Role.SUPERVISOR, "l.bianchi")
    claims = jwt.decode(printed.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 600


def test_the_token_command_refuses_a_bad_office(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        token_cli.main(["--office", "Ancona"])
    assert "office code" in capsys.readouterr().err


def test_the_banner_names_an_officer_and_a_supervisor_for_each_sample_office() -> None:
    lines = "\n".join(local_auth.officer_commands(8000))
    for office in ("AN", "MC"):
        for role in ("officer", "supervisor"):
            assert f"TOKEN=$(make -s token OFFICE={office} ROLE={role})" in lines
    assert "API_PORT=8123 make -s token" in "\n".join(local_auth.officer_commands(8123))
