"""The daily job (issue #6) run as cron runs it: the real CLI in subprocesses, a real SQLite file,
real SMTP servers on loopback, and processes really killed with SIGKILL."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator


from briefing.daily import EXIT_BUSY, EXIT_NOTHING_NEW, EXIT_PARTIAL
from briefing.store import JobLock
from conftest import ROOT, corpus_articles, needs_corpus, run_cli
from smtp_servers import HOST, Recorder, Server, _Controller, free_port, smtp_server

DESK = "desk@example.org"
ALERTS = "oncall@example.org"
FORMATS = ("md", "html", "txt", "json")

BATTLE = """Shelling continues near the river

Russian forces shelled the town of Orikhiv overnight and attacked Ukrainian positions on the southern \
front, the regional governor said. Artillery and drone strikes hit the front line as troops repelled \
three assaults, the general staff said.

Two civilians were killed and five wounded in the shelling, officials said.
"""
TALKS = """Ministers meet on sanctions

Foreign ministers met NATO allies in Brussels to discuss sanctions and peace talks, and the diplomats \
agreed on a joint statement condemning the strikes.

The European Union said a new package of sanctions would be adopted next week.
"""
REBUILD = """Funding for the power grid

The prime minister said the reconstruction of power plants, housing and bridges will need $14 billion \
in funding from the World Bank and donors this year.

Engineers restored electricity to 40,000 homes in the region, the energy ministry said.
"""


# --------------------------------------------------------------------------- helpers


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(folder: Path, port: int | None = None, **tables: dict) -> Path:
    """A briefing.toml for tests: cue routing and extractive briefs (fast, deterministic), mail to DESK."""
    config: dict[str, dict] = {
        "sources": {"inbox": "inbox"},
        "report": {"router": "cues", "backend": "extractive"},
        "output": {"folder": "reports"},
        "state": {"busy_timeout": 0.5},
        "email": {"to": [DESK], "from": "briefing@example.org"},
        "smtp": {"host": HOST, "port": port or free_port(), "security": "none", "backoff": 0.01, "timeout": 5,
                 "attempts": 2},
    }
    for table, values in tables.items():
        config.setdefault(table, {}).update(values)
        config[table] = {k: v for k, v in config[table].items() if v is not None}
    text = "".join(
        f"[{table}]\n" + "".join(f"{key} = {_toml_value(value)}\n" for key, value in values.items()) + "\n"
        for table, values in config.items()
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "inbox").mkdir(exist_ok=True)
    path = folder / "briefing.toml"
    path.write_text(text, encoding="utf-8")
    return path


def drop(folder: Path, name: str, text: str) -> None:
    """An article dropped into the inbox the safe way: written hidden, then renamed."""
    hidden = folder / "inbox" / f".{name}.part"
    hidden.write_text(text, encoding="utf-8")
    hidden.rename(folder / "inbox" / name)


def daily(config: Path, *args: str, env: dict | None = None):
    return run_cli("daily", "--config", str(config), *args, env=env, timeout=120)


def reports(folder: Path) -> list[Path]:
    out = folder / "reports"
    return sorted(p for p in out.iterdir() if p.suffix.lstrip(".") in FORMATS) if out.is_dir() else []


def built(folder: Path) -> dict:
    """The day's report as data: its JSON file."""
    (path,) = [p for p in reports(folder) if p.suffix == ".json"]
    return json.loads(path.read_text(encoding="utf-8"))


def leftovers(folder: Path) -> list[Path]:
    out = folder / "reports"
    return sorted(p for p in out.iterdir() if p.name.endswith(".tmp")) if out.is_dir() else []


def db_rows(folder: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(folder / "reports" / "briefing.db") as db:
        return db.execute(sql).fetchall()


def briefing_command() -> list[str]:
    """The installed console script beside this interpreter (what a user runs), else python -m briefing."""
    script = Path(sys.executable).parent / "briefing"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "briefing"]


