"""Extractive condenser: the most informative, non-redundant sentences, verbatim, in source order."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Sequence

from ..facts import find_numbers
from . import Brief, SectionInput, Statement

_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]+|\d[\d,.]*%?")
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    said says told this year week day thursday monday tuesday wednesday friday saturday sunday""".split()
)
REDUNDANCY = 0.55  # a sentence sharing this much of its content words with a chosen one is a repeat
CORROBORATION = 2.5  # added per doubling of the outlets telling a fact: 2 outlets outrank one


def content_words(text: str) -> list[str]:
    return [w.lower().strip("’'") for w in _WORD.findall(text) if w.lower() not in STOPWORDS]


def _similarity(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


class ExtractiveCondenser:
    """Scores sentences by centrality, numbers, routing confidence and position; picks within a word budget."""

    name = "extractive"

    def condense(self, inputs: Sequence[SectionInput]) -> list[Brief]:
        return [self._one(item) for item in inputs]

    def rank(self, item: SectionInput) -> list[tuple[float, int]]:
        """(weight, position) for each sentence, best first."""
        bags = [content_words(s.text) for s in item.sentences]
        frequency = Counter(w for bag in bags for w in set(bag))
        n = len(bags)
        ranked = []
        for i, (sentence, bag) in enumerate(zip(item.sentences, bags)):
            if not bag:
                continue
            # Centrality: words the section's sentences share, damped so long sentences do not win alone.
            centrality = sum(math.log1p(frequency[w]) for w in set(bag)) / math.sqrt(len(set(bag)) + 4)
            numbers = min(len(find_numbers(sentence.text)), 3) * 0.35
            confidence = item.scores[i] if i < len(item.scores) else 0.5
            lead = 0.3 if sentence.index <= 3 else 0.0
            short = -0.5 if len(sentence.text.split()) < 6 else 0.0
            outlets = item.outlets[i] if i < len(item.outlets) else 1
            corroborated = CORROBORATION * math.log2(min(max(outlets, 1), 8))
            weight = centrality / max(1.0, math.log1p(n)) + numbers + confidence + lead + short + corroborated
            ranked.append((weight, i))
        ranked.sort(key=lambda pair: (-pair[0], pair[1]))
        return ranked

    def _one(self, item: SectionInput) -> Brief:
        chosen: list[tuple[float, int]] = []
        chosen_bags: list[set[str]] = []
        words = 0
        for weight, i in self.rank(item):
            sentence = item.sentences[i]
            bag = set(content_words(sentence.text))
            if any(_similarity(bag, other) >= REDUNDANCY for other in chosen_bags):
                continue
            length = len(sentence.text.split())
            if chosen and words + length > item.max_words:
                continue
            chosen.append((weight, i))
            chosen_bags.append(bag)
            words += length
            if words >= item.max_words:
                break
        chosen.sort(key=lambda pair: pair[1])  # source order: articles as given, then sentence order
        statements = [
            Statement(
                text=item.sentences[i].text,
                sources=(item.sentences[i], *(item.support[i] if i < len(item.support) else ())),
                weight=round(weight, 4),
            )
            for weight, i in chosen
        ]
        return Brief(section=item.section, statements=statements, method="extractive")
