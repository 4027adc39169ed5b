"""Plain, accessible HTML for the public information pages: a link that can be shared in the chat.

No script, no third-party request, one small inline stylesheet allowed by its hash in the Content-Security-Policy;
``lang`` and ``dir`` set (right to left for Arabic and Urdu); every text escaped and taken from the catalogues.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from html import escape
from typing import Any

from chalicelib.i18n import translate
from chalicelib.i18n.formats import format_date, format_money, format_number, format_time_range, plural, weekdays
from chalicelib.i18n.languages import language as chat_language
from chalicelib.i18n.languages import languages

STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:0 auto;padding:1rem;color:#111;background:#fff}"
    "h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.5rem}li{margin:.3rem 0}"
    "a{color:#0645ad}nav{font-size:.9rem}.note{color:#444}small{color:#444}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _t(key: str, language: str, **values: str) -> str:
    return escape(translate(key, language, **values))


def _page(language: str, title: str, body: str, path: str) -> str:
    lang = chat_language(language)
    direction = "rtl" if lang and lang.right_to_left else "ltr"
    switcher = " · ".join(
        f'<a href="{escape(path)}?lang={other.code}" lang="{other.code.replace("_", "-")}">{escape(other.name)}</a>'
        for other in languages()
    )
    return (
        f'<!doctype html><html lang="{language.replace("_", "-")}" dir="{direction}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><nav>{switcher}</nav><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def office_page(data: dict[str, Any]) -> str:
    """``/info`` as a page."""
    lang = data["language"]
    missing = _t("info.html.not_configured", lang)
    hours = data["counter_hours"]
    hours_html = (
        "<ul>"
        + "".join(
            f"<li>{escape(weekdays(h['days'], lang))}: {escape(format_time_range(h['from'], h['to'], lang))}</li>"
            for h in hours
        )
        + "</ul>"
        if hours
        else f"<p>{missing}</p>"
    )
    line = data["phone_line"]
    line_html = (
        f"<p>{escape(line['number'])} — {escape(weekdays(line['days'], lang))}: "
        f"{escape(format_time_range(line['from'], line['to'], lang))}</p>"
        if line
        else f"<p>{missing}</p>"
    )
    body = (
        f"<h2>{_t('info.html.address', lang)}</h2><p>{escape(data['address'])}</p>"
        f"<h2>{_t('info.html.counter_hours', lang)}</h2>{hours_html}"
        f"<h2>{_t('info.html.phone_line', lang)}</h2>{line_html}"
        f"<h2>{_t('info.html.whatsapp', lang)}</h2><p>{escape(data['whatsapp']) if data['whatsapp'] else missing}</p>"
        f"<h2>{_t('info.html.pec', lang)}</h2><p>{escape(data['pec']) if data['pec'] else missing}</p>"
        f'<p><a href="/info/procedures?lang={lang}">{_t("info.html.permits", lang)}</a> · '
        f'<a href="/info/waiting-times?lang={lang}">{_t("info.html.waiting", lang)}</a></p>'
    )
    return _page(lang, data["name"], body, "/info")


def procedures_page(data: dict[str, Any]) -> str:
    """``/info/procedures`` as a page."""
    lang = data["language"]
    items = "".join(
        f'<li><a href="/info/procedures/{escape(p["code"])}?lang={lang}">{escape(p["name"])}</a><br>'
        f"<small>{escape(p['description'])}</small></li>"
        for p in data["permit_types"]
    )
    return _page(lang, translate("info.html.permits", lang), f"<ul>{items}</ul>", "/info/procedures")


def _documents(documents: list[dict[str, Any]], variants: dict[str, str], lang: str) -> str:
    rows = []
    for doc in documents:
        notes = []
        if doc["original_at_counter"]:
            notes.append(_t("info.html.original", lang))
        if doc["group_title"]:
            notes.append(f"{_t('info.html.one_of', lang)}: {escape(doc['group_title'])}")
        if doc["condition"]:
            notes.append(f"{_t('info.html.if', lang)}: {escape(doc['condition'])}")
        if doc["variants"]:
            titles = " / ".join(escape(variants[code]) for code in doc["variants"])
            notes.append(f"{_t('info.html.if', lang)}: {titles}")
        extra = f"<br><small>{' — '.join(notes)}</small>" if notes else ""
        rows.append(f"<li><strong>{escape(doc['title'])}</strong>: {escape(doc['explanation'])}{extra}</li>")
    return "<ul>" + "".join(rows) + "</ul>"


def _euro(amount: float, lang: str) -> str:
    """An amount of the JSON (euro, two decimals) as ``lang`` writes it."""
    return format_money(round(amount * 100), lang)


def _fees(fees: dict[str, Any], lang: str) -> str:
    parts = [f"<li>{escape(c['label'])}: {escape(_euro(c['amount'], lang))}</li>" for c in fees["components"]]
    for total in fees["totals"]:
        label = f" ({escape(total['contributo'])})" if total["contributo"] else ""
        amount = escape(_euro(total["total"], lang))
        parts.append(f"<li><strong>{_t('info.html.total', lang)}{label}: {amount}</strong></li>")
    exemptions = "".join(f"<li>{escape(e)}</li>" for e in fees["exemptions"])
    more = f"<h3>{_t('info.html.exemptions', lang)}</h3><ul>{exemptions}</ul>" if exemptions else ""
    return "<ul>" + "".join(parts) + "</ul>" + more


def _steps(spec: dict[str, Any]) -> str:
    """The steps, or for each variant its title, who it is for and its own full list."""
    if not spec["variants"]:
        return "<ol>" + "".join(f"<li>{escape(s)}</li>" for s in spec["steps"]) + "</ol>"
    return "".join(
        f"<h4>{escape(v['title'])}</h4><p>{escape(v['explanation'])}</p>"
        "<ol>" + "".join(f"<li>{escape(s)}</li>" for s in v["steps"]) + "</ol>"
        for v in spec["variants"]
    )


def procedure_page(data: dict[str, Any]) -> str:
    """``/info/procedures/{type}`` as a page."""
    lang = data["language"]
    sections = [f"<p>{escape(data['description'])}</p>"]
    for spec in data["procedures"]:
        steps = _steps(spec)
        variants = {v["code"]: v["title"] for v in spec["variants"]}
        legal = "".join(f"<li>{escape(s)}</li>" for s in spec["legal_notes"])
        confirm = f"<p class=note>{_t('info.html.to_confirm', lang)}</p>" if spec["to_confirm_with_the_office"] else ""
        sections.append(
            f"<section><h2>{escape(spec['name'])}</h2>"
            f"<p><strong>{_t('info.html.where', lang)}:</strong> {escape(spec['channel']['name'])}</p>"
            f"<h3>{_t('info.html.documents', lang)}</h3>{_documents(spec['documents'], variants, lang)}"
            f"<h3>{_t('info.html.fees', lang)}</h3>{_fees(spec['fees'], lang)}"
            f"<h3>{_t('info.html.steps', lang)}</h3>{steps}"
            + (f"<h3>{_t('info.html.legal', lang)}</h3><ul>{legal}</ul>" if legal else "")
            + f"{confirm}</section>"
        )
    for reason in data["not_applicable"].values():
        sections.append(f"<p class=note>{_t('info.html.not_applicable', lang)}: {escape(reason)}</p>")
    sections.append(f'<p><a href="/info/procedures?lang={lang}">{_t("info.html.back", lang)}</a></p>')
    return _page(lang, data["name"], "".join(sections), f"/info/procedures/{data['code']}")


def _figure(figure: dict[str, Any], lang: str) -> str:
    if not figure["enough_data"]:
        return f"<p class=note>{_t('info.html.not_enough', lang)}</p>"
    median = escape(plural("info.html.median", figure["median_days"], lang))
    p90 = escape(plural("info.html.p90", figure["p90_days"], lang))
    return f"<p>{median}; {p90}.</p>"


def _next_free(slot: str | None, lang: str) -> str:
    if not slot:
        return f"<p>{_t('info.html.no_free', lang)}</p>"
    day = format_date(datetime.fromisoformat(slot), lang, "full")  # the office's wall clock, as the API gives it
    return f"<p><strong>{_t('info.html.next_free', lang, date=day)}</strong></p>"


def waiting_page(data: dict[str, Any]) -> str:
    """``/info/waiting-times`` as a page."""
    lang = data["language"]
    title = translate("info.html.waiting", lang)
    if data["overall"] is None:
        return _page(lang, title, f"<p class=note>{escape(data['note'])}</p>", "/info/waiting-times")
    blocks = [_next_free(data.get("next_free_slot"), lang)]
    blocks.append(f"<p class=note>{_t('info.html.window', lang, days=format_number(data['window_days'], lang))}</p>")
    stages = [(translate("info.html.overall", lang), data["overall"])]
    stages += [(stage["name"], stage) for stage in data["by_permit_type"].values()]
    for name, stage in stages:
        blocks.append(
            f"<h2>{escape(name)}</h2><h3>{_t('info.html.to_complete', lang)}</h3>{_figure(stage['to_complete'], lang)}"
            f"<h3>{_t('info.html.to_appointment', lang)}</h3>{_figure(stage['to_appointment'], lang)}"
        )
    return _page(lang, title, "".join(blocks), "/info/waiting-times")


def privacy_page(data: dict[str, Any]) -> str:
    """``/info/privacy`` as a page: the notice's sections, then the other languages and the office's page."""
    lang = data["language"]
    sections = [f"<p>{escape(data['intro'])}</p>"]
    for section in data["sections"]:
        paragraphs = section["paragraphs"]
        text = (
            "<ul>" + "".join(f"<li>{escape(p)}</li>" for p in paragraphs) + "</ul>"
            if len(paragraphs) > 2
            else "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        )
        sections.append(f'<section id="{escape(section["id"])}"><h2>{escape(section["title"])}</h2>{text}</section>')
    website = escape(data["garante"]["website"])
    sections.append(f'<p><a href="{website}" rel="noopener noreferrer">{website}</a></p>')
    sections.append(
        f'<p><a href="/info?office={escape(data["office"])}&amp;lang={lang}">{escape(data["name"])}</a></p>'
    )
    return _page(lang, data["title"], "".join(sections), "/info/privacy")
