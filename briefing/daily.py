"""The daily job: new articles in, the day's report built, written and mailed once, every step recorded.

    from briefing.config import load_config
    from briefing.daily import run_daily
    outcome = run_daily(load_config(Path("/srv/briefing/briefing.toml")))

One run, under an exclusive lock on a file beside the state database (a second run exits at once):

1. Runs and sends left unfinished by a killed process are marked interrupted; this run finishes
   their work.
2. Articles are collected from the inbox, the feeds and the web pages of ``[sources]``; a source
   that is down is a warning, not a failure. An article whose content hash an earlier report
   carried is not new.
3. With new articles (or ``force``), the day's report is built from every article of the day,
   rendered, and written atomically to dated files in the output folder. Only then are the new
   articles recorded as seen, in one transaction with the report: a run killed before that commit
   leaves them unseen, so the next run builds the report again. A half-written report never exists
   (files are renamed into place), and left-over temporary files are removed by the next run.
4. The day's latest report goes to every recipient that does not have it yet. A later run the same
   day with new articles rebuilds the report and mails the new edition; one with nothing new
   sends nothing, and ``force`` rebuilds and resends.
5. A day with no report can send a short "no new reporting" notice (``alerts.no_news``), once. A
   run that fails or degrades mails a short alert to ``alerts.to``, once per day and problem.

Delivery is at-least-once. Before a message goes to the server, a "sending" row with its
Message-ID is committed; when the server answers, the row records who accepted it and only then is
the message "sent". A process killed between the server's acceptance and that commit (a window of
milliseconds) leaves a "sending" row whose fate is unknown, and the next run sends the message
again, with the same Message-ID, which most mail clients and list servers use to fold duplicates.
At-most-once (treat an unknown fate as sent) would instead lose the day's report whenever the
process dies mid-send, including every time it is killed while the server is slow to answer; for
a situation report that readers act on, a rare duplicate costs less than a silently missing day.
Recipients the server refused permanently are not retried; deferred or unreachable ones are
retried by the next run.

The report's header carries what degraded while it was built (model or router fallback, feeds not
read, unreadable inbox files). What happens after it is sent (mail retried or failed) is recorded
in the run (``briefing history``), the log and the alert.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import glob
import hashlib
import json
import logging
import os
import socket
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

from .articles import Article, files_in_folder, read_path
from .config import Config
from .errors import BriefingError, DeliveryError, InputError
from .store import JobLock, ReportRow, RunRow, Store

log = logging.getLogger(__name__)

EXIT_DONE = 0
EXIT_FAILED = 1
EXIT_NOTHING_NEW = 10
EXIT_PARTIAL = 11
EXIT_BUSY = 12

EXIT_CODES = (
    (EXIT_DONE, "done: report built and mailed (or nobody to mail), maybe degraded"),
    (EXIT_NOTHING_NEW, "nothing new: no new articles, nothing left to send"),
    (EXIT_PARTIAL, "partial: report built, not mailed to everyone (retried next run)"),
    (EXIT_BUSY, "busy: another run holds the lock; this one did nothing"),
    (1, "failure: unexpected error (see briefing.log)"),
    (2, "failure: unreadable input"),
    (3, "failure: bad configuration"),
    (4, "failure: the model cannot be loaded (backend seq2seq)"),
    (5, "failure: the report cannot be written"),
    (6, "failure: state database damaged, locked or not writable"),
)
LOG_BYTES = 1_000_000
LOG_BACKUPS = 5


@dataclass(frozen=True)
class Problem:
    """Something that degraded or failed: its kind (feeds, inbox, model, mail, state, failure:...) and what."""

    kind: str
    message: str


@dataclass
class Outcome:
    """What a run did: its status (done, degraded, nothing-new, partial, failed, busy) and exit code."""

    status: str
    exit_code: int
    message: str
    day: dt.date
    files: list[Path] = field(default_factory=list)
    sent_to: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    run_id: int | None = None


# --------------------------------------------------------------------------- collecting


def collect_inbox(config: Config) -> tuple[list[Article], list[str]]:
    """Every article in the inbox folder (hidden files skipped), and a warning for each file that cannot be read."""
    inbox = config.inbox
    if not inbox.is_dir():
        return [], [f"the inbox folder {inbox} does not exist; create it or fix sources.inbox"]
    warnings: list[str] = []
    articles: list[Article] = []
    try:
        files = files_in_folder(inbox)
    except InputError as error:
        return [], [str(error)]
    for path in files:
        try:
            articles.extend(read_path(path))
        except InputError as error:
            warnings.append(f"skipped an inbox file: {error.message}")
    return articles, warnings


def collect_feed_articles(config: Config) -> tuple[list[Article], list[str]]:
    """Articles from ``sources.feeds`` and ``sources.urls``, and a warning for each source that failed.

    Fetched by :mod:`briefing.fetch` (time limits, size cap, retries); feed entries dated before
    yesterday are not downloaded.
    """
    if not (config.feeds or config.urls):
        return [], []
    from .fetch import read_web
    from .window import daily_window

    got = read_web(config.feeds, config.urls, window=daily_window())
    return got.articles, got.warnings


# --------------------------------------------------------------------------- the run


def run_daily(
    config: Config,
    *,
    force: bool = False,
    day: dt.date | None = None,
    stderr: bool = True,
    quiet: bool = False,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Run the daily job once. Logs to ``briefing.log`` in the output folder and (unless not ``stderr``)
    to stderr. Returns the outcome; a failure is recorded, alerted, then raised as a BriefingError."""
    day = day or dt.date.today()
    try:
        config.output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DeliveryError(
            f"cannot create the output folder {config.output}: {exc.strerror}", "check output.folder and its permissions"
        ) from None
    with job_logging(config.log_file, stderr=stderr, quiet=quiet):
        lock = JobLock(config.lock_file)
        try:
            if not lock.acquire():
                message = (
                    f"another briefing daily run is in progress ({lock.holder or 'holder unknown'}); "
                    "this run exits without doing anything"
                )
                log.warning(message)
                return Outcome("busy", EXIT_BUSY, message, day)
            try:
                store = Store.open(config.database, config.busy_timeout)
            except BriefingError as error:
                log.error("%s", error, extra={"file_only": True})
                _Job(config, None, day, force=force, environ=environ, sleep=sleep).alert(
                    "failed", [Problem(f"failure:{type(error).__name__}", str(error))]
                )
                raise
            try:
                return _Job(config, store, day, force=force, environ=environ, sleep=sleep).run()
            finally:
                store.close()
        finally:
            lock.release()


