"""Translation catalogues: every key in every language, with the same placeholders."""

from __future__ import annotations

import string

import polib
import pytest

from chalicelib.i18n import (
    DEFAULT_LANGUAGE,
    LOCALES,
    OFFICER_DOMAIN,
    OFFICER_LANGUAGES,
    UnknownMessageKey,
    available_languages,
    catalogue,
    translate,
)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_italian_and_english_exist() -> None:
    assert {"it", "en"} <= set(available_languages())


def _officer_keys() -> set[str]:
    return {entry.msgid for entry in polib.pofile(str(LOCALES / DEFAULT_LANGUAGE / f"{OFFICER_DOMAIN}.po"))}


@pytest.mark.parametrize("language", available_languages())
def test_every_language_has_every_key_with_the_same_placeholders(language: str) -> None:
    """Every chat language has every key of what applicants and the public read; the officers' languages have
    the console's too."""
    reference = catalogue(DEFAULT_LANGUAGE)
    translated = catalogue(language)
    officer_only = _officer_keys()
    assert officer_only and officer_only <= set(reference)
    expected = set(reference) if language in OFFICER_LANGUAGES else set(reference) - officer_only
    assert set(translated) == expected
    if language not in OFFICER_LANGUAGES:
        reference = {key: text for key, text in reference.items() if key not in officer_only}
    for key, text in reference.items():
        assert _placeholders(translated[key]) == _placeholders(text), key


def test_unknown_languages_fall_back_to_italian_and_unknown_keys_fail() -> None:
    assert translate("conv.handoff", "xx") == translate("conv.handoff", "it")
    with pytest.raises(UnknownMessageKey):
        translate("no.such.key", "en")


def test_a_language_code_can_never_name_a_path() -> None:
    assert catalogue("../it") == {} and catalogue("it/../en") == {}
