"""Rendering: what an analyst reads in Markdown, HTML and text, and where the files go.

Reports are built through the real pipeline (read, split, route by cue words, condense
extractively) on the seed and on small articles written by the tests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import briefing
from briefing.condense import NO_DEVELOPMENTS, Brief, Statement
from briefing.files import write_all_atomic
from briefing.render import context, markdown_escape, output_paths, write_reports
from briefing.text import Sentence
from conftest import SEED, corpus_articles, needs_corpus, run_cli

DAY = dt.date(2023, 3, 30)
SECTION_TITLES = ("Battlefield", "Diplomacy", "Reconstruction")

# Only battlefield cue words: diplomacy and reconstruction get nothing.
BATTLE_ONLY = """\
title: Overnight shelling near the front line
source: The Test Gazette
date: 2023-03-29
url: https://example.org/news/shelling?id=1&lang=en

Russian forces shelled the town overnight, killing two civilians and wounding five soldiers.

Ukrainian troops repelled 12 assaults near the front line, the military said.

A drone strike hit an ammunition depot behind Russian lines, causing a large explosion.
"""

HOSTILE = """\
title: Attack on <i>Kherson</i> <script>alert(1)</script>
source: The <b>Test</b> Gazette
date: 2023-03-29
url: javascript:alert(1)

Russian forces shelled the town <script>alert(1)</script> overnight, killing two civilians.

Ukrainian troops repelled <b>12 assaults</b> near the front line, the military said.

A drone strike hit an ammunition depot [behind](http://evil.example) Russian lines *causing* a fire | smoke.
"""


def build(*paths: Path, **options) -> briefing.Report:
    articles = briefing.read_inputs([str(p) for p in paths])
    return briefing.build_report(articles, briefing.Options(router="cues", date=DAY, **options))


def shown(sentence: Sentence) -> str:
    """A cited sentence as the report quotes it: 'Speaker: “…”' for an unattributed quotation."""
    speaker = getattr(sentence, "speaker", None)
    return f"{speaker}: {sentence.text}" if speaker else sentence.text


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory) -> briefing.Report:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEFING_HOME", str(tmp_path_factory.mktemp("home")))
        return build(SEED)


# --- reading rendered output -----------------------------------------------------------------


class Page(HTMLParser):
    """The parts of an HTML report the tests look at: ids, in-page links, tags, text by id."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (href, link text)
        self.tags: list[str] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self._href: str | None = None
        self._link_text = ""
        self._collect: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
            self._collect[attrs["id"]] = []
        if tag == "a":
            self._href, self._link_text = attrs.get("href"), ""
        if tag not in ("meta", "br", "img", "link", "input"):
            self._open.append((tag, attrs.get("id")))

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._link_text))
            self._href = None
        while self._open:
            name, ident = self._open.pop()
            if ident is not None:
                self.text_by_id[ident] = " ".join("".join(self._collect.pop(ident)).split())
            if name == tag:
                break

    def handle_data(self, data):
        if self._href is not None:
            self._link_text += data
        for parts in self._collect.values():
            parts.append(data)


