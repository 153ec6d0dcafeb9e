"""Numbers in text: finding them verbatim, normalising them for comparison, and key figures.

A figure is kept exactly as the source wrote it ("40 to 50", "$14 billion", "80%"); its normal form
(a value, or a range of values, with a unit) is what comparisons use, so "$14bn" matches
"$14 billion" and "two" matches "2".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from .text import Sentence

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a hundred": 100,
    "a dozen": 12, "dozen": 12, "a thousand": 1000,
}
SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "mln": 1e6, "billion": 1e9,
    "bn": 1e9, "b": 1e9, "bln": 1e9, "trillion": 1e12, "tn": 1e12, "trn": 1e12,
}
CURRENCIES = {
    "$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "dollars": "USD", "dollar": "USD", "euros": "EUR",
    "euro": "EUR", "pounds": "GBP", "hryvnias": "UAH", "hryvnia": "UAH", "roubles": "RUB", "rubles": "RUB",
    "usd": "USD", "eur": "EUR", "gbp": "GBP", "uah": "UAH",
}

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORDNUM = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
_SCALE = r"(?:thousand|million|billion|trillion|mln|bln|trn|bn|mn|tn|[kmb])\b"
_CUR_PREFIX = r"(?:US\$|\$|€|£)"
_CUR_SUFFIX = r"(?:dollars?|euros?|pounds|hryvnias?|r[ou]bles|USD|EUR|GBP|UAH)\b"
_ONE = rf"(?:{_NUM}|\b(?:{_WORDNUM})\b)"
_FIGURE = re.compile(
    rf"(?P<cur>{_CUR_PREFIX})?\s?"
    rf"(?P<a>{_ONE})"
    rf"(?:\s?(?P<scale_a>{_SCALE}))?"
    rf"(?:\s?(?:to|-|–|—|and)\s?(?:{_CUR_PREFIX})?(?P<b>{_NUM}|\b(?:{_WORDNUM})\b)(?:\s?(?P<scale_b>{_SCALE}))?)?"
    rf"(?:\s?(?P<pct>%|percent\b|per cent\b))?"
    rf"(?:\s(?P<cur2>{_CUR_SUFFIX}))?",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"


@dataclass(frozen=True)
class Number:
    """A figure as written, and its normal form for comparison."""

    text: str
    low: float
    high: float
    unit: str  # 'USD', '%', '' ...
    start: int
    end: int

    def matches(self, other: "Number") -> bool:
        """Same value(s) and compatible unit: '$14bn' ~ '$14 billion', '40-50' ~ '40 to 50'."""
        if self.unit and other.unit and self.unit != other.unit:
            return False
        return _close(self.low, other.low) and _close(self.high, other.high)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _value(token: str) -> float | None:
    token = token.lower().strip()
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return None


def find_numbers(text: str) -> list[Number]:
    """Every figure in ``text`` except bare years and dates; number words count ("two people")."""
    found = []
    for match in _FIGURE.finditer(text):
        raw = match.group(0).strip()
        begin = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
        a = _value(match["a"])
        if a is None:
            continue
        b = _value(match["b"]) if match["b"] else None
        is_word = match["a"].lower() in NUMBER_WORDS
        has_unit = bool(match["cur"] or match["cur2"] or match["pct"] or match["scale_a"])
        if is_word and not match["b"] and not has_unit:
            # "one" is too often not a count ("one of the", "no one"); keep "two" and up.
            if a < 2 or match["a"].lower() == "one":
                continue
        if not has_unit and b is None and _YEAR.match(match["a"]) and not _is_count_context(text, match.end()):
            continue
        if not has_unit and _is_date(text, begin, match.end()):
            continue
        scale_a = SCALES.get((match["scale_a"] or "").lower(), 1.0)
        scale_b = SCALES.get((match["scale_b"] or "").lower(), scale_a)
        if match["scale_b"] and not match["scale_a"]:
            scale_a = scale_b  # "$10 to 12 billion"
        low = a * scale_a
        high = (b * scale_b) if b is not None else low
        if match["b"] and match.group(0).lower().find(" and ") != -1 and not match["scale_b"]:
            # "between 40 and 50" is a range; "two and a half" is not matched by this pattern anyway.
            pass
        unit = "%" if match["pct"] else CURRENCIES.get((match["cur"] or match["cur2"] or "").lower().strip(), "")
        found.append(Number(raw, min(low, high), max(low, high), unit, begin, begin + len(raw)))
    return found


def _is_count_context(text: str, end: int) -> bool:
    """'2022 people' is a count; 'in 2022' is a year."""
    following = text[end : end + 20].lower()
    return bool(re.match(r"\s+(people|soldiers|civilians|troops|dead|killed|tanks|drones|missiles|homes)", following))


def _is_date(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 12) : start]
    after = text[end : end + 12]
    return bool(re.search(_MONTHS + r"\s$", before) or re.match(r"\s" + _MONTHS, after))


def numbers_supported(claim: str, sources: Iterable[str]) -> list[Number]:
    """The numbers of ``claim`` that no source text contains (in normal form). Empty means all found."""
    source_numbers = [n for text in sources for n in find_numbers(text)]
    return [n for n in find_numbers(claim) if not any(n.matches(s) for s in source_numbers)]


# --- key figures ---------------------------------------------------------------------------

_COUNTED = re.compile(r"^\s*(?:of\s+)?((?:[A-Za-z’'-]+\s?){1,3})")
_STOP_AFTER = {
    "the", "a", "an", "and", "or", "in", "on", "at", "to", "for", "by", "with", "from", "that", "this",
    "was", "were", "is", "are", "had", "has", "have", "be", "been", "said", "says", "of", "as", "than",
    "it", "its", "their", "his", "her", "since", "over", "per", "every", "each", "last", "this", "next",
    "who", "which", "while", "but", "after", "before", "during", "into", "about", "more", "less",
}


@dataclass(frozen=True)
class KeyFigure:
    """A number from the sources, verbatim, with what it counts and the sentence it comes from."""

    value: str
    counts: str
    section: str
    source: Sentence


_MONEY = ("USD", "EUR", "GBP", "UAH", "RUB")
_WORDS = re.compile(r"[A-Za-z’'-]+")
_LINKS_BEFORE = re.compile(r"\b(of|worth|totalling|totaling|at)\s*$", re.IGNORECASE)
_LINKS_AFTER = re.compile(r"^\s*(for|in|of|to)\s+((?:the\s+)?[A-Za-z’'-]+(?:\s+[A-Za-z’'-]+){0,2})")


def _counted_noun(after: str) -> str:
    """The words a figure counts when they follow it: "500 shelling episodes", "80% of Bakhmut"."""
    words: list[str] = []
    for word in re.findall(r"[A-Za-z’'-]+|[^\sA-Za-z]", after)[:6]:
        if word.lower() == "of" and not words:
            words.append("of")
            continue
        if not re.match(r"[A-Za-z]", word) or word.lower() in _STOP_AFTER:
            break
        if words and words != ["of"] and word.lower().endswith("ed"):
            break  # "two people died": the noun phrase ends where the verb starts
        words.append(word)
        if len(words) >= 3:
            break
    if not words or words == ["of"] or not words[0][0].islower():
        return ""
    return " ".join(words)


def _takewhile_content(words: list[str]) -> list[str]:
    kept = []
    for word in words:
        if word.lower() in _STOP_AFTER:
            break
        kept.append(word)
    return kept


def what_it_counts(text: str, number: Number) -> str:
    """A few words, verbatim from the sentence, saying what a figure counts.

    A counted noun right after the figure ("40 to 50 storming operations"); for sums, "X of $N" or
    "$N for Y"; otherwise a short stretch of the sentence before the figure, marked with "…" — a
    guessed label would be worse than a quoted one.
    """
    after = text[number.end :]
    before = text[: number.start]
    if number.unit not in _MONEY:
        noun = _counted_noun(after)
        if noun:
            return noun
    link = _LINKS_BEFORE.search(before)
    if link:
        lead: list[str] = []
        for word in reversed(_WORDS.findall(before[: link.start()])[-3:]):
            if word.lower() in _STOP_AFTER:
                break
            lead.insert(0, word)
        if lead:
            return " ".join(lead)
    follow = _LINKS_AFTER.match(after)
    if follow:
        words = follow.group(2).split()
        kept = words[:1] + [w for w in _takewhile_content(words[1:])]
        return f"{follow.group(1)} {' '.join(kept)}"
    if number.unit in _MONEY:
        noun = _counted_noun(after)
        if noun:
            return noun
    clause = re.split(r"[,;:—–(“”\"]", before)[-1]
    window = _WORDS.findall(clause)[-5:]
    return ("…" + " ".join(window)) if window else "—"


def is_key_figure(text: str, number: Number) -> bool:
    """False for numbers that are not quantities: designations (S-400, M777), ordinals, ages."""
    before = text[: number.start]
    after = text[number.end :]
    if re.search(r"[A-Za-z]-?$", before) or re.match(r"[A-Za-z]", after):
        return False  # S-400, F-16, M777, 21st, 5G
    if re.search(r"[A-Z][a-z’'-]+,\s*$", before) and re.match(r"\s*,", after) and number.high < 120:
        return False  # "Timur Ivanov, 48, was detained"
    if re.match(r"\s*(?:years?|yrs?)[\s-]old\b|-year-old", after):
        return False
    if number.unit in _MONEY and re.search(r"[\d%mnbk]\s*[(;/]\s*$", before, re.IGNORECASE):
        return False  # "€800m (£674m; $884m)": a conversion of the figure before, not a new figure
    return True


def key_figures(routed: Sequence[tuple[str, Sentence]], limit: int = 12) -> list[KeyFigure]:
    """Figures from sentences already placed in sections, in report order, each figure once."""
    figures: list[KeyFigure] = []
    seen: list[Number] = []
    for section, sentence in routed:
        for number in find_numbers(sentence.text):
            if not is_key_figure(sentence.text, number):
                continue
            if any(number.matches(other) and number.unit == other.unit for other in seen):
                continue
            seen.append(number)
            figures.append(KeyFigure(number.text, what_it_counts(sentence.text, number), section, sentence))
            if len(figures) >= limit:
                return figures
    return figures


# --- faithfulness guard -------------------------------------------------------------------
#
# Every sentence a model generates is checked against the section's source sentences before it
# reaches a report: each number (in normal form) and each named entity must occur in the sources,
# a claim the sources attribute to someone must keep its attribution, and most of its words must
# come from the sentences it cites. A sentence that fails is dropped, with the reason.

MIN_SUPPORT = 0.5  # share of a sentence's content words that its cited sources must contain
MIN_WORDS = 4  # shorter generated pieces are fragments, not statements
MAX_CITATIONS = 3

_GUARD_STOPWORDS = frozenset(
    """a about after again against all also an and any are as at be because been before being between both
    but by can could did do does during each for from further had has have having he her here hers him his
    how i if in into is it its itself just me more most my no nor not now of off on once only or other our
    out over own same she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would
    you your said says say told tell this year week day""".split()
)
_REPORTING = re.compile(
    r"\b(?:said|says|say|told|tells|wrote|writes|write|writing|claimed|claims|claim|stated|states|reported|"
    r"reports|announced|announces|added|adds|adding|according\s+to|estimated|estimates|insisted|insists|"
    r"denied|denies|alleged|alleges|warned|warns|accused|accuses|declared|declares|acknowledged|admitted|"
    r"confirmed|confirms|noted|notes|argued|argues|quoted|posted|tweeted|asserted|asserts|maintained|"
    r"believes|believed|predicted|predicts|urged|urges|stressed|suggested|suggests|described|describes|"
    r"called|calls|speaking|spoke)\b",
    re.IGNORECASE,
)
_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "his", "her", "their"})
_SPEAKER_NOUNS = frozenset(
    """official officials military army ministry minister chief head leader spokesman spokeswoman spokesperson
    commander commanders president governor mayor general staff government kremlin agency analyst analysts
    expert experts institute source sources report statement intelligence police prosecutor prosecutors
    authorities administration group founder secretary envoy ambassador adviser aide officer diplomat diplomats
    department office service council command forces troops defence defense presidency secretary-general""".split()
)
_SYNONYMS = {
    "chief": "head", "leader": "head", "boss": "head", "spokeswoman": "spokesman", "spokesperson": "spokesman",
    "army": "military", "defense": "defence", "commanders": "commander", "officials": "official",
    "analysts": "analyst", "experts": "expert", "sources": "source", "diplomats": "diplomat",
    "prosecutors": "prosecutor",
}
_OPEN_QUOTES = "“\"‘«"
_WORDS = re.compile(r"[A-Za-z0-9][A-Za-z0-9’'.\-]*")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_CLAUSE_BREAK = re.compile(r",\s+but\s+|;\s+|,\s+while\s+|,\s+whereas\s+|\s+but\s+|,\s+although\s+")


def _normal(token: str) -> str:
    """Lower case, straight apostrophes, no possessive, no dots: "Russia’s" -> "russia", "U.S." -> "us"."""
    token = token.lower().replace("’", "'").strip(".'-")
    if token.endswith("'s"):
        token = token[:-2]
    elif token.endswith("s'"):
        token = token[:-1]
    return token.replace(".", "")


def _stem(word: str) -> str:
    return word[:5] if len(word) > 5 else word


def _words(text: str) -> list[str]:
    return [w for w in (_normal(t) for t in _WORDS.findall(text)) if w]


def _name_words(text: str) -> list[str]:
    """Words of a source sentence for finding names in it; "pro-Kyiv" gives "pro-kyiv", "pro", "kyiv"."""
    out = []
    for word in _words(text):
        out.append(word)
        if "-" in word:
            out.extend(part for part in word.split("-") if part)
    return out


def _content(text: str) -> set[str]:
    return {_stem(w) for w in _words(text) if w not in _GUARD_STOPWORDS and not w[0].isdigit() and len(w) > 1}


def _capitalised(token: str) -> str | None:
    """The capitalised part of a token ("pro-Kyiv" -> "Kyiv"), or None."""
    if token[:1].isupper():
        return token
    for part in token.split("-")[1:]:
        if part[:1].isupper():
            return part
    return None


def entity_phrases(text: str, sources_text: str = "") -> list[tuple[str, ...]]:
    """Runs of capitalised words: the names a sentence mentions, normalised.

    The first word of the sentence (or of a quotation) counts only when it is not a common word:
    a stop word, or a word ``sources_text`` uses in lower case ("Heavy fighting..." is not a name).
    """
    phrases: list[tuple[str, ...]] = []
    current: list[str] = []
    initial = True
    for match in re.finditer(r"[\w’'.\-]+|[^\w\s]", text):
        token = match.group(0)
        if not re.match(r"\w", token):
            if token in _OPEN_QUOTES or token in ":":
                initial = True
            if current:
                phrases.append(tuple(current))
                current = []
            continue
        name = _capitalised(token)
        normal = _normal(name) if name else ""
        if name and initial and (normal in _GUARD_STOPWORDS or normal in _PRONOUNS or re.search(rf"\b{re.escape(normal)}\b", sources_text)):
            name = None
        initial = False
        if name and normal and not normal.isdigit():
            current.append(normal)
        elif current:
            phrases.append(tuple(current))
            current = []
    if current:
        phrases.append(tuple(current))
    return phrases


def _contains_in_order(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    position = 0
    for word in needle:
        try:
            position = haystack.index(word, position) + 1
        except ValueError:
            return False
    return True


def _same_figure(claim: Number, source: Number) -> bool:
    """The claim's figure is the source's: same value(s); a unit in the claim must be the source's."""
    if claim.unit and claim.unit != source.unit:
        return False
    return _close(claim.low, source.low) and _close(claim.high, source.high)


