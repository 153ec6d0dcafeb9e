"""Settings of the daily job (issue #6): briefing init, the file, BRIEFING_* variables, flags, and
what `briefing config show` and `briefing cron` print."""

from __future__ import annotations

import os
import re
import shlex
import sys
import tomllib
from pathlib import Path

import pytest

import briefing
from briefing.config import KEYS, load_config, render_template
from briefing.errors import ConfigError
from briefing.schedule import on_calendar
from conftest import SEED, run_cli
from smtp_servers import smtp_server


def show(*args: str, env: dict | None = None, cwd: Path | None = None) -> dict[str, tuple[str, str]]:
    """`briefing config show` as {setting: (value, origin)}."""
    result = run_cli("config", "show", *args, env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    rows = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"(\S+)\s+= (.*?)\s*(?:#\s*(.*))?", line)
        assert match, line
        rows[match[1]] = (match[2], match[3] or "")
    return rows


# --------------------------------------------------------------------------- briefing init


def test_init_writes_a_commented_config_that_reads_back(tmp_path):
    result = run_cli("init", str(tmp_path / "job"))
    assert result.returncode == 0, result.stderr
    path = tmp_path / "job" / "briefing.toml"
    assert result.stdout.strip() == str(path)
    assert (tmp_path / "job" / "inbox").is_dir()
    assert f"briefing daily --config {path}" in result.stderr
    text = path.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert set(data) == {"sources", "report", "output", "state", "email", "smtp", "alerts", "schedule"}
    assert sum(line.startswith("#") for line in text.splitlines()) > 40  # it explains itself
    for key in KEYS:  # every setting is there, set or shown commented out
        assert re.search(rf"^\[{key.table}\]$", text, re.M), key.table
        assert re.search(rf"^#? ?{key.name} = ", text, re.M), key.dotted
    config = load_config(path)
    assert (config.router, config.backend) == ("auto", "auto")  # the defaults of briefing generate
    assert config.inbox == tmp_path / "job" / "inbox"
    assert config.output == tmp_path / "job" / "reports"
    assert config.database == tmp_path / "job" / "reports" / "briefing.db"
    assert config.formats == ("md", "html", "txt", "json") and not config.mailing
    assert "password" not in data["smtp"]


def test_init_fills_in_mail_settings_and_keeps_an_existing_file(tmp_path):
    folder = tmp_path / "job"
    result = run_cli("init", str(folder), "--to", "desk@example.org", "--to", "Olena <olena@example.org>",
                     "--from", "Briefing <briefing@example.org>", "--smtp-host", "mail.example.org",
                     "--smtp-port", "2525", "--smtp-security", "ssl", "--smtp-username", "desk",
                     "--alert-to", "oncall@example.org")
    assert result.returncode == 0, result.stderr
    config = load_config(folder / "briefing.toml", environ={})
    assert config.email.to == ("desk@example.org", "Olena <olena@example.org>")
    assert config.email.sender == "Briefing <briefing@example.org>"
    assert (config.email.smtp.host, config.email.smtp.port, config.email.smtp.security) == ("mail.example.org", 2525,
                                                                                          "ssl")
    assert config.email.smtp.username == "desk" and config.alert_to == ("oncall@example.org",)

    again = run_cli("init", str(folder))
    assert again.returncode == 3 and "already exists" in again.stderr and "--force" in again.stderr
    assert load_config(folder / "briefing.toml", environ={}).email.smtp.host == "mail.example.org"
    assert run_cli("init", str(folder), "--force").returncode == 0
    assert load_config(folder / "briefing.toml", environ={}).email.smtp.host is None

    bad = run_cli("init", str(tmp_path / "other"), "--to", "not an address")
    assert bad.returncode == 3 and "not an email address" in bad.stderr
    assert not (tmp_path / "other" / "briefing.toml").exists()


def test_init_without_a_folder_uses_briefing_home_which_send_then_reads(briefing_home, tmp_path):
    with smtp_server() as server:
        result = run_cli("init", "--to", "desk@example.org", "--smtp-host", server.host,
                         "--smtp-port", str(server.port), "--smtp-security", "none")
        assert result.returncode == 0, result.stderr
        assert Path(result.stdout.strip()) == briefing_home / "briefing.toml"
        report = briefing.build_report(briefing.read_inputs([SEED]), briefing.Options(router="cues"))
        built = briefing.write_reports(report, ["json"], tmp_path)[0]
        sent = run_cli("send", str(built))  # no --config, no BRIEFING_SMTP_*: the [smtp] table of briefing.toml
        assert sent.returncode == 0, sent.stderr
        assert [m.rcpt_tos for m in server.messages] == [["desk@example.org"]]