class _Job:
    def __init__(self, config: Config, store: Store | None, day: dt.date, *, force: bool,
                 environ: Mapping[str, str] | None, sleep: Callable[[float], None]):
        self.config = config
        self.store = store
        self.day = day
        self.force = force
        self.environ = environ
        self.sleep = sleep
        self.problems: list[Problem] = []
        self.files: list[Path] = []
        self.sent_to: list[str] = []
        self.run_id = 0
        self.report_id: int | None = None
        self.new_count = 0

    def warn(self, kind: str, message: str) -> None:
        log.warning("%s", message)
        self.problems.append(Problem(kind, message))

    # ----------------------------------------------------------------------- steps

    def run(self) -> Outcome:
        assert self.store is not None
        if self.store.interrupt_stale_runs():
            log.warning("an earlier run was interrupted; this run finishes its work")
        self.run_id = self.store.start_run(self.day, forced=self.force)
        log.info("run %d for %s started (pid %d)", self.run_id, self.day, os.getpid())
        try:
            status, code, message = self._steps()
        except BaseException as error:
            if isinstance(error, BriefingError):
                log.error("failed: %s", error, extra={"file_only": True})
                code = error.exit_code
            elif isinstance(error, Exception):
                log.exception("failed: unexpected error", extra={"file_only": True})
                code = EXIT_FAILED
            else:  # KeyboardInterrupt, SystemExit: the run stays 'running', marked interrupted next time
                raise
            self.problems.append(Problem(f"failure:{type(error).__name__}", str(error)))
            try:
                self.alert("failed")
                self._finish("failed", code, str(error))
            except BriefingError as also:  # the state itself may be what broke
                log.error("could not record the failure: %s", also, extra={"file_only": True})
            raise
        if self.problems and status == "done":
            status = "degraded"
        self.alert(status)
        self._finish(status, code, message)
        log.info("%s (exit %d): %s", status, code, message)
        return Outcome(status, code, message, self.day, self.files, self.sent_to, self.problems, self.run_id)

    def _finish(self, status: str, code: int, message: str) -> None:
        assert self.store is not None
        self.store.finish_run(
            self.run_id, status=status, exit_code=code, articles_new=self.new_count, report_id=self.report_id,
            warnings=[(p.kind, p.message) for p in self.problems], message=message,
        )

    def _steps(self) -> tuple[str, int, str]:
        assert self.store is not None
        self._clean_temp_files()
        articles = self._collect()
        seen = self.store.seen(a.id for a in articles)
        new = [a for a in articles if a.id not in seen]
        self.new_count = len(new)
        log.info("%d article(s) collected, %d new", len(articles), len(new))
        latest = self.store.latest_report(self.day)
        report = None
        if new or self.force:
            fresh = {a.id for a in new}
            day_articles = [a for a in self.store.day_articles(self.day) if a.id not in fresh] + new
            if day_articles:
                latest, report = self._build(day_articles, new, latest)
        if latest is None:
            return self._no_news()
        self.report_id = latest.id
        sent = self._deliver_report(latest, report)
        where = latest.json_path.with_suffix("")
        files = f"{where}.{{{','.join(p.suffix.lstrip('.') for p in map(Path, latest.files))}}}"
        if sent == "failed":
            return "partial", EXIT_PARTIAL, f"the report {files} is built but was not mailed to everyone"
        if report is not None or sent == "sent":
            mailed = f"mailed to {', '.join(self.sent_to)}" if self.sent_to else (
                "no recipients configured" if sent == "not-configured" else "already mailed")
            built = f"built {files}" if report is not None else f"sent the report built earlier, {files}"
            return "done", EXIT_DONE, f"{built}; {mailed}"
        done = "it was mailed before" if sent == "already" else "no recipients configured"
        return "nothing-new", EXIT_NOTHING_NEW, f"no new articles since the day's report ({done})"

    def _collect(self) -> list[Article]:
        articles, warnings = collect_inbox(self.config)
        for warning in warnings:
            self.warn("inbox", warning)
        fetched, warnings = collect_feed_articles(self.config)
        for warning in warnings:
            self.warn("feeds", warning)
        unique: dict[str, Article] = {}
        for article in [*articles, *fetched]:
            unique.setdefault(article.id, article)
        return list(unique.values())

    def _clean_temp_files(self) -> None:
        """Temporary files a killed run left beside the day's report files."""
        from .files import TEMP_SUFFIX
        from .render import FORMATS, output_paths

        for path in output_paths(self.config.output, list(FORMATS), self.day, self.config.title).values():
            for tmp in path.parent.glob(f".{glob.escape(path.name)}.*{TEMP_SUFFIX}"):
                log.info("removing %s, left by an interrupted run", tmp)
                tmp.unlink(missing_ok=True)

    def _build(self, day_articles: list[Article], new: list[Article], previous: ReportRow | None):
        """Build, write and record the day's report; returns its row and the report."""
        from .changes import resolve_previous
        from .engine import make_engine
        from .render import write_reports
        from .report import Options, build_report, report_to_dict

        assert self.store is not None
        config = self.config
        options = Options(
            title=config.title,
            date=self.day,
            sections=config.sections or None,
            router=config.router,
            embedding_model=config.embedding_model,
            backend=config.backend,
            model=config.model,
            max_words=config.max_words,
            prompts_dir=config.prompts,
        )
        log.info("building the report for %s from %d article(s), %d new", self.day, len(day_articles), len(new))
        # Like `generate --out`: sections say what is new since the last report of an earlier day.
        before = resolve_previous(None, config.output, self.day, notify=lambda message: log.info("%s", message))
        shown = [p.message[:1].upper() + p.message[1:] for p in self.problems if p.kind in ("feeds", "inbox")]
        with make_engine(config.engine, config.ray_address if config.engine == "ray" else None) as engine:
            report = build_report(
                day_articles, options, notify=lambda notice: self.warn("model", notice), previous=before,
                warnings=list(dict.fromkeys(shown)), engine=engine,
            )
        if previous is not None:
            built = dt.datetime.fromisoformat(previous.built_at).astimezone().strftime("%H:%M")
            report.notices.append(
                f"Updated edition: {len(new)} new article{'s' if len(new) != 1 else ''} since the report built at "
                f"{built}" if new else f"Rebuilt on request (the report built at {built} is replaced)"
            )
        data = report_to_dict(report)
        for volatile in ("generated_at", "timings", "notices"):
            data.pop(volatile, None)
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        formats = list(dict.fromkeys([*config.formats, "json"]))
        log.info("rendering %s into %s", ", ".join(formats), config.output)
        written = write_reports(report, formats, config.output, config.templates)
        self.files = [p for p, fmt in zip(written, formats) if fmt in config.formats]
        json_path = written[formats.index("json")]
        report_id = self.store.record_report(
            self.run_id,
            self.day,
            new_articles=new,
            article_ids=[a.id for a in day_articles],
            sections=[b.section.key for b in report.briefs if b.statements],
            section_count=len(report.briefs),
            methods=sorted({b.method for b in report.briefs}),
            router=report.router,
            files=written,
            json_path=json_path,
            digest=digest,
        )
        for path in written:
            log.info("wrote %s", path)
        row = self.store.latest_report(self.day)
        assert row is not None and row.id == report_id
        return row, report

    # ----------------------------------------------------------------------- mail

    def _deliver_report(self, row: ReportRow, report) -> str:
        """'sent', 'already' (everyone has it), 'not-configured' (no recipients) or 'failed'."""
        from .mail import compose
        from .report import read_report

        if not self.config.mailing:
            log.info("no recipients in [email]: the report is not mailed")
            return "not-configured"
        if report is None:
            try:
                report = read_report(row.json_path)
            except InputError as error:
                self.warn("state", f"the report built earlier cannot be read back ({error.message}); building it again")
                assert self.store is not None
                row, report = self._build(self.store.day_articles(self.day), [], None)
                self.report_id = row.id
        outgoing = compose(report, self.config.email, templates_dir=self.config.templates)
        return self._send_once("report", outgoing, report_id=row.id)

    def _send_once(self, kind: str, outgoing, *, report_id: int | None = None, topic: str | None = None,
                   smtp=None) -> str:
        """Send to whoever does not have this message yet, recording the intent first and the answer after."""
        from .mail import Outgoing, SendError, send

        assert self.store is not None
        state = self.store.delivery_state(report_id=report_id, kind=kind, day=self.day, topic=topic)
        if state.message_id:  # the same message as before: the same Message-ID, so duplicates fold
            outgoing.message.replace_header("Message-ID", state.message_id)
        remaining = tuple(r for r in outgoing.recipients if r not in state.delivered and r not in state.refused)
        if not remaining:
            log.info("the %s mail for %s was already sent to everyone", kind, self.day)
            return "already"
        if state.interrupted:
            self.warn("mail", f"an earlier run was stopped while sending the {kind} mail; sending it again with the "
                              "same Message-ID, so a recipient may see it twice")
        outgoing = Outgoing(outgoing.message, outgoing.sender, remaining)
        smtp = smtp or self.config.email.smtp
        delivery_id = self.store.begin_delivery(self.run_id, kind, self.day, outgoing.message_id, remaining,
                                                report_id=report_id, topic=topic)
        try:
            delivery = send(outgoing, smtp, environ=self.environ, sleep=self.sleep)
        except SendError as error:
            self.store.end_delivery(delivery_id, "partial" if error.delivered else "failed",
                                    delivered=error.delivered, refused=error.refused, attempts=error.attempts,
                                    error=str(error))
            self.sent_to += [a for a in error.delivered if a not in self.sent_to]
            if kind != "alert":
                self.warn("mail", f"the {kind} mail was not sent to everyone: {error}")
            else:
                log.error("the alert could not be sent: %s", error)
            return "failed"
        except BriefingError as error:  # settings that cannot work: nothing reached the server
            self.store.end_delivery(delivery_id, "failed", error=str(error))
            raise
        self.store.end_delivery(delivery_id, "sent", delivered=delivery.recipients, attempts=delivery.attempts)
        if kind != "alert":
            self.sent_to += [a for a in delivery.recipients if a not in self.sent_to]
        log.info("sent the %s mail %s to %s", kind, delivery.message_id, ", ".join(delivery.recipients))
        if delivery.attempts > 1:
            self.warn("mail", f"the {kind} mail went through only on attempt {delivery.attempts}")
        return "sent"

    def _no_news(self) -> tuple[str, int, str]:
        message = "no new articles and no report for the day"
        if not (self.config.no_news and self.config.mailing):
            return "nothing-new", EXIT_NOTHING_NEW, message
        outgoing = notice_message(self.config, self.day, self.problems)
        result = self._send_once("no-news", outgoing)
        if result == "failed":
            return "partial", EXIT_PARTIAL, f"{message}; the 'no new reporting' notice could not be sent"
        if result == "sent":
            message += "; sent the 'no new reporting' notice"
        return "nothing-new", EXIT_NOTHING_NEW, message

    def alert(self, status: str, problems: Sequence[Problem] | None = None) -> None:
        """Mail ``alerts.to`` a short note on what went wrong, once per day and kind of problem."""
        from .mail import SmtpSettings

        problems = list(self.problems if problems is None else problems)
        if not self.config.alert_to or not problems:
            return
        topic = ",".join(sorted({p.kind for p in problems}))
        smtp: SmtpSettings = self.config.email.smtp
        smtp = dataclasses.replace(smtp, attempts=min(smtp.attempts, 2))
        try:
            outgoing = alert_message(self.config, self.day, status, problems, self.files)
            if self.store is None:  # no state to record it in: send it as it is
                from .mail import send

                send(outgoing, smtp, environ=self.environ, sleep=self.sleep)
                log.info("sent an alert to %s", ", ".join(outgoing.recipients))
            elif self._send_once("alert", outgoing, topic=topic, smtp=smtp) == "failed":
                self.problems.append(Problem("alert", "the alert could not be sent"))
        except BriefingError as error:
            log.error("the alert to %s could not be sent: %s", ", ".join(self.config.alert_to), error)
            if self.store is not None:
                self.problems.append(Problem("alert", f"the alert could not be sent: {error}"))


