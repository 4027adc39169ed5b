"""The permit catalogue (``permits.json``): read on first use, validated, cached.

Sources of the facts in ``permits.json`` (domain research ``permesso-di-soggiorno.md``, by section):
- §1.1 fees: marca da bollo €16; bollettino €30.46 (electronic card) + contributo €40 / €50 / €100 (DM MEF
  5 May 2017; Questura di Pavia) = €70.46 / €80.46 / €130.46; Poste's €30 for the kit.
- §1.2 exemptions from the contributo (minors, medical treatment, asylum and protection, protection holders asking
  the EU long-term permit, update/conversion/duplicate); §1.3 no band for 3-year permits (UNCERTAIN).
- §3 the kit postale steps; §3.1 which permit goes by kit and which directly to the Questura (Prenotafacile).
- §4 time limits: renew at least 60 days before expiry (art. 5 c.4 TU), >60 days after expiry risks expulsion,
  first issue within 8 working days of entry, 60-day term for the office (art. 5 c.9 TU), rights with the receipt
  (art. 5 c.9-bis TU), durations after DL 20/2023.
- §5.1 documents common to every application; §5.2 the documents of each permit type, rilascio and rinnovo.
- "Corrections" (checked 2026-12 against official pages; issue 17): family first issue by path (reunification via the
  Sportello Unico within 8 days; art. 30 and family of Italian citizens by kit, no nulla osta or visa: Questura di
  Venezia, 2023), protezione speciale 2 years (integrazionemigranti.gov.it, 2023), the added permit types.
Facts that the research marks UNCERTAIN are flagged with ``unverified`` in the data and in the ``.po`` comments.
Procedures changed or added since issue 17 also name their sources (with dates where known) in ``sources``: for the
data's editors, never shown to applicants. A procedure with ``variants`` (e.g. how the applicant entered Italy) gives
each its own first steps; a document listing ``variants`` is needed only on those paths.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib import i18n
from chalicelib.catalogue._checks import check
from chalicelib.catalogue._parse import parse
from chalicelib.domain.errors import CatalogueError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from chalicelib.domain.catalogue import Catalogue

__all__ = ["PERMITS_FILE", "REQUIRED_LANGUAGES", "CatalogueError", "catalogue_from_dict", "load_catalogue"]

PERMITS_FILE = Path(__file__).with_name("permits.json")
REQUIRED_LANGUAGES = ("it", "en")  # other languages may be partial: i18n falls back to Italian


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The shipped catalogue; raises ``CatalogueError`` listing every problem of the data file."""
    duplicates: list[str] = []

    def unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]  # json.loads would silently keep the last of two equal keys
        duplicates.extend(
            f"permits.json: duplicate key {key!r}" for key in sorted({k for k in keys if keys.count(k) > 1})
        )
        return dict(pairs)

    try:
        data = json.loads(PERMITS_FILE.read_text(encoding="utf-8"), object_pairs_hook=unique_keys)
    except json.JSONDecodeError as error:
        raise CatalogueError([f"permits.json: {error}"]) from error
    return _build(data, None, duplicates)


def catalogue_from_dict(data: Mapping[str, object], texts: Mapping[str, Mapping[str, str]] | None = None) -> Catalogue:
    """A catalogue from already-decoded data, checked against ``texts`` (language → messages; default: i18n)."""
    return _build(data, texts, [])


def _build(data: object, texts: Mapping[str, Mapping[str, str]] | None, problems: list[str]) -> Catalogue:
    catalogue, found = parse(data)
    if texts is None:
        texts = {language: i18n.catalogue(language) for language in REQUIRED_LANGUAGES}
    problems = problems + found + check(catalogue, texts)
    if problems:
        raise CatalogueError(problems)
    return catalogue