def md_section(md: str, title: str) -> str:
    """The body of one '## title' section of a Markdown report."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |^---$)", md, re.M | re.S)
    assert match, f"no '## {title}' section"
    return match.group(1).strip()


def txt_block(txt: str, heading: str) -> str:
    """The lines under an upper-case heading of the text report, up to the next blank line."""
    match = re.search(rf"^{re.escape(heading)}\n(.*?)(?:\n\n|\Z)", txt, re.M | re.S)
    assert match, f"no {heading} block"
    return match.group(1)


def check_markdown_footnotes(md: str) -> None:
    refs = set(re.findall(r"\[\^([^\]]+)\](?!:)", md))
    defs = re.findall(r"^\[\^([^\]]+)\]:", md, re.M)
    assert refs, "no footnote references"
    assert len(defs) == len(set(defs)), "a footnote is defined twice"
    assert refs == set(defs), f"unmatched footnotes: {refs ^ set(defs)}"


def check_html_links(html: str) -> Page:
    page = Page(html)
    targets = [href[1:] for href, _ in page.links if href and href.startswith("#")]
    assert targets, "no citation links"
    missing = sorted({t for t in targets if t not in page.ids})
    assert missing == [], f"links to missing ids: {missing}"
    return page


def check_text_width(txt: str, width: int = 78) -> None:
    long = [line for line in txt.splitlines() if len(line) > width and " " in line.strip()]
    assert long == [], f"lines over {width} columns: {long}"


# --- citations ---------------------------------------------------------------------------------


def test_markdown_footnotes_resolve_and_quote_the_one_based_sentence(seed_report):
    md = briefing.render(seed_report, "md")
    check_markdown_footnotes(md)
    for brief in seed_report.briefs:
        for statement in brief.statements:
            (sentence,) = statement.sources
            label = f"1-{sentence.index + 1}"
            item = next(line for line in md.splitlines() if line.startswith("- ") and f"[^{label}]" in line)
            assert markdown_escape(statement.text) in item
            definition = f"[^{label}]: Source 1, sentence {sentence.index + 1}: {markdown_escape(shown(sentence))}"
            assert definition in md.splitlines()


def test_html_citation_links_point_at_the_cited_sentence(seed_report):
    html = briefing.render(seed_report, "html")
    page = check_html_links(html)
    cites = [(href, text) for href, text in page.links if href.startswith("#c-")]
    for brief in seed_report.briefs:
        for statement in brief.statements:
            (sentence,) = statement.sources
            ref = f"1.{sentence.index + 1}"
            assert (f"#c-1-{sentence.index + 1}", f"[{ref}]") in cites
            assert page.text_by_id[f"c-1-{sentence.index + 1}"] == f"[{ref}] {' '.join(shown(sentence).split())}"
    # Every listed sentence is cited somewhere, and each list entry links to its source.
    listed = {i for i in page.ids if i.startswith("c-")}
    assert listed == {href[1:] for href, _ in cites}
    assert "source-1" in page.ids


def test_text_citations_resolve_and_lines_fit_78_columns(seed_report):
    txt = briefing.render(seed_report, "txt")
    check_text_width(txt)
    body, _, appendix = txt.partition("\nCITED SENTENCES\n")
    used = set(re.findall(r"\[(\d+\.\d+)\]", body))
    listed = re.findall(r"^  \[(\d+\.\d+)\] ", appendix, re.M)
    assert used and used == set(listed)
    first = next(s for b in seed_report.briefs for st in b.statements for s in st.sources)
    assert f"  [1.{first.index + 1}] {first.text[:40]}" in appendix


def test_every_statement_and_key_point_is_cited(seed_report):
    md = briefing.render(seed_report, "md")
    statements = [line for line in md.split("**How this report was made**")[0].splitlines() if line.startswith("- ")]
    assert len(statements) == len(seed_report.key_points) + sum(len(b.statements) for b in seed_report.briefs)
    assert all(re.search(r"\[\^\d+-\d+\]", line) for line in statements)
    for fmt in ("md", "html", "txt"):
        assert "no source" not in briefing.render(seed_report, fmt)


# --- content -------------------------------------------------------------------------------------


def test_report_has_title_date_key_points_sections_figures_sources_and_footer(seed_report):
    md = briefing.render(seed_report, "md")
    assert md.startswith("# Situation report — 30 March 2023\n")
    assert 3 <= len(md_section(md, "Key points").splitlines()) <= 5
    for title in SECTION_TITLES:
        assert md_section(md, title).startswith("- ")
    assert "## Key figures" in md and "## Sources" in md
    version = briefing.__version__
    for fmt in ("md", "html", "txt"):
        out = briefing.render(seed_report, fmt)
        assert out.count("extractive — sentences quoted verbatim from the sources") == 3, fmt
        assert f"by briefing {version}" in out and "cue words" in out
        stamp = seed_report.generated_at.astimezone(dt.timezone.utc).strftime("%H:%M UTC")
        assert stamp in out, fmt


def test_empty_section_says_no_significant_developments(tmp_path):
    report = build(write(tmp_path, "battle.txt", BATTLE_ONLY))
    assert [b.section.key for b in report.briefs if b.statements] == ["battlefield"]
    md = briefing.render(report, "md")
    assert md_section(md, "Diplomacy") == NO_DEVELOPMENTS
    assert md_section(md, "Reconstruction") == NO_DEVELOPMENTS
    assert NO_DEVELOPMENTS not in md_section(md, "Battlefield")
    assert "- Diplomacy: nothing was routed to this section." in md

    page = Page(briefing.render(report, "html"))
    assert page.text_by_id["section-diplomacy"] == f"Diplomacy {NO_DEVELOPMENTS}"
    assert page.text_by_id["section-reconstruction"] == f"Reconstruction {NO_DEVELOPMENTS}"

    txt = briefing.render(report, "txt")
    assert txt_block(txt, "DIPLOMACY") == f"  {NO_DEVELOPMENTS}"
    assert txt_block(txt, "RECONSTRUCTION") == f"  {NO_DEVELOPMENTS}"


def test_key_figures_give_value_what_it_counts_and_source_sentence(seed_report):
    figure = next(f for f in seed_report.figures if f.value == "$14 billion")
    sentence = figure.source.text
    md = briefing.render(seed_report, "md")
    row = next(line for line in md.splitlines() if line.startswith("| **$14 billion**"))
    assert f"| {markdown_escape(figure.counts)} |" in row
    assert f"{markdown_escape(sentence)}[^1-{figure.source.index + 1}] |" in row

    html = briefing.render(seed_report, "html")
    before, _, after = sentence.partition("$14 billion")
    assert f'<td class="figure">$14 billion</td>' in html
    assert f"{before}<strong>$14 billion</strong>{after}" in html

    txt = briefing.render(seed_report, "txt")
    block = txt_block(txt, "KEY FIGURES")
    assert re.search(rf"^  \$14 billion +{re.escape(figure.counts)} \(Reconstruction\) \[1\.{figure.source.index + 1}\]$", block, re.M)


def test_sources_list_outlet_date_title_and_link(tmp_path, seed_report):
    report = build(write(tmp_path, "battle.txt", BATTLE_ONLY))
    url = "https://example.org/news/shelling?id=1&lang=en"
    md = briefing.render(report, "md")
    assert f"1. The Test Gazette, 29 March 2023 — Overnight shelling near the front line <{url}>" in md
    html = briefing.render(report, "html")
    assert '<span class="outlet">The Test Gazette</span>, 29 March 2023 — ' in html
    assert f'<a href="{url.replace("&", "&amp;")}">Overnight shelling near the front line</a>' in html
    txt = briefing.render(report, "txt")
    assert "  [1] The Test Gazette, 29 March 2023 — Overnight shelling near the front line\n" in txt
    assert f"\n      {url}\n" in txt
    # A source without outlet or date says so rather than leaving a gap.
    assert "(outlet and date not given)" in briefing.render(seed_report, "md")


def test_unattributed_quotation_shows_its_speaker(seed_report):
    """A quotation with no attribution inside it reads 'Speaker: “…”' wherever it is shown.

    The speaker is set here (a name the article does not use), so the test is about rendering,
    not about how the splitter finds speakers."""
    quote = next(s for b in seed_report.briefs for st in b.statements for s in st.sources
                 if s.text.startswith("“The enemy is using"))
    if "speaker" in {f.name for f in dataclasses.fields(Sentence)}:
        spoken = dataclasses.replace(quote, speaker="Anna Example")
    else:  # until Sentence carries the speaker itself
        @dataclasses.dataclass(frozen=True)
        class SpokenSentence(Sentence):
            speaker: str | None = None

        spoken = SpokenSentence(**{f.name: getattr(quote, f.name) for f in dataclasses.fields(Sentence)},
                                speaker="Anna Example")
    report = dataclasses.replace(seed_report, briefs=[dataclasses.replace(b) for b in seed_report.briefs])
    for brief in report.briefs:
        brief.statements = [
            dataclasses.replace(st, sources=(spoken,)) if st.sources == (quote,) else st for st in brief.statements
        ]
    report.key_points = [
        dataclasses.replace(p, statement=dataclasses.replace(p.statement, sources=(spoken,)))
        if p.statement.sources == (quote,) else p
        for p in report.key_points
    ]
    n = quote.index + 1
    md = briefing.render(report, "md")
    assert f"- Anna Example: {markdown_escape(quote.text)}[^1-{n}]" in md
    assert f"[^1-{n}]: Source 1, sentence {n}: Anna Example: {markdown_escape(quote.text)}" in md
    html = briefing.render(report, "html")
    assert f'<li><span class="speaker">Anna Example:</span> {quote.text} <a class="cite" href="#c-1-{n}"' in html
    txt = briefing.render(report, "txt")
    assert "- Anna Example: “The enemy is using" in txt
    for out in (md, html, txt):
        assert "““" not in out and "””" not in out
    # A statement that is not the quotation verbatim (a model's paraphrase) gets no speaker prefix.
    brief = next(b for b in report.briefs if any(st.sources == (spoken,) for st in b.statements))
    brief.statements = [Statement("Russia attacks Bakhmut 40 to 50 times a day.", (spoken,))]
    html = briefing.render(report, "html")
    assert "<li>Russia attacks Bakhmut 40 to 50 times a day." in html


def test_footer_states_model_notes_and_dropped_statements(seed_report):
    report = dataclasses.replace(seed_report, briefs=[dataclasses.replace(b) for b in seed_report.briefs])
    first = report.briefs[0]
    report.briefs[0] = Brief(first.section, first.statements, "seq2seq", model="tiny-bart",
                             dropped=[{"text": "Russia took 90% of Bakhmut.", "reason": "90% not in the sources"}])
    second = report.briefs[1]
    report.briefs[1] = Brief(second.section, second.statements, "extractive",
                             notes=["model tiny-bart could not be loaded; condensed extractively"])
    md = briefing.render(report, "md")
    assert ("- Battlefield: condensed by a local seq2seq model (model tiny-bart). 1 generated statement was "
            "left out because the sources did not support it.") in md
    assert ("- Diplomacy: extractive — sentences quoted verbatim from the sources. "
            "model tiny-bart could not be loaded; condensed extractively.") in md
    txt = briefing.render(report, "txt")
    check_text_width(txt)
    assert "Battlefield: condensed by a local seq2seq model (model tiny-bart)." in txt
    html = briefing.render(report, "html")
    assert "<strong>Battlefield:</strong> condensed by a local seq2seq model (model tiny-bart)." in html


def test_json_is_the_report_data(seed_report):
    data = json.loads(briefing.render(seed_report, "json"))
    assert data == json.loads(json.dumps(briefing.report_to_dict(seed_report)))
    assert [s["title"] for s in data["sections"]] == list(SECTION_TITLES)


# --- escaping --------------------------------------------------------------------------------------


def test_article_markup_is_text_in_html(tmp_path):
    report = build(write(tmp_path, "hostile.txt", HOSTILE))
    html = briefing.render(report, "html")
    page = check_html_links(html)
    assert "script" not in page.tags and "b" not in page.tags and "i" not in page.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;12 assaults&lt;/b&gt;" in html
    assert "<title>Situation report — 30 March 2023</title>" in html
    assert "Attack on &lt;i&gt;Kherson&lt;/i&gt;" in html
    assert "javascript:" not in html  # a non-web URL is never a link
    assert not any(href.startswith("http://evil") for href, _ in page.links)


def test_article_markup_is_escaped_text_in_markdown(tmp_path):
    report = build(write(tmp_path, "hostile.txt", HOSTILE))
    md = briefing.render(report, "md")
    assert "<script>" not in md and "<b>" not in md
    assert r"\<script\>alert(1)\</script\>" in md
    assert r"\[behind\](http://evil.example)" in md and r"\*causing\*" in md
    assert "fire \\| smoke" in md
    assert "javascript:" not in md
    markdown_it = pytest.importorskip("markdown_it")
    shown = markdown_it.MarkdownIt("commonmark").enable("table").render(md)
    assert "<script>" not in shown and "<b>" not in shown and "<em>causing" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert 'href="http://evil.example"' not in shown


def test_markdown_escape_keeps_text_literal():
    assert markdown_escape("2022. The war") == "2022\\. The war"
    assert markdown_escape("- not a list") == "\\- not a list"
    assert markdown_escape("$14bn-$20bn") == "\\$14bn-\\$20bn"  # no $…$ maths
    assert markdown_escape("$14 billion") == "$14 billion"
    assert markdown_escape("AT&T &amp; co") == "AT&T \\&amp; co"
    assert markdown_escape("two\nlines") == "two lines"


def test_plain_text_keeps_article_text_as_written(tmp_path):
    txt = briefing.render(build(write(tmp_path, "hostile.txt", HOSTILE)), "txt")
    assert "<script>alert(1)</script>" in txt
    check_text_width(txt)


# --- output files -----------------------------------------------------------------------------------


def test_output_paths_folder_gets_dated_names(tmp_path):
    paths = output_paths(tmp_path, ["md", "html", "txt", "json"], DAY)
    assert [p.name for p in paths.values()] == [
        "2023-03-30-situation-report.md", "2023-03-30-situation-report.html",
        "2023-03-30-situation-report.txt", "2023-03-30-situation-report.json",
    ]
    assert output_paths(tmp_path / "new" / "reports", ["md"], DAY, "Morning brief")["md"].name == (
        "2023-03-30-morning-brief.md"
    )
    assert output_paths(tmp_path / "today.md", ["md"], DAY) == {"md": tmp_path / "today.md"}
    assert output_paths(tmp_path / "today.md", ["md", "html"], DAY) == {
        "md": tmp_path / "today.md", "html": tmp_path / "today.html",
    }
    with pytest.raises(briefing.ConfigError, match="format is html"):
        output_paths(tmp_path / "today.md", ["html"], DAY)


def test_write_reports_writes_every_format_and_no_temp_files(tmp_path, seed_report):
    out = tmp_path / "reports"
    written = write_reports(seed_report, ["md", "html", "txt", "json"], out)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written) == [
        "2023-03-30-situation-report.html", "2023-03-30-situation-report.json",
        "2023-03-30-situation-report.md", "2023-03-30-situation-report.txt",
    ]
    assert (out / "2023-03-30-situation-report.md").read_text(encoding="utf-8") == briefing.render(seed_report, "md")


def test_failed_render_writes_no_file(tmp_path, seed_report):
    templates = tmp_path / "templates"
    templates.mkdir()
    write(templates, "report.html.j2", "{{ casualties }}\n")
    out = tmp_path / "reports"
    with pytest.raises(briefing.ConfigError, match="casualties"):
        write_reports(seed_report, ["md", "html"], out, templates)
    assert not out.exists() or list(out.iterdir()) == []


def test_failed_write_leaves_no_file_and_no_temp_file(tmp_path):
    good = tmp_path / "report.md"
    bad = tmp_path / ("x" * 300 + ".html")  # a name the file system refuses
    with pytest.raises(briefing.DeliveryError, match="cannot write"):
        write_all_atomic({good: "report", bad: "report"})
    assert list(tmp_path.iterdir()) == []


def test_a_folder_in_the_way_is_an_error_before_anything_is_written(tmp_path, seed_report):
    (tmp_path / "2023-03-30-situation-report.html").mkdir()
    with pytest.raises(briefing.DeliveryError, match="is a folder"):
        write_reports(seed_report, ["md", "html"], tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["2023-03-30-situation-report.html"]


def test_existing_report_is_replaced_whole(tmp_path, seed_report):
    target = tmp_path / "report.md"
    target.write_text("old report\n", encoding="utf-8")
    write_reports(seed_report, ["md"], target)
    assert target.read_text(encoding="utf-8") == briefing.render(seed_report, "md")
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


# --- templates ------------------------------------------------------------------------------------


def test_user_template_overrides_one_file_and_keeps_the_others(tmp_path, seed_report):
    templates = tmp_path / "mine"
    templates.mkdir()
    write(templates, "report.md.j2", "CUSTOM {{ title }} {{ date_long }} {{ citations | length }}\n")
    cited = len(context(seed_report)["citations"])
    assert briefing.render(seed_report, "md", templates) == f"CUSTOM Situation report 30 March 2023 {cited}\n"
    html = briefing.render(seed_report, "html", templates)
    assert html.startswith("<!DOCTYPE html>") and "<h2>Key figures</h2>" in html


def test_briefing_home_templates_override_and_templates_flag_wins(tmp_path, seed_report, briefing_home):
    (briefing_home / "templates").mkdir()
    write(briefing_home / "templates", "report.txt.j2", "HOME\n")
    assert briefing.render(seed_report, "txt") == "HOME\n"
    flag = tmp_path / "flag"
    flag.mkdir()
    write(flag, "report.txt.j2", "FLAG\n")
    assert briefing.render(seed_report, "txt", flag) == "FLAG\n"
    assert briefing.render(seed_report, "md", flag).startswith("# Situation report")


def test_user_html_template_is_autoescaped(tmp_path, seed_report):
    templates = tmp_path / "mine"
    templates.mkdir()
    write(templates, "report.html.j2", "<p>{{ title }}</p>\n")
    report = dataclasses.replace(seed_report, title="<script>x</script>")
    assert briefing.render(report, "html", templates) == "<p>&lt;script&gt;x&lt;/script&gt;</p>\n"


def test_template_syntax_error_names_file_and_line(tmp_path, seed_report):
    templates = tmp_path / "mine"
    templates.mkdir()
    write(templates, "report.md.j2", "# {{ title }}\n\n{% for s in sections %}\n{{ s.title }}\n")
    with pytest.raises(briefing.ConfigError) as error:
        briefing.render(seed_report, "md", templates)
    message = str(error.value)
    assert "report.md.j2" in message and "line " in message and "\n" not in message


def test_missing_templates_folder_is_a_config_error(tmp_path, seed_report):
    with pytest.raises(briefing.ConfigError, match="templates folder not found"):
        briefing.render(seed_report, "md", tmp_path / "nope")


# --- the command line -------------------------------------------------------------------------------


def test_cli_writes_each_format_to_a_dated_file(tmp_path):
    out = tmp_path / "reports"
    result = run_cli("generate", str(SEED), "--router", "cues", "--date", "2023-03-30",
                     "-f", "md", "-f", "html", "-f", "txt", "-f", "json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"2023-03-30-situation-report.{s}" for s in ("html", "json", "md", "txt")]
    assert json.loads((out / "2023-03-30-situation-report.json").read_text(encoding="utf-8"))["date"] == "2023-03-30"


def test_cli_prints_one_format_to_stdout():
    result = run_cli("generate", str(SEED), "--router", "cues", "--date", "2023-03-30", "-f", "html")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>") and result.stdout.rstrip().endswith("</html>")


def test_cli_undefined_template_variable_is_one_line_error_and_no_file(tmp_path):
    templates = tmp_path / "mine"
    templates.mkdir()
    write(templates, "report.md.j2", "# {{ title }}\n{{ casualty_count }}\n")
    out = tmp_path / "reports"
    result = run_cli("generate", str(SEED), "--router", "cues", "--backend", "extractive", "-f", "md", "-f", "html",
                     "--templates", str(templates), "--out", str(out))
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "report.md.j2" in result.stderr and "line 2" in result.stderr
    assert "'casualty_count' is undefined" in result.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_cli_template_syntax_error_names_file_and_line(tmp_path):
    templates = tmp_path / "mine"
    templates.mkdir()
    write(templates, "report.txt.j2", "{{ title }}\n{% if sources %}\n")
    result = run_cli("generate", str(SEED), "--router", "cues", "--backend", "extractive", "-f", "txt",
                     "--templates", str(templates))
    assert result.returncode == 3 and result.stdout == ""
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0
    assert re.search(r"report\.txt\.j2, line \d+", result.stderr)


# --- the corpus ------------------------------------------------------------------------------------


@needs_corpus
def test_every_corpus_article_renders_in_every_format():
    for path in corpus_articles():
        report = build(path)
        md = briefing.render(report, "md")
        html = briefing.render(report, "html")
        txt = briefing.render(report, "txt")
        data = json.loads(briefing.render(report, "json"))
        assert [s["title"] for s in data["sections"]] == list(SECTION_TITLES), path.name
        for title in SECTION_TITLES:
            assert f"\n## {title}\n" in md and f"<h2>{title}</h2>" in html and f"\n{title.upper()}\n" in txt
        if any(b.statements for b in report.briefs):
            check_markdown_footnotes(md)
            check_html_links(html)
        check_text_width(txt)
        assert "<script" not in html
