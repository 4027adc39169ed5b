"""A case's thread on moto: inbound and outbound messages filed under the case, merged in order, paged exactly."""

from __future__ import annotations

import pytest

from chalicelib.adapters.dynamo.messages import DynamoInboundStore, DynamoOutboundStore
from chalicelib.adapters.dynamo.models import bind_models
from chalicelib.adapters.dynamo.thread import DynamoThreadStore
from chalicelib.domain.actors import Actor, ActorKind
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.inbound import InboundMessage, MessageType
from chalicelib.domain.outbound import OutboundMessage, Text
from chalicelib.services.messages.ports import InboundFiling, Lease
from chalicelib.services.messages.rendering import render
from chalicelib.settings import get_settings

NOW = 1_764_100_000_000
LEASE = Lease(NOW + 90_000, NOW + 600_000)
APPLICANT = ApplicantRef(wa_id="393331234567")
OFFICER = Actor(ActorKind.OFFICER, "sub-1", "an.officer", "Giulia Bianchi")


@pytest.fixture
def stores(aws: None) -> tuple[DynamoInboundStore, DynamoOutboundStore, DynamoThreadStore]:
    bind_models(get_settings())
    return DynamoInboundStore(90), DynamoOutboundStore(90), DynamoThreadStore()


def _write(stores: tuple[DynamoInboundStore, DynamoOutboundStore, DynamoThreadStore], case_id: str) -> list[str]:
    """Three inbound and three outbound messages, two of each pair in the same millisecond; the texts in order."""
    inbound, outbound, _ = stores
    texts = []
    for n in range(3):
        at = NOW + n * 10
        body = {"text": {"body": f"in {n}"}}
        message = InboundMessage(
            f"wamid.{case_id}.{n}", APPLICANT, at // 1000, MessageType.TEXT, body, "1", received_at_ms=at
        )
        inbound.add(message, at)
        inbound.file_under_case(message, case_id, InboundFiling())
        reply = OutboundMessage(f"out.{case_id}.{n}", APPLICANT, Text(f"out {n}"), case_id=case_id, author=OFFICER)
        outbound.claim(
            reply, at + (n % 2), render(reply.content), LEASE
        )  # n = 0, 2: the same millisecond as the question
        texts += [f"in {n}", f"out {n}"]
    return texts


def test_the_thread_merges_both_directions_in_order_and_pages_back_exactly(
    stores: tuple[DynamoInboundStore, DynamoOutboundStore, DynamoThreadStore],
) -> None:
    texts = _write(stores, "AN-AAAA2222")
    _write(stores, "AN-BBBB3333")  # another case of the same applicant: never mixed in
    thread = stores[2]
    whole = thread.page("AN-AAAA2222", None, 100)
    assert [e.text for e in whole.entries] == texts and whole.older is None
    assert whole.entries[1].author == OFFICER and whole.entries[0].author.kind is ActorKind.APPLICANT
    for size in (1, 2, 4, 5, 6):
        seen, before = [], None
        while True:
            page = thread.page("AN-AAAA2222", before, size)
            assert 0 < len(page.entries) <= size
            seen = [e.text for e in page.entries] + seen
            before = page.older
            if before is None:
                break
        assert seen == texts, size


def test_filing_the_same_message_twice_keeps_one_entry_and_an_unfiled_message_is_in_no_thread(
    stores: tuple[DynamoInboundStore, DynamoOutboundStore, DynamoThreadStore],
) -> None:
    inbound, outbound, thread = stores
    message = InboundMessage("wamid.x", APPLICANT, NOW // 1000, MessageType.TEXT, {"text": {"body": "hi"}}, "1")
    inbound.add(message, NOW)
    inbound.file_under_case(message, "AN-CCCC4444", InboundFiling())
    inbound.file_under_case(message, "AN-CCCC4444", InboundFiling())
    outbound.claim(OutboundMessage("info.1", APPLICANT, Text("menu")), NOW, render(Text("menu")), LEASE)  # no case
    assert [e.text for e in thread.page("AN-CCCC4444", None, 10).entries] == ["hi"]
