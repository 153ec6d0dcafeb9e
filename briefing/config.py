"""Settings for the daily job: a ``briefing.toml`` file, ``BRIEFING_*`` environment variables, then flags.

Each setting is ``[table] key`` in the file, ``BRIEFING_<TABLE>_<KEY>`` in the environment (for
example ``BRIEFING_OUTPUT_FOLDER``, ``BRIEFING_SMTP_HOST``; lists comma-separated), and for a few,
a command-line flag. Precedence, lowest first: built-in defaults, the file, the environment, flags.

Relative paths in the file resolve against the file's folder, never the working directory, so cron
and systemd get the same answer as a shell. Relative paths from the environment or a flag resolve
against the working directory of the command that gave them, at once.

The ``[smtp]`` and ``[email]`` tables are the ones :func:`briefing.mail.load_settings` reads; it
does that reading here too, so ``briefing send --config briefing.toml`` and the daily job agree.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from .errors import ConfigError
from .mail import EmailSettings, load_settings
from .resources import user_dir

CONFIG_NAME = "briefing.toml"
CONFIG_ENV = "BRIEFING_CONFIG"
DATABASE_NAME = "briefing.db"
LOG_NAME = "briefing.log"
CRON_LOG_NAME = "cron.log"
ROUTERS = ("auto", "cues", "embeddings")
BACKENDS = ("auto", "seq2seq", "extractive")
ENGINES = ("local", "ray")  # briefing.engine.ENGINES (not imported: this module loads on every command)


@dataclass(frozen=True)
class Key:
    """One setting of the file: its table, name, kind (str, path, list, int, float, bool) and default."""

    table: str
    name: str
    kind: str
    default: Any
    choices: tuple[str, ...] = ()

    @property
    def dotted(self) -> str:
        return f"{self.table}.{self.name}"

    @property
    def env(self) -> str:
        return f"BRIEFING_{self.table.upper()}_{self.name.upper()}"


KEYS: tuple[Key, ...] = (
    Key("sources", "inbox", "path", "inbox"),
    Key("sources", "feeds", "list", ()),
    Key("sources", "urls", "list", ()),
    Key("report", "title", "str", "Situation report"),
    Key("report", "sections", "list", ()),
    Key("report", "router", "str", "auto", ROUTERS),
    Key("report", "embedding_model", "str", ""),
    Key("report", "backend", "str", "auto", BACKENDS),
    Key("report", "model", "str", ""),
    Key("report", "engine", "str", "local", ENGINES),
    Key("report", "ray_address", "str", ""),
    Key("report", "max_words", "int", 150),
    Key("report", "templates", "path", None),
    Key("report", "prompts", "path", None),
    Key("output", "folder", "path", "reports"),
    Key("output", "formats", "list", ("md", "html", "txt", "json")),
    Key("state", "database", "path", None),
    Key("state", "busy_timeout", "float", 15.0),
    Key("alerts", "to", "list", ()),
    Key("alerts", "no_news", "bool", False),
    Key("schedule", "time", "str", "06:30"),
    Key("schedule", "cron", "str", ""),
)
BY_NAME = {key.dotted: key for key in KEYS}
MAIL_TABLES = ("smtp", "email")  # read by briefing.mail.load_settings
# The flag that sets each setting, for `briefing config show`.
FLAGS = {
    "sources.inbox": "--inbox",
    "output.folder": "--out",
    "output.formats": "--format",
    "report.router": "--router",
    "report.backend": "--backend",
    "report.model": "--model",
    "report.engine": "--engine",
    "report.ray_address": "--ray-address",
    "email.to": "--to",
    "schedule.cron": "--schedule",
}


@dataclass(frozen=True)
class Config:
    """The effective settings of the daily job; every path absolute."""

    path: Path | None
    inbox: Path
    feeds: tuple[str, ...]
    urls: tuple[str, ...]
    title: str
    sections: tuple[str, ...]
    router: str
    embedding_model: str | None
    backend: str
    model: str | None
    engine: str
    ray_address: str | None
    max_words: int
    templates: Path | None
    prompts: Path | None
    output: Path
    formats: tuple[str, ...]
    database: Path
    busy_timeout: float
    alert_to: tuple[str, ...]
    no_news: bool
    schedule_time: str
    schedule_cron: str
    email: EmailSettings
    origins: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)

    @property
    def log_file(self) -> Path:
        return self.output / LOG_NAME

    @property
    def cron_log(self) -> Path:
        return self.output / CRON_LOG_NAME

    @property
    def lock_file(self) -> Path:
        return self.database.with_name(self.database.name + ".lock")

    @property
    def mailing(self) -> bool:
        return bool(self.email.to or self.email.cc or self.email.bcc)

    def origin(self, dotted: str) -> str:
        return self.origins.get(dotted, "default")


# --------------------------------------------------------------------------- finding and reading


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$BRIEFING_CONFIG``, else ``BRIEFING_HOME/briefing.toml``."""
    environ = os.environ if environ is None else environ
    named = environ.get(CONFIG_ENV, "").strip()
    return Path(named).expanduser() if named else user_dir() / CONFIG_NAME


