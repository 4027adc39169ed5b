"""Typed commands in every script: the normaliser, the catalogues' word lists, and which stop words only ask."""

from __future__ import annotations

import unicodedata
from itertools import combinations

import pytest

from chalicelib.domain.conversation import Command, parse_command
from chalicelib.domain.normalise import is_question, normalise
from chalicelib.domain.outbound import BUTTON_TITLE_MAX
from chalicelib.i18n import available_languages, catalogue
from chalicelib.i18n.languages import languages
from chalicelib.services.chat import replies
from chalicelib.services.chat.conversation import command_words

CHAT_LANGUAGES = tuple(lang.code for lang in languages())


def _words(language: str, command: Command) -> list[str]:
    """The command's words in ``language`` as the catalogue lists them (none when it has no such key yet)."""
    listed = catalogue(language).get(f"command.{command.value}.words", "")
    return [w.strip() for w in listed.split(",") if w.strip()]


def _parse(text: str) -> Command | None:
    return parse_command(text, command_words())


# --- the normaliser ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("লিংক", "লিংক"),  # Bengali vowel sign i and anusvara are letters: kept
        ("লোক", "লোক"),  # …so "people" stays another word
        ("\u09b2\u09c7\u09be\u0995", "লোক"),  # o-kar typed as e-kar + aa-kar: the same letter
        ("সাক্ষাত্\u200d", "সাক্ষাৎ"),  # khanda ta in its old spelling (ta, virama, ZWJ)
        ("अपलोड", "अपलोड"),  # Devanagari vowel signs kept too
        ("كيس", normalise("کیس")),  # Arabic kaf and yeh, Urdu/Persian keheh and Farsi yeh
        ("معاملتی", normalise("معاملتي")),  # Farsi yeh for Arabic yeh
        ("مستشفى", normalise("مستشفي")),  # alef maksura
        ("صفحة", normalise("صفحہ")),  # teh marbuta, Urdu heh goal
        ("صفحه", normalise("صفحہ")),  # Arabic heh
        ("إيقاف", "ايقاف"),  # hamza under alef
        ("أَهْلاً", "اهلا"),  # harakat, tanwin, hamza on alef
        ("ٱلرابط", "الرابط"),  # alef wasla
        ("رابـــط", "رابط"),  # tatweel
        ("\u200fاسٹیٹس\u200f", normalise("اسٹیٹس")),  # noqa: RUF001 - right-to-left marks around it
        ("اپ\u200cلوڈ", normalise("اپلوڈ")),  # zero-width non-joiner
        ("٣ ۳ ৩ \uff13", "3 3 3 3"),  # Arabic-Indic, Persian/Urdu, Bengali and full-width digits
        ("ＳＴＯＰ", "stop"),  # noqa: RUF001 - full-width, from a Chinese keyboard
        ("Stop!", "stop"),
        ("بند؟", "بند"),  # Arabic question mark stripped at the word's edge
        ("، لنک \u06d4", normalise("لنک")),  # Arabic comma, Urdu full stop
        ("বন্ধ।", "বন্ধ"),  # Bengali danda
        ("停止。", "停止"),
        ("Menú", "menu"),  # Latin accents are optional
        ("ÉTAT", "etat"),
        ("ndihmë", "ndihme"),
        ("прийом", "прийом"),  # Cyrillic й is a letter, not и with an accent
        ("їжа", "їжа"),
        ("rendez-vous", "rendez vous"),
        ("  mio   caso 👍 ", "mio caso"),
    ],
)
def test_normalise_folds_what_the_keyboard_decides_and_keeps_what_tells_words_apart(typed: str, expected: str) -> None:
    assert normalise(typed) == expected


def test_normalise_is_idempotent_and_nfc() -> None:
    for text in ("লিংক", "অ্যাপয়েন্টমেন্ট", "یاد دہانیاں بند کریں", "إلغاء الاشتراك", "ndihmë", "посилання"):
        once = normalise(text)
        assert normalise(once) == once and unicodedata.is_normalized("NFC", once)


@pytest.mark.parametrize(
    ("text", "question"),
    [("stop?", True), ("بند؟", True), ("停止？", True), ("¿parar?", True), ("stop", False), ("STOP!", False)],  # noqa: RUF001
)
def test_a_question_mark_in_any_script_makes_a_question(text: str, question: bool) -> None:
    assert is_question(text) is question


# --- the catalogues' word lists -----------------------------------------------------------------------------------


def test_every_chat_language_has_a_catalogue() -> None:
    assert set(CHAT_LANGUAGES) <= set(available_languages())


def test_no_word_belongs_to_two_commands_in_any_language_once_normalised() -> None:
    """Every language's words work whatever language was chosen, so the sets are compared across all of them."""
    owners: dict[str, set[tuple[Command, str]]] = {}
    for language in CHAT_LANGUAGES:
        for command in Command:
            for word in _words(language, command):
                owners.setdefault(normalise(word), set()).add((command, language))
    shared = {word: found for word, found in owners.items() if len({command for command, _ in found}) > 1}
    assert shared == {}
    for first, second in combinations(Command, 2):
        assert not command_words()[first] & command_words()[second], (first, second)


@pytest.mark.parametrize("language", CHAT_LANGUAGES)
def test_no_status_an_applicant_reads_is_a_command_word(language: str) -> None:
    """The status reply names the case's state ("بند", closed); an applicant who repeats it back must not have sent
    a command (in Urdu and Bengali "closed" was a stop word)."""
    every_word = set().union(*command_words().values())
    statuses = {key: text for key, text in catalogue(language).items() if key.startswith("status.")}
    assert statuses
    assert {key: text for key, text in statuses.items() if normalise(text) in every_word} == {}


