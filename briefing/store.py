"""The daily job's state: one SQLite file of runs, articles seen, reports built and mail delivered.

The schema grows through an ordered list of migrations; ``PRAGMA user_version`` counts the ones
applied, each in the same transaction as its changes. The journal is SQLite's default rollback
journal with ``synchronous=FULL``: a transaction is on disk when ``COMMIT`` returns, and a process
killed at any point (SIGKILL included) leaves the last committed state. Every write is one short
explicit transaction, committed only after the step it records has happened. (Not WAL: one writer
runs at a time anyway, readers such as ``briefing history`` only wait out a commit of milliseconds,
and a single file with no ``-wal``/``-shm`` companions is simpler to back up, move or inspect, and
works for a reader who may not write to the folder.)

Only one job runs at a time (see :class:`JobLock`); the busy timeout covers other programs, such as
``briefing history`` or an ``sqlite3`` shell, that read or hold the file.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from .articles import Article
from .errors import StateError


MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,                      -- the report day, YYYY-MM-DD
        started_at TEXT NOT NULL,               -- UTC, ISO 8601
        finished_at TEXT,
        pid INTEGER,
        forced INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,                   -- running, done, degraded, nothing-new, partial, failed, interrupted
        exit_code INTEGER,
        articles_new INTEGER NOT NULL DEFAULT 0,
        report_id INTEGER,
        warnings TEXT NOT NULL DEFAULT '[]',    -- JSON list of [kind, message]
        message TEXT
    );
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,                    -- the article's content hash (Article.id)
        day TEXT NOT NULL,                      -- the day whose report first carried it
        first_seen TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        title TEXT NOT NULL,
        source TEXT NOT NULL,
        published TEXT,
        url TEXT NOT NULL,
        path TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE INDEX articles_by_day ON articles(day, first_seen);
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        built_at TEXT NOT NULL,
        articles TEXT NOT NULL,                 -- JSON list of article ids, in source order
        sections TEXT NOT NULL,                 -- JSON list of the section keys that have statements
        section_count INTEGER NOT NULL,
        methods TEXT NOT NULL,                  -- JSON list: extractive, seq2seq, none
        router TEXT NOT NULL,
        files TEXT NOT NULL,                    -- JSON list of the files written
        json_path TEXT NOT NULL,
        digest TEXT NOT NULL                    -- of the report's content, for "same report" checks
    );
    CREATE INDEX reports_by_day ON reports(day, id);
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,                     -- report, no-news, alert
        day TEXT NOT NULL,
        topic TEXT,                             -- for alerts: what went wrong, so a day gets one alert per problem
        report_id INTEGER REFERENCES reports(id),
        run_id INTEGER NOT NULL REFERENCES runs(id),
        message_id TEXT NOT NULL,
        recipients TEXT NOT NULL,               -- JSON list: the envelope of this attempt
        status TEXT NOT NULL,                   -- sending, sent, partial, failed, interrupted
        delivered TEXT NOT NULL DEFAULT '[]',   -- JSON list of addresses the server accepted
        refused TEXT NOT NULL DEFAULT '{}',     -- JSON object: address -> the server's permanent refusal
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE INDEX deliveries_by_report ON deliveries(report_id);
    CREATE INDEX deliveries_by_day ON deliveries(day, kind);
    """,
)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class ReportRow:
    id: int
    day: str
    run_id: int
    built_at: str
    articles: list[str]
    files: list[str]
    json_path: Path
    digest: str


@dataclass
class DeliveryState:
    """What became of a message over every attempt: who has it, who refused it, its Message-ID."""

    message_id: str | None = None
    delivered: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False  # an attempt ended with the process, before the server's answer was recorded


@dataclass(frozen=True)
class RunRow:
    id: int
    day: str
    started_at: str
    finished_at: str | None
    status: str
    exit_code: int | None
    forced: bool
    articles_new: int
    articles_total: int | None
    sections: list[str]
    section_count: int | None
    methods: list[str]
    delivered_to: list[str]
    warnings: list[list[str]]
    message: str | None


