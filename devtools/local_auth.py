"""The local stand-in for Cognito: an RSA key kept in ``.local/``, its JWKS, and Cognito-shaped ID tokens.

``make run`` exports ``AUTH_ISSUER``, ``AUTH_AUDIENCE`` and ``AUTH_JWKS_JSON`` (the public key) to the API, which
then verifies tokens exactly as in AWS, with the same claims; ``make token`` (``python -m devtools.token``)
signs them. The key is generated once and reused, so tokens outlive restarts; it never leaves the machine and
``.local/`` is git-ignored. The issuer URL is only a name: nothing is served there.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

ROOT = Path(__file__).resolve().parent.parent
LOCAL_DIR = ROOT / ".local"
KEY_FILE = "auth-signing-key.pem"
AUDIENCE = "sportello-local"
DEFAULT_API_PORT = 8000
DEFAULT_TTL_S = 3600  # as the Cognito client's ID tokens
# Stable subjects for local officers (so assignments and audit entries survive restarts): uuid5 of the username.
SUBJECT_NAMESPACE = uuid.UUID("7a0c5a52-5d0e-4e43-9a3b-6f1f0c1e2a90")
SAMPLE_OFFICES = (("AN", "Questura di Ancona"), ("MC", "Questura di Macerata"))
# The local sign-in's officers (office, username, role, display name): invented names, no one's account.
SAMPLE_OFFICERS = (
    ("AN", "an.officer", "officer", "Giulia Bianchi"),
    ("AN", "an.officer2", "officer", "Davide Moretti"),
    ("AN", "an.supervisor", "supervisor", "Marco Rossi"),
    ("MC", "mc.officer", "officer", "Sara Conti"),
    ("MC", "mc.supervisor", "supervisor", "Luca Ferri"),
)


def sample_name(username: str) -> str | None:
    """The display name of a sample officer (None for any other username)."""
    return next((name for _, user, _, name in SAMPLE_OFFICERS if user == username), None)


def issuer_for(api_url: str) -> str:
    """The local issuer's name for the API at ``api_url``."""
    return f"{api_url.rstrip('/')}/local-issuer"


def signing_key(directory: Path | None = None) -> RSAPrivateKey:
    """The local issuer's private key: generated on first use, then read from ``directory`` (``.local/``)."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    path = (directory or LOCAL_DIR) / KEY_FILE
    if not path.exists():
        _generate(path)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise TypeError(f"{KEY_FILE} does not hold an RSA key; delete it to get a new one")
    return key


def _generate(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only from the first byte
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        # link() never replaces an existing file: two first runs at once (parallel tests) agree on one key.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def jwks(key: RSAPrivateKey) -> dict[str, Any]:
    """The public JWKS of ``key``, shaped like Cognito's (``kid``, ``alg``, ``use``)."""
    from jwt.algorithms import RSAAlgorithm

    full = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    assert isinstance(full, dict)  # as_dict=True
    public = {name: full[name] for name in ("kty", "n", "e")}  # as Cognito publishes it (no key_ops)
    return {"keys": [{"kid": key_id(public), "alg": "RS256", "use": "sig", **public}]}


def key_id(public_jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint of an RSA public JWK: it changes exactly when the key does."""
    canonical = json.dumps({k: public_jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")


def local_auth_environment(api_url: str, environ: Mapping[str, str], directory: Path | None = None) -> dict[str, str]:
    """What the API needs to verify local tokens, plus the key that signs its pagination cursors."""
    return {
        "AUTH_ISSUER": issuer_for(api_url),
        "AUTH_AUDIENCE": AUDIENCE,
        "AUTH_JWKS_JSON": json.dumps(jwks(signing_key(directory))),
        # In AWS the cursor key lives in the API secret; locally a per-run one will do (cursors are short-lived).
        "CURSOR_SECRET": environ.get("CURSOR_SECRET") or secrets.token_urlsafe(32),
    }


def mint_id_token(
    key: RSAPrivateKey,
    *,
    issuer: str,
    office: str,
    role: str,
    username: str | None = None,
    ttl_s: int = DEFAULT_TTL_S,
    now: int | None = None,
    audience: str = AUDIENCE,
    display_name: str | None = None,
) -> str:
    """A signed ID token with the claims Cognito puts in one for a user of the officers' pool (``name`` when the
    officer has one: given, or a sample officer's)."""
    import jwt

    issued = int(time.time()) if now is None else now
    user = username or f"{office.lower()}.{role}"
    claims: dict[str, Any] = {
        "sub": str(uuid.uuid5(SUBJECT_NAMESPACE, user)),
        "cognito:groups": [role],
        "iss": issuer,
        "cognito:username": user,
        "custom:office": office,
        "origin_jti": str(uuid.uuid4()),
        "aud": audience,
        "event_id": str(uuid.uuid4()),
        "token_use": "id",
        "auth_time": issued,
        "exp": issued + ttl_s,
        "iat": issued,
        "jti": str(uuid.uuid4()),
    }
    name = display_name or sample_name(user)
    if name:
        claims["name"] = name
    kid = jwks(key)["keys"][0]["kid"]
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def officer_commands(api_port: int) -> list[str]:
    """Banner lines: how to get a token for each sample officer, and how to use it."""
    prefix = "" if api_port == DEFAULT_API_PORT else f"API_PORT={api_port} "
    lines = [f"Officers (local issuer; ID tokens last {DEFAULT_TTL_S // 60} min):"]
    for office, name in SAMPLE_OFFICES:
        for role in ("officer", "supervisor"):
            label = f"{office} {role}"
            lines.append(f"  {label:<14} TOKEN=$({prefix}make -s token OFFICE={office} ROLE={role})   # {name}")
    lines.append(f'  then: curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:{api_port}/api/cases')
    return lines
