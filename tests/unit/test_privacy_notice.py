"""The privacy notice (GDPR art. 13): built from the office's configuration and the retention settings, in every
chat language, within WhatsApp's limits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.bootstrap import privacy_context
from chalicelib.i18n import available_languages, translate
from chalicelib.offices import Privacy, office, offices
from chalicelib.services.chat.replies import language_menu
from chalicelib.services.privacy import GARANTE, PrivacyContext, first_contact_line, notice, short_notice
from chalicelib.settings import ConfigurationError, Settings

BASE = "https://sportello.example/api/"


def _paragraphs(data: dict[str, object], section: str) -> list[str]:
    sections = data["sections"]
    assert isinstance(sections, list)
    return next(s["paragraphs"] for s in sections if s["id"] == section)


def test_every_office_names_its_controller_and_the_laws() -> None:
    for configured in offices().values():
        assert configured.privacy is not None and "Ministero dell'Interno" in configured.privacy.controller
        assert any("286" in law for law in configured.privacy.legal_basis)


def test_the_notice_comes_from_the_office_configuration() -> None:
    ancona = office("AN")
    data = notice(ancona, PrivacyContext(BASE), "en")
    assert ancona.privacy is not None
    assert data["controller"] == ancona.privacy.controller
    assert ancona.privacy.controller in _paragraphs(data, "controller")[0]
    assert all(law in _paragraphs(data, "basis")[0] for law in ancona.privacy.legal_basis)
    [complaint] = _paragraphs(data, "complaint")
    assert GARANTE["name"] in complaint and GARANTE["address"] in complaint and GARANTE["website"] in complaint
    assert data["url"] == f"{BASE}info/privacy?office=AN&lang=en"
    # No DPO configured: the notice says to ask the office, with its PEC, and never invents an address.
    assert data["dpo"] is None
    assert "dipps103.00F0@pecps.poliziadistato.it" in _paragraphs(data, "dpo")[0]
    assert _paragraphs(data, "dpo")[0].startswith(translate("privacy.dpo.ask", "en", contact="")[:20])

    with_dpo = replace(ancona, privacy=replace(ancona.privacy, dpo="dpo@example.org"))
    assert _paragraphs(notice(with_dpo, PrivacyContext(BASE), "en"), "dpo") == [
        translate("privacy.dpo.text", "en", dpo="dpo@example.org")
    ]


def test_an_office_without_a_privacy_block_is_said_not_configured() -> None:
    bare = replace(office("MC"), privacy=None)
    data = notice(bare, PrivacyContext(BASE), "it")
    assert data["controller"] == translate("info.html.not_configured", "it") and data["legal_basis"] == []


def test_the_retention_follows_the_settings() -> None:
    settings = Settings.from_env()
    default = privacy_context(settings)
    assert default.retention.message_days == max(settings.inbound_retention_days, settings.outbound_retention_days)
    changed = privacy_context(
        replace(settings, inbound_retention_days=45, outbound_retention_days=40, quarantine_retention_days=7)
    )
    before = notice(office("AN"), default, "en")
    after = notice(office("AN"), changed, "en")
    assert after["retention"]["messages_days"] == 45 and after["retention"]["quarantine_days"] == 7
    lines = _paragraphs(after, "retention")
    assert translate("privacy.retention.messages", "en", days="45") in lines
    assert translate("privacy.retention.quarantine", "en", days="7") in lines
    assert _paragraphs(before, "retention") != lines
    assert "45" in short_notice(office("AN"), changed, "en")
    assert str(default.retention.message_days) in short_notice(office("AN"), default, "en")
    hours = privacy_context(replace(settings, upload_link_seconds=48 * 3600)).retention.upload_link_hours
    assert hours == 48


def test_the_public_address_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("UPLOAD_PAGE_URL", "https://host.example/api/u/")
    assert Settings.from_env().public_base_url == "https://host.example/api/"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://public.example/sportello")
    assert Settings.from_env().public_base_url == "https://public.example/sportello/"
    assert privacy_context(Settings.from_env()).url("AN", "ar").startswith("https://public.example/sportello/info/")
    monkeypatch.setenv("PUBLIC_BASE_URL", "ftp://nowhere")
    with pytest.raises(ConfigurationError):
        Settings.from_env()


@pytest.mark.parametrize("language", available_languages())
def test_every_language_fits_whatsapp(language: str) -> None:
    context = PrivacyContext(BASE)
    line = first_contact_line("AN", context, language)
    assert "\n" not in line and line.endswith(context.url("AN", language))
    menu = language_menu(language, footer=line)
    assert menu.body.endswith(line) and len(menu.body) <= 1024
    short = short_notice(office("AN"), context, language)
    assert len(short) <= 4096 and short.endswith(context.url("AN", language))
    assert office("AN").privacy.controller in short  # type: ignore[union-attr]
    data = notice(office("AN"), context, language)
    assert data["language"] == language and data["title"] == translate("privacy.title", language)


def test_a_privacy_block_needs_a_controller() -> None:
    from chalicelib.offices import _privacy

    assert _privacy("XX", None) is None
    assert _privacy("XX", {"controller": "Ministero", "dpo": "", "legal_basis": ["L. 1"]}) == Privacy(
        "Ministero", None, ("L. 1",)
    )
    with pytest.raises(ValueError, match="controller"):
        _privacy("XX", {"dpo": "dpo@example.org"})


def test_the_notice_states_how_long_documents_cases_and_applicants_are_kept_from_the_settings() -> None:
    settings = replace(
        Settings.from_env(), document_retention_days=21, case_retention_days=150, applicant_retention_days=45
    )
    changed = notice(office("AN"), privacy_context(settings), "it")
    assert (changed["retention"]["document_days"], changed["retention"]["case_days"]) == (21, 150)
    assert changed["retention"]["applicant_days"] == 45
    line = next(p for p in _paragraphs(changed, "retention") if "21" in p)
    assert "150" in line and "45" in line and "ancora" not in line  # no longer "not yet deleted"
    short = short_notice(office("AN"), privacy_context(settings), "it")
    assert "21" in short and "150" in short
