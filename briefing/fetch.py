"""Articles from the web: RSS/Atom feeds (``--feed``) and single pages (``--url``), and all inputs together.

Every download has a time limit for the whole of it, a size cap, an honest User-Agent, and retries
with growing pauses for failures that may pass (time-outs, refused connections, HTTP 429 and 5xx).
A source that still fails gives one warning and is left out; the report is built from the rest.
Feeds are parsed by ``feedparser`` (from the bytes downloaded here: it never fetches by itself);
each entry's page is downloaded and reduced to its main text, unless the entry carries the whole
article. Entries dated outside the report's window are not downloaded at all.
"""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import logging
import re
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from http.client import HTTPException
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Sequence
from urllib.parse import urlsplit

from . import __version__
from .articles import DEFAULT_MAX_BYTES, Article, decode_bytes, make_article, read_html_article, read_inputs, read_text_article
from .errors import BriefingError, InputError
from .window import DATED_BY_ARTICLE, DATED_BY_FEED, Selection, Window, date_from_files, select

if TYPE_CHECKING:
    from .report import Report

log = logging.getLogger(__name__)

USER_AGENT = f"briefing/{__version__} (situation-report generator; +https://github.com/briefing-dev/briefing)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain", "text/markdown")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
              "application/feed+json")
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
FULL_ENTRY_WORDS = 150  # a feed entry with this many words of content is the article itself
MAX_RETRY_AFTER = 30.0


@dataclass(frozen=True)
class FetchSettings:
    """How downloads behave; the defaults suit a daily job."""

    timeout: float = 20.0  # seconds for one whole download: connecting, headers and body
    max_bytes: int = DEFAULT_MAX_BYTES
    retries: int = 2  # further tries after a failure that may pass
    backoff: float = 1.0  # seconds before the first retry; doubled for each one after
    max_entries: int = 50  # entries read from one feed, newest first as the feed lists them
    workers: int = 4  # pages downloaded at once
    user_agent: str = USER_AGENT


class FetchError(BriefingError):
    """A source on the web that could not be used; its message is the warning the user sees."""

    exit_code = 2


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int
    content_type: str
    charset: str | None
    body: bytes


class _NoOddRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) addresses only (never to ftp: or file:)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, f"redirect to a non-web address {newurl}", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_NoOddRedirects())


