"""Reading articles: text, Markdown, HTML, JSON/JSONL files, folders and stdin.

Every reader returns :class:`Article` values; nothing downstream reads files again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

from .errors import InputError

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
# Files beside articles that are not articles (human summaries in the corpus, READMEs).
SKIPPED_NAME = re.compile(r"(\.summary\.txt$|^readme(\.\w+)?$|^sources\.md$)", re.IGNORECASE)

_HEADER_LINE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z_-]{0,20})\s*:\s*(?P<value>.*)$")
_HEADER_KEYS = {"title", "source", "date", "url", "origin", "author", "byline", "published", "outlet", "link"}


@dataclass(frozen=True)
class Article:
    """One article: its body text (paragraphs separated by blank lines) and what we know of it."""

    id: str
    title: str
    text: str
    source: str = ""
    date: dt.date | None = None
    url: str = ""
    path: str = ""

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in re.split(r"\n\s*\n", self.text) if p.strip()]

    @property
    def label(self) -> str:
        """A short name for messages: the source, else the file name."""
        return self.source or Path(self.path).name or self.id


def make_article(
    text: str,
    *,
    title: str = "",
    source: str = "",
    date: dt.date | str | None = None,
    url: str = "",
    path: str = "",
) -> Article:
    """Build an Article from parts, normalising whitespace and deriving the id from the text."""
    body = normalise_text(text)
    if not body:
        raise InputError(f"{path or 'input'}: no article text found", "check that the file holds an article")
    title = " ".join(title.split())
    if not title:
        title, body = _title_from_body(body)
    else:
        body = _without_repeated_title(body, title)
    return Article(
        id=hashlib.sha256(body.encode("utf-8")).hexdigest()[:12],
        title=title,
        text=body,
        source=" ".join(source.split()),
        date=parse_date(date),
        url=url.strip(),
        path=path,
    )


def normalise_text(text: str) -> str:
    """Unify newlines and spaces; keep paragraph breaks (blank lines); unwrap hard-wrapped lines."""
    text = clean_whitespace(text)
    return "\n\n".join(_reflow(block) for block in text.split("\n\n")) if text else text


def clean_whitespace(text: str) -> str:
    """Unify newlines and spaces, drop control characters; at most one blank line between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\ufeff", "").replace("\u200b", "")
    text = re.sub(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", "", text)
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _reflow(block: str) -> str:
    """One block between blank lines: join hard-wrapped prose, or make each line its own paragraph.

    Lines over 100 characters mean one paragraph a line, as in text copied from a web page.
    Otherwise the text was wrapped at a width: lines are joined, and a line much shorter than
    the width (a heading, a paragraph's last line) or a list item starts a new paragraph.
    """
    lines = block.split("\n")
    width = max(len(line) for line in lines)
    if len(lines) == 1 or width > 100:
        return "\n\n".join(lines)
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if paragraphs[-1] and _LIST_ITEM.match(line):
            paragraphs.append([])
        paragraphs[-1].append(line)
        if len(line) < 0.6 * width:
            paragraphs.append([])
    return "\n\n".join(" ".join(lines) for lines in paragraphs if lines)


_LIST_ITEM = re.compile(r"^(?:[-*•·–]|\d{1,2}[.)])\s")


def _without_repeated_title(body: str, title: str) -> str:
    """Drop a first paragraph that only repeats the title (pages often print the headline twice)."""
    first, sep, rest = body.partition("\n\n")
    if sep and _same_words(first.lstrip("#").strip(), title):
        return rest.strip()
    return body


def _same_words(a: str, b: str) -> bool:
    return re.sub(r"\W+", " ", a).strip().lower() == re.sub(r"\W+", " ", b).strip().lower()


def _title_from_body(body: str) -> tuple[str, str]:
    """Use the first paragraph as the title when it looks like a headline (short, no final period)."""
    first, _, rest = body.partition("\n\n")
    line = first.strip().lstrip("#").strip()
    if rest and "\n" not in first and len(line) <= 200 and not line.endswith((".", "”", "’", '"')):
        return line, rest.strip()
    return "", body


def parse_date(value: dt.date | str | None) -> dt.date | None:
    """Parse a date from ISO text, or ISO date-times, returning None when it cannot be read."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    text = str(value).strip()
    if not text:
        return None
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        try:
            return dt.date(*map(int, match.groups()))
        except ValueError:
            return None
    for fmt in ("%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y", "%b. %d, %Y", "%a, %d %b %Y", "%A, %d %B %Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


# --- decoding -------------------------------------------------------------------------------


# Signatures of binary formats people might pass by mistake, named in the error message.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"RIFF", "a RIFF (WebP, WAV or AVI) file"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (or a .docx/.xlsx/.epub document)"),
    (b"PK\x05\x06", "a zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x00\x00\x01\x00", "an icon file"),
    (b"OggS", "an Ogg audio file"),
    (b"ID3", "an MP3 audio file"),
    (b"{\\rtf", "an RTF document"),
)
_WORDLIKE_MAGIC = {b"MZ", b"BZh", b"ID3", b"RIFF", b"OggS"}
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_TEXT_HINT = "give a .txt, .md, .html or .json article"


def decode_bytes(data: bytes, name: str) -> str:
    """Decode article bytes: a BOM's encoding, UTF-8, Windows-1252 for Western text, else a detected one.

    Refuses empty and blank input, binary files (named when recognised) and bytes that decode
    to no readable text in any of these.
    """
    if not data:
        raise InputError(f"{name}: the file is empty (0 bytes)", "give a file with article text")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _readable(data.decode(encoding), name)
            except UnicodeDecodeError:
                raise InputError(f"{name}: starts with a {encoding} byte-order mark but is not valid {encoding}",
                                 "save it as UTF-8") from None
    for magic, what in _MAGIC:
        if data.startswith(magic) and not (magic in _WORDLIKE_MAGIC and _looks_textual(data)):
            raise InputError(f"{name}: this is {what}, not text", _TEXT_HINT)
    utf16 = _bomless_utf16(data)
    if utf16:
        return _readable(data.decode(utf16, errors="replace"), name)
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file, not text", _TEXT_HINT)
    try:
        return _readable(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        pass
    text = _western(data)
    if text is None:
        text = _detected(data)
    if text is None:
        raise InputError(f"{name}: cannot decode the text (not UTF-8, UTF-16, Windows-1252 or another "
                         "encoding it could recognise)", "save it as UTF-8")
    return _readable(text, name)


def _readable(text: str, name: str) -> str:
    """The decoded text, unless it is blank or mostly control characters."""
    if not text.strip():
        raise InputError(f"{name}: the file has only blank space, no text", "give a file with article text")
    if not _mostly_printable(text):
        raise InputError(f"{name}: looks like a binary file, not text", _TEXT_HINT)
    return text


def _looks_textual(data: bytes) -> bool:
    return b"\x00" not in data[:8192] and data[:64].isascii()


def _bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for text saved without a byte-order mark (every other byte zero)."""
    sample = data[:4096]
    if len(sample) < 8 or len(sample) % 2:
        sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _western(data: bytes) -> str | None:
    """Windows-1252 (a superset of Latin-1's printable range) when the result reads as Western text.

    English with curly quotes saved by Windows decodes here; Cyrillic in cp1251 or KOI8-R would
    decode too, as accented Latin soup, so text where accented letters are common is left to
    detection.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    letters = [ch for ch in text[:50_000] if ch.isalpha()]
    if not letters:
        return None
    accented = sum(1 for ch in letters if ord(ch) > 0x7F)
    return text if accented / len(letters) < 0.15 else None


def _detected(data: bytes) -> str | None:
    """Decode with the encoding charset_normalizer finds most likely, if the result is readable."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    # No language recognised in the result (coherence 0) means the guess is noise, not text.
    if best is None or not best.encoding or best.encoding.startswith("utf_") or best.coherence <= 0:
        return None
    try:
        text = data.decode(best.encoding, errors="strict")
    except (UnicodeDecodeError, LookupError):
        return None
    return text if _mostly_printable(text) else None


def _mostly_printable(text: str) -> bool:
    sample = text[:20_000]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f") or 0x7F <= ord(ch) < 0xA0 or ch == "\ufffd")
    return bad / len(sample) < 0.01


# --- readers --------------------------------------------------------------------------------


def read_text_article(text: str, path: str = "") -> Article:
    """A text or Markdown article: optional ``key: value`` header or YAML front matter, then the body.

    Without a title in the header, a first line ``# Title`` (or a short first line with no final
    period) is the title.
    """
    markdown = Path(path).suffix.lower() in {".md", ".markdown"}
    text = clean_whitespace(text)
    meta: dict[str, str] = {}
    front = _FRONT_MATTER.match(text)
    if front:
        meta = _parse_header(front.group(1).splitlines(), lenient=True)
        text = text[front.end() :].lstrip("\n")
    else:
        head, sep, rest = text.partition("\n\n")
        lines = head.splitlines()
        parsed = _parse_header(lines)
        if sep and parsed and len(parsed) == len(lines) and set(parsed) & _HEADER_KEYS:
            meta, text = parsed, rest
    title = meta.get("title", "")
    heading = _FIRST_HEADING.match(text)
    if not title and heading:
        title, text = (heading.group("title") or heading.group("setext")).strip(" \t#"), text[heading.end() :]
    if markdown:
        text = _strip_markdown(text)
    return make_article(
        text,
        title=_strip_markdown(title) if markdown else title,
        source=meta.get("source") or meta.get("outlet") or meta.get("site") or meta.get("publisher", ""),
        date=meta.get("date") or meta.get("published") or meta.get("published_at"),
        url=meta.get("url") or meta.get("link") or meta.get("canonical", ""),
        path=path,
    )


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
# "# Title" or a Setext heading ("Title" underlined with === or ---) on the first line.
_FIRST_HEADING = re.compile(r"\A(?:#{1,2}[ \t]+(?P<title>[^\n]+)|(?P<setext>[^\n]+)\n(?:=+|-+)[ \t]*)(?:\n|\Z)")


def _parse_header(lines: list[str], lenient: bool = False) -> dict[str, str]:
    """``key: value`` lines; any other line makes it not a header, unless ``lenient`` (front matter)."""
    meta = {}
    for line in lines:
        match = _HEADER_LINE.match(line.strip())
        if not match:
            if lenient:
                continue  # YAML lists, comments, nested keys
            return {}
        key = match["key"].lower().replace("-", "_")
        meta.setdefault(key, match["value"].strip().strip('"').strip("'"))
    return meta


def _strip_markdown(text: str) -> str:
    """Drop Markdown markup that is not prose: headings' marks, emphasis, links' targets, images, code."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    text = re.sub(r"^```.*?^```[ \t]*$", "", text, flags=re.DOTALL | re.MULTILINE)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"^\[[^\]]+\]:\s+\S+.*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"^#{1,6}\s*(.*?)\s*#*\s*$", r"\1", text, flags=re.MULTILINE)
    text = re.sub(r"^(?:[-*_]\s*){3,}$", "", text, flags=re.MULTILINE)
    text = re.sub(r"^(?:=+|-+)\s*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])", r"\1", text)
    text = re.sub(r"`([^`\n]+)`", r"\1", text)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.MULTILINE)
    return text


def read_html_article(html: str, path: str = "", url: str = "") -> Article:
    """Reduce an HTML page to its main text with trafilatura, keeping title, site, date and url.

    Navigation, footers, cookie banners, related links and scripts are left out; paragraphs
    become blank-line separated.
    """
    name = path or url or "page"
    try:
        import trafilatura
    except ImportError as exc:
        raise InputError(f"{name}: cannot read HTML: {exc}", "reinstall briefing with its dependencies") from None
    try:
        extracted = trafilatura.bare_extraction(
            html,
            url=url or None,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            favor_precision=True,
            with_metadata=True,
        )
        body = extracted.text if extracted is not None else None
        if not body:
            # Short pages are below trafilatura's thresholds; its baseline keeps the visible text.
            _, body, _ = trafilatura.baseline(html)
    except Exception as exc:  # a third-party parser: any failure means the page cannot be read
        raise InputError(
            f"{name}: cannot parse the HTML ({type(exc).__name__})", "check that it is a web page"
        ) from None
    if not body or (len(body.split()) < 6 and not re.search(r"[.!?]", body)):
        raise InputError(f"{name}: no article text found in the HTML", "check that it is an article page")
    # trafilatura puts one paragraph per line; the rest of briefing expects blank lines between.
    body = "\n\n".join(line.strip() for line in body.splitlines() if line.strip())

    def meta(key: str) -> str:
        value = getattr(extracted, key, None) if extracted is not None else None
        return value if isinstance(value, str) else ""

    return make_article(
        body,
        title=meta("title") or _html_title(html),
        source=meta("sitename") or meta("hostname"),
        date=meta("date") or None,
        url=url or meta("url"),
        path=path,
    )


def _html_title(html: str) -> str:
    """The page's <title>, for pages trafilatura found no metadata in."""
    import html as entities

    match = re.search(r"<title[^>]*>(.*?)</title>", html, re.IGNORECASE | re.DOTALL)
    return entities.unescape(match.group(1)).strip() if match else ""


_TEXT_FIELDS = ("text", "body", "content", "article", "full_text", "maintext")


def articles_from_json(text: str, path: str = "") -> list[Article]:
    """Articles from a JSON object, a JSON list of objects, or JSON Lines (one object a line).

    Fields: title, text (or body, content), source (or outlet, site), url (or link), date (or
    published); an object with an ``articles`` list holds several.
    """
    name = path or "input"
    records = _json_records(text.strip(), name)
    articles = []
    for number, record in enumerate(records, start=1):
        if isinstance(record, dict) and isinstance(record.get("articles"), list):
            records.extend(record["articles"])
            continue
        if not isinstance(record, dict):
            raise InputError(f"{name}: record {number} is not an object", "each record needs a 'text' or 'body' field")
        body = next((record[k] for k in _TEXT_FIELDS if isinstance(record.get(k), str) and record[k].strip()), None)
        if body is None:
            raise InputError(
                f"{name}: record {number} has no article text (no 'text' or 'body' field)",
                "each record needs the article text in 'text' or 'body'",
            )
        articles.append(
            make_article(
                _strip_tags(body),
                title=_field(record, "title", "headline"),
                source=_field(record, "source", "outlet", "site", "sitename", "publisher"),
                date=_field(record, "date", "published", "published_at", "date_publish") or None,
                url=_field(record, "url", "link", "canonical"),
                path=f"{path}#{number}" if len(records) > 1 else path,
            )
        )
    if not articles:
        raise InputError(f"{name}: no articles in the JSON", "give an object with 'title' and 'text'")
    return articles


def _json_records(text: str, name: str) -> list:
    """The top-level values: one JSON document (a list or an object), or one per line."""
    try:
        data = json.loads(text)
        return list(data) if isinstance(data, list) else [data]
    except json.JSONDecodeError as first_error:
        if "\n" not in text:
            raise InputError(
                f"{name}: not valid JSON ({first_error.msg} at line {first_error.lineno}, column {first_error.colno})",
                "fix the file or convert it to .txt",
            ) from None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise InputError(
                f"{name}: not valid JSON or JSON Lines ({error.msg} at line {number}, column {error.colno})",
                "fix the file or convert it to .txt",
            ) from None
    return records


def _field(record: dict, *keys: str) -> str:
    """The first of ``keys`` holding a plain value, as text; a {'name': …} object gives its name."""
    for key in keys:
        value = record.get(key)
        if isinstance(value, dict):
            value = value.get("name") or value.get("title")
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            return str(value)
    return ""


def _strip_tags(body: str) -> str:
    """JSON bodies sometimes hold HTML: keep their text, one paragraph per block element."""
    if not re.search(r"</?(?:p|div|br|span|a|em|strong|b|i|h\d)\b[^>]*>", body, re.IGNORECASE):
        return body
    import html as entities

    body = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", body, flags=re.IGNORECASE | re.DOTALL)
    body = re.sub(r"<br\s*/?>|</(?:p|div|h\d|li|blockquote)\s*>", "\n\n", body, flags=re.IGNORECASE)
    return entities.unescape(re.sub(r"<[^>]+>", "", body))


def parse_article_bytes(data: bytes, name: str, kind: str) -> list[Article]:
    """Parse the bytes of one input of ``kind`` ('text', 'markdown', 'html' or 'json')."""
    text = decode_bytes(data, name)
    if kind == "html":
        return [read_html_article(text, path=name)]
    if kind == "json":
        return articles_from_json(text, path=name)
    return [read_text_article(text, path=name)]


def kind_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return None


def sniff_kind(text_start: bytes) -> str:
    """Guess the kind of stdin input from its first bytes."""
    head = text_start.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head or b"<p>" in head:
        return "html"
    return "text"


def _read_limited(handle: BinaryIO, name: str, max_bytes: int) -> bytes:
    """At most ``max_bytes`` from ``handle``; one byte more means the input is too large."""
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(name, max_bytes)
    return data


def _too_large(name: str, max_bytes: int) -> InputError:
    return InputError(
        f"{name}: larger than the {_size(max_bytes)} limit",
        "split it, or raise the limit with --max-input-size",
    )


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.3g} MB"
    return f"{n / 1024:.3g} KB" if n >= 1024 else f"{n} bytes"


