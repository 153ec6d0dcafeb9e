"""One fact, told by several articles, reported once with every source cited.

Between routing and condensing, sentences of different articles that tell the same fact (the same
story in other words, or wire copy carried by several outlets) are grouped into a
:class:`Cluster`. Its representative, the most complete and attributed wording, is what the
condenser sees; the other members ride along as its support and become citations of the
statement. How many outlets tell a fact is its corroboration, which the extractive condenser
ranks on.

Two sentences tell the same fact when, after place names are unified (Kiev reads as Kyiv) and
words reduced to rough stems, they share most of their content words, name no different place or
person, agree on negation, and give the same figures (``facts.Number.matches``: "$14bn" is
"$14 billion", "seven" is "7"). Sentences alike in every way but their figures are *not* merged:
both stay, and the pair is recorded as a conflict so the report can flag it.

Plain functions over plain data: :func:`cluster` (routing in, clusters out),
:func:`section_inputs` (clusters to what a condenser gets), :func:`attach_support` (after the
condenser, every statement cites every member of its clusters), :func:`keep_conflicts` (both
sides of a disagreement survive) and :func:`respell` (places in the majority's spelling).
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from .articles import Article
from .condense import Brief, SectionInput, Statement
from .facts import Number, find_numbers
from .places import Places
from .routing import Routing
from .sections import Section
from .text import Sentence

# Two sentences' content words: at least this Jaccard similarity ...
SAME_JACCARD = 0.5
# ... or this share of the shorter one's words together with a lower Jaccard.
SAME_OVERLAP = 0.8
SAME_OVERLAP_JACCARD = 0.38
MIN_WORDS = 4  # sentences with fewer content words are never merged

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself nor now of off on once only or other our ours out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    said says say told tell tells added adding stated according reported reportedly
    year week day today yesterday overnight morning evening night earlier later
    thursday monday tuesday wednesday friday saturday sunday
    mr mrs ms dr""".split()
)
# Words that mean the same here; stems on the right. Kept small: each entry is a judgement.
SYNONYMS = {
    "killed": "kill", "kills": "kill", "killing": "kill", "dead": "kill", "died": "kill", "die": "kill",
    "dies": "kill", "death": "kill", "deaths": "kill", "fatalities": "kill", "lives": "kill",
    "wounded": "wound", "wounding": "wound", "wounds": "wound", "injured": "wound", "injuring": "wound",
    "injuries": "wound", "injury": "wound", "hurt": "wound",
    "troops": "force", "troop": "force", "forces": "force", "soldiers": "force", "soldier": "force",
    "russian": "russia", "russians": "russia", "ukrainian": "ukraine", "ukrainians": "ukraine",
    "regional": "region", "governor's": "governor",
}
# A nation's adjective names the nation: "German Foreign Minister" and "Germany's foreign minister".
DEMONYMS = {
    "american": "us", "british": "britain", "uk": "britain", "french": "france", "german": "germany",
    "polish": "poland", "turkish": "turkey", "chinese": "china", "iranian": "iran", "belarusian": "belarus",
    "italian": "italy", "japanese": "japan", "canadian": "canada", "dutch": "netherlands", "swedish": "sweden",
    "finnish": "finland", "spanish": "spain", "indian": "india", "israeli": "israel", "european": "europe",
    "crimean": "crimea", "hungarian": "hungary", "romanian": "romania", "moldovan": "moldova",
    "lithuanian": "lithuania", "latvian": "latvia", "estonian": "estonia", "georgian": "georgia",
    "swiss": "switzerland", "norwegian": "norway", "danish": "denmark", "czech": "czechia", "slovak": "slovakia",
    "austrian": "austria", "belgian": "belgium", "greek": "greece", "korean": "korea", "syrian": "syria",
    "african": "africa", "saudi": "saudi arabia", "emirati": "uae", "qatari": "qatar", "brazilian": "brazil",
}
# Capitalised words that name no particular place or person in this news.
GENERIC_NAMES = frozenset(
    """russia russian russians ukraine ukrainian ukrainians the a an he she it they we i but and in on at
    this that these those there his her its their our as while after before when if so yet still also
    president minister ministry prime foreign defence defense secretary general governor mayor army
    military forces force official officials spokesperson spokesman spokeswoman chief head deputy
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december mr mrs ms dr""".split()
)
_WORD = re.compile(r"[^\W\d_][\w’'-]*")
_NEGATION = re.compile(r"\b(?:not|no|never|nor|without|cannot|neither)\b|n[’']t\b", re.IGNORECASE)
_ATTRIBUTED = re.compile(
    r"\b(?:said|says|told|according to|announced|stated|claimed|reported|confirmed|wrote)\b", re.IGNORECASE
)


