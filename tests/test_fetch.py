"""Feeds and pages from the web, against a real HTTP server on loopback that each test starts.

The server (``http.server`` in a thread) serves feeds and article pages, and misbehaves on
request: a slow page, an HTTP 500, a 503 that passes, a huge body, a PDF, a 404. Nothing here
touches the network.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from briefing.errors import InputError
from briefing.fetch import FetchError, FetchSettings, USER_AGENT, collect, fetch, read_feed, read_url
from briefing.window import DATED_BY_FEED, Window
from conftest import run_cli

DAY = dt.date(2023, 3, 14)
FAST = FetchSettings(timeout=1.0, retries=1, backoff=0.01, workers=4)


# --- the server -------------------------------------------------------------------------------


@dataclass
class Page:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before answering
    drip: float = 0.0  # seconds between chunks of 64 bytes (a body that never ends in time)
    fail_first: int = 0  # answer 503 this many times first
    headers: dict = field(default_factory=dict)


class Server:
    """A loopback HTTP server: ``pages`` by path; what it was asked in ``requests`` (path, User-Agent, Authorization)."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[tuple[str, str, str]] = []
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_GET(self):  # noqa: N802 - http.server's name
                server.requests.append(
                    (self.path, self.headers.get("User-Agent", ""), self.headers.get("Authorization", ""))
                )
                page = server.pages.get(self.path)
                if page is None:
                    self.send_error(404, "Not Found")
                    return
                if page.fail_first > 0:
                    page.fail_first -= 1
                    self.send_response(503)
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if page.delay:
                    server.stop.wait(page.delay)
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                for key, value in page.headers.items():
                    self.send_header(key, value)
                if not page.drip:
                    self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                try:
                    if page.drip:
                        for start in range(0, len(page.body), 64):
                            if server.stop.wait(page.drip):
                                return
                            self.wfile.write(page.body[start : start + 64])
                            self.wfile.flush()
                    else:
                        self.wfile.write(page.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def asked(self, path: str) -> int:
        return sum(1 for p, *_ in self.requests if p == path)


@contextmanager
def http_server() -> Iterator[Server]:
    server = Server()
    server.thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[Server]:
    with http_server() as s:
        yield s


# --- content ----------------------------------------------------------------------------------

FACTS = [
    "Russian forces shelled Kharkiv overnight, killing seven civilians and wounding 12 others, the governor said.",
    "Ukrainian troops repelled 14 assaults near Avdiivka in the past day, the general staff said.",
    "A drone strike hit a fuel depot in Odesa, starting a fire that burned for six hours, the mayor said.",
    "Foreign ministers of the G7 agreed in Brussels to send Ukraine two more Patriot air defence systems.",
    "The World Bank approved a $1.5 billion loan to rebuild power plants damaged in the war.",
    "Turkish and UN mediators resumed talks in Istanbul on extending the Black Sea grain deal.",
    "Artillery fire destroyed a bridge over the Siverskyi Donets river used to bring supplies to the front line.",
    "The European Union agreed a new package of sanctions targeting Russian oil exports and banks.",
    "Engineers restored power to 40,000 homes in Kherson after repairs to the damaged energy grid.",
    "Donors pledged $2 billion at a recovery conference in London to rebuild schools and hospitals.",
]


def article_page(n: int, fact: str, *, site: str = "Loopback News") -> bytes:
    """An article page with site furniture around the story (navigation, footer, scripts)."""
    filler = (
        f"Officials gave no further details about the events described in report number {n}. "
        "Reporters could not independently verify the account given by either side in the conflict."
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Story {n} | {site}</title>
<meta property="og:title" content="Story {n}: what happened">
<meta property="og:site_name" content="{site}">
<meta property="article:published_time" content="{DAY.isoformat()}T08:00:00Z">
<script>var tracking = "do not read me";</script>
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/subscribe">Subscribe now</a></nav>
<article><h1>Story {n}: what happened</h1>
<p>{escape(fact)}</p>
<p>{escape(filler)}</p>
</article>
<footer>Copyright 2023 {site}. All rights reserved. Cookie settings.</footer>
</body></html>""".encode()


def rss(server: Server, items: list[tuple[str, str, dt.datetime | None]], title: str = "Loopback News") -> bytes:
    """An RSS 2.0 feed: (path, title, published) per item."""
    entries = []
    for path, item_title, published in items:
        date = f"<pubDate>{format_datetime(published)}</pubDate>" if published else ""
        entries.append(
            f"<item><title>{escape(item_title)}</title><link>{server.url(path)}</link>"
            f"<description>A short teaser.</description>{date}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{server.base}/</link><description>News</description>"
        + "".join(entries)
        + "</channel></rss>"
    ).encode()


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.timezone.utc)


def serve_articles(server: Server, count: int) -> list[tuple[str, str, dt.datetime]]:
    items = []
    for n in range(count):
        path = f"/news/story-{n}.html"
        server.pages[path] = Page(article_page(n, FACTS[n % len(FACTS)]))
        items.append((path, f"Story {n}", at(DAY)))
    return items


# --- acceptance: a feed of ten, two failing -------------------------------------------------------


def test_feed_of_ten_entries_with_two_failing_pages_gives_eight_articles_and_two_warnings(server):
    items = serve_articles(server, 10)
    del server.pages[items[3][0]]  # 404
    server.pages[items[7][0]] = Page(b"%PDF-1.7 not an article", content_type="application/pdf")
    server.pages["/feed.xml"] = Page(rss(server, items), content_type="application/rss+xml")

    result = run_cli(
        "generate", "--feed", server.url("/feed.xml"), "--router", "cues", "--backend", "extractive",
        "--date", DAY.isoformat(), "--format", "json", timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["sources"]) == 8
    assert report["period"]["articles"] == 8
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, result.stderr
    assert any(items[3][0] in w and "HTTP 404" in w for w in warnings)
    assert any(items[7][0] in w and "application/pdf" in w for w in warnings)
    # The warnings stay in the report, and every source is the page, not the feed's teaser.
    assert sum(1 for n in report["notices"] if "left out" in n and "/news/story-" in n) == 2
    for source in report["sources"]:
        assert source["url"].startswith(server.base + "/news/story-")
        assert source["date"] == DAY.isoformat() and source["dated_by"] == DATED_BY_FEED
        assert source["source"] == "Loopback News"
    cited_text = " ".join(c["text"] for s in report["sections"] for st in s["statements"] for c in st["citations"])
    assert "Subscribe now" not in cited_text and "tracking" not in cited_text
    # Every page was asked for with briefing's own User-Agent.
    assert {agent for _, agent, _ in server.requests} == {USER_AGENT}


# --- the ways a download fails ------------------------------------------------------------------


def test_slow_page_times_out_with_one_warning_and_the_rest_is_kept(server):
    items = serve_articles(server, 3)
    server.pages[items[0][0]] = Page(article_page(0, FACTS[0]), delay=4.0)
    server.pages[items[1][0]] = Page(article_page(1, FACTS[1]) * 40, drip=0.2)  # never finishes in time
    server.pages["/feed.xml"] = Page(rss(server, items))
    started = time.monotonic()
    got = read_feed(server.url("/feed.xml"), FetchSettings(timeout=0.5, retries=0, workers=4))
    assert time.monotonic() - started < 3.5
    assert [a.url for a in got.articles] == [server.url(items[2][0])]
    assert len(got.warnings) == 2
    assert all("timed out after 0.5 s" in w for w in got.warnings), got.warnings


def test_server_error_is_retried_with_backoff_then_warned(server):
    server.pages["/broken.html"] = Page(b"<p>oops</p>", status=500)
    with pytest.raises(FetchError) as caught:
        fetch(server.url("/broken.html"), FetchSettings(timeout=1, retries=2, backoff=0.01))
    assert "HTTP 500" in caught.value.message and "after 3 tries" in caught.value.message
    assert server.asked("/broken.html") == 3


def test_a_failure_that_passes_is_retried_and_the_page_is_read(server):
    server.pages["/flaky.html"] = Page(article_page(1, FACTS[1]), fail_first=1)
    article = read_url(server.url("/flaky.html"), FAST)
    assert FACTS[1] in article.text
    assert server.asked("/flaky.html") == 2


def test_client_errors_are_not_retried(server):
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(server.url("/missing.html"), FetchSettings(retries=3, backoff=0.01))
    assert server.asked("/missing.html") == 1


def test_huge_body_is_refused_at_the_size_cap(server):
    huge = article_page(0, FACTS[0]) + b"<p>" + b"x" * (2 * 1024 * 1024) + b"</p>"
    server.pages["/huge.html"] = Page(huge)  # announced by Content-Length
    server.pages["/huge-chunked.html"] = Page(huge[:300_000], drip=0.0001)  # no Content-Length
    settings = FetchSettings(timeout=10, max_bytes=256 * 1024, retries=0)
    for path in ("/huge.html", "/huge-chunked.html"):
        with pytest.raises(FetchError, match=r"larger than the 256 KB limit"):
            fetch(server.url(path), settings)


def test_a_compressed_body_sent_unasked_is_unpacked_within_the_cap(server):
    page = article_page(2, FACTS[2])
    server.pages["/gz.html"] = Page(gzip.compress(page), headers={"Content-Encoding": "gzip"})
    assert FACTS[2] in read_url(server.url("/gz.html"), FAST).text
    bomb = gzip.compress(b"<p>" + b"x" * (4 * 1024 * 1024) + b"</p>")  # 4 KB packed, 4 MB unpacked
    server.pages["/bomb.html"] = Page(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="larger than the 256 KB limit once unpacked"):
        fetch(server.url("/bomb.html"), FetchSettings(max_bytes=256 * 1024, retries=0))


def test_non_html_body_is_not_taken_for_an_article(server):
    server.pages["/photo.jpg"] = Page(b"\xff\xd8\xff\xe0" + b"\0" * 500, content_type="image/jpeg")
    server.pages["/data"] = Page(b"\x00\x01\x02binary", content_type="")
    with pytest.raises(FetchError, match="not a web page but image/jpeg"):
        read_url(server.url("/photo.jpg"), FAST)
    with pytest.raises(FetchError, match="binary|not a web page"):
        read_url(server.url("/data"), FAST)


def test_refused_connection_and_odd_addresses_are_one_line_errors(server):
    closed = server.url("/x").replace(str(server.httpd.server_address[1]), "9")  # port 9: nothing listens
    with pytest.raises(FetchError, match="cannot connect"):
        fetch(closed, FetchSettings(timeout=1, retries=1, backoff=0.01))
    for address in ("file:///etc/passwd", "ftp://example.org/a", "not a url"):
        with pytest.raises(FetchError, match="not an http"):
            fetch(address)


# --- pages and feeds ------------------------------------------------------------------------------


def test_page_is_reduced_to_its_main_text_with_title_site_and_date(server):
    server.pages["/story.html"] = Page(article_page(5, FACTS[4], site="Example Times"))
    article = read_url(server.url("/story.html"), FAST)
    assert FACTS[4] in article.text
    assert "Subscribe" not in article.text and "Cookie" not in article.text and "tracking" not in article.text
    assert article.title.startswith("Story 5")
    assert article.source == "Example Times"
    assert article.date == DAY
    assert article.url == server.url("/story.html")


def test_entries_outside_the_window_are_not_downloaded(server):
    items = serve_articles(server, 4)
    old = [(path, title, at(DAY - dt.timedelta(days=10))) for path, title, _ in items[2:]]
    server.pages["/feed.xml"] = Page(rss(server, items[:2] + old))
    window = Window(DAY - dt.timedelta(days=1), DAY)
    got = read_feed(server.url("/feed.xml"), FAST, window)
    assert len(got.articles) == 2 and not got.warnings
    assert server.asked(items[2][0]) == 0 and server.asked(items[3][0]) == 0
    assert got.notices == [f"feed {server.url('/feed.xml')}: 2 entries dated outside 13–14 March 2023 not fetched"]


def test_atom_feed_and_entries_carrying_the_whole_article(server):
    body = " ".join([FACTS[5]] + ["The talks were described as constructive by both delegations."] * 30)
    atom = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Agency</title><id>urn:x</id><updated>2023-03-14T10:00:00Z</updated>
<entry><title>Grain talks resume</title><id>urn:1</id><link href="{server.url('/never-fetched.html')}"/>
<updated>2023-03-14T10:00:00Z</updated><content type="html">{escape('<p>' + body + '</p>')}</content></entry>
<entry><title>Story 0</title><id>urn:2</id><link href="{server.url('/news/story-0.html')}"/>
<updated>2023-03-14T11:00:00Z</updated><summary>Teaser only.</summary></entry>
</feed>""".encode()
    server.pages["/atom.xml"] = Page(atom, content_type="application/atom+xml")
    server.pages["/news/story-0.html"] = Page(article_page(0, FACTS[0]))
    got = read_feed(server.url("/atom.xml"), FAST)
    assert not got.warnings
    assert [a.title for a in got.articles] == ["Grain talks resume", "Story 0: what happened"]
    assert got.articles[0].source == "Atom Agency" and FACTS[5] in got.articles[0].text
    assert server.asked("/never-fetched.html") == 0


def test_a_feed_that_is_not_a_feed_or_is_down_is_one_warning(server):
    server.pages["/page.html"] = Page(article_page(1, FACTS[1]))
    got = read_feed(server.url("/page.html"), FAST)
    assert got.articles == [] and len(got.warnings) == 1 and "not an RSS or Atom feed" in got.warnings[0]
    got = read_feed(server.url("/gone.xml"), FAST)
    assert got.articles == [] and got.warnings == [f"feed {server.url('/gone.xml')}: HTTP 404 Not Found"]


def test_files_feeds_and_pages_make_one_set_of_articles(server, tmp_path):
    items = serve_articles(server, 2)
    server.pages["/feed.xml"] = Page(rss(server, items))
    server.pages["/extra.html"] = Page(article_page(9, FACTS[9]))
    local = tmp_path / "local.txt"
    local.write_text(f"title: Local\nsource: Desk\ndate: {DAY}\n\n{FACTS[8]}\n", encoding="utf-8")
    shown: list[str] = []
    got = collect(
        [str(local)], [server.url("/feed.xml")], [server.url("/extra.html"), server.url("/nothing.html")],
        window=Window(DAY - dt.timedelta(days=1), DAY), settings=FAST, notify=shown.append,
    )
    assert [a.title for a in got.articles] == ["Local", "Story 0: what happened", "Story 1: what happened",
                                               "Story 9: what happened"]
    assert shown == [f"warning: left out {server.url('/nothing.html')}: HTTP 404 Not Found"]
    assert (got.since, got.until) == (DAY - dt.timedelta(days=1), DAY)


def test_all_web_sources_failing_is_an_input_error(server):
    with pytest.raises(InputError, match="no article could be read: 2 web sources failed"):
        collect([], [server.url("/a.xml")], [server.url("/b.html")], settings=FAST)


def test_a_password_in_the_address_is_sent_as_basic_auth_and_never_shown(server):
    server.pages["/private.xml"] = Page(b"", status=401)
    address = server.url("/private.xml").replace("http://", "http://desk:s3cret@")
    got = read_feed(address, FAST)
    assert got.warnings == [f"feed {server.url('/private.xml')}: HTTP 401 Unauthorized"]
    assert "s3cret" not in " ".join(got.warnings)
    (_, _, authorization), = server.requests
    assert base64.b64decode(authorization.removeprefix("Basic ")) == b"desk:s3cret"
