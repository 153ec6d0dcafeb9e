"""Place names written in several ways: Bakhmut / Artemivsk / Artyomovsk, Kyiv / Kiev, Kharkiv / Kharkov.

The variants come from ``prompts/_places.txt`` (one place a line, names separated by ``|``),
extended by the user's ``BRIEFING_HOME/prompts/_places.txt`` and a ``--prompts`` folder's. They
serve twice: comparing sentences (every variant reads as the place's first name), and writing the
report, where each place takes the spelling most of its sources use. Quotations are never
respelled.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .errors import ConfigError
from .resources import layered_dirs

PLACES_FILE = "_places.txt"


@dataclass(frozen=True)
class Places:
    """Groups of names of one place each; the first name of a group is its key."""

    groups: tuple[tuple[str, ...], ...] = ()
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_groups(cls, groups: Iterable[Sequence[str]]) -> "Places":
        """Merge groups that share a name (the earlier group keeps its order and first name)."""
        merged: list[list[str]] = []
        index: dict[str, int] = {}
        for group in groups:
            names = [" ".join(n.split()) for n in group if n.strip()]
            if not names:
                continue
            found = next((index[_key(n)] for n in names if _key(n) in index), None)
            if found is None:
                found = len(merged)
                merged.append([])
            for name in names:
                if _key(name) not in index:
                    merged[found].append(name)
                    index[_key(name)] = found
        keys = sorted(index, key=len, reverse=True)
        pattern = None
        if keys:
            alternatives = "|".join(r"[\s-]+".join(map(re.escape, k.split())) for k in keys)
            pattern = re.compile(rf"(?<![\w’'])(?:{alternatives})(?![\w])", re.IGNORECASE)
        return cls(tuple(tuple(g) for g in merged), index, pattern)

    def __len__(self) -> int:
        return len(self.groups)

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, group) of every place name written in ``text`` with a capital letter."""
        if self._pattern is None:
            return []
        found = []
        for match in self._pattern.finditer(text):
            if not match.group()[0].isupper():
                continue  # "odessa" in a URL or a lower-case word is not the place
            group = self._index.get(_key(match.group()))
            if group is not None:
                found.append((match.start(), match.end(), group))
        return found

    def normalise(self, text: str) -> str:
        """``text`` with every known place written as its key name, for comparing sentences."""
        out, last = [], 0
        for start, end, group in self.find(text):
            out.append(text[last:start])
            out.append(self.groups[group][0])
            last = end
        out.append(text[last:])
        return "".join(out)

    def keys_in(self, text: str) -> set[str]:
        """The places ``text`` names, by key."""
        return {self.groups[group][0] for _, _, group in self.find(text)}

    def spellings(self, texts: Iterable[str]) -> dict[int, str]:
        """The spelling of each place that most texts (articles) use; a tie goes to the earlier name.

        A text counts once per place, for the spelling it uses most.
        """
        votes: dict[int, Counter[str]] = {}
        for text in texts:
            used: dict[int, Counter[str]] = {}
            for start, end, group in self.find(text):
                used.setdefault(group, Counter())[self._canonical_case(text[start:end], group)] += 1
            for group, counts in used.items():
                best = max(counts.items(), key=lambda kv: (kv[1], -self._rank(group, kv[0])))[0]
                votes.setdefault(group, Counter())[best] += 1
        return {
            group: max(counts.items(), key=lambda kv: (kv[1], -self._rank(group, kv[0])))[0]
            for group, counts in votes.items()
        }

    def _canonical_case(self, written: str, group: int) -> str:
        """The name as the data file writes it ('KIEV' and 'Kiev' are one spelling: 'Kiev')."""
        return next((n for n in self.groups[group] if _key(n) == _key(written)), written)

    def _rank(self, group: int, name: str) -> int:
        names = self.groups[group]
        return names.index(name) if name in names else len(names)

    def respell(self, text: str, spelling: Mapping[int, str]) -> str:
        """``text`` with places written as ``spelling`` gives, except inside quotation marks."""
        if not spelling:
            return text
        from .text import quoted_regions  # noqa: PLC0415 - text imports articles; keep this module light

        regions = quoted_regions(text)
        out, last = [], 0
        for start, end, group in self.find(text):
            wanted = spelling.get(group)
            written = text[start:end]
            if wanted is None or any(a <= start < b for a, b in regions):
                continue
            if written.isupper() and len(written) > 1:
                wanted = wanted.upper()
            if wanted == written:
                continue
            out.append(text[last:start])
            out.append(wanted)
            last = end
        out.append(text[last:])
        return "".join(out)


def _key(name: str) -> str:
    """A name as looked up: case, spaces and hyphens do not count ('Chasiv-Yar' is 'chasiv yar')."""
    return " ".join(re.split(r"[\s-]+", name.strip())).casefold()


def parse_places(text: str, path: str = PLACES_FILE) -> list[list[str]]:
    """The groups of a places file: one place a line, names separated by '|', '#' comments."""
    groups = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        names = [" ".join(n.split()) for n in line.split("|")]
        if any(not n for n in names):
            raise ConfigError(f"{path}, line {number}: an empty name", "write names separated by ' | '")
        if any(re.search(r"[^\w\s'’.-]", n) for n in names):
            bad = next(n for n in names if re.search(r"[^\w\s'’.-]", n))
            raise ConfigError(f"{path}, line {number}: '{bad}' is not a place name", "use letters, spaces, - and '")
        groups.append(names)
    return groups


_CACHE: dict[tuple, Places] = {}


def load_places(prompts_dir: Path | None = None) -> Places:
    """The package's place names, then the user's, then a ``--prompts`` folder's, merged."""
    files = [d / PLACES_FILE for d in reversed(layered_dirs("prompts", prompts_dir)) if (d / PLACES_FILE).is_file()]
    try:
        key = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    except OSError:
        key = None
    if key is not None and key in _CACHE:
        return _CACHE[key]
    groups: list[list[str]] = []
    for path in files:
        try:
            groups.extend(parse_places(path.read_text(encoding="utf-8"), str(path)))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read ({exc})") from None
    places = Places.from_groups(groups)
    if key is not None:
        _CACHE[key] = places
    return places
