"""The report: its data, and the one function that runs the pipeline end to end."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from . import __version__
from .articles import Article
from .condense import NO_DEVELOPMENTS, Brief, Condenser, SectionInput, Statement
from .dedupe import (
    Clusters,
    attach_support,
    cluster,
    keep_conflicts,
    outlet_count,
    outlet_key,
    respell,
    section_inputs,
    spellings,
)
from .facts import KeyFigure, key_figures
from .places import Places, load_places
from .routing import Router, Routing
from .sections import Section, available_sections, select_sections
from .stages import Condensed, CondenseTask, Routed, RouteTask, condense_batches, shards
from .text import Sentence
from .window import Window, select

if TYPE_CHECKING:
    from .changes import Dropped
    from .engine import Engine

log = logging.getLogger(__name__)

DEFAULT_MAX_WORDS = 150
DEFAULT_TITLE = "Situation report"


@dataclass(frozen=True)
class Options:
    """Everything that shapes a report, with the defaults a user gets."""

    title: str = DEFAULT_TITLE
    date: dt.date | None = None
    sections: tuple[str, ...] | None = None
    router: str = "auto"
    embedding_model: str | None = None
    backend: str = "extractive"
    model: str | None = None
    device: str = "auto"
    precision: str = "auto"
    threads: int | None = None  # model threads (--threads); None: OMP_NUM_THREADS, else one per core
    runtime: str = "auto"  # "ctranslate2" for int8 on the CPU, else "torch" (briefing.models.pick_runtime)
    beams: int = 4
    seed: int = 0
    no_repeat_ngram_size: int = 3
    min_words: int | None = None
    batch_size: int | None = None  # inputs per generate call; None: 8 on the CPU, 32 on a GPU
    map_beams: int | None = None  # beams for chunk summaries that are condensed again; None: beams
    max_chunks: int | None = None  # model inputs a section's facts may fill; 0: all (condensed in rounds); None: 4 on the CPU, all on a GPU
    progress: bool = False  # show loading and generation progress on stderr (when it is a terminal)
    max_words: int = DEFAULT_MAX_WORDS
    key_points: int = 5
    prompts_dir: Path | None = None
    since: dt.date | None = None  # only articles dated in since..until (undated ones count as in it)
    until: dt.date | None = None


@dataclass(frozen=True)
class Source:
    number: int
    article: Article
    dated_by: str | None = None  # where the article's date comes from (briefing.window.DATED_BY_*)


@dataclass(frozen=True)
class KeyPoint:
    section: str
    statement: Statement


@dataclass
class Report:
    title: str
    date: dt.date
    generated_at: dt.datetime
    briefs: list[Brief]
    key_points: list[KeyPoint]
    figures: list[KeyFigure]
    sources: list[Source]
    routing: list[Routing]
    router: str
    version: str = __version__
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    since: dt.date | None = None  # the period the report covers
    until: dt.date | None = None
    previous: dict | None = None  # the report this one is compared with (briefing.changes.summary)
    repeated: dict[str, int] = field(default_factory=dict)  # per section: facts left out as already reported
    conflicts: list[tuple[Sentence, Sentence]] = field(default_factory=list)  # statements whose figures disagree

    def source_number(self, article_id: str) -> int:
        for source in self.sources:
            if source.article.id == article_id:
                return source.number
        raise KeyError(article_id)

    @property
    def sections(self) -> list[Section]:
        return [brief.section for brief in self.briefs]


@dataclass(frozen=True)
class ReportJob:
    """One report of a job: its articles, the options that shape it, and what :func:`build_report` also takes."""

    articles: Sequence[Article]
    options: Options = Options()
    notify: Callable[[str], None] | None = None
    previous: Report | None = None
    warnings: Sequence[str] = ()
    dated_by: Mapping[str, str] | None = None


def build_report(
    articles: Sequence[Article],
    options: Options = Options(),
    *,
    router: Router | None = None,
    condenser: Condenser | None = None,
    notify: Callable[[str], None] | None = None,
    previous: Report | None = None,
    warnings: Sequence[str] = (),
    dated_by: Mapping[str, str] | None = None,
    engine: "Engine | None" = None,
) -> Report:
    """Articles in, report data out: split, route, merge facts told twice, condense, pick key points and figures.

    ``router`` and ``condenser`` override the ones ``options`` names (a long-running process can
    keep one loaded model and reuse it); they run in this process, on the local engine.
    ``notify`` receives notices meant for the user's stderr.
    ``previous``: the last report; what it said is not repeated (``briefing.changes``).
    ``warnings``: notices already shown (sources that failed), kept in the report.
    ``dated_by``: article id -> where its date comes from (``briefing.window``).
    ``engine``: where splitting, routing and condensing run (``briefing.engine``); default: here.
    """
    if router is not None or condenser is not None:
        if engine is not None and engine.name != "local":
            from .errors import ConfigError

            raise ConfigError("a router or condenser object can only be used on the local engine",
                              "leave them out: the engine builds them from the options")
        from .engine import LocalEngine

        engine = LocalEngine(router, condenser)
    job = ReportJob(articles, options, notify, previous, tuple(warnings), dated_by)
    return build_reports([job], engine)[0]


def build_reports(jobs: Sequence[ReportJob], engine: "Engine | None" = None) -> list[Report]:
    """Several reports in one go (say, one per region), their stages run together on one engine.

    Every report's shards are routed in one round of tasks, then every report's sections are
    condensed in one round, so an engine with many workers keeps them busy. Each report comes out
    the same as :func:`build_report` builds it alone, on any engine.
    """
    if engine is None:
        from .engine import LocalEngine

        engine = LocalEngine()
    builds = [_Build.start(job) for job in jobs]
    tasks = [task for number, build in enumerate(builds) for task in build.route_tasks(number)]
    results = engine.route(tasks)
    for number, build in enumerate(builds):
        build.take_routing([r for r in results if r.report == number])
    tasks = [task for number, build in enumerate(builds) for task in build.condense_tasks(number)]
    results = engine.condense(tasks)
    return [build.finish([r for r in results if r.report == number]) for number, build in enumerate(builds)]


@dataclass
class _Build:
    """One report on its way through the stages; the parts between the parallel ones run here."""

    job: ReportJob
    articles: list[Article]
    sections: list[Section]
    every_section: list[Section]
    since: dt.date | None
    until: dt.date | None
    started: float
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    routed: list[Routing] = field(default_factory=list)
    router: str = ""
    places: Places | None = None
    clusters: Clusters | None = None
    dropped: "Dropped | None" = None
    inputs: list[SectionInput] = field(default_factory=list)

    def notice(self, messages: Sequence[str]) -> None:
        """Notices from a stage's tasks, each once: every task of one router or condenser repeats its notices."""
        for message in dict.fromkeys(messages):
            self.notices.append(message)
            if self.job.notify is not None:
                self.job.notify(message)

    @classmethod
    def start(cls, job: ReportJob) -> "_Build":
        """The report's sections, and its articles: those of the period the options give."""
        started = time.perf_counter()
        options = job.options
        every_section = available_sections(options.prompts_dir)
        sections = select_sections(every_section, options.sections)
        articles = list(job.articles)
        since, until = options.since, options.until
        if since is not None or until is not None:  # only the articles of that period; none is an error
            window = Window(since or dt.date.min, until or dt.date.max, strict=True)
            articles = [a for a in articles if a.date in window] or select(articles, window).articles
        dates = [a.date for a in articles if a.date is not None]
        since, until = since or min(dates, default=None), until or max(dates, default=None)
        return cls(job, articles, sections, every_section, since, until, started, notices=list(job.warnings))

    def route_tasks(self, number: int) -> list[RouteTask]:
        return [
            RouteTask(number, k, shard, tuple(self.sections), tuple(self.every_section), self.job.options)
            for k, shard in enumerate(shards(self.articles))
        ]

    def take_routing(self, results: Sequence[Routed]) -> None:
        """The shards' routing, in article order; then facts told by several articles merged into one input."""
        results = sorted(results, key=lambda r: r.shard)
        self.notice([n for r in results for n in r.notices])
        self.routed = [item for r in results for item in r.routing]
        self.router = results[0].router
        self.timings["split"] = sum(r.seconds.get("split", 0.0) for r in results)
        self.timings["route"] = sum(r.seconds.get("route", 0.0) for r in results)

        mark = time.perf_counter()
        options = self.job.options
        self.places = load_places(options.prompts_dir)
        # One fact told by several articles is one input.
        self.clusters = cluster(self.routed, self.articles, self.places)
        if self.job.previous is not None:
            from .changes import drop_reported

            self.clusters, self.dropped = drop_reported(self.clusters, self.job.previous, self.places)
        self.inputs = section_inputs(self.clusters, self.sections, options.max_words, self.articles)
        self.timings["dedupe"] = time.perf_counter() - mark

    def condense_tasks(self, number: int) -> list[CondenseTask]:
        batches = condense_batches(self.inputs)
        return [CondenseTask(number, k, batch, self.job.options) for k, batch in enumerate(batches)]

    def finish(self, results: Sequence[Condensed]) -> Report:
        """The briefs in section order, cited by every outlet that told their facts; key points and figures."""
        results = sorted(results, key=lambda r: r.batch)
        self.notice([n for r in results for n in r.notices])
        mark = time.perf_counter()
        by_key = {brief.section.key: brief for r in results for brief in r.briefs}
        briefs = [by_key.get(s.key) or Brief(s, [], "none", notes=[NO_DEVELOPMENTS]) for s in self.sections]
        briefs = attach_support(briefs, self.clusters)  # every outlet telling a fact is cited
        briefs, conflicts = keep_conflicts(briefs, self.clusters)
        briefs = respell(briefs, self.places, spellings(self.articles, self.places))
        self.timings["condense"] = sum(r.seconds for r in results) + time.perf_counter() - mark

        placed = [
            (brief.section.key, source)
            for brief in briefs
            for statement in brief.statements
            for source in statement.sources
        ]
        job, options = self.job, self.job.options
        dated_by = job.dated_by or {}
        sources = [Source(n, article, dated_by.get(article.id)) for n, article in enumerate(self.articles, start=1)]
        previous = None
        if job.previous is not None:
            from .changes import summary

            previous = summary(job.previous)
        report = Report(
            title=options.title,
            date=options.date or dt.date.today(),
            generated_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
            briefs=briefs,
            key_points=pick_key_points(briefs, options.key_points),
            figures=key_figures(placed),
            sources=sources,
            routing=self.routed,
            router=self.router,
            notices=self.notices,
            timings={k: round(v, 4) for k, v in self.timings.items()},
            since=self.since,
            until=self.until,
            previous=previous,
            repeated=dict(self.dropped.repeated) if self.dropped is not None else {},
            conflicts=conflicts,
        )
        report.timings["total"] = round(time.perf_counter() - self.started, 4)
        return report