def _counted_word(text: str, number: Number) -> str | None:
    """The word right after a count ("500 shelling episodes" -> "shelling"), when it is a content word."""
    match = re.match(r"\s+([A-Za-z][A-Za-z’'-]*)", text[number.end :])
    if not match:
        return None
    word = _normal(match.group(1))
    if word in _GUARD_STOPWORDS or word in SCALES or word in CURRENCIES or word in ("percent", "per"):
        return None
    return word


_SEGMENT_BREAK = re.compile(r"[,;:“”\"()\[\]–—.]")
_PARTICIPLE = re.compile(r"\b(?:writing|speaking|adding|citing|quoting|posting|talking|referring)\b", re.IGNORECASE)


def _speaker_words(text: str) -> set[str]:
    """Names, speaker nouns ("officials", "head") and pronouns of a short stretch of text."""
    words = set()
    for token in _WORDS.findall(text):
        normal = _normal(token)
        if normal in _PRONOUNS or normal in _SPEAKER_NOUNS or (_capitalised(token) and normal not in _GUARD_STOPWORDS):
            words.add(_SYNONYMS.get(normal, normal))
    return words


def _speaker_before(before: str) -> set[str]:
    """Speaker words just before a reporting verb: the nearest stretch back to a comma or quotation
    mark, skipping asides (", writing on Telegram,"); nothing when a quotation ends right there."""
    parts = re.split(r"([,;:“”\"()\[\]–—])", before)
    for k in range(len(parts) - 1, -1, -2):
        segment = parts[k]
        following = parts[k + 1] if k + 1 < len(parts) else ""
        if following in ("”", '"'):
            return set()  # “...,” said Malyar: the speaker follows the verb
        if segment.strip() and not _PARTICIPLE.search(segment):
            return _speaker_words(" ".join(_WORDS.findall(segment)[-8:]))
    return set()


