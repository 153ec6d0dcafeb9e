"""Routing sentences to sections.

A router weighs the evidence that a sentence belongs to each section, and the evidence that it
belongs to none, and turns them into shares that sum to at most 1: a section's score is its share,
and what is left over is the share of "none". Scores are then smoothed over the sentence's
neighbours in its paragraph, and a sentence goes to its best section only when the sections
together clearly outweigh "none" (``Decision.threshold``) and one section clearly leads the others
(``Decision.dominance``); otherwise it goes nowhere. When unsure, no section is better than a
wrong one.

The cue-word router lives here (no model, instant); the sentence-embedding router is in
:mod:`briefing.embeddings` (CTranslate2 and numpy; torch only to convert a model, once) and is
imported only when asked for, so the cue-word path loads no model library.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Protocol, Sequence

from .errors import ConfigError
from .resources import layered_dirs
from .sections import Section, available_sections
from .text import Sentence

log = logging.getLogger(__name__)

ROUTER_NAMES = ("auto", "cues", "embeddings")


@dataclass(frozen=True)
class Routing:
    """Where one sentence went, and why: every section's score."""

    sentence: Sentence
    section: str | None
    score: float
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """How scores become a section or none."""

    threshold: float = 0.6  # the sections' shares together must reach this (the rest is "none")
    dominance: float = 0.6  # ... and the best section must hold this part of them
    paragraph_weight: float = 0.4  # part of a score taken from the sentence's neighbours
    window: int = 1  # neighbours on each side, within the same paragraph


class Router(Protocol):
    name: str
    decision: Decision

    def score(self, sentences: Sequence[Sentence], sections: Sequence[Section]) -> list[list[float]]:
        """One row per sentence, one share in 0..1 per section; a row sums to at most 1."""
        ...


# --- cue words -----------------------------------------------------------------------------


def _cue_pattern(cue: str) -> re.Pattern[str]:
    """A cue as a regular expression: words in order, '*' for any ending, plurals and possessives."""
    parts = []
    for word in cue.split():
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"[\w’'-]*")
        else:
            parts.append(re.escape(word) + r"(?:s|es|'s|’s)?")
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(parts) + r"(?![\w])", re.IGNORECASE)


def _count_spans(patterns: Sequence[re.Pattern[str]], text: str) -> int:
    """How many cues match, a cue inside another's match ("funding" in "funding gap") counting once."""
    spans = {m.span() for p in patterns for m in [p.search(text)] if m}
    return sum(1 for a, b in spans if not any(c <= a and b <= d and (c, d) != (a, b) for c, d in spans))


class CueRouter:
    """Scores a sentence by the section cue words it contains. No model; instant.

    A section's evidence is its cue hits less half its negative-cue hits; "none" always has
    ``none_weight`` of evidence, so one cue gives a share of 1 / (1 + none_weight).
    """

    name = "cues"
    none_weight = 1.0
    decision = Decision(threshold=0.4, dominance=0.75, paragraph_weight=0.6, window=1)

    def __init__(self) -> None:
        self._patterns: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], tuple[list, list]] = {}

    def _compiled(self, section: Section) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
        key = (section.key, section.path, section.cues, section.negative_cues)
        if key not in self._patterns:
            self._patterns[key] = (
                [_cue_pattern(c) for c in section.cues],
                [_cue_pattern(c) for c in section.negative_cues],
            )
        return self._patterns[key]

    def hits(self, text: str, section: Section) -> list[str]:
        """The section's cues found in ``text``."""
        positives, _ = self._compiled(section)
        return [cue for cue, pattern in zip(section.cues, positives) if pattern.search(text)]

    def strength(self, text: str, section: Section) -> float:
        """Cue hits less half the negative-cue hits, never below 0."""
        positives, negatives = self._compiled(section)
        return max(0.0, _count_spans(positives, text) - 0.5 * _count_spans(negatives, text))

    def strengths(self, sentences: Sequence[Sentence], sections: Sequence[Section]) -> list[list[float]]:
        """``strength`` for every sentence and section; 0 for captions, headings and boilerplate."""
        return [[self.strength(s.text, sec) if s.is_body else 0.0 for sec in sections] for s in sentences]

    def score(self, sentences: Sequence[Sentence], sections: Sequence[Section]) -> list[list[float]]:
        rows = []
        for row in self.strengths(sentences, sections):
            total = sum(row) + self.none_weight
            rows.append([v / total for v in row])
        return rows