def check_url(url: str) -> str:
    """The URL, if it is an http(s) address with a host; otherwise an error saying so."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname
    except ValueError:  # a malformed address ("http://[::1")
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        raise FetchError(f"{shown(url)}: not an http(s) address", "give a URL starting with http:// or https://")
    return url


def shown(url: str) -> str:
    """The URL as messages show it: without a user name and password (``https://user:pw@host/`` -> ``https://host/``)."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/@]*@", r"\1", url.strip(), flags=re.IGNORECASE)


def _credentials(url: str) -> tuple[str, str | None]:
    """The URL without its user name and password, and those as a Basic Authorization header."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    import base64  # noqa: PLC0415
    from urllib.parse import unquote  # noqa: PLC0415

    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return shown(url), "Basic " + base64.b64encode(pair).decode("ascii")


def fetch(url: str, settings: FetchSettings = FetchSettings(), accept: str = PAGE_ACCEPT) -> Response:
    """Download ``url``: time limit, size cap, retries with back-off; a FetchError when it cannot be had.

    A user name and password in the URL are sent as Basic authentication and never shown.
    """
    url = check_url(url)
    attempts = settings.retries + 1
    for attempt in range(attempts):
        try:
            return _fetch_once(url, settings, accept)
        except _Retry as retry:
            if attempt + 1 >= attempts:
                tries = f" (after {attempts} tries)" if attempts > 1 else ""
                raise FetchError(f"{shown(url)}: {retry.reason}{tries}") from None
            pause = settings.backoff * (2**attempt)
            if retry.after is not None:
                pause = max(pause, min(retry.after, MAX_RETRY_AFTER))
            log.info("retrying %s in %.1f s: %s", shown(url), pause, retry.reason)
            time.sleep(pause)
    raise AssertionError("unreachable")


class _Retry(Exception):
    def __init__(self, reason: str, after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.after = after


def _fetch_once(url: str, settings: FetchSettings, accept: str) -> Response:
    target, auth = _credentials(url)
    headers = {"User-Agent": settings.user_agent, "Accept": accept}
    if auth is not None:
        headers["Authorization"] = auth
    request = urllib.request.Request(target, headers=headers)
    url = target  # messages never show the password
    deadline = time.monotonic() + settings.timeout
    try:
        with _OPENER.open(request, timeout=settings.timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.strip().isdigit() and int(length) > settings.max_bytes:
                raise FetchError(f"{url}: larger than the {_size(settings.max_bytes)} limit ({_size(int(length))})")
            chunks, total = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise _Retry(f"timed out after {settings.timeout:g} s")
                chunk = response.read1(65536)
                if not chunk:
                    break
                total += len(chunk)
                if total > settings.max_bytes:
                    raise FetchError(f"{url}: larger than the {_size(settings.max_bytes)} limit")
                chunks.append(chunk)
            content_type = response.headers.get_content_type() if response.headers.get("Content-Type") else ""
            body = b"".join(chunks)
            encoding = (response.headers.get("Content-Encoding") or "").strip().lower()
            if encoding in ("gzip", "x-gzip", "deflate"):  # sent although not asked for: unpack, within the cap
                body = _unpacked(body, encoding, settings.max_bytes, url)
            return Response(
                url=response.geturl() or url,
                status=response.status,
                content_type=content_type,
                charset=response.headers.get_content_charset(),
                body=body,
            )
    except urllib.error.HTTPError as error:
        reason = f"HTTP {error.code} {error.reason}".strip()
        if error.code in RETRY_STATUS:
            raise _Retry(reason, _retry_after(error.headers.get("Retry-After") if error.headers else None)) from None
        raise FetchError(f"{url}: {reason}") from None
    except urllib.error.URLError as error:
        why = error.reason
        if isinstance(why, (socket.timeout, TimeoutError)):
            raise _Retry(f"timed out after {settings.timeout:g} s") from None
        if isinstance(why, socket.gaierror):
            raise FetchError(f"{url}: cannot find the host {urlsplit(url).hostname}") from None
        raise _Retry(f"cannot connect ({getattr(why, 'strerror', None) or why})") from None
    except (socket.timeout, TimeoutError):
        raise _Retry(f"timed out after {settings.timeout:g} s") from None
    except (ConnectionError, HTTPException, OSError) as error:
        raise _Retry(f"connection failed ({type(error).__name__}: {error})") from None


def _unpacked(body: bytes, encoding: str, max_bytes: int, url: str) -> bytes:
    import zlib  # noqa: PLC0415

    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS)
    try:
        data = unpacker.decompress(body, max_bytes + 1)
    except zlib.error:
        raise FetchError(f"{url}: the {encoding} body is damaged") from None
    if len(data) > max_bytes:
        raise FetchError(f"{url}: larger than the {_size(max_bytes)} limit once unpacked")
    return data


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.3g} MB"
    return f"{n / 1024:.3g} KB" if n >= 1024 else f"{n} bytes"


# --- pages ------------------------------------------------------------------------------------


def _decode(response: Response) -> str:
    if response.charset:
        try:
            return response.body.decode(response.charset, errors="replace")
        except LookupError:
            pass
    try:
        return decode_bytes(response.body, response.url)
    except InputError as error:
        raise FetchError(error.message) from None


def read_url(url: str, settings: FetchSettings = FetchSettings()) -> Article:
    """The article at ``url``: the page downloaded and reduced to its main text (title, site, date kept)."""
    response = fetch(url, settings)
    url = shown(url)
    kind = response.content_type
    if kind and kind not in HTML_TYPES + TEXT_TYPES:
        raise FetchError(f"{url}: not a web page but {kind}", "give the address of an article page")
    if not response.body.strip():
        raise FetchError(f"{url}: the page is empty")
    text = _decode(response)
    try:
        if kind in TEXT_TYPES:
            article = read_text_article(text, path=response.url)
        else:
            if not kind and not re.search(r"<(?:html|body|p|article|div)\b", text[:20000], re.IGNORECASE):
                raise FetchError(f"{url}: not a web page (no HTML found)", "give the address of an article page")
            article = read_html_article(text, url=response.url)
    except InputError as error:
        raise FetchError(f"{url}: {_without_prefix(error.message, response.url)}") from None
    return replace(article, url=article.url or response.url, path=article.path or "")


def _without_prefix(message: str, name: str) -> str:
    return message[len(name) + 2 :] if message.startswith(f"{name}: ") else message


# --- feeds ------------------------------------------------------------------------------------


@dataclass
class Gathered:
    """Articles from the web, and what went wrong, one warning per source."""

    articles: list[Article] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    dated_by: dict[str, str] = field(default_factory=dict)


def _entry_date(entry) -> dt.date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return dt.datetime.fromtimestamp(calendar.timegm(value), dt.timezone.utc).date()
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _entry_content(entry) -> str:
    """The entry's full text when the feed carries it (``content:encoded`` or Atom content), as plain text."""
    best = ""
    for content in entry.get("content") or ():
        value = content.get("value") or ""
        if len(value) > len(best):
            best = value
    if not best:
        return ""
    from .articles import _strip_tags  # noqa: PLC0415 - the same tag stripping JSON bodies get

    return _strip_tags(best)


def read_feed(
    url: str,
    settings: FetchSettings = FetchSettings(),
    window: Window | None = None,
    notify: Callable[[str], None] | None = None,
) -> Gathered:
    """The articles of an RSS or Atom feed's entries (those in ``window`` only), each page downloaded."""
    import feedparser  # noqa: PLC0415 - only when a feed is read

    out = Gathered()

    def warn(message: str) -> None:
        out.warnings.append(message)
        if notify is not None:
            notify(f"warning: {message}")

    try:
        response = fetch(url, settings, accept=FEED_ACCEPT)
    except FetchError as error:
        warn(f"feed {error.message}")
        return out
    url = shown(url)
    parsed = feedparser.parse(
        response.body,
        response_headers={"content-type": response.content_type or "application/xml", "content-location": response.url},
    )
    entries = list(parsed.entries)
    if not entries:
        if parsed.get("version"):
            out.notices.append(f"feed {url}: no entries")
        else:
            why = f" ({parsed.bozo_exception})" if parsed.get("bozo_exception") else ""
            warn(f"feed {url}: not an RSS or Atom feed{why}")
        return out
    outlet = " ".join((parsed.feed.get("title") or "").split())
    skipped_old = 0
    jobs = []
    for entry in entries[: settings.max_entries]:
        day = _entry_date(entry)
        if window is not None and day not in window:
            skipped_old += 1
            continue
        jobs.append((entry, day))
    if len(entries) > settings.max_entries:
        out.notices.append(f"feed {url}: read the first {settings.max_entries} of its {len(entries)} entries")
    if skipped_old:
        out.notices.append(
            f"feed {url}: {skipped_old} entr{'y' if skipped_old == 1 else 'ies'} dated outside {window.text} not fetched"
        )

    def one(job) -> Article:
        entry, day = job
        return _entry_article(entry, day, outlet, response.url, settings)

    with ThreadPoolExecutor(max_workers=max(1, settings.workers)) as pool:
        results = list(pool.map(_catching(one), jobs))
    for (entry, day), result in zip(jobs, results):
        if isinstance(result, FetchError):
            link = shown(entry.get("link") or "")
            where = "" if not link or result.message.startswith(link) else f"{link}: "
            warn(f"left out {where}{result.message}")
            continue
        out.articles.append(result)
        if result.date is not None:
            out.dated_by[result.id] = DATED_BY_FEED if day is not None else DATED_BY_ARTICLE
    return out


def _catching(function):
    def run(job):
        try:
            return function(job)
        except FetchError as error:
            return error
        except BriefingError as error:
            return FetchError(error.message)
        except Exception as error:  # noqa: BLE001 - one bad page must not sink the whole feed
            log.debug("unexpected failure", exc_info=True)
            return FetchError(f"{type(error).__name__}: {error}")

    return run


def _entry_article(entry, day: dt.date | None, outlet: str, feed_url: str, settings: FetchSettings) -> Article:
    link = (entry.get("link") or "").strip()
    title = " ".join((entry.get("title") or "").split())
    source = ""
    if isinstance(entry.get("source"), dict):
        source = entry["source"].get("title") or ""
    content = _entry_content(entry)
    if content and len(content.split()) >= FULL_ENTRY_WORDS:
        article = make_article(content, title=title, source=source or outlet, date=day, url=link, path="")
        return article
    if not link:
        raise FetchError(f"an entry of {feed_url} ({title or 'untitled'}): no link to its article")
    try:
        article = read_url(link, settings)
    except FetchError as error:
        raise FetchError(f"{error.message}" + (f" ({title})" if title else "")) from None
    return replace(
        article,
        title=article.title or title,
        source=article.source or source or outlet or (urlsplit(link).hostname or ""),
        date=day or article.date,
    )


def read_web(
    feeds: Sequence[str] = (),
    urls: Sequence[str] = (),
    settings: FetchSettings = FetchSettings(),
    window: Window | None = None,
    notify: Callable[[str], None] | None = None,
) -> Gathered:
    """The articles of every feed and page, with one warning per source that failed (never an error)."""
    web = Gathered()
    for feed in feeds:
        got = read_feed(feed, settings, window, notify)
        web.articles += got.articles
        web.warnings += got.warnings
        web.notices += got.notices
        web.dated_by.update(got.dated_by)
    for url in urls:
        try:
            article = read_url(url, settings)
        except FetchError as error:
            message = f"left out {error.message}"
            web.warnings.append(message)
            if notify is not None:
                notify(f"warning: {message}")
            continue
        web.articles.append(article)
        if article.date is not None:
            web.dated_by[article.id] = DATED_BY_ARTICLE
    return web


# --- everything together ------------------------------------------------------------------------


@dataclass
class Collected:
    """All the articles of a report, the period they cover, and the notices and warnings to show."""

    articles: list[Article]
    since: dt.date | None
    until: dt.date | None
    notices: list[str]
    dated_by: dict[str, str]


def collect(
    paths: Sequence[str] = (),
    feeds: Sequence[str] = (),
    urls: Sequence[str] = (),
    *,
    window: Window | None = None,
    settings: FetchSettings = FetchSettings(),
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: BinaryIO | None = None,
    notify: Callable[[str], None] | None = None,
) -> Collected:
    """Read files, folders and stdin, then feeds and pages; date them; keep those in ``window``.

    A file that cannot be read is an error (as with ``read_inputs``); a feed or page that cannot
    be had is a warning. The same article from two inputs counts once.
    """
    notices: list[str] = []
    articles: list[Article] = []
    dated_by: dict[str, str] = {}
    if not (paths or feeds or urls):
        raise InputError("no input given", "name article files or folders, - for stdin, --feed URL or --url URL")
    if paths:
        articles, dated_by = date_from_files(read_inputs(paths, max_bytes=max_bytes, stdin=stdin))
    page_settings = replace(settings, max_bytes=min(settings.max_bytes, max_bytes))
    web = read_web(feeds, urls, page_settings, window, notify)
    seen = {a.id for a in articles}
    for article in web.articles:
        if article.id not in seen:
            seen.add(article.id)
            articles.append(article)
            if web.dated_by.get(article.id):
                dated_by[article.id] = web.dated_by[article.id]
    notices += web.warnings
    for message in web.notices:
        notices.append(message)
        if notify is not None:
            notify(f"notice: {message}")
    if not articles:
        failed = len(web.warnings)
        raise InputError(
            f"no article could be read: {failed} web source{'s' if failed != 1 else ''} failed"
            if failed else "no article found in the feeds",
            "see the warnings above; the report needs at least one article",
        )
    selection: Selection = select(articles, window)
    for message in selection.notices:
        notices.append(message)
        if notify is not None:
            notify(f"notice: {message}")
    return Collected(selection.articles, selection.since, selection.until, notices, dated_by)


@dataclass
class Inputs:
    """Everything ``build_report`` needs besides the options: the articles, their period, the previous report."""

    articles: list[Article]
    since: dt.date | None
    until: dt.date | None
    notices: list[str]  # already shown through ``notify``; the report keeps them
    dated_by: dict[str, str]
    previous: Report | None


def gather(
    paths: Sequence[str] = (),
    feeds: Sequence[str] = (),
    urls: Sequence[str] = (),
    *,
    date: dt.date | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    previous: Path | None = None,
    out: Path | None = None,
    settings: FetchSettings = FetchSettings(),
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: BinaryIO | None = None,
    notify: Callable[[str], None] | None = None,
) -> Inputs:
    """The inputs of the report for ``date``: the previous report (given, or the newest in ``out``),
    the window it implies (``window.daily_window``), and the articles of every source in it."""
    from .changes import previous_until, resolve_previous  # noqa: PLC0415
    from .window import daily_window  # noqa: PLC0415

    day = date or until or dt.date.today()
    last = resolve_previous(previous, out, day, notify)
    window = daily_window(date, since, until, previous_until(last))
    collected = collect(
        paths, feeds, urls, window=window, settings=settings, max_bytes=max_bytes, stdin=stdin, notify=notify
    )
    return Inputs(collected.articles, collected.since, collected.until, collected.notices, collected.dated_by, last)
