"""The HTML report in a real browser (Debian's headless Chromium): what a reader's phone shows."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import struct
import subprocess

import pytest

import briefing
from conftest import SEED

CHROMIUM = shutil.which("chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH (apt-get install chromium)"),
]

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)

# An article whose script, if it ever ran, would retitle the page and add a marker element. The
# marker is assembled at run time, so its text appears in the page only if the script executed.
HOSTILE = """\
title: Shelling reported <script>document.title = "PW" + "NED"</script>

Russian forces shelled the town overnight <script>document.body.insertAdjacentHTML("beforeend", "<p id=ran>" + "EXEC" + "UTED</p>")</script>, killing two civilians.

Ukrainian troops repelled <img src=x onerror="document.title = 'ON' + 'ERROR'"> assaults near the front line, the military said.
"""


def chromium(tmp_path, *args: str, timeout: float = 15) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def html_report(tmp_path, *paths) -> str:
    articles = briefing.read_inputs([str(p) for p in paths])
    report = briefing.build_report(articles, briefing.Options(router="cues", date=dt.date(2023, 3, 30)))
    page = tmp_path / "report.html"
    page.write_text(briefing.render(report, "html"), encoding="utf-8")
    return page.as_uri()


def png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", header[16:24])


def test_seed_report_shows_its_sections_on_a_phone(tmp_path):
    uri = html_report(tmp_path, SEED)
    dom = chromium(tmp_path, "--dump-dom", uri).stdout
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", dom)
    for title in ("Key points", "Battlefield", "Diplomacy", "Reconstruction", "Key figures", "Sources"):
        assert title in headings
    assert "<title>Situation report — 30 March 2023</title>" in dom

    shot = tmp_path / "phone.png"
    chromium(tmp_path, "--window-size=375,812", f"--screenshot={shot}", uri)
    assert png_size(shot) == (375, 812)
    assert shot.stat().st_size > 20_000, "the phone screenshot is (nearly) blank"


def test_script_in_an_article_does_not_run(tmp_path):
    source = tmp_path / "hostile.txt"
    source.write_text(HOSTILE, encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", html_report(tmp_path, source)).stdout
    assert "<h2>Battlefield</h2>" in dom, "the report did not render"
    assert "PWNED" not in dom and "EXECUTED" not in dom and "ONERROR" not in dom
    assert 'id="ran"' not in dom and "<img" not in dom
    assert "&lt;script&gt;document.body.insertAdjacentHTML" in dom
    assert "<title>Situation report — 30 March 2023</title>" in dom