def pick_key_points(briefs: Sequence[Brief], limit: int = 5) -> list[KeyPoint]:
    """The bottom line up front: the strongest statement of each section, then the next strongest."""
    rounds: list[list[KeyPoint]] = []
    for brief in briefs:
        ranked = sorted(brief.statements, key=lambda s: -s.weight)
        for depth, statement in enumerate(ranked):
            while len(rounds) <= depth:
                rounds.append([])
            rounds[depth].append(KeyPoint(brief.section.key, statement))
    points: list[KeyPoint] = []
    for depth in rounds:
        for point in depth:
            if len(points) < limit:
                points.append(point)
        if len(points) >= 3:
            break
    return points


def report_to_dict(report: Report) -> dict:
    """The report as plain JSON-ready data: everything the templates show, plus the routing."""

    def cite(sentence: Sentence) -> dict:
        return {
            "source": report.source_number(sentence.article_id),
            "article": sentence.article_id,
            "sentence": sentence.index,
            "text": sentence.text,
            "speaker": sentence.speaker,
        }

    outlets = {s.article.id: outlet_key(s.article) for s in report.sources}

    def statement(item: Statement) -> dict:
        return {
            "text": item.text,
            "citations": [cite(s) for s in item.sources],
            "outlets": outlet_count(item.sources, outlets),
        }

    return {
        "title": report.title,
        "date": report.date.isoformat(),
        "generated_at": report.generated_at.isoformat(),
        "tool": {"name": "briefing", "version": report.version},
        "router": report.router,
        "notices": list(report.notices),
        "period": {
            "since": report.since.isoformat() if report.since else None,
            "until": report.until.isoformat() if report.until else None,
            "articles": len(report.sources),
            "outlets": len(set(outlets.values())),
        },
        "previous": dict(report.previous) if report.previous else None,
        "key_points": [{"section": p.section, **statement(p.statement)} for p in report.key_points],
        "sections": [
            {
                "key": brief.section.key,
                "title": brief.section.title,
                "method": brief.method,
                "model": brief.model,
                "notes": list(brief.notes),
                "statements": [statement(s) for s in brief.statements],
                "dropped": list(brief.dropped),
                "repeated": report.repeated.get(brief.section.key, 0),
            }
            for brief in report.briefs
        ],
        "conflicts": [
            [{k: cite(s)[k] for k in ("source", "sentence", "text")} for s in pair] for pair in report.conflicts
        ],
        "key_figures": [
            {"value": f.value, "counts": f.counts, "section": f.section, "citation": cite(f.source)}
            for f in report.figures
        ],
        "sources": [
            {
                "number": s.number,
                "id": s.article.id,
                "title": s.article.title,
                "source": s.article.source,
                "date": s.article.date.isoformat() if s.article.date else None,
                "url": s.article.url,
                "path": s.article.path,
                "dated_by": s.dated_by,
            }
            for s in report.sources
        ],
        "routing": [
            {
                "source": report.source_number(r.sentence.article_id),
                "sentence": r.sentence.index,
                "paragraph": r.sentence.paragraph,
                "kind": r.sentence.kind,
                "text": r.sentence.text,
                "section": r.section,
                "score": r.score,
                "scores": r.scores,
            }
            for r in report.routing
        ],
        "timings": dict(report.timings),
    }