def speakers(text: str) -> set[str]:
    """Who ``text`` says is speaking: the words just before each reporting verb, or just after it
    ("said Malyar", "according to the ministry"). Pronouns are kept; see :func:`clauses`."""
    found: set[str] = set()
    for match in _REPORTING.finditer(text):
        near = set() if match.group(0).lower().startswith("according") else _speaker_before(text[: match.start()])
        if not near:
            following = _SEGMENT_BREAK.split(text[match.end() :])[0]
            near = _speaker_words(" ".join(_WORDS.findall(following)[:6]))
        found |= near
    return found


def _following(text: str, number: Number, count: int = 3) -> set[str]:
    """Stems of the few words after a figure in a source sentence: what it counts."""
    return {_stem(_normal(w)) for w in re.findall(r"[A-Za-z][A-Za-z’'-]*", text[number.end :])[:count]}


@dataclass(frozen=True)
class Clause:
    """Part of a source sentence, and who it is attributed to (``attributed`` False: nobody)."""

    text: str
    attributed: bool
    speakers: frozenset[str]


def _resolve(found: set[str], previous: Sequence[Sentence]) -> set[str]:
    """Replace a pronoun speaker ("she wrote") with the speaker of the sentences before."""
    if found - _PRONOUNS:
        return found - _PRONOUNS
    for earlier in reversed(previous):
        named = speakers(earlier.text) - _PRONOUNS
        if named:
            return named
    return set()


