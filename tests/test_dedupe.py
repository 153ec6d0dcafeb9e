"""One fact told by several articles is reported once, citing every article; place names unified.

Reports are built through the real pipeline (read, split, route by cue words, merge, condense
extractively) on the crafted pair in tests/data/multi/ and on small articles the tests write.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import briefing
from briefing.dedupe import CONFLICT, DIFFERENT, compare, fingerprint, outlet_key, same_fact
from briefing.places import load_places
from briefing.render import render
from conftest import DATA, run_cli
from test_render import check_html_links, check_markdown_footnotes

MULTI = DATA / "multi"
DAY_ONE = sorted(MULTI.glob("2023-03-14-*.txt"))


def article(folder: Path, name: str, source: str, *paragraphs: str, date: str = "2023-03-14") -> Path:
    path = folder / name
    body = "\n\n".join(paragraphs)
    path.write_text(f"title: {name}\nsource: {source}\ndate: {date}\n\n{body}\n", encoding="utf-8")
    return path


def build(*paths: Path, **options) -> briefing.Report:
    articles = briefing.read_inputs([str(p) for p in paths])
    return briefing.build_report(articles, briefing.Options(router="cues", backend="extractive", **options))


def statements(report: briefing.Report):
    return [(b.section.key, st) for b in report.briefs for st in b.statements]


def outlets_of(report: briefing.Report, statement) -> set[str]:
    by_id = {s.article.id: s.article.source for s in report.sources}
    return {by_id[s.article_id] for s in statement.sources}


# --- acceptance: the same facts in two differently worded articles ---------------------------------


def test_same_facts_in_two_differently_worded_articles_appear_once_with_both_citations():
    report = build(*DAY_ONE)
    found = statements(report)
    shared = {
        "shelled": "battlefield",  # Kharkiv / Kharkov, "killing seven" / "Seven civilians were killed"
        "cruise missiles": "battlefield",
        "Patriot": "diplomacy",
        "World Bank": "reconstruction",
    }
    for cue, section in shared.items():
        telling = [(key, st) for key, st in found if cue in st.text]
        assert len(telling) == 1, f"'{cue}' told {len(telling)} times: {[st.text for _, st in telling]}"
        key, statement = telling[0]
        assert key == section
        assert outlets_of(report, statement) == {"Kyiv Herald", "Global Wire"}
        assert len(statement.sources) == 2
    # Facts only one outlet told are there too, with their one citation.
    single = [st for _, st in found if "Odesa" in st.text or "Wagner" in st.text]
    assert len(single) == 2 and all(len(st.sources) == 1 for st in single)
    # Nothing is said twice anywhere in the report.
    texts = [st.text for _, st in found]
    assert len(texts) == len(set(texts))


def test_merged_fact_renders_once_with_both_footnotes_and_its_outlet_count():
    report = build(*DAY_ONE)
    md = render(report, "md")
    battlefield = md.split("## Battlefield")[1].split("## Diplomacy")[0]
    line = next(x for x in battlefield.splitlines() if "cruise missiles" in x)
    assert len(re.findall(r"\[\^\d+-\d+\]", line)) == 2 and "*(2 outlets)*" in line
    assert battlefield.count("cruise missiles") == 1
    data = json.loads(render(report, "json"))
    merged = next(st for s in data["sections"] for st in s["statements"] if "cruise missiles" in st["text"])
    assert merged["outlets"] == 2 and {c["source"] for c in merged["citations"]} == {1, 2}
    check_markdown_footnotes(md)
    check_html_links(render(report, "html"))


def test_a_fact_told_by_two_outlets_ranks_above_single_source_claims(tmp_path):
    strong = [
        "Russian forces launched 48 drones and 12 missiles at Kyiv overnight, killing 3 people, officials said.",
        "Ukraine's army said it destroyed 9 Russian tanks and 14 armoured vehicles near Avdiivka on Monday.",
        "A Russian missile strike on Zaporizhzhia destroyed 12 apartment blocks, regional officials said.",
    ]
    told_twice = ("Shelling damaged a water station in Nikopol, the regional governor said.",
                  "A water station in Nikopol was damaged by shelling, according to the regional governor.")
    a = article(tmp_path, "a.txt", "Outlet A", *strong, told_twice[0])
    b = article(tmp_path, "b.txt", "Outlet B", told_twice[1], "Ukrainian soldiers repelled an assault near Bakhmut.")
    report = build(a, b, key_points=1)
    (point,) = report.key_points
    assert "water station in Nikopol" in point.statement.text
    assert outlets_of(report, point.statement) == {"Outlet A", "Outlet B"}
    battlefield = next(b for b in report.briefs if b.section.key == "battlefield")
    ranked = sorted(battlefield.statements, key=lambda st: -st.weight)
    assert "Nikopol" in ranked[0].text


def test_single_source_claim_keeps_its_attribution():
    report = build(*DAY_ONE)
    claim = next(st for _, st in statements(report) if "Artemivsk" in st.text or "Bakhmut" in st.text)
    assert claim.text.startswith("According to Wagner's chief, Yevgeny Prigozhin,")
    assert len(claim.sources) == 1


def test_representative_is_the_attributed_wording(tmp_path):
    a = article(tmp_path, "a.txt", "Outlet A", "Russian troops shelled the town of Vovchansk, wounding 4 people.")
    b = article(tmp_path, "b.txt", "Outlet B",
                "Russian troops shelled the town of Vovchansk, wounding 4 people, the regional governor said.")
    report = build(a, b)
    (statement,) = [st for _, st in statements(report) if "Vovchansk" in st.text]
    assert statement.text.endswith("the regional governor said.")
    assert len(statement.sources) == 2


# --- what is not the same fact ---------------------------------------------------------------------


def test_conflicting_figures_both_survive_and_are_flagged(tmp_path):
    a = article(tmp_path, "a.txt", "Outlet A",
                "Russian shelling of Kramatorsk killed seven civilians on Tuesday, the regional governor said.")
    b = article(tmp_path, "b.txt", "Outlet B",
                "Russian shelling of Kramatorsk killed nine civilians on Tuesday, the regional governor said.")
    report = build(a, b)
    telling = [st for _, st in statements(report) if "Kramatorsk" in st.text]
    assert sorted(st.text.split(" killed ")[1].split()[0] for st in telling) == ["nine", "seven"]
    assert all(len(st.sources) == 1 for st in telling)
    assert len(report.conflicts) == 1
    md = render(report, "md")
    flagged = [line for line in md.splitlines() if "Kramatorsk" in line and "Figures differ from" in line]
    assert len(flagged) >= 2  # each side points at the other
    data = json.loads(render(report, "json"))
    assert len(data["conflicts"]) == 1 and {c["source"] for c in data["conflicts"][0]} == {1, 2}
    assert "figures differ from" in render(report, "txt")
    html = render(report, "html")
    assert 'class="conflict"' in html
    check_html_links(html)  # "Figures differ from [2.1]" links to the other sentence
    check_markdown_footnotes(md)


def test_alike_sentences_about_different_places_or_negated_are_not_merged():
    places = load_places()
    assert not same_fact("Russian forces shelled Kharkiv overnight, killing two civilians, officials said.",
                         "Russian forces shelled Kherson overnight, killing two civilians, officials said.", places)
    assert not same_fact("Germany will send Ukraine more Leopard tanks this spring, the chancellor said.",
                         "Germany will not send Ukraine more Leopard tanks this spring, the chancellor said.", places)
    verdict, _ = compare(fingerprint("Shelling killed 7 people in Sumy and wounded 12, officials said.", places),
                         fingerprint("Shelling killed 9 people in Sumy and wounded 12, officials said.", places))
    assert verdict == CONFLICT
    verdict, _ = compare(fingerprint("Shelling killed 7 people in Sumy, officials said.", places),
                         fingerprint("Shelling killed 7 people in Sumy and wounded 12, officials said.", places))
    assert verdict == DIFFERENT  # one tells more: neither the same nor a contradiction


def test_figures_written_differently_are_the_same():
    assert same_fact("The EU approved a €50bn aid package for Ukraine, officials said in Brussels.",
                     "Officials in Brussels said the EU approved a €50 billion aid package for Ukraine.")
    assert same_fact("Seven people were killed in the strike on Sumy, officials said.",
                     "Officials said 7 people were killed in the strike on Sumy.", load_places())


def test_same_outlet_twice_is_not_corroboration(tmp_path):
    text = "A Russian drone strike hit an ammunition depot near Novorossiysk, causing a large fire, officials said."
    a = article(tmp_path, "a.txt", "Global Wire", text)
    b = article(tmp_path, "b.txt", "Global Wire (via partner site)", text.replace("causing", "which caused"))
    report = build(a, b)
    data = json.loads(render(report, "json"))
    merged = next(st for s in data["sections"] for st in s["statements"] if "Novorossiysk" in st["text"])
    assert len(merged["citations"]) == 2 and merged["outlets"] == 1
    assert data["period"]["outlets"] == 1
    assert outlet_key(report.sources[0].article) == outlet_key(report.sources[1].article) == "global wire"


# --- place names ----------------------------------------------------------------------------------


def test_place_name_variants_match_and_the_majority_spelling_is_used(tmp_path):
    a = article(tmp_path, "a.txt", "Outlet A",
                "Russian troops shelled Artyomovsk from three sides overnight, the Ukrainian army said.",
                "Air raid sirens sounded across Kiev for two hours before a missile strike at dawn.")
    b = article(tmp_path, "b.txt", "Outlet B",
                "Russian troops shelled Bakhmut from three sides overnight, the Ukrainian army said.",
                "Kiev's mayor said a drone strike hit a power station.")
    c = article(tmp_path, "c.txt", "Outlet C",
                "Artillery duels continued near Artemivsk as troops dug new trenches, a Kyiv official said.",
                "In Kiev, “Kyiv will never fall,” the mayor told reporters after the drone strike.")
    report = build(a, b, c)
    (shelled,) = [st for _, st in statements(report) if "from three sides" in st.text]
    assert len(shelled.sources) == 2
    # Bakhmut: one source each for Artyomovsk, Bakhmut and Artemivsk, a tie: the data file's first name.
    assert "shelled Bakhmut" in shelled.text
    # Kyiv: two sources write Kiev, one Kyiv; quotations stay as written.
    texts = " ".join(st.text for _, st in statements(report))
    assert "continued near Bakhmut as troops dug new trenches, a Kiev official said." in texts
    quoted = [st.text for _, st in statements(report) if "never fall" in st.text]
    for text in quoted:
        assert "“Kyiv will never fall,”" in text and text.startswith("In Kiev,")
    # The footnotes still quote every source exactly.
    md = render(report, "md")
    assert "Source 1, sentence 1: Russian troops shelled Artyomovsk" in md or \
        "Source 2, sentence 1: Russian troops shelled Bakhmut" in md


def test_users_extend_the_place_names(tmp_path, briefing_home):
    a = article(tmp_path, "a.txt", "Outlet A", "Russian forces captured the village of Krynky after heavy fighting, the army said.")
    b = article(tmp_path, "b.txt", "Outlet B", "Russian forces captured the village of Krinki after heavy fighting, the army said.")
    (alone,) = [st for _, st in statements(build(a, b)) if "village" in st.text]
    assert len(alone.sources) == 1  # two places as far as briefing knows (the second was a repeat to the condenser)
    (briefing_home / "prompts").mkdir()
    (briefing_home / "prompts" / "_places.txt").write_text("# mine\nKrynky | Krinki\n", encoding="utf-8")
    merged = [st for _, st in statements(build(a, b)) if "village" in st.text]
    assert len(merged) == 1 and len(merged[0].sources) == 2
    places = load_places()
    assert places.normalise("Kiev and Krinki") == "Kyiv and Krynky"  # the package's names are still there


def test_a_bad_places_file_is_a_config_error(tmp_path, briefing_home):
    (briefing_home / "prompts").mkdir()
    (briefing_home / "prompts" / "_places.txt").write_text("Kyiv | <script>\n", encoding="utf-8")
    a = article(tmp_path, "a.txt", "Outlet A", "Russian forces shelled the city overnight, officials said.")
    result = run_cli("generate", str(a), "--router", "cues", "--backend", "extractive", "--date", "2023-03-14")
    assert result.returncode == 3
    assert "_places.txt, line 1" in result.stderr and "not a place name" in result.stderr


def test_a_quotation_standing_for_several_sources_keeps_its_speaker():
    """The speaker of an unattributed quotation shows even when other outlets' sentences are cited with it."""
    report = build(*DAY_ONE)
    brief = next(b for b in report.briefs if b.section.key == "diplomacy")
    statement = brief.statements[0]
    first, *others = statement.sources
    assert others, "the diplomacy statement cites both outlets"
    spoken = dataclasses.replace(first, speaker="Anna Example")
    brief.statements[0] = dataclasses.replace(statement, sources=(spoken, *others))
    md = render(report, "md")
    line = next(x for x in md.split("## Diplomacy")[1].splitlines() if x.startswith("- "))
    assert line.startswith("- Anna Example: “") and "*(2 outlets)*" in line
