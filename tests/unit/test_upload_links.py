"""The secure upload link: unguessable, stored as a hash, expiring, revocable, bounded in uses."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.upload_links import (
    TOKEN_LENGTH,
    LinkPurpose,
    LinkState,
    UploadLink,
    issue,
    new_token,
    well_formed,
    without_tokens,
)
from chalicelib.domain.uploads import new_upload_id, staging_key, well_formed_upload_id

DAY_S = 24 * 60 * 60
NOW = 1_780_000_000_000
HOST = "https://host/u/"


def test_a_token_is_43_url_safe_characters_and_never_repeats() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) == TOKEN_LENGTH and well_formed(t) for t in tokens)


def test_the_link_keeps_only_the_hash_and_names_no_person() -> None:
    issued = issue(
        "AN-ABCDEFGH", "AN", NOW, DAY_S, issued_for=LinkPurpose.DOCUMENTS_REQUEST, page_url="https://host/u/"
    )
    assert issued.link.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in repr(issued.link)
    assert issued.link.link_id not in issued.token
    assert issued.url == f"https://host/u/{issued.token}"


@pytest.mark.parametrize("junk", ["", "short", "A" * 42, "A" * 44, "A" * 42 + "/", "A" * 42 + "é", "../" + "A" * 40])
def test_junk_is_refused_before_any_lookup(junk: str) -> None:
    assert not well_formed(junk)


@given(st.text(max_size=60))
def test_well_formed_means_exactly_43_base64url_characters(text: str) -> None:
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert well_formed(text) == (len(text) == TOKEN_LENGTH and set(text) <= alphabet)


def test_a_link_expires_at_its_time_not_a_millisecond_later() -> None:
    link = issue("AN-ABCDEFGH", "AN", NOW, DAY_S, issued_for=LinkPurpose.CHAT, page_url=HOST).link
    assert link.state(NOW + DAY_S * 1000 - 1, max_uses=100) is LinkState.ACTIVE
    assert link.state(NOW + DAY_S * 1000, max_uses=100) is LinkState.EXPIRED


def test_revocation_wins_over_everything_and_keeps_its_first_time() -> None:
    link = issue("AN-ABCDEFGH", "AN", NOW, DAY_S, issued_for=LinkPurpose.CHAT, page_url=HOST).link
    revoked = link.revoked(NOW + 5, "officer-1")
    assert revoked.state(NOW + 6, max_uses=100) is LinkState.REVOKED
    assert revoked.revoked(NOW + 99, "officer-2") == revoked


def test_a_link_used_more_than_any_applicant_would_is_exhausted() -> None:
    link = issue("AN-ABCDEFGH", "AN", NOW, DAY_S, issued_for=LinkPurpose.CHAT, page_url=HOST).link
    assert UploadLink(**{**_fields(link), "uses": 100}).state(NOW, max_uses=100) is LinkState.ACTIVE
    assert UploadLink(**{**_fields(link), "uses": 101}).state(NOW, max_uses=100) is LinkState.EXHAUSTED


def test_an_upload_key_is_always_under_its_own_case() -> None:
    upload_id = new_upload_id()
    assert well_formed_upload_id(upload_id)
    assert staging_key("AN-ABCDEFGH", upload_id) == f"uploads/AN-ABCDEFGH/{upload_id}"
    assert not well_formed_upload_id("../AN-OTHER/x") and not well_formed_upload_id(upload_id.upper())


def _fields(link: UploadLink) -> dict[str, object]:
    return {name: getattr(link, name) for name in link.__slots__}


def test_a_token_in_a_link_is_hidden_from_what_is_kept() -> None:
    token = new_token()
    text = f"Open https://host/api/u/{token} today.\nhttps://host/u/short stays."
    assert without_tokens(text) == "Open https://host/api/u/… today.\nhttps://host/u/short stays."
