"""Meta's error codes map to exception classes through one table; the body is parsed into typed fields."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.whatsapp.errors import (
    _FAMILIES,
    ERROR_CLASSES,
    AccessTokenError,
    BlockedRecipient,
    BsuidNotSupported,
    EcosystemLimited,
    GraphApiError,
    InvalidParameter,
    MarketingOptedOut,
    MediaError,
    PairRateLimited,
    PermissionDenied,
    RateLimited,
    ReEngagementRequired,
    ServiceUnavailable,
    TemplateError,
    ThroughputLimited,
    Undeliverable,
    UnknownGraphError,
)
from chalicelib.whatsapp.transport import RetryPolicy, graph_error, parse_retry_after

from .conftest import graph_error_body

TABLE: list[tuple[int, type[GraphApiError], bool]] = [
    (0, AccessTokenError, False),
    (190, AccessTokenError, False),
    (3, PermissionDenied, False),
    (10, PermissionDenied, False),
    (200, PermissionDenied, False),
    (250, PermissionDenied, False),
    (299, PermissionDenied, False),
    (130429, ThroughputLimited, True),
    (131056, PairRateLimited, True),
    (4, RateLimited, True),
    (80007, RateLimited, True),
    (131048, RateLimited, False),
    (133016, RateLimited, False),
    (131064, RateLimited, False),
    (131047, ReEngagementRequired, False),
    (131026, Undeliverable, False),
    (131049, EcosystemLimited, False),
    (131050, MarketingOptedOut, False),
    (100, InvalidParameter, False),
    (131008, InvalidParameter, False),
    (131009, InvalidParameter, False),
    (132000, TemplateError, False),
    (132001, TemplateError, False),
    (132005, TemplateError, False),
    (132007, TemplateError, False),
    (132012, TemplateError, False),
    (132015, TemplateError, False),
    (132016, TemplateError, False),
    (131052, MediaError, False),
    (131053, MediaError, False),
    (1, ServiceUnavailable, True),
    (2, ServiceUnavailable, True),
    (131000, ServiceUnavailable, True),
    (131016, ServiceUnavailable, True),
    (130403, BlockedRecipient, False),
    (131062, BsuidNotSupported, False),
    (300, UnknownGraphError, False),
    (999999, UnknownGraphError, False),
]


def body(code: int, **extra: Any) -> bytes:
    return json.dumps(graph_error_body(code, **extra)).encode()


@pytest.mark.parametrize(("code", "cls", "transient"), TABLE)
def test_code_selects_class_and_transience(code: int, cls: type[GraphApiError], transient: bool) -> None:
    error = graph_error(400, body(code))
    assert type(error) is cls
    assert error.code == code
    assert error.is_transient is transient


def test_rate_limit_families_share_a_base_class() -> None:
    assert issubclass(ThroughputLimited, RateLimited)
    assert issubclass(PairRateLimited, RateLimited)


def test_the_table_holds_exactly_the_documented_codes_once() -> None:
    documented = {code for code, cls, _ in TABLE if cls is not UnknownGraphError} | set(range(200, 300))
    assert set(ERROR_CLASSES) == documented
    # A code listed in two families would silently land in the later one.
    assert sum(len(tuple(codes)) for _, codes in _FAMILIES) == len(ERROR_CLASSES)


def test_the_message_text_never_decides_the_class() -> None:
    error = graph_error(400, body(131047, message="(#130429) Rate limit hit"))
    assert type(error) is ReEngagementRequired


def test_all_fields_are_parsed() -> None:
    error = graph_error(
        400,
        body(
            131047,
            message="(#131047) Re-engagement message",
            error_subcode=2494010,
            error_user_title="Re-engagement",
            error_data={"messaging_product": "whatsapp", "details": "more than 24 hours have passed"},
        ),
    )
    assert error.http_status == 400
    assert error.message == "(#131047) Re-engagement message"
    assert error.title == "Re-engagement"
    assert error.error_type == "OAuthException"
    assert error.subcode == 2494010
    assert error.details == "more than 24 hours have passed"
    assert error.fbtrace_id == "AbC123"
    assert "24 hours" not in str(error)  # details can be recipient-specific; str() carries only code + message


def test_meta_is_transient_flag_makes_any_code_transient() -> None:
    error = graph_error(400, body(999999, is_transient=True))
    assert type(error) is UnknownGraphError
    assert error.is_transient


def test_5xx_without_known_code_is_service_unavailable() -> None:
    for payload in (b"<html>Bad gateway</html>", b"", body(424242), b'{"unexpected": 1}'):
        error = graph_error(502, payload)
        assert type(error) is ServiceUnavailable
        assert error.is_transient


def test_known_code_wins_over_5xx_status() -> None:
    error = graph_error(500, body(131047))
    assert type(error) is ReEngagementRequired
    assert not error.is_transient


def test_non_json_4xx_is_a_generic_error() -> None:
    error = graph_error(404, b"Not Found")
    assert type(error) is UnknownGraphError
    assert error.code is None
    assert error.http_status == 404
    assert not error.is_transient


def test_bare_429_is_a_transient_rate_limit() -> None:
    error = graph_error(429, b"", retry_after="7")
    assert type(error) is RateLimited
    assert error.is_transient
    assert error.retry_after == 7.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("-1", None),
        ("nan", None),
        ("Wed, 21 Oct", None),
    ],
)
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_backoff_is_exponential_full_jitter_and_capped() -> None:
    policy = RetryPolicy(max_attempts=6, backoff_base=0.5, backoff_cap=3.0)
    assert [policy.delay(n, None, lambda: 1.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.delay(3, None, lambda: 0.25) == 0.5
    assert policy.delay(1, 1.25, lambda: 0.0) == 1.25
    assert policy.delay(1, 60.0, lambda: 0.0) == 3.0
