"""One term per concept per language: every catalogue against the glossary (``chalicelib/i18n/glossary.json``).

The glossary gives, for each language and concept (case, residence permit, appointment, counter…), the preferred
term, the stems that count as using it and the wrong variants. Two checks: wherever the Italian text of a key
names the concept, the same key's text in every language uses the language's term (in any inflected form); and no
text anywhere uses a forbidden variant. The chat's help only tells applicants to type words their language lists.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from typing import Any

import polib
import pytest

from chalicelib.domain.conversation import parse_command
from chalicelib.i18n import DEFAULT_LANGUAGE, LOCALES, OFFICER_DOMAIN, available_languages
from chalicelib.services.chat.conversation import command_words

GLOSSARY_PATH = LOCALES.parent / "glossary.json"
NO_WORD_BOUNDARIES = {"zh_Hans"}  # Chinese has no spaces between words: substrings
ARABIC_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")  # harakat, superscript alef, tatweel: optional in writing
QUOTED = re.compile(r"[«“„\"]\s*([^»”“\"]+?)\s*[»”\"]")


@cache
def glossary() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GLOSSARY_PATH.read_text(encoding="utf-8"))
    return data


@cache
def texts(language: str) -> dict[tuple[str, str], str]:
    """(domain, key) → text, every catalogue of ``language``."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted((LOCALES / language).glob("*.po")):
        for entry in polib.pofile(str(path)):
            if entry.msgstr:
                found[(path.stem, entry.msgid)] = entry.msgstr
    return found


def _fold(text: str, case_sensitive: bool = False) -> str:
    text = ARABIC_MARKS.sub("", unicodedata.normalize("NFC", text)).replace("\u2019", "'")
    return text if case_sensitive else text.casefold()


def _is_letter(char: str) -> bool:
    return unicodedata.category(char)[0] in "LMN"


def contains_word(text: str, pattern: str, language: str, case_sensitive: bool = False) -> bool:
    """Whether ``text`` has ``pattern`` as a whole word (``*`` at an end: that end may be inside a longer word)."""
    open_start, open_end = pattern.startswith("*"), pattern.endswith("*")
    needle = _fold(pattern.strip("*"), case_sensitive)
    text = _fold(text, case_sensitive)
    if language in NO_WORD_BOUNDARIES:
        return needle in text
    start = text.find(needle)
    while start != -1:
        end = start + len(needle)
        left_ok = open_start or start == 0 or not _is_letter(text[start - 1])
        right_ok = open_end or end == len(text) or not _is_letter(text[end])
        if left_ok and right_ok:
            return True
        start = text.find(needle, start + 1)
    return False


def _checked(key: str) -> bool:
    """Lists of words applicants may type hold synonyms on purpose: not wording."""
    return not (key.startswith("command.") and key.endswith(".words"))


LANGUAGES = tuple(sorted(glossary()["languages"]))
CONCEPTS = tuple(glossary()["concepts"])


def test_the_glossary_covers_every_language_and_concept() -> None:
    assert set(LANGUAGES) == set(available_languages())
    for language, concepts in glossary()["languages"].items():
        assert set(concepts) == set(CONCEPTS), language
        for name, entry in concepts.items():
            assert entry["term"], (language, name)
            exact = glossary()["concepts"][name].get("case_sensitive", False)
            clash = [
                f for f in entry["forbid"] for a in entry["accept"] if _fold(a, exact) == _fold(f.strip("*"), exact)
            ]
            assert not clash, (language, name, clash)
            if glossary()["concepts"][name].get("trigger"):
                assert any(_fold(a) in _fold(entry["term"]) for a in entry["accept"]), (language, name)


def test_the_word_matching_respects_words_and_scripts() -> None:
    assert contains_word("Rappel : rendez-vous", "rendez-vous", "fr")
    assert not contains_word("le kit postale", "kit postal", "fr")
    assert contains_word("par kit postal.", "kit postal", "fr")
    assert not contains_word("у центрі прийому", "прийом", "uk")  # noqa: RUF001 - the Ukrainian preposition
    assert contains_word("на прийом", "прийом", "uk")
    assert contains_word("تذكير: موعد للملف", "*للملف", "ar") and not contains_word("موعدكم", "*موعدك", "ar")
    assert contains_word("تنتهي صلاحية تصريح إقامتك", "*إقامتك", "ar")
    assert not contains_word("কেস নথিভুক্ত করা হয়", "নথি", "bn") and contains_word("যে নথি পাঠান", "নথি", "bn")
    assert contains_word("提醒：案件 1", "案件", "zh_Hans")  # noqa: RUF001 - a Chinese colon
    assert contains_word("максимум 10 МБ.", "МБ", "uk", case_sensitive=True)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("concept", CONCEPTS)
def test_every_text_naming_a_concept_uses_the_languages_term(language: str, concept: str) -> None:
    spec = glossary()["concepts"][concept]
    if not spec.get("trigger"):
        return
    flags = 0 if spec.get("case_sensitive") else re.IGNORECASE
    trigger = re.compile(spec["trigger"], flags)
    idioms = [re.compile(idiom, flags) for idiom in spec.get("idioms", ())]
    entry = glossary()["languages"][language][concept]
    stems = [_fold(a, spec.get("case_sensitive", False)) for a in entry["accept"]]
    exempt = glossary().get("exceptions", {}).get(language, {}).get(concept, {})
    translated = texts(language)
    missing = []
    for (domain, key), italian in texts(DEFAULT_LANGUAGE).items():
        if domain == OFFICER_DOMAIN or domain not in spec.get("domains", (domain,)):
            continue  # the officers' console has its own office vocabulary ("counter visit", "file number")
        if not _checked(key) or key in exempt or (domain, key) not in translated:
            continue
        said = italian
        for idiom in idioms:
            said = idiom.sub("", said)
        if trigger.search(said):
            text = _fold(translated[(domain, key)], spec.get("case_sensitive", False))
            if not any(stem in text for stem in stems):
                missing.append(f"{domain}:{key}: {translated[(domain, key)]!r}")
    assert not missing, f"{language} should say {entry['term']!r} for {spec['it']!r}:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_uses_a_forbidden_variant(language: str) -> None:
    allowed = glossary().get("allow", {}).get(language, [])
    found = []
    for (domain, key), original in texts(language).items():
        if not _checked(key):
            continue
        text = original
        for phrase in allowed:
            text = text.replace(phrase, " ")
        for concept, entry in glossary()["languages"][language].items():
            case_sensitive = glossary()["concepts"][concept].get("case_sensitive", False)
            found += [
                f"{domain}:{key}: {variant!r} ({concept}: say {entry['term']!r})"
                for variant in entry["forbid"]
                if contains_word(text, variant, language, case_sensitive)
            ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_help_tells_applicants_to_type_their_own_languages_words(language: str) -> None:
    """What ``conv.help`` quotes must be a command, listed in the language itself (not only the Italian or English
    word that happens to work too); STOP and START are Meta's words in every language."""
    help_text = texts(language)[("messages", "conv.help")]
    quoted = QUOTED.findall(help_text)
    italian = QUOTED.findall(texts(DEFAULT_LANGUAGE)[("messages", "conv.help")])
    assert len(quoted) == len(italian), quoted
    own = {
        word.strip().casefold()
        for (_, key), listed in texts(language).items()
        if key.startswith("command.") and key.endswith(".words")
        for word in listed.split(",")
    }
    for word in quoted:
        assert parse_command(word, command_words()) is not None, word
        assert word.casefold() in own | {"stop", "start"}, f"{language}: help says «{word}», not one of its words"
