"""The public page in a real browser (Debian's headless Chromium) at a phone-sized viewport: it renders, it is
right to left for Arabic, and it has readable text. The screenshot is kept in ``test-artifacts/``."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from chalicelib.i18n import translate
from tests.conftest import ROOT
from tests.e2e.conftest import LocalSystem

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "test-artifacts"
WIDTH, HEIGHT = 412, 915  # a common Android phone, in CSS pixels


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed: .ci/run installs it")
        pytest.skip("no chromium here: apt-get install chromium (CI installs it)")
    return found


def _browser(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{HEIGHT}",
        "--hide-scrollbars",
    ]
    return subprocess.run([_chromium(), *flags, *args], capture_output=True, text=True, timeout=60, check=False)


def _png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the raw (filtered) scanlines of a PNG, with the standard library only."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, position = [], 8
    while position < len(data):
        length = struct.unpack(">I", data[position : position + 4])[0]
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))


def test_the_arabic_page_renders_right_to_left_and_readable(local_system: LocalSystem, tmp_path: Path) -> None:
    url = f"{local_system.api}/info/procedures/studio?lang=ar"
    dom = _browser(["--dump-dom", url], tmp_path / "dom")
    assert dom.returncode == 0, dom.stderr[-1000:]
    assert '<html lang="ar" dir="rtl">' in dom.stdout
    assert translate("document.passport.title", "ar") in dom.stdout
    assert "<script" not in dom.stdout

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "info-studio-ar.png"
    shot.unlink(missing_ok=True)
    result = _browser([f"--screenshot={shot}", url], tmp_path / "shot")
    assert result.returncode == 0 and shot.exists(), result.stderr[-1000:]
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (WIDTH, HEIGHT)
    # A blank page is almost all 0xFF; text and headings make a good share of the bytes darker.
    dark = sum(1 for byte in pixels[::7] if byte < 0x80)
    assert dark / (len(pixels) / 7) > 0.01, "the page looks blank"
