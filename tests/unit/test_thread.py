"""The thread's entries, what the applicant read, and why a case waits in the inbox: plain domain, no storage."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.catalogue import load_catalogue
from chalicelib.domain.actors import APPLICANT, SERVICE, Actor, ActorKind, actor_from_stored
from chalicelib.domain.applicants import ApplicantRef
from chalicelib.domain.cases import Appointment, Case, CaseApplicant, CaseStatus
from chalicelib.domain.catalogue import Procedure
from chalicelib.domain.checklist import Checklist
from chalicelib.domain.inbound import InboundMessage, MessageType
from chalicelib.domain.inbox import InboxReason, waiting
from chalicelib.domain.outbound import Buttons, ListMenu, ListRow, ListSection, ReplyButton, Template, Text
from chalicelib.domain.templates import TEMPLATES
from chalicelib.domain.thread import DeliveryState, Direction, delivery_state, inbound_entry, thread_key
from chalicelib.i18n import available_languages, translate
from chalicelib.i18n.languages import language
from chalicelib.services.messages.rendering import render

NOW = 1_764_100_000_000


def _inbound(kind: MessageType, body: dict[str, object]) -> InboundMessage:
    return InboundMessage("wamid.1", ApplicantRef(wa_id="393331234567"), 1_764_100_000, kind, body, "1")


@pytest.mark.parametrize("code", available_languages())
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_renders_in_every_language_with_every_parameter_filled(name: str, code: str) -> None:
    spec = TEMPLATES[name]
    parameters = tuple(f"<{p}>" for p in spec.parameters)
    meta = language(code)
    assert meta is not None
    token = "token-123" if spec.url_button else None
    rendered = render(Template(name, meta.meta_code, parameters, token, spec.quick_reply))
    assert "{{" not in rendered.text and all(p in rendered.text for p in parameters)
    assert rendered.text.startswith(translate(f"template.{name}.body", code).split("{{")[0])
    buttons = (translate("template.button.secure_page", code),) if spec.url_button else ()
    buttons += (translate("template.button.choose_visit", code),) if spec.quick_reply else ()
    assert rendered.options == buttons
    assert "token-123" not in rendered.text


def test_interactive_messages_keep_their_words_and_options_and_texts_lose_link_tokens() -> None:
    buttons = Buttons("Choose", (ReplyButton("a", "First"), ReplyButton("b", "Second")), header="Top", footer="End")
    assert render(buttons).text == "Top\n\nChoose\n\nEnd" and render(buttons).options == ("First", "Second")
    menu = ListMenu("Pick", "Open", (ListSection("S", (ListRow("r1", "Row one"), ListRow("r2", "Row two"))),))
    assert render(menu).options == ("Row one", "Row two")
    token = "A" * 43
    assert token not in render(Text(f"Your page: https://x.example/u/{token}")).text


def test_inbound_entries_say_what_was_sent_without_copying_locations_or_contacts() -> None:
    text = inbound_entry(_inbound(MessageType.TEXT, {"text": {"body": "Ciao"}}), NOW)
    assert (text.kind, text.text, text.author) == ("text", "Ciao", APPLICANT)
    image = inbound_entry(_inbound(MessageType.IMAGE, {"image": {"id": "m", "caption": "passport"}}), NOW, "doc-1")
    assert (image.kind, image.text, image.document_id) == ("image", "passport", "doc-1")
    row = {"interactive": {"type": "list_reply", "list_reply": {"id": "lang.en", "title": "English"}}}
    choice = inbound_entry(_inbound(MessageType.INTERACTIVE, row), NOW)
    assert (choice.kind, choice.text, choice.choice) == ("choice", "English", choice.choice)
    assert choice.choice is not None and choice.choice.id == "lang.en"
    button = inbound_entry(_inbound(MessageType.BUTTON, {"button": {"payload": "p", "text": "Yes"}}), NOW)
    assert (button.kind, button.text) == ("choice", "Yes")
    reaction = inbound_entry(_inbound(MessageType.REACTION, {"reaction": {"emoji": "👍", "message_id": "w"}}), NOW)
    assert (reaction.kind, reaction.text) == ("reaction", "👍")
    place = {"location": {"latitude": 43.6, "longitude": 13.5, "name": "Home", "address": "Via Roma 1"}}
    location = inbound_entry(_inbound(MessageType.LOCATION, place), NOW)
    assert (location.kind, location.text) == ("location", None)
    refused = inbound_entry(_inbound(MessageType.DOCUMENT, {"document": {"id": "m"}}), NOW, refused="too_large")
    assert (refused.document_id, refused.refused) == (None, "too_large")
    assert "wamid" not in text.entry_id


def test_thread_keys_sort_by_time_and_never_collide_between_directions() -> None:
    assert thread_key(NOW, Direction.IN, "a") < thread_key(NOW + 1, Direction.IN, "a")
    assert thread_key(NOW, Direction.IN, "x") != thread_key(NOW, Direction.OUT, "x")


@pytest.mark.parametrize(
    ("claim", "status", "expected"),
    [
        ("sending", None, DeliveryState.SENDING),
        ("released", None, DeliveryState.RETRYING),
        ("accepted", "accepted", DeliveryState.ACCEPTED),
        ("accepted", "delivered", DeliveryState.DELIVERED),
        ("failed", None, DeliveryState.FAILED),
        ("failed", "delivered", DeliveryState.DELIVERED),  # the lost answer: it arrived after all
        ("accepted", "failed", DeliveryState.FAILED),
        (None, "read", DeliveryState.READ),  # a status that beat the send's answer
    ],
)
def test_the_delivery_state_follows_metas_latest_word(claim: str, status: str, expected: DeliveryState) -> None:
    assert delivery_state(claim, status) is expected


def test_actors_round_trip_and_older_records_read_as_people() -> None:
    officer = Actor(ActorKind.OFFICER, "sub-1", "g.bianchi", "Giulia Bianchi")
    assert actor_from_stored(officer.as_dict()) == officer
    assert actor_from_stored("applicant") == APPLICANT and actor_from_stored("reminders") == SERVICE
    assert actor_from_stored("sub-9") == Actor(ActorKind.OFFICER, "sub-9")
    assert officer.label == "Giulia Bianchi" and Actor(ActorKind.OFFICER, "s", "u").label == "u"


def _case() -> Case:
    spec = load_catalogue().procedure("studio", Procedure.RINNOVO)
    applicant = CaseApplicant("+393331234567", "393331234567", None, "Amina", "en")
    return Case(
        "AN-AAAA2222", "AN", Procedure.RINNOVO, "studio", applicant, Checklist.for_procedure(spec),
        CaseStatus.AWAITING_DOCUMENTS, NOW, NOW, NOW,
    )  # fmt: skip


def test_a_case_waits_for_each_reason_longest_first_and_never_once_closed() -> None:
    case = _case()
    assert waiting(case) == ()
    received = replace(case, checklist=case.checklist.receive("alloggio", "d1", NOW + 5))
    both = replace(received, unanswered_since_ms=NOW + 9)
    assert [(w.reason, w.since_ms) for w in waiting(both)] == [
        (InboxReason.DOCUMENTS_TO_REVIEW, NOW + 5),
        (InboxReason.UNANSWERED, NOW + 9),
    ]
    complete = replace(case, status=CaseStatus.COMPLETE, status_since_ms=NOW + 20)
    assert [w.reason for w in waiting(complete)] == [InboxReason.READY_FOR_VISIT]
    from datetime import datetime

    booked = replace(complete, appointment=Appointment(datetime(2026, 12, 10, 9, 30), "Via Gervasoni 19"))
    assert waiting(booked) == ()
    assert waiting(replace(both, status=CaseStatus.CLOSED)) == ()
