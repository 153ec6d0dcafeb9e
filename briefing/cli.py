"""The command line: parse options, call the library, print. No logic lives here."""

from __future__ import annotations

import dataclasses
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


class Backend(str, Enum):
    auto = "auto"
    seq2seq = "seq2seq"
    extractive = "extractive"


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


class Precision(str, Enum):
    auto = "auto"
    fp32 = "fp32"
    int8 = "int8"
    bf16 = "bf16"
    fp16 = "fp16"


class Runtime(str, Enum):
    auto = "auto"
    torch = "torch"
    ctranslate2 = "ctranslate2"


RUNTIME_HELP = ("What runs the model: ctranslate2 (a converted copy, made once and cached; fast on the CPU) "
                "or torch (transformers' generate). auto: ctranslate2 for int8, torch otherwise.")


class EngineName(str, Enum):
    local = "local"
    ray = "ray"


ENGINE_HELP = ("Where splitting, routing and condensing run: here (local), or on a Ray cluster (ray; "
               "pip install 'briefing[ray]'). The report is the same.")
RAY_ADDRESS_HELP = ("The Ray cluster for --engine ray: auto (the one this machine joined), or the head's HOST:PORT. "
                    "[default: $RAY_ADDRESS, else the cluster `ray start` started on this machine, else a Ray "
                    "instance started for the run]")


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
    typer.Option("--config", help="TOML config with [smtp] and [email] tables (briefing init writes one). "
                 "[default: $BRIEFING_CONFIG, else BRIEFING_HOME/briefing.toml]"),
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
        Optional[list[str]],
        typer.Argument(
            help="Article files (.txt, .md, .html, .json, .jsonl), folders of them, or - for stdin; "
            "all of them make one report.",
            show_default=False,
        ),
    ] = None,
    feed: Annotated[
        Optional[list[str]],
        typer.Option("--feed", help="RSS or Atom feed URL: each entry's page is fetched as an article; repeatable."),
    ] = None,
    url: Annotated[
        Optional[list[str]],
        typer.Option("--url", help="Web page URL, reduced to its main text as an article; repeatable."),
    ] = None,
    since: Annotated[
        Optional[str],
        typer.Option(help="Use only articles dated on or after this day, YYYY-MM-DD. "
        "[default: the day before --date, or the previous report's last day]"),
    ] = None,
    until: Annotated[
        Optional[str], typer.Option(help="Use only articles dated on or before this day, YYYY-MM-DD. [default: --date]")
    ] = None,
    previous: Annotated[
        Optional[Path],
        typer.Option(help="The previous report's .json: sections say what is new since it and repeat nothing. "
        "[default: the newest dated .json report in the --out folder]"),
    ] = None,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds allowed for each download of --feed and --url.")
    ] = 20.0,
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
    date: Annotated[
        Optional[str],
        typer.Option(help="Report date, YYYY-MM-DD; the report covers articles dated that day and the day before. "
        "[default: today]"),
    ] = None,
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
    backend: Annotated[
        Backend,
        typer.Option(help="How sections are condensed: the seq2seq model, extractive quotes, or auto "
        "(the model when it loads, else extractive with a warning)."),
    ] = Backend.auto,
    model: Annotated[
        Optional[str],
        typer.Option(help="Seq2seq model: a name from `briefing models`, a hub name, or a local folder. "
        "[default: the first in models.txt]"),
    ] = None,
    device: Annotated[Device, typer.Option(help="Where the model runs; auto picks a GPU when there is one.")] = Device.auto,
    precision: Annotated[
        Precision, typer.Option(help="Model precision: int8 or fp32 on the CPU, bf16 or fp16 on a GPU. "
                                "auto: int8 on the CPU, bf16/fp16 on a GPU.")
    ] = Precision.auto,
    runtime: Annotated[Runtime, typer.Option(help=RUNTIME_HELP)] = Runtime.auto,
    threads: Annotated[
        Optional[int], typer.Option(min=1, help="CPU threads for the model. [default: OMP_NUM_THREADS, else one per core]")
    ] = None,
    beams: Annotated[int, typer.Option(min=1, help="Beam search width.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed; the same input and seed give the same report.")] = 0,
    no_repeat_ngram: Annotated[
        int, typer.Option(min=0, help="Never repeat a word sequence of this length in a brief (0: allow).")
    ] = 3,
    min_words: Annotated[
        Optional[int], typer.Option(min=0, help="Shortest brief the model writes. [default: a quarter of --max-words]")
    ] = None,
    batch_size: Annotated[
        Optional[int], typer.Option(min=1, help="Model inputs generated together in one batch (longest first, "
                                    "at most 4096 padded tokens on the CPU). [default: 8 on the CPU, 32 on a GPU]")
    ] = None,
    map_beams: Annotated[
        Optional[int], typer.Option(min=1, help="Beams for the chunk summaries of a section too long for one "
                                    "input, which are condensed again (1 saves ~15% there; the brief itself "
                                    "keeps --beams). [default: --beams]")
    ] = None,
    max_chunks: Annotated[
        Optional[int], typer.Option(min=0, help="Model inputs a section's facts may fill. With more, the model reads "
                                    "the facts most outlets reported, then the most clearly on-topic, and the brief "
                                    "says so. 0: every fact, condensed in rounds. [default: 4 on the CPU, 0 on a GPU]")
    ] = None,
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
    engine: Annotated[EngineName, typer.Option(help=ENGINE_HELP)] = EngineName.local,
    ray_address: Annotated[Optional[str], typer.Option(help=RAY_ADDRESS_HELP)] = None,
) -> None:
    """Build a situation report from articles.

    Sentences are routed to sections (battlefield, diplomacy, reconstruction by default), each
    section is condensed into a brief that cites its sources, and the report is rendered.
    """
    from .engine import make_engine
    from .fetch import FetchSettings, gather
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
        backend=backend.value,
        model=model,
        device=device.value,
        precision=precision.value,
        runtime=runtime.value,
        threads=threads,
        beams=beams,
        seed=seed,
        no_repeat_ngram_size=no_repeat_ngram,
        min_words=min_words,
        batch_size=batch_size,
        map_beams=map_beams,
        max_chunks=max_chunks,
        progress=not quiet,
    )
    running = make_engine(engine.value, ray_address)  # before reading: no Ray, or no cluster there, fails at once
    try:
        inputs = gather(
            paths or [], feed or [], url or [], date=options.date, since=parse_day(since), until=parse_day(until),
            previous=previous, out=out, settings=FetchSettings(timeout=timeout), max_bytes=parse_size(max_input_size),
            notify=None if quiet else say,
        )
        log.info("read %d article(s)", len(inputs.articles))
        # A report on a period (--until without --date) is dated by its last day.
        options = dataclasses.replace(
            options, date=options.date or parse_day(until), since=inputs.since, until=inputs.until
        )
        report = build_report(
            inputs.articles, options, notify=None if quiet else say, previous=inputs.previous,
            warnings=inputs.notices, dated_by=inputs.dated_by, engine=running,
        )
    finally:
        running.close()
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
    from .report import read_report

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


