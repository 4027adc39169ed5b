"""The chat's languages: their own names, Meta's template codes, and a guess from the phone's country."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LANGUAGES_FILE = Path(__file__).parent / "languages.json"
FALLBACK = "it"


@dataclass(frozen=True, slots=True)
class Language:
    """One chat language."""

    code: str
    name: str  # in the language itself
    meta_code: str
    regions: tuple[str, ...]
    right_to_left: bool
    cldr: str = "it"  # the CLDR locale of its dates, numbers, lists and plurals (chalicelib.i18n.formats)


@lru_cache(maxsize=1)
def languages() -> tuple[Language, ...]:
    """Every chat language, in menu order."""
    data = json.loads(LANGUAGES_FILE.read_text(encoding="utf-8"))
    rtl = set(data["right_to_left"])
    return tuple(
        Language(item["code"], item["name"], item["meta"], tuple(item["regions"]), item["code"] in rtl, item["cldr"])
        for item in data["languages"]
    )


def language(code: str) -> Language | None:
    """The language with ``code``, if the chat has it."""
    return next((lang for lang in languages() if lang.code == code), None)


def from_meta_code(meta_code: str) -> str:
    """Our code for Meta's template language code (Italian when we have none)."""
    return next((lang.code for lang in languages() if lang.meta_code == meta_code), FALLBACK)


def guess_from_region(region: str | None) -> str:
    """The language most likely read by someone with a phone number of ``region`` (English when unknown,
    Italian for Italian numbers)."""
    for lang in languages():
        if region and region in lang.regions:
            return lang.code
    return "en" if region else FALLBACK