# --- comparing sentences ----------------------------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    """What comparing two sentences looks at."""

    words: frozenset[str]
    numbers: tuple[Number, ...]
    names: frozenset[str]
    negated: bool


def stem(word: str) -> str:
    """A rough stem: 'attacks', 'attacked' and 'attacking' are 'attack'; synonyms share one."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.rstrip("'")
    word = SYNONYMS.get(word, word)
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 6:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return SYNONYMS.get(word, word)


def fingerprint(text: str, places: Places | None = None) -> Fingerprint:
    """The stems, figures, names and negation of one sentence, places read as their key name."""
    if places is not None and len(places):
        text = places.normalise(text)
    numbers = tuple(find_numbers(text))
    masked = list(text)
    for number in numbers:
        masked[number.start : number.end] = " " * (number.end - number.start)
    plain = "".join(masked)
    words: set[str] = set()
    names: set[str] = set()
    for n, match in enumerate(_WORD.finditer(plain)):
        raw = match.group()
        lower = raw.lower().replace("’", "'")
        base = lower[:-2] if lower.endswith("'s") else lower.rstrip("'")
        if base in STOPWORDS or len(base) < 2:
            continue
        base = DEMONYMS.get(base, base)
        words.add(stem(base))
        if raw[0].isupper() and base not in GENERIC_NAMES and (n > 0 or _is_place(raw, places)):
            names.add(base)
    return Fingerprint(frozenset(words), numbers, frozenset(names), bool(_NEGATION.search(text)))


def _is_place(word: str, places: Places | None) -> bool:
    return places is not None and bool(places.find(word))


def numbers_agree(a: Sequence[Number], b: Sequence[Number]) -> bool:
    """Every figure of each sentence is matched by one of the other's (the same set of figures)."""
    return all(any(x.matches(y) for y in b) for x in a) and all(any(y.matches(x) for x in a) for y in b)


SAME, CONFLICT, DIFFERENT = "same", "conflict", "different"


def compare(a: Fingerprint, b: Fingerprint) -> tuple[str, float]:
    """('same' | 'conflict' | 'different', Jaccard similarity of the content words).

    'same': alike in words, names and negation, with the same figures. 'conflict': alike, but each
    gives a figure the other does not ("seven killed" and "nine killed"). A sentence that only adds
    figures to the other's is 'different': it says more, and nothing contradicts it.
    """
    if a.negated != b.negated or (a.names - b.names and b.names - a.names):
        return DIFFERENT, 0.0
    small = min(len(a.words), len(b.words))
    if small < MIN_WORDS:
        return DIFFERENT, 0.0
    shared = len(a.words & b.words)
    jaccard = shared / len(a.words | b.words)
    alike = jaccard >= SAME_JACCARD or (shared / small >= SAME_OVERLAP and jaccard >= SAME_OVERLAP_JACCARD)
    if not alike:
        return DIFFERENT, jaccard
    only_a = [x for x in a.numbers if not any(x.matches(y) for y in b.numbers)]
    only_b = [y for y in b.numbers if not any(y.matches(x) for x in a.numbers)]
    if not only_a and not only_b:
        return SAME, jaccard
    if only_a and only_b:  # each gives a figure the other contradicts
        return CONFLICT, jaccard
    return DIFFERENT, jaccard  # one gives figures the other lacks: not the same fact, no contradiction


def same_fact(a: str, b: str, places: Places | None = None) -> bool:
    """Whether two sentences tell the same fact (see the module's docstring)."""
    return compare(fingerprint(a, places), fingerprint(b, places))[0] == SAME


# --- outlets ----------------------------------------------------------------------------------


def outlet_key(article: Article) -> str:
    """Who published an article, for counting outlets: its source's name, else its web site, else itself.

    'The Guardian' and 'Guardian (inferred from …)' are one outlet; 'www.bbc.co.uk' is 'bbc.co.uk'.
    """
    name = re.sub(r"\([^)]*\)", " ", article.source or "")
    name = re.sub(r"^\s*the\s+", "", " ".join(name.lower().split()))
    name = name.strip(" ,;:-–—")
    if name:
        return name
    host = urlsplit(article.url).hostname if article.url else None
    if host:
        return re.sub(r"^(?:www|m|amp)\.", "", host.lower())
    return f"article {article.id}"