def report_from_dict(data: dict) -> Report:
    """A report rebuilt from ``report_to_dict`` data (a built report's JSON), ready to render again.

    What the JSON does not carry (article bodies, section cue words, statement weights) is left
    empty; ``report_to_dict(report_from_dict(data)) == data``.
    """
    from .errors import InputError

    try:
        numbers = {s["number"]: s for s in data["sources"]}
        period = data.get("period") or {}
        places = {(r["source"], r["sentence"]): r for r in data.get("routing", [])}
        sentences: dict[tuple[int, int], Sentence] = {}

        def sentence(number: int, index: int, text: str, speaker: str | None = None) -> Sentence:
            key = (number, index)
            if key not in sentences:
                place = places.get(key, {})
                sentences[key] = Sentence(
                    article_id=numbers[number]["id"],
                    index=index,
                    paragraph=place.get("paragraph", 0),
                    text=text,
                    start=0,
                    end=len(text),
                    speaker=speaker,
                    **({"kind": place["kind"]} if "kind" in place else {}),
                )
            return sentences[key]

        def cited(citation: dict) -> Sentence:
            return sentence(citation["source"], citation["sentence"], citation["text"], citation.get("speaker"))

        def statement(item: dict) -> Statement:
            return Statement(item["text"], tuple(cited(c) for c in item["citations"]))

        sources = [
            Source(
                s["number"],
                Article(
                    id=s["id"],
                    title=s["title"],
                    text="",
                    source=s["source"],
                    date=dt.date.fromisoformat(s["date"]) if s["date"] else None,
                    url=s["url"],
                    path=s["path"],
                ),
                s.get("dated_by"),
            )
            for s in data["sources"]
        ]
        briefs = [
            Brief(
                section=Section(key=s["key"], title=s["title"], description="", cues=()),
                statements=[statement(item) for item in s["statements"]],
                method=s["method"],
                model=s["model"],
                notes=list(s["notes"]),
                dropped=list(s["dropped"]),
            )
            for s in data["sections"]
        ]
        return Report(
            title=data["title"],
            date=dt.date.fromisoformat(data["date"]),
            generated_at=dt.datetime.fromisoformat(data["generated_at"]),
            briefs=briefs,
            key_points=[KeyPoint(p["section"], statement(p)) for p in data["key_points"]],
            figures=[
                KeyFigure(f["value"], f["counts"], f["section"], cited(f["citation"])) for f in data["key_figures"]
            ],
            sources=sources,
            routing=[
                Routing(
                    sentence(r["source"], r["sentence"], r["text"]),
                    r["section"],
                    r["score"],
                    dict(r["scores"]),
                )
                for r in data.get("routing", [])
            ],
            router=data["router"],
            version=data["tool"]["version"],
            notices=list(data["notices"]),
            timings=dict(data.get("timings", {})),
            since=dt.date.fromisoformat(period["since"]) if period.get("since") else None,
            until=dt.date.fromisoformat(period["until"]) if period.get("until") else None,
            previous=dict(data["previous"]) if data.get("previous") else None,
            repeated={s["key"]: s["repeated"] for s in data["sections"] if s.get("repeated")},
            conflicts=[
                tuple(sentence(c["source"], c["sentence"], c["text"]) for c in pair)
                for pair in data.get("conflicts", [])
            ],
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        detail = f"missing '{exc.args[0]}'" if isinstance(exc, KeyError) else str(exc)
        raise InputError(
            f"not a briefing report: {detail}", "give the .json file that briefing generate --format json wrote"
        ) from None


def read_report(path: Path, what: str = "report") -> Report:
    """A built report back from the JSON file ``briefing generate --format json`` wrote."""
    import json

    from .errors import InputError

    path = Path(path)
    hint = "give the .json file that briefing generate --format json wrote"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found", hint) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a report's JSON ({exc})", hint) from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a briefing report", hint)
    try:
        return report_from_dict(data)
    except InputError as exc:
        raise InputError(f"{path}: {exc.message}", exc.hint) from None
