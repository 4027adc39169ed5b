"""How typed words are compared: the same word, however a phone keyboard wrote it, becomes the same string.

Applicants write in ten languages and four scripts from every kind of keyboard. :func:`normalise` folds away what
only the keyboard decides and keeps what tells one word from another. Each rule, in the order applied:

1. **NFKC.** Compatibility forms are the same letters: full-width Latin (U+FF21…) from a Chinese keyboard, the
   ``ﬁ`` ligature, Arabic presentation forms (``ﻻ``) that some keyboards and copy-paste produce.
2. **Case folding** (``str.casefold``, not ``lower``): ``STOP``, ``Stop`` and ``stop`` are one word; ``ß`` is ``ss``.
3. **Invisible format characters removed** (category Cf): WhatsApp and bidirectional keyboards insert
   left-to-right/right-to-left marks and isolates around Arabic-script text; ZWNJ and ZWJ only decide how letters
   join (Persian and Urdu half-spaces, Bengali ya-phala), and people type them or not. The one join that makes a
   different letter, Bengali ``ত্`` + ZWJ (the old spelling of khanda ta), becomes ``ৎ`` first.
4. **Marks folded only where they are optional.** Accents on Latin letters go (phones autocorrect them in or out:
   ``menú``/``menu``, ``état``/``etat``), and so do Arabic-script diacritics: harakat (tashkeel), tanwin, shadda,
   sukun, the superscript alef and the hamza/madda written on a seat (``أ إ آ ؤ ئ`` decompose to a bare letter plus
   a mark), which Arabic, Persian and Urdu writers put in or leave out freely. Every other combining mark is kept:
   Bengali and Devanagari vowel signs, virama, anusvara are letters (``লিংক`` "link" and ``লোক`` "people" differ
   only by them), and Cyrillic ``й``/``ї`` are letters of their own.
5. **Arabic and Persian letter variants are one letter**, as the same word is typed on an Arabic or a Persian/Urdu
   keyboard: yeh ``ي ی ى``; keh ``ك ک``; heh with teh marbuta ``ة`` and the Urdu and Kurdish forms of heh (U+06C1
   goal, U+06BE do-chashmi, U+06C3, U+06D5), which Arabic and Persian keyboards cannot type; alef wasla ``ٱ`` with
   alef. Tatweel ``ـ`` (a letter for Unicode, but only a stretch of the line) is removed.
6. **Digits are ASCII.** Arabic-Indic ``٣``, Persian/Urdu ``۳`` and Bengali ``৩`` are ``3``.
7. **Everything that is not a letter, mark or digit separates words**, and runs of it become one space, trimmed at
   both ends: ``؟ ، ؛`` and the Urdu full stop, the Bengali danda ``। ॥``, CJK punctuation (``。``), emoji,
   hyphens (``rendez-vous`` is ``rendez vous``).

The result is NFC, so letters that Unicode can write composed or decomposed (Bengali ``ো`` = ``ে`` + ``া``) compare
equal whichever way the keyboard sent them.
"""

from __future__ import annotations

import unicodedata

QUESTION_MARKS = frozenset("?\u061f\uff1f\u00bf\u2e2e")  # Latin, Arabic, full-width, Spanish ¿, reversed ⸮
_KHANDA_TA_OLD = "\u09a4\u09cd\u200d"  # ta + virama + ZWJ: how khanda ta was written before U+09CE
_KHANDA_TA = "\u09ce"
_TATWEEL = "\u0640"
_ARABIC_LETTERS = str.maketrans(
    {
        "\u06cc": "\u064a",  # ی Farsi yeh
        "\u0649": "\u064a",  # ى alef maksura
        "\u06d0": "\u064a",  # ې Pashto/Uyghur e
        "\u06a9": "\u0643",  # ک keheh
        "\u06aa": "\u0643",  # ڪ swash kaf
        "\u0629": "\u0647",  # ة teh marbuta
        "\u06c1": "\u0647",  # heh goal (Urdu)
        "\u06be": "\u0647",  # heh do-chashmi (Urdu aspiration)
        "\u06d5": "\u0647",  # ae (and heh with yeh above, once its hamza is folded away)
        "\u06c3": "\u0647",  # ۃ teh marbuta goal (Urdu)
        "\u0671": "\u0627",  # ٱ alef wasla
    }
)


def _script(char: str) -> str:
    """The first word of the character's Unicode name (``LATIN``, ``ARABIC``, ``BENGALI``…), or ``""``."""
    return unicodedata.name(char, "").partition(" ")[0]


def _fold_marks(text: str) -> str:
    """Drop the optional marks (rule 4): those on a Latin or Arabic-script letter; keep all others."""
    kept: list[str] = []
    base = ""
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char) != "Mn":
            base = _script(char) if unicodedata.category(char)[0] != "M" else base
            kept.append(char)
        elif base not in {"LATIN", "ARABIC"}:
            kept.append(char)
    return "".join(kept)


def _word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LMN"


def normalise(text: str) -> str:
    """``text`` as typed words compare: folded (see the module's rules), words separated by single spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace(_KHANDA_TA_OLD, _KHANDA_TA)
    folded = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    folded = _fold_marks(folded).translate(_ARABIC_LETTERS).replace(_TATWEEL, "")
    out: list[str] = []
    for char in folded:
        if unicodedata.category(char) == "Nd":
            out.append(str(unicodedata.digit(char)))
        elif _word_char(char):
            out.append(char)
        elif out and out[-1] != " ":
            out.append(" ")
    return unicodedata.normalize("NFC", "".join(out).strip())


def is_question(text: str) -> bool:
    """Whether ``text`` asks something: it has a question mark, in any script (``بند؟``, ``stop?``, full-width)."""
    return any(char in QUESTION_MARKS for char in text)