# --------------------------------------------------------------------------- precedence and paths


def test_file_then_environment_then_flags(tmp_path):
    path = tmp_path / "briefing.toml"
    path.write_text(
        '[report]\nrouter = "embeddings"\nbackend = "seq2seq"\nmax_words = 90\n'
        '[output]\nfolder = "out"\nformats = ["md"]\n'
        '[email]\nto = ["file@example.org"]\n[smtp]\nhost = "file.example.org"\nport = 25\n',
        encoding="utf-8",
    )
    env = {"BRIEFING_REPORT_BACKEND": "extractive", "BRIEFING_OUTPUT_FORMATS": "md, html",
           "BRIEFING_SMTP_HOST": "env.example.org", "BRIEFING_EMAIL_TO": "env@example.org"}
    rows = show("--config", str(path), "--router", "cues", "--to", "flag@example.org", env=env)
    assert rows["report.router"] == ('"cues"', "flag --router")
    assert rows["report.backend"] == ('"extractive"', "env BRIEFING_REPORT_BACKEND")
    assert rows["report.max_words"] == ("90", "file")
    assert rows["report.title"] == ('"Situation report"', "default")
    assert rows["output.formats"] == ('["md", "html"]', "env BRIEFING_OUTPUT_FORMATS")
    assert rows["output.folder"] == (f'"{tmp_path / "out"}"', "file")
    assert rows["smtp.host"] == ('"env.example.org"', "env BRIEFING_SMTP_HOST")
    assert rows["smtp.port"] == ("25", "file")
    assert rows["email.to"] == ('["flag@example.org"]', "flag --to")
    assert rows["config"][0] == f'"{path}"'