class Store:
    """The open state database. Use :meth:`open`; every method commits before it returns."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self.db = connection
        self.path = path

    # ----------------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: Path, busy_timeout: float = 15.0, *, create: bool = True) -> "Store":
        """Open (creating and migrating as needed) the database; problems become a StateError."""
        path = Path(path)
        if not create and not path.is_file():
            raise StateError(f"no state database at {path}", "the daily job creates it on its first run")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the state database {path}: {exc}", "check the folder's permissions") from None
        store = cls(connection, path)
        store._busy_timeout = busy_timeout
        try:
            with store._errors("open"):
                connection.execute("PRAGMA synchronous = FULL")
                connection.execute("PRAGMA foreign_keys = ON")
                check = connection.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise sqlite3.DatabaseError(f"integrity check failed: {check}")
                store._migrate()
        except BaseException:
            connection.close()
            raise
        return store

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StateError(
                f"the state database {self.path} is from a newer briefing (schema {version}, this one knows "
                f"{len(MIGRATIONS)})",
                "upgrade briefing, or point state.database at a new file",
            )
        for number in range(version, len(MIGRATIONS)):
            with self.transaction():
                for statement in _statements(MIGRATIONS[number]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """SQLite's errors as StateErrors a user can act on."""
        try:
            yield
        except StateError:
            raise
        except sqlite3.OperationalError as exc:
            text = str(exc)
            code = getattr(exc, "sqlite_errorname", "")
            if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text or "busy" in text:
                raise StateError(
                    f"the state database {self.path} is locked by another program "
                    f"(waited {getattr(self, '_busy_timeout', 0):g}s to {doing})",
                    "close whatever holds it (an sqlite3 shell, a backup tool) and run again; "
                    "state.busy_timeout sets the wait",
                ) from None
            if code.startswith(("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM")) \
                    or any(words in text for words in ("readonly", "unable to open", "disk I/O", "full")):
                raise StateError(
                    f"cannot write the state database {self.path}: {text}", "check free space and permissions"
                ) from None
            raise self._damaged(text) from None
        except sqlite3.DatabaseError as exc:
            raise self._damaged(str(exc)) from None

    def _damaged(self, why: str) -> StateError:
        return StateError(
            f"the state database {self.path} is damaged or not a briefing database ({why})",
            f"move it aside (mv {self.path} {self.path}.bad) and run again: a new one is made, and "
            "articles still in the inbox are reported again",
        )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE); committed when the block ends."""
        with self._errors("write"):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _read(self, sql: str, params: Sequence = ()) -> list[dict]:
        with self._errors("read"):
            cursor = self.db.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    # ----------------------------------------------------------------------- runs

    def interrupt_stale_runs(self) -> int:
        """Runs and sends left 'running'/'sending' by a process that died; the caller holds the job lock."""
        with self.transaction() as db:
            runs = db.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'", (now(),)
            ).rowcount
            db.execute(
                "UPDATE deliveries SET status = 'interrupted', finished_at = ? WHERE status = 'sending'", (now(),)
            )
        return runs

    def start_run(self, day: dt.date, *, forced: bool = False) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (day, started_at, pid, forced, status) VALUES (?, ?, ?, ?, 'running')",
                (day.isoformat(), now(), os.getpid(), int(forced)),
            )
        return int(cursor.lastrowid)

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        exit_code: int,
        articles_new: int = 0,
        report_id: int | None = None,
        warnings: Sequence[tuple[str, str]] = (),
        message: str | None = None,
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET status = ?, exit_code = ?, finished_at = ?, articles_new = ?, report_id = ?, "
                "warnings = ?, message = ? WHERE id = ?",
                (status, exit_code, now(), articles_new, report_id, json.dumps([list(w) for w in warnings]),
                 message, run_id),
            )

    # ----------------------------------------------------------------------- articles and reports

    def seen(self, ids: Iterable[str]) -> set[str]:
        """Which of these article ids an earlier report carried."""
        ids = list(ids)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found |= {r["id"] for r in self._read(f"SELECT id FROM articles WHERE id IN ({marks})", chunk)}
        return found

    def day_articles(self, day: dt.date) -> list[Article]:
        """The articles first reported on ``day``, in the order they were first seen."""
        rows = self._read("SELECT * FROM articles WHERE day = ? ORDER BY first_seen, rowid", (day.isoformat(),))
        return [
            Article(
                id=r["id"],
                title=r["title"],
                text=r["text"],
                source=r["source"],
                date=dt.date.fromisoformat(r["published"]) if r["published"] else None,
                url=r["url"],
                path=r["path"],
            )
            for r in rows
        ]

    def record_report(
        self,
        run_id: int,
        day: dt.date,
        *,
        new_articles: Sequence[Article],
        article_ids: Sequence[str],
        sections: Sequence[str],
        section_count: int,
        methods: Sequence[str],
        router: str,
        files: Sequence[Path],
        json_path: Path,
        digest: str,
    ) -> int:
        """After the report's files are on disk: its articles become seen and the report recorded, together."""
        stamp = now()
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO articles (id, day, first_seen, run_id, title, source, published, url, path, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, day.isoformat(), stamp, run_id, a.title, a.source,
                     a.date.isoformat() if a.date else None, a.url, a.path, a.text)
                    for a in new_articles
                ],
            )
            cursor = db.execute(
                "INSERT INTO reports (day, run_id, built_at, articles, sections, section_count, methods, router, "
                "files, json_path, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (day.isoformat(), run_id, stamp, json.dumps(list(article_ids)), json.dumps(list(sections)),
                 section_count, json.dumps(list(methods)), router, json.dumps([str(f) for f in files]),
                 str(json_path), digest),
            )
        return int(cursor.lastrowid)

    def latest_report(self, day: dt.date) -> ReportRow | None:
        rows = self._read("SELECT * FROM reports WHERE day = ? ORDER BY id DESC LIMIT 1", (day.isoformat(),))
        if not rows:
            return None
        r = rows[0]
        return ReportRow(
            id=r["id"],
            day=r["day"],
            run_id=r["run_id"],
            built_at=r["built_at"],
            articles=json.loads(r["articles"]),
            files=json.loads(r["files"]),
            json_path=Path(r["json_path"]),
            digest=r["digest"],
        )

    # ----------------------------------------------------------------------- deliveries

    def delivery_state(self, *, report_id: int | None = None, kind: str = "report", day: dt.date | None = None,
                       topic: str | None = None) -> DeliveryState:
        """Every attempt at one message (a report's, or a day's notice or alert of one topic), summed up."""
        if report_id is not None:
            rows = self._read("SELECT * FROM deliveries WHERE report_id = ? AND kind = ? ORDER BY id",
                              (report_id, kind))
        else:
            assert day is not None
            rows = self._read(
                "SELECT * FROM deliveries WHERE day = ? AND kind = ? AND coalesce(topic, '') = ? ORDER BY id",
                (day.isoformat(), kind, topic or ""),
            )
        state = DeliveryState()
        for row in rows:
            state.message_id = state.message_id or row["message_id"]
            state.delivered |= set(json.loads(row["delivered"]))
            state.refused.update(json.loads(row["refused"]))
            if row["status"] in ("sending", "interrupted"):
                state.interrupted = True
        return state

    def begin_delivery(self, run_id: int, kind: str, day: dt.date, message_id: str, recipients: Sequence[str], *,
                       report_id: int | None = None, topic: str | None = None) -> int:
        """The intent to send, committed before the first byte goes to the server."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO deliveries (kind, day, topic, report_id, run_id, message_id, recipients, status, "
                "started_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'sending', ?)",
                (kind, day.isoformat(), topic, report_id, run_id, message_id, json.dumps(list(recipients)), now()),
            )
        return int(cursor.lastrowid)

    def end_delivery(self, delivery_id: int, status: str, *, delivered: Sequence[str] = (),
                     refused: dict[str, str] | None = None, attempts: int = 0, error: str | None = None) -> None:
        """What the server answered, committed only after it answered."""
        with self.transaction() as db:
            db.execute(
                "UPDATE deliveries SET status = ?, delivered = ?, refused = ?, attempts = ?, error = ?, "
                "finished_at = ? WHERE id = ?",
                (status, json.dumps(list(delivered)), json.dumps(refused or {}), attempts, error, now(), delivery_id),
            )

    # ----------------------------------------------------------------------- history

    def history(self, limit: int = 20) -> list[RunRow]:
        """The latest runs, newest first, with their report and who got mail in each."""
        runs = self._read(
            "SELECT runs.*, reports.articles AS report_articles, reports.sections AS report_sections, "
            "reports.section_count, reports.methods FROM runs LEFT JOIN reports ON reports.id = runs.report_id "
            "ORDER BY runs.id DESC LIMIT ?",
            (limit,),
        )
        delivered: dict[int, list[str]] = {}
        if runs:
            marks = ",".join("?" * len(runs))
            for row in self._read(
                f"SELECT run_id, kind, delivered FROM deliveries WHERE run_id IN ({marks}) ORDER BY id",
                [r["id"] for r in runs],
            ):
                label = "" if row["kind"] == "report" else f" ({row['kind']})"
                for address in json.loads(row["delivered"]):
                    delivered.setdefault(row["run_id"], []).append(address + label)
        return [
            RunRow(
                id=r["id"],
                day=r["day"],
                started_at=r["started_at"],
                finished_at=r["finished_at"],
                status=r["status"],
                exit_code=r["exit_code"],
                forced=bool(r["forced"]),
                articles_new=r["articles_new"],
                articles_total=len(json.loads(r["report_articles"])) if r["report_articles"] else None,
                sections=json.loads(r["report_sections"]) if r["report_sections"] else [],
                section_count=r["section_count"],
                methods=json.loads(r["methods"]) if r["methods"] else [],
                delivered_to=list(dict.fromkeys(delivered.get(r["id"], []))),
                warnings=json.loads(r["warnings"] or "[]"),
                message=r["message"],
            )
            for r in runs
        ]


def _statements(script: str) -> list[str]:
    """A migration's statements (no semicolons inside them), without comments."""
    text = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in text.split(";") if s.strip()]


def open_store(path: Path, busy_timeout: float = 15.0, *, create: bool = True) -> Store:
    return Store.open(path, busy_timeout, create=create)


# --------------------------------------------------------------------------- the job lock


class JobLock:
    """An exclusive ``flock`` on a file beside the database: one job at a time.

    The kernel releases the lock when its process ends, however it ends (SIGKILL included), so a
    crash can never leave a stale lock. The holder writes its pid into the file for the message
    the next run prints; the file itself is never deleted (deleting it would let two runs lock
    two different files).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd: int | None = None
        self.holder = ""

    def acquire(self) -> bool:
        """Take the lock without waiting; False (with ``holder`` set) when another run has it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StateError(f"cannot create the lock file {self.path}: {exc.strerror}",
                             "check the folder's permissions") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                self.holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            finally:
                os.close(fd)
            return False
        except OSError as exc:
            os.close(fd)
            raise StateError(f"cannot lock {self.path}: {exc.strerror}", "is the folder on a network file system?") \
                from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {now()}\n".encode(), 0)
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing the last descriptor releases the flock
            self.fd = None

    def __enter__(self) -> "JobLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
