"""What changed since the previous report: its facts are not repeated, and each section says what is new.

The previous report is its JSON (``--previous REPORT.json``, or the newest dated report in the
``--out`` folder before this report's date). A fact of this report counts as already reported,
and is left out before condensing, when

- it cites a sentence the previous report cited, or
- one of its sentences tells the same fact as a statement or citation of the previous report
  (``dedupe.compare``: a changed figure is news, so "9 killed" after "7 killed" stays), or
- every sentence telling it comes from an article the previous report already covered (an
  article read again because the windows overlap brings nothing new).

Sections then open with "New since the report of …", and a section with nothing new says so.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .dedupe import SAME, Clusters, compare, fingerprint
from .errors import InputError
from .places import Places

if TYPE_CHECKING:  # report.py uses this module: import it only where needed
    from .report import Report

_DATED_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-.*\.json$")


def load_previous(path: Path) -> Report:
    """A report back from the JSON ``briefing generate --format json`` wrote."""
    from .report import read_report  # noqa: PLC0415

    return read_report(path, what="previous report")


def find_previous(folder: Path | None, date: dt.date) -> Path | None:
    """The newest report JSON in ``folder`` (named ``YYYY-MM-DD-….json``, as ``--out FOLDER`` writes) dated before ``date``."""
    if folder is None or not Path(folder).is_dir():
        return None
    best: tuple[dt.date, str, Path] | None = None
    for path in Path(folder).glob("*.json"):
        match = _DATED_NAME.match(path.name)
        if not match:
            continue
        try:
            day = dt.date.fromisoformat(match.group(1))
        except ValueError:
            continue
        if day < date and (best is None or (day, path.name) > best[:2]):
            best = (day, path.name, path)
    return best[2] if best else None


def resolve_previous(
    given: Path | None,
    out: Path | None,
    date: dt.date,
    notify: Callable[[str], None] | None = None,
) -> Report | None:
    """The previous report to compare with: the one given, else the newest one in the output folder.

    A report given that cannot be read is an error; one found that cannot be read is passed over
    with a notice. Which report is used is told through ``notify`` (the sections say it too).
    """
    if given is not None:
        report = load_previous(given)
        _tell(f"compared with the previous report {given} ({report.date.isoformat()})", notify)
        return report
    folder = out if out is not None and (Path(out).is_dir() or not Path(out).suffix) else None
    found = find_previous(folder, date)
    if found is None:
        return None
    try:
        report = load_previous(found)
    except InputError as error:
        _tell(f"not compared with {found}: {error.message}", notify)
        return None
    _tell(f"compared with the previous report {found} ({report.date.isoformat()})", notify)
    return report


def _tell(message: str, notify: Callable[[str], None] | None) -> None:
    if notify is not None:
        notify(f"notice: {message}")


def previous_until(report: Report | None) -> dt.date | None:
    """The last day the previous report covered."""
    if report is None:
        return None
    return getattr(report, "until", None) or report.date


def summary(report: Report) -> dict:
    """What this report says about the previous one: its title, date, period and when it was made."""
    since = getattr(report, "since", None)
    until = getattr(report, "until", None)
    return {
        "title": report.title,
        "date": report.date.isoformat(),
        "generated_at": report.generated_at.isoformat(),
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }


@dataclass(frozen=True)
class Dropped:
    """Why facts were left out, per section key."""

    repeated: dict[str, int]  # told in the previous report
    covered: dict[str, int]  # only in articles the previous report already covered


def drop_reported(clusters: Clusters, previous: Report, places: Places | None = None) -> tuple[Clusters, Dropped]:
    """``clusters`` less the facts the previous report already gave (see the module's docstring)."""
    cited: set[tuple[str, int]] = set()
    texts: list[str] = []
    for brief in previous.briefs:
        for statement in brief.statements:
            texts.append(statement.text)
            for sentence in statement.sources:
                cited.add((sentence.article_id, sentence.index))
                texts.append(sentence.text)
    for point in previous.key_points:
        texts.append(point.statement.text)
    old = [fingerprint(t, places) for t in dict.fromkeys(texts)]
    covered_ids = {source.article.id for source in previous.sources}

    dropped: set[int] = set()
    repeated: dict[str, int] = {}
    covered: dict[str, int] = {}
    for i, item in enumerate(clusters.clusters):
        if any((m.article_id, m.index) in cited for m in item.members) or any(
            compare(mine, fp)[0] == SAME for mine in (fingerprint(m.text, places) for m in item.members) for fp in old
        ):
            dropped.add(i)
            repeated[item.section] = repeated.get(item.section, 0) + 1
        elif all(m.article_id in covered_ids for m in item.members):
            dropped.add(i)
            covered[item.section] = covered.get(item.section, 0) + 1
    return clusters.without(dropped), Dropped(repeated, covered)
