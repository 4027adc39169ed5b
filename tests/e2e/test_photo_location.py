"""Issue 16: a photo's location never reaches the office's store, whichever way it came (done-when 2).

Phone photos carry GPS in their EXIF and XMP, and phones append more images after the end of image (depth maps,
gain maps) with EXIF of their own. Each such photo goes in as an officer's attachment (the API) and as a chat
message (simulator → webhook → processing → media downloaded from the simulated Graph API), and comes back through
the document link the API gives officers; the bytes are walked whole (:func:`tests.documents.location_findings`).
"""

from __future__ import annotations

import base64
import time
from itertools import count
from typing import Any

import pytest
import requests

from devtools import local_auth
from tests import documents
from tests.e2e.conftest import LocalSystem

pytestmark = pytest.mark.e2e
PHOTOS = {"gps": documents.photo_with_gps(), "appended": documents.photo_with_appended_image()}
_numbers = count(401)


def _headers(system: LocalSystem) -> dict[str, str]:
    token = local_auth.mint_id_token(
        local_auth.signing_key(), issuer=local_auth.issuer_for(system.api), office="AN", role="officer"
    )
    return {"Authorization": f"Bearer {token}"}


def _register(system: LocalSystem, phone: str) -> dict[str, Any]:
    answer = requests.post(
        f"{system.api}/api/cases",
        headers=_headers(system),
        json={
            "procedure": "rinnovo",
            "permit_type": "studio",
            "applicant": {"phone": phone, "name": "Amina", "language": "it"},
        },
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    case: dict[str, Any] = answer.json()["case"]
    return case


def _documents(system: LocalSystem, case_id: str, expect: int) -> list[dict[str, Any]]:
    """The case's documents as officers see them, once ``expect`` of them are there."""
    deadline = time.monotonic() + 30
    while True:
        answer = requests.get(f"{system.api}/api/cases/{case_id}", headers=_headers(system), timeout=10)
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["documents"]
        if len(found) >= expect:
            return found
        assert time.monotonic() < deadline, f"{len(found)} of {expect} documents:\n{system.output_tail()}"
        time.sleep(0.2)


def _assert_clean(link: str) -> None:
    body = requests.get(link, timeout=10).content
    assert body.startswith(b"\xff\xd8")
    assert documents.location_findings(body) == []
    assert documents.GPS_LATITUDE not in body


def test_photos_an_officer_attaches_come_back_without_location(local_system: LocalSystem) -> None:
    system = local_system
    case = _register(system, f"+39333100{next(_numbers):04d}")
    items = [group["items"][0] for group in case["missing"]]
    for item, photo in zip(items, PHOTOS.values(), strict=False):
        assert documents.location_findings(photo)  # what the test is about is really in the file sent
        attached = requests.post(
            f"{system.api}/api/cases/{case['id']}/documents",
            headers=_headers(system),
            json={"item": item, "content_type": "image/jpeg", "content_base64": base64.b64encode(photo).decode()},
            timeout=10,
        )
        assert attached.status_code == 200, attached.text

    for document in _documents(system, case["id"], len(PHOTOS)):
        _assert_clean(document["url"])


def test_photos_sent_in_the_chat_come_back_without_location(local_system: LocalSystem) -> None:
    system = local_system
    digits = f"39333100{next(_numbers):04d}"
    case = _register(system, f"+{digits}")
    for name, photo in PHOTOS.items():
        file = {"base64": base64.b64encode(photo).decode(), "mime_type": "image/jpeg", "filename": f"{name}.jpg"}
        sent = requests.post(f"{system.simulator}/_simulator/inbound", json={"from": digits, "file": file}, timeout=10)
        assert sent.json()["webhook_status"] == 200

    found = _documents(system, case["id"], len(PHOTOS))

    assert len(found) == len(PHOTOS)
    for document in found:
        _assert_clean(document["url"])