def outlet_count(sentences: Iterable[Sentence], outlets: Mapping[str, str]) -> int:
    """How many outlets the sentences come from (``outlets``: article id -> outlet key)."""
    return len({outlets.get(s.article_id, s.article_id) for s in sentences})


# --- clusters ---------------------------------------------------------------------------------


def _key(sentence: Sentence) -> tuple[str, int]:
    return (sentence.article_id, sentence.index)


@dataclass(frozen=True)
class Cluster:
    """Sentences telling one fact: the representative first, then the others in source order."""

    members: tuple[Sentence, ...]
    section: str
    score: float
    outlets: int

    @property
    def representative(self) -> Sentence:
        return self.members[0]

    @property
    def support(self) -> tuple[Sentence, ...]:
        return self.members[1:]


@dataclass
class Clusters:
    """Every cluster, and which pairs of clusters disagree on their figures."""

    clusters: list[Cluster]
    conflicts: list[tuple[int, int]] = field(default_factory=list)
    outlets: dict[str, str] = field(default_factory=dict)  # article id -> outlet key

    def of(self, sentence: Sentence) -> int | None:
        """The index of the cluster ``sentence`` represents, if any."""
        index = getattr(self, "_reps", None)
        if index is None:
            index = self._reps = {_key(c.representative): i for i, c in enumerate(self.clusters)}
        return index.get(_key(sentence))

    def without(self, dropped: set[int]) -> "Clusters":
        """These clusters less the ``dropped`` indices (conflicts renumbered, those with a dropped side gone)."""
        kept = [i for i in range(len(self.clusters)) if i not in dropped]
        new = {old: n for n, old in enumerate(kept)}
        return Clusters(
            [self.clusters[i] for i in kept],
            [(new[a], new[b]) for a, b in self.conflicts if a in new and b in new],
            dict(self.outlets),
        )


def _quality(sentence: Sentence, fp: Fingerprint) -> tuple:
    """Which wording represents a cluster: attributed, with more figures, more complete (not overlong)."""
    attributed = bool(_ATTRIBUTED.search(sentence.text)) or bool(sentence.speaker)
    return (attributed, min(len(fp.numbers), 4), min(len(fp.words), 30))


def cluster(
    routed: Sequence[Routing],
    articles: Sequence[Article],
    places: Places | None = None,
) -> Clusters:
    """Group the routed sentences of all articles into facts.

    A sentence routed to a section can found a cluster; a body sentence routed nowhere can only
    join one (another outlet telling a routed fact corroborates it). Sentences of one article are
    never merged with each other. A sentence that disagrees on figures with a cluster and joins
    none founds its own, in that cluster's section, so both figures reach the condenser.
    """
    order = {a.id: n for n, a in enumerate(articles)}
    outlets = {a.id: outlet_key(a) for a in articles}
    candidates = []
    for position, item in enumerate(routed):
        sentence = item.sentence
        if not sentence.is_body or sentence.words < MIN_WORDS:
            if item.section is None:
                continue
        fp = fingerprint(sentence.text, places)
        candidates.append((item.section is not None, _quality(sentence, fp), -position, item, fp))
    candidates.sort(key=lambda c: (c[0], c[1], c[2]), reverse=True)

    reps: list[tuple[Routing, Fingerprint]] = []
    members: list[list[Sentence]] = []
    sections: list[str] = []
    by_word: dict[str, list[int]] = defaultdict(list)
    conflicts: set[tuple[int, int]] = set()

    def found(item: Routing, fp: Fingerprint, section: str) -> int:
        reps.append((item, fp))
        members.append([item.sentence])
        sections.append(section)
        for word in fp.words:
            by_word[word].append(len(reps) - 1)
        return len(reps) - 1

    for is_routed, _, _, item, fp in candidates:
        shared: dict[int, int] = defaultdict(int)
        for word in fp.words:
            for c in by_word.get(word, ()):
                shared[c] += 1
        best, best_score, disagree = None, 0.0, []
        for c, count in shared.items():
            if count < MIN_WORDS - 1 or reps[c][0].sentence.article_id == item.sentence.article_id:
                continue
            verdict, score = compare(fp, reps[c][1])
            if verdict == SAME and score > best_score:
                best, best_score = c, score
            elif verdict == CONFLICT:
                disagree.append(c)
        if best is not None:
            members[best].append(item.sentence)
            conflicts.update(tuple(sorted((best, c))) for c in disagree if c != best)
        elif is_routed:
            new = found(item, fp, item.section)
            conflicts.update(tuple(sorted((new, c))) for c in disagree)
        elif disagree:
            new = found(item, fp, sections[disagree[0]])
            conflicts.update(tuple(sorted((new, c))) for c in disagree)

    clusters = []
    for (item, _), group, section in zip(reps, members, sections):
        rep, rest = group[0], sorted(group[1:], key=lambda s: (order.get(s.article_id, 0), s.index))
        score = item.score if item.section == section else 0.0
        clusters.append(Cluster((rep, *rest), section, score, outlet_count(group, outlets)))
    return Clusters(clusters, sorted(conflicts), outlets)


