"""`briefing cron` against the real thing: the user's crontab (saved and restored around each test)
and Debian's cron daemon, started by the test, running the job in its bare environment.

These tests need root and Debian's cron (`.ci/run` installs it); they skip, saying so, without.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from conftest import SEED, corpus_articles, run_cli
from smtp_servers import HOST, smtp_server

pytestmark = pytest.mark.cron


def _find(name: str, *places: str) -> str | None:
    return shutil.which(name) or next((p for p in places if os.access(p, os.X_OK)), None)


CRON = _find("cron", "/usr/sbin/cron", "/sbin/cron")
CRONTAB = _find("crontab", "/usr/bin/crontab")
needs_cron = pytest.mark.skipif(
    not (CRON and CRONTAB), reason="Debian's cron is not installed (.ci/run installs it: apt-get install cron)"
)
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="starts the cron daemon and edits root's crontab, which needs root"
)
DESK = "desk@example.org"


def crontab_lines() -> list[str]:
    result = subprocess.run([CRONTAB, "-l"], capture_output=True, text=True)
    return result.stdout.splitlines() if result.returncode == 0 else []


@pytest.fixture
def own_crontab() -> Iterator[None]:
    """The user's crontab as it was before the test, put back afterwards, whatever happens.

    Test sessions running at once on one machine take turns (a lock file in the temp folder), so
    none of them saves or restores a crontab another is in the middle of changing.
    """
    turn = open(Path(tempfile.gettempdir()) / "briefing-cron-tests.lock", "a")
    fcntl.flock(turn, fcntl.LOCK_EX)
    try:
        yield from _saved_crontab()
    finally:
        turn.close()


def _saved_crontab() -> Iterator[None]:
    before = subprocess.run([CRONTAB, "-l"], capture_output=True, text=True)
    saved = before.stdout if before.returncode == 0 else None
    try:
        yield
    finally:
        if saved is None:
            subprocess.run([CRONTAB, "-r"], capture_output=True)
        else:
            subprocess.run([CRONTAB, "-"], input=saved, text=True, check=True)


@pytest.fixture
def cron_daemon() -> Iterator[None]:
    """A cron daemon: one this test starts in the foreground and stops, or the one already running."""
    daemon = subprocess.Popen([CRON, "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    if daemon.poll() is not None:
        message = daemon.stderr.read()
        daemon.stderr.close()
        if "already running" in message or "can't lock" in message:
            yield None  # the system's own cron will run the line
            return
        pytest.fail(f"cron did not start: {message.strip()}")
    try:
        yield None
    finally:
        daemon.terminate()
        try:
            daemon.wait(10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        daemon.stderr.close()


def make_job(folder: Path, port: int) -> Path:
    """`briefing init`, the test's SMTP server, cue routing and extractive briefs, two articles in the inbox."""
    result = run_cli("init", str(folder), "--to", DESK, "--smtp-host", HOST, "--smtp-port", str(port),
                     "--smtp-security", "none")
    assert result.returncode == 0, result.stderr
    config = folder / "briefing.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('router = "auto"', 'router = "cues"').replace('backend = "auto"',
                                                                                'backend = "extractive"'),
                      encoding="utf-8")
    for article in (corpus_articles()[:2] or [SEED]):
        shutil.copy(article, folder / "inbox")
    return config


@needs_cron
@needs_root
def test_install_is_idempotent_keeps_other_lines_and_remove_takes_only_ours(tmp_path, own_crontab):
    subprocess.run([CRONTAB, "-"], input="MAILTO=\"\"\n0 0 * * * true # keep me\n", text=True, check=True)
    first = tmp_path / "one"
    second = tmp_path / "two"
    for folder in (first, second):
        assert run_cli("init", str(folder)).returncode == 0

    def cron(*args: str, config: Path = first) -> str:
        result = run_cli("cron", *args, "--config", str(config / "briefing.toml"))
        assert result.returncode == 0, result.stderr
        return result.stderr

    assert "installed in your crontab" in cron("--install")
    assert "already installed" in cron("--install")
    assert "replaced" in cron("--install", "--schedule", "0 7 * * *")
    cron("--install", config=second)
    lines = crontab_lines()
    assert lines[:2] == ['MAILTO=""', "0 0 * * * true # keep me"]
    ours = [line for line in lines if "briefing daily" in line]
    assert len(ours) == 2 and ours[0].startswith("0 7 * * * ") and ours[0].endswith(str(first / "briefing.toml"))
    printed = run_cli("cron", "--print", "--config", str(second / "briefing.toml"), "--schedule", "30 6 * * *")
    assert printed.stdout.strip() == ours[1]

    assert "removed" in cron("--remove")
    assert "no briefing line" in cron("--remove")
    assert crontab_lines() == ['MAILTO=""', "0 0 * * * true # keep me", ours[1]]


@pytest.mark.slow
@needs_cron
@needs_root
def test_the_printed_line_run_by_cron_builds_and_mails_the_report(tmp_path, own_crontab, cron_daemon):
    with smtp_server() as server:
        config = make_job(tmp_path / "job", server.port)
        result = run_cli("cron", "--install", "--config", str(config), "--schedule", "* * * * *")
        assert result.returncode == 0, result.stderr
        assert len([line for line in crontab_lines() if "briefing daily" in line]) == 1
        reports = tmp_path / "job" / "reports"
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and not server.messages:
            time.sleep(1)
        assert server.messages, (
            "cron did not deliver the report within 150 s; cron.log: "
            + ((reports / "cron.log").read_text() if (reports / "cron.log").is_file() else "(none)")
        )
        time.sleep(2)  # a second email would come from the same run
        assert len(server.messages) == 1 and server.messages[0].rcpt_tos == [DESK]
        built = sorted(p.suffix for p in reports.glob("*-situation-report.*"))
        assert built == [".html", ".json", ".md", ".txt"]
        assert "done (exit 0)" in (reports / "briefing.log").read_text(encoding="utf-8")
        assert (reports / "cron.log").is_file()  # the line's redirect worked
        removed = run_cli("cron", "--remove", "--config", str(config))
        assert removed.returncode == 0 and not [line for line in crontab_lines() if "briefing daily" in line]
