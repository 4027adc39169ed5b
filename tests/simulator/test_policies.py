"""Customer-service window, throughput and pair-rate limits, and the config endpoint."""

from __future__ import annotations

from tests.simulator.conftest import Sim, template, text

HOUR = 3600


def code_of(response: object) -> int | None:
    json = getattr(response, "json", None) or {}
    return json.get("error", {}).get("code")


def test_window_closed_for_a_user_who_never_wrote(sim: Sim) -> None:
    response = sim.send(text())
    assert response.status_code == 400
    assert code_of(response) == 131047
    assert "24 hours" in response.json["error"]["error_data"]["details"]
    assert sim.send(template()).status_code == 200


def test_window_opens_on_inbound_and_closes_after_24_hours(sim: Sim) -> None:
    sim.inbound(text="ciao")
    assert sim.send(text()).status_code == 200
    sim.clock.advance(23 * HOUR)
    assert sim.send(text()).status_code == 200
    moved = sim.client.post("/_simulator/clock", json={"advance_seconds": 2 * HOUR})
    assert moved.json["offset_seconds"] == 2 * HOUR
    assert code_of(sim.send(text())) == 131047
    assert sim.send(template()).status_code == 200
    sim.inbound(text="eccomi")
    assert sim.send(text()).status_code == 200


def test_window_hours_switch(sim: Sim) -> None:
    sim.configure(window_hours=1)
    sim.inbound(text="ciao")
    sim.clock.advance(HOUR + 1)
    assert code_of(sim.send(text())) == 131047


def test_window_is_per_user(sim: Sim) -> None:
    sim.inbound(text="ciao")
    assert code_of(sim.send(text(to="+39 347 0000001"))) == 131047


def test_throughput_limit_switch(sim: Sim) -> None:
    sim.inbound(text="ciao")
    sim.inbound(**{"from": "+39 347 0000001", "text": "ciao"})
    for _ in range(3):
        assert sim.send(text()).status_code == 200  # off by default
    sim.clock.advance(1)
    sim.configure(throughput_limit=2)
    assert sim.send(text()).status_code == 200
    assert sim.send(text(to="+39 347 0000001")).status_code == 200
    limited = sim.send(text())
    assert limited.status_code == 400
    assert code_of(limited) == 130429
    assert limited.json["error"]["message"] == "(#130429) Rate limit hit"
    sim.clock.advance(1)
    assert sim.send(text()).status_code == 200


def test_pair_rate_limit_switch(sim: Sim) -> None:
    other = "+39 347 0000001"
    sim.inbound(text="ciao")
    sim.inbound(**{"from": other, "text": "ciao"})
    assert sim.send(text()).status_code == 200
    assert sim.send(text()).status_code == 200  # off by default
    sim.configure(pair_rate_limit=True)
    limited = sim.send(text())
    assert limited.status_code == 400
    assert code_of(limited) == 131056
    assert sim.send(text(to=other)).status_code == 200  # other users are unaffected
    sim.clock.advance(5.9)
    assert code_of(sim.send(template())) == 131056  # templates count too
    sim.clock.advance(0.2)
    assert sim.send(text()).status_code == 200


def test_config_endpoint_reports_and_validates(sim: Sim) -> None:
    defaults = sim.client.get("/_simulator/config").json
    assert defaults["duplicate"] == 1
    assert defaults["hold"] is False
    assert defaults["statuses"] == ["sent", "delivered", "read"]
    assert defaults["throughput_limit"] is None
    assert defaults["pair_rate_limit"] is False
    assert defaults["media_errors"] == 0
    assert defaults["window_hours"] == 24
    assert defaults["webhook_url"] == sim.receiver.url
    for bad in ({"nope": 1}, {"duplicate": 0}, {"statuses": ["sent", "lost"]}, {"fail_next_sends": {"x": 1}}):
        response = sim.client.post("/_simulator/config", json=bad)
        assert response.status_code == 400, bad
        assert "error" in response.json
    assert sim.client.get("/_simulator/config").json == defaults
    changed = sim.configure(duplicate=3, hold=True, fail_next_sends={"code": 131026})
    assert changed["duplicate"] == 3
    assert changed["hold"] is True
    assert changed["fail_next_sends"] == {"count": 1, "code": 131026}


def test_reset_forgets_everything(sim: Sim) -> None:
    sim.configure(hold=True, pair_rate_limit=True)
    sim.inbound(text="ciao")
    sim.client.post("/_simulator/clock", json={"advance_seconds": 60})
    assert sim.client.post("/_simulator/reset").status_code == 200
    assert sim.client.get("/_simulator/messages?include=all").json == []
    assert sim.client.get("/_simulator/config").json["hold"] is False
    assert sim.client.get("/_simulator/clock").json["offset_seconds"] == 0
    assert sim.client.get("/_simulator/status").json["held"] == 0
    assert code_of(sim.send(text())) == 131047  # the user's window is forgotten too
