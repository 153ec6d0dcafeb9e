"""Rendering a report: Jinja2 templates for Markdown, HTML and text, and JSON of the data.

Templates come from (first match wins, file by file): a ``--templates`` folder, the user's
``BRIEFING_HOME/templates``, then the package's ``templates/``. Undefined variables are errors, and
HTML is autoescaped: article text is data, never markup.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Sequence

import jinja2

from .condense import NO_DEVELOPMENTS
from .errors import ConfigError
from .files import write_atomic
from .report import Report, report_to_dict
from .resources import layered_dirs

FORMATS = {"md": "report.md.j2", "html": "report.html.j2", "txt": "report.txt.j2", "json": None}
SUFFIXES = {"md": ".md", "html": ".html", "txt": ".txt", "json": ".json"}


def environment(templates_dir: Path | None = None) -> jinja2.Environment:
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
    env.filters["wrap"] = _wrap
    env.filters["md"] = markdown_escape
    env.filters["md_cell"] = lambda text: markdown_escape(text).replace("\n", " ")
    env.filters["method_text"] = method_text
    return env


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def markdown_escape(text: str) -> str:
    """Backslash-escape Markdown's markup characters, so article text shows as written."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


METHOD_TEXT = {
    "extractive": "extractive — sentences quoted verbatim from the sources",
    "none": "nothing routed to this section",
}


def method_text(method: str, model: str | None = None) -> str:
    """How a section was produced, in words for the report's footer."""
    text = METHOD_TEXT.get(method, method)
    return f"{text} (model {model})" if model else text


def _wrap(text: str, width: int = 78, indent: str = "", first: str | None = None) -> str:
    import textwrap

    return textwrap.fill(
        text,
        width=width,
        initial_indent=first if first is not None else indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def context(report: Report) -> dict:
    """What templates see: the report's data with citations resolved to source numbers."""
    data = report_to_dict(report)
    cited: dict[tuple[int, int], dict] = {}
    for section in data["sections"]:
        for statement in section["statements"]:
            for citation in statement["citations"]:
                cited.setdefault((citation["source"], citation["sentence"]), citation)
    for point in data["key_points"]:
        for citation in point["citations"]:
            cited.setdefault((citation["source"], citation["sentence"]), citation)
    for figure in data["key_figures"]:
        citation = figure["citation"]
        cited.setdefault((citation["source"], citation["sentence"]), citation)
    data["citations"] = [cited[key] for key in sorted(cited)]
    data["no_developments"] = NO_DEVELOPMENTS
    data["section_titles"] = {s["key"]: s["title"] for s in data["sections"]}
    data["methods"] = sorted({s["method"] for s in data["sections"]})
    return data


def render(report: Report, fmt: str, templates_dir: Path | None = None) -> str:
    """The report in one format: 'md', 'html', 'txt' or 'json'."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format '{fmt}'", f"choose from {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps(report_to_dict(report), ensure_ascii=False, indent=2) + "\n"
    env = environment(templates_dir)
    try:
        template = env.get_template(FORMATS[fmt])
        return template.render(**context(report))
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"template '{exc.name}' not found", "check your --templates folder") from None
    except jinja2.UndefinedError as exc:
        raise ConfigError(f"template {FORMATS[fmt]}: {exc.message}", "fix the template") from None
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"template {exc.filename or exc.name}, line {exc.lineno}: {exc.message}") from None


def output_paths(out: Path, formats: Sequence[str], date: dt.date, title: str = "situation-report") -> dict[str, Path]:
    """Where each format goes: a folder gets dated names, a file name is used as given (per suffix)."""
    out = Path(out)
    is_dir = out.is_dir() or str(out).endswith(("/", "\\")) or not out.suffix
    if is_dir:
        stem = f"{date.isoformat()}-{_slug(title)}"
        return {fmt: out / f"{stem}{SUFFIXES[fmt]}" for fmt in formats}
    if len(formats) == 1:
        return {formats[0]: out}
    return {fmt: out.with_suffix(SUFFIXES[fmt]) for fmt in formats}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "situation-report"


def write_reports(
    report: Report, formats: Sequence[str], out: Path, templates_dir: Path | None = None
) -> list[Path]:
    """Render every format first, then write each atomically: an error leaves no partial output."""
    rendered = {fmt: render(report, fmt, templates_dir) for fmt in formats}
    paths = output_paths(out, formats, report.date, report.title)
    return [write_atomic(paths[fmt], rendered[fmt]) for fmt in formats]
