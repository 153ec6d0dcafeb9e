"""The Ray engine on a local Ray instance of 2 CPUs, started here: same reports as the local engine, faults survived.

Marked ``ray``: the default run leaves these out; ``pytest -m ray`` runs them (after
``pip install -e '.[test,ray]'``). Without Ray installed they are skipped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[test,ray]' to run these")

import briefing  # noqa: E402
from briefing.engine import EngineError  # noqa: E402
from briefing.ray_engine import RayEngine  # noqa: E402
from briefing.report import ReportJob, build_reports, report_to_dict  # noqa: E402
from briefing.stages import Worker  # noqa: E402
from conftest import SEED, corpus_articles, needs_corpus, run_cli  # noqa: E402

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def cluster() -> str:
    """A local Ray instance with 2 CPUs for this module; its address, for other processes to join."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


def stable(report) -> dict:
    """The report's JSON without what differs from run to run (when it was built, how long it took)."""
    data = report_to_dict(report)
    data.pop("generated_at")
    data.pop("timings")
    return data


def corpus(count: int) -> list[briefing.Article]:
    return briefing.read_inputs(corpus_articles()[:count])


def both_ways(articles, options, **engine_settings):
    """The report built here, and on the cluster; the engine's actors are stopped after."""
    local = briefing.build_report(articles, options)
    with RayEngine(**engine_settings) as engine:
        on_ray = briefing.build_report(articles, options, engine=engine)
    return local, on_ray


@needs_corpus
def test_corpus_through_the_cli_on_ray_is_the_local_report(cluster, tmp_path):
    """The acceptance test: the corpus, default settings, `--engine ray` on a 2-CPU Ray, the same report."""
    folder = Path(corpus_articles()[0]).parent
    common = ["generate", str(folder), "--since", "1990-01-01", "--until", "2100-01-01", "-f", "json", "-q"]
    env = {"BRIEFING_HOME": os.environ["BRIEFING_HOME"]}
    local = run_cli(*common, env=env)
    assert local.returncode == 0, local.stderr
    on_ray = run_cli(*common, "--engine", "ray", "--ray-address", cluster, env=env)
    assert on_ray.returncode == 0, on_ray.stderr
    a, b = json.loads(local.stdout), json.loads(on_ray.stdout)
    for data in (a, b):
        data.pop("generated_at")
        data.pop("timings")
    assert a["router"] == "embeddings" and a["period"]["articles"] == len(corpus_articles())
    assert a == b


@needs_corpus
def test_model_holding_actors_give_the_local_briefs(cluster, tiny_bart):
    """Sections condensed by the seq2seq model in actors (several batches over two actors): same briefs."""
    options = briefing.Options(router="cues", backend="seq2seq", model=str(tiny_bart), beams=2, max_words=20)
    local, on_ray = both_ways(corpus(12), options)
    # The tiny model's gibberish mostly fails the faithfulness check; a fallback still names the model that ran.
    assert {b.method for b in on_ray.briefs} <= {"seq2seq", "extractive-fallback"}
    assert all(b.model for b in on_ray.briefs)
    assert stable(on_ray) == stable(local)


@needs_corpus
def test_several_reports_in_one_job(cluster):
    articles = corpus(16)
    east = briefing.Options(router="cues", backend="extractive", sections=("battlefield",), title="East")
    west = briefing.Options(router="cues", backend="extractive", max_words=60, title="West")
    jobs = [ReportJob(articles[:10], east), ReportJob(articles[6:], west)]
    with RayEngine() as engine:
        together = build_reports(jobs, engine)
    alone = [briefing.build_report(job.articles, job.options) for job in jobs]
    assert [stable(r) for r in together] == [stable(r) for r in alone]


def crash_once(stage: str, marker: Path) -> type:
    """A Worker whose first ``stage`` task kills its own process (once: the marker file remembers)."""

    class CrashOnce(Worker):
        def route(self, task):
            if stage == "route":
                self.crash()
            return super().route(task)

        def condense(self, task):
            if stage == "condense":
                self.crash()
            return super().condense(task)

        def crash(self):
            try:
                marker.open("x").close()
            except FileExistsError:
                return
            os.kill(os.getpid(), signal.SIGKILL)

    return CrashOnce


@needs_corpus
@pytest.mark.parametrize("stage", ["route", "condense"])
def test_a_worker_killed_mid_run_is_retried_and_the_report_is_complete(cluster, tmp_path, stage):
    marker = tmp_path / "crashed"
    options = briefing.Options(router="cues", backend="extractive")
    local, on_ray = both_ways(corpus(20), options, worker_class=crash_once(stage, marker), retries=2)
    assert marker.exists()  # a worker did die
    assert len(on_ray.sources) == 20 and all(b.statements for b in on_ray.briefs)
    assert stable(on_ray) == stable(local)


def test_a_worker_that_keeps_dying_is_one_clear_error(cluster, tmp_path):
    class AlwaysDies(Worker):
        def route(self, task):
            os.kill(os.getpid(), signal.SIGKILL)

    with RayEngine(worker_class=AlwaysDies, retries=1, workers=1) as engine:
        with pytest.raises(EngineError, match="a Ray worker died more than 1 times while routing"):
            briefing.build_report(briefing.read_inputs([SEED]), briefing.Options(router="cues"), engine=engine)


def test_errors_in_workers_are_the_local_one_line_errors(cluster):
    options = briefing.Options(router="cues", backend="seq2seq", model="/nonexistent/model")
    with RayEngine() as engine, pytest.raises(briefing.ModelError) as raised:
        briefing.build_report(briefing.read_inputs([SEED]), options, engine=engine)
    with pytest.raises(briefing.ModelError) as locally:
        briefing.build_report(briefing.read_inputs([SEED]), options)
    assert str(raised.value) == str(locally.value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_dead_cluster_address_is_one_clear_line_at_once():
    started = time.perf_counter()
    result = run_cli("generate", str(SEED), "--router", "cues", "--engine", "ray", "--ray-address",
                     f"127.0.0.1:{free_port()}")
    assert time.perf_counter() - started < 30
    assert result.returncode == EngineError.exit_code
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0
    assert "no Ray cluster answers at" in result.stderr and "ray start --head" in result.stderr


def test_daily_job_on_ray_builds_the_local_report(cluster, tmp_path):
    from briefing.config import load_config
    from briefing.daily import run_daily

    reports = {}
    for engine in ("local", "ray"):
        folder = tmp_path / engine
        (folder / "inbox").mkdir(parents=True)
        (folder / "inbox" / "seed.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
        (folder / "briefing.toml").write_text(
            f'[report]\nengine = "{engine}"\nrouter = "cues"\nbackend = "extractive"\n'
            f'ray_address = "{cluster}"\n[output]\nformats = ["json"]\n', encoding="utf-8")
        outcome = run_daily(load_config(folder / "briefing.toml"), day=briefing.read_inputs([SEED])[0].date,
                            stderr=False)
        assert outcome.exit_code == 0, outcome.message
        data = json.loads(next((folder / "reports").glob("*.json")).read_text(encoding="utf-8"))
        for volatile in ("generated_at", "timings", "sources"):  # sources: the paths differ
            data.pop(volatile)
        reports[engine] = data
    assert reports["ray"] == reports["local"]
