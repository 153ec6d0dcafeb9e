"""Email delivery: the report as a plain-text + HTML message, sent over SMTP with retries.

Settings come from the ``[smtp]`` and ``[email]`` tables of a TOML config file, then from
``BRIEFING_SMTP_*`` / ``BRIEFING_EMAIL_*`` environment variables (the environment wins); command-line
flags override both. The SMTP password is never a command-line value: it comes from
``BRIEFING_SMTP_PASSWORD``, from the variable ``password_env`` names, or from ``password_file``.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html.parser
import ipaddress
import logging
import os
import re
import smtplib
import socket
import ssl
import time
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.header import Header
from email.headerregistry import Address, Group
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import __version__
from .errors import ConfigError, DeliveryError
from .files import write_atomic
from .report import Report, read_report  # noqa: F401 - read_report is part of the mail API (briefing send)

log = logging.getLogger(__name__)

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_SUBJECT = "{{ title }} — {{ date }}: {{ top }}"
MAX_SUBJECT = 120
ATTACHABLE = {
    "md": ("text", "markdown"),
    "json": ("application", "json"),
    "html": ("text", "html"),
    "txt": ("text", "plain"),
}
# CRLF line ends, RFC 2047 for non-ASCII headers: what goes on the wire, and into a dry run's .eml.
WIRE = policy.SMTP


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server. ``port`` defaults by ``security``: 587, 465 or 25."""

    host: str | None = None
    port: int | None = None
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False, compare=False)
    password_env: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None
    timeout: float = 30.0
    attempts: int = 4
    backoff: float = 2.0

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS.get(self.security, 25)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.effective_port}"

    def validate(self) -> None:
        """Raise ConfigError for settings that cannot work, before any connection is made."""
        if not self.host:
            raise ConfigError(
                "no SMTP server set", "set host in the [smtp] table of the config file, or BRIEFING_SMTP_HOST"
            )
        if self.security not in SECURITY:
            raise ConfigError(f"unknown SMTP security '{self.security}'", f"choose from {', '.join(SECURITY)}")
        if not 0 < self.effective_port < 65536:
            raise ConfigError(f"SMTP port {self.port} is out of range")
        if self.attempts < 1 or self.timeout <= 0 or self.backoff < 0:
            raise ConfigError("SMTP attempts must be at least 1, timeout above 0 and backoff 0 or more")
        if self.username and self.security == "none" and not _is_loopback(self.host):
            raise ConfigError(
                f"refusing to send the SMTP password to {self.host} without TLS",
                "set security to 'starttls' (port 587) or 'ssl' (port 465)",
            )
        if self.ca_file is not None and not Path(self.ca_file).is_file():
            raise ConfigError(f"CA file {self.ca_file} not found", "set smtp.ca_file to a PEM file of certificates")

    def resolve_password(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The password: explicit value, then the variable ``password_env`` names, then ``password_file``."""
        if not self.username:
            return None
        environ = os.environ if environ is None else environ
        if self.password:
            return self.password
        if self.password_env and environ.get(self.password_env):
            return environ[self.password_env]
        if self.password_file:
            path = Path(self.password_file).expanduser()
            try:
                secret = path.read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise ConfigError(f"cannot read SMTP password file {path}: {exc.strerror}") from None
            if path.stat().st_mode & 0o077:
                log.warning("SMTP password file %s can be read by other users; chmod 600 it", path)
            if secret:
                return secret
        tried = ["BRIEFING_SMTP_PASSWORD"]
        if self.password_env:
            tried.append(f"${self.password_env}")
        if self.password_file:
            tried.append(str(self.password_file))
        raise ConfigError(
            f"SMTP username '{self.username}' is set but no password was found (looked in {', '.join(tried)})",
            "set BRIEFING_SMTP_PASSWORD, or smtp.password_env / smtp.password_file",
        )


@dataclass(frozen=True)
class EmailSettings:
    """Who the message is from and to, its subject template, and the SMTP server to send it through."""

    sender: str | None = None
    reply_to: str | None = None
    list_unsubscribe: tuple[str, ...] = ()
    subject: str = DEFAULT_SUBJECT
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    smtp: SmtpSettings = SmtpSettings()


_SMTP_KEYS: dict[str, type] = {
    "host": str,
    "port": int,
    "security": str,
    "username": str,
    "password_env": str,
    "password_file": Path,
    "ca_file": Path,
    "timeout": float,
    "attempts": int,
    "backoff": float,
}
_EMAIL_KEYS: dict[str, type] = {
    "from": str,
    "reply_to": str,
    "list_unsubscribe": tuple,
    "subject": str,
    "to": tuple,
    "cc": tuple,
    "bcc": tuple,
}
_FIELD = {"from": "sender"}


def load_settings(
    config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    base: Path | None = None,
    origin: str = "config",
) -> EmailSettings:
    """Email settings from a config mapping (its ``[smtp]`` and ``[email]`` tables), then the environment.

    ``base`` is the folder relative paths in the config are resolved against; ``origin`` names the
    config in error messages.
    """
    environ = os.environ if environ is None else environ
    config = config or {}
    smtp: dict[str, Any] = {}
    email: dict[str, Any] = {}
    for table, keys, into in (("smtp", _SMTP_KEYS, smtp), ("email", _EMAIL_KEYS, email)):
        values = config.get(table, {})
        if not isinstance(values, Mapping):
            raise ConfigError(f"{origin}: [{table}] must be a table")
        for key, value in values.items():
            where = f"{origin}: {table}.{key}"
            if table == "smtp" and key == "password":
                raise ConfigError(
                    f"{where}: the SMTP password cannot be written in the config",
                    "use password_env (a variable's name) or password_file",
                )
            if key not in keys:
                raise ConfigError(f"{where}: unknown setting", f"known: {', '.join(sorted(keys))}")
            into[_FIELD.get(key, key)] = _convert(value, keys[key], where, base)
    for table, keys, into in (("SMTP", _SMTP_KEYS, smtp), ("EMAIL", _EMAIL_KEYS, email)):
        for key, kind in keys.items():
            name = f"BRIEFING_{table}_{key.upper()}"
            if environ.get(name, "").strip():
                into[_FIELD.get(key, key)] = _convert(environ[name], kind, name, None)
    if environ.get("BRIEFING_SMTP_PASSWORD"):
        smtp["password"] = environ["BRIEFING_SMTP_PASSWORD"]
    if "security" in smtp:
        smtp["security"] = smtp["security"].strip().lower()
    return EmailSettings(**email, smtp=SmtpSettings(**smtp))


def _convert(value: Any, kind: type, where: str, base: Path | None) -> Any:
    try:
        if kind is tuple:
            items = value.split(",") if isinstance(value, str) else list(value)
            if not all(isinstance(item, str) for item in items):
                raise ValueError
            return tuple(item.strip() for item in items if item.strip())
        if kind is Path:
            if not isinstance(value, str):
                raise ValueError
            path = Path(value).expanduser()
            return base / path if base is not None and not path.is_absolute() else path
        if kind is str:
            if not isinstance(value, str):
                raise ValueError
            return value.strip()
        if isinstance(value, bool):
            raise ValueError
        return kind(value)
    except (TypeError, ValueError):
        wanted = {tuple: "a list of strings", Path: "a path", str: "a string", int: "a whole number"}
        raise ConfigError(f"{where}: cannot read {value!r}", f"write {wanted.get(kind, 'a number')}") from None


def read_config(path: Path | None = None) -> tuple[dict, Path | None]:
    """The TOML config given, else the default briefing.toml when it exists; and the file read.

    The default is ``$BRIEFING_CONFIG``, else ``BRIEFING_HOME/briefing.toml``: the file ``briefing
    init`` writes, whose ``[smtp]`` and ``[email]`` tables the daily job reads too.
    """
    from .config import find_config, read_toml

    found = find_config(path)
    if found is None:
        return {}, None
    return read_toml(found), found


def email_settings(
    config_path: Path | None = None,
    *,
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    subject: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> EmailSettings:
    """Settings from the config file and environment, with recipients and subject from flags on top."""
    config, path = read_config(config_path)
    settings = load_settings(config, environ, base=path.parent if path else None, origin=str(path or "config"))
    flags: dict[str, Any] = {}
    if to or cc or bcc:  # recipients given on the command line replace the configured list
        flags.update(to=tuple(to), cc=tuple(cc), bcc=tuple(bcc))
    if subject is not None:
        flags["subject"] = subject
    return dataclasses.replace(settings, **flags)


# --------------------------------------------------------------------------- the message


_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0xFEFF])


def one_line(text: str) -> str:
    """Text safe for a header: every line break and control character becomes a space, runs collapse."""
    text = str(text).translate(_BIDI)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return " ".join(text.split())


def cap(text: str, limit: int = MAX_SUBJECT) -> str:
    """Shorten to ``limit`` characters at a word boundary, ending with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:—-") + "…"


def subject_line(report: Report, template: str = DEFAULT_SUBJECT, limit: int = MAX_SUBJECT) -> str:
    """The subject from its Jinja template: one line, at most ``limit`` characters.

    Variables: title, date, top (the first key point), key_points, sections (titles), sources (a count).
    """
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    from .condense import NO_DEVELOPMENTS

    points = [one_line(p.statement.text) for p in report.key_points]
    variables = {
        "title": one_line(report.title),
        "date": report.date.isoformat(),
        "top": points[0] if points else NO_DEVELOPMENTS,
        "key_points": points,
        "sections": [one_line(s.title) for s in report.sections],
        "sources": len(report.sources),
    }
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        text = env.from_string(template).render(**variables)
    except jinja2.TemplateError as exc:
        raise ConfigError(
            f"email subject template {template!r}: {exc.message}",
            f"it may use {', '.join(variables)}",
        ) from None
    return cap(one_line(text), limit) or cap(f"{variables['title']} — {variables['date']}", limit)


_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def parse_address(text: str, what: str = "address") -> Address:
    """One address ('ops@example.org' or 'Ops Desk <ops@example.org>'), checked; IDN domains as punycode."""
    raw = str(text)
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in raw):
        raise ConfigError(f"{what} {raw!r} contains a line break or control character")
    raw = raw.strip()
    match = re.fullmatch(r"(.*?)\s*<([^<>]*)>", raw)
    name, spec = (match.group(1).strip().strip('"').strip(), match.group(2).strip()) if match else ("", raw)
    local, at, domain = spec.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii") if domain else ""
    except UnicodeError:
        domain = ""
    labels = domain.split(".")
    if not (at and _LOCAL.fullmatch(local) and domain and all(_LABEL.fullmatch(part) for part in labels)):
        raise ConfigError(f"{what} {raw!r} is not an email address", "write it like ops@example.org")
    return Address(display_name=name, username=local, domain=domain)