# --- the daily job (issue #6): init, daily, config show, cron, history ------------------------

JobConfigOption = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="The job's briefing.toml. [default: $BRIEFING_CONFIG, else "
                 "BRIEFING_HOME/briefing.toml]"),
]
JobInboxOption = Annotated[Optional[Path], typer.Option("--inbox", help="Folder of new articles (sources.inbox).")]
JobOutOption = Annotated[
    Optional[Path], typer.Option("--out", "-o", help="Folder for reports, log and state (output.folder).")
]
JobFormatOption = Annotated[
    Optional[list[Format]], typer.Option("--format", "-f", help="Report format; repeat for several (output.formats).")
]
JobRouterOption = Annotated[
    Optional[RouterName], typer.Option("--router", help="Sentence routing: auto, cues or embeddings (report.router).")
]
JobBackendOption = Annotated[
    Optional[str], typer.Option("--backend", help="Condensing: auto, seq2seq or extractive (report.backend).")
]
JobModelOption = Annotated[
    Optional[str], typer.Option("--model", help="Model from models.txt, or a local folder (report.model).")
]
JobToOption = Annotated[
    Optional[list[str]], typer.Option("--to", help="Mail the report to this address instead of email.to; repeatable.")
]
JobEngineOption = Annotated[
    Optional[EngineName], typer.Option("--engine", help="Where the report's stages run: local or ray (report.engine).")
]
JobRayAddressOption = Annotated[
    Optional[str],
    typer.Option("--ray-address", help="Ray cluster for --engine ray: auto or HOST:PORT (report.ray_address)."),
]


