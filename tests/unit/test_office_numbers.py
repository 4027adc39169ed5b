"""Offices' WhatsApp numbers: which office a message is for, by the number it was sent to (issue 15)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib import offices as offices_module
from chalicelib.domain.inbound import InboundMessage
from chalicelib.offices import office, office_for_number, office_numbers, offices
from chalicelib.services.messages.ingest import IngestDeps, ingest_webhook
from tests.fakes import fake_ingest_deps
from tests.support import load_event, signed

CONFIGURED = "106540352242922"  # the WhatsApp secret's number: every office without one of its own shares it
MC_NUMBER = "100000000000002"  # Macerata's own sample number in offices.json


def test_each_office_has_its_own_number_or_the_configured_one() -> None:
    assert office("AN").phone_number_id is None  # not known yet: the configured number, as before
    assert office("MC").phone_number_id == MC_NUMBER
    assert office_numbers(CONFIGURED) == {"AN": CONFIGURED, "MC": MC_NUMBER}


@pytest.mark.parametrize(
    ("number", "default", "expected"),
    [
        (MC_NUMBER, "AN", "MC"),  # the second office's own number
        (CONFIGURED, "AN", "AN"),  # the configured number: the default office, as before
        (CONFIGURED, "MC", "AN"),  # the default has a number of its own: the office that shares the configured one
        ("100000000000099", "AN", None),  # another number of the account: no office's
        ("", "AN", None),  # no metadata.phone_number_id
    ],
)
def test_a_message_goes_to_the_office_whose_number_it_was_sent_to(number: str, default: str, expected: str) -> None:
    routed = office_for_number(number, CONFIGURED, default)
    assert routed == expected
    if routed is not None:  # the office's replies leave from the number the message came to
        assert office_numbers(CONFIGURED)[routed] == number


def _with_offices(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, change: Any) -> None:
    raw = json.loads(offices_module.OFFICES_FILE.read_text(encoding="utf-8"))
    changed = copy.deepcopy(raw)
    change(changed)
    path = tmp_path / "offices.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    monkeypatch.setattr(offices_module, "OFFICES_FILE", path)
    offices.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_offices() -> Any:
    offices.cache_clear()
    yield
    offices.cache_clear()


def test_without_numbers_of_their_own_every_message_to_the_configured_number_is_the_default_offices(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _with_offices(monkeypatch, tmp_path, lambda raw: raw["MC"].update(phone_number_id=None))
    assert office_for_number(CONFIGURED, CONFIGURED, "AN") == "AN"
    assert office_for_number(MC_NUMBER, CONFIGURED, "AN") is None


@pytest.mark.parametrize("bad", [1234, "+39 0733", "abc"])
def test_a_phone_number_id_is_metas_numeric_id(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bad: Any) -> None:
    _with_offices(monkeypatch, tmp_path, lambda raw: raw["AN"].update(phone_number_id=bad))
    with pytest.raises(ValueError, match="phone_number_id"):
        offices()


def test_two_offices_never_share_a_number_of_their_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _with_offices(monkeypatch, tmp_path, lambda raw: raw["AN"].update(phone_number_id=MC_NUMBER))
    with pytest.raises(ValueError, match="same phone_number_id"):
        offices()


def _deps(route: Any) -> IngestDeps:
    return fake_ingest_deps(route)


def _to(number: str) -> dict[str, Any]:
    payload = copy.deepcopy(load_event("message_text"))
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = number
    return payload


def test_ingest_stores_each_message_with_the_office_it_was_sent_to() -> None:
    deps = _deps(lambda number: office_for_number(number, CONFIGURED, "AN"))
    body, headers = signed(_to(MC_NUMBER))
    assert ingest_webhook(body, headers["X-Hub-Signature-256"], deps).stored == 1
    [stored] = deps.inbound.items.values()  # type: ignore[attr-defined]
    assert isinstance(stored, InboundMessage)
    assert (stored.office, stored.phone_number_id) == ("MC", MC_NUMBER)


def test_ingest_quarantines_a_message_sent_to_no_offices_number() -> None:
    deps = _deps(lambda number: office_for_number(number, CONFIGURED, "AN"))
    body, headers = signed(_to("100000000000099"))
    result = ingest_webhook(body, headers["X-Hub-Signature-256"], deps)
    assert (result.stored, result.quarantined) == (0, 1)
    assert deps.inbound.items == {}  # type: ignore[attr-defined]
    [record] = deps.quarantine.records.values()  # type: ignore[attr-defined]
    assert record.reason == "unknown_phone_number"
    assert "100000000000099" in record.detail
    assert json.loads(record.item_json)["type"] == "text"