@pytest.mark.parametrize("language", CHAT_LANGUAGES)
def test_every_language_lists_the_words_of_the_commands_of_this_issue(language: str) -> None:
    for command in (Command.STOP, Command.MAYBE_STOP, Command.START, Command.LINK, Command.STATUS):
        assert _words(language, command), (language, command)
    for command in Command:
        assert all(normalise(word) for word in _words(language, command)), (language, command)


# --- every chat language ----------------------------------------------------------------------------------------

# A word that looks like one of the language's link words but is not a command.
NOT_A_LINK = {
    "it": "lino",
    "en": "lick",
    "fr": "lieu",
    "ar": "رابطة",  # association (vs رابط, link): teh marbuta is folded to heh, never dropped
    "sq": "lidhur",
    "zh_Hans": "链条",  # chain (vs 链接)
    "ur": "لنگ",  # gaf (vs لنک, keheh): only the keyboard variants of one letter are folded
    "bn": "লোক",  # people (vs লিংক): the vowel signs tell them apart
    "uk": "посилка",  # parcel (vs посилання)
    "es": "lance",
}
QUESTION = {"ar": "؟", "ur": "؟", "zh_Hans": "？"}  # noqa: RUF001 - the languages' own question marks


def test_the_near_misses_cover_every_chat_language() -> None:
    assert set(NOT_A_LINK) == set(CHAT_LANGUAGES)


@pytest.mark.parametrize("language", CHAT_LANGUAGES)
def test_the_link_words_ask_for_the_link_and_a_similar_word_does_not(language: str) -> None:
    for word in _words(language, Command.LINK):
        assert _parse(word) is Command.LINK, word
        assert _parse(f" {word.upper()}! ") is Command.LINK, word
    assert _parse(NOT_A_LINK[language]) is None


@pytest.mark.parametrize("language", CHAT_LANGUAGES)
def test_a_stop_word_opts_out_but_asked_as_a_question_only_asks(language: str) -> None:
    mark = QUESTION.get(language, "?")
    for word in _words(language, Command.STOP):
        assert _parse(word) is Command.STOP, word
        assert _parse(f"{word}{mark}") is Command.MAYBE_STOP, word
        assert _parse(f"{word} ?") is Command.MAYBE_STOP, word


@pytest.mark.parametrize("language", CHAT_LANGUAGES)
def test_a_word_that_may_not_mean_stop_only_asks(language: str) -> None:
    mark = QUESTION.get(language, "?")
    for word in _words(language, Command.MAYBE_STOP):
        assert _parse(word) is Command.MAYBE_STOP, word
        assert _parse(f"{word}{mark}") is Command.MAYBE_STOP, word


@pytest.mark.parametrize("language", CHAT_LANGUAGES)
def test_the_latin_stop_opts_out_at_once_whatever_the_language(language: str) -> None:
    """Meta's rule: an explicit STOP is honoured promptly; every language's explicit words are too."""
    assert _parse("STOP") is Command.STOP
    assert _parse("Stop.") is Command.STOP
    assert _words(language, Command.STOP)


@pytest.mark.parametrize("language", CHAT_LANGUAGES)
def test_the_question_before_an_opt_out_fits_whatsapp_in_every_language(language: str) -> None:
    question = replies.optout_question(language)
    assert question.body == catalogue(language)["conv.optout.confirm"]
    assert [b.id for b in question.buttons] == [replies.OPTOUT_YES, replies.OPTOUT_NO]
    for button, key in zip(question.buttons, ("conv.optout.yes", "conv.optout.no"), strict=True):
        assert button.title == catalogue(language)[key] and len(button.title) <= BUTTON_TITLE_MAX


# --- the cases of the issue ---------------------------------------------------------------------------------------


def test_an_urdu_closed_asked_back_is_not_a_stop() -> None:
    assert _parse("بند؟") is None
    assert _parse("بند") is None  # "closed", the status: for an officer, not an opt-out
    assert _parse("بند کریں") is Command.MAYBE_STOP  # "turn it off": asks first
    assert _parse("یاد دہانیاں بند کریں") is Command.STOP  # "turn the reminders off"


def test_a_bengali_people_is_not_a_link_and_link_is() -> None:
    assert _parse("লোক") is None
    assert _parse("লিংক") is Command.LINK
    assert _parse("লিঙ্ক") is Command.LINK
    assert _parse("বন্ধ") is None  # "closed", the status
    assert _parse("বন্ধ করুন") is Command.MAYBE_STOP


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("اسٹيٹس", Command.STATUS),  # Urdu "status" on an Arabic keyboard (Arabic yeh)
        ("كيس", Command.STATUS),  # Urdu "case" with Arabic kaf and yeh
        ("معاملتی", Command.STATUS),  # Arabic "my application" on a Persian/Urdu keyboard (Farsi yeh)
        ("صفحه", Command.LINK),  # Urdu "page" with Arabic heh
        ("صفحة", Command.LINK),  # …and with teh marbuta
        ("ايقاف", Command.MAYBE_STOP),  # Arabic "stopping" without its hamza
        ("اَلرّابِط", Command.LINK),  # Arabic "the link" with harakat and shadda
        ("المعلومات؟", Command.INFO),
    ],
)
def test_arabic_and_persian_letter_variants_are_one_letter(typed: str, command: Command) -> None:
    assert _parse(typed) is command
