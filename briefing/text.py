"""Sentence splitting for news text, and who said each unattributed quotation.

Rules, not a model: news prose is regular enough, and a rule can be explained. The splitter keeps
abbreviations ("U.S.", "Gen.", "No. 2"), decimals, "$14 billion" and "80%" inside sentences, keeps
a quotation that spans several sentences together (its speaker is named once), and marks photo
captions, datelines, sub-headings and site boilerplate so they never become facts. A quotation
with no attribution of its own gets the speaker named in the sentences just before it, when that
speaker can be told with confidence.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, replace
from typing import Sequence

from .articles import Article

BODY = "body"
CAPTION = "caption"
HEADING = "heading"
BOILERPLATE = "boilerplate"
DATELINE = "dateline"


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article, with where it stands: ``article.text[start:end] == text``.

    ``speaker`` names who said a quotation that has no attribution inside it ("Hanna Malyar"),
    verbatim from the article; None for other sentences and whenever the speaker is not certain.
    """

    article_id: str
    index: int
    paragraph: int
    text: str
    start: int
    end: int
    kind: str = BODY
    speaker: str | None = None

    @property
    def is_body(self) -> bool:
        return self.kind == BODY

    @property
    def words(self) -> int:
        return len(self.text.split())


# --- abbreviations ----------------------------------------------------------------------------

# Words that take a period but rarely end a sentence. Lower-case, without the final period.
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "sgt", "capt", "cpl", "pvt", "adm", "cmdr",
    "gov", "sen", "rep", "rev", "hon", "pres", "amb", "st", "mt", "ft", "jr", "sr", "vs", "v", "etc", "inc",
    "ltd", "co", "corp", "bros", "dept", "approx", "e.g", "i.e", "cf", "al", "u.s", "u.k", "u.n", "e.u",
    "a.m", "p.m", "d.c", "u.s.a", "km", "sq", "gov't", "lieut", "brig", "supt", "insp", "messrs", "mme",
}
# Abbreviations only before a number: "No. 2", "Art. 5"; elsewhere "no." ends a sentence.
NUMBER_ABBREVIATIONS = {"no", "nos", "vol", "art", "fig", "pp", "p", "op", "ch", "sec", "para", "nr", "est", "ed"}
# Month and day abbreviations, only when written with a capital: "Feb. 13", "Thurs. night".
CAPITAL_ABBREVIATIONS = {
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
}
# Abbreviations that also end sentences: split after them when a typical sentence opener follows.
SENTENCE_FINAL_ABBREVIATIONS = {
    "u.s", "u.k", "u.n", "e.u", "etc", "a.m", "p.m", "d.c", "inc", "ltd", "co", "corp", "jr", "sr", "u.s.a",
}
SENTENCE_OPENERS = {
    "the", "a", "an", "he", "she", "it", "they", "we", "i", "but", "and", "in", "on", "at", "this", "that",
    "these", "those", "there", "his", "her", "its", "their", "our", "meanwhile", "however", "after", "as",
    "while", "separately", "earlier", "later", "some", "many", "most", "both", "all", "one", "if", "when",
    "what", "why", "how", "so", "yet", "still", "also", "then", "since", "for", "by", "with", "you",
}

# --- boundaries and quotation marks ------------------------------------------------------------

# A candidate boundary: end punctuation, optional closing quotes/brackets, then whitespace and
# what could open a sentence, or (text run together: "response.He said") an opening capital.
_BOUNDARY = re.compile(
    r"(?P<punct>[.!?…]+)(?:’’|[\"”’'″»)\]])*"
    r"(?:(?=\s+(?:‘‘|[\"“‘'(\[„«″])*\w)|(?<=[a-z][.!?])(?=[“\"]?[A-Z][a-z]))"
)
_NEXT_CAPITAL_WORD = re.compile(r" ([A-Z][a-z]+)\b")
_AFTER_BOUNDARY = re.compile(r"[\s\"“‘'(\[„«″]*([\w’'-]*)")
_WORD_BEFORE = re.compile(r"([^\W\d_][\w.’'-]*)\.$")
_QUOTE_MARK = re.compile(r"‘‘|’’|[“”„«»\"″‘’]")
_OPENING_MARKS = {"“", "„", "«", "‘‘"}
_CLOSING_MARKS = {"”", "»", "’’"}
_BEFORE_OPENING = set(" \t\n([{—–-/")
_AFTER_CLOSING = set(" \t\n.,;:!?)]}—–-…")
_BULLET = re.compile(r"^(?:[-–—•·*▪■►]|\d{1,2}[.)])\s+")
MAX_QUOTE_WORDS = 90
MAX_SENTENCE_WORDS = 120