def find_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Path | None:
    """The config file to read: the one given (which must exist), else the default when it exists."""
    if path is not None:
        return Path(os.path.abspath(Path(path).expanduser()))
    default = default_config_path(environ)
    return Path(os.path.abspath(default)) if default.is_file() else None


def read_toml(path: Path) -> dict:
    """A TOML file as a dict; a missing, unreadable or invalid file is a ConfigError naming it."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found", "create one with: briefing init FOLDER") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a folder", f"give {path / CONFIG_NAME}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


# --------------------------------------------------------------------------- loading


def load_config(
    path: Path | None = None,
    *,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    require_file: bool = False,
) -> Config:
    """The effective settings: defaults, then the file, then ``BRIEFING_*`` variables, then ``flags``.

    ``flags`` maps dotted names (``"output.folder"``, ``"email.to"``) to values; None means not given.
    With ``require_file``, a missing default config file is an error (the daily job needs one).
    """
    environ = os.environ if environ is None else environ
    flags = {k: v for k, v in (flags or {}).items() if v is not None and v != () and v != []}
    found = find_config(path, environ)
    if found is None and require_file:
        raise ConfigError(
            f"no config file (looked for {default_config_path(environ)})",
            "create one with: briefing init FOLDER, then pass --config FOLDER/briefing.toml",
        )
    raw = read_toml(found) if found is not None else {}
    origin = str(found) if found is not None else "config"
    base = found.parent if found is not None else user_dir().absolute()
    cwd = Path.cwd()

    known_tables = {key.table for key in KEYS} | set(MAIL_TABLES)
    for table, values in raw.items():
        if table not in known_tables:
            raise ConfigError(f"{origin}: unknown table [{table}]", f"known: {', '.join(sorted(known_tables))}")
        if not isinstance(values, dict):
            raise ConfigError(f"{origin}: [{table}] must be a table")
        if table in MAIL_TABLES:
            continue
        for name in values:
            if f"{table}.{name}" not in BY_NAME:
                names = sorted(k.name for k in KEYS if k.table == table)
                raise ConfigError(f"{origin}: {table}.{name}: unknown setting", f"known: {', '.join(names)}")

    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for key in KEYS:
        value, where = key.default, "default"
        if key.name in raw.get(key.table, {}):
            value = _convert(raw[key.table][key.name], key, f"{origin}: {key.dotted}", base, from_file=True)
            where = "file"
        if environ.get(key.env, "").strip():
            value = _convert(environ[key.env], key, key.env, cwd)
            where = f"env {key.env}"
        if key.dotted in flags:
            value = _convert(flags[key.dotted], key, FLAGS.get(key.dotted, key.dotted), cwd)
            where = f"flag {FLAGS.get(key.dotted, key.dotted)}"
        if key.kind == "path" and isinstance(value, str):  # a default, relative to the file's folder
            value = Path(os.path.abspath(base / value))
        values[key.dotted] = value
        origins[key.dotted] = where

    email = load_settings(raw, environ, base=base, origin=origin)
    for table in MAIL_TABLES:
        for name in raw.get(table, {}):
            origins[f"{table}.{name}"] = "file"
    for name, value in environ.items():
        match = re.fullmatch(r"BRIEFING_(SMTP|EMAIL)_([A-Z_]+)", name)
        if match and value.strip():
            origins[f"{match[1].lower()}.{match[2].lower()}"] = f"env {name}"
    if "email.to" in flags:
        email = dataclasses.replace(email, to=_convert(flags["email.to"], Key("email", "to", "list", ()), "--to", cwd))
        origins["email.to"] = "flag --to"

    _check(values, origin)
    output: Path = values["output.folder"]
    formats = tuple(dict.fromkeys(values["output.formats"]))
    return Config(
        path=found,
        inbox=values["sources.inbox"],
        feeds=values["sources.feeds"],
        urls=values["sources.urls"],
        title=values["report.title"] or "Situation report",
        sections=values["report.sections"],
        router=values["report.router"],
        embedding_model=values["report.embedding_model"] or None,
        backend=values["report.backend"],
        model=values["report.model"] or None,
        engine=values["report.engine"],
        ray_address=values["report.ray_address"] or None,
        max_words=values["report.max_words"],
        templates=values["report.templates"],
        prompts=values["report.prompts"],
        output=output,
        formats=formats,
        database=values["state.database"] or output / DATABASE_NAME,
        busy_timeout=values["state.busy_timeout"],
        alert_to=values["alerts.to"],
        no_news=values["alerts.no_news"],
        schedule_time=values["schedule.time"],
        schedule_cron=values["schedule.cron"],
        email=email,
        origins=origins,
    )


_WANTED = {
    "str": "a string",
    "path": "a path (a string)",
    "list": "a list of strings",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
}


def _convert(value: Any, key: Key, where: str, base: Path, *, from_file: bool = False) -> Any:
    """A raw value (TOML, or a string from the environment) as the key's kind; paths made absolute."""
    from_text = isinstance(value, str) and not from_file
    try:
        if key.kind == "list":
            items = value.split(",") if isinstance(value, str) else list(value)
            if not all(isinstance(item, str) for item in items):
                raise ValueError
            return tuple(item.strip() for item in items if item.strip())
        if key.kind in ("str", "path"):
            if isinstance(value, Path):
                value = str(value)
            if not isinstance(value, str):
                raise ValueError
            value = value.strip()
            if key.kind == "str":
                if key.choices and value not in key.choices:
                    raise ConfigError(f"{where}: unknown value {value!r}", f"choose from {', '.join(key.choices)}")
                return value
            if not value:
                return None
            return Path(os.path.abspath(base / Path(value).expanduser()))
        if key.kind == "bool":
            if isinstance(value, bool):
                return value
            if from_text and value.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if from_text and value.strip().lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError
        if isinstance(value, bool):
            raise ValueError
        return int(value) if key.kind == "int" else float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: cannot read {value!r}", f"write {_WANTED[key.kind]}") from None


