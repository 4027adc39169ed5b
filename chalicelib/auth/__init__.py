"""Officer authentication: bearer ID tokens from Cognito in AWS, from a local issuer in ``make run``.

Importing this package is cheap: PyJWT and cryptography load on the first token, requests on the first JWKS
fetch, so the webhook's cold start pays for neither.
"""

from chalicelib.auth.errors import AuthFailure, JwksUnavailable, NotAnOfficer, SupervisorOnly, Unauthenticated
from chalicelib.auth.identity import Officer, Role, officer_from_claims
from chalicelib.auth.jwks import JwksSource, UrlJwks, jwks_from_json, jwks_from_url
from chalicelib.auth.verifier import TokenVerifier

__all__ = [
    "AuthFailure",
    "JwksSource",
    "JwksUnavailable",
    "NotAnOfficer",
    "Officer",
    "Role",
    "SupervisorOnly",
    "TokenVerifier",
    "Unauthenticated",
    "UrlJwks",
    "jwks_from_json",
    "jwks_from_url",
    "officer_from_claims",
]