def parse_addresses(values: Iterable[str], what: str = "recipient") -> list[Address]:
    """Addresses from values that may each hold several, comma-separated."""
    found = []
    for value in values:
        for part in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", value):
            if part.strip():
                found.append(parse_address(part, what))
    return found


def default_sender() -> Address:
    host = socket.gethostname().lower()
    try:
        return parse_address(f"briefing@{host}")
    except ConfigError:
        return Address(username="briefing", domain="localhost")


@dataclass(frozen=True)
class Outgoing:
    """A composed message and its envelope: who it is from, and every address it goes to (Bcc too)."""

    message: EmailMessage
    sender: str
    recipients: tuple[str, ...]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def as_bytes(self) -> bytes:
        """The exact bytes sent to the server (and written by a dry run)."""
        return self.message.as_bytes(policy=WIRE)


def compose(
    report: Report,
    settings: EmailSettings,
    *,
    templates_dir: Path | None = None,
    attach: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Outgoing:
    """The report as a message: text and inlined-CSS HTML alternatives, plus any attachments."""
    from .render import output_paths, render

    to = parse_addresses(settings.to, "recipient")
    cc = parse_addresses(settings.cc, "cc recipient")
    bcc = parse_addresses(settings.bcc, "bcc recipient")
    if not (to or cc or bcc):
        raise ConfigError("no recipients", "give --to (or --email-to), or set to in the [email] table")
    sender = parse_address(settings.sender, "sender") if settings.sender else default_sender()
    for fmt in attach:
        if fmt not in ATTACHABLE:
            raise ConfigError(f"cannot attach '{fmt}'", f"choose from {', '.join(ATTACHABLE)}")

    text = render(report, "txt", templates_dir)
    page = inline_css(render(report, "html", templates_dir))
    check_self_contained(page)

    message = EmailMessage(policy=policy.default)
    message["From"] = sender
    message["To"] = to if to else Group("undisclosed-recipients")
    if cc:
        message["Cc"] = cc
    if settings.reply_to:
        message["Reply-To"] = parse_addresses([settings.reply_to], "reply-to address")
    subject = subject_line(report, settings.subject)
    if subject.isascii():
        message["Subject"] = subject
    else:  # whole encoded words: the email package's own folding can double a space here
        message.set_raw("Subject", Header(subject, "utf-8", maxlinelen=74, header_name="Subject").encode(linesep="\n"))
    message["Date"] = format_datetime((now or dt.datetime.now(dt.timezone.utc)).astimezone())
    message["Message-ID"] = make_msgid("briefing", domain=sender.domain)
    if settings.list_unsubscribe:
        message["List-Unsubscribe"] = list_unsubscribe(settings.list_unsubscribe)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Mailer"] = f"briefing {__version__}"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(page, subtype="html", charset="utf-8", cte="quoted-printable")
    names = output_paths(Path("report/"), list(attach), report.date, report.title)
    for fmt in dict.fromkeys(attach):
        maintype, subtype = ATTACHABLE[fmt]
        data = render(report, fmt, templates_dir).encode("utf-8")
        params = {"charset": "utf-8"} if maintype == "text" else {}
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=names[fmt].name, params=params)

    envelope = [a.addr_spec for a in (*to, *cc, *bcc)]
    return Outgoing(message, sender.addr_spec, tuple(dict.fromkeys(envelope)))


