"""Rendering a report: Jinja2 templates for Markdown, HTML and text, and JSON of the data.

Templates come from (first match wins, file by file): a ``--templates`` folder, the user's
``BRIEFING_HOME/templates``, then the package's ``templates/``. Undefined variables are errors, and
HTML is autoescaped: article text is data, never markup.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
import traceback
from pathlib import Path
from typing import Sequence

import jinja2

from .condense import NO_DEVELOPMENTS
from .errors import ConfigError
from .files import write_all_atomic
from .report import Report, report_to_dict
from .resources import layered_dirs
from .text import Sentence
from .window import DATED_BY_MTIME, period_text

FORMATS = {"md": "report.md.j2", "html": "report.html.j2", "txt": "report.txt.j2", "json": None}
SUFFIXES = {"md": ".md", "html": ".html", "txt": ".txt", "json": ".json"}
TEXT_WIDTH = 78

METHOD_TEXT = {
    "extractive": "extractive — sentences quoted verbatim from the sources",
    "seq2seq": "condensed by a local seq2seq model",
    # the section's note says why: no model, a failed run, or output that failed the checks
    "extractive-fallback": "extractive fallback — sentences quoted verbatim instead of the model's",
    "none": "nothing was routed to this section",
}
ROUTER_TEXT = {"cues": "cue words", "embeddings": "sentence embeddings"}
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
OPENING_QUOTES = "“\"‘'«„"


def environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment: layered template folders, strict undefined, HTML autoescaped."""
    if templates_dir is not None and not Path(templates_dir).is_dir():
        raise ConfigError(f"{templates_dir}: templates folder not found", "give a folder of .j2 templates")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in layered_dirs("templates", templates_dir)]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wrap"] = wrap
    env.filters["md"] = markdown_escape
    env.filters["md_cell"] = markdown_escape
    env.filters["method_text"] = method_text
    env.filters["long_date"] = long_date
    return env


# --- filters -------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_LEADING = re.compile(r"^(\d{1,9})([.)])(?=\s|$)|^([-+])(?=\s|$)")


def markdown_escape(text: str) -> str:
    """Article text as Markdown that shows exactly as written: markup characters backslash-escaped,
    whitespace collapsed to one line (safe in list items and table cells), no accidental list
    markers, entities, math (``$…$``) or strikethrough (``~…~``)."""
    text = " ".join(str(text).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_ENTITY.sub(r"\\&", text)
    for pair in ("$", "~"):
        if text.count(pair) >= 2:
            text = text.replace(pair, "\\" + pair)
    return _MD_LEADING.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text)


def method_text(method: str, model: str | None = None) -> str:
    """How a section was produced, in words for the report's footer."""
    text = METHOD_TEXT.get(method, method)
    return f"{text} (model {model})" if model else text


_REF = re.compile(r" (?=\[\d+\.\d+\])")


def wrap(text: str, width: int = TEXT_WIDTH, indent: str = "", first: str | None = None) -> str:
    """Fill ``text`` to ``width`` columns; a citation like ``[1.7]`` never starts a line on its own."""
    glued = _REF.sub("\u00a0", re.sub(r"\s*\n\s*", " ", str(text)).strip())
    filled = textwrap.fill(
        glued,
        width=width,
        initial_indent=first if first is not None else indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return filled.replace("\u00a0", " ")


def long_date(value: dt.date | str | None) -> str:
    """'2023-03-30' as '30 March 2023' (the same in every locale); '' for no date."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _timestamp(moment: dt.datetime) -> str:
    """'26 November 2026, 04:37 UTC' for the report's generation time."""
    zone = ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc)
        zone = " UTC"
    return f"{long_date(moment.date())}, {moment:%H:%M}{zone}"


def _quoted(text: str) -> str:
    """The text in quotation marks, unless it already opens with one."""
    text = text.strip()
    return text if text[:1] in OPENING_QUOTES else f"“{text}”"


