"""Lists, plurals, dates, times and amounts from CLDR (Babel) in the chat's ten languages, and office hours from
offices.json only."""

# ruff: noqa: RUF001, RUF003 - Cyrillic, Arabic and Bengali letters and digits are the point here

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import date, datetime

import pytest

from chalicelib.i18n import translate
from chalicelib.i18n.formats import (
    format_date,
    format_money,
    format_number,
    format_time,
    join_list,
    plural,
    plural_category,
    weekdays,
)
from chalicelib.i18n.languages import languages
from chalicelib.offices import PhoneLine, office
from tests.conftest import ROOT

LANGUAGES = [lang.code for lang in languages()]

LISTS = {  # CLDR's "standard" list of three and of two
    "it": ("A, B e C", "A e B"),
    "en": ("A, B and C", "A and B"),
    "fr": ("A, B et C", "A et B"),
    "es": ("A, B y C", "A y B"),
    "ar": ("A وB وC", "A وB"),  # و is written against the next word, never "و B"
    "ur": ("A، B، اور C", "A اور B"),
    "bn": ("A, B এবং C", "A এবং B"),
    "zh_Hans": ("A、B和C", "A和B"),
    "uk": ("A, B і C", "A і B"),
    "sq": ("A, B dhe C", "A dhe B"),
}
THURSDAY = {  # 11 December 2025, "full": with the weekday
    "it": "giovedì 11 dicembre 2025",
    "en": "Thursday, 11 December 2025",
    "fr": "jeudi 11 décembre 2025",
    "es": "jueves, 11 de diciembre de 2025",
    "ar": "الخميس، 11 ديسمبر 2025",
    "ur": "جمعرات، 11 دسمبر، 2025",
    "bn": "বৃহস্পতিবার, 11 ডিসেম্বর, 2025",
    "zh_Hans": "2025年12月11日星期四",
    "uk": "четвер, 11 грудня 2025\u202fр.",  # a narrow no-break space before р.
    "sq": "e enjte, 11 dhjetor 2025",
}


def test_the_table_covers_every_chat_language() -> None:
    assert set(LISTS) == set(THURSDAY) == set(LANGUAGES) and len(LANGUAGES) == 10


@pytest.mark.parametrize("language", LANGUAGES)
def test_lists_use_the_languages_own_conjunction(language: str) -> None:
    three, two = LISTS[language]
    assert join_list(["A", "B", "C"], language) == three
    assert join_list(["A", "B"], language) == two
    assert join_list(["A"], language) == "A" and join_list([], language) == ""


def test_weekdays_are_cldr_names_joined_as_a_list() -> None:
    assert weekdays(["monday", "wednesday"], "it") == "lunedì e mercoledì"
    assert weekdays(["monday", "wednesday"], "ar") == "الاثنين والأربعاء"
    assert weekdays(["monday", "wednesday"], "zh_Hans") == "星期一和星期三"
    assert weekdays(["monday", "wednesday"], "uk") == "понеділок і середа"


def test_arabic_days_take_each_of_the_six_forms() -> None:
    assert [plural_category(n, "ar") for n in (0, 1, 2, 3, 11, 100)] == ["zero", "one", "two", "few", "many", "other"]
    texts = {n: plural("info.html.median", n, "ar") for n in (1, 2, 3, 11, 100)}
    assert texts[1] == "نصف المعاملات خلال يوم واحد أو أقل"
    assert texts[2] == "نصف المعاملات خلال يومين أو أقل"
    assert texts[3] == "نصف المعاملات خلال 3 أيام أو أقل"
    assert texts[11] == "نصف المعاملات خلال 11 يوماً أو أقل"
    assert texts[100] == "نصف المعاملات خلال 100 يوم أو أقل"


def test_ukrainian_days_take_one_few_many_and_other() -> None:
    assert plural("info.html.median", 1, "uk").endswith("1 день")
    assert plural("info.html.median", 21, "uk").endswith("21 день")
    assert plural("info.html.median", 3, "uk").endswith("3 дні")
    assert plural("info.html.median", 5, "uk").endswith("5 днів")
    assert plural("info.html.median", 11, "uk").endswith("11 днів")
    assert plural("info.html.median", 1.5, "uk").endswith("1,5 дня")


