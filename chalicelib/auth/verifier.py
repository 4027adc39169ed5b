"""Bearer ID tokens checked the way Cognito issues them: RS256, known key, time window, issuer, audience.

Only RS256 with a key from the issuer's JWKS is accepted (never ``none``, never HMAC: a public key must not be
usable as a shared secret). Time claims are checked here rather than by PyJWT so that the clock is injectable.
Tokens and claims are never logged; rejections log their reason, acceptances the role and office only.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, TypeGuard

from chalicelib.auth.errors import AuthFailure, JwksUnavailable, NotAnOfficer, Unauthenticated
from chalicelib.auth.identity import officer_from_claims
from chalicelib.observability import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from jwt import PyJWK

    from chalicelib.auth.identity import Officer

ALGORITHM = "RS256"
MAX_TOKEN_CHARS = 8192  # Cognito ID tokens are 1-2 KB; anything far larger is not one of them
log = get_logger("auth")


class TokenVerifier:
    """Turns an ``Authorization: Bearer <ID token>`` header into an :class:`Officer`, or raises."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks: Callable[[], Mapping[str, Any]],
        *,
        leeway_s: float = 30.0,
        clock: Callable[[], float] = time.time,
        refetch_interval_s: float = 60.0,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._jwks = jwks
        self._leeway = leeway_s
        self._clock = clock
        self._refetch_interval = refetch_interval_s
        self._lock = threading.Lock()
        self._keys: dict[str, PyJWK] | None = None
        self._fetched_at = 0.0

    def authenticate(self, authorization_header: str | None) -> Officer:
        """The officer behind the header; :class:`Unauthenticated` (401) or :class:`NotAnOfficer` (403) if none."""
        try:
            claims = self._verified_claims(_bearer_token(authorization_header))
            officer = officer_from_claims(claims)
        except Unauthenticated as exc:
            log.info("auth_rejected", extra={"reason": exc.reason.value})
            raise
        except NotAnOfficer as exc:
            log.info("auth_forbidden", extra={"reason": exc.reason})
            raise
        log.debug("auth_accepted", extra={"role": officer.role.value, "office": officer.office})
        return officer

    def _verified_claims(self, token: str) -> dict[str, Any]:
        import jwt  # lazily: ~140 ms of imports (cryptography) that the webhook's cold start never needs

        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Unauthenticated(AuthFailure.MALFORMED_TOKEN) from None
        if header.get("alg") != ALGORITHM:
            raise Unauthenticated(AuthFailure.UNSUPPORTED_TOKEN)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated(AuthFailure.UNSUPPORTED_TOKEN)
        key = self._key(kid)
        try:
            # PyJWT checks the signature only (with the algorithm pinned twice: the list and the key's own).
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                options={
                    "verify_signature": True,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_sub": False,
                    "verify_jti": False,
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.InvalidSignatureError:
            raise Unauthenticated(AuthFailure.BAD_SIGNATURE) from None
        except (jwt.InvalidTokenError, jwt.InvalidKeyError):
            raise Unauthenticated(AuthFailure.MALFORMED_TOKEN) from None
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        now = self._clock()
        exp, iat = claims.get("exp"), claims.get("iat")
        nbf = claims.get("nbf", iat)  # Cognito sets no nbf: the token is valid from when it was issued
        if not (_is_number(exp) and _is_number(iat) and _is_number(nbf)):
            raise Unauthenticated(AuthFailure.MALFORMED_TOKEN)
        if now > exp + self._leeway or max(iat, nbf) > now + self._leeway:
            raise Unauthenticated(AuthFailure.EXPIRED)
        if claims.get("iss") != self._issuer:
            raise Unauthenticated(AuthFailure.WRONG_ISSUER)
        # An access token is signed by the same keys but is not an ID token: it carries no office or username.
        if claims.get("token_use") != "id":
            raise Unauthenticated(AuthFailure.UNSUPPORTED_TOKEN)
        audience = claims.get("aud")
        if audience != self._audience and not (isinstance(audience, list) and self._audience in audience):
            raise Unauthenticated(AuthFailure.WRONG_AUDIENCE)

    def _key(self, kid: str) -> PyJWK:
        """The issuer's key ``kid``; an unknown kid refetches the JWKS once (key rotation), at most every minute."""
        with self._lock:
            now = self._clock()
            stale = abs(now - self._fetched_at) >= self._refetch_interval
            if self._keys is None or (kid not in self._keys and stale):
                self._load(now)
            key = (self._keys or {}).get(kid)
        if key is None:
            raise Unauthenticated(AuthFailure.BAD_SIGNATURE)
        return key

    def _load(self, now: float) -> None:
        from jwt import PyJWK
        from jwt.exceptions import PyJWKError, PyJWTError

        document = self._jwks()
        listed = document.get("keys")
        if not isinstance(listed, list):
            raise JwksUnavailable("the issuer's keys are not a JWKS document")
        keys: dict[str, PyJWK] = {}
        for entry in listed:
            if not _usable_rsa_key(entry):
                continue
            try:
                keys[entry["kid"]] = PyJWK(entry, algorithm=ALGORITHM)
            except (PyJWKError, PyJWTError, ValueError, TypeError):
                log.warning("jwks_key_skipped", extra={"kind": "unreadable"})
        self._keys, self._fetched_at = keys, now
        log.info("jwks_loaded", extra={"count": len(keys)})


def _bearer_token(header: str | None) -> str:
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthenticated(AuthFailure.MISSING_TOKEN)
    token = token.strip()
    if not token:
        raise Unauthenticated(AuthFailure.MISSING_TOKEN)
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise Unauthenticated(AuthFailure.MALFORMED_TOKEN)
    return token


def _usable_rsa_key(entry: object) -> bool:
    """An RSA signing key with a kid, meant for RS256 (or for no algorithm in particular)."""
    return (
        isinstance(entry, dict)
        and entry.get("kty") == "RSA"
        and isinstance(entry.get("kid"), str)
        and entry.get("alg", ALGORITHM) == ALGORITHM
        and entry.get("use", "sig") == "sig"
    )


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
