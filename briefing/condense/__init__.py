"""Condensers turn each section's routed sentences into a short brief.

One interface, a registry dict, no framework: a condenser takes every section of a report at once
(so a model can batch them) and returns one :class:`Brief` per section, in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

from ..sections import Section
from ..text import Sentence

NO_DEVELOPMENTS = "No significant developments reported."


@dataclass(frozen=True)
class Statement:
    """One statement of a brief and the source sentences that support it (its citations)."""

    text: str
    sources: tuple[Sentence, ...]
    weight: float = 0.0


@dataclass(frozen=True)
class SectionInput:
    """What a condenser gets for one section: its routed sentences in source order, with scores.

    With several articles, each sentence stands for one fact (``briefing.dedupe``): ``support[i]``
    holds the other articles' sentences telling the same fact (cite them with it), and
    ``outlets[i]`` how many outlets tell it (1: a single-source claim). Both may be empty.
    """

    section: Section
    sentences: tuple[Sentence, ...]
    scores: tuple[float, ...]
    max_words: int
    support: tuple[tuple[Sentence, ...], ...] = ()
    outlets: tuple[int, ...] = ()


@dataclass
class Brief:
    """A section's brief, and how it was produced."""

    section: Section
    statements: list[Statement]
    method: str
    model: str | None = None
    notes: list[str] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.statements


class Condenser(Protocol):
    name: str

    def condense(self, inputs: Sequence[SectionInput]) -> list[Brief]: ...


def get_condenser(name: str, **options) -> Condenser:
    """A condenser by name: 'extractive' (no model) or 'seq2seq' (local transformers model)."""
    if name == "extractive":
        from .extractive import ExtractiveCondenser

        return ExtractiveCondenser()
    if name == "seq2seq":
        from .seq2seq import Seq2SeqCondenser  # torch and transformers load only here

        return Seq2SeqCondenser(**options)
    raise KeyError(name)
