"""Rebuild the console's vendored design system: the parts of Bootstrap Italia that the console uses, and no more.

    python -m devtools.console_assets [--node-modules DIR]

Fetches ``bootstrap-italia`` and ``purgecss`` (pinned below) from the npm registry into a temporary folder (or uses
``--node-modules``), keeps only the CSS rules whose selectors the console's scripts and shell mention (PurgeCSS),
inlines the Titillium Web faces the console uses as ``data:`` fonts (one stylesheet, no font requests), keeps only
the icons the scripts name from the SVG sprite, and writes the results and their licences to
``functions/static/console/``. The outputs are committed: the app, CI and ``make run`` never need Node.js.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "functions" / "static" / "console"
BOOTSTRAP_ITALIA = "2.18.3"
PURGECSS = "8.0.0"
FACES = {"400": "regular", "600": "600", "700": "700"}  # Titillium Web weights the console uses (normal style)
PURGE_SCRIPT = """
const { PurgeCSS } = require("purgecss");
const [css, out, ...content] = process.argv.slice(2);
new PurgeCSS().purge({
  css: [css], content, fontFace: false, keyframes: true, variables: false,
  safelist: { standard: [/^:root$/, /^html$/, /^body$/], greedy: [/^visually-hidden/] },
}).then((results) => require("fs").writeFileSync(out, results[0].css));
"""


def _install(into: Path) -> Path:
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(into),
         f"bootstrap-italia@{BOOTSTRAP_ITALIA}", f"purgecss@{PURGECSS}"],
        check=True,
    )  # fmt: skip
    return into / "node_modules"


def _faces(css: str, fonts: Path) -> str:
    """Every @font-face dropped but Titillium Web's normal faces in FACES, which come back as woff2 data."""
    css = re.sub(r"@font-face\s*{[^}]*}", "", css)
    faces = []
    for weight, suffix in FACES.items():
        data = (fonts / f"titillium-web-v10-latin-ext_latin-{suffix}.woff2").read_bytes()
        source = base64.b64encode(data).decode()
        faces.append(
            f"@font-face{{font-family:'Titillium Web';font-style:normal;font-weight:{weight};font-display:swap;"
            f"src:url(data:font/woff2;base64,{source}) format('woff2')}}"
        )
    return "".join(faces) + css


def _sprite(sprite: str, named: set[str], quoted: set[str]) -> str:
    """The sprite with only the ``<symbol>`` elements the console names."""
    symbols = re.findall(r'<symbol[^>]*id="(it-[a-z-]+)"[^>]*>.*?</symbol>', sprite, flags=re.S)
    missing = named - set(symbols)
    used = named | (quoted & set(symbols))
    if missing:
        raise SystemExit(f"icons not in the sprite: {sorted(missing)}")
    kept = [m.group(0) for m in re.finditer(r'<symbol[^>]*id="(it-[a-z-]+)"[^>]*>.*?</symbol>', sprite, flags=re.S)
            if m.group(1) in used]  # fmt: skip
    return '<svg xmlns="http://www.w3.org/2000/svg">' + "".join(kept) + "</svg>\n"


def build(modules: Path) -> dict[str, int]:
    """Write the subset stylesheet, the sprite and the licences; their sizes in bytes."""
    package = modules / "bootstrap-italia"
    version = json.loads((package / "package.json").read_text())["version"]
    scripts = sorted(STATIC.glob("*.js"))
    content = [str(p) for p in scripts] + [str(ROOT / "functions" / "console_html.py")]
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "purged.css"
        runner = Path(scratch) / "purge.cjs"
        runner.write_text(PURGE_SCRIPT)
        css_in = package / "dist" / "css" / "bootstrap-italia.min.css"
        environment = {**os.environ, "NODE_PATH": str(modules)}  # the script lives elsewhere: say where purgecss is
        subprocess.run(["node", str(runner), str(css_in), str(out), *content], check=True, env=environment)
        css = out.read_text()
    css = re.sub(r"/\*# sourceMappingURL=.*?\*/", "", css)
    css = _faces(css, package / "dist" / "fonts" / "Titillium_Web")
    header = (
        f"/* Bootstrap Italia {version} (BSD-3-Clause, bootstrap-italia.LICENSE.txt): only the rules the console uses, "
        "made by devtools/console_assets.py; Titillium Web (SIL OFL 1.1, titillium-web.OFL.txt) inlined. */\n"
    )
    (STATIC / "bootstrap-italia.min.css").write_text(header + css + "\n")
    source = "".join(p.read_text() for p in scripts)
    named = set(re.findall(r'icon\("(it-[a-z-]+)"', source))  # must all exist
    quoted = set(re.findall(r'"(it-[a-z-]+)"', source))  # icon names kept in tables (class names match too)
    sprite = _sprite((package / "dist" / "svg" / "sprites.svg").read_text(), named, quoted)
    (STATIC / "sprites.svg").write_text(sprite)
    shutil.copyfile(package / "LICENSE", STATIC / "bootstrap-italia.LICENSE.txt")
    shutil.copyfile(package / "dist" / "fonts" / "Titillium_Web" / "OFL.txt", STATIC / "titillium-web.OFL.txt")
    return {name: (STATIC / name).stat().st_size for name in ("bootstrap-italia.min.css", "sprites.svg")}


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.console_assets", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--node-modules", type=Path, help="a node_modules folder with both packages installed")
    args = parser.parse_args(argv)
    if args.node_modules:
        sizes = build(args.node_modules)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            sizes = build(_install(Path(scratch)))
    for name, size in sizes.items():
        print(f"{name}: {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
