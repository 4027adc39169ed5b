"""``make templates``: what the office submits to WhatsApp Manager matches what the app sends, in every language."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain.templates import TEMPLATES
from chalicelib.i18n.languages import languages
from devtools.templates import EXAMPLES, TemplateWordingInvalid, every_submission, submission

URL = "https://sportello.example.it/u/"


def test_every_template_in_every_language_is_a_valid_utility_submission() -> None:
    bodies = every_submission(URL)
    assert len(bodies) == len(TEMPLATES) * len(languages())
    assert len({(b["name"], b["language"]) for b in bodies}) == len(bodies)
    for body in bodies:
        spec = TEMPLATES[body["name"]]
        assert body["category"] == "UTILITY" and re.fullmatch(r"[a-z_]{1,512}", body["name"])
        text = body["components"][0]
        assert text["type"] == "BODY" and len(text["text"]) <= 1024
        assert text["example"]["body_text"] == [[EXAMPLES[p] for p in spec.parameters]]
        buttons = [b for c in body["components"][1:] for b in c["buttons"]]
        assert [b["type"] for b in buttons] == ["URL"] * spec.url_button + ["QUICK_REPLY"] * bool(spec.quick_reply)
        for button in buttons:
            assert 0 < len(button["text"]) <= 25, (body["name"], body["language"], button["text"])
            if button["type"] == "URL":
                assert button["url"] == URL + "{{1}}" and button["example"] == [URL + "example-token"]


def test_meta_language_codes_are_the_ones_the_app_sends() -> None:
    codes = {b["language"] for b in every_submission(URL)}
    assert codes == {language.meta_code for language in languages()}


def test_a_wording_that_lost_a_parameter_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import devtools.templates as module

    monkeypatch.setattr(module, "translate", lambda key, language: "Pratica {{1}}.")
    with pytest.raises(TemplateWordingInvalid):
        submission(TEMPLATES["sportello_documenti_richiesti"], "en", URL)