def job_flags(inbox, out, fmt, router, backend, model, to, engine=None, ray_address=None) -> dict:
    """Flags of `daily` and `config show` as dotted setting names (None: not given)."""
    return {
        "sources.inbox": inbox,
        "output.folder": out,
        "output.formats": [f.value for f in fmt] if fmt else None,
        "report.router": router.value if router else None,
        "report.backend": backend,
        "report.model": model,
        "report.engine": engine.value if engine else None,
        "report.ray_address": ray_address,
        "email.to": ",".join(to) if to else None,
    }


@app.command()
def init(
    folder: Annotated[
        Optional[Path],
        typer.Argument(help="Folder for briefing.toml and its inbox/. [default: BRIEFING_HOME]", show_default=False),
    ] = None,
    to: Annotated[Optional[list[str]], typer.Option("--to", help="Report recipient; repeat for several.")] = None,
    sender: Annotated[Optional[str], typer.Option("--from", help="Sender address of the report mail.")] = None,
    smtp_host: Annotated[Optional[str], typer.Option(help="SMTP server to send through.")] = None,
    smtp_port: Annotated[Optional[int], typer.Option(help="SMTP port. [default: by security: 587, 465, 25]")] = None,
    smtp_security: Annotated[Optional[str], typer.Option(help="SMTP security: starttls, ssl or none.")] = None,
    smtp_username: Annotated[
        Optional[str], typer.Option(help="SMTP login (the password comes from BRIEFING_SMTP_PASSWORD).")
    ] = None,
    alert_to: Annotated[
        Optional[list[str]], typer.Option(help="Where alerts of failed or degraded runs go; repeatable.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing briefing.toml.")] = False,
) -> None:
    """Write a commented briefing.toml and an inbox/ folder for the daily job."""
    from .config import init_config

    path = init_config(
        folder, force=force, to=tuple(to or ()), sender=sender, smtp_host=smtp_host, smtp_port=smtp_port,
        smtp_security=smtp_security, smtp_username=smtp_username, alert_to=tuple(alert_to or ()),
    )
    typer.echo(path)
    say(f"wrote {path}; drop articles into {path.parent / 'inbox'}, then run:")
    say(f"  briefing daily --config {path}")
    say(f"  briefing cron --install --config {path}    # every day at the [schedule] time")


def _daily_help() -> str:
    from .daily import EXIT_CODES

    return "\b\nExit codes:\n" + "\n".join(f"  {code:>2}  {meaning}" for code, meaning in EXIT_CODES)


@app.command(epilog=_daily_help())
def daily(
    config: JobConfigOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild the day's report from all its articles and mail it again.")
    ] = False,
    date: Annotated[Optional[str], typer.Option(help="Run for this day, YYYY-MM-DD. [default: today]")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only warnings and errors (the log has all).")] = False,
    inbox: JobInboxOption = None,
    out: JobOutOption = None,
    fmt: JobFormatOption = None,
    router: JobRouterOption = None,
    backend: JobBackendOption = None,
    model: JobModelOption = None,
    to: JobToOption = None,
    engine: JobEngineOption = None,
    ray_address: JobRayAddressOption = None,
) -> None:
    """Run the daily job once: collect new articles, build the day's report, mail it once.

    Articles come from the inbox folder; the report goes to dated files in the output folder, with a
    log (briefing.log) and a SQLite database of what was seen, built and sent. Safe to re-run (a
    re-run the same day rebuilds only when new articles came in, and never sends a report twice)
    and to run concurrently (a second run exits at once).
    """
    from .config import load_config
    from .daily import run_daily

    settings = load_config(config, flags=job_flags(inbox, out, fmt, router, backend, model, to, engine, ray_address),
                           require_file=True)
    outcome = run_daily(settings, force=force, day=parse_day(date), quiet=quiet)
    raise typer.Exit(outcome.exit_code)


config_app = typer.Typer(
    help="Inspect the daily job's settings.", no_args_is_help=True, rich_markup_mode=None, add_completion=False
)
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
    config: JobConfigOption = None,
    inbox: JobInboxOption = None,
    out: JobOutOption = None,
    fmt: JobFormatOption = None,
    router: JobRouterOption = None,
    backend: JobBackendOption = None,
    model: JobModelOption = None,
    to: JobToOption = None,
    engine: JobEngineOption = None,
    ray_address: JobRayAddressOption = None,
) -> None:
    """Print the effective settings, secrets masked, and where each came from (default, file, env, flag)."""
    from .config import effective_settings, format_settings, load_config

    settings = load_config(config, flags=job_flags(inbox, out, fmt, router, backend, model, to, engine, ray_address))
    typer.echo(format_settings(effective_settings(settings)), nl=False)