def section_inputs(
    clusters: Clusters,
    sections: Sequence[Section],
    max_words: int,
    articles: Sequence[Article] = (),
) -> list[SectionInput]:
    """What each section's condenser gets: one sentence per fact, in source order, with its support."""
    order = {a.id: n for n, a in enumerate(articles)}
    inputs = []
    for section in sections:
        mine = [c for c in clusters.clusters if c.section == section.key]
        mine.sort(key=lambda c: (order.get(c.representative.article_id, 0), c.representative.index))
        inputs.append(
            SectionInput(
                section=section,
                sentences=tuple(c.representative for c in mine),
                scores=tuple(c.score for c in mine),
                max_words=section.max_words or max_words,
                support=tuple(c.support for c in mine),
                outlets=tuple(c.outlets for c in mine),
            )
        )
    return inputs


# --- after condensing ---------------------------------------------------------------------------


def attach_support(briefs: Sequence[Brief], clusters: Clusters) -> list[Brief]:
    """Every statement cites every member of the clusters whose representative it cites."""
    out = []
    for brief in briefs:
        statements = []
        for statement in brief.statements:
            sources: dict[tuple[str, int], Sentence] = {}
            for sentence in statement.sources:
                sources.setdefault(_key(sentence), sentence)
                c = clusters.of(sentence)
                if c is not None:
                    for member in clusters.clusters[c].members:
                        sources.setdefault(_key(member), member)
            statements.append(dataclasses.replace(statement, sources=tuple(sources.values())))
        out.append(dataclasses.replace(brief, statements=statements))
    return out


def keep_conflicts(briefs: Sequence[Brief], clusters: Clusters) -> tuple[list[Brief], list[tuple[Sentence, Sentence]]]:
    """Both sides of a disagreement on figures stay: a side the condenser left out follows the other.

    Returns the briefs and the pairs of disagreeing representative sentences, both in the report.
    """
    cited = {_key(s) for b in briefs for st in b.statements for s in st.sources}
    briefs = [dataclasses.replace(b, statements=list(b.statements), notes=list(b.notes)) for b in briefs]
    pairs = []
    for a, b in clusters.conflicts:
        first, second = clusters.clusters[a], clusters.clusters[b]
        have_a, have_b = _key(first.representative) in cited, _key(second.representative) in cited
        if not (have_a or have_b):
            continue
        if not (have_a and have_b):
            present, missing = (first, second) if have_a else (second, first)
            for brief in briefs:
                at = next(
                    (n for n, st in enumerate(brief.statements)
                     if any(_key(s) == _key(present.representative) for s in st.sources)),
                    None,
                )
                if at is None:
                    continue
                weight = brief.statements[at].weight
                extra = Statement(missing.representative.text, missing.members, weight=round(weight - 1e-4, 4))
                brief.statements.insert(at + 1, extra)
                cited.update(_key(s) for s in missing.members)
                break
        pairs.append((first.representative, second.representative))
    return briefs, pairs


def spellings(articles: Sequence[Article], places: Places) -> dict[int, str]:
    """Each place's spelling in the report: the one most of the articles use."""
    return places.spellings(f"{a.title}\n{a.text}" for a in articles)


def respell(briefs: Sequence[Brief], places: Places, spelling: Mapping[int, str]) -> list[Brief]:
    """Statements write places as most sources do; quotations, and quoted speakers' words, stay as written."""
    if not spelling:
        return list(briefs)
    out = []
    for brief in briefs:
        statements = []
        changed = 0
        for statement in brief.statements:
            spoken = any(s.speaker for s in statement.sources[:1])
            text = statement.text if spoken else places.respell(statement.text, spelling)
            changed += text != statement.text
            statements.append(statement if text == statement.text else dataclasses.replace(statement, text=text))
        notes = list(brief.notes)
        if changed:
            # Say so: a reader comparing a statement with its source must not think it misquoted.
            notes.append(RESPELLED_NOTE)
        out.append(dataclasses.replace(brief, statements=statements, notes=notes))
    return out


RESPELLED_NOTE = "Place names spelled as most sources spell them; the cited sentences show the original"