def _full_stop(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _find_figure(text: str, value: str) -> tuple[int, int] | None:
    """Where a figure stands in its sentence, as a whole token ('5' is not found inside '15' or '5th')."""
    if not value:
        return None
    match = re.search(rf"(?<![\w.,]){re.escape(value)}(?![\w]|[.,]\d)", text)
    return match.span() if match else None


def _web_link(url: str | None) -> str | None:
    """The URL when it is an http(s) address; anything else (javascript:, data:, files) is not linked."""
    if url and re.match(r"https?://[^\s<>\"']+$", url.strip(), re.IGNORECASE):
        return url.strip()
    return None


# --- the context templates see ---------------------------------------------------------------


def context(report: Report) -> dict:
    """What templates see: the report's data (as in the JSON) plus what rendering derives from it.

    Added to the JSON data: ``date_long`` and ``generated`` (dates in words); on every citation
    ``n`` (1-based sentence number), ``ref`` ('1.7'), ``label`` ('1-7'), ``anchor`` ('c-1-7'),
    ``speaker`` and ``line`` (``Speaker: “…”`` or the sentence); on every statement and key point
    ``speaker``, ``quoted`` and ``line`` (the speaker is shown only when the statement quotes its
    one source sentence verbatim); on key figures ``found``, ``before`` and ``after`` (the source
    sentence split around the figure); on sections ``how``, ``notes_shown`` and ``dropped_count``;
    on sources ``outlet``, ``date_long``, ``byline`` and ``link`` (http(s) only). Top level:
    ``citations`` (every cited sentence once, in source order), ``no_developments``,
    ``section_titles``, ``methods``, ``router_text``.

    Several articles (``briefing.dedupe``, ``briefing.changes``): top level ``period_text`` ('9–10
    April 2022'), ``coverage`` ('12 articles from 5 outlets') and ``nothing_new`` (the text for no
    news since the previous report, else ''); on statements ``corroboration`` ('3 outlets', or ''
    for one) and ``disagrees`` (citations of statements whose figures differ); on sections
    ``since_text`` ('New since the report of 9 April 2022.', or '' without a previous report).
    """
    data = report_to_dict(report)
    sentences: dict[tuple[int, int], Sentence] = {}

    def know(sentence: Sentence) -> None:
        sentences.setdefault((report.source_number(sentence.article_id), sentence.index), sentence)

    for brief in report.briefs:
        for statement in brief.statements:
            for sentence in statement.sources:
                know(sentence)
    for point in report.key_points:
        for sentence in point.statement.sources:
            know(sentence)
    for figure in report.figures:
        know(figure.source)

    cited: dict[tuple[int, int], dict] = {}

    def citation(c: dict) -> dict:
        key = (c["source"], c["sentence"])
        sentence = sentences.get(key)
        speaker = getattr(sentence, "speaker", None) if sentence is not None else None
        c["n"] = c["sentence"] + 1
        c["ref"] = f"{c['source']}.{c['n']}"
        c["label"] = f"{c['source']}-{c['n']}"
        c["anchor"] = f"c-{c['source']}-{c['n']}"
        c["speaker"] = speaker or None
        c["line"] = f"{speaker}: {_quoted(c['text'])}" if speaker else c["text"]
        cited.setdefault(key, c)
        return c

    # Statements whose figures disagree (briefing.dedupe): each points at the other's first citation.
    disagree: dict[tuple[int, int], list[dict]] = {}
    for a, b in data.get("conflicts", []):
        disagree.setdefault((a["source"], a["sentence"]), []).append(b)
        disagree.setdefault((b["source"], b["sentence"]), []).append(a)

    def statement(st: dict) -> dict:
        st["citations"] = [citation(c) for c in st["citations"]]
        # The first citation is the sentence the statement stands for; the others tell the same fact.
        first = st["citations"][0] if st["citations"] else None
        verbatim = first is not None and _same_text(st["text"], first["text"])
        speaker = first["speaker"] if verbatim else None
        st["speaker"] = speaker
        st["quoted"] = _quoted(st["text"]) if speaker else st["text"]
        st["line"] = f"{speaker}: {st['quoted']}" if speaker else st["text"]
        outlets = st.get("outlets", 1)
        st["corroboration"] = f"{outlets} outlets" if outlets > 1 else ""
        others = disagree.get((first["source"], first["sentence"]), []) if first is not None else []
        st["disagrees"] = [citation(dict(c)) for c in others]
        return st

    for point in data["key_points"]:
        statement(point)
    for section in data["sections"]:
        for st in section["statements"]:
            statement(st)
        section["how"] = method_text(section["method"], section["model"])
        section["notes_shown"] = [_full_stop(n) for n in section["notes"] if n.strip() and n != NO_DEVELOPMENTS]
        section["dropped_count"] = len(section["dropped"])
    for figure in data["key_figures"]:
        c = citation(figure["citation"])
        at = _find_figure(c["text"], figure["value"])
        figure["found"] = at is not None
        if at is None:
            figure["before"], figure["after"] = c["text"], ""
        else:
            figure["before"], figure["after"] = c["text"][: at[0]], c["text"][at[1] :]
    for source in data["sources"]:
        source["outlet"] = source["source"] or ""
        source["date_long"] = long_date(source["date"])
        if source["date_long"] and source.get("dated_by") == DATED_BY_MTIME:
            source["date_long"] += " (file date)"
        source["byline"] = ", ".join(part for part in (source["outlet"], source["date_long"]) if part)
        source["link"] = _web_link(source["url"])

    data["notices"] = [_full_stop(n) for n in data["notices"] if n.strip()]
    period = data.get("period") or {}
    data["period_text"] = period_text(_day(period.get("since")), _day(period.get("until")))
    articles, outlets = len(data["sources"]), period.get("outlets", 0)
    data["coverage"] = (f"{articles} article{'s' if articles != 1 else ''} from "
                        f"{outlets} outlet{'s' if outlets != 1 else ''}" if outlets else
                        f"{articles} source{'s' if articles != 1 else ''}")
    previous = data.get("previous")
    since_previous = f"the report of {long_date(previous['date'])}" if previous else ""
    data["nothing_new"] = f"Nothing new since {since_previous}." if previous else ""
    for section in data["sections"]:
        section["since_text"] = ""
        if previous and section["statements"]:
            repeated = section.get("repeated", 0)
            section["since_text"] = f"New since {since_previous}." + (
                f" {repeated} point{'s' if repeated != 1 else ''} already reported there "
                f"{'are' if repeated != 1 else 'is'} not repeated." if repeated else ""
            )
        elif previous:
            section["since_text"] = data["nothing_new"]
    data["date_long"] = long_date(report.date)
    data["generated"] = _timestamp(report.generated_at)
    data["citations"] = [cited[key] for key in sorted(cited)]
    data["no_developments"] = NO_DEVELOPMENTS
    data["section_titles"] = {s["key"]: s["title"] for s in data["sections"]}
    data["methods"] = sorted({s["method"] for s in data["sections"]})
    data["router_text"] = ROUTER_TEXT.get(report.router, report.router)
    return data


# --- rendering and writing -------------------------------------------------------------------


def render(report: Report, fmt: str, templates_dir: Path | None = None) -> str:
    """The report in one format: 'md', 'html', 'txt' or 'json'."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format '{fmt}'", f"choose from {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps(report_to_dict(report), ensure_ascii=False, indent=2) + "\n"
    env = environment(templates_dir)
    name = FORMATS[fmt]
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"template '{exc.name}' not found", "check your --templates folder") from None
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise ConfigError(f"template {where}, line {exc.lineno}: {exc.message}", "fix the template") from None
    values = context(report)
    try:
        return template.render(**values)
    except jinja2.TemplateSyntaxError as exc:  # in an included template
        where = exc.filename or exc.name or name
        raise ConfigError(f"template {where}, line {exc.lineno}: {exc.message}", "fix the template") from None
    except jinja2.UndefinedError as exc:
        raise ConfigError(f"template {_where(exc, template)}: {exc.message}", "fix the template") from None
    except Exception as exc:  # a user's template can fail in many ways (a bad filter argument, 1 + "a")
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigError(f"template {_where(exc, template)}: {message}", "fix the template") from None


def _where(exc: BaseException, template: jinja2.Template) -> str:
    """'FILE, line N' of the template frame an error was raised in (Jinja2 rewrites tracebacks)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2") or frame.filename == template.filename:
            return f"{frame.filename}, line {frame.lineno}"
    return template.filename or template.name or "?"


def output_paths(out: Path, formats: Sequence[str], date: dt.date, title: str = "situation-report") -> dict[str, Path]:
    """Where each format goes: a folder gets dated names, a file name is used as given (per suffix).

    ``out`` is a folder when it exists as one, ends with a slash, or has no suffix.
    """
    out = Path(out)
    text = str(out)
    is_dir = out.is_dir() or text.endswith(("/", "\\")) or not out.suffix
    if is_dir:
        stem = f"{date.isoformat()}-{_slug(title)}"
        return {fmt: out / f"{stem}{SUFFIXES[fmt]}" for fmt in formats}
    if len(formats) == 1:
        fmt = formats[0]
        other = {suffix: name for name, suffix in SUFFIXES.items() if name != fmt}
        if out.suffix.lower() in other:
            raise ConfigError(
                f"--out {out} names a .{other[out.suffix.lower()]} file but the format is {fmt}",
                f"use a {SUFFIXES[fmt]} name, or --format {other[out.suffix.lower()]}",
            )
        return {fmt: out}
    return {fmt: out.with_suffix(SUFFIXES[fmt]) for fmt in formats}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "situation-report"


def write_reports(
    report: Report, formats: Sequence[str], out: Path, templates_dir: Path | None = None
) -> list[Path]:
    """Render every format first, then write them together atomically: an error leaves no output."""
    formats = list(dict.fromkeys(formats))
    paths = output_paths(out, formats, report.date, report.title)
    rendered = {fmt: render(report, fmt, templates_dir) for fmt in formats}
    return write_all_atomic({paths[fmt]: rendered[fmt] for fmt in formats})
