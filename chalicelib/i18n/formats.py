"""Lists, plurals, dates, times, numbers and amounts as each chat language writes them: CLDR's data, through Babel.

Every text an applicant or the public reads formats these here, never with string joins or ``strftime``: "lunedì e
mercoledì", "الاثنين والأربعاء", "星期一和星期三"; "3 أيام" but "11 يومًا"; "70,46 €" or "€70.46". Each chat language
has its CLDR locale in ``languages.json`` (``cldr``); digits are Latin in every language, like the phone numbers,
case references and amounts the office writes.

Plurals: a catalogue text that depends on a number has one key per CLDR plural category of the language,
``<key>.<category>`` (``zero``, ``one``, ``two``, ``few``, ``many``, ``other``: Italian has one/many/other, Arabic all
six, Chinese only other), each with ``{n}`` for the formatted number; tests/unit/test_catalogues.py checks that every
language has exactly its categories.

Times and dates are the office's wall clock: a naive ``datetime`` is the office's local time and is never converted.

Babel and its locale data are imported on first use, never at import (cold start).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from chalicelib.i18n import DEFAULT_LANGUAGE, catalogue, translate
from chalicelib.i18n.languages import language as chat_language

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date, datetime, time
    from decimal import Decimal

    from babel import Locale

PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")  # CLDR's, in its order
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")  # CLDR's 0-6 and offices'
DATE_WIDTHS = frozenset({"short", "medium", "long", "full"})
CURRENCY = "EUR"


def cldr_locale(language: str) -> str:
    """The CLDR locale of a chat language (Italian's for an unknown one)."""
    lang = chat_language(language) or chat_language(DEFAULT_LANGUAGE)
    return lang.cldr if lang else DEFAULT_LANGUAGE


@lru_cache(maxsize=16)
def _locale(language: str) -> Locale:
    from babel import Locale

    return Locale.parse(cldr_locale(language))


def join_list(items: Iterable[str], language: str, style: Literal["standard", "or"] = "standard") -> str:
    """``a, b e c``: CLDR's list pattern, ``standard`` ("and") or ``or`` (alternatives); ``""`` for no items."""
    values = list(items)
    if not values:
        return ""
    from babel.lists import format_list

    return format_list(values, style, locale=_locale(language))


def plural_category(n: float | Decimal, language: str) -> str:
    """The CLDR plural category of ``n`` in ``language``: ``one``, ``few``, ``many``, ``other``…"""
    return str(_locale(language).plural_form(n))


def plural(key: str, n: float | Decimal, language: str, **values: str) -> str:
    """The text of ``<key>.<category>`` for ``n`` in ``language``, ``{n}`` the formatted number (``.other`` when the
    language lacks that category's key; Italian when it lacks the text)."""
    if n == int(n):
        n = int(n)  # 12.0 days is "12 days" (a number with decimals may take another category: "1.0 days")
    texts = catalogue(language)
    text = texts.get(f"{key}.{plural_category(n, language)}") or texts.get(f"{key}.other")
    if text is None:
        return translate(
            f"{key}.{plural_category(n, DEFAULT_LANGUAGE)}", DEFAULT_LANGUAGE, n=format_number(n), **values
        )
    return text.format(n=format_number(n, language), **values)


def format_number(n: float | Decimal, language: str = DEFAULT_LANGUAGE) -> str:
    """``1.234,5`` / ``1,234.5`` / ``1 234,5``: the locale's separators, Latin digits."""
    from babel.numbers import format_decimal

    return format_decimal(n, locale=_locale(language), numbering_system="latn")


def format_money(cents: int, language: str) -> str:
    """An amount in euro cents as the locale writes it: ``70,46 €``, ``€70.46``, ``70,46 EUR``."""
    from decimal import Decimal

    from babel.numbers import format_currency

    return format_currency(Decimal(cents) / 100, CURRENCY, locale=_locale(language), numbering_system="latn")


def format_date(day: date | datetime, language: str, format: str = "medium") -> str:
    """A date in ``language``: a CLDR width (``short``, ``medium``, ``long``, ``full`` with the weekday) or a CLDR
    skeleton (``MMMEd``: "gio 11 dic", "Thu, 11 Dec"). A datetime's own wall-clock date."""
    from datetime import datetime

    from babel import dates

    plain = day.date() if isinstance(day, datetime) else day
    if format in DATE_WIDTHS:
        return dates.format_date(plain, format, locale=_locale(language))
    return dates.format_skeleton(format, plain, locale=_locale(language))


def _clock(at: time | datetime | str) -> time:
    from datetime import datetime, time

    if isinstance(at, str):
        return time.fromisoformat(at)  # offices.json's "12:30"
    return at.time() if isinstance(at, datetime) else at.replace(tzinfo=None)


def format_time(at: time | datetime | str, language: str) -> str:
    """A time of day as the locale writes it (``13:30``, ``1:30 PM``, ``1:30 م``), on the office's clock."""
    from babel import dates

    return dates.format_time(_clock(at), "short", locale=_locale(language))


def format_time_range(opens: time | str, closes: time | str, language: str) -> str:
    """``09:00-12:30`` as the locale writes a range (``9:00 AM - 12:30 PM`` where the locale's clock has 12 hours)."""
    from babel import dates

    locale = _locale(language)
    skeleton = "hm" if "h" in str(locale.time_formats["short"]) else "Hm"
    return dates.format_interval(_clock(opens), _clock(closes), skeleton, locale=locale)


def weekday_name(day: str, language: str) -> str:
    """CLDR's name of ``day`` (``monday``…``sunday``, as ``offices.json`` names them), standing alone."""
    from babel.dates import get_day_names

    return str(get_day_names("wide", "stand-alone", locale=_locale(language))[WEEKDAYS.index(day)])


def weekdays(days: Iterable[str], language: str) -> str:
    """Days as a list in ``language``: "lunedì e mercoledì", "الاثنين والأربعاء"."""
    return join_list((weekday_name(day, language) for day in days), language)


def opening_hours(days: Iterable[str], opens: str, closes: str, language: str) -> Mapping[str, str]:
    """The ``{days}``, ``{opens}`` and ``{closes}`` of a text about hours from ``offices.json``, in ``language``."""
    return {
        "days": weekdays(days, language),
        "opens": format_time(opens, language),
        "closes": format_time(closes, language),
    }