# --- smoothing and the decision ------------------------------------------------------------


def smooth(rows: list[list[float]], sentences: Sequence[Sentence], weight: float, window: int = 1) -> list[list[float]]:
    """Blend each body sentence's scores with the mean of its body neighbours in the same paragraph."""
    if weight <= 0 or not rows:
        return rows
    groups: dict[tuple[str, int], list[int]] = {}
    for i, sentence in enumerate(sentences):
        if sentence.is_body:
            groups.setdefault((sentence.article_id, sentence.paragraph), []).append(i)
    out = [list(r) for r in rows]
    for members in groups.values():
        for position, i in enumerate(members):
            around = members[max(0, position - window) : position + window + 1]
            if len(around) < 2:
                continue
            mean = [sum(rows[k][j] for k in around) / len(around) for j in range(len(rows[i]))]
            out[i] = [(1 - weight) * a + weight * b for a, b in zip(rows[i], mean)]
    return out


def decide(
    sentences: Sequence[Sentence],
    sections: Sequence[Section],
    rows: list[list[float]],
    decision: Decision = Decision(),
) -> list[Routing]:
    """Pick a section per sentence from (smoothed) scores, or none when no section is clearly ahead."""
    routed = []
    for sentence, row in zip(sentences, rows):
        scores = {s.key: round(v, 4) for s, v in zip(sections, row)}
        if not sentence.is_body or not row:
            routed.append(Routing(sentence, None, 0.0, scores))
            continue
        best = max(range(len(row)), key=lambda j: row[j])
        total = sum(row)
        clear = total >= decision.threshold and row[best] >= decision.dominance * total
        routed.append(Routing(sentence, sections[best].key if clear else None, round(row[best], 4), scores))
    return routed


def route(
    sentences: Sequence[Sentence],
    sections: Sequence[Section],
    router: Router,
    decision: Decision | None = None,
    *,
    among: Sequence[Section] | None = None,
) -> list[Routing]:
    """Score, smooth over paragraphs, decide (with the router's own decision unless one is given).

    ``among`` lists every section a sentence may belong to; by default, every section defined in
    the prompt folders ``sections`` were read from. A sentence whose place is in a section left
    out of ``sections`` goes nowhere: building only some sections never pushes the others'
    sentences into them.
    """
    decision = decision or getattr(router, "decision", None) or Decision()
    wanted = {s.key for s in sections}
    pool = [*(among if among is not None else defined_with(sections)), *sections]
    pool = list({s.key: s for s in pool}.values())
    rows = router.score(sentences, pool)
    rows = smooth(rows, sentences, decision.paragraph_weight, decision.window)
    routed = decide(sentences, pool, rows, decision)
    return [r if r.section is None or r.section in wanted else replace(r, section=None) for r in routed]


def defined_with(sections: Sequence[Section]) -> list[Section]:
    """Every section defined in the prompt folders these sections were read from (else just these)."""
    if not sections or not all(s.path for s in sections):
        return list(sections)
    standard = {d.resolve() for d in layered_dirs("prompts")}
    extra = {Path(s.path).parent.resolve() for s in sections} - standard
    if len(extra) > 1:
        return list(sections)
    try:
        defined = available_sections(next(iter(extra)) if extra else None)
    except ConfigError:
        return list(sections)
    paths = {s.path for s in defined}
    return defined if all(s.path in paths for s in sections) else list(sections)


def make_router(
    name: str, *, model: str | None = None, notify: Callable[[str], None] | None = None, **options
) -> Router:
    """A router by name: 'cues', 'embeddings', or 'auto' (embeddings when the model loads, else cues)."""
    if name == "cues":
        return CueRouter()
    if name not in ROUTER_NAMES:
        raise ConfigError(f"unknown router '{name}'", f"choose one of: {', '.join(ROUTER_NAMES)}")
    from .embeddings import make_embedding_router  # noqa: PLC0415 - model libraries only when asked for

    return make_embedding_router(name, model=model, notify=notify, **options)
