"""The command line: parse options, call the library, print. No logic lives here."""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__
from .errors import BriefingError, ConfigError

log = logging.getLogger("briefing")

app = typer.Typer(
    name="briefing",
    help="Turn news articles into a sectioned daily situation report (Markdown, HTML, text, JSON).",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    md = "md"
    html = "html"
    txt = "txt"
    json = "json"


class RouterName(str, Enum):
    auto = "auto"
    cues = "cues"
    embeddings = "embeddings"


def say(message: str) -> None:
    """A message for the user, on stderr."""
    typer.echo(message, err=True)


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*", text.lower())
    if not match:
        raise ConfigError(f"cannot read size '{text}'", "write it like 5MB, 500KB or 1GB")
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]
    return int(float(match.group(1)) * factor)


def parse_day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"cannot read date '{text}'", "write it as YYYY-MM-DD") from None


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"briefing {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Print the version and exit.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details of each step to stderr.")] = False,
) -> None:
    """Turn news articles into a sectioned daily situation report."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="briefing: %(message)s",
        stream=sys.stderr,
    )


# Email options shared by `generate` and `send` (issue #5).
ConfigOption = Annotated[
    Optional[Path],
    typer.Option("--config", help="TOML config with [smtp] and [email] tables. [default: BRIEFING_HOME/config.toml]"),
]
SubjectOption = Annotated[
    Optional[str],
    typer.Option(help="Email subject, a Jinja template over title, date, top, key_points, sections, sources. "
    "[default: '{{ title }} — {{ date }}: {{ top }}']"),
]
AttachOption = Annotated[
    Optional[list[Format]],
    typer.Option("--attach", help="Attach the report in this format too; repeat for several (md, json, html, txt)."),
]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Write the exact message as an .eml file beside the report instead of sending it."),
]


def email_report(report, json_path: Path, *, to, cc, bcc, subject, attach, config, dry_run, templates, quiet) -> None:
    """Send a built report (or, for a dry run, write its .eml beside ``json_path``)."""
    from .mail import deliver, email_settings

    settings = email_settings(config, to=to or (), cc=cc or (), bcc=bcc or (), subject=subject)
    delivery = deliver(
        report,
        settings,
        templates_dir=templates,
        attach=[a.value for a in attach or ()],
        dry_run=json_path.with_suffix(".eml") if dry_run else None,
    )
    if not quiet:
        say(delivery.summary())


@app.command()
def generate(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Article files (.txt, .md, .html, .json, .jsonl), folders of them, or - for stdin.",
            show_default=False,
        ),
    ],
    fmt: Annotated[
        list[Format],
        typer.Option("--format", "-f", help="Output format; repeat for several (md, html, txt, json)."),
    ] = [Format.md],
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out",
            "-o",
            help="Write to this file, or into this folder with dated names (2023-03-30-situation-report.md). "
            "Without it, one format prints to stdout.",
        ),
    ] = None,
    date: Annotated[Optional[str], typer.Option(help="Report date, YYYY-MM-DD. [default: today]")] = None,
    title: Annotated[str, typer.Option(help="Report title.")] = "Situation report",
    sections: Annotated[
        Optional[list[str]],
        typer.Option("--sections", "-s", help="Sections to build, comma-separated or repeated. [default: all]"),
    ] = None,
    router: Annotated[
        RouterName,
        typer.Option(help="How sentences are routed to sections: cue words, sentence embeddings, or auto "
        "(embeddings when the model loads, else cue words)."),
    ] = RouterName.auto,
    embedding_model: Annotated[
        Optional[str],
        typer.Option(help="Embedding model for --router embeddings: a hub name or a local folder. "
        "[default: all-MiniLM-L6-v2]"),
    ] = None,
    max_words: Annotated[int, typer.Option(min=10, help="Word budget of each section's brief.")] = 150,
    templates: Annotated[
        Optional[Path], typer.Option(help="Folder of templates that override the package's, file by file.")
    ] = None,
    prompts: Annotated[
        Optional[Path], typer.Option(help="Folder of section definitions that add to or override the package's.")
    ] = None,
    max_input_size: Annotated[str, typer.Option(help="Largest input file accepted, e.g. 5MB.")] = "5MB",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no notices or progress.")] = False,
    email_to: Annotated[
        Optional[list[str]],
        typer.Option(help="Email the report to this address once it is written; repeat or comma-separate."),
    ] = None,
    email_cc: Annotated[Optional[list[str]], typer.Option(help="Cc this address on the email; repeatable.")] = None,
    email_bcc: Annotated[
        Optional[list[str]], typer.Option(help="Bcc this address (never shown in the headers); repeatable.")
    ] = None,
    subject: SubjectOption = None,
    attach: AttachOption = None,
    config: ConfigOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Build a situation report from articles.

    Sentences are routed to sections (battlefield, diplomacy, reconstruction by default), each
    section is condensed into a brief that cites its sources, and the report is rendered.
    """
    from .articles import read_inputs
    from .render import render, write_reports
    from .report import Options, build_report

    formats = list(dict.fromkeys(f.value for f in fmt))
    emailing = bool(email_to or email_cc or email_bcc)
    if not emailing and (subject is not None or attach or dry_run):
        raise ConfigError("--subject, --attach and --dry-run need --email-to", "add --email-to ADDRESS")
    if out is None and len(formats) > 1 and not emailing:
        raise ConfigError("several formats need --out", "give --out FOLDER, or one --format to print to stdout")
    if prompts is not None and not prompts.is_dir():
        raise ConfigError(f"{prompts}: prompts folder not found")
    options = Options(
        title=title,
        date=parse_day(date),
        sections=tuple(sections) if sections else None,
        router=router.value,
        embedding_model=embedding_model,
        max_words=max_words,
        prompts_dir=prompts,
    )
    articles = read_inputs(paths, max_bytes=parse_size(max_input_size))
    log.info("read %d article(s)", len(articles))
    report = build_report(articles, options, notify=None if quiet else say)
    if out is None and not emailing:
        text = render(report, formats[0], templates)
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if emailing:  # the report goes to disk first (with its JSON, for `briefing send`), then out
        if out is None:
            out = Path("reports")
            if not quiet:
                say(f"no --out given: writing the report into {out.resolve()}")
        formats = [*formats, "json"] if "json" not in formats else formats
    written = write_reports(report, formats, out, templates)
    for path in written:
        if not quiet:
            say(f"wrote {path}")
    if emailing:
        json_path = written[formats.index("json")]
        try:
            email_report(
                report, json_path, to=email_to, cc=email_cc, bcc=email_bcc, subject=subject, attach=attach,
                config=config, dry_run=dry_run, templates=templates, quiet=quiet,
            )
        except BriefingError as error:
            saved = f"the report is saved; resend it with: briefing send {json_path}"
            error.hint = f"{error.hint}; {saved}" if error.hint else saved
            raise


