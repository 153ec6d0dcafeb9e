"""Which articles a daily report covers: their dates, and the window of days they must fall in.

An article's date comes from its own metadata (a header, front matter, a JSON field, the page's
meta tags), from its feed entry, or, as a last resort, from its file's modification time; which
one is recorded (``DATED_BY_*``) and shows in the report's JSON.

The window of a report for day D is, unless ``--since``/``--until`` say otherwise, D and the day
before (dates are whole days, and a morning report must not miss yesterday evening's news), or
from the previous report's last day when one is given. Articles outside the window are left out,
with a notice. A window that the user chose (``--since``/``--until``) and that holds no article is
an error naming the dates the articles have; otherwise an empty window falls back to all articles
rather than build an empty report, with a notice when a date was asked for (``--date``, or a
previous report), and quietly when not (``briefing generate old-article.txt`` reports on it).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence

from .articles import Article
from .errors import ConfigError, InputError

DATED_BY_ARTICLE = "article"  # the article's own metadata
DATED_BY_FEED = "feed"  # the feed entry's published or updated date
DATED_BY_MTIME = "file modified"  # the file's modification time, for want of anything better


@dataclass(frozen=True)
class Window:
    """The days a report covers, both included.

    ``strict``: chosen by the user (``--since``/``--until``), so an empty window is an error.
    ``implied``: nobody asked for a period (no date, no previous report): an empty window quietly
    means "all the articles given", as it did before reports had windows.
    """

    since: dt.date
    until: dt.date
    strict: bool = False
    reason: str = ""
    implied: bool = False

    def __contains__(self, day: dt.date | None) -> bool:
        return day is None or self.since <= day <= self.until

    @property
    def text(self) -> str:
        return period_text(self.since, self.until)


def daily_window(
    date: dt.date | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    previous_until: dt.date | None = None,
) -> Window:
    """The window of the report for ``date`` (default today).

    ``until`` defaults to the report's date; ``since`` to the previous report's last day (when that
    is earlier than the day before), else the day before ``until``.
    """
    strict = since is not None or until is not None
    implied = not strict and date is None and previous_until is None
    end = until or date or dt.date.today()
    if since is not None:
        start, reason = since, "the period asked for"
    elif previous_until is not None and previous_until < end - dt.timedelta(days=1):
        start, reason = previous_until, "since the previous report"
    else:
        start, reason = end - dt.timedelta(days=1), "the report's day and the day before"
    if start > end:
        raise ConfigError(
            f"--since {start.isoformat()} is after --until {end.isoformat()}", "give the earlier date to --since"
        )
    return Window(start, end, strict, reason, implied)


def period_text(since: dt.date | None, until: dt.date | None) -> str:
    """'9–10 April 2022', '30 March – 2 April 2023', '24 February 2022 – 6 May 2024', '30 March 2023'."""
    if since is None and until is None:
        return ""
    if since is None or until is None or since == until:
        day = since or until
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    if since.year != until.year:
        return f"{since.day} {_MONTHS[since.month - 1]} {since.year} – {until.day} {_MONTHS[until.month - 1]} {until.year}"
    if since.month != until.month:
        return f"{since.day} {_MONTHS[since.month - 1]} – {until.day} {_MONTHS[until.month - 1]} {until.year}"
    return f"{since.day}–{until.day} {_MONTHS[until.month - 1]} {until.year}"


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def date_from_files(articles: Sequence[Article], dated_by: Mapping[str, str] | None = None) -> tuple[list[Article], dict[str, str]]:
    """Articles without a date of their own get their file's modification day; says which were dated how.

    Articles from stdin, or whose file is gone, stay undated.
    """
    dated: dict[str, str] = dict(dated_by or {})
    out = []
    for article in articles:
        if article.date is not None:
            dated.setdefault(article.id, DATED_BY_ARTICLE)
            out.append(article)
            continue
        path = Path(article.path.split("#", 1)[0]) if article.path and article.path != "stdin" else None
        try:
            mtime = os.stat(path).st_mtime if path is not None and path.is_file() else None
        except OSError:
            mtime = None
        if mtime is None:
            out.append(article)
            continue
        out.append(replace(article, date=dt.datetime.fromtimestamp(mtime).date()))
        dated[article.id] = DATED_BY_MTIME
    return out, dated


@dataclass(frozen=True)
class Selection:
    """The articles a report covers, the period it states, and what the user should be told."""

    articles: list[Article]
    since: dt.date | None
    until: dt.date | None
    notices: list[str]


def select(articles: Sequence[Article], window: Window | None) -> Selection:
    """The articles dated in ``window`` (undated ones always count as in it); see the module's docstring.

    How each article was dated is not a notice: the report's JSON gives it for every source.
    """
    articles = list(articles)
    notices: list[str] = []
    if window is None:
        return Selection(articles, *_span(articles), notices)
    inside = [a for a in articles if a.date in window]
    outside = [a for a in articles if a.date not in window]
    if inside:
        if outside:
            notices.append(
                f"left out {_count(len(outside), 'article')} dated outside {window.text} ({describe_dates(outside)})"
            )
        return Selection(inside, window.since, window.until, notices)
    if window.strict:
        raise InputError(
            f"no article is dated {window.text} (from {window.since.isoformat()} to {window.until.isoformat()}); "
            f"the {_count(len(articles), 'article')} {'is' if len(articles) == 1 else 'are'} dated "
            f"{describe_dates(articles, window)}",
            "choose --date, --since and --until around those dates",
        )
    if not window.implied:
        notices.append(
            f"no article is dated {window.text}, so the report covers all {_count(len(articles), 'article')}, "
            f"dated {describe_dates(articles)}; choose the period with --date, --since and --until"
        )
    return Selection(articles, *_span(articles), notices)


def _span(articles: Sequence[Article]) -> tuple[dt.date | None, dt.date | None]:
    dates = [a.date for a in articles if a.date is not None]
    return (min(dates), max(dates)) if dates else (None, None)


def describe_dates(articles: Sequence[Article], window: Window | None = None) -> str:
    """The dates articles have, briefly: '2022-04-09 and 2022-04-10', or '30 different days from … to …'
    with, around ``window``, the nearest before and after it."""
    dates = sorted({a.date for a in articles if a.date is not None})
    undated = sum(1 for a in articles if a.date is None)
    if not dates:
        return "no date at all"
    if len(dates) <= 6:
        text = ", ".join(d.isoformat() for d in dates[:-1])
        text = f"{text} and {dates[-1].isoformat()}" if text else dates[0].isoformat()
    else:
        text = f"{len(dates)} different days from {dates[0].isoformat()} to {dates[-1].isoformat()}"
        if window is not None:
            before = [d for d in dates if d < window.since]
            after = [d for d in dates if d > window.until]
            nearest = [f"{before[-1].isoformat()} before" if before else "", f"{after[0].isoformat()} after" if after else ""]
            text += f"; nearest: {' and '.join(x for x in nearest if x)}"
    return text + (f"; {undated} undated" if undated else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
