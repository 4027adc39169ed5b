"""Typed commands through the webhook and the processor: words in other scripts, and the question before an opt-out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.adapters.dynamo.models import ApplicantModel
from chalicelib.domain.outbound import Buttons, Text
from chalicelib.i18n import translate
from chalicelib.services.chat.replies import OPTOUT_NO, OPTOUT_YES
from tests.functional.test_conversation import PHONE, Phone
from tests.functional.test_conversation import phone as phone  # noqa: PLC0414 - the fixture
from tests.functional.test_conversation import register as register  # noqa: PLC0414 - the fixture


def _tap(phone: Phone, button_id: str) -> list[Any]:
    reply = {"type": "button_reply", "button_reply": {"id": button_id, "title": "x"}}
    return phone.send({"type": "interactive", "interactive": reply})


def _opted_out() -> bool:
    return ApplicantModel.get(f"wa#{PHONE}").opted_out_at is not None


def test_an_urdu_applicant_who_asks_closed_back_is_not_opted_out_and_only_yes_opts_out(
    phone: Phone, register: Callable[..., dict[str, Any]]
) -> None:
    register(language="ur")
    phone.text("سلام")
    [status] = phone.choose("lang.ur")
    assert translate("status.registered", "ur") in status.body

    # "بند؟" ("closed?") asks about the case: it is for an officer, not an opt-out.
    assert phone.text("بند؟") == [Text(translate("conv.handoff", "ur"))]
    assert not _opted_out()

    [question] = phone.text("روکیں")  # "stop", which may mean something else: asked, in Urdu
    assert isinstance(question, Buttons) and question.body == translate("conv.optout.confirm", "ur")
    assert [b.title for b in question.buttons] == [
        translate("conv.optout.yes", "ur"),
        translate("conv.optout.no", "ur"),
    ]
    assert not _opted_out()
    assert _tap(phone, OPTOUT_NO) == [Text(translate("conv.optout.kept", "ur"))]
    assert not _opted_out()

    [question] = phone.text("STOP؟")  # the explicit word, asked as a question
    assert isinstance(question, Buttons) and not _opted_out()
    assert _tap(phone, OPTOUT_YES) == [Text(translate("conv.optout", "ur"))]
    assert _opted_out()

    phone.text("START")
    assert not _opted_out()
    assert phone.text("STOP") == [Text(translate("conv.optout", "ur"))]  # Meta's rule: at once
    assert _opted_out()


def test_a_bengali_applicant_gets_the_link_for_link_and_not_for_people(
    phone: Phone, register: Callable[..., dict[str, Any]]
) -> None:
    case = register(language="bn")
    phone.text("হ্যালো")
    phone.choose("lang.bn")

    assert phone.text("লোক") == [Text(translate("conv.handoff", "bn"))]  # "people": for an officer

    [reply] = phone.text("লিংক।")
    assert isinstance(reply, Text)
    assert reply.body.startswith(translate("conv.link.intro", "bn", case_ref=case["id"]))