def wait_for(predicate, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def log_says(folder: Path, text: str) -> bool:
    log = folder / "reports" / "briefing.log"
    return log.is_file() and text in log.read_text(encoding="utf-8")


def start_daily(config: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    return subprocess.Popen(
        [sys.executable, "-m", "briefing", "daily", "--config", str(config), *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def kill_daily_at_gate(config: Path, gate) -> None:
    """Start the daily job and SIGKILL it once its mail session reaches the gate's hold point."""
    run = start_daily(config)
    try:
        assert gate.handler.reached.wait(30)
        run.send_signal(signal.SIGKILL)
        run.wait(10)
    finally:
        run.kill()
        run.wait()
        run.stdout.close()
        run.stderr.close()


@dataclass
class Gate(Recorder):
    """A recorder that holds every session at one point until released: before MAIL (nothing sent
    yet), or after DATA was received but before the server says 250 (accepted, not yet confirmed)."""

    at: str = "MAIL"
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def _hold(self) -> None:
        self.reached.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.at == "MAIL" and not self.release.is_set():
            await self._hold()
        return await super().handle_MAIL(server, session, envelope, address, mail_options)

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if self.at == "DATA" and not self.release.is_set():
            await self._hold()
        return answer


@contextmanager
def gated_server(at: str) -> Iterator[Server]:
    handler = Gate(at=at)
    controller = _Controller(handler, hostname=HOST, port=0, server_hostname="localhost", ready_timeout=5.0)
    controller.start()
    try:
        yield Server(HOST, controller.port, handler)
    finally:
        handler.release.set()
        controller.stop()


def slow_templates(folder: Path) -> Path:
    """A template folder whose Markdown template takes hours to render: a run is caught mid-generation."""
    templates = folder / "slow-templates"
    templates.mkdir()
    (templates / "report.md.j2").write_text("{% for i in range(10 ** 10) %}{% endfor %}\n", encoding="utf-8")
    return templates


# --------------------------------------------------------------------------- a day


@needs_corpus
def test_full_day_cycle_with_init_and_a_loopback_server(tmp_path):
    first, second, third = corpus_articles()[:3]
    with smtp_server() as server:
        result = run_cli("init", str(tmp_path / "job"), "--to", DESK, "--from", "briefing@example.org",
                         "--smtp-host", HOST, "--smtp-port", str(server.port), "--smtp-security", "none")
        assert result.returncode == 0, result.stderr
        config = Path(result.stdout.strip())
        assert config == tmp_path / "job" / "briefing.toml"
        folder = config.parent
        shutil.copy(first, folder / "inbox")
        shutil.copy(second, folder / "inbox")
        env = {"BRIEFING_REPORT_ROUTER": "cues", "BRIEFING_REPORT_BACKEND": "extractive"}

        result = daily(config, env=env)
        assert result.returncode == 0, result.stderr
        assert len(server.messages) == 1
        message = server.messages[0].message
        assert server.messages[0].rcpt_tos == [DESK]
        day = [p for p in reports(folder) if p.suffix == ".md"][0].name[:10]
        assert day in message["Subject"]
        assert sorted(p.suffix for p in reports(folder)) == [".html", ".json", ".md", ".txt"]
        assert all(p.name.startswith(day) for p in reports(folder)) and leftovers(folder) == []
        assert len(built(folder)["sources"]) == 2

        again = daily(config, env=env)
        assert again.returncode == EXIT_NOTHING_NEW, again.stderr
        assert "no new articles" in again.stderr
        assert len(server.messages) == 1

        shutil.copy(third, folder / "inbox")
        update = daily(config, env=env)
        assert update.returncode == 0, update.stderr
        assert len(server.messages) == 2
        assert len(built(folder)["sources"]) == 3
        assert "Updated edition: 1 new article" in built(folder)["notices"][-1]
        md = [p for p in reports(folder) if p.suffix == ".md"][0].read_text(encoding="utf-8")
        assert "Updated edition: 1 new article" in md
        assert server.messages[1].message["Message-ID"] != message["Message-ID"]
        assert len(reports(folder)) == 4  # the same dated files, rebuilt

        assert daily(config, env=env).returncode == EXIT_NOTHING_NEW
        forced = daily(config, "--force", env=env)
        assert forced.returncode == 0, forced.stderr
        assert len(server.messages) == 3

    history = run_cli("history", "--config", str(config))
    assert history.returncode == 0, history.stderr
    lines = history.stdout.splitlines()
    assert lines[0].split()[:4] == ["started", "day", "status", "articles"]
    statuses = [line.split()[3] for line in lines[1:6]]
    assert statuses == ["done", "nothing-new", "done", "nothing-new", "done"]
    assert "(forced)" in lines[1] and "3 (0 new)" in lines[1] and DESK in lines[1]
    assert "3 (1 new)" in lines[3] and "extractive" in lines[3]
    assert "2 (2 new)" in lines[5] and DESK in lines[5]


@needs_corpus
def test_acceptance_bare_environment_from_another_folder(tmp_path):
    """`env -i PATH=/usr/bin:/bin briefing daily --config DIR/briefing.toml`, as the issue writes it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with smtp_server() as server:
        init = run_cli("init", str(tmp_path / "job"), "--to", DESK, "--smtp-host", HOST,
                       "--smtp-port", str(server.port), "--smtp-security", "none")
        assert init.returncode == 0, init.stderr
        config = tmp_path / "job" / "briefing.toml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace('router = "auto"', 'router = "cues"')
                          .replace('backend = "auto"', 'backend = "extractive"'), encoding="utf-8")
        for article in corpus_articles()[:2]:
            shutil.copy(article, tmp_path / "job" / "inbox")
        command = ["env", "-i", "PATH=/usr/bin:/bin", *briefing_command(), "daily", "--config", str(config)]
        first = subprocess.run(command, cwd=elsewhere, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        assert len(server.messages) == 1
        second = subprocess.run(command, cwd=elsewhere, capture_output=True, text=True, timeout=120)
        assert second.returncode == EXIT_NOTHING_NEW, second.stderr
        assert len(server.messages) == 1
    assert len(reports(tmp_path / "job")) == 4
    assert list(elsewhere.iterdir()) == []  # nothing written where it was started
    log = (tmp_path / "job" / "reports" / "briefing.log").read_text(encoding="utf-8")
    assert "done (exit 0)" in log and "nothing-new (exit 10)" in log


def test_exit_codes_are_documented_in_help():
    result = run_cli("daily", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for code, words in ((0, "done"), (10, "nothing new"), (11, "partial"), (12, "busy"), (6, "failure: state database")):
        assert f"{code} {words}" in text


# --------------------------------------------------------------------------- running twice at once


def test_a_second_run_during_the_first_exits_cleanly_and_one_email_goes_out(tmp_path):
    with gated_server("MAIL") as server:
        config = write_config(tmp_path, server.port)
        drop(tmp_path, "battle.txt", BATTLE)
        first = start_daily(config)
        try:
            assert server.handler.reached.wait(30), "the first run never reached the server"
            second = daily(config)  # the first run holds the lock, mid-send
            assert second.returncode == EXIT_BUSY
            assert "another briefing daily run is in progress" in second.stderr
            assert f"pid {first.pid}" in second.stderr
            server.handler.release.set()
            assert first.wait(60) == 0, first.stderr.read().decode()
        finally:
            first.kill()
            first.wait()
            first.stdout.close()
            first.stderr.close()
        assert len(server.messages) == 1
        assert daily(config).returncode == EXIT_NOTHING_NEW
        assert len(server.messages) == 1


def test_two_runs_started_together_send_one_email(tmp_path):
    with smtp_server() as server:
        config = write_config(tmp_path, server.port)
        drop(tmp_path, "battle.txt", BATTLE)
        runs = [start_daily(config) for _ in range(2)]
        codes = sorted(run.wait(60) for run in runs)
        for run in runs:
            run.stdout.close()
            run.stderr.close()
        assert codes in ([0, EXIT_NOTHING_NEW], [0, EXIT_BUSY])
        assert len(server.messages) == 1


def test_lock_held_means_busy_and_nothing_touched(tmp_path):
    config = write_config(tmp_path)
    drop(tmp_path, "battle.txt", BATTLE)
    (tmp_path / "reports").mkdir()
    lock = JobLock(tmp_path / "reports" / "briefing.db.lock")
    assert lock.acquire()
    try:
        result = daily(config)
    finally:
        lock.release()
    assert result.returncode == EXIT_BUSY
    assert "in progress" in result.stderr
    assert reports(tmp_path) == [] and not (tmp_path / "reports" / "briefing.db").exists()


# --------------------------------------------------------------------------- killed


def test_killed_mid_generation_leaves_no_report_and_the_next_run_finishes(tmp_path):
    with smtp_server() as server:
        config = write_config(tmp_path, server.port, report={"templates": str(slow_templates(tmp_path))})
        drop(tmp_path, "battle.txt", BATTLE)
        drop(tmp_path, "talks.txt", TALKS)
        run = start_daily(config)
        try:
            wait_for(lambda: log_says(tmp_path, "rendering"), what="the run to start rendering")
            time.sleep(0.3)
            assert run.poll() is None
            run.send_signal(signal.SIGKILL)
            assert run.wait(10) == -signal.SIGKILL
        finally:
            run.kill()
            run.wait()
            run.stdout.close()
            run.stderr.close()
        assert reports(tmp_path) == [] and leftovers(tmp_path) == []
        assert db_rows(tmp_path, "SELECT count(*) FROM articles") == [(0,)]
        assert db_rows(tmp_path, "SELECT status FROM runs") == [("running",)]
        assert server.messages == []

        write_config(tmp_path, server.port)  # the same job, with the package's templates
        result = daily(config)
        assert result.returncode == 0, result.stderr
        assert "an earlier run was interrupted" in result.stderr
        assert len(server.messages) == 1
        assert len(reports(tmp_path)) == 4 and leftovers(tmp_path) == []
        md = [p for p in reports(tmp_path) if p.suffix == ".md"][0].read_text(encoding="utf-8")
        assert md.startswith("# Situation report") and len(built(tmp_path)["sources"]) == 2
        assert daily(config).returncode == EXIT_NOTHING_NEW
        assert len(server.messages) == 1
    assert db_rows(tmp_path, "SELECT status FROM runs ORDER BY id") == [("interrupted",), ("done",), ("nothing-new",)]


def test_killed_before_the_server_took_the_mail_sends_it_once_on_the_next_run(tmp_path):
    with gated_server("MAIL") as gate:
        config = write_config(tmp_path, gate.port)
        drop(tmp_path, "battle.txt", BATTLE)
        kill_daily_at_gate(config, gate)
    assert gate.messages == []
    assert db_rows(tmp_path, "SELECT status FROM deliveries") == [("sending",)]
    assert len(reports(tmp_path)) == 4  # the report was built and recorded before the mail
    with smtp_server() as server:
        result = daily(config, env={"BRIEFING_SMTP_PORT": str(server.port)})
        assert result.returncode == 0, result.stderr
        assert len(server.messages) == 1
        assert daily(config, env={"BRIEFING_SMTP_PORT": str(server.port)}).returncode == EXIT_NOTHING_NEW
        assert len(server.messages) == 1
    (intent,) = db_rows(tmp_path, "SELECT message_id FROM deliveries WHERE status = 'interrupted'")
    assert server.messages[0].message["Message-ID"] == intent[0]


def test_killed_after_the_server_took_the_mail_resends_with_the_same_message_id(tmp_path):
    """At-least-once (see briefing/daily.py): the fate of an unconfirmed send is unknown, so the
    next run sends again, with the same Message-ID, which mail clients use to fold duplicates."""
    with gated_server("DATA") as gate:
        config = write_config(tmp_path, gate.port)
        drop(tmp_path, "battle.txt", BATTLE)
        kill_daily_at_gate(config, gate)
        env = {"BRIEFING_SMTP_PORT": str(gate.port)}
        gate.handler.release.set()
        result = daily(config, env=env)
        assert result.returncode == 0, result.stderr
        assert "may see it twice" in result.stderr
        assert len(gate.messages) == 2
        assert gate.messages[0].message["Message-ID"] == gate.messages[1].message["Message-ID"]
        assert daily(config, env=env).returncode == EXIT_NOTHING_NEW
        assert len(gate.messages) == 2


# --------------------------------------------------------------------------- mail down, state broken


def test_smtp_down_then_up_delivers_on_the_next_run(tmp_path):
    config = write_config(tmp_path)  # nothing listens on its port
    drop(tmp_path, "battle.txt", BATTLE)
    down = daily(config)
    assert down.returncode == EXIT_PARTIAL, down.stderr
    assert "connection refused" in down.stderr
    assert len(reports(tmp_path)) == 4
    with smtp_server() as server:
        up = daily(config, env={"BRIEFING_SMTP_PORT": str(server.port)})
        assert up.returncode == 0, up.stderr
        assert "sent the report built earlier" in up.stderr
        assert len(server.messages) == 1
        assert daily(config, env={"BRIEFING_SMTP_PORT": str(server.port)}).returncode == EXIT_NOTHING_NEW
        assert len(server.messages) == 1
    history = run_cli("history", "--config", str(config)).stdout.splitlines()
    assert [line.split()[3] for line in history[1:4]] == ["nothing-new", "done", "partial"]


def test_corrupt_database_is_a_clear_error(tmp_path):
    config = write_config(tmp_path)
    drop(tmp_path, "battle.txt", BATTLE)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "briefing.db").write_bytes(b"this is not a database\n" * 200)
    result = daily(config)
    assert result.returncode == 6
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("briefing: error: the state database") and "damaged" in last and "mv " in last
    assert "Traceback" not in result.stderr
    assert reports(tmp_path) == []


def test_locked_database_is_a_clear_error(tmp_path):
    with smtp_server() as server:
        config = write_config(tmp_path, server.port)
        drop(tmp_path, "battle.txt", BATTLE)
        assert daily(config).returncode == 0
        drop(tmp_path, "talks.txt", TALKS)
        holder = sqlite3.connect(tmp_path / "reports" / "briefing.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            result = daily(config)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert result.returncode == 6
        assert "is locked by another program" in result.stderr.strip().splitlines()[-1]
        assert len(server.messages) == 1
        assert daily(config).returncode == 0  # once it is free, the new article goes out
        assert len(server.messages) == 2


# --------------------------------------------------------------------------- alerts and notices


@contextmanager
def feed_gone() -> Iterator[str]:
    """The URL of a feed on a loopback web server that answers 404: a feed that is down."""

    class Gone(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server name
            self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((HOST, 0), Gone)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/rss"
    finally:
        server.shutdown()
        server.server_close()


def test_degraded_run_says_so_in_the_report_and_alerts_once(tmp_path):
    with smtp_server() as server, feed_gone() as feed:
        config = write_config(tmp_path, server.port, sources={"feeds": [feed]}, alerts={"to": [ALERTS]})
        drop(tmp_path, "battle.txt", BATTLE)
        result = daily(config)
        assert result.returncode == 0, result.stderr
        warning = [line for line in result.stderr.splitlines() if feed in line]
        assert warning, result.stderr
        by_rcpt = {tuple(m.rcpt_tos): m.message for m in server.messages}
        assert set(by_rcpt) == {(DESK,), (ALERTS,)}
        assert any(feed in notice for notice in built(tmp_path)["notices"])
        report_text = " ".join(by_rcpt[(DESK,)].get_body(("plain",)).get_content().split())
        assert "NOTICE:" in report_text and feed in report_text  # the report's header says so
        alert = by_rcpt[(ALERTS,)]
        assert alert["Subject"].startswith("briefing degraded:")
        assert feed in alert.get_content() and "briefing.log" in alert.get_content()

        again = daily(config)  # same day, same problem: no second alert
        assert again.returncode == EXIT_NOTHING_NEW
        assert len(server.messages) == 2
    history = run_cli("history", "--config", str(config)).stdout
    assert "degraded" in history


def test_a_failed_run_alerts(tmp_path):
    with smtp_server() as server:
        config = write_config(tmp_path, server.port, alerts={"to": [ALERTS]},
                              report={"sections": ["no-such-section"]})
        drop(tmp_path, "battle.txt", BATTLE)
        result = daily(config)
        assert result.returncode == 3, result.stderr
        assert "no-such-section" in result.stderr.strip().splitlines()[-1]
        assert [m.rcpt_tos for m in server.messages] == [[ALERTS]]
        alert = server.messages[0].message
        assert alert["Subject"].startswith("briefing failed:") and "no-such-section" in alert.get_content()
    assert db_rows(tmp_path, "SELECT status, exit_code FROM runs") == [("failed", 3)]
    assert db_rows(tmp_path, "SELECT count(*) FROM articles") == [(0,)]


def test_no_new_reporting_notice_once_a_day(tmp_path):
    with smtp_server() as server:
        config = write_config(tmp_path, server.port, alerts={"no_news": True})
        first = daily(config)
        assert first.returncode == EXIT_NOTHING_NEW, first.stderr
        assert len(server.messages) == 1
        notice = server.messages[0].message
        assert "no new reporting" in notice["Subject"] and "No new reporting reached briefing" in notice.get_content()
        assert daily(config).returncode == EXIT_NOTHING_NEW
        assert len(server.messages) == 1
        drop(tmp_path, "battle.txt", BATTLE)  # reporting arrives later the same day
        assert daily(config).returncode == 0
        assert len(server.messages) == 2 and "no new reporting" not in server.messages[1].message["Subject"]


def test_without_no_news_a_quiet_day_sends_nothing(tmp_path):
    with smtp_server() as server:
        config = write_config(tmp_path, server.port)
        result = daily(config)
        assert result.returncode == EXIT_NOTHING_NEW
        assert server.messages == []


def test_unreadable_inbox_file_is_a_notice_not_a_failure(tmp_path):
    with smtp_server() as server:
        config = write_config(tmp_path, server.port)
        drop(tmp_path, "battle.txt", BATTLE)
        (tmp_path / "inbox" / "empty.txt").write_text("", encoding="utf-8")
        result = daily(config)
        assert result.returncode == 0, result.stderr
        assert "skipped an inbox file" in result.stderr and "empty.txt" in result.stderr
        assert len(server.messages) == 1
    md = [p for p in reports(tmp_path) if p.suffix == ".md"][0].read_text(encoding="utf-8")
    assert "empty.txt" in md and len(built(tmp_path)["sources"]) == 1


def test_no_recipients_builds_without_mailing(tmp_path):
    config = write_config(tmp_path, email={"to": []})
    drop(tmp_path, "battle.txt", BATTLE)
    result = daily(config, "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(reports(tmp_path)) == 4
    assert daily(config).returncode == EXIT_NOTHING_NEW


def test_the_next_day_gets_its_own_report_compared_with_the_day_before(tmp_path):
    with smtp_server() as server:
        config = write_config(tmp_path, server.port)
        drop(tmp_path, "battle.txt", BATTLE)
        assert daily(config, "--date", "2023-03-29").returncode == 0
        assert daily(config, "--date", "2023-03-30").returncode == EXIT_NOTHING_NEW  # the same article, a day on
        drop(tmp_path, "talks.txt", TALKS)
        assert daily(config, "--date", "2023-03-30").returncode == 0
        assert len(server.messages) == 2
        assert [m.message["Subject"][len("Situation report — "):][:10] for m in server.messages] == [
            "2023-03-29", "2023-03-30"]
    names = [p.name for p in reports(tmp_path)]
    assert {n[:10] for n in names} == {"2023-03-29", "2023-03-30"} and len(names) == 8
    report = json.loads((tmp_path / "reports" / "2023-03-30-situation-report.json").read_text(encoding="utf-8"))
    assert report["date"] == "2023-03-30" and report["previous"]["date"] == "2023-03-29"
    assert [s["title"] for s in report["sources"]] == ["Ministers meet on sanctions"]


def test_mail_that_needed_a_retry_is_recorded_as_degraded_and_alerted(tmp_path):
    with smtp_server(busy=1) as server:  # the first session is told 421, the retry goes through
        config = write_config(tmp_path, server.port, alerts={"to": [ALERTS]})
        drop(tmp_path, "battle.txt", BATTLE)
        result = daily(config)
        assert result.returncode == 0, result.stderr
        assert [m.rcpt_tos for m in server.messages] == [[DESK], [ALERTS]]
        assert "attempt 2" in server.messages[1].message.get_content()
    assert db_rows(tmp_path, "SELECT status FROM runs") == [("degraded",)]
    assert db_rows(tmp_path, "SELECT kind, status, attempts FROM deliveries ORDER BY id") == [
        ("report", "sent", 2), ("alert", "sent", 1)]
