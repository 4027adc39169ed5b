"""Content limits the Cloud API enforces (error 131009), and that values at the limits pass."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator.conftest import Sim, buttons, list_message, text


def rows(count: int, prefix: str = "riga") -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{n}", "title": f"{prefix} {n}"} for n in range(count)]


def same_ids(message: dict[str, Any]) -> dict[str, Any]:
    for button in message["interactive"]["action"]["buttons"]:
        button["reply"]["id"] = "same"
    return message


def with_body(message: dict[str, Any], body: str) -> dict[str, Any]:
    message["interactive"]["body"]["text"] = body
    return message


TOO_MUCH = {
    "4 buttons": (buttons(["A", "B", "C", "D"]), "Too many buttons"),
    "button title 21 chars": (buttons(["x" * 21]), "Button title length invalid"),
    "duplicate button titles": (buttons(["Sì", "Sì"]), "Duplicate button titles"),
    "duplicate button ids": (same_ids(buttons(["Sì", "No"])), "Duplicate button ids"),
    "11 rows over 2 sections": (list_message([rows(6), rows(5, "altra")]), "Total row count"),
    "11 sections": (list_message([[{"id": f"s{n}", "title": "T"}] for n in range(11)]), "Too many sections"),
    "row title 25 chars": (list_message([[{"id": "r", "title": "t" * 25}]]), "Row 1 title is too long"),
    "row description 73 chars": (
        list_message([[{"id": "r", "title": "t", "description": "d" * 73}]]),
        "Row 1 description is too long",
    ),
    "list button label 21 chars": (list_message([rows(1)], label="l" * 21), "List button label is too long"),
    "interactive body 1025 chars": (with_body(buttons(["A"]), "b" * 1025), "Body text is too long"),
    "text body 4097 chars": (text(body="t" * 4097), "Text body is too long"),
    "duplicate row ids": (list_message([[{"id": "r", "title": "a"}, {"id": "r", "title": "b"}]]), "row ids"),
}


@pytest.mark.parametrize(("body", "needle"), TOO_MUCH.values(), ids=TOO_MUCH.keys())
def test_limits_are_error_131009(sim: Sim, body: dict[str, Any], needle: str) -> None:
    sim.inbound(text="ciao")
    response = sim.send(body)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == 131009
    assert error["message"] == "(#131009) Parameter value is not valid"
    assert needle in error["error_data"]["details"]


AT_LIMIT = {
    "3 buttons of 20 chars": buttons(["a" * 20, "b" * 20, "c" * 20]),
    "10 rows over 10 sections": list_message([[{"id": f"r{n}", "title": "t" * 24}] for n in range(10)]),
    "row description 72": list_message([[{"id": "r", "title": "t", "description": "d" * 72}]], label="l" * 20),
    "interactive body 1024": with_body(buttons(["A"]), "b" * 1024),
    "text body 4096": text(body="t" * 4096),
}


@pytest.mark.parametrize("body", AT_LIMIT.values(), ids=AT_LIMIT.keys())
def test_values_at_the_limits_are_accepted(sim: Sim, body: dict[str, Any]) -> None:
    sim.inbound(text="ciao")
    response = sim.send(body)
    assert response.status_code == 200, response.json