def clauses(sentence: Sentence, previous: Sequence[Sentence] = ()) -> list[Clause]:
    """A source sentence split into clauses (at ", but", ";", ", while"), each with its attribution.

    A clause with a reporting verb ("said", "according to") is attributed to the speaker around the
    verb. A quotation without one is attributed to its ``speaker`` (named by the sentence splitter),
    else to the speaker of the sentences before it.
    """
    text = sentence.text
    quoted = text.lstrip()[:1] in _OPEN_QUOTES
    result = []
    for piece in _CLAUSE_BREAK.split(text):
        if _REPORTING.search(piece):
            result.append(Clause(piece, True, frozenset(_resolve(speakers(piece), previous))))
        else:
            result.append(Clause(piece, False, frozenset()))
    named = getattr(sentence, "speaker", None)  # set by the splitter for an unattributed quotation
    if named:
        who = frozenset(_speaker_words(named) - _PRONOUNS)
        result = [c if c.attributed else Clause(c.text, True, who) for c in result]
    elif quoted:
        who = frozenset(_resolve(speakers(text), previous))
        result = [c if c.attributed else Clause(c.text, True, who) for c in result]
    return result


@dataclass(frozen=True)
class Check:
    """The guard's verdict on one generated sentence."""

    text: str
    reasons: tuple[str, ...]
    sources: tuple[Sentence, ...]  # best-supporting source sentences, best first
    support: float  # share of its content words that the cited sources contain

    @property
    def ok(self) -> bool:
        return not self.reasons