def _check(values: Mapping[str, Any], origin: str) -> None:
    from .render import FORMATS

    for fmt in values["output.formats"]:
        if fmt not in FORMATS:
            raise ConfigError(f"{origin}: output.formats: unknown format {fmt!r}", f"choose from {', '.join(FORMATS)}")
    if values["report.max_words"] < 10:
        raise ConfigError(f"{origin}: report.max_words must be at least 10")
    if values["state.busy_timeout"] < 0:
        raise ConfigError(f"{origin}: state.busy_timeout cannot be negative")
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", values["schedule.time"]):
        raise ConfigError(f"{origin}: schedule.time {values['schedule.time']!r} is not a time", "write it as HH:MM")


# --------------------------------------------------------------------------- showing


def mask_url(url: str) -> str:
    """A URL with any password in it replaced by ***."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://[^/@:]*):[^/@]*@", r"\1:***@", url, flags=re.I)


def effective_settings(config: Config, environ: Mapping[str, str] | None = None) -> list[tuple[str, Any, str]]:
    """Every setting as (dotted name, value shown, where it came from); secrets masked."""
    environ = os.environ if environ is None else environ
    rows: list[tuple[str, Any, str]] = [("config", str(config.path) if config.path else "(none)", "")]
    values = {
        "sources.inbox": config.inbox,
        "sources.feeds": [mask_url(u) for u in config.feeds],
        "sources.urls": [mask_url(u) for u in config.urls],
        "report.title": config.title,
        "report.sections": list(config.sections) or "(all)",
        "report.router": config.router,
        "report.embedding_model": config.embedding_model or "(default)",
        "report.backend": config.backend,
        "report.model": config.model or "(default)",
        "report.engine": config.engine,
        "report.ray_address": config.ray_address or "(RAY_ADDRESS, else this machine's cluster, else one per run)",
        "report.max_words": config.max_words,
        "report.templates": config.templates or "(package templates)",
        "report.prompts": config.prompts or "(package sections)",
        "output.folder": config.output,
        "output.formats": list(config.formats),
        "state.database": config.database,
        "state.busy_timeout": config.busy_timeout,
        "alerts.to": list(config.alert_to),
        "alerts.no_news": config.no_news,
        "schedule.time": config.schedule_time,
        "schedule.cron": config.schedule_cron or "(from schedule.time)",
    }
    for dotted, value in values.items():
        rows.append((dotted, value, config.origin(dotted)))
    rows.append(("log", config.log_file, "output.folder"))
    smtp, email = config.email.smtp, config.email
    mail_values = {
        "email.to": list(email.to),
        "email.cc": list(email.cc),
        "email.bcc": list(email.bcc),
        "email.from": email.sender or "(briefing@this host)",
        "email.reply_to": email.reply_to or "",
        "email.subject": email.subject,
        "email.list_unsubscribe": list(email.list_unsubscribe),
        "smtp.host": smtp.host or "(not set)",
        "smtp.port": smtp.effective_port,
        "smtp.security": smtp.security,
        "smtp.username": smtp.username or "",
        "smtp.password_env": smtp.password_env or "",
        "smtp.password_file": smtp.password_file or "",
        "smtp.ca_file": smtp.ca_file or "",
        "smtp.timeout": smtp.timeout,
        "smtp.attempts": smtp.attempts,
        "smtp.backoff": smtp.backoff,
    }
    for dotted, value in mail_values.items():
        rows.append((dotted, value, config.origin(dotted)))
    rows.append(("smtp.password", *_password_shown(config, environ)))
    return rows


def _password_shown(config: Config, environ: Mapping[str, str]) -> tuple[str, str]:
    smtp = config.email.smtp
    if environ.get("BRIEFING_SMTP_PASSWORD"):
        return "***", "env BRIEFING_SMTP_PASSWORD"
    if smtp.password_env and environ.get(smtp.password_env):
        return "***", f"env {smtp.password_env}"
    if smtp.password_file:
        exists = Path(smtp.password_file).is_file()
        return ("***" if exists else "(file missing)"), f"file {smtp.password_file}"
    return ("(not set)" if smtp.username else "(not needed: no username)"), ""


def format_settings(rows: Sequence[tuple[str, Any, str]]) -> str:
    """The rows as aligned ``name = value  # origin`` lines (values in TOML-like notation)."""
    width = max(len(name) for name, _, _ in rows)
    lines = []
    for name, value, where in rows:
        if isinstance(value, Path):
            value = str(value)
        shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, (int, float)) else value
        if isinstance(value, bool):
            shown = "true" if value else "false"
        line = f"{name:<{width}} = {shown}"
        lines.append(f"{line:<{width + 40}}  # {where}" if where else line)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- briefing init

