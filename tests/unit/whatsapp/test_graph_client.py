"""GraphApiClient against ``responses``: headers, retries, at-most-once sends, media, logs."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from typing import TYPE_CHECKING

import pytest
import requests
import responses
from responses import matchers
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from chalicelib.domain.media import MediaInfo
from chalicelib.observability import JsonFormatter
from chalicelib.whatsapp.errors import (
    InvalidParameter,
    MalformedResponse,
    MediaTooLarge,
    PairRateLimited,
    ReEngagementRequired,
    ServiceUnavailable,
    ThroughputLimited,
    TransportError,
    Undeliverable,
    UnknownGraphError,
    UntrustedMediaUrl,
)
from chalicelib.whatsapp.graph import DEFAULT_USER_AGENT, GraphApiClient
from chalicelib.whatsapp.payloads import to_graph_payload

from .conftest import (
    APPLICANT_PHONE,
    BASE,
    MESSAGES_URL,
    PHONE_NUMBER_ID,
    TOKEN,
    VERSION,
    ClientFactory,
    graph_error_body,
    sent,
    text_message,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

MEDIA_ID = "1230984567812345"
MEDIA_INFO_URL = f"{BASE}/{VERSION}/{MEDIA_ID}"
MEDIA_URL = f"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid={MEDIA_ID}&hash=abc"


def refused() -> requests.ConnectionError:
    """What requests raises when the TCP connection is refused (nothing was sent)."""
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/messages", reason))  # type: ignore[arg-type]


def assert_authenticated(request: requests.PreparedRequest) -> None:
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["User-Agent"] == DEFAULT_USER_AGENT


# --- send -----------------------------------------------------------------------------------------


def test_send_posts_the_payload_and_returns_the_wamid(
    client: GraphApiClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    message = text_message()
    rsps.post(MESSAGES_URL, json=sent("wamid.OUT1"), match=[matchers.json_params_matcher(to_graph_payload(message))])
    assert client.send(message) == "wamid.OUT1"
    assert len(rsps.calls) == 1
    assert_authenticated(rsps.calls[0].request)
    assert rsps.calls[0].request.headers["Content-Type"] == "application/json"
    assert sleeps == []


def test_credentials_are_read_lazily_and_per_request(make_client: ClientFactory, rsps: responses.RequestsMock) -> None:
    reads: list[str] = []
    tokens = iter(["old-token", "new-token"])

    def token() -> str:
        reads.append("token")
        return next(tokens)

    def phone_number_id() -> str:
        reads.append("id")
        return PHONE_NUMBER_ID

    client = make_client(access_token=token, phone_number_id=phone_number_id)
    assert reads == []
    rsps.post(MESSAGES_URL, json=sent())
    client.send(text_message())
    client.send(text_message())
    assert [call.request.headers["Authorization"] for call in rsps.calls] == [
        "Bearer old-token",
        "Bearer new-token",
    ]
    assert reads.count("token") == 2


def test_a_200_without_wamid_is_an_error_and_not_retried(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    rsps.post(MESSAGES_URL, json={"messaging_product": "whatsapp", "messages": []})
    with pytest.raises(MalformedResponse):
        client.send(text_message())
    assert len(rsps.calls) == 1


def test_send_retries_a_5xx_then_succeeds(
    client: GraphApiClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    rsps.post(MESSAGES_URL, json=graph_error_body(131000, "Something went wrong"), status=500)
    rsps.post(MESSAGES_URL, body="<html>Service Unavailable</html>", status=503)
    rsps.post(MESSAGES_URL, json=sent("wamid.OK"))
    assert client.send(text_message()) == "wamid.OK"
    assert len(rsps.calls) == 3
    assert sleeps == [1.0, 2.0]


def test_send_retries_throughput_and_pair_rate_limits_with_capped_backoff(
    make_client: ClientFactory, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    client = make_client(max_attempts=5, backoff_base=1.0, backoff_cap=3.0)
    rsps.post(MESSAGES_URL, json=graph_error_body(130429), status=400)
    rsps.post(MESSAGES_URL, json=graph_error_body(131056), status=400)
    rsps.post(MESSAGES_URL, json=graph_error_body(130429), status=400)
    rsps.post(MESSAGES_URL, json=sent("wamid.OK"))
    assert client.send(text_message()) == "wamid.OK"
    assert sleeps == [1.0, 2.0, 3.0]  # 1, 2, 4 -> capped at 3


def test_jitter_draws_below_the_exponential_bound(
    make_client: ClientFactory, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    client = make_client(random=lambda: 0.5)
    rsps.post(MESSAGES_URL, json=graph_error_body(131056), status=400)
    rsps.post(MESSAGES_URL, json=graph_error_body(131056), status=400)
    rsps.post(MESSAGES_URL, json=sent())
    client.send(text_message())
    assert sleeps == [0.5, 1.0]


def test_retries_stop_after_max_attempts(
    client: GraphApiClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    rsps.post(MESSAGES_URL, json=graph_error_body(131056), status=400)
    with pytest.raises(PairRateLimited) as caught:
        client.send(text_message())
    assert caught.value.is_transient
    assert len(rsps.calls) == 4
    assert sleeps == [1.0, 2.0, 4.0]


def test_retry_after_is_honoured_and_capped(
    make_client: ClientFactory, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    client = make_client(backoff_cap=5.0)
    rsps.post(MESSAGES_URL, json=graph_error_body(130429), status=429, headers={"Retry-After": "2.5"})
    rsps.post(MESSAGES_URL, json=graph_error_body(130429), status=429, headers={"Retry-After": "3600"})
    rsps.post(MESSAGES_URL, json=sent())
    client.send(text_message())
    assert sleeps == [2.5, 5.0]


@pytest.mark.parametrize(
    ("code", "cls"), [(131047, ReEngagementRequired), (131026, Undeliverable), (100, InvalidParameter)]
)
def test_permanent_errors_are_not_retried(
    client: GraphApiClient, rsps: responses.RequestsMock, sleeps: list[float], code: int, cls: type[Exception]
) -> None:
    rsps.post(MESSAGES_URL, json=graph_error_body(code), status=400)
    with pytest.raises(cls):
        client.send(text_message())
    assert len(rsps.calls) == 1
    assert sleeps == []


def test_send_is_never_retried_after_a_read_timeout(
    client: GraphApiClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    rsps.post(MESSAGES_URL, body=requests.ReadTimeout("read timed out"))
    rsps.post(MESSAGES_URL, json=sent())
    with pytest.raises(TransportError) as caught:
        client.send(text_message())
    assert caught.value.request_may_have_reached_meta is True
    assert len(rsps.calls) == 1
    assert sleeps == []


def test_send_is_never_retried_after_a_reset_once_sent(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    reset = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))
    rsps.post(MESSAGES_URL, body=reset)
    with pytest.raises(TransportError) as caught:
        client.send(text_message())
    assert caught.value.request_may_have_reached_meta is True
    assert len(rsps.calls) == 1


@pytest.mark.parametrize("failure", [refused(), requests.ConnectTimeout("connect timed out")])
def test_send_is_retried_when_the_request_never_left(
    client: GraphApiClient, rsps: responses.RequestsMock, sleeps: list[float], failure: Exception
) -> None:
    rsps.post(MESSAGES_URL, body=failure)
    rsps.post(MESSAGES_URL, json=sent("wamid.OK"))
    assert client.send(text_message()) == "wamid.OK"
    assert len(rsps.calls) == 2
    assert sleeps == [1.0]


def test_connection_failures_exhaust_attempts_as_transport_error(
    client: GraphApiClient, rsps: responses.RequestsMock
) -> None:
    rsps.post(MESSAGES_URL, body=refused())
    with pytest.raises(TransportError) as caught:
        client.send(text_message())
    assert caught.value.request_may_have_reached_meta is False
    assert len(rsps.calls) == 4


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_failure_on_a_send_may_have_reached_meta(
    client: GraphApiClient, rsps: responses.RequestsMock, status: int
) -> None:
    rsps.post(MESSAGES_URL, body="<html>Gateway</html>", status=status)
    with pytest.raises(TransportError) as caught:
        client.send(text_message())
    assert caught.value.request_may_have_reached_meta is True
    assert len(rsps.calls) == 1


def test_a_graph_error_behind_a_502_is_meta_answering(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    rsps.post(MESSAGES_URL, json=graph_error_body(2, "Service temporarily unavailable"), status=502)
    rsps.post(MESSAGES_URL, json=sent("wamid.OK"))
    assert client.send(text_message()) == "wamid.OK"


# --- mark as read ---------------------------------------------------------------------------------


def test_mark_read_posts_the_status_and_retries_timeouts(
    client: GraphApiClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    expected = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN1"}
    rsps.post(MESSAGES_URL, body=requests.ReadTimeout("read timed out"))
    rsps.post(MESSAGES_URL, json={"success": True}, match=[matchers.json_params_matcher(expected)])
    client.mark_read("wamid.IN1")
    assert len(rsps.calls) == 2
    assert_authenticated(rsps.calls[1].request)
    assert sleeps == [1.0]


# --- media ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [49664, "49664"])
def test_media_info(client: GraphApiClient, rsps: responses.RequestsMock, size: object) -> None:
    info = {
        "messaging_product": "whatsapp",
        "url": MEDIA_URL,
        "mime_type": "image/jpeg",
        "sha256": "a" * 64,
        "file_size": size,
        "id": MEDIA_ID,
    }
    rsps.get(MEDIA_INFO_URL, json=info, match=[matchers.query_param_matcher({"phone_number_id": PHONE_NUMBER_ID})])
    assert client.media_info(MEDIA_ID) == MediaInfo(MEDIA_ID, MEDIA_URL, "image/jpeg", "a" * 64, 49664)
    assert_authenticated(rsps.calls[0].request)


def test_media_info_tolerates_missing_optional_fields(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    rsps.get(MEDIA_INFO_URL, json={"url": MEDIA_URL, "mime_type": "application/pdf"})
    assert client.media_info(MEDIA_ID) == MediaInfo(MEDIA_ID, MEDIA_URL, "application/pdf", None, None)


def test_media_info_without_url_is_malformed(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    rsps.get(MEDIA_INFO_URL, json={"id": MEDIA_ID})
    with pytest.raises(MalformedResponse):
        client.media_info(MEDIA_ID)


def test_media_info_retries_a_read_timeout(
    client: GraphApiClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    rsps.get(MEDIA_INFO_URL, body=requests.ReadTimeout("read timed out"))
    rsps.get(MEDIA_INFO_URL, json={"url": MEDIA_URL, "mime_type": "image/png", "file_size": 10})
    assert client.media_info(MEDIA_ID).file_size == 10
    assert len(rsps.calls) == 2
    assert sleeps == [1.0]


def test_media_id_cannot_escape_the_path(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    rsps.get(f"{BASE}/{VERSION}/..%2Fme", json={"url": MEDIA_URL, "mime_type": "image/png"})
    client.media_info("../me")
    assert rsps.calls[0].request.url is not None
    assert "/..%2Fme?" in rsps.calls[0].request.url


def test_download_media_sends_token_and_user_agent(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    rsps.get(MEDIA_URL, body=b"\xff\xd8jpeg-bytes", content_type="image/jpeg")
    assert client.download_media(MEDIA_URL, max_bytes=1024) == b"\xff\xd8jpeg-bytes"
    assert_authenticated(rsps.calls[0].request)


def test_download_refuses_a_declared_size_over_the_cap(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    rsps.get(MEDIA_URL, body=b"x" * 10, headers={"Content-Length": "5000000"}, auto_calculate_content_length=False)
    with pytest.raises(MediaTooLarge) as caught:
        client.download_media(MEDIA_URL, max_bytes=1000)
    assert (caught.value.size, caught.value.declared, caught.value.max_bytes) == (5000000, True, 1000)
    assert len(rsps.calls) == 1


def test_download_counts_bytes_when_no_size_is_declared(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    rsps.get(MEDIA_URL, body=b"x" * 200_000)
    with pytest.raises(MediaTooLarge) as caught:
        client.download_media(MEDIA_URL, max_bytes=100_000)
    assert caught.value.declared is False
    assert caught.value.size > 100_000
    assert len(rsps.calls) == 1


def test_download_at_exactly_the_cap_succeeds(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    rsps.get(MEDIA_URL, body=b"x" * 1000, auto_calculate_content_length=True)
    assert len(client.download_media(MEDIA_URL, max_bytes=1000)) == 1000


def test_download_retries_5xx_but_not_an_expired_url(
    client: GraphApiClient, rsps: responses.RequestsMock, sleeps: list[float]
) -> None:
    rsps.get(MEDIA_URL, body=b"oops", status=500)
    rsps.get(MEDIA_URL, body=b"data")
    assert client.download_media(MEDIA_URL, max_bytes=100) == b"data"
    rsps.replace(responses.GET, MEDIA_URL, body=b"Not Found", status=404)
    with pytest.raises(UnknownGraphError) as caught:
        client.download_media(MEDIA_URL, max_bytes=100)
    assert caught.value.http_status == 404
    assert sleeps == [1.0]


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example/steal",
        "http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",  # token only over https
        "https://fbsbx.com.attacker.example/x",
        "https://graph.test.attacker.example/x",
    ],
)
def test_the_token_is_never_sent_off_meta(client: GraphApiClient, rsps: responses.RequestsMock, url: str) -> None:
    with pytest.raises(UntrustedMediaUrl):
        client.download_media(url, max_bytes=100)
    assert len(rsps.calls) == 0


def test_a_simulator_serves_media_from_its_own_origin(make_client: ClientFactory, rsps: responses.RequestsMock) -> None:
    client = make_client(base_url="http://127.0.0.1:8081/")
    rsps.get(
        f"http://127.0.0.1:8081/{VERSION}/{MEDIA_ID}",
        json={"url": "http://127.0.0.1:8081/media/abc", "mime_type": "image/png"},
    )
    rsps.get("http://127.0.0.1:8081/media/abc", body=b"png")
    info = client.media_info(MEDIA_ID)
    assert client.download_media(info.url, max_bytes=10) == b"png"


# --- logs -----------------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The production formatter on ``sportello`` (not via configure_logging, which stops propagation)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("sportello")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def test_logs_carry_codes_and_never_the_token_or_personal_data(
    client: GraphApiClient,
    rsps: responses.RequestsMock,
    json_log: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret_body = "Il tuo permesso è pronto"
    logging.getLogger("sportello").addHandler(caplog.handler)
    try:
        rsps.post(MESSAGES_URL, json=graph_error_body(130429), status=400)
        rsps.post(
            MESSAGES_URL,
            json=graph_error_body(131047, f"Re-engagement for +{APPLICANT_PHONE}", error_data={"details": secret_body}),
            status=400,
        )
        with pytest.raises(ReEngagementRequired):
            client.send(text_message(secret_body))
        rsps.get(MEDIA_URL, body=requests.ReadTimeout(f"timeout on {MEDIA_URL}"))
        with pytest.raises(TransportError):
            client.download_media(MEDIA_URL, max_bytes=10)
    finally:
        logging.getLogger("sportello").removeHandler(caplog.handler)

    events = [json.loads(line) for line in json_log.getvalue().splitlines()]
    retry = next(event for event in events if event["event"] == "graph_retry")
    assert (retry["code"], retry["attempt"], retry["delay_s"], retry["operation"]) == (130429, 1, 1.0, "send")
    failed = [event for event in events if event["event"] == "graph_request_failed"]
    assert failed[0]["code"] == 131047
    assert failed[0]["fbtrace_id"] == "AbC123"
    assert failed[1]["error_type"] == "TransportError"
    captured = json_log.getvalue() + caplog.text + repr([record.__dict__ for record in caplog.records])
    assert caplog.records
    for forbidden in (TOKEN, APPLICANT_PHONE, secret_body, "lookaside", "Bearer"):
        assert forbidden not in captured


def test_final_5xx_failure_is_service_unavailable(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    rsps.post(MESSAGES_URL, body="", status=500)
    with pytest.raises(ServiceUnavailable) as caught:
        client.send(text_message())
    assert caught.value.http_status == 500
    assert len(rsps.calls) == 4


def test_throughput_error_is_typed(client: GraphApiClient, rsps: responses.RequestsMock) -> None:
    rsps.post(MESSAGES_URL, json=graph_error_body(130429), status=400)
    with pytest.raises(ThroughputLimited):
        client.send(text_message())


# --- several numbers (one per office) -------------------------------------------------------------

OFFICE_NUMBER = "100000000000002"
OFFICE_MESSAGES_URL = f"{BASE}/{VERSION}/{OFFICE_NUMBER}/messages"


def test_a_message_leaves_from_its_offices_number_else_from_the_configured_one(
    make_client: ClientFactory, rsps: responses.RequestsMock
) -> None:
    client = make_client(office_number={"MC": OFFICE_NUMBER}.get)
    rsps.post(OFFICE_MESSAGES_URL, json=sent("wamid.MC"))
    rsps.post(MESSAGES_URL, json=sent("wamid.AN"))
    assert client.send(dataclasses.replace(text_message(), office="MC")) == "wamid.MC"
    assert client.send(dataclasses.replace(text_message(), office="AN")) == "wamid.AN"  # no number of its own
    assert client.send(text_message()) == "wamid.AN"  # no office: the configured number, as before
    assert [call.request.url for call in rsps.calls] == [OFFICE_MESSAGES_URL, MESSAGES_URL, MESSAGES_URL]


def test_read_receipts_and_media_go_through_the_number_the_message_was_sent_to(
    client: GraphApiClient, rsps: responses.RequestsMock
) -> None:
    rsps.post(OFFICE_MESSAGES_URL, json={"success": True})
    client.mark_read("wamid.IN1", OFFICE_NUMBER)
    info = {"url": MEDIA_URL, "mime_type": "image/jpeg"}
    rsps.get(MEDIA_INFO_URL, json=info, match=[matchers.query_param_matcher({"phone_number_id": OFFICE_NUMBER})])
    assert client.media_info(MEDIA_ID, OFFICE_NUMBER).url == MEDIA_URL
    assert rsps.calls[0].request.url == OFFICE_MESSAGES_URL