def test_plurals_in_the_other_languages() -> None:
    assert plural("info.html.median", 1, "en") == "half of the cases within 1 day"
    assert plural("info.html.median", 12.0, "en") == "half of the cases within 12 days"  # a whole float
    assert plural("info.html.median", 2.5, "it") == "metà dei casi entro 2,5 giorni"
    assert plural("info.html.median", 1, "it") == "metà dei casi entro 1 giorno"
    assert plural("info.html.median", 4, "zh_Hans") == "半数案卷用时不超过 4 天"
    assert plural("info.html.median", 4, "xx") == "metà dei casi entro 4 giorni"  # unknown language: Italian


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_carry_the_weekday_in_each_language(language: str) -> None:
    assert format_date(date(2025, 12, 11), language, "full") == THURSDAY[language]
    # A naive datetime is the office's wall clock: its own date and time, never converted.
    assert format_date(datetime(2025, 12, 11, 23, 30), language, "full") == THURSDAY[language]
    assert "11" in format_date(date(2025, 12, 11), language, "MMMEd")


def test_times_follow_the_locales_clock() -> None:
    assert format_time("13:30", "it") == format_time(datetime(2025, 1, 1, 13, 30), "en") == "13:30"  # en: as in Italy
    assert format_time("13:30", "ar") == "1:30 م"
    assert format_time("09:00", "zh_Hans") == "09:00"


@pytest.mark.parametrize("language", LANGUAGES)
def test_amounts_are_in_euro_in_each_locale(language: str) -> None:
    amount = format_money(7046, language)
    assert ("€" in amount or "EUR" in amount) and ("70,46" in amount or "70.46" in amount)
    assert not any(ch.isdigit() and not ch.isascii() for ch in amount)  # Latin digits only


def test_amounts_and_numbers_use_the_locales_separators() -> None:
    assert format_money(7046, "it") == "70,46\xa0€"
    assert format_money(13046, "ur") == "€130.46"
    assert format_money(1600, "uk") == "16,00\xa0EUR"
    assert format_number(1234.5, "it") == format_number(1234.5, "en") == "1.234,5"  # English as written in Italy
    assert format_number(1234.5, "ur") == "1,234.5"


def _contacts(language: str, line: PhoneLine) -> str:
    from chalicelib.services.chat.replies import contacts

    return contacts(dataclasses.replace(office("AN"), phone_line=line), language).body


def test_office_hours_come_from_offices_json() -> None:
    line = office("AN").phone_line
    assert line is not None and line.days == ("monday", "wednesday")
    assert "lunedì e mercoledì dalle 12:30 alle 13:30" in _contacts("it", line)
    assert "الاثنين والأربعاء" in _contacts("ar", line)
    assert "星期一和星期三" in _contacts("zh_Hans", line)
    changed = PhoneLine("+39 071 000000", ("tuesday", "thursday", "friday"), "09:00", "11:15")
    text = _contacts("it", changed)
    assert "martedì, giovedì e venerdì dalle 09:00 alle 11:15" in text and "+39 071 000000" in text
    assert "12:30" not in text and "lunedì" not in text
    assert "Tuesday, Thursday and Friday from 09:00 to 11:15" in _contacts("en", changed)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_catalogue_writes_the_phone_lines_hours(language: str) -> None:
    """The hours are placeholders in every language; the upload page fills them from the office."""
    from functions.upload_html import unavailable_page

    for key in ("upload.unavailable.phone", "conv.info.contacts_text"):
        text = translate(key, language)
        assert "12:30" not in text and "13:30" not in text and "{days}" in text, key
    line = office("AN").phone_line
    assert line is not None
    page = unavailable_page(None, language, dataclasses.replace(office("AN"), phone_line=line))
    assert weekdays(line.days, language) in page and line.number in page
    changed = dataclasses.replace(office("AN"), phone_line=PhoneLine("+39 071 1", ("friday",), "08:00", "09:00"))
    assert weekdays(["friday"], language) in unavailable_page(None, language, changed)
    assert "+39 071" not in unavailable_page(None, language)  # no office known: no phone line rather than a guess


def test_babel_is_not_imported_with_the_app() -> None:
    """Cold start: Babel and its data load on the first text that needs them, never at import."""
    code = (
        "import sys, app, chalicelib.i18n.formats, functions.public_html, functions.upload_html\n"
        "print(sorted(m for m in sys.modules if m == 'babel' or m.startswith('babel.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_package_keeps_only_our_languages_cldr_data() -> None:
    from infra.bundle import cldr_locales, kept

    locales = cldr_locales()
    assert {"root", "it", "en", "en_001", "en_150", "en_IT", "ar", "zh", "zh_Hans", "uk", "sq", "ur", "bn"} <= locales
    assert "de" not in locales and "zh_Hant" not in locales and len(locales) < 20
    assert kept("babel/locale-data/ar.dat", locales) and not kept("babel/locale-data/de.dat", locales)
    assert kept("babel/global.dat", locales) and kept("babel/locale-data/LICENSE.unicode", locales)
