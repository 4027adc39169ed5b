"""A turn that failed half-way and is delivered again writes each timeline line once (on moto, fake gateway)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.dynamo.models import InboundModel
from chalicelib.bootstrap import Container
from chalicelib.domain.outbound import Text
from chalicelib.i18n import translate
from chalicelib.whatsapp.errors import ServiceUnavailable
from tests.fakes import FakeGateway
from tests.functional.test_conversation import PDF, PHONE, Phone
from tests.functional.test_conversation import register as register  # noqa: PLC0414 - the fixture, shared
from tests.integration.test_timeline_idempotence import Racing
from tests.support import stream_event


@pytest.fixture
def phone(client: Client, gateway: FakeGateway) -> Phone:
    return Phone(client, gateway)


def _transient() -> ServiceUnavailable:
    return ServiceUnavailable("down", code=131016, http_status=503, is_transient=True)


def _deliver_again(client: Client, wamid: str) -> None:
    """The stream (or the redrive) delivers the stored message once more."""
    item = InboundModel.get(f"wa#{PHONE}", wamid)
    client.lambda_.invoke("process_inbound_messages", stream_event([item.serialize()]))


def _kinds(container: Container, case_id: str) -> list[str]:
    return sorted(e.kind for e in container.cases.events(case_id) if e.actor.kind.value == "applicant")


def _files(container: Container, case_id: str) -> list[str]:
    listed = container.client("s3").list_objects_v2(
        Bucket=container.settings.media_bucket, Prefix=f"cases/{case_id}/documents/"
    )
    return [str(o["Key"]) for o in listed.get("Contents", [])]


def _document(code: str, media_id: str) -> dict[str, Any]:
    sha = base64.b64encode(hashlib.sha256(PDF).digest()).decode()
    caption = translate(f"document.{code}.title", "en")
    return {"type": "document", "document": {"id": media_id, "mime_type": "application/pdf", "sha256": sha,
                                             "filename": "a.pdf", "caption": caption}}  # fmt: skip


def test_a_file_whose_reply_failed_once_is_filed_once_with_one_line_each_when_delivered_again(
    phone: Phone,
    register: Callable[..., dict[str, Any]],
    gateway: FakeGateway,
    client: Client,
    container: Container,
) -> None:
    case = register(language="en")
    phone.text("hi")
    phone.choose("lang.en")
    code = case["missing"][0]["items"][0]
    gateway.media["media-t1"] = PDF
    gateway.errors.append(_transient())  # the reply fails after the turn wrote its lines: the event is retried
    with pytest.raises(ServiceUnavailable):
        phone.send({"id": "wamid.timeline.1", **_document(code, "media-t1")})
    before = len(gateway.sent)
    _deliver_again(client, "wamid.timeline.1")
    _deliver_again(client, "wamid.timeline.1")  # and once more, after it was answered

    [received] = [m.content for m in gateway.sent[before:]]
    assert isinstance(received, Text) and received.body.startswith("Received")
    assert _kinds(container, case["id"]) == ["document_assigned", "document_received", "status_changed"]
    [document] = container.cases.documents(case["id"])
    assert container.cases.get(case["id"]).checklist.item(code).document_id == document.document_id
    assert _files(container, case["id"]) == [document.storage_key]


def test_a_refused_file_whose_reply_failed_once_has_one_refusal_line(
    phone: Phone,
    register: Callable[..., dict[str, Any]],
    gateway: FakeGateway,
    client: Client,
    container: Container,
) -> None:
    case = register(language="en")
    phone.text("hi")
    phone.choose("lang.en")
    gif = {"type": "image", "image": {"id": "media-t2", "mime_type": "image/gif", "sha256": "x"}}
    gateway.errors.append(_transient())
    with pytest.raises(ServiceUnavailable):
        phone.send({"id": "wamid.timeline.2", **gif})
    _deliver_again(client, "wamid.timeline.2")
    assert _kinds(container, case["id"]) == ["document_refused"]
    assert container.cases.documents(case["id"]) == [] and _files(container, case["id"]) == []


def test_an_attachment_that_meets_a_colleagues_save_is_409_and_leaves_nothing_behind(
    register: Callable[..., dict[str, Any]], client: Client, container: Container, officer_token: Callable[..., str]
) -> None:
    case = register(language="en")
    code = case["missing"][0]["items"][0]
    container.__dict__["case_deps"] = replace(container.case_deps, cases=Racing(container.cases))
    body = {"item": code, "content_type": "application/pdf", "content_base64": base64.b64encode(PDF).decode()}
    headers = {"Authorization": officer_token(office="AN"), "Content-Type": "application/json"}
    response = client.http.post(f"/api/cases/{case['id']}/documents", headers=headers, body=json.dumps(body))
    assert (response.status_code, json.loads(response.body)["error"]["code"]) == (409, "conflict")
    assert container.cases.documents(case["id"]) == [] and _files(container, case["id"]) == []
    assert "document_received" not in [e.kind for e in container.cases.events(case["id"])]