# --------------------------------------------------------------------------- short messages


def _short_message(config: Config, to: Sequence[str], cc: Sequence[str], bcc: Sequence[str], subject: str,
                   body: str, what: str):
    from .mail import Outgoing, cap, default_sender, one_line, parse_address, parse_addresses

    sender = parse_address(config.email.sender, "sender") if config.email.sender else default_sender()
    to_addresses = parse_addresses(to, what)
    cc_addresses = parse_addresses(cc, what)
    bcc_addresses = parse_addresses(bcc, what)
    message = EmailMessage(policy=policy.default)
    message["From"] = sender
    if to_addresses:
        message["To"] = to_addresses
    if cc_addresses:
        message["Cc"] = cc_addresses
    message["Subject"] = cap(one_line(subject))
    message["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc).astimezone())
    message["Message-ID"] = make_msgid("briefing", domain=sender.domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8")
    envelope = [a.addr_spec for a in (*to_addresses, *cc_addresses, *bcc_addresses)]
    return Outgoing(message, sender.addr_spec, tuple(dict.fromkeys(envelope)))


def alert_message(config: Config, day: dt.date, status: str, problems: Sequence[Problem], files: Sequence[Path]):
    """The short alert for ``alerts.to``: what went wrong, and where to look."""
    host = socket.gethostname()
    lines = [
        f"The briefing daily job on {host} for {day.isoformat()} finished with status: {status}.",
        "",
        *[f"- {p.message}" for p in problems],
        "",
    ]
    if files:
        lines += ["Report files:", *[f"  {f}" for f in files], ""]
    lines += [f"Log:    {config.log_file}", f"Config: {config.path}", "History: briefing history --config "
              f"{config.path}", ""]
    return _short_message(config, config.alert_to, (), (), f"briefing {status}: {config.title} — {day.isoformat()}",
                          "\n".join(lines), "alert address")


def notice_message(config: Config, day: dt.date, problems: Sequence[Problem]):
    """The "no new reporting" notice for the report's recipients."""
    from .render import long_date

    sources = [f"the inbox ({config.inbox})"]
    if config.feeds or config.urls:
        sources.append(f"{len(config.feeds) + len(config.urls)} feeds and pages")
    lines = [
        f"No new reporting reached briefing for {long_date(day)}, so there is no {config.title.lower()} today.",
        "",
        f"Sources checked: {', '.join(sources)}.",
    ]
    if problems:
        lines += ["", "Also:", *[f"- {p.message}" for p in problems]]
    email = config.email
    return _short_message(config, email.to, email.cc, email.bcc,
                          f"{config.title} — {day.isoformat()}: no new reporting", "\n".join(lines) + "\n",
                          "recipient")


# --------------------------------------------------------------------------- logging and history


class _NotFileOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "file_only", False)


@contextmanager
def job_logging(log_file: Path, *, stderr: bool = True, quiet: bool = False) -> Iterator[None]:
    """For the run: the ``briefing`` logger writes to a rotating file and to stderr (warnings only when quiet)."""
    logger = logging.getLogger("briefing")
    try:
        file_handler = RotatingFileHandler(log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    except OSError as exc:
        raise DeliveryError(f"cannot write the log file {log_file}: {exc.strerror}", "check the output folder") from None
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"))
    file_handler.setLevel(logging.INFO)
    handlers: list[logging.Handler] = [file_handler]
    if stderr:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("briefing: %(message)s"))
        console.setLevel(logging.WARNING if quiet else logging.INFO)
        console.addFilter(_NotFileOnly())
        handlers.append(console)
    saved = (logger.level, logger.propagate)
    logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))
    logger.propagate = False
    for handler in handlers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def history(config: Config, limit: int = 20) -> list[RunRow]:
    """The latest runs recorded in the state database, newest first."""
    store = Store.open(config.database, config.busy_timeout, create=False)
    try:
        return store.history(limit)
    finally:
        store.close()