def list_unsubscribe(uris: Sequence[str]) -> str:
    """The List-Unsubscribe value (RFC 2369): each mailto: or https: URI in angle brackets."""
    checked = []
    for uri in uris:
        uri = uri.strip().removeprefix("<").removesuffix(">")
        if not re.fullmatch(r"(mailto:|https://)[^\s<>\"]+", uri) or not uri.isascii():
            raise ConfigError(
                f"email.list_unsubscribe: cannot use {uri!r}", "give mailto: or https:// addresses, without spaces"
            )
        checked.append(f"<{uri}>")
    return ", ".join(checked)


def inline_css(page: str) -> str:
    """Move the stylesheet into style attributes, which Gmail and Outlook keep; @media rules stay."""
    import css_inline

    try:
        return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False).inline(page)
    except (css_inline.InlineError, ValueError) as exc:
        raise ConfigError(f"cannot inline the HTML report's CSS: {exc}", "check the HTML template") from None


class _Resources(html.parser.HTMLParser):
    """Collects what a mail client would block or fetch: scripts, frames, external files."""

    BLOCKED = {"script", "iframe", "object", "embed", "frame", "applet", "base"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self.BLOCKED:
            self.found.append(f"<{tag}>")
        if tag == "link" and "stylesheet" in (values.get("rel") or "").lower():
            self.found.append(f"<link href={values.get('href')!r}>")
        for name in ("src", "srcset", "background", "poster"):
            value = (values.get(name) or "").strip()
            if value and not value.lower().startswith(("data:", "cid:")):
                self.found.append(f"<{tag} {name}={value!r}>")
        if any(name.lower().startswith("on") for name in values):
            self.found.append(f"<{tag}> event handler")
        if re.search(r"url\(\s*['\"]?\s*(https?:)?//", values.get("style") or "", re.I):
            self.found.append(f"<{tag}> style url()")

    def handle_data(self, data: str) -> None:
        if self.lasttag == "style" and re.search(r"(url\(\s*['\"]?\s*(https?:)?//|@import)", data, re.I):
            self.found.append("<style> url() or @import")


def check_self_contained(page: str) -> None:
    """Refuse HTML that needs scripts or external resources: mail clients block them."""
    parser = _Resources()
    parser.feed(page)
    parser.close()
    if parser.found:
        raise ConfigError(
            f"the HTML report is not self-contained: {', '.join(dict.fromkeys(parser.found))}",
            "mail clients block scripts and remote files; keep the HTML template's styles inline and drop them",
        )


# --------------------------------------------------------------------------- sending


class SendError(DeliveryError):
    """The server could not be reached or did not take the message for every recipient."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        attempts: int = 1,
        delivered: Sequence[str] = (),
        refused: Mapping[str, str] | None = None,
    ):
        super().__init__(message, hint)
        self.attempts = attempts
        self.delivered = tuple(delivered)
        self.refused = dict(refused or {})


@dataclass(frozen=True)
class Delivery:
    """What happened to a message: where it went, or where its dry-run copy was written."""

    message_id: str
    recipients: tuple[str, ...]
    server: str | None = None
    attempts: int = 0
    eml: Path | None = None

    def summary(self) -> str:
        count = f"{len(self.recipients)} recipient{'s' if len(self.recipients) != 1 else ''}"
        if self.eml is not None:
            return f"dry run: wrote {self.eml} for {count} ({', '.join(self.recipients)}); nothing was sent"
        return f"sent {self.message_id} to {count} through {self.server}"


@dataclass(frozen=True)
class _Failure:
    transient: bool
    message: str
    hint: str | None = None


def tls_context(smtp: SmtpSettings) -> ssl.SSLContext:
    """Certificate and host name checks on; the system's CAs, plus ``ca_file`` when set."""
    context = ssl.create_default_context()
    if smtp.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(smtp.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"cannot load CA file {smtp.ca_file}: {exc}", "give a PEM file of certificates") from None
    return context


def send(
    outgoing: Outgoing,
    smtp: SmtpSettings,
    *,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Hand the message to the server; retry transient failures with back-off, fail at once on permanent ones."""
    smtp.validate()
    password = smtp.resolve_password(environ)
    redact = _redactor(smtp.username, password)
    context = tls_context(smtp) if smtp.security != "none" else None
    data = outgoing.as_bytes()
    pending = list(outgoing.recipients)
    delivered: list[str] = []
    refused: dict[str, str] = {}
    started = time.monotonic()
    failure: _Failure | None = None
    attempt = 0
    for attempt in range(1, smtp.attempts + 1):
        log.info("connecting to %s (%s), attempt %d of %d", smtp.address, smtp.security, attempt, smtp.attempts)
        try:
            rejected = _deliver_once(smtp, context, password, outgoing.sender, pending, data)
            failure = None
        except smtplib.SMTPRecipientsRefused as exc:  # every pending recipient was refused
            rejected = exc.recipients
            failure = None
        except Exception as exc:  # noqa: BLE001 - sorted below; anything unknown is re-raised
            failure = _classify(exc, smtp)
            if failure is None:
                raise
            failure = _Failure(failure.transient, redact(failure.message), failure.hint)
            rejected = None
        if rejected is not None:
            delivered += [r for r in pending if r not in rejected]
            later = []
            for address, (code, reply) in rejected.items():
                if 400 <= code < 500:
                    later.append(address)
                else:
                    refused[address] = redact(f"{code} {_text(reply)}")
            if delivered and later:
                log.info("delivered to %d recipient(s); %d deferred", len(delivered), len(later))
            pending = later
            if not pending:
                break
            failure = _Failure(
                True,
                f"SMTP server {smtp.address} deferred recipient(s) "
                + ", ".join(f"{a} ({rejected[a][0]} {_text(rejected[a][1])})" for a in later),
                f"it was delivered to {', '.join(delivered)}" if delivered else None,
            )
            if refused:  # a permanent refusal ends the run; no point retrying the rest
                break
        if failure is not None and not failure.transient:
            break
        if attempt < smtp.attempts:
            delay = smtp.backoff * 2 ** (attempt - 1)
            log.info("%s; retrying in %.1fs (attempt %d of %d)", failure.message, delay, attempt + 1, smtp.attempts)
            sleep(delay)
    if refused:
        hint = (
            f"the message was delivered to {', '.join(delivered)}; fix or remove the refused address"
            if delivered
            else "check the address; nothing was delivered"
        )
        listed = ", ".join(f"{address} ({reply})" for address, reply in refused.items())
        raise SendError(
            f"SMTP server {smtp.address} refused recipient(s) {listed}",
            hint,
            attempts=attempt,
            delivered=delivered,
            refused=refused,
        )
    if pending:
        assert failure is not None
        message = failure.message
        if failure.transient:
            elapsed = time.monotonic() - started
            message += f"; gave up after {attempt} attempt{'s' if attempt != 1 else ''} over {elapsed:.1f}s"
        raise SendError(message, failure.hint, attempts=attempt, delivered=delivered)
    log.info("sent %s to %d recipient(s) through %s", outgoing.message_id, len(delivered), smtp.address)
    return Delivery(outgoing.message_id, tuple(delivered), smtp.address, attempt)


def _deliver_once(
    smtp: SmtpSettings,
    context: ssl.SSLContext | None,
    password: str | None,
    sender: str,
    recipients: Sequence[str],
    data: bytes,
) -> dict[str, tuple[int, bytes]]:
    """One session: connect, TLS, login, send. Returns the recipients the server refused."""
    client: smtplib.SMTP | None = None
    try:
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.effective_port, timeout=smtp.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.effective_port, timeout=smtp.timeout)
        client.ehlo_or_helo_if_needed()
        if smtp.security == "starttls":
            if not client.has_extn("starttls"):
                raise _NoStartTLS()
            client.starttls(context=context)
            client.ehlo()
        if smtp.username:
            _login(client, smtp.username, password or "")
        refused = client.sendmail(sender, list(recipients), data)
    except BaseException:
        if client is not None:
            client.close()
        raise
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):  # the message is already accepted
        client.close()
    return refused


class _NoStartTLS(Exception):
    pass


def _login(client: smtplib.SMTP, username: str, password: str) -> None:
    """SMTP AUTH with UTF-8 credentials (RFC 4616); smtplib's own login accepts ASCII only."""
    offered = client.esmtp_features.get("auth", "").upper().split()
    if (username + password).isascii():
        client.login(username, password)
        return
    if not {"PLAIN", "LOGIN"} & set(offered):
        raise smtplib.SMTPNotSupportedError("no AUTH PLAIN or LOGIN offered, which a non-ASCII password needs")

    def b64(text: str) -> str:
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    if "PLAIN" in offered:
        code, reply = client.docmd("AUTH", "PLAIN " + b64(f"\0{username}\0{password}"))
    else:
        code, reply = client.docmd("AUTH", "LOGIN " + b64(username))
        if code == 334:
            code, reply = client.docmd(b64(password))
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, reply)


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return cap(one_line(text), 160)


def _classify(exc: BaseException, smtp: SmtpSettings) -> _Failure | None:
    """Sort a failure into transient (worth retrying) or permanent, with a message for the user."""
    where = smtp.address
    if isinstance(exc, _NoStartTLS):
        return _Failure(
            False,
            f"SMTP server {where} does not offer STARTTLS",
            "use security 'ssl' for port 465, or 'none' only for a relay on this machine",
        )
    if isinstance(exc, smtplib.SMTPResponseException) and 400 <= exc.smtp_code < 500:
        return _Failure(True, f"SMTP server {where} is busy or deferring: {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _Failure(
            False,
            f"SMTP server {where} rejected the login for user '{smtp.username}': "
            f"{exc.smtp_code} {_text(exc.smtp_error)}",
            "check the SMTP username and password",
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _Failure(
            False,
            f"SMTP server {where} refused the sender {exc.sender}: {exc.smtp_code} {_text(exc.smtp_error)}",
            "set from in the [email] table (or BRIEFING_EMAIL_FROM) to an address this server accepts",
        )
    if isinstance(exc, smtplib.SMTPDataError):
        return _Failure(
            False,
            f"SMTP server {where} did not accept the message: {exc.smtp_code} {_text(exc.smtp_error)}",
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return _Failure(
            exc.smtp_code == -1,
            f"SMTP server {where} answered {exc.smtp_code} {_text(exc.smtp_error)}",
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        hint = "the server offers no login on this connection; check security and username" if smtp.username else None
        return _Failure(False, f"SMTP server {where}: {_text(str(exc))}", hint)
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, TimeoutError):
        exc = exc.__context__  # smtplib reports a read that timed out as a disconnection
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return _Failure(True, f"SMTP server {where} closed the connection unexpectedly")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _Failure(
            False,
            f"cannot verify the TLS certificate of SMTP server {where}: {exc.verify_message}",
            "if the server uses a private CA, set ca_file in the [smtp] table (or BRIEFING_SMTP_CA_FILE)",
        )
    if isinstance(exc, ssl.SSLError):
        return _Failure(
            False,
            f"TLS with SMTP server {where} failed: {exc.reason or exc}",
            "security 'ssl' is for port 465, 'starttls' for 587",
        )
    if isinstance(exc, socket.gaierror):
        return _Failure(
            exc.errno == socket.EAI_AGAIN,
            f"SMTP server {where} unreachable: cannot resolve '{smtp.host}' ({exc.strerror})",
            "check host in the [smtp] table or BRIEFING_SMTP_HOST",
        )
    if isinstance(exc, TimeoutError):
        return _Failure(
            True,
            f"SMTP server {where} unreachable: no answer within {smtp.timeout:g}s",
            "check host, port and security (port 465 takes 'ssl', 587 'starttls')",
        )
    if isinstance(exc, ConnectionRefusedError):
        return _Failure(
            True,
            f"SMTP server {where} unreachable: connection refused",
            "is the server running? check host and port in the [smtp] table or BRIEFING_SMTP_HOST/PORT",
        )
    if isinstance(exc, OSError):
        return _Failure(True, f"SMTP server {where} unreachable: {exc.strerror or exc}")
    return None


def _redactor(username: str | None, password: str | None) -> Callable[[str], str]:
    """Scrubs the password, and its AUTH PLAIN / LOGIN encodings, from text meant for users."""
    if not password:
        return lambda text: text
    user = username or ""
    secrets = {
        password,
        base64.b64encode(password.encode()).decode(),
        base64.b64encode(f"\0{user}\0{password}".encode()).decode(),
    }

    def redact(text: str) -> str:
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    return redact


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------- one call for the CLI


def write_eml(outgoing: Outgoing, path: Path) -> Path:
    """A dry run: the exact bytes that would be sent, as an .eml file."""
    return write_atomic(Path(path), outgoing.as_bytes())


def deliver(
    report: Report,
    settings: EmailSettings,
    *,
    templates_dir: Path | None = None,
    attach: Sequence[str] = (),
    dry_run: Path | None = None,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Compose the report's message and send it; with ``dry_run`` (a path), write it there instead."""
    if dry_run is None:
        settings.smtp.validate()  # a missing server fails before any rendering
    outgoing = compose(report, settings, templates_dir=templates_dir, attach=attach)
    if dry_run is not None:
        path = write_eml(outgoing, dry_run)
        return Delivery(outgoing.message_id, outgoing.recipients, eml=path)
    return send(outgoing, settings.smtp, environ=environ, sleep=sleep)