def read_path(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    """Articles from one file (any supported kind); a file over ``max_bytes`` is refused unread."""
    kind = kind_of(path)
    if kind is None:
        raise InputError(
            f"{path}: unsupported file type '{path.suffix or '(none)'}'",
            "give .txt, .md, .html or .json/.jsonl files",
        )
    try:
        if path.is_file() and path.stat().st_size > max_bytes:
            raise _too_large(str(path), max_bytes)
        with path.open("rb") as handle:
            data = _read_limited(handle, str(path), max_bytes)
    except PermissionError:
        raise InputError(f"{path}: permission denied", "check the file's permissions") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder", "give the folder itself, not a file inside") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or folder", "check the path") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})", "check the file") from None
    return parse_article_bytes(data, str(path), kind)


def files_in_folder(folder: Path) -> list[Path]:
    """Supported article files in a folder and its subfolders, sorted by path; hidden files skipped."""
    files = []
    try:
        paths = sorted(folder.rglob("*"))
    except OSError as exc:
        raise InputError(f"{folder}: cannot list the folder ({exc.strerror or exc})", "check its permissions") from None
    for path in paths:
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and kind_of(path) and not SKIPPED_NAME.search(path.name):
            files.append(path)
    return files


def read_folder(folder: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    """Articles from every supported file in a folder; a file that cannot be read is skipped with a warning.

    The folder is refused when it holds no supported file, or when none of them can be read.
    """
    files = files_in_folder(folder)
    if not files:
        raise InputError(
            f"{folder}: no supported article files in this folder",
            "it needs .txt, .md, .html or .json/.jsonl files",
        )
    articles: list[Article] = []
    problems: list[InputError] = []
    for file in files:
        try:
            articles.extend(read_path(file, max_bytes=max_bytes))
        except InputError as error:
            log.warning("skipped %s", error)
            problems.append(error)
    if not articles:
        raise InputError(
            f"{folder}: none of its {len(files)} article file(s) could be read (first: {problems[0].message})",
            problems[0].hint,
        )
    return articles


def read_inputs(
    inputs: Iterable[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: BinaryIO | None = None,
) -> list[Article]:
    """Read every input (file, folder, or ``-`` for stdin) into articles, in the order given.

    The same article given twice (same text) is kept once.
    """
    articles: list[Article] = []
    inputs = list(inputs)
    if not inputs:
        raise InputError("no input given", "name an article file, a folder, or - for stdin")
    for item in inputs:
        if str(item) == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = _read_limited(stream, "stdin", max_bytes)
            articles.extend(parse_article_bytes(data, "stdin", sniff_kind(data)))
            continue
        path = Path(item)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder", "check the path")
        if path.is_dir():
            articles.extend(read_folder(path, max_bytes=max_bytes))
        else:
            articles.extend(read_path(path, max_bytes=max_bytes))
    unique: dict[str, Article] = {}
    for article in articles:
        unique.setdefault(article.id, article)
    return list(unique.values())
