"""The parallel stages of a report: work that is independent per piece of input, as plain data in and out.

Two stages of :func:`briefing.report.build_reports` do almost all the work and need nothing from
each other's pieces:

- **split and route**, per shard of a report's articles: sentences come from one article alone,
  and routing smooths scores only within a paragraph, so a shard of whole articles routes the same
  alone as with the others;
- **condense**, per batch of a report's sections: a batch is what one ``Condenser.condense`` call
  gets (a seq2seq model generates a call's inputs together).

The pieces are cut here, on the caller's side, by rules that do not depend on where they run
(``ROUTE_SHARD_ARTICLES`` articles, ``CONDENSE_BATCH_TOKENS`` estimated tokens), and every engine
runs the same :class:`Worker` methods on them. A report is therefore the same on every engine by
construction: only where a piece runs changes, never what goes into it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Sequence

from .articles import Article
from .condense import Brief, Condenser, SectionInput, get_condenser
from .routing import Router, Routing, make_router, route
from .sections import Section
from .text import split_article

if TYPE_CHECKING:
    from .report import Options

ROUTE_SHARD_ARTICLES = 16  # articles per routing task: enough sentences to batch well, 13 tasks for 200 articles
# Estimated input tokens per condensing task: what the seq2seq condenser generates together at most
# anyway (Settings.batch_tokens), so cutting here costs no batching, and a big report's sections run apart.
CONDENSE_BATCH_TOKENS = 4096
TOKENS_PER_WORD = 1.4  # the estimate briefing.condense.seq2seq uses for generation budgets


@dataclass(frozen=True)
class RouteTask:
    """One shard of one report's articles, to split into sentences and route to ``sections``."""

    report: int  # position of the report in the job
    shard: int
    articles: tuple[Article, ...]
    sections: tuple[Section, ...]
    among: tuple[Section, ...]  # every section a sentence may belong to (see briefing.routing.route)
    options: "Options"


@dataclass(frozen=True)
class Routed:
    """A shard's routing, and what building the router said (the same for every shard it routed)."""

    report: int
    shard: int
    routing: tuple[Routing, ...]
    router: str
    notices: tuple[str, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)  # split, route


@dataclass(frozen=True)
class CondenseTask:
    """One batch of one report's sections, condensed in one ``Condenser.condense`` call."""

    report: int
    batch: int
    inputs: tuple[SectionInput, ...]
    options: "Options"


@dataclass(frozen=True)
class Condensed:
    """A batch's briefs, in the order of its inputs, and what the condenser said."""

    report: int
    batch: int
    briefs: tuple[Brief, ...]
    notices: tuple[str, ...] = ()
    seconds: float = 0.0


# --- cutting the work into pieces (on the caller's side) --------------------------------------


def shards(articles: Sequence[Article], size: int = ROUTE_SHARD_ARTICLES) -> list[tuple[Article, ...]]:
    """Consecutive runs of ``size`` articles; one empty shard when there are none (the router is still named)."""
    articles = tuple(articles)
    return [articles[k : k + size] for k in range(0, len(articles), size)] or [()]


def estimated_tokens(item: SectionInput) -> int:
    """A section's input length in model tokens, estimated from words (no tokenizer needed)."""
    return round(sum(s.words for s in item.sentences) * TOKENS_PER_WORD)


def condense_batches(
    inputs: Sequence[SectionInput], budget: int = CONDENSE_BATCH_TOKENS
) -> list[tuple[SectionInput, ...]]:
    """The sections with something to condense, in order, in batches of at most ``budget`` estimated tokens.

    A section larger than the budget is a batch of its own (its chunks are batched inside the
    condenser). With nothing to condense there is one empty batch, so the condenser is still built
    and says what it would have used, as it does for a report with sentences.
    """
    batches: list[list[SectionInput]] = []
    used = 0
    for item in inputs:
        if not item.sentences:
            continue
        size = estimated_tokens(item)
        if not batches or used + size > budget:
            batches.append([])
            used = 0
        batches[-1].append(item)
        used += size
    return [tuple(batch) for batch in batches] or [()]