def test_relative_paths_follow_the_config_file_not_the_working_directory(tmp_path):
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "briefing.toml").write_text(
        '[sources]\ninbox = "drop"\n[output]\nfolder = "../out"\n[state]\ndatabase = "state/db.sqlite"\n'
        '[report]\ntemplates = "tpl"\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rows = show("--config", "../job/briefing.toml", cwd=elsewhere)
    assert rows["sources.inbox"][0] == f'"{folder / "drop"}"'
    assert Path(rows["output.folder"][0].strip('"')).resolve() == tmp_path / "out"
    assert rows["state.database"][0] == f'"{folder / "state" / "db.sqlite"}"'
    assert rows["report.templates"][0] == f'"{folder / "tpl"}"'
    assert rows["config"][0] == f'"{folder / "briefing.toml"}"'
    # a relative flag is relative to where the command runs
    rows = show("--config", str(folder / "briefing.toml"), "--out", "here", cwd=elsewhere)
    assert rows["output.folder"] == (f'"{elsewhere / "here"}"', "flag --out")


def test_secrets_are_masked(tmp_path):
    path = tmp_path / "briefing.toml"
    path.write_text(
        '[sources]\nfeeds = ["https://reader:hunter2@feeds.example.org/rss"]\n'
        '[smtp]\nhost = "mail.example.org"\nusername = "desk"\n',
        encoding="utf-8",
    )
    result = run_cli("config", "show", "--config", str(path), env={"BRIEFING_SMTP_PASSWORD": "s3cr3t-pw"})
    assert result.returncode == 0, result.stderr
    assert "s3cr3t-pw" not in result.stdout and "hunter2" not in result.stdout
    assert re.search(r'^smtp\.password\s+= "\*\*\*"\s+# env BRIEFING_SMTP_PASSWORD$', result.stdout, re.M)
    assert "https://reader:***@feeds.example.org/rss" in result.stdout
    result = run_cli("config", "show", "--config", str(path))
    assert re.search(r'^smtp\.password\s+= "\(not set\)"', result.stdout, re.M)


def test_a_password_in_the_file_is_refused(tmp_path):
    path = tmp_path / "briefing.toml"
    path.write_text('[smtp]\nhost = "mail.example.org"\npassword = "oops"\n', encoding="utf-8")
    result = run_cli("config", "show", "--config", str(path))
    assert result.returncode == 3
    assert "cannot be written in the config" in result.stderr and "oops" not in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[report]\nrouter = "magic"\n', "report.router: unknown value 'magic'"),
        ('[report]\nmax_words = "many"\n', "report.max_words: cannot read 'many'"),
        ('[output]\nformats = ["pdf"]\n', "unknown format 'pdf'"),
        ('[output]\nfolder = 3\n', "output.folder: cannot read 3"),
        ('[sources]\ninbx = "x"\n', "sources.inbx: unknown setting"),
        ('[report]\n[reprot]\n', "unknown table [reprot]"),
        ('[schedule]\ntime = "6.30"\n', "schedule.time '6.30' is not a time"),
        ('[alerts]\nno_news = "yes"\n', "alerts.no_news: cannot read 'yes'"),
        ("[report\n", "invalid TOML"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "briefing.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_bad_environment_value_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="BRIEFING_STATE_BUSY_TIMEOUT: cannot read 'soon'"):
        load_config(None, environ={"BRIEFING_STATE_BUSY_TIMEOUT": "soon"})


def test_daily_needs_a_config_file(tmp_path):
    result = run_cli("daily")
    assert result.returncode == 3 and "no config file" in result.stderr and "briefing init" in result.stderr
    result = run_cli("daily", "--config", str(tmp_path / "missing.toml"))
    assert result.returncode == 3 and "not found" in result.stderr


def test_briefing_config_environment_variable_names_the_default_file(tmp_path):
    path = tmp_path / "elsewhere.toml"
    path.write_text('[report]\ntitle = "Morning brief"\n', encoding="utf-8")
    rows = show(env={"BRIEFING_CONFIG": str(path)})
    assert rows["report.title"] == ('"Morning brief"', "file")


# --------------------------------------------------------------------------- briefing cron


def test_cron_print_is_one_line_of_absolute_paths(tmp_path):
    assert run_cli("init", str(tmp_path / "my job")).returncode == 0
    config = tmp_path / "my job" / "briefing.toml"
    result = run_cli("cron", "--print", "--config", str(config))
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert "\n" not in line
    schedule, command = line.split(" ", 5)[:5], line.split(" ", 5)[5]
    assert schedule == ["30", "6", "*", "*", "*"]  # [schedule] time = "06:30"
    words = shlex.split(command, comments=True)
    assert words[0] == os.path.abspath(sys.executable) and os.path.isabs(words[0])
    assert words[1:6] == ["-P", "-m", "briefing", "daily", "--config"]
    assert words[6] == str(config)
    assert words[-2:] == [">>", str(tmp_path / "my job" / "reports" / "cron.log")] or "2>&1" in words
    assert line.endswith(f"# briefing daily: {config}")
    every = run_cli("cron", "--config", str(config), "--schedule", "*/5 * * * 1-5").stdout.strip()
    assert every.startswith("*/5 * * * 1-5 ")


def test_cron_escapes_percent_signs_and_checks_the_schedule(tmp_path):
    folder = tmp_path / "100%"
    assert run_cli("init", str(folder)).returncode == 0
    line = run_cli("cron", "--config", str(folder / "briefing.toml")).stdout
    assert "100\\%" in line and "100%" not in line.replace("100\\%", "")
    bad = run_cli("cron", "--config", str(folder / "briefing.toml"), "--schedule", "every day")
    assert bad.returncode == 3 and "not a cron expression" in bad.stderr


def test_cron_systemd_units(tmp_path):
    assert run_cli("init", str(tmp_path)).returncode == 0
    result = run_cli("cron", "--systemd", "--config", str(tmp_path / "briefing.toml"))
    assert result.returncode == 0, result.stderr
    assert "OnCalendar=*-*-* 06:30:00" in result.stdout
    assert f"--config {tmp_path / 'briefing.toml'}" in result.stdout
    assert "SuccessExitStatus=10 12" in result.stdout and "[Install]" in result.stdout


@pytest.mark.parametrize(
    ("cron", "calendar"),
    [
        ("30 6 * * *", "*-*-* 06:30:00"),
        ("0 */2 * * *", "*-*-* 00/2:00:00"),
        ("15 7 * * 1-5", "Mon..Fri *-*-* 07:15:00"),
        ("0 8 1,15 * *", "*-*-01,15 08:00:00"),
        ("0 9 * * sun", "Sun *-*-* 09:00:00"),
        ("@daily", "daily"),
    ],
)
def test_cron_schedules_translate_to_systemd_calendars(cron, calendar):
    assert on_calendar(cron) == calendar


def test_cron_schedule_that_systemd_cannot_express_is_refused():
    with pytest.raises(ConfigError, match="ORs"):
        on_calendar("0 8 1 * 1")


def test_template_has_no_unfilled_placeholders():
    text = render_template(to=["a@example.org"], smtp_port=25)
    assert "$" not in text.replace("{{ title }}", "")
    assert tomllib.loads(text)["email"]["to"] == ["a@example.org"]
    assert tomllib.loads(text)["smtp"]["port"] == 25
