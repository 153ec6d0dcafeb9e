"""Sentence splitting for news text.

Rules, not a model: news prose is regular enough, and a rule can be explained. The splitter keeps
abbreviations ("U.S.", "Gen.", "No. 2"), decimals, "$14 billion" and "80%" inside sentences, keeps
a quotation that spans several sentences together (its speaker is named once), and marks photo
captions, datelines, sub-headings and site boilerplate so they never become facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .articles import Article

BODY = "body"
CAPTION = "caption"
HEADING = "heading"
BOILERPLATE = "boilerplate"


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article, with where it stands: ``article.text[start:end] == text``."""

    article_id: str
    index: int
    paragraph: int
    text: str
    start: int
    end: int
    kind: str = BODY

    @property
    def is_body(self) -> bool:
        return self.kind == BODY

    @property
    def words(self) -> int:
        return len(self.text.split())


# Words that take a period but rarely end a sentence. Lower-case, without the final period.
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "sgt", "capt", "cpl", "pvt", "adm", "cmdr",
    "gov", "sen", "rep", "rev", "hon", "pres", "amb", "st", "mt", "ft", "jr", "sr", "no", "nos", "vol",
    "art", "fig", "vs", "v", "etc", "inc", "ltd", "co", "corp", "bros", "dept", "est", "approx", "e.g",
    "i.e", "cf", "al", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun", "u.s", "u.k", "u.n", "e.u",
    "a.m", "p.m", "d.c", "u.s.a", "km", "sq", "pp", "op", "ed", "gov't",
}
# Abbreviations that also end sentences: split after them when a typical sentence opener follows.
SENTENCE_FINAL_ABBREVIATIONS = {"u.s", "u.k", "u.n", "e.u", "etc", "a.m", "p.m", "d.c", "inc", "ltd", "co", "corp"}
SENTENCE_OPENERS = {
    "the", "a", "an", "he", "she", "it", "they", "we", "i", "but", "and", "in", "on", "at", "this", "that",
    "these", "those", "there", "his", "her", "its", "their", "our", "meanwhile", "however", "russia",
    "ukraine", "officials", "president", "on", "after", "as", "while", "separately", "earlier", "later",
}

# A candidate boundary: end punctuation, optional closing quotes/brackets, whitespace, then what
# could open a sentence.
_BOUNDARY = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.’']*)\.$")
_NEXT_WORD = re.compile(r"\s+[\"“‘'(\[]?([A-Za-z0-9][\w’'-]*)")

_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'’-]+(?:[ -][A-Z][A-Z.'’-]+)*)"  # KYIV / NEW YORK / WASHINGTON
    r"(?:,\s*[A-Z][\w.]*(?:\s[A-Z][\w.]*)*)?"  # , Ukraine  /  , March 3
    r"(?:,?\s*\d{1,2})?"
    r"(?:\s*\((?:AP|Reuters|AFP|CNN|Bloomberg|UPI|dpa|Xinhua|Interfax|Ukrinform|Kyiv Post)\))?"
    r"\s*[—–-]{1,2}\s+"
)
_CREDIT = re.compile(
    r"(REUTERS/|\bAP Photo\b|\(AP\s*Photo|\bAFP via Getty\b|Getty Images|\bPhotograph:|\bPhoto:|\bPhoto by\b|"
    r"\bImage:|\bFile photo\b|\bPHOTO:|/AFP\b|/Reuters\b|©)",
)
_WEEKDAY_OR_DATE = (
    r"(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2}"
    r"|\d{1,2}\s+(?:January|February|March|April|May|June|July|August|September|October|November|December))"
)
# "…, near Bakhmut, Ukraine, on Thursday." — a photo caption's place-and-day ending.
_CAPTION_TAIL = re.compile(
    r"\b(?:near|in|outside|at)\s+(?:the\s+\w+\s+(?:of|town of|city of)\s+)?[A-Z][\w’'-]+"
    r"(?:,\s*[A-Z][\w’'-]+)?\s*,\s*" + _WEEKDAY_OR_DATE + r"(?:,\s*\d{4})?\.?$"
)
_SAYING = re.compile(r"\b(said|says|told|tells|wrote|writes|added|according|announced|stated|claimed)\b", re.I)
_BOILERPLATE = re.compile(
    r"^(read more|related|see also|sign up|subscribe|follow (us|the|our)|click here|advertisement|"
    r"share this|watch:|listen:|more:|this story (has been|was) updated|copyright|all rights reserved|"
    r"get the latest|download the|join our|support (our|independent)|we use cookies)",
    re.IGNORECASE,
)
_OPEN_QUOTES = "“"
_CLOSE_QUOTES = "”"
MAX_QUOTE_WORDS = 90


