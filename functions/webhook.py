"""Meta's webhook: the verification handshake and the signed POSTs that carry messages and statuses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.observability import get_logger
from chalicelib.services.messages.ingest import InvalidSignature, ingest_webhook
from chalicelib.settings import ConfigurationError
from chalicelib.whatsapp.signature import subscription_challenge
from functions.http import error_response

if TYPE_CHECKING:
    from collections.abc import Mapping

bp = Blueprint(__name__)
log = get_logger("webhook")


@bp.route("/webhook", methods=["GET"])
def verify_subscription() -> Response:
    params: Mapping[str, str] = bp.current_request.query_params or {}
    expected = container().secrets.get().verify_token
    challenge = subscription_challenge(
        params.get("hub.mode"), params.get("hub.verify_token"), params.get("hub.challenge"), expected
    )
    if challenge is None:
        return Response(body="Forbidden", status_code=403, headers={"Content-Type": "text/plain"})
    return Response(body=challenge, status_code=200, headers={"Content-Type": "text/plain"})


@bp.route("/webhook", methods=["POST"], content_types=["application/json"])
def receive_updates() -> Response:
    request = bp.current_request
    raw = request.raw_body
    body = raw if isinstance(raw, bytes) else raw.encode()
    try:
        ingest_webhook(body, request.headers.get("x-hub-signature-256"), container().ingest_deps)
    except InvalidSignature:
        return error_response(401, "invalid_signature", "X-Hub-Signature-256 is missing or does not match")
    except ConfigurationError:
        log.exception("webhook_misconfigured")
        return error_response(500, "misconfigured", "the webhook is not configured; Meta will retry")
    except Exception:
        # Not acknowledged: Meta retries for up to 7 days, and every write so far was idempotent.
        log.exception("webhook_store_failed")
        return error_response(500, "store_failed", "the update could not be stored; Meta will retry")
    return Response(body="", status_code=200, headers={"Content-Type": "text/plain"})