# --- kinds of paragraphs and sentences ---------------------------------------------------------

_OUTLETS = (
    r"AP|Reuters|AFP|CNN|Bloomberg|UPI|dpa|DPA|Xinhua|Interfax|Ukrinform|Kyiv Post|Kyiv Independent|RFE/RL|BBC|"
    r"ANSA|EFE|TASS|PAP|NYT"
)
_DATELINE = re.compile(
    r"^(?:"
    r"[A-Z][A-Z.'’-]+(?:[ -][A-Z][A-Z.'’-]+)*"  # KYIV / NEW YORK / CNN
    r"(?:,\s*[A-Z][\w.]*(?:\s[A-Z][\w.]*)*)?"  # , Ukraine  /  , March 3
    r"(?:,?\s*\d{1,2})?"
    rf"(?:\s*\((?:{_OUTLETS})\))?"
    # Kyiv (CNN) / Kyiv, Ukraine (CNN)
    rf"|[A-Z][\w.'’-]+(?:\s[A-Z][\w.'’-]+)*(?:,\s*[A-Z][\w.]*(?:\s[A-Z][\w.]*)*)?\s*\((?:{_OUTLETS})\)"
    rf"|\((?:{_OUTLETS})\)"  # (CNN)
    r")\s*[—–-]{1,2}\s+"
)
_CREDIT = re.compile(
    r"(REUTERS/|\bAP Photo\b|\(AP\s*Photo|\bAFP via Getty\b|Getty Images|\bPhotograph:|\bPhoto:|\bPhoto by\b|"
    r"\bImage:|\bFile photo\b|\bPHOTO:|/AFP\b|/Reuters\b|©|\bPhotograph by\b|\(Photo credit|\bPicture:)",
)
# Embeds and captions that stand alone: "▲ …", "Map: …", "02:14 … – video".
_CAPTION_LINE = re.compile(
    r"^(?:▲|►|\[?(?:photo|image|picture|map|graphic|chart|video|gallery|interactive)\]?\s*:|"
    r"\d{1,2}:\d{2}(?::\d{2})?\b.*\bvideo\b)",
    re.IGNORECASE,
)
# "Map of Russian offensive The UN refugee agency said …": an embed's title run into a sentence.
_GLUED_CAPTION = re.compile(
    r"(?:Map|Graphic|Chart|Interactive|Video|Timeline|Gallery)\b(?: of| showing|:)?(?: [^\s.!?“\"]+){1,7}?"
    r"(?= (?:The|A|An) \w)"
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
# Site furniture: related links, promotions, credits, disclaimers, greetings of a newsletter.
_BOILERPLATE = re.compile(
    r"^(?:read more|see also|see (?:the )?original|read the (?:full|original)|also read|"
    r"(?:related|recommended|most read|more)(?: stories| articles| coverage| reading| news)?\s*[:|]|"
    r"sign up|subscribe|follow (?:us|the|our)\b|follow \S+(?: \S+){0,3} on (?:twitter|x|facebook|telegram|instagram)|"
    r"click here|advertisement|share (?:this|on)|watch:|listen:|this (?:story|article) (?:has been|was) "
    r"(?:updated|reprinted|first published|originally published)|copyright\b\s*(?:©|\(c\)|\d{4})|"
    r"all rights reserved|get the latest|"
    r"download (?:the|our)|join (?:us|our)\b|support (?:us|our|independent|kyiv post)|we use cookies|"
    r"become a (?:member|subscriber|patron|supporter)|you can (?:read|watch|listen|find|follow|sign up|subscribe)|"
    r"and that[’']s (?:it|all) for|reprinted (?:from|with)|originally published|"
    r"the views expressed|other topics of interest|editor[’']s (?:note|pick)|"
    r"(?:(?:additional )?reporting|editing|writing|compiled|research)(?: and \w+)? by\b|"
    r"reporting from [A-Z][\w’'-]+ [A-Z])",
    re.IGNORECASE,
)
_PROMO = re.compile(
    r"\b(?:contributed (?:to )?(?:this|the) (?:report|story|article)|"
    r"(?:our|free|daily|weekly)\b[^.]*\bnewsletter|newsletter\b[^.]*\b(?:sign up|subscribe|inbox)|"
    r"kyiv post (?:will bring you|membership)|(?:become|join as) a (?:member|subscriber|patron))\b"
    r"|\bkyiv post\b.*\b(?:member|subscri|donat|support us|will bring you)",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^(?:good (?:morning|afternoon|evening) (?:from|and welcome)|welcome to (?:the|our|today)|hello and welcome)", re.I
)
# An author's note at the end: "(Jane Doe is a reporter covering …)", "Jane Doe is Founder & President of …".
_BIO = re.compile(
    r"^\(?(?:[A-Z][\w.’'-]*\s){1,4}(?:is|was|has been)\s+(?:a\s+|an\s+|the\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:reporter|correspondent|journalist|writer|editor|columnist|author|analyst|fellow|professor|researcher|"
    r"[Ff]ounder|[Cc]o-[Ff]ounder|[Pp]resident|[Dd]irector|producer|photographer|contributor|economist)\b"
)


def split_article(article: Article) -> list[Sentence]:
    """Split an article's text into sentences, numbered in order, with their kinds and speakers."""
    sentences: list[Sentence] = []
    text = article.text
    paragraphs = article.paragraphs
    kinds = [_paragraph_kind(p, i, len(paragraphs)) for i, p in enumerate(paragraphs)]
    first_body = kinds.index(BODY) if BODY in kinds else -1
    position = 0
    for paragraph_index, (paragraph, kind) in enumerate(zip(paragraphs, kinds)):
        start = text.find(paragraph, position)
        position = start + len(paragraph)
        for s, e, piece_kind in _paragraph_pieces(paragraph, kind, paragraph_index == first_body):
            sentences.append(
                Sentence(
                    article_id=article.id,
                    index=len(sentences),
                    paragraph=paragraph_index,
                    text=text[start + s : start + e],
                    start=start + s,
                    end=start + e,
                    kind=piece_kind,
                )
            )
    return resolve_speakers(sentences, text)


def _paragraph_pieces(paragraph: str, kind: str, first_body: bool) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the sentences of one paragraph, offsets within the paragraph."""
    pieces: list[tuple[int, int, str]] = []
    offset = 0
    if kind == BODY and first_body:
        dateline = _DATELINE.match(paragraph)
        if dateline and len(paragraph) > dateline.end() + 20:
            label = paragraph[: dateline.end()].rstrip().rstrip("—–-").rstrip()
            pieces.append((0, len(label), DATELINE))
            offset = dateline.end()
    for s, e in split_spans(paragraph[offset:]):
        s, e = s + offset, e + offset
        glued = _GLUED_CAPTION.match(paragraph, s, e) if kind == BODY else None
        if glued:
            pieces.append((s, glued.end(), CAPTION))
            s = glued.end() + 1
        pieces.append((s, e, _sentence_kind(paragraph[s:e], kind)))
    return pieces


def _sentence_kind(sentence: str, paragraph_kind: str) -> str:
    """A body paragraph's sentence can still be a promotion, a greeting or a photo credit."""
    if paragraph_kind != BODY:
        return paragraph_kind
    if _BOILERPLATE.match(sentence) or _GREETING.match(sentence) or (
        len(sentence.split()) <= 30 and _PROMO.search(sentence)
    ):
        return BOILERPLATE
    if _CREDIT.search(sentence) and not sentence.startswith(("“", '"')):
        return CAPTION
    return BODY


def split_text(text: str) -> list[str]:
    """Split plain text (one paragraph or several) into sentence strings."""
    out = []
    for paragraph in re.split(r"\n\s*\n", text):
        out.extend(paragraph[s:e] for s, e in split_spans(paragraph))
    return out


def split_spans(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of one paragraph, whitespace and list bullets trimmed."""
    regions = quoted_regions(paragraph)
    cuts = [0]
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end()
        if _is_boundary(paragraph, match.start("punct"), end) and not _inside(regions, end):
            cuts.append(end)
    cuts = sorted({*cuts, *_unpunctuated_quote_ends(paragraph, regions)})
    cuts.append(len(paragraph))
    spans = _trimmed(paragraph, cuts)
    spans = [piece for a, b in spans for piece in _split_long_quote(paragraph, a, b)]
    return [piece for a, b in spans for piece in _split_overlong(paragraph, a, b)]


def _unpunctuated_quote_ends(paragraph: str, regions: list[tuple[int, int]]) -> list[int]:
    """Ends of quotations introduced by a colon and closed with no full stop before a new sentence.

    'He said: “It will be a new Europe after the invasion we saw today” Following an emergency …'
    """
    ends = []
    for a, b in regions:
        if paragraph[max(0, a - 2) : a].strip() == ":" and paragraph[b - 2 : b - 1].isalpha():
            after = _NEXT_CAPITAL_WORD.match(paragraph, b)
            if after and after.group(1).lower() in SENTENCE_OPENERS | {"following", "speaking", "asked"}:
                ends.append(b)
    return ends


def _trimmed(paragraph: str, cuts: Sequence[int]) -> list[tuple[int, int]]:
    spans = []
    for a, b in zip(cuts, cuts[1:]):
        chunk = paragraph[a:b]
        left = len(chunk) - len(chunk.lstrip())
        right = len(chunk.rstrip())
        bullet = _BULLET.match(chunk[left:right]) if a == 0 else None
        if bullet and right - left > bullet.end():
            left += bullet.end()
        if right > left:
            spans.append((a + left, a + right))
    return spans


def _is_boundary(paragraph: str, punct_start: int, end: int) -> bool:
    after = _AFTER_BOUNDARY.match(paragraph, end).group(1)
    if after and not (after[0].isupper() or after[0].isdigit()):
        return False
    punct = paragraph[punct_start]
    if punct != ".":
        return True
    if paragraph.startswith("..", punct_start):
        return True  # an ellipsis written as dots
    word_match = _WORD_BEFORE.search(paragraph[max(0, punct_start - 40) : punct_start + 1])
    if word_match is None:
        return True  # "… 80%." or "… 2023." end sentences
    written = word_match.group(1)
    word = written.lower().rstrip(".")
    next_word = after
    if len(word) == 1 and word.isalpha() and written[0].isupper():
        return False  # an initial: "Denys A. Shmyhal"
    if word in NUMBER_ABBREVIATIONS:
        return not next_word[:1].isdigit()
    if word in CAPITAL_ABBREVIATIONS and written[0].isupper():
        return False
    if word in ABBREVIATIONS:
        return word in SENTENCE_FINAL_ABBREVIATIONS and next_word.lower() in SENTENCE_OPENERS
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):  # other dotted initialisms: "u.s.s.r"
        return next_word.lower() in SENTENCE_OPENERS
    return True


def quoted_regions(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) of each quotation in a paragraph, its marks included.

    A quotation that runs over several paragraphs opens each with a new mark; one found while a
    quotation is open continues it, and an unclosed double quotation runs to the paragraph's end.
    Straight quotes open or close by what stands around them. Single quotes (‘…’) count only
    when they close in the paragraph, since ’ is also the apostrophe.
    """
    regions = []
    opened: int | None = None
    single = False  # the open quotation began with ‘
    for match in _QUOTE_MARK.finditer(paragraph):
        opening = _opens(paragraph, match, opened is not None)
        if opening is None:
            continue
        is_single = match.group() in {"‘", "’"}
        if opening and opened is None:
            opened, single = match.start(), is_single
        elif not opening and opened is not None and is_single == single:
            regions.append((opened, match.end()))
            opened = None
    if opened is not None and not single:
        regions.append((opened, len(paragraph)))
    return regions


def _opens(paragraph: str, match: re.Match, inside: bool) -> bool | None:
    """Whether a quotation mark opens (True) or closes (False) a quotation; None when it is neither."""
    mark = match.group()
    before = paragraph[match.start() - 1] if match.start() else " "
    after = paragraph[match.end()] if match.end() < len(paragraph) else " "
    if mark in _OPENING_MARKS:
        return True
    if mark in _CLOSING_MARKS:
        return False
    if mark == "‘":
        return True if before in _BEFORE_OPENING and after.isalpha() else None
    if mark == "’":
        # closes ‘…,’ or ‘… operation’ and; never inside a word (Ukraine’s)
        return False if inside and (before in ",.!?…" or (before.isalpha() and after in _AFTER_CLOSING)) else None
    if before in _BEFORE_OPENING:
        return True
    if after in _AFTER_CLOSING:
        return False
    return not inside


def _inside(regions: list[tuple[int, int]], position: int) -> bool:
    """Whether ``position`` falls strictly inside one of the (sorted, disjoint) quotations."""
    k = bisect_left(regions, (position, -1)) - 1
    return k >= 0 and regions[k][0] < position < regions[k][1]


def _overlapping(regions: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The quotations (sorted, disjoint) that overlap ``[start, end)``."""
    k = max(0, bisect_left(regions, (start, -1)) - 1)
    out = []
    while k < len(regions) and regions[k][0] < end:
        if regions[k][1] > start:
            out.append(regions[k])
        k += 1
    return out


def _split_long_quote(paragraph: str, a: int, b: int) -> list[tuple[int, int]]:
    """A quotation kept together must stay readable: re-split one over MAX_QUOTE_WORDS words.

    First where the quotation's own paragraphs began (a new opening mark), then at every sentence end.
    """
    if len(paragraph[a:b].split()) <= MAX_QUOTE_WORDS:
        return [(a, b)]
    boundaries = [m for m in _BOUNDARY.finditer(paragraph, a, b) if _is_boundary(paragraph, m.start("punct"), m.end())]
    openers = [m.end() for m in boundaries if re.match(r"\s*(?:[“„«]|‘‘)", paragraph[m.end() : b])]
    spans = _trimmed_within(paragraph, a, b, openers)
    if all(len(paragraph[x:y].split()) <= MAX_QUOTE_WORDS for x, y in spans):
        return spans
    out = []
    for x, y in spans:
        if len(paragraph[x:y].split()) <= MAX_QUOTE_WORDS:
            out.append((x, y))
        else:
            out.extend(_trimmed_within(paragraph, x, y, [m.end() for m in boundaries if x < m.end() < y]))
    return out


def _split_overlong(paragraph: str, a: int, b: int) -> list[tuple[int, int]]:
    """A sentence over MAX_SENTENCE_WORDS words (a list run together) is cut at its semicolons."""
    if len(paragraph[a:b].split()) <= MAX_SENTENCE_WORDS:
        return [(a, b)]
    cuts = [m.end() for m in re.finditer(r";(?=\s)", paragraph[a:b])]
    return _trimmed_within(paragraph, a, b, [a + c for c in cuts]) if cuts else [(a, b)]


def _trimmed_within(paragraph: str, a: int, b: int, cuts: Sequence[int]) -> list[tuple[int, int]]:
    spans = []
    for x, y in zip([a, *cuts], [*cuts, b]):
        chunk = paragraph[x:y]
        left = len(chunk) - len(chunk.lstrip())
        right = len(chunk.rstrip())
        if right > left:
            spans.append((x + left, x + right))
    return spans


def _paragraph_kind(paragraph: str, index: int, count: int = 0) -> str:
    stripped = paragraph.strip()
    words = stripped.split()
    letters = [c for c in stripped if c.isalpha()]
    if len(words) <= 40 and (_BOILERPLATE.match(stripped) or _PROMO.search(stripped)):
        return BOILERPLATE
    if len(words) >= 3 and letters and sum(c.isupper() for c in letters) / len(letters) > 0.9:
        return BOILERPLATE  # "CLICK HERE TO GET THE APP", all-caps related-story links
    if count and index >= count - 3 and _BIO.match(stripped) and (
        stripped.startswith("(") or not stripped.endswith((".", "!", "?", "”", '"'))
    ):
        return BOILERPLATE
    if _CAPTION_LINE.match(stripped) or (_CREDIT.search(stripped) and len(words) < 60):
        return CAPTION
    if len(words) <= 12 and "\n" not in stripped and not stripped.endswith((".", "?", "!", "”", "’", '"', ":", "…")):
        return HEADING
    if len(words) <= 12 and stripped.endswith("?") and not quoted_regions(stripped):
        return HEADING  # "What are the aims of the talks?"
    if index <= 2 and len(words) <= 45 and len(split_spans(stripped)) == 1 and not _SAYING.search(stripped):
        if _CAPTION_TAIL.search(stripped.replace(",on ", ", on ")):
            return CAPTION
    return BODY


# --- speakers of quotations ------------------------------------------------------------------

_SAY_VERB = re.compile(
    r"\b(?:said|says|told|tells|wrote|writes|added|adds|stated|states|announced|announces|claimed|claims|"
    r"noted|notes|tweeted|tweets|posted|posts|warned|warns|insisted|insists|explained|explains|argued|argues|"
    r"declared|declares|urged|urges|replied|replies|responded|responds|recalled|recalls|commented|comments|"
    r"acknowledged|acknowledges|admitted|admits|cautioned|cautions|stressed|stresses|emphasi[sz]e[ds]|"
    r"underlined|concluded|remarked|pointed out|points out|[Aa]ccording to)\b"
)
# "the newly announced deal", "its stated aim": a participle, not someone speaking.
_NOT_SPEAKING = re.compile(r"(?:\b(?:the|a|an|its|his|her|their|our|this|that)|ly)\s+$", re.IGNORECASE)
_TITLES = {
    "president", "vice", "prime", "minister", "deputy", "secretary", "general", "gen", "lt", "lieutenant", "col",
    "colonel", "maj", "major", "sgt", "sergeant", "capt", "captain", "private", "pvt", "cpl", "corporal", "mr",
    "mrs", "ms", "miss", "dr", "prof", "professor", "sen", "senator", "rep", "representative", "gov", "governor",
    "mayor", "chancellor", "ambassador", "envoy", "spokesperson", "spokesman", "spokeswoman", "chief", "head",
    "commander", "commander-in-chief", "admiral", "adm", "defence", "defense", "foreign", "interior", "finance",
    "economy", "treasury", "state", "affairs", "chairman", "chairwoman", "chair", "director", "adviser", "advisor",
    "aide", "analyst", "leader", "pope", "king", "queen", "prince", "princess", "lord", "sir", "dame", "attorney",
    "prosecutor", "judge", "justice", "speaker", "secretary-general", "ceo", "founder", "officer", "marshal",
    "commissioner", "premier", "mp", "mep", "rev", "father", "patriarch", "metropolitan", "ombudsman", "brig",
    "brigadier", "field", "first", "lady", "high", "representative", "negotiator", "correspondent", "editor",
    "cmdr", "amb", "hon", "lead", "senior", "top", "acting", "former", "presidential",
}
_NATIONALITIES = {
    "ukrainian", "russian", "american", "british", "french", "german", "italian", "polish", "turkish", "chinese",
    "japanese", "european", "belarusian", "kenyan", "canadian", "swiss", "dutch", "spanish", "hungarian",
    "lithuanian", "latvian", "estonian", "finnish", "swedish", "norwegian", "danish", "belgian", "austrian",
    "czech", "slovak", "romanian", "moldovan", "georgian", "israeli", "iranian", "indian", "greek", "australian",
    "korean", "us", "u.s.", "uk", "u.k.", "eu", "un", "nato", "african", "irish", "scottish", "welsh", "brazilian",
    "mexican", "saudi", "emirati", "qatari",
}
_NOT_NAMES = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december", "i", "the", "a",
    "an", "he", "she", "it", "they", "we", "you", "this", "that", "there", "but", "and", "in", "on", "at",
}
_PARTICLES = {
    "von", "der", "van", "de", "da", "di", "du", "la", "le", "al", "bin", "ibn", "del", "dos", "den", "zu", "ter",
}
_LINKS = {
    "in", "of", "at", "from", "on", "for", "to", "near", "with", "by", "and", "or", "about", "into", "over",
    "against", "under", "after", "before", "via", "across", "than", "as",
}
_PRONOUNS = {"he", "she"}
_MASK = "\x00"
_MAX_LOOKBACK = 8  # sentences searched back for the person a pronoun stands for


@dataclass
class _Quoting:
    """What speaker resolution knows of one sentence: its text with quoted parts masked out."""

    sentence: Sentence
    masked: str

    @property
    def quoted(self) -> bool:
        return _MASK in self.masked

    @property
    def unattributed_quote(self) -> bool:
        """Quoted throughout (or a piece of a longer quotation), with no words of its own."""
        return self.quoted and not re.search(r"\w", self.masked.replace(_MASK, ""))


def resolve_speakers(sentences: Sequence[Sentence], text: str) -> list[Sentence]:
    """Give each unattributed quotation the speaker named just before it (same or previous paragraph)."""
    infos = _quotings(sentences, text)
    names = _Names(sentences, infos)
    out: list[Sentence] = []
    speakers: list[str | None] = []
    for i, info in enumerate(infos):
        speaker = None
        if info.sentence.is_body and info.unattributed_quote:
            speaker = _speaker_before(i, infos, speakers, names)
        speakers.append(speaker)
        out.append(replace(info.sentence, speaker=speaker) if speaker else info.sentence)
    return out


def _quotings(sentences: Sequence[Sentence], text: str) -> list[_Quoting]:
    """Mask the quoted characters of each sentence, using its whole paragraph's quotation marks."""
    infos = []
    bounds: dict[int, tuple[int, int]] = {}
    for sentence in sentences:
        a, b = bounds.get(sentence.paragraph, (sentence.start, sentence.end))
        bounds[sentence.paragraph] = (min(a, sentence.start), max(b, sentence.end))
    regions_of = {p: (a, quoted_regions(text[a:b])) for p, (a, b) in bounds.items()}
    for sentence in sentences:
        para_start, regions = regions_of[sentence.paragraph]
        masked = sentence.text
        for a, b in _overlapping(regions, sentence.start - para_start, sentence.end - para_start):
            lo = max(a + para_start, sentence.start) - sentence.start
            hi = min(b + para_start, sentence.end) - sentence.start
            masked = masked[:lo] + _MASK * (hi - lo) + masked[hi:]
        infos.append(_Quoting(sentence, masked))
    return infos


def _speaker_before(i: int, infos: list[_Quoting], speakers: list[str | None], names: _Names) -> str | None:
    """The speaker of quotation ``i``, named by the sentence just before it (same or previous paragraph).

    That sentence attributes a quotation (“…,” she wrote / Zelenskiy said: …) or is itself a
    quotation whose speaker is known. Anything else in between (narrative, a heading) leaves the
    speaker uncertain: None.
    """
    if i == 0:
        return None
    info = infos[i - 1]
    if info.sentence.paragraph < infos[i].sentence.paragraph - 1 or not info.sentence.is_body:
        return None
    if info.unattributed_quote:
        return speakers[i - 1]
    said = _attribution(info, names)
    if said is None:
        return None
    kind, value = said
    if kind == "name":
        return names.full(value)
    if kind == "pronoun":
        return _antecedent(i - 1, infos, names)
    return None


def _antecedent(j: int, infos: list[_Quoting], names: _Names) -> str | None:
    """The person a 'he' or 'she' in sentence ``j`` stands for: the last one named before it."""
    paragraph = infos[j].sentence.paragraph
    for k in range(j - 1, max(-1, j - 1 - _MAX_LOOKBACK), -1):
        info = infos[k]
        if info.sentence.paragraph < paragraph - 2 or not info.sentence.is_body:
            return None
        said = _attribution(info, names)
        if said is not None and said[0] == "name":
            return names.full(said[1])
        if said is not None and said[0] == "pronoun":
            continue
        people = names.people_in(info)
        if len(people) == 1:
            return names.full(people[0])
        if people or said is not None:
            return None
    return None


def _attribution(info: _Quoting, names: _Names) -> tuple[str, str] | None:
    """Who a sentence says is speaking: ('name', text), ('pronoun', 'she'), ('unknown', ''); None if no one."""
    masked = info.masked
    verbs = (m for m in _SAY_VERB.finditer(masked) if not _participle(masked, m.start()))
    verb = next(verbs, None)
    if verb is None:
        return None
    text = info.sentence.text
    before = info.masked[: verb.start()].rstrip()
    if verb.group().lower() == "according to" or before.endswith(_MASK) or not before:
        name = _name_after(text, verb.end(), names)  # “…,” said Andriy Smyrnov.
        return ("name", name) if name else ("unknown", "")
    start = before.rfind(_MASK) + 1
    return _subject(text, start, verb.start(), names)


def _participle(masked: str, start: int) -> bool:
    """'the newly announced deal': the verb at ``start`` describes a thing, no one speaks."""
    return bool(_NOT_SPEAKING.search(masked[max(0, start - 12) : start]))


def _subject(text: str, start: int, end: int, names: _Names) -> tuple[str, str]:
    """The speaker named in ``text[start:end]``, the words before a saying verb."""
    parts = _parts(text, start, end)
    if not parts:
        return ("unknown", "")
    last = text[parts[-1][0] : parts[-1][1]]
    if last.lower() in _PRONOUNS:
        return ("pronoun", last.lower())
    found = set()
    for n, (a, b) in enumerate(parts):
        run = names.trailing_run(text, a, b) if n in (0, len(parts) - 1) else names.whole_run(text, a, b)
        if run:
            found.add(run)
    if len(found) == 1:
        return ("name", found.pop())
    return ("unknown", "")


def _name_after(text: str, start: int, names: _Names) -> str | None:
    """The speaker named just after a saying verb: 'said the mayor, Ihor Terekhov.'"""
    parts = _parts(text, start, len(text))[:2]
    for n, (a, b) in enumerate(parts):
        run = names.whole_run(text, a, b) or (names.trailing_run(text, a, b) if n == 0 else None)
        if run:
            return run
    return None


def _parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Comma- and dash-separated parts of ``text[start:end]``, trimmed of spaces and end punctuation."""
    parts = []
    for match in re.finditer(r"[^,;:—–()]+", text[start:end]):
        a, b = start + match.start(), start + match.end()
        while a < b and text[a] in " \t\n\"“”‘’'-":
            a += 1
        while b > a and text[b - 1] in " \t\n.!?\"“”’'":
            b -= 1
        if b > a:
            parts.append((a, b))
    return parts


class _Names:
    """Which capitalised words of an article are names, and the fullest short form of each name."""

    def __init__(self, sentences: Sequence[Sentence], infos: list[_Quoting]):
        capital: set[str] = set()
        lower: set[str] = set()
        for sentence in sentences:
            words = _words(sentence.text)
            for n, word in enumerate(words):
                if not word[:1].isupper():
                    lower.add(word.lower())
                elif n > 0 or (len(words) > 1 and words[1][:1].isupper()):
                    capital.add(word)  # a word starting a sentence counts only in a run: "Linda Thomas-Greenfield"
        self.proper = {w for w in capital if w.lower() not in lower and w.lower() not in _NOT_NAMES}
        self.full_names: dict[str, set[str]] = {}  # last name -> full names ending with it
        self.speakers: set[str] = set()
        for sentence in sentences:
            for a, b in _name_runs(sentence.text):
                core = self._core(sentence.text, a, b)
                if core and len(core.split()) >= 2:
                    self.full_names.setdefault(core.split()[-1], set()).add(core)
        for info in infos:
            said = _attribution(info, self) if info.sentence.is_body else None
            if said and said[0] == "name":
                self.speakers.add(said[1].split()[-1])

    def _is_name_word(self, word: str) -> bool:
        if re.fullmatch(r"[A-Z]\.", word):
            return True  # an initial
        word = word.rstrip(".")
        return word in self.proper

    def _core(self, text: str, a: int, b: int) -> str | None:
        """The name in a run of capitalised words without titles in front: 'Hanna Malyar'."""
        words = [(m.start() + a, m.end() + a) for m in re.finditer(r"\S+", text[a:b])]
        while words and text[words[0][0] : words[0][1]].lower() in {"the", "a", "an"}:
            words = words[1:]
        titled = [k for k, (x, y) in enumerate(words) if text[x:y].lower().rstrip(".") in _TITLES]
        if titled:
            words = words[titled[-1] + 1 :]
        while len(words) > 1 and text[words[0][0] : words[0][1]].lower() in _NATIONALITIES:
            words = words[1:]
        if not words or text[words[-1][0] : words[-1][1]].lower() in _PARTICLES:
            return None
        if not all(self._is_name_word(text[x:y]) or text[x:y] in _PARTICLES for x, y in words):
            return None
        return text[words[0][0] : words[-1][1]]

    def trailing_run(self, text: str, a: int, b: int) -> str | None:
        """The name ending a part ('British foreign secretary Liz Truss'), unless it follows 'in', 'of' …"""
        words = [(m.start() + a, m.end() + a) for m in re.finditer(r"\S+", text[a:b])]
        k = len(words)
        while k > 0:
            word = text[words[k - 1][0] : words[k - 1][1]]
            if not (_capitalised(word) or (word in _PARTICLES and k < len(words))):
                break
            k -= 1
        if k == len(words):
            return None
        if k > 0:
            previous = text[words[k - 1][0] : words[k - 1][1]]
            if previous.lower() in _LINKS or previous.endswith(("’s", "'s", "’", "s'")):
                return None
        return self._core(text, words[k][0], words[-1][1])

    def whole_run(self, text: str, a: int, b: int) -> str | None:
        """The name that is the whole part: ', Olaf Scholz,' or ', Ms Bjerde.'"""
        if not all(_capitalised(w) or w in _PARTICLES for w in text[a:b].split()):
            return None
        return self._core(text, a, b)

    def people_in(self, info: _Quoting) -> list[str]:
        """Who may be a person among the names outside quotation marks: after a title, a speaker
        in the article, a first and last name, or the last name of one."""
        text, found = info.sentence.text, []
        for a, b in _name_runs(info.masked):
            core = self._core(text, a, b)
            if core is None:
                continue
            last = core.split()[-1]
            person = core != text[a:b].strip() or last in self.speakers or last in self.full_names
            if person and last not in {f.split()[-1] for f in found}:
                found.append(core)
        return found

    def full(self, name: str) -> str:
        """The shortest full form of a name used in the article: 'Zelenskiy' -> 'Volodymyr Zelenskiy'."""
        words = name.split()
        matches = [f for f in self.full_names.get(words[-1], ()) if len(words) == 1 or f.split()[0] == words[0]]
        if not matches or len({m.split()[0] for m in matches}) > 1:
            return name
        shortest = min(matches, key=lambda m: (len(m.split()), len(m), m))
        return shortest if len(shortest.split()) >= len(words) else name


def _capitalised(word: str) -> bool:
    return bool(word) and word[0].isupper() and not word.endswith(("’s", "'s"))


def _words(text: str) -> list[str]:
    return [w.strip(".,;:!?()[]\"“”‘’'") for w in text.split() if w.strip(".,;:!?()[]\"“”‘’'")]


def _name_runs(text: str) -> list[tuple[int, int]]:
    """Spans of runs of capitalised words (with particles such as 'von der' inside), unbroken by punctuation."""
    runs: list[tuple[int, int]] = []
    start = end = None
    previous = 0
    for match in re.finditer(r"[^\s,;:()\[\]“”\"‘]+", text):
        if start is not None and text[previous : match.start()].strip():
            runs.append((start, end))
            start = None
        previous = match.end()
        word = match.group()
        if _capitalised(word):
            start = match.start() if start is None else start
            end = match.start() + len(word if re.fullmatch(r"[A-Z]\.", word) else word.rstrip(".’'"))
        elif start is not None and word not in _PARTICLES:
            runs.append((start, end))
            start = None
    if start is not None:
        runs.append((start, end))
    return runs