def split_article(article: Article) -> list[Sentence]:
    """Split an article's text into sentences, numbered in order, with their kinds."""
    sentences: list[Sentence] = []
    text = article.text
    position = 0
    for paragraph_index, paragraph in enumerate(article.paragraphs):
        start = text.find(paragraph, position)
        position = start + len(paragraph)
        kind = _paragraph_kind(paragraph, paragraph_index)
        offset = start
        if kind == BODY and paragraph_index <= 3:
            dateline = _DATELINE.match(paragraph)
            if dateline and len(paragraph) > dateline.end() + 20:
                offset += dateline.end()
        for s, e in split_spans(text[offset:position]):
            piece = text[offset + s : offset + e]
            sentences.append(
                Sentence(
                    article_id=article.id,
                    index=len(sentences),
                    paragraph=paragraph_index,
                    text=piece,
                    start=offset + s,
                    end=offset + e,
                    kind=kind,
                )
            )
    return sentences


def split_text(text: str) -> list[str]:
    """Split plain text (one paragraph or several) into sentence strings."""
    out = []
    for paragraph in re.split(r"\n\s*\n", text):
        out.extend(paragraph[s:e] for s, e in split_spans(paragraph))
    return out


def split_spans(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of one paragraph, whitespace trimmed."""
    cuts = [0]
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end()
        if _is_boundary(paragraph, match.start(), end) and not _inside_quote(paragraph, cuts[-1], end):
            cuts.append(end)
    cuts.append(len(paragraph))
    spans = []
    for a, b in zip(cuts, cuts[1:]):
        chunk = paragraph[a:b]
        left = len(chunk) - len(chunk.lstrip())
        right = len(chunk.rstrip())
        if right > left:
            spans.append((a + left, a + right))
    return _split_long_quotes(paragraph, spans)


def _is_boundary(paragraph: str, punct_start: int, end: int) -> bool:
    punct = paragraph[punct_start]
    if punct != ".":
        return True
    before = paragraph[:punct_start + 1]
    word_match = _WORD_BEFORE.search(before)
    next_match = _NEXT_WORD.match(paragraph, end)
    next_word = next_match.group(1) if next_match else ""
    if word_match is None:
        return True  # "… 80%." or "… 2023." end sentences
    word = word_match.group(1).lower().rstrip(".")
    if len(word) == 1 and word.isalpha():
        return False  # an initial: "Denys A. Shmyhal"
    if word in ABBREVIATIONS:
        if word in SENTENCE_FINAL_ABBREVIATIONS and next_word.lower() in SENTENCE_OPENERS:
            return True
        return False
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):  # other dotted initialisms: "u.s.s.r"
        return next_word.lower() in SENTENCE_OPENERS
    return True


def _inside_quote(paragraph: str, start: int, end: int) -> bool:
    """True when a curly or straight double quotation opened before ``end`` is still open."""
    segment = paragraph[start:end]
    opened = segment.count(_OPEN_QUOTES) - segment.count(_CLOSE_QUOTES)
    if opened > 0:
        return True
    if _OPEN_QUOTES not in segment and _CLOSE_QUOTES not in segment:
        return segment.count('"') % 2 == 1
    return False


def _split_long_quotes(paragraph: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A quotation kept together must stay readable: re-split one over MAX_QUOTE_WORDS words."""
    out = []
    for a, b in spans:
        if len(paragraph[a:b].split()) <= MAX_QUOTE_WORDS:
            out.append((a, b))
            continue
        cuts = [a]
        for match in _BOUNDARY.finditer(paragraph, a, b):
            if _is_boundary(paragraph, match.start(), match.end()):
                cuts.append(match.end())
        cuts.append(b)
        for x, y in zip(cuts, cuts[1:]):
            chunk = paragraph[x:y]
            left = len(chunk) - len(chunk.lstrip())
            right = len(chunk.rstrip())
            if right > left:
                out.append((x + left, x + right))
    return out


def _paragraph_kind(paragraph: str, index: int) -> str:
    stripped = paragraph.strip()
    words = stripped.split()
    if _BOILERPLATE.match(stripped):
        return BOILERPLATE
    if _CREDIT.search(stripped) and len(words) < 60:
        return CAPTION
    if len(words) <= 12 and "\n" not in stripped and not stripped.endswith((".", "?", "!", "”", '"', ":")):
        return HEADING
    if index <= 2 and len(words) <= 45 and len(split_spans(stripped)) == 1 and not _SAYING.search(stripped):
        if _CAPTION_TAIL.search(stripped.replace(",on ", ", on ")):
            return CAPTION
    return BODY