@app.command()
def cron(
    config: JobConfigOption = None,
    print_line: Annotated[bool, typer.Option("--print", help="Print the crontab line (the default).")] = False,
    install: Annotated[bool, typer.Option("--install", help="Add the line to your crontab (idempotent).")] = False,
    remove: Annotated[bool, typer.Option("--remove", help="Take the line out of your crontab.")] = False,
    systemd: Annotated[bool, typer.Option("--systemd", help="Print a systemd service and timer instead.")] = False,
    schedule: Annotated[
        Optional[str], typer.Option(help="Cron schedule, e.g. '30 6 * * *'. [default: [schedule] of the config]")
    ] = None,
) -> None:
    """Schedule the daily job with cron, or print systemd units for hosts without cron.

    The line uses absolute paths only (this environment's interpreter, the config, a log in the output
    folder), so cron's bare environment runs it as a shell would.
    """
    from . import schedule as scheduling
    from .config import load_config

    if print_line + install + remove + systemd > 1:
        raise ConfigError("choose one of --print, --install, --remove and --systemd")
    settings = load_config(config, flags={"schedule.cron": schedule}, require_file=True)
    if systemd:
        typer.echo(scheduling.systemd_units(settings), nl=False)
    elif install:
        say(scheduling.install(settings))
    elif remove:
        say(scheduling.remove(settings))
    else:
        typer.echo(scheduling.cron_line(settings))


@app.command("history")
def history_command(
    config: JobConfigOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs to list, newest first.")] = 20,
) -> None:
    """List past runs of the daily job: date, articles, sections, method, who got mail, status."""
    from .config import load_config
    from .daily import format_history, history

    settings = load_config(config, require_file=True)
    typer.echo(format_history(history(settings, limit)), nl=False)


models_app = typer.Typer(
    help="The seq2seq models. Without a command: list models.txt (the default marked *) and whether each "
    "is on this machine. pull: download one for offline use. check: load one and generate once.",
    no_args_is_help=False,
    invoke_without_command=True,
    rich_markup_mode=None,
    add_completion=False,
)
app.add_typer(models_app, name="models")


@models_app.callback(invoke_without_command=True)
def models_list(ctx: typer.Context) -> None:
    """List the registered models (models.txt), the default first (*), and whether each is on this machine."""
    if ctx.invoked_subcommand is not None:
        return
    from .models import availability, hub_cache, registry

    for spec in registry():
        mark = "*" if spec.default else " "
        typer.echo(f"{mark} {spec.name:<32} {spec.family:<8} {spec.input_limit:>5}  {availability(spec):<8} {spec.note}")
    typer.echo(f"\nModels are looked for in {hub_cache()} (set HF_HOME to change it).")


@models_app.command("pull")
def models_pull(
    name: Annotated[Optional[str], typer.Argument(help="Registry or hub name. [default: the default model]")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no progress.")] = False,
    prepare: Annotated[
        bool, typer.Option(help="Also convert it for the fast CPU engine now, so the first report does not wait.")
    ] = True,
) -> None:
    """Download a model into the Hugging Face cache (HF_HOME), for use offline later."""
    from .models import load_model, pick_device, pull, stderr_progress

    spec, location = pull(name, progress=not quiet and sys.stderr.isatty())
    typer.echo(f"{spec.name}: {location.path}" + (f" (revision {location.revision})" if location.revision else ""))
    if prepare and pick_device("auto") == "cpu":
        loaded = load_model(spec.name, "cpu", "auto", progress=stderr_progress(not quiet))
        if loaded.runtime == "ctranslate2":
            typer.echo(f"{spec.name}: ready for the CPU ({loaded.precision}, CTranslate2"
                       + (", converted now)" if loaded.prepared == "built" else ", already converted)"))


@models_app.command("check")
def models_check(
    name: Annotated[
        Optional[str], typer.Argument(help="Registry name, hub name or folder. [default: the default model]")
    ] = None,
    device: Annotated[Device, typer.Option(help="Where the model runs.")] = Device.auto,
    precision: Annotated[Precision, typer.Option(help="Model precision.")] = Precision.auto,
    runtime: Annotated[Runtime, typer.Option(help=RUNTIME_HELP)] = Runtime.auto,
) -> None:
    """Load a model and generate once, to show it works here: device, precision, runtime, timings."""
    from .models import check

    for line in check(name, device.value, precision.value, runtime.value):
        typer.echo(line)


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