def format_history(rows: Sequence[RunRow]) -> str:
    """Runs as a table: started, day, status, articles, sections, method, delivered to."""
    if not rows:
        return "no runs recorded yet\n"
    table = [("started", "day", "status", "articles", "sections", "method", "delivered to")]
    for row in rows:
        started = dt.datetime.fromisoformat(row.started_at).astimezone().strftime("%Y-%m-%d %H:%M")
        if row.articles_total is not None:
            articles = f"{row.articles_total} ({row.articles_new} new)"
        else:
            articles = f"{row.articles_new} new"
        sections = ",".join(row.sections) if row.section_count is not None else "-"
        status = row.status + (" (forced)" if row.forced else "")
        if row.exit_code is not None:
            status += f" [{row.exit_code}]"
        table.append((started, row.day, status, articles, sections or "none",
                      ",".join(row.methods) or "-", ", ".join(row.delivered_to) or "-"))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(r, widths)) + "  " + r[-1] for r in table]
    out = "\n".join(line.rstrip() for line in lines) + "\n"
    latest = rows[0]
    if latest.message:
        out += f"\nlatest run: {latest.message}\n"
    for kind, message in latest.warnings:
        out += f"  {kind}: {message}\n"
    return out


def exit_codes_text() -> str:
    return "\n".join(f"{code:>3}  {meaning}" for code, meaning in EXIT_CODES)
