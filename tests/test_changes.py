"""What changed since the previous report: day two leaves out what day one said, and says what is new."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import briefing
from briefing.changes import find_previous, load_previous
from briefing.render import render
from conftest import DATA, run_cli

MULTI = DATA / "multi"
ARGS = ("--router", "cues", "--backend", "extractive")


def statement_texts(report: dict) -> list[str]:
    return [st["text"] for s in report["sections"] for st in s["statements"]]


def generate(*args: str):
    result = run_cli("generate", *args, *ARGS)
    assert result.returncode == 0, result.stderr
    return result


def test_day_two_with_day_one_report_leaves_out_day_one_facts(tmp_path):
    out = tmp_path / "reports"
    generate(str(MULTI), "--date", "2023-03-14", "-f", "json", "-f", "md", "-o", str(out))
    day_one = json.loads((out / "2023-03-14-situation-report.json").read_text(encoding="utf-8"))
    told = statement_texts(day_one)
    assert any("cruise missiles" in t for t in told) and any("seven civilians" in t for t in told)

    # Day two: the day-one report is found in the output folder.
    result = generate(str(MULTI), "--date", "2023-03-15", "-f", "json", "-f", "md", "-o", str(out))
    assert "compared with the previous report" in result.stderr and "2023-03-14-situation-report.json" in result.stderr
    day_two = json.loads((out / "2023-03-15-situation-report.json").read_text(encoding="utf-8"))
    new = statement_texts(day_two)
    assert day_two["previous"]["date"] == "2023-03-14"
    # Nothing day one said comes back, not even in other words (the missiles, retold on day two).
    assert not set(new) & set(told)
    assert not any("cruise missiles" in t for t in new)
    # What is new is there: the changed toll (seven -> nine), the talks, the assaults.
    assert any("rose to nine civilians" in t for t in new)
    assert any("grain deal" in t for t in new)
    assert any("14 assaults near Avdiivka" in t for t in new)
    key_points = [p["text"] for p in day_two["key_points"]]
    assert key_points and not set(key_points) & set(told)
    repeated = {s["key"]: s["repeated"] for s in day_two["sections"]}
    assert repeated["battlefield"] >= 1

    md = (out / "2023-03-15-situation-report.md").read_text(encoding="utf-8")
    battlefield = md.split("## Battlefield")[1].split("## ")[0]
    assert battlefield.strip().startswith("*New since the report of 14 March 2023.")
    assert "already reported there" in battlefield
    reconstruction = md.split("## Reconstruction")[1].split("## ")[0]
    assert reconstruction.strip() == "*Nothing new since the report of 14 March 2023.*"


def test_when_nothing_changed_every_section_says_so(tmp_path):
    out = tmp_path / "reports"
    generate(*map(str, sorted(MULTI.glob("2023-03-14-*.txt"))), "--date", "2023-03-14", "-f", "json", "-o", str(out))
    previous = out / "2023-03-14-situation-report.json"
    again = generate(*map(str, sorted(MULTI.glob("2023-03-14-*.txt"))), "--date", "2023-03-14",
                     "--previous", str(previous), "-f", "json")
    report = json.loads(again.stdout)
    assert statement_texts(report) == [] and report["key_points"] == []
    loaded = briefing.report_from_dict(report)
    md, txt, html = (render(loaded, fmt) for fmt in ("md", "txt", "html"))
    nothing = "Nothing new since the report of 14 March 2023."
    assert md.count(nothing) == 1 + len(report["sections"])  # key points and every section
    assert "No significant developments" not in md
    assert txt.count(nothing) == 1 + len(report["sections"])
    assert html.count(nothing) == 1 + len(report["sections"])


def test_the_newest_earlier_dated_report_in_the_folder_is_the_previous_one(tmp_path):
    for name in ("2023-03-10-situation-report.json", "2023-03-13-situation-report.json",
                 "2023-03-13-other-title.md", "2023-03-14-situation-report.json", "notes.json"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert find_previous(tmp_path, dt.date(2023, 3, 14)).name == "2023-03-13-situation-report.json"
    assert find_previous(tmp_path, dt.date(2023, 3, 10)) is None
    assert find_previous(tmp_path / "missing", dt.date(2023, 3, 14)) is None


def test_an_unreadable_report_found_in_the_folder_is_passed_over(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "2023-03-13-situation-report.json").write_text("{not json", encoding="utf-8")
    result = generate(str(MULTI), "--date", "2023-03-14", "-f", "json", "-o", str(out))
    assert "not compared with" in result.stderr
    report = json.loads((out / "2023-03-14-situation-report.json").read_text(encoding="utf-8"))
    assert report["previous"] is None and statement_texts(report)


def test_a_bad_previous_report_given_is_a_one_line_error(tmp_path):
    bad = tmp_path / "old.json"
    bad.write_text('{"title": "x"}', encoding="utf-8")
    for given in (bad, tmp_path / "missing.json"):
        result = run_cli("generate", str(MULTI), "--date", "2023-03-15", "--previous", str(given), *ARGS, "-q")
        assert result.returncode == 2
        assert result.stderr.strip().count("\n") == 0 and str(given) in result.stderr


def test_report_json_round_trips_with_period_previous_and_conflicts(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(MULTI, folder)
    (folder / "2023-03-15-other.txt").write_text(
        "title: Other\nsource: Other Post\ndate: 2023-03-15\n\n"
        "Russian forces shelled Kharkiv overnight, killing eight civilians and wounding 12 others, "
        "regional governor Oleh Syniehubov said on Tuesday.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    generate(str(folder), "--date", "2023-03-14", "-f", "json", "-o", str(out))
    previous = load_previous(out / "2023-03-14-situation-report.json")
    articles = briefing.read_inputs([str(folder)])
    report = briefing.build_report(
        articles, briefing.Options(router="cues", backend="extractive", date=dt.date(2023, 3, 15),
                                   since=dt.date(2023, 3, 14), until=dt.date(2023, 3, 15)),
        previous=previous, dated_by={a.id: "article" for a in articles},
    )
    data = json.loads(render(report, "json"))
    assert data["period"] == {"since": "2023-03-14", "until": "2023-03-15", "articles": 4, "outlets": 3}
    assert data["previous"]["date"] == "2023-03-14"
    assert {s["dated_by"] for s in data["sources"]} == {"article"}
    assert data == briefing.report_to_dict(briefing.report_from_dict(data))
    # Without the previous report, seven, eight and nine killed in Kharkiv disagree, and all are kept.
    report = briefing.build_report(articles, briefing.Options(router="cues", backend="extractive"))
    data = json.loads(render(report, "json"))
    tolls = {next(w for w in ("seven", "eight", "nine") if w in c["text"]) for pair in data["conflicts"] for c in pair}
    assert len(data["conflicts"]) == 3 and tolls == {"seven", "eight", "nine"}
    kept = [t for t in statement_texts(data) if "Kharkiv" in t or "Kharkov" in t]
    assert len(kept) == 3
    assert data == briefing.report_to_dict(briefing.report_from_dict(data))
    again = briefing.report_from_dict(data)
    assert render(again, "md") == render(report, "md")