@app.command()
def send(
    report_file: Annotated[
        Path,
        typer.Argument(help="A built report: the .json file briefing generate wrote.", show_default=False),
    ],
    to: Annotated[
        Optional[list[str]],
        typer.Option("--to", help="Recipient address; repeat or comma-separate. [default: to in the [email] table]"),
    ] = None,
    cc: Annotated[Optional[list[str]], typer.Option("--cc", help="Cc this address; repeatable.")] = None,
    bcc: Annotated[
        Optional[list[str]], typer.Option("--bcc", help="Bcc this address (never shown in the headers); repeatable.")
    ] = None,
    subject: SubjectOption = None,
    attach: AttachOption = None,
    config: ConfigOption = None,
    dry_run: DryRunOption = False,
    templates: Annotated[
        Optional[Path], typer.Option(help="Folder of templates that override the package's, file by file.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Email a built report as a plain-text + HTML message.

    SMTP settings come from the [smtp] table of the config file or BRIEFING_SMTP_* variables; the
    password from BRIEFING_SMTP_PASSWORD, the variable password_env names, or password_file.
    """
    from .mail import read_report

    report = read_report(report_file)
    email_report(
        report, report_file, to=to, cc=cc, bcc=bcc, subject=subject, attach=attach,
        config=config, dry_run=dry_run, templates=templates, quiet=quiet,
    )


@app.command("sections")
def list_sections(
    prompts: Annotated[
        Optional[Path], typer.Option(help="Folder of section definitions that add to or override the package's.")
    ] = None,
) -> None:
    """List the report sections and the file that defines each."""
    from .sections import available_sections

    for section in available_sections(prompts):
        typer.echo(f"{section.key:<16} {section.title:<20} {section.path}")
        typer.echo(f"{'':<16} {section.description}")


def main() -> None:
    """Entry point: run the app; a BriefingError becomes one line on stderr and its exit code."""
    try:
        app()
    except BriefingError as error:
        say(f"briefing: error: {error}")
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        say("briefing: interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
