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
        if not has_unit and _is_date(text, match.start(), match.end()):
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
        start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
        found.append(Number(raw, min(low, high), max(low, high), unit, start, start + len(raw)))
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


def what_it_counts(text: str, number: Number) -> str:
    """A few words saying what a figure counts: the words after it, or before it for sums and shares."""
    after = text[number.end :]
    words = []
    for word in re.findall(r"[A-Za-z’'-]+|[^\sA-Za-z]", after)[:6]:
        if not re.match(r"[A-Za-z]", word) or word.lower() in _STOP_AFTER:
            if word.lower() == "of" and not words:
                words.append("of")
                continue
            break
        words.append(word)
    phrase = " ".join(words).strip()
    if phrase in ("", "of"):
        phrase = ""
    if not phrase or number.unit in ("USD", "EUR", "GBP", "UAH", "RUB"):
        before = text[: number.start].rstrip()
        before = re.sub(r"\b(of|at|to|by|about|nearly|almost|some|around|over|than|worth|totalling|was|is)$", "", before).rstrip()
        prior = re.findall(r"[A-Za-z’'-]+", before)[-3:]
        lead = [w for w in prior if w.lower() not in _STOP_AFTER]
        if lead and (not phrase or number.unit):
            phrase = " ".join(lead) + (f" ({phrase})" if phrase and phrase != "of" else "")
    return phrase.strip() or "—"


def key_figures(routed: Sequence[tuple[str, Sentence]], limit: int = 12) -> list[KeyFigure]:
    """Figures from sentences already placed in sections, in report order, each figure once."""
    figures: list[KeyFigure] = []
    seen: list[Number] = []
    for section, sentence in routed:
        for number in find_numbers(sentence.text):
            if any(number.matches(other) and number.unit == other.unit for other in seen):
                continue
            seen.append(number)
            figures.append(KeyFigure(number.text, what_it_counts(sentence.text, number), section, sentence))
            if len(figures) >= limit:
                return figures
    return figures
