"""Local vs Ray throughput: the same report from 200 articles (the corpus repeated) on both engines.

Settings are the CLI's defaults (``--router auto``: the embedding router; ``--backend auto``: the
default model when it is on this machine, else extractive with a notice), unless ``--distilbart``
asks for a model with the architecture of the default one (sshleifer/distilbart-cnn-12-6, random
weights, built here; see tests/tiny_models.py): then sections are condensed by it, int8 in
CTranslate2 as ``--precision auto`` gives on the CPU. Random weights never emit the end token, so
every generation runs to its length limit: an upper bound on a real model's time.

Copies of a corpus article are distinct articles (a line of their own, another outlet, their own
URL), as wire copy carried by several outlets is: every copy is split and routed, and the facts
they share are merged into one input by the dedupe step, as they would be in a real day's news.

Both engines run in this process, one after the other, ``--runs`` times each, alternating. One-time
costs are timed apart: starting Ray (the instance and the actors) and loading the models (in this
process for the local engine, in every actor for Ray). The throughput is the build of the report
alone, with the models loaded: what a long-running job or a warm cluster does per report. Ray
overhead = (Ray seconds - local seconds) / local seconds; negative means Ray was faster. The CPU
seconds used (this process, and Ray's actors, read from /proc) give the overhead apart from how
many cores each engine kept busy and from other work on the machine. Every run checks that both
engines built the same report.

    python benchmarks/ray_throughput.py [--articles 200] [--runs 3] [--workers N] [--address auto|HOST:PORT]
        [--distilbart] [--max-words 150] [--corpus ../shared/corpus/articles]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from many_articles import CORPUS, corpus_files, make_inputs  # noqa: E402
from tiny_models import build_distilbart_in_child  # noqa: E402


def stable(report) -> dict:
    from briefing.report import report_to_dict

    data = report_to_dict(report)
    data.pop("generated_at")
    data.pop("timings")
    return data


def timed(work):
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def cpu_seconds(pids) -> float:
    """User + system CPU seconds used so far by these processes (all their threads), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200, help="how many articles go into the report")
    parser.add_argument("--runs", type=int, default=3, help="timed builds per engine (after loading the models)")
    parser.add_argument("--workers", type=int, default=None, help="Ray actors [default: one per free CPU]")
    parser.add_argument("--address", default=None, help="Ray cluster [default: a local instance started here]")
    parser.add_argument("--distilbart", action="store_true", help="condense with a distilbart-size model")
    parser.add_argument("--max-words", type=int, default=150, help="word budget of each section's brief")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of corpus articles")
    args = parser.parse_args()
    files = corpus_files(args.corpus)
    if not files:
        raise SystemExit(f"no corpus articles in {args.corpus}")

    with tempfile.TemporaryDirectory(prefix="briefing-ray-") as tmp:
        tmp = Path(tmp)
        os.environ["BRIEFING_HOME"] = str(tmp / "home")  # converted models are cached here, for both engines
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import briefing
        from briefing.engine import LocalEngine
        from briefing.ray_engine import RayEngine

        folder = tmp / "articles"
        folder.mkdir()
        make_inputs(files, args.articles, folder, distinct_urls=True)
        articles = briefing.read_inputs([folder])
        options = briefing.Options(router="auto", backend="auto", max_words=args.max_words,
                                   since=dt.date(1990, 1, 1), until=dt.date(2100, 1, 1))
        if args.distilbart:
            started = time.perf_counter()
            model = build_distilbart_in_child(tmp / "distilbart")
            print(f"built a distilbart-cnn-12-6-size model (random weights) in {time.perf_counter() - started:.1f} s")
            options = dataclasses.replace(options, backend="seq2seq", model=str(model))
        print(f"{len(articles)} articles ({len(files)} in the corpus, repeated); {os.cpu_count()} CPUs; "
              f"load average {os.getloadavg()[0]:.2f} at the start")

        local = LocalEngine()
        local_load, _ = timed(lambda: local.prepare(options))  # the first load also converts the models, once
        ray_start, engine = timed(lambda: RayEngine(args.address, workers=args.workers))
        ray_load, _ = timed(lambda: engine.prepare(options))
        print(f"one-time: local engine loads the models in {local_load:.1f} s (converting them on first use); "
              f"Ray starts ({len(engine.actors)} actors) in {ray_start:.1f} s and its actors load the models in "
              f"{ray_load:.1f} s")

        import ray

        pids = [os.getpid(), *ray.get([actor.pid.remote() for actor in engine.actors])]  # driver and actors
        runs: dict[str, list[float]] = {"local": [], "ray": []}
        cpu: dict[str, list[float]] = {"local": [], "ray": []}
        try:
            for run in range(1, args.runs + 1):
                mark = cpu_seconds(pids[:1])
                seconds, here = timed(lambda: briefing.build_report(articles, options, engine=local))
                cpu["local"].append(cpu_seconds(pids[:1]) - mark)
                runs["local"].append(seconds)
                mark = cpu_seconds(pids)
                seconds, there = timed(lambda: briefing.build_report(articles, options, engine=engine))
                cpu["ray"].append(cpu_seconds(pids) - mark)
                runs["ray"].append(seconds)
                same = stable(here) == stable(there)
                print(f"run {run}: local {runs['local'][-1]:.2f} s (CPU {cpu['local'][-1]:.1f} s), "
                      f"ray {runs['ray'][-1]:.2f} s (CPU {cpu['ray'][-1]:.1f} s in the driver and actors); "
                      f"same report: {same}", flush=True)
                if not same:
                    raise SystemExit("the engines built different reports")
        finally:
            engine.close()

        methods = sorted({b.method for b in here.briefs})
        print(f"report: router {here.router}, condensed by {', '.join(methods)}, "
              f"{len(here.routing)} sentences; local stage seconds {here.timings}")
        base = statistics.median(runs["local"])
        base_cpu = statistics.median(cpu["local"])
        print(f"\n{'engine':<8} {'median s':>9} {'best s':>7} {'articles/s':>11} {'articles/h':>11} {'overhead':>9}"
              f" {'CPU s':>7} {'CPU overhead':>13}")
        for name, seconds in runs.items():
            median, used = statistics.median(seconds), statistics.median(cpu[name])
            overhead = f"{(median - base) / base * 100:+.1f} %" if name == "ray" else ""
            cpu_overhead = f"{(used - base_cpu) / base_cpu * 100:+.1f} %" if name == "ray" else ""
            print(f"{name:<8} {median:9.2f} {min(seconds):7.2f} {len(articles) / median:11.2f} "
                  f"{len(articles) / median * 3600:11.0f} {overhead:>9} {used:7.1f} {cpu_overhead:>13}")
        print("(CPU s: user + system seconds of the building process, and for Ray of its actors too; Ray's own "
              "daemons, raylet and GCS, are not counted)")
        print(f"Ray start-up (not in the figures above): {ray_start:.1f} s, then {ray_load:.1f} s of model loading")
        print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
