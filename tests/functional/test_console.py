"""The console's page and files through the app: strict headers, its settings and texts, nothing missing."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.i18n import OFFICER_LANGUAGES, catalogue
from functions.console_html import STATIC, path_prefix

pytestmark = pytest.mark.usefixtures("container")
SCRIPTS = sorted(STATIC.glob("*.js"))


class _Shell(HTMLParser):
    """The page's scripts, stylesheets and data blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.data: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
            self._in = attributes.get("id")
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.links.append(str(attributes["href"]))

    def handle_data(self, data: str) -> None:
        if self._in:
            self.data[self._in] = self.data.get(self._in, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in = None


def _shell(client: Client) -> tuple[Any, _Shell]:
    response = client.http.get("/console")
    parser = _Shell()
    parser.feed(response.body.decode())
    return response, parser


def test_the_page_runs_no_inline_script_and_names_only_its_own_files(client: Client) -> None:
    response, shell = _shell(client)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    executable = [s for s in shell.scripts if s.get("type") != "application/json"]
    assert executable == [{"type": "module", "src": executable[0]["src"]}]  # one module, from the app
    for url in [str(executable[0]["src"]), *shell.links]:
        assert url.startswith("/console/assets/") and "?v=" in url
        assert client.http.get(url.split("?")[0]).status_code == 200


def test_the_settings_name_the_sign_in_and_the_texts_cover_every_key_the_scripts_use(client: Client) -> None:
    _, shell = _shell(client)
    config = json.loads(shell.data["console-config"])
    assert config["clientId"] == "test-officers-client" and config["redirectUri"].endswith("/console/")
    assert config["offices"]["AN"]["timezone"] == "Europe/Rome" and "studio" in config["permits"]["en"]
    texts = json.loads(shell.data["console-texts"])
    assert set(texts) == set(OFFICER_LANGUAGES)
    used = {key for script in SCRIPTS for key in re.findall(r'"(console\.[a-z_]+(?:\.[a-z_]+)+)"', script.read_text())}
    assert used and used <= set(texts["it"]) and used <= set(texts["en"])
    assert set(texts["it"]) == set(texts["en"]) == {k for k in catalogue("it") if k.startswith("console.")}


def test_the_sign_in_redirect_is_where_api_gateway_serves_the_page() -> None:
    assert path_prefix("/api/console/") == "/api" and path_prefix("/console") == ""


@pytest.mark.parametrize("name", [path.name for path in sorted(STATIC.iterdir())])
def test_every_file_is_served_with_its_type_and_revalidated(client: Client, name: str) -> None:
    response = client.http.get(f"/console/assets/{name}")
    assert response.status_code == 200
    kind = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".txt": "text/plain"}
    assert response.headers["Content-Type"].startswith(kind[name[name.rindex(".") :]])
    assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["Cache-Control"] == "no-cache"
    again = client.http.get(f"/console/assets/{name}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("name", ["..%2Fconsole.py", "console.py", "missing.js", ".hidden.js", "a" * 90 + ".js"])
def test_anything_else_is_not_found(client: Client, name: str) -> None:
    assert client.http.get(f"/console/assets/{name}").status_code == 404


def _css_classes() -> set[str]:
    css = "".join((STATIC / name).read_text() for name in ("bootstrap-italia.min.css", "console.css"))
    return set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", css))


# Classes the scripts set as names for the screens' parts (tests and scripts find elements by them), unstyled.
HOOKS = {
    *("appointment", "booking-form", "checklist", "counter-toggle", "document-preview", "empty-case", "history"),
    *("inbox-empty", "inbox-name", "inbox-panel", "inbox-row", "kind", "message-in", "request-form", "review", "who"),
    *("day-list", "day-view", "slot-picker", "visit"),
}


def test_every_class_the_scripts_set_is_in_the_vendored_subset_or_the_consoles_own_styles() -> None:
    """The design system is vendored as a subset (``python -m devtools.console_assets``): a class the scripts start
    using after the subset was made would silently have no style."""
    mentioned: set[str] = set()
    for script in SCRIPTS:
        for literal in re.findall(r'class: ("[^"]*"|`[^`]*`)', script.read_text()):
            chosen = re.findall(r'"([^"]*)"', "".join(re.findall(r"\$\{([^}]*)\}", literal)))  # ${a ? "x" : "y"}
            static = re.sub(r"\$\{[^}]*\}", " ", literal.strip('"`'))
            mentioned.update(" ".join([static, *chosen]).split())
    composed = {name for name in mentioned if name.endswith("-")}  # author-${kind}: styled per value, or a hook
    unstyled = mentioned - composed - _css_classes() - HOOKS
    assert not unstyled, sorted(unstyled)


def test_every_icon_the_scripts_name_is_in_the_sprite() -> None:
    sprite = (STATIC / "sprites.svg").read_text()
    source = "".join(script.read_text() for script in SCRIPTS)
    for name in set(re.findall(r'icon\("(it-[a-z-]+)"', source)):
        assert f'id="{name}"' in sprite, name


def test_the_register_form_knows_the_paths_of_a_family_first_issue() -> None:
    from functions.console_html import reference_data

    variants = reference_data()["variants"]
    assert isinstance(variants, dict)
    paths = dict(variants["it"]["famiglia"]["rilascio"])
    assert {"ricongiungimento", "coesione", "familiare_italiano"} <= set(paths)
    assert all(title and not title.startswith("variant.") for title in paths.values())
    assert "rinnovo" not in variants["it"]["famiglia"]  # a renewal has one path: the form asks nothing
