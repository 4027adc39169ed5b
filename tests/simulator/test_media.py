"""Two-step media download: metadata with a short-lived URL, then the bytes; error injection."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit

from tests.simulator.conftest import AUTH, Sim

PDF = b"%PDF-1.4\n% permesso di soggiorno \xe2\x80\x94 test\n%%EOF\n"


def upload(sim: Sim) -> str:
    result = sim.inbound(file={"base64": base64.b64encode(PDF).decode(), "filename": "permesso.pdf"})
    return str(result["media_id"])


def media_url(sim: Sim, media_id: str) -> str:
    response = sim.client.get(f"/v25.0/{media_id}", headers=AUTH)
    assert response.status_code == 200, response.json
    return str(response.json["url"])


def test_media_metadata_shape(sim: Sim) -> None:
    media_id = upload(sim)
    response = sim.client.get(f"/v25.0/{media_id}?phone_number_id=100000000000001", headers=AUTH)
    assert response.status_code == 200
    body = response.json
    assert body["messaging_product"] == "whatsapp"
    assert body["id"] == media_id
    assert body["mime_type"] == "application/pdf"
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["file_size"] == len(PDF)
    assert body["url"].startswith("http://localhost/_media/")


def test_media_metadata_needs_the_token_and_a_known_id(sim: Sim) -> None:
    media_id = upload(sim)
    unauthorised = sim.client.get(f"/v25.0/{media_id}")
    assert unauthorised.status_code == 401
    assert unauthorised.json["error"]["code"] == 190
    unknown = sim.client.get("/v25.0/123456789", headers=AUTH)
    assert unknown.status_code == 400
    assert unknown.json["error"]["code"] == 100
    other_number = sim.client.get(f"/v25.0/{media_id}?phone_number_id=42", headers=AUTH)
    assert other_number.json["error"]["code"] == 100


def test_download_needs_the_token(sim: Sim) -> None:
    path = urlsplit(media_url(sim, upload(sim))).path
    without = sim.client.get(path)
    assert without.status_code == 401
    assert without.json["error"]["code"] == 190
    assert sim.client.get(path, headers={"Authorization": "Bearer other"}).status_code == 401
    download = sim.client.get(path, headers=AUTH)
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"


def test_download_url_expires_after_five_minutes(sim: Sim) -> None:
    media_id = upload(sim)
    path = urlsplit(media_url(sim, media_id)).path
    sim.clock.advance(299)
    assert sim.client.get(path, headers=AUTH).status_code == 200
    sim.client.post("/_simulator/clock", json={"advance_seconds": 2})
    assert sim.client.get(path, headers=AUTH).status_code == 404
    fresh = urlsplit(media_url(sim, media_id)).path
    assert fresh != path
    assert sim.client.get(fresh, headers=AUTH).data == PDF
    assert sim.client.get("/_media/never-issued", headers=AUTH).status_code == 404


def test_media_errors_switch_fails_the_next_requests(sim: Sim) -> None:
    media_id = upload(sim)
    path = urlsplit(media_url(sim, media_id)).path
    sim.configure(media_errors=2)
    first = sim.client.get(f"/v25.0/{media_id}", headers=AUTH)
    assert first.status_code == 500
    assert first.json["error"]["code"] == 131016
    assert first.json["error"]["fbtrace_id"]
    second = sim.client.get(path, headers=AUTH)
    assert second.status_code == 500
    assert sim.client.get("/_simulator/config").json["media_errors"] == 0
    assert sim.client.get(path, headers=AUTH).data == PDF
    assert sim.client.get(f"/v25.0/{media_id}", headers=AUTH).status_code == 200