# --- running the pieces (in whichever process the engine chose) --------------------------------


def router_key(options: "Options") -> tuple:
    return (options.router, options.embedding_model)


# Options that shape the report around the condenser but not the condenser itself.
NOT_CONDENSER = frozenset({"title", "date", "sections", "router", "embedding_model", "max_words", "key_points", "since",
                           "until"})


def condenser_key(options: "Options") -> tuple:
    """Every other option (model, device, precision, beams...): equal keys give the same condenser."""
    return tuple((f.name, getattr(options, f.name)) for f in fields(options) if f.name not in NOT_CONDENSER)


class _Relay:
    """A notify callback whose messages go to the task at hand: a kept condenser's later notices
    (a generation that failed) reach the report being condensed, not the one that built it."""

    def __init__(self) -> None:
        self.heard: list[str] = []

    def __call__(self, message: str) -> None:
        self.heard.append(message)


class Worker:
    """Runs route and condense tasks in one process, keeping the routers and condensers it builds.

    Models load once per process (``briefing.models`` and the embedding router keep them); this
    keeps the objects around them, with the notices their building gave, so that every task using
    one reports those notices, whichever task built it. ``router`` and ``condenser``, when given,
    are used for every task instead (a caller's own, already loaded).
    """

    def __init__(self, router: Router | None = None, condenser: Condenser | None = None):
        self.router = router
        self.condenser = condenser
        self._routers: dict[tuple, tuple[Router, tuple[str, ...]]] = {}
        self._condensers: dict[tuple, tuple[Condenser, tuple[str, ...], _Relay | None]] = {}

    def prepare(self, options: "Options") -> None:
        """Build (and load the models of) the router and condenser ``options`` name, ahead of the first task."""
        self._router_for(options)
        self._condenser_for(options)

    def _router_for(self, options: "Options") -> tuple[Router, tuple[str, ...]]:
        if self.router is not None:
            return self.router, ()
        key = router_key(options)
        if key not in self._routers:
            heard: list[str] = []
            router = make_router(options.router, model=options.embedding_model, notify=heard.append)
            self._routers[key] = (router, tuple(heard))
        return self._routers[key]

    def _condenser_for(self, options: "Options") -> tuple[Condenser, tuple[str, ...], _Relay | None]:
        if self.condenser is not None:
            return self.condenser, (), None
        key = condenser_key(options)
        if key not in self._condensers:
            if options.backend == "extractive":  # no model, and no import of the model code
                self._condensers[key] = (get_condenser("extractive"), (), None)
            else:  # the model, or the extractive fallback with one notice when it cannot be loaded
                from .condense.seq2seq import condenser_for

                relay = _Relay()
                condenser = condenser_for(options, notify=relay)
                self._condensers[key] = (condenser, tuple(relay.heard), relay)
        return self._condensers[key]

    def route(self, task: RouteTask) -> Routed:
        """Split the shard's articles into sentences and route them."""
        started = time.perf_counter()
        router, notices = self._router_for(task.options)  # the first task's time includes loading the model
        loaded = time.perf_counter()
        sentences = [s for article in task.articles for s in split_article(article)]
        split = time.perf_counter()
        routing = route(sentences, task.sections, router, among=task.among)
        seconds = {"split": split - loaded, "route": time.perf_counter() - split + loaded - started}
        name = getattr(router, "name", type(router).__name__)
        return Routed(task.report, task.shard, tuple(routing), name, notices, seconds)

    def condense(self, task: CondenseTask) -> Condensed:
        """Condense the batch's sections in one call."""
        started = time.perf_counter()  # the first task's time includes loading the model
        condenser, notices, relay = self._condenser_for(task.options)
        if relay is not None:
            relay.heard = []
        briefs = condenser.condense(list(task.inputs))
        heard = tuple(relay.heard) if relay is not None else ()
        return Condensed(task.report, task.batch, tuple(briefs), notices + heard, time.perf_counter() - started)