TEMPLATE = string.Template('''\
# briefing.toml: the settings of `briefing daily`, the scheduled job.
#
# Each setting can also come from an environment variable BRIEFING_<TABLE>_<KEY> (for example
# BRIEFING_OUTPUT_FOLDER, BRIEFING_SMTP_HOST; lists comma-separated), and a few from flags of
# `briefing daily`. Flags win over the environment, which wins over this file.
# Relative paths are relative to the folder of this file.
# `briefing config show --config THIS_FILE` prints the effective settings and where each came from.

[sources]
# The folder where articles are dropped: .txt, .md, .html, .json or .jsonl files. Each article is
# reported once (briefing remembers articles by a hash of their text), so files may stay here.
# Copy a file in under a name starting with "." and rename it when complete: hidden files are skipped.
inbox = "inbox"
# RSS/Atom feeds and single web pages to read on every run (feed entries dated before yesterday
# are skipped). A source that is down is a warning in the report's header, not a failure.
feeds = []
urls = []

[report]
title = "Situation report"
# Sections to build (see `briefing sections`); empty means all of them.
sections = []
# How sentences are routed to sections: "auto" (sentence embeddings when that model loads, else
# cue words), "cues" or "embeddings".
router = "auto"
# embedding_model = "all-MiniLM-L6-v2"
# How each section is condensed: "auto" (the local model when it loads, else extractively, and the
# report says so), "seq2seq" (a missing model is an error) or "extractive" (quotes, no model).
backend = "auto"
# A model from models.txt or a local folder; empty for the registry's default.
model = ""
# Where splitting, routing and condensing run: "local" (in the job's process) or "ray" (on a Ray
# cluster; pip install 'briefing[ray]', see docs/scale-out.md). The report is the same.
engine = "local"
# The cluster for engine = "ray": "auto" (the one this machine joined with `ray start`) or the head
# node's "HOST:PORT". Empty: the RAY_ADDRESS variable, else this machine's cluster, else a Ray
# instance started for each run.
ray_address = ""
# Word budget of each section's brief.
max_words = 150
# Folders that override the package's templates and section definitions, file by file.
# templates = "templates"
# prompts = "prompts"

[output]
# Dated reports (2023-03-30-situation-report.md, ...), the job's log (briefing.log) and, unless
# [state] says otherwise, its database go here.
folder = "reports"
# md, html, txt, json. The JSON is always written too: it is what a later run resends.
formats = ["md", "html", "txt", "json"]

[state]
# The SQLite database of articles seen, reports built, mail sent and runs (`briefing history`).
# database = "reports/briefing.db"
# Seconds to wait when another program holds the database.
busy_timeout = 15

[email]
# Who gets the report; with no recipients, reports are built but not mailed.
${to}
# cc = []
# bcc = []
${sender}
# reply_to = "desk@example.org"
# subject = "{{ title }} — {{ date }}: {{ top }}"

[smtp]
${smtp_host}
${smtp_port}
# "starttls" (port 587), "ssl" (465), or "none" for a relay on this machine (port 25).
${smtp_security}
${smtp_username}
# The password is never written here: set BRIEFING_SMTP_PASSWORD in the job's environment, or
# name another variable (password_env), or a file only you can read (password_file).
# password_env = "SMTP_PASSWORD"
# password_file = "smtp-password"
# ca_file = "ca.pem"       # certificates to trust for a server with a private CA
# timeout = 30             # seconds per connection
# attempts = 4             # tries per message, with a back-off that doubles
# backoff = 2

[alerts]
# Where to send a short note when a run fails or degrades (model fallback, feeds down, mail retried).
${alert_to}
# On a day with no new articles, send the report's recipients a short "no new reporting" notice.
no_news = false

[schedule]
# When `briefing cron` and `briefing cron --systemd` run the job: every day at this local time...
time = "06:30"
# ...or a cron expression, which wins over time.
# cron = "30 6 * * 1-5"
''')


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def render_template(
    *,
    to: Sequence[str] = (),
    sender: str | None = None,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    smtp_security: str | None = None,
    smtp_username: str | None = None,
    alert_to: Sequence[str] = (),
) -> str:
    """The commented briefing.toml that ``briefing init`` writes, with any values given filled in."""

    def line(name: str, value: Any, example: str) -> str:
        if value is None or value == () or value == []:
            return f"# {name} = {example}"
        if isinstance(value, int):
            return f"{name} = {value}"
        if isinstance(value, str):
            return f"{name} = {_toml_string(value)}"
        return f"{name} = [{', '.join(_toml_string(v) for v in value)}]"

    return TEMPLATE.substitute(
        to=line("to", tuple(to), "[]") if to else "to = []",
        sender=line("from", sender, '"Briefing <briefing@example.org>"'),
        smtp_host=line("host", smtp_host, '"smtp.example.org"'),
        smtp_port=line("port", smtp_port, "587"),
        smtp_security=line("security", smtp_security, '"starttls"'),
        smtp_username=line("username", smtp_username, '"briefing"'),
        alert_to=line("to", tuple(alert_to), "[]") if alert_to else "to = []",
    )


