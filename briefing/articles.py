"""Reading articles: text, Markdown, HTML, JSON/JSONL files, folders and stdin.

Every reader returns :class:`Article` values; nothing downstream reads files again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable

from .errors import InputError

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
    """Unify newlines and spaces; keep paragraph breaks (blank lines)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\ufeff", "")
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _title_from_body(body: str) -> tuple[str, str]:
    """Use the first paragraph as the title when it looks like a headline (short, no final period)."""
    first, _, rest = body.partition("\n\n")
    line = first.strip().lstrip("#").strip()
    if rest and "\n" not in first and len(line) <= 200 and not line.endswith((".", "”", '"')):
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
    for fmt in ("%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y", "%a, %d %b %Y"):
        try:
            return dt.datetime.strptime(text[: len(text)], fmt).date()
        except ValueError:
            continue
    try:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


# --- decoding -------------------------------------------------------------------------------


def decode_bytes(data: bytes, name: str) -> str:
    """Decode article bytes: UTF-8 (with or without BOM), UTF-16 with BOM, then a detected encoding."""
    if not data.strip():
        raise InputError(f"{name}: the file is empty", "give a file with article text")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file, not text", "give a .txt, .md, .html or .json article")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding and _mostly_printable(str(best)):
        return data.decode(best.encoding, errors="replace")
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _mostly_printable(text):
            return text
    raise InputError(f"{name}: cannot decode the text (not UTF-8 or a common encoding)", "save it as UTF-8")


def _mostly_printable(text: str) -> bool:
    sample = text[:20_000]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f") or 0x7F <= ord(ch) < 0xA0)
    return bad / len(sample) < 0.01


# --- readers --------------------------------------------------------------------------------


def read_text_article(text: str, path: str = "") -> Article:
    """A text or Markdown article: optional ``key: value`` header or YAML front matter, then the body."""
    text = normalise_text(text)
    meta: dict[str, str] = {}
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            meta = _parse_header(text[4:end].splitlines())
            text = text[end + 4 :].lstrip("-\n")
    else:
        head, sep, rest = text.partition("\n\n")
        lines = head.splitlines()
        parsed = _parse_header(lines)
        if sep and parsed and len(parsed) == len(lines) and set(parsed) & _HEADER_KEYS:
            meta, text = parsed, rest
    title = meta.get("title", "")
    if not title and text.startswith("#"):
        first, _, rest = text.partition("\n")
        title, text = first.lstrip("#").strip(), rest
    text = _strip_markdown(text) if Path(path).suffix.lower() in {".md", ".markdown"} else text
    return make_article(
        text,
        title=title,
        source=meta.get("source") or meta.get("outlet") or meta.get("byline", ""),
        date=meta.get("date") or meta.get("published"),
        url=meta.get("url") or meta.get("link", ""),
        path=path,
    )


def _parse_header(lines: list[str]) -> dict[str, str]:
    meta = {}
    for line in lines:
        match = _HEADER_LINE.match(line.strip())
        if not match:
            return {}
        meta[match["key"].lower()] = match["value"].strip().strip('"').strip("'")
    return meta


def _strip_markdown(text: str) -> str:
    """Drop Markdown markup that is not prose: heading marks, emphasis, links' targets, images."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.MULTILINE)
    return text


def read_html_article(html: str, path: str = "", url: str = "") -> Article:
    """Reduce an HTML page to its main text with trafilatura, keeping title, site, date and url."""
    import trafilatura

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
    if not body or not body.strip():
        raise InputError(f"{path or url or 'page'}: no article text found in the HTML", "check that it is an article page")
    # trafilatura puts one paragraph per line; the rest of briefing expects blank lines between.
    body = "\n\n".join(line.strip() for line in body.splitlines() if line.strip())
    get = (lambda key: getattr(extracted, key, None) or "") if extracted is not None else (lambda key: "")
    return make_article(
        body,
        title=get("title"),
        source=get("sitename") or get("hostname"),
        date=get("date") or None,
        url=url or get("url"),
        path=path,
    )


def articles_from_json(text: str, path: str = "") -> list[Article]:
    """Articles from a JSON object, a JSON list of objects, or JSON Lines (one object a line)."""
    name = path or "input"
    records: list = []
    stripped = text.strip()
    try:
        data = json.loads(stripped)
        records = data if isinstance(data, list) else [data]
    except json.JSONDecodeError as first_error:
        for number, line in enumerate(stripped.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                where = f"line {number}" if number > 1 else f"line {first_error.lineno}"
                raise InputError(f"{name}: not valid JSON or JSON Lines ({where})", "fix the file or convert it to .txt") from None
    articles = []
    for number, record in enumerate(records, start=1):
        if isinstance(record, dict) and isinstance(record.get("articles"), list):
            records.extend(record["articles"])
            continue
        if not isinstance(record, dict):
            raise InputError(f"{name}: record {number} is not an object", "each record needs a 'text' or 'body' field")
        body = record.get("text") or record.get("body") or record.get("content")
        if not isinstance(body, str) or not body.strip():
            raise InputError(f"{name}: record {number} has no 'text' or 'body'", "each record needs the article text")
        articles.append(
            make_article(
                body,
                title=str(record.get("title") or ""),
                source=str(record.get("source") or record.get("outlet") or ""),
                date=str(record.get("date") or record.get("published") or "") or None,
                url=str(record.get("url") or record.get("link") or ""),
                path=f"{path}#{number}" if len(records) > 1 else path,
            )
        )
    if not articles:
        raise InputError(f"{name}: no articles in the JSON", "give an object with 'title' and 'text'")
    return articles


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
    head = text_start.lstrip()[:512].lower()
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head or b"<p>" in head:
        return "html"
    return "text"


def _read_limited(handle: BinaryIO, name: str, max_bytes: int) -> bytes:
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(
            f"{name}: larger than the {_size(max_bytes)} limit",
            "split it, or raise the limit with --max-input-size",
        )
    return data


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def read_path(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Article]:
    """Articles from one file (any supported kind)."""
    kind = kind_of(path)
    if kind is None:
        raise InputError(
            f"{path}: unsupported file type '{path.suffix or '(none)'}'",
            "give .txt, .md, .html or .json/.jsonl files",
        )
    try:
        with path.open("rb") as handle:
            data = _read_limited(handle, str(path), max_bytes)
    except PermissionError:
        raise InputError(f"{path}: permission denied", "check the file's permissions") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder", "give the folder itself, not a file inside") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_article_bytes(data, str(path), kind)


def files_in_folder(folder: Path) -> list[Path]:
    """Supported article files in a folder and its subfolders, sorted by path; hidden files skipped."""
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and kind_of(path) and not SKIPPED_NAME.search(path.name):
            files.append(path)
    return files


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
            files = files_in_folder(path)
            if not files:
                raise InputError(
                    f"{path}: no supported article files in this folder",
                    "it needs .txt, .md, .html or .json/.jsonl files",
                )
            for file in files:
                articles.extend(read_path(file, max_bytes=max_bytes))
        else:
            articles.extend(read_path(path, max_bytes=max_bytes))
    unique: dict[str, Article] = {}
    for article in articles:
        unique.setdefault(article.id, article)
    return list(unique.values())
