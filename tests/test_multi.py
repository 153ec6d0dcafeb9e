"""Many articles, one report: inputs of every kind together, the date window, the sources list."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time

from conftest import CORPUS, DATA, corpus_articles, needs_corpus, run_cli

MULTI = DATA / "multi"
ARGS = ("--router", "cues", "--backend", "extractive")


def generate_json(*args: str, input: bytes | None = None) -> tuple[dict, str]:
    result = run_cli("generate", *args, *ARGS, "-f", "json", input=input)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def cited_sources(report: dict) -> set[int]:
    return {c["source"] for s in report["sections"] for st in s["statements"] for c in st["citations"]}


def test_files_a_folder_and_jsonl_records_make_one_report_listing_every_source(tmp_path):
    records = [
        {"title": "Record one", "source": "JSON Daily", "date": "2023-03-14", "url": "https://json.example/1",
         "text": "Ukrainian troops repelled 11 assaults near Marinka, the general staff said."},
        {"title": "Record two", "source": "JSON Daily", "date": "2023-03-14", "url": "https://json.example/2",
         "text": "The IMF approved a $15.6 billion loan to support Ukraine's budget and recovery."},
    ]
    jsonl = tmp_path / "wire.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "herald.txt").write_bytes((MULTI / "2023-03-14-kyiv-herald.txt").read_bytes())
    report, _ = generate_json(str(folder), str(MULTI / "2023-03-14-global-wire.txt"), str(jsonl),
                              "--date", "2023-03-14")
    sources = report["sources"]
    assert [s["number"] for s in sources] == [1, 2, 3, 4]
    assert {s["title"] for s in sources} >= {"Record one", "Record two"}
    assert {s["source"] for s in sources} == {"Kyiv Herald", "Global Wire", "JSON Daily"}
    for s in sources:
        assert s["date"] == "2023-03-14" and s["url"].startswith("https://") and s["dated_by"] == "article"
    # Citations point at the listed sources, and at every outlet.
    assert cited_sources(report) <= {s["number"] for s in sources}
    outlets = {sources[n - 1]["source"] for n in cited_sources(report)}
    assert outlets == {"Kyiv Herald", "Global Wire", "JSON Daily"}
    assert report["period"] == {"since": "2023-03-13", "until": "2023-03-14", "articles": 4, "outlets": 3}


def test_the_header_states_the_period_and_how_many_articles_and_outlets():
    result = run_cli("generate", str(MULTI), *ARGS, "--date", "2023-03-14", "-f", "md")
    assert result.returncode == 0, result.stderr
    assert "*Covers 13–14 March 2023 · 2 articles from 2 outlets · generated" in result.stdout
    # The third article (15 March) is outside the window: said once, on stderr and in the report.
    assert "left out 1 article dated outside 13–14 March 2023 (2023-03-15)" in result.stderr
    sources = result.stdout.split("## Sources")[1].split("---")[0]
    assert re.findall(r"^\d+\. ", sources, re.M) == ["1. ", "2. "]
    txt = run_cli("generate", str(MULTI), *ARGS, "--date", "2023-03-15", "-f", "txt")
    assert "Covers 14–15 March 2023 · 3 articles from 2 outlets" in txt.stdout


def test_since_and_until_choose_the_window():
    report, _ = generate_json(str(MULTI), "--since", "2023-03-15", "--until", "2023-03-15")
    assert [s["date"] for s in report["sources"]] == ["2023-03-15"]
    assert report["period"]["since"] == report["period"]["until"] == "2023-03-15"
    report, _ = generate_json(str(MULTI), "--since", "2023-03-01", "--date", "2023-03-31")
    assert len(report["sources"]) == 3


def test_a_window_chosen_with_no_article_in_it_is_an_error_naming_the_dates():
    result = run_cli("generate", str(MULTI), *ARGS, "--since", "2023-04-01", "--until", "2023-04-02")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "no article is dated 1–2 April 2023" in result.stderr
    assert "2023-03-14 and 2023-03-15" in result.stderr
    result = run_cli("generate", str(MULTI), *ARGS, "--since", "2023-04-02", "--until", "2023-04-01")
    assert result.returncode == 3 and "is after" in result.stderr


def test_a_date_with_no_article_covers_all_and_says_so():
    report, stderr = generate_json(str(MULTI), "--date", "2023-04-20")
    assert len(report["sources"]) == 3
    notice = next(n for n in report["notices"] if n.startswith("no article is dated"))
    assert notice.startswith("no article is dated 19–20 April 2023, so the report covers all 3 articles, "
                             "dated 2023-03-14 and 2023-03-15")
    assert notice in stderr
    assert report["period"]["since"] == "2023-03-14" and report["period"]["until"] == "2023-03-15"


def test_without_a_date_old_articles_make_a_report_quietly():
    result = run_cli("generate", str(MULTI), *ARGS, "-f", "md")  # today: no article is that recent
    assert result.returncode == 0 and result.stderr == ""
    assert "*Covers 14–15 March 2023 · 3 articles from 2 outlets ·" in result.stdout
    assert "Notice" not in result.stdout


def test_undated_articles_take_their_file_time_and_the_json_says_so(tmp_path):
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("Russian forces shelled the town overnight, killing two civilians, officials said.\n",
                   encoding="utf-8")
    new.write_text("Ukrainian troops repelled 11 assaults near Marinka, the general staff said.\n", encoding="utf-8")
    day = dt.datetime(2023, 3, 14, 12, 0)
    os.utime(new, (time.time(), day.timestamp()))
    os.utime(old, (time.time(), (day - dt.timedelta(days=30)).timestamp()))
    report, stderr = generate_json(str(old), str(new), "--date", "2023-03-14")
    (source,) = report["sources"]
    assert source["path"].endswith("new.txt")
    assert source["date"] == "2023-03-14" and source["dated_by"] == "file modified"
    assert "left out 1 article dated outside 13–14 March 2023 (2023-02-12)" in stderr
    md = run_cli("generate", str(new), *ARGS, "--date", "2023-03-14").stdout
    assert "14 March 2023 (file date)" in md.split("## Sources")[1]


def test_an_article_from_stdin_without_a_date_is_kept():
    text = "Ukrainian troops repelled 11 assaults near Marinka, the general staff said.\n".encode()
    report, _ = generate_json("-", str(MULTI), "--date", "2023-03-14", input=text)
    stdin = next(s for s in report["sources"] if s["path"] == "stdin")
    assert stdin["date"] is None and stdin["dated_by"] is None
    assert len(report["sources"]) == 3


def test_no_input_at_all_is_an_error():
    result = run_cli("generate", *ARGS)
    assert result.returncode == 2 and "no input given" in result.stderr


# --- the corpus ---------------------------------------------------------------------------------


@needs_corpus
def test_corpus_report_for_a_day_cites_several_outlets():
    report, stderr = generate_json(str(CORPUS), "--date", "2022-04-10")
    assert report["period"]["since"] == "2022-04-09" and report["period"]["until"] == "2022-04-10"
    assert report["period"]["outlets"] >= 2
    outlets = {report["sources"][n - 1]["source"] for n in cited_sources(report)}
    assert len(outlets) >= 2, outlets
    assert f"left out {len(corpus_articles()) - len(report['sources'])} articles" in stderr


@needs_corpus
def test_corpus_fact_told_by_two_outlets_appears_once_with_both_citations():
    # The ICC's warrant for Putin: told by a UK outlet (27 June 2023) and CNN (27 July 2023).
    report, _ = generate_json(str(CORPUS), "--since", "2023-06-27", "--until", "2023-07-27")
    telling = [st for s in report["sections"] for st in s["statements"] if "warrant" in st["text"]]
    assert len(telling) == 1
    (statement,) = telling
    assert statement["outlets"] == 2 and len(statement["citations"]) == 2
    texts = [c["text"] for c in statement["citations"]]
    assert any("Lvova-Belova" in t for t in texts) and any("deportation of Ukrainian children" in t for t in texts)


def test_respelled_place_names_are_declared_and_citations_stay_verbatim(tmp_path):
    import briefing
    from briefing.dedupe import RESPELLED_NOTE

    texts = {
        "a.txt": "Russian forces shelled Kiev overnight and struck an energy facility, officials said.",
        "b.txt": "Drones attacked Kyiv at dawn, damaging homes in two districts, the mayor said.",
        "c.txt": "Air defences over Kyiv shot down most of the missiles, the military said.",
    }
    for name, body in texts.items():
        (tmp_path / name).write_text(f"title: {name}\nsource: Outlet {name}\ndate: 2023-03-30\n\n{body}\n")
    report = briefing.build_report(
        briefing.read_inputs([tmp_path]),
        briefing.Options(router="cues", backend="extractive", date=__import__("datetime").date(2023, 3, 30)),
    )
    battlefield = report.briefs[0]
    shelled = [s for s in battlefield.statements if "shelled" in s.text]
    assert shelled and "Kyiv" in shelled[0].text and "Kiev" not in shelled[0].text
    assert "Kiev" in shelled[0].sources[0].text  # the citation keeps the source's own words
    assert RESPELLED_NOTE in battlefield.notes