def init_config(folder: Path | None = None, *, force: bool = False, **values: Any) -> Path:
    """Write a commented briefing.toml and an empty inbox into ``folder`` (default BRIEFING_HOME).

    An existing briefing.toml is kept unless ``force``. ``values`` fill in the email and SMTP
    settings (see :func:`render_template`). Returns the file written.
    """
    from .files import write_atomic

    folder = Path(os.path.abspath(Path(folder).expanduser() if folder is not None else user_dir()))
    path = folder / CONFIG_NAME
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists", "edit it, or pass --force to replace it with a fresh one")
    text = render_template(**values)
    parsed = tomllib.loads(text)  # what we write must read back
    if values.get("smtp_security"):
        security = str(values["smtp_security"]).lower()
        if security not in ("starttls", "ssl", "none"):
            raise ConfigError(f"unknown SMTP security '{security}'", "choose from starttls, ssl, none")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "inbox").mkdir(exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {folder}: {exc.strerror}", "choose another folder") from None
    from .mail import parse_addresses

    load_settings(parsed, {}, base=folder, origin=str(path))  # ports and the like are well-formed
    parse_addresses([*values.get("to", ()), *values.get("alert_to", ())])
    if values.get("sender"):
        parse_addresses([values["sender"]], "sender")
    write_atomic(path, text)
    return path
