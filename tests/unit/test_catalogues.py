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


def _plural_bases() -> set[str]:
    """Texts that depend on a number: ``<base>.<category>`` keys, one per CLDR plural category (formats.plural)."""
    keys = set(catalogue(DEFAULT_LANGUAGE))
    return {key[: -len(".other")] for key in keys if key.endswith(".other") and f"{key[: -len('.other')]}.one" in keys}


def _singular(keys: set[str], bases: set[str]) -> set[str]:
    return {key for key in keys if key.rpartition(".")[0] not in bases}


@pytest.mark.parametrize("language", available_languages())
def test_every_language_has_every_key_with_the_same_placeholders(language: str) -> None:
    """Every chat language has every key of what applicants and the public read; the officers' languages have
    the console's too. A text that depends on a number has exactly the language's CLDR plural categories, each with
    no placeholder the Italian text lacks (Arabic's "one" and "two" may leave the number out: "يومين")."""
    from babel import Locale

    from chalicelib.i18n.formats import PLURAL_CATEGORIES, cldr_locale

    reference = catalogue(DEFAULT_LANGUAGE)
    translated = catalogue(language)
    officer_only = _officer_keys()
    assert officer_only and officer_only <= set(reference)
    bases = _plural_bases()
    assert "info.html.median" in bases
    expected = set(reference) if language in OFFICER_LANGUAGES else set(reference) - officer_only
    assert _singular(set(translated), bases) == _singular(expected, bases)
    if language not in OFFICER_LANGUAGES:
        reference = {key: text for key, text in reference.items() if key not in officer_only}
    for key, text in reference.items():
        if key.rpartition(".")[0] not in bases:
            assert _placeholders(translated[key]) == _placeholders(text), key
    categories = {*Locale.parse(cldr_locale(language)).plural_form.tags, "other"}
    for base in bases:
        assert {c for c in PLURAL_CATEGORIES if f"{base}.{c}" in translated} == categories, base
        allowed = _placeholders(reference[f"{base}.other"])
        assert _placeholders(translated[f"{base}.other"]) == allowed, base
        for category in categories:
            assert _placeholders(translated[f"{base}.{category}"]) <= allowed, (base, category)


def test_unknown_languages_fall_back_to_italian_and_unknown_keys_fail() -> None:
    assert translate("conv.handoff", "xx") == translate("conv.handoff", "it")
    with pytest.raises(UnknownMessageKey):
        translate("no.such.key", "en")


def test_a_language_code_can_never_name_a_path() -> None:
    assert catalogue("../it") == {} and catalogue("it/../en") == {}
