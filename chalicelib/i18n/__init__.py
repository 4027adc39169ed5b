"""User-facing text, from gettext catalogues (``locales/<lang>.po``), keyed by stable message ids.

Catalogues are read on first use and cached (no I/O at import). A missing translation falls back to Italian,
the office's language, so an applicant never receives a bare message id.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polib

LOCALES = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "it"


class UnknownMessageKey(KeyError):
    """A message id that the default catalogue does not define: a programming error."""


def available_languages() -> tuple[str, ...]:
    """The languages that have a catalogue."""
    return tuple(sorted(p.stem for p in LOCALES.glob("*.po")))


@lru_cache(maxsize=32)
def catalogue(language: str) -> dict[str, str]:
    """Message id → translated text for ``language`` (empty when there is no such catalogue)."""
    path = LOCALES / f"{language}.po"
    if not path.is_file():
        return {}
    return {entry.msgid: entry.msgstr for entry in polib.pofile(str(path)) if entry.msgstr}


def translate(key: str, language: str | None = None, **params: object) -> str:
    """The text for ``key`` in ``language`` (falling back to Italian), with ``{placeholders}`` filled."""
    text = catalogue(language or DEFAULT_LANGUAGE).get(key) or catalogue(DEFAULT_LANGUAGE).get(key)
    if text is None:
        raise UnknownMessageKey(key)
    return text.format(**params) if params else text