def _previous(sentence: Sentence, sources: Sequence[Sentence]) -> list[Sentence]:
    """The source sentences just before ``sentence`` in its article (at most three), oldest first."""
    return [
        s for s in sources
        if s.article_id == sentence.article_id and sentence.index - 3 <= s.index < sentence.index
    ]


def check_sentence(text: str, sources: Sequence[Sentence], context: Sequence[Sentence] = ()) -> Check:
    """Check one generated sentence against the section's source sentences.

    ``context`` may hold more sentences of the same articles, used only to find who said a quotation.
    """
    reasons: list[str] = []
    sources = list(sources)
    if not sources:
        return Check(text, ("there are no source sentences to check it against",), (), 0.0)
    joined = " ".join(s.text for s in sources).replace("’", "'")
    source_words = [_name_words(f"{s.text} {getattr(s, 'speaker', None) or ''}") for s in sources]
    source_content = [_content(s.text) for s in sources]
    claim_content = _content(text)
    requirements: list[list[int]] = []  # for each number and name: the source sentences that hold it

    # Numbers, in normal form: "40 to 50" ~ "40-50", "$14 billion" ~ "$14bn", "two" ~ "2".
    claim_numbers = find_numbers(text)
    for number in claim_numbers:
        holders = [i for i, s in enumerate(sources) if any(_same_figure(number, n) for n in find_numbers(s.text))]
        if not holders:
            reasons.append(f"number '{number.text}' is not in the sources")
            continue
        counted = _counted_word(text, number)
        if counted and not number.unit:
            stem = _stem(counted)
            holders = [
                i for i in holders
                if any(_same_figure(number, n) and stem in _following(sources[i].text, n) for n in find_numbers(sources[i].text))
            ]
            if not holders:
                reasons.append(f"'{number.text} {counted}': the sources give {number.text} for something else")
                continue
        requirements.append(holders)
    covered = [(n.start, n.end) for n in claim_numbers]
    source_digits = {d for s in sources for d in _DIGITS.findall(s.text)}
    for match in _DIGITS.finditer(text):
        inside = any(a <= match.start() < b for a, b in covered)
        if not inside and match.group(0) not in source_digits:
            reasons.append(f"number '{match.group(0)}' is not in the sources")

    # Names: each run of capitalised words must occur, in order, in one source sentence.
    for phrase in entity_phrases(text, joined):
        holders = [i for i, words in enumerate(source_words) if _contains_in_order(words, phrase)]
        if not holders:
            reasons.append(f"name '{' '.join(phrase)}' is not in the sources")
            continue
        requirements.append(holders)

    # Citations: the source sentence sharing most words and holding most of the numbers and names,
    # then the best holder of each number or name it lacks, then sentences adding missing words.
    def score(i: int) -> float:
        return len(claim_content & source_content[i]) + 2.0 * sum(i in r for r in requirements)

    ranked = sorted(range(len(sources)), key=lambda i: (-score(i), i))
    cited = [ranked[0]]
    for holders in requirements:
        if len(cited) < MAX_CITATIONS and not any(i in holders for i in cited):
            cited.append(min(holders, key=lambda i: (-score(i), i)))
    union = set().union(*(source_content[i] for i in cited))
    for i in ranked[1:]:
        if len(cited) >= MAX_CITATIONS:
            break
        if i not in cited and len((claim_content & source_content[i]) - union) >= 2:
            cited.append(i)
            union |= source_content[i]
    support = len(claim_content & union) / len(claim_content) if claim_content else 0.0
    if support < MIN_SUPPORT:
        reasons.append(f"not supported by the sources: {support:.0%} of its words are in the sentences it would cite")

    # Who said what: a claim the best source attributes must keep a speaker and a reporting verb.
    best = sources[cited[0]]
    claim_stems = claim_content | {_stem(_normal(n.text)) for n in claim_numbers}
    parts = clauses(best, _previous(best, list(context) or sources))
    clause = max(parts, key=lambda c: len(claim_stems & (_content(c.text) | {_stem(_normal(n.text)) for n in find_numbers(c.text)})))
    if clause.attributed and support >= MIN_SUPPORT:
        said = speakers(text)
        if not _REPORTING.search(text):
            who = ", ".join(sorted(clause.speakers)) or "a speaker"
            reasons.append(f"drops the attribution: the source attributes this to {who}")
        elif clause.speakers and not (said & clause.speakers):
            who = ", ".join(sorted(clause.speakers))
            reasons.append(f"changes the attribution: the source attributes this to {who}")
    return Check(text, tuple(dict.fromkeys(reasons)), tuple(sources[i] for i in cited), round(support, 3))


def _clean_generated(text: str) -> str:
    text = text.replace("<n>", " ")
    return " ".join(text.split())


def check_generated(text: str, sources: Sequence[Sentence], context: Sequence[Sentence] = ()) -> list[Check]:
    """Split a generated brief into sentences and check each one; repeats and fragments fail too."""
    from .text import split_text

    checks: list[Check] = []
    seen: set[str] = set()
    for piece in split_text(_clean_generated(text)):
        piece = piece.strip()
        if not piece:
            continue
        key = " ".join(_words(piece))
        if len(piece.split()) < MIN_WORDS or not re.search(r"[A-Za-z]{2}", piece):
            checks.append(Check(piece, ("a fragment, not a statement",), (), 0.0))
        elif key in seen:
            checks.append(Check(piece, ("repeats an earlier sentence",), (), 0.0))
        else:
            seen.add(key)
            checks.append(check_sentence(piece, sources, context))
    return checks
