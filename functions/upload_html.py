"""The secure upload page's HTML: small, no framework, no third-party request, readable on a cheap phone.

One external script (``/assets/upload.js``, allowed as 'self'); the stylesheet is inline and allowed by its hash;
every text comes from the catalogues, escaped; ``lang`` and ``dir`` follow the applicant's language (right to left
for Arabic and Urdu). The texts the script shows are handed to it in ``data-`` attributes, never in inline script.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from chalicelib.domain.checklist import ItemState
from chalicelib.domain.uploads import UploadProblem
from chalicelib.i18n import translate
from chalicelib.i18n.formats import format_date, format_time, opening_hours
from chalicelib.i18n.languages import language as chat_language
from chalicelib.offices import office_zone

if TYPE_CHECKING:
    from chalicelib.domain.upload_links import LinkState
    from chalicelib.offices import Office
    from chalicelib.services.uploads.page import PageItem, UploadPage

SCRIPT_PATH = "assets/upload.js"
STYLE = (
    # [hidden] first: the script hides the buttons of a received item, and .actions{display:flex} must not win.
    "*{box-sizing:border-box}[hidden]{display:none!important}.ref{white-space:nowrap}"
    "body{font:17px/1.5 system-ui,sans-serif;margin:0;color:#111;background:#f4f5f7}"
    "header{background:#0b3d66;color:#fff;padding:.75rem 1rem}header p{margin:0;font-size:.9rem}"
    "main{max-width:40rem;margin:0 auto;padding:1rem}h1{font-size:1.35rem;margin:.2rem 0}"
    "h2{font-size:1.1rem;margin:1.5rem 0 .5rem}ul{list-style:none;padding:0;margin:0}"
    ".item{background:#fff;border:1px solid #ccd;border-radius:.5rem;padding:.8rem;margin:.6rem 0}"
    ".item h3{font-size:1.05rem;margin:0 0 .4rem}.reason{color:#a4000f;margin:.2rem 0 .5rem}"
    ".actions{display:flex;flex-wrap:wrap;gap:.5rem}"
    ".btn{display:inline-block;min-height:48px;padding:.7rem 1rem;border-radius:.4rem;border:2px solid #0b3d66;"
    "background:#fff;color:#0b3d66;font-weight:600;cursor:pointer}.btn.primary{background:#0b3d66;color:#fff}"
    "input[type=file]{position:absolute;width:1px;height:1px;opacity:0}"
    "input[type=file]:focus+span{outline:3px solid #f9a825;outline-offset:2px}"
    "progress{width:100%;height:1rem;margin-top:.5rem}.status{margin:.4rem 0 0;font-weight:600}"
    ".ok{color:#0a6b2a}.err{color:#a4000f}.done{border-color:#0a6b2a}"
    ".received li{padding:.3rem 0}.note,small{color:#444}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
STATE_TEXTS = ("preparing", "sending", "checking", "received", "failed")


def security_headers(connect_origin: str | None) -> dict[str, str | list[str]]:
    """Headers of every upload page: strict CSP, never cached, the token never leaves in a Referer."""
    connect = "'self'" + (f" {connect_origin}" if connect_origin else "")
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'self'; style-src 'sha256-{STYLE_HASH}'; connect-src {connect}; "
            "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "X-Robots-Tag": "noindex, nofollow",
        "Permissions-Policy": "geolocation=(), microphone=(), payment=()",
    }


REF = "\x00"  # stands for the case ref until the escaped text gets its markup


def _with_ref(html: str, case_id: str) -> str:
    """The case ref kept whole (never broken at its hyphen) and left to right, even in Arabic or Urdu."""
    return html.replace(REF, f'<bdi class="ref">{escape(case_id)}</bdi>')


def _isolated(text: str) -> str:
    """``text`` as a left-to-right island (U+2066 … U+2069): "AN-7K3M9Q" stays whole inside Arabic or Urdu."""
    return f"\u2066{text}\u2069"


def _t(key: str, language: str, **values: str) -> str:
    return escape(translate(key, language, **values), quote=True)


def _shell(language: str, title: str, body: str, *, script: bool) -> str:
    lang = chat_language(language)
    direction = "rtl" if lang and lang.right_to_left else "ltr"
    # The page lives at .../u/{token}: the script is one level up, wherever the API is mounted (stage prefix).
    tag = f'<script src="../{SCRIPT_PATH}" defer></script>' if script else ""
    return (
        f'<!doctype html><html lang="{language.replace("_", "-")}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style>{tag}</head><body><header><p>{_t('upload.office', language)}</p></header>"
        f"<main>{body}</main></body></html>"
    )


def _item(item: PageItem, language: str, index: int) -> str:
    title = _t(f"document.{item.code}.title", language)
    reason = ""
    if item.state is ItemState.REJECTED and item.rejection_reason:
        why = translate(f"rejection.{item.rejection_reason}", language)
        reason = f'<p class="reason">{_t("upload.rejected", language, reason=why)}'
        reason += f" {escape(item.rejection_note)}</p>" if item.rejection_note else "</p>"
    photo = f"photo-{index}"
    file = f"file-{index}"
    return (
        f'<li class="item" data-item="{escape(item.code)}"><h3 id="t-{index}">{title}</h3>{reason}'
        '<div class="actions">'
        f'<label class="btn primary" for="{photo}"><input id="{photo}" type="file" accept="image/*" '
        f'capture="environment" aria-describedby="t-{index}"><span>{_t("upload.take_photo", language)}</span></label>'
        f'<label class="btn" for="{file}"><input id="{file}" type="file" '
        f'accept="image/jpeg,image/png,application/pdf,.pdf,.jpg,.jpeg,.png" aria-describedby="t-{index}">'
        f"<span>{_t('upload.choose_file', language)}</span></label>"
        f'<button type="button" class="btn primary send" hidden>{_t("upload.send", language)}</button></div>'
        '<progress max="100" value="0" hidden></progress><p class="status" role="status" aria-live="polite"></p></li>'
    )


def _texts(page: UploadPage) -> str:
    """The script's texts, as data attributes (no inline script)."""
    max_mb = str(page.max_bytes // (1024 * 1024))
    attributes = [f'data-state-{name}="{_t(f"upload.state.{name}", page.language)}"' for name in STATE_TEXTS]
    for problem in UploadProblem:
        text = _t(f"upload.problem.{problem.value}", page.language, max_mb=max_mb)
        attributes.append(f'data-problem-{problem.value.replace("_", "-")}="{text}"')
    # {count} is filled in by the script.
    attributes.append(f'data-pages-ready="{_t("upload.pages_ready", page.language, count="{count}")}"')
    attributes.append(f'data-max-bytes="{page.max_bytes}"')
    return f'<div id="texts" hidden {" ".join(attributes)}></div>'


def upload_page(page: UploadPage) -> str:
    """The page of one case's link."""
    lang = page.language
    until = datetime.fromtimestamp(page.expires_at_ms / 1000, office_zone(page.office))  # the office's clock
    parts = [
        f"<h1>{_with_ref(_t('upload.heading', lang, case_ref=REF), page.case_id)}</h1>",
        f"<p>{_t('upload.intro', lang)}</p>",
        f'<noscript><p class="err">{_t("upload.noscript", lang)}</p></noscript>',
    ]
    if page.notes:  # what the officer wrote with the request (a template outside the 24-hour window cannot say it)
        notes = "".join(f'<p dir="auto">{escape(note)}</p>' for note in page.notes)
        heading = f'<h2 id="office-note">{_t("upload.office_note", lang)}</h2>'
        parts.append(f'<section class="office-note" aria-labelledby="office-note">{heading}{notes}</section>')
    parts.append(f"<h2>{_t('upload.needed', lang)}</h2>")
    if page.wanted:
        items = "".join(_item(item, lang, index) for index, item in enumerate(page.wanted))
        parts.append(f'<ul id="wanted">{items}</ul>')
        max_mb = str(page.max_bytes // (1024 * 1024))
        parts.append(f"<p><small>{_t('upload.limits', lang, max_mb=max_mb)}</small></p>")
    else:
        parts.append(f'<p class="ok">{_t("upload.nothing_needed", lang)}</p>')
    if page.received:
        done = "".join(f"<li>✓ {_t(f'document.{item.code}.title', lang)}</li>" for item in page.received)
        parts.append(f'<h2>{_t("upload.received", lang)}</h2><ul class="received">{done}</ul>')
    valid = _t("upload.valid_until", lang, date=format_date(until, lang, "full"), time=format_time(until, lang))
    parts.append(f'<p class="note">{valid}</p>')
    parts.append(_texts(page))
    title = translate("upload.page_title", lang, case_ref=_isolated(page.case_id))
    return _shell(lang, title, "".join(parts), script=bool(page.wanted))


def unavailable_page(state: LinkState | None, language: str, office: Office | None = None) -> str:
    """What an unknown, expired, revoked, over-used or closed-case link shows, and how to get a new one (and the
    office's phone line, its days and hours from offices.json, when it has one)."""
    reason = state.value if state is not None else "unknown"
    body = f"<h1>{_t('upload.unavailable.title', language)}</h1><p>{_t(f'upload.unavailable.{reason}', language)}</p>"
    if reason != "case_closed":
        body += f"<p><strong>{_t('upload.unavailable.how', language)}</strong></p>"
        line = office.phone_line if office else None
        if line:
            hours = opening_hours(line.days, line.opens, line.closes, language)
            body += f'<p class="note">{_t("upload.unavailable.phone", language, phone=line.number, **hours)}</p>'
    return _shell(language, translate("upload.unavailable.title", language), body, script=False)
