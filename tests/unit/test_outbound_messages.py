"""Meta's limits on what we send are checked when a message is built."""

from __future__ import annotations

import pytest

from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.errors import InvalidOutboundMessage, UnknownApplicant
from chalicelib.domain.outbound import Buttons, ListMenu, ListRow, ListSection, ReplyButton, Template, Text


def test_text_is_limited_to_4096_characters() -> None:
    Text("x" * 4096)
    with pytest.raises(InvalidOutboundMessage):
        Text("x" * 4097)
    with pytest.raises(InvalidOutboundMessage):
        Text("")


def test_at_most_three_buttons_with_short_unique_titles() -> None:
    buttons = tuple(ReplyButton(f"b{i}", f"Option {i}") for i in range(4))
    Buttons("Choose", buttons[:3])
    with pytest.raises(InvalidOutboundMessage):
        Buttons("Choose", buttons)
    with pytest.raises(InvalidOutboundMessage):
        ReplyButton("b", "x" * 21)
    with pytest.raises(InvalidOutboundMessage):
        Buttons("Choose", (ReplyButton("a", "Same"), ReplyButton("b", "Same")))


def test_lists_hold_at_most_ten_rows_in_all() -> None:
    rows = tuple(ListRow(f"r{i}", f"Row {i}") for i in range(11))
    ListMenu("Pick", "Open", (ListSection("All", rows[:10]),))
    with pytest.raises(InvalidOutboundMessage):
        ListMenu("Pick", "Open", (ListSection("A", rows[:6]), ListSection("B", rows[6:])))
    with pytest.raises(InvalidOutboundMessage):
        ListRow("r", "x" * 25)


def test_template_names_follow_metas_rules() -> None:
    Template("documenti_mancanti", "it", ("A",))
    with pytest.raises(InvalidOutboundMessage):
        Template("Documenti Mancanti", "it")


def test_an_applicant_needs_a_phone_or_a_bsuid_and_keys_round_trip() -> None:
    with pytest.raises(UnknownApplicant):
        ApplicantRef()
    assert ApplicantRef.from_key(ApplicantRef(wa_id="39333").key).wa_id == "39333"
    assert ApplicantRef.from_key(ApplicantRef(user_id="IT.1").key).user_id == "IT.1"
    assert ApplicantRef(wa_id="39333").phone_e164 == "+39333"
    with pytest.raises(UnknownApplicant):
        ApplicantRef.from_key("phone#1")
