"""Engines without Ray: the local engine, how work is cut into tasks, and --engine ray when Ray is missing.

The tests that start Ray are in test_ray.py (marked ``ray``, run with ``pytest -m ray``).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import briefing
from briefing.condense import SectionInput
from briefing.config import load_config
from briefing.engine import EngineError, LocalEngine, make_engine
from briefing.errors import ConfigError
from briefing.report import ReportJob, build_reports, report_to_dict
from briefing.routing import CueRouter, route
from briefing.sections import Section, available_sections
from briefing.stages import CONDENSE_BATCH_TOKENS, condense_batches, shards
from briefing.text import Sentence, split_article
from conftest import ROOT, SEED, corpus_articles, modules_after, needs_corpus


def stable(report) -> dict:
    """The report's JSON without what differs from run to run (when it was built, how long it took)."""
    data = report_to_dict(report)
    data.pop("generated_at")
    data.pop("timings")
    return data


def section_input(key: str, words: int) -> SectionInput:
    sentence = Sentence("a1", 0, 0, " ".join(["word"] * words), 0, 5 * words)
    return SectionInput(Section(key, key.title(), "", ()), (sentence,), (1.0,), 150)


# --- cutting the work ----------------------------------------------------------------------


def test_condense_batches_are_cut_by_estimated_tokens():
    budget_words = int(CONDENSE_BATCH_TOKENS / 1.4)
    small, big = section_input("a", 100), section_input("b", budget_words + 50)
    empty = SectionInput(Section("c", "C", "", ()), (), (), 150)
    batches = condense_batches([small, small, empty, big, small])
    assert [[i.section.key for i in b] for b in batches] == [["a", "a"], ["b"], ["a"]]  # the big one alone
    assert condense_batches([empty]) == [()]  # nothing to condense: one empty batch, so the condenser still speaks


def test_shards_keep_articles_whole_and_in_order():
    articles = briefing.read_inputs([SEED]) * 3
    assert [len(s) for s in shards(articles, 2)] == [2, 1]
    assert [a for s in shards(articles, 2) for a in s] == articles
    assert shards([], 2) == [()]


@needs_corpus
def test_routing_in_shards_is_routing_all_at_once():
    """Why shards may run anywhere: a sentence's routing depends only on its own article's paragraph."""
    articles = briefing.read_inputs(corpus_articles()[:20])
    sections = available_sections()
    sentences = [s for a in articles for s in split_article(a)]
    at_once = route(sentences, sections, CueRouter(), among=sections)
    report = briefing.build_report(articles, briefing.Options(router="cues", backend="extractive"))
    assert len(shards(articles)) > 1
    assert report.routing == at_once


@needs_corpus
def test_several_reports_in_one_job_are_each_the_report_built_alone():
    articles = briefing.read_inputs(corpus_articles()[:12])
    east = briefing.Options(router="cues", backend="extractive", sections=("battlefield",), title="East")
    west = briefing.Options(router="cues", backend="extractive", max_words=60, title="West")
    jobs = [ReportJob(articles[:8], east), ReportJob(articles[4:], west)]
    together = build_reports(jobs, LocalEngine())
    alone = [briefing.build_report(job.articles, job.options) for job in jobs]
    assert [stable(r) for r in together] == [stable(r) for r in alone]
    assert [r.title for r in together] == ["East", "West"]


@needs_corpus
def test_notices_reach_notify_once_whatever_the_number_of_tasks(tmp_path, monkeypatch):
    """The missing-model notice comes once per report, though every condensing task repeats it."""
    from briefing.dedupe import cluster, section_inputs
    from briefing.places import load_places

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # no model here: the auto backend falls back, with a notice
    articles = briefing.read_inputs(corpus_articles()[:20])
    said: list[str] = []
    report = briefing.build_report(articles, briefing.Options(router="cues", backend="auto"), notify=said.append)
    inputs = section_inputs(cluster(report.routing, articles, load_places()), report.sections, 150, articles)
    assert len(condense_batches(inputs)) > 1
    assert len(said) == 1 and "not downloaded" in said[0]
    assert report.notices == said


# --- choosing an engine --------------------------------------------------------------------


def test_unknown_engine_and_address_without_ray_are_config_errors():
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        make_engine("spark")
    with pytest.raises(ConfigError, match="--ray-address needs --engine ray"):
        make_engine("local", "auto")


def test_local_generate_never_imports_ray():
    loaded = modules_after(
        "import sys, contextlib, io\nfrom briefing.cli import main\nsys.argv=['briefing','generate',"
        f"{str(SEED)!r},'--router','cues','--backend','extractive','--format','json','--quiet']\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main()\n    except SystemExit as e:\n        assert not e.code, e.code"
    )
    assert "briefing.engine" in loaded and "briefing.report" in loaded
    assert "ray" not in loaded and "briefing.ray_engine" not in loaded


def run_without_ray(*args: str) -> subprocess.CompletedProcess:
    """The CLI in a process where `import ray` fails, as on a machine without the extra."""
    code = (f"import sys\nsys.modules['ray'] = None\nsys.argv = ['briefing', *{list(args)!r}]\n"
            "from briefing.cli import main\nmain()")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_engine_ray_without_ray_says_how_to_install_it():
    result = run_without_ray("generate", str(SEED), "--router", "cues", "--engine", "ray")
    assert result.returncode == ConfigError.exit_code
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "pip install 'briefing[ray]'" in result.stderr
    assert result.stdout == ""


def test_daily_job_engine_setting(tmp_path, monkeypatch):
    config = tmp_path / "briefing.toml"
    config.write_text('[report]\nengine = "ray"\nray_address = "auto"\n', encoding="utf-8")
    settings = load_config(config)
    assert (settings.engine, settings.ray_address) == ("ray", "auto")
    monkeypatch.setenv("BRIEFING_REPORT_ENGINE", "local")
    assert load_config(config).engine == "local"
    config.write_text('[report]\nengine = "spark"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown value 'spark'"):
        load_config(config)


def test_daily_job_on_ray_without_ray_fails_with_the_install_hint(tmp_path, monkeypatch):
    from briefing.daily import run_daily

    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "a.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    config = tmp_path / "briefing.toml"
    config.write_text('[report]\nengine = "ray"\nrouter = "cues"\nbackend = "extractive"\n', encoding="utf-8")
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as without the extra
    with pytest.raises(EngineError, match=r"needs Ray, which is not installed \(pip install 'briefing\[ray\]'\)"):
        run_daily(load_config(config), stderr=False)
