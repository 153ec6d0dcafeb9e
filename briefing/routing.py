"""Routing sentences to sections.

A router scores every sentence against every section (0..1). Scores are then smoothed over the
sentence's paragraph, and a sentence goes to the best section only when that section is clearly
ahead; otherwise it goes nowhere. When unsure, no section is better than a wrong one.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from .sections import Section
from .text import Sentence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Routing:
    """Where one sentence went, and why: every section's score."""

    sentence: Sentence
    section: str | None
    score: float
    scores: dict[str, float] = field(default_factory=dict)


class Router(Protocol):
    name: str

    def score(self, sentences: Sequence[Sentence], sections: Sequence[Section]) -> list[list[float]]:
        """One row per sentence, one score in 0..1 per section."""
        ...


@dataclass(frozen=True)
class Decision:
    """How raw scores become a section or none."""

    threshold: float = 0.35  # a section needs at least this score
    margin: float = 0.08  # ... and to be this far ahead of the next one
    paragraph_weight: float = 0.25  # share of a sentence's score taken from its paragraph's mean


# --- cue words -----------------------------------------------------------------------------


def _cue_pattern(cue: str) -> re.Pattern[str]:
    words = cue.split()
    parts = []
    for word in words:
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"[\w’'-]*")
        else:
            parts.append(re.escape(word) + r"(?:s|es|'s|’s)?")
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(parts) + r"(?![\w])", re.IGNORECASE)


class CueRouter:
    """Scores a sentence by the section cue words it contains. No model; instant."""

    name = "cues"

    def __init__(self) -> None:
        self._patterns: dict[str, list[re.Pattern[str]]] = {}

    def _compiled(self, section: Section) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
        key = section.key + "\0" + section.path
        if key not in self._patterns:
            self._patterns[key] = [_cue_pattern(c) for c in section.cues]
            self._patterns[key + "\0neg"] = [_cue_pattern(c) for c in section.negative_cues]
        return self._patterns[key], self._patterns[key + "\0neg"]

    def hits(self, text: str, section: Section) -> list[str]:
        positives, _ = self._compiled(section)
        return [cue for cue, pattern in zip(section.cues, positives) if pattern.search(text)]

    def score(self, sentences: Sequence[Sentence], sections: Sequence[Section]) -> list[list[float]]:
        rows = []
        for sentence in sentences:
            row = []
            for section in sections:
                positives, negatives = self._compiled(section)
                hits = sum(1 for p in positives if p.search(sentence.text))
                misses = sum(1 for p in negatives if p.search(sentence.text))
                strength = max(0.0, hits - 0.5 * misses)
                row.append(1.0 - math.exp(-0.7 * strength))
            rows.append(row)
        return rows


def smooth(rows: list[list[float]], sentences: Sequence[Sentence], weight: float) -> list[list[float]]:
    """Blend each sentence's scores with the mean of its paragraph's (same article, same paragraph)."""
    if weight <= 0 or not rows:
        return rows
    groups: dict[tuple[str, int], list[int]] = {}
    for i, sentence in enumerate(sentences):
        groups.setdefault((sentence.article_id, sentence.paragraph), []).append(i)
    out = [list(r) for r in rows]
    for members in groups.values():
        if len(members) < 2:
            continue
        width = len(rows[members[0]])
        mean = [sum(rows[i][j] for i in members) / len(members) for j in range(width)]
        for i in members:
            out[i] = [(1 - weight) * rows[i][j] + weight * mean[j] for j in range(width)]
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
        ranked = sorted(range(len(row)), key=lambda j: row[j], reverse=True)
        best = row[ranked[0]]
        second = row[ranked[1]] if len(ranked) > 1 else 0.0
        if best >= decision.threshold and best - second >= decision.margin:
            routed.append(Routing(sentence, sections[ranked[0]].key, round(best, 4), scores))
        else:
            routed.append(Routing(sentence, None, round(best, 4), scores))
    return routed


def route(
    sentences: Sequence[Sentence],
    sections: Sequence[Section],
    router: Router,
    decision: Decision = Decision(),
) -> list[Routing]:
    """Score, smooth over paragraphs, decide. Non-body sentences (captions, headings) go nowhere."""
    rows = router.score(sentences, sections)
    rows = smooth(rows, sentences, decision.paragraph_weight)
    return decide(sentences, sections, rows, decision)


ROUTERS = {"cues": CueRouter}


def make_router(name: str, **options) -> Router:
    """A router by name: 'cues', 'embeddings', or 'auto' (embeddings when the model loads, else cues)."""
    if name == "cues":
        return CueRouter()
    from .embeddings import make_embedding_router  # noqa: PLC0415 - torch only when asked for

    return make_embedding_router(name, **options)
