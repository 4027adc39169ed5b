"""User-facing text, from gettext catalogues (``locales/<lang>/<domain>.po``), keyed by stable message ids.

Domains split the text by who writes it: ``messages`` for what the chat and the API say, ``catalogue`` for the
names and explanations of permit types, documents, fees and steps, ``public`` and ``upload`` for the public and
upload pages, ``privacy`` for the privacy notice (its page and its lines in the chat); ``console`` for what officers
read in their console (Italian and English only).

Catalogues are read on first use and cached (no I/O at import). A missing translation falls back to Italian,
the office's language, so an applicant never receives a bare message id.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import polib

LOCALES = Path(__file__).parent / "locales"
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(_[A-Z][a-z]{3})?")
DEFAULT_LANGUAGE = "it"
OFFICER_LANGUAGES = ("it", "en")  # the console's languages, Italian first
OFFICER_DOMAIN = "console"


class UnknownMessageKey(KeyError):
    """A message id that the default catalogue does not define: a programming error."""


def available_languages() -> tuple[str, ...]:
    """The languages that have a catalogue."""
    return tuple(sorted(p.name for p in LOCALES.iterdir() if p.is_dir() and any(p.glob("*.po"))))


@lru_cache(maxsize=32)
def catalogue(language: str) -> dict[str, str]:
    """Message id → translated text for ``language``, all domains merged (empty for an unknown language)."""
    texts: dict[str, str] = {}
    if not LANGUAGE_CODE.fullmatch(language):  # it comes from requests and stored data: never a path
        return texts
    for path in sorted((LOCALES / language).glob("*.po")):
        texts.update((entry.msgid, entry.msgstr) for entry in polib.pofile(str(path)) if entry.msgstr)
    return texts


def translate(key: str, language: str | None = None, **params: object) -> str:
    """The text for ``key`` in ``language`` (falling back to Italian), with ``{placeholders}`` filled."""
    text = catalogue(language or DEFAULT_LANGUAGE).get(key) or catalogue(DEFAULT_LANGUAGE).get(key)
    if text is None:
        raise UnknownMessageKey(key)
    return text.format(**params) if params else text
