"""Italy's public holidays, and each province's patron saint, from the ``holidays`` library (not a hand-kept list).

Loaded on first use (only the Italian calendar, never the whole library: it is large) and cached per province and
year; the office's province comes from ``offices.json``.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from chalicelib.offices import Office

_lock = threading.Lock()


@lru_cache(maxsize=64)
def _year(province: str, year: int) -> dict[date, str]:
    from holidays.countries.italy import Italy

    with _lock:  # the library fills its tables lazily; one writer at a time
        found: dict[date, str] = dict(Italy(subdiv=province, years=year, language="it_IT"))  # type: ignore[no-untyped-call]
        return found


class ItalianHolidays:
    """:class:`~chalicelib.services.calendar.ports.ClosingDays` for Italian offices."""

    def __init__(self, office: Callable[[str], Office]) -> None:
        self._office = office

    def __call__(self, office: str, day: date) -> str | None:
        province = self._office(office).province
        return _year(province, day.year).get(day)
