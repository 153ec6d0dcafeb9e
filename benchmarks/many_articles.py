"""Wall time of `briefing generate` on 50 articles (the corpus, repeated as needed), extractive condenser.

Targets (issue #4): --router cues < 10 s; --router embeddings < 30 s, whole process, cold start included.
Copies of an article get a line of their own (so they are distinct articles) and another outlet's
name, like wire copy carried by several outlets: the worst case for merging near-duplicates.

    python benchmarks/many_articles.py [--articles 50] [--runs 3] [--corpus ../shared/corpus/articles]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "articles"
CASES = {"cues": 10.0, "embeddings": 30.0}


def corpus_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.txt") if not p.name.endswith(".summary.txt"))


def make_inputs(files: list[Path], count: int, into: Path, distinct_urls: bool = False) -> None:
    """``count`` article files: the corpus, then copies under other outlets' names (and URLs of their
    own with ``distinct_urls``)."""
    for n in range(count):
        source = files[n % len(files)]
        copy = n // len(files)
        text = source.read_text(encoding="utf-8")
        if copy:
            head, _, body = text.partition("\n\n")
            lines = []
            for line in head.splitlines():
                key = line.split(":", 1)[0].strip().lower()
                if key == "source":
                    line = f"{line} — copy {copy}"
                elif key == "url" and distinct_urls:
                    line = f"{line}?copy={copy}"
                lines.append(line)
            text = "\n".join(lines) + f"\n\n{body.rstrip()}\n\nRepublished by partner outlet number {copy}.\n"
        (into / f"{n:03d}-{source.name}").write_text(text, encoding="utf-8")


def run_once(folder: Path, router: str) -> tuple[float, dict]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "briefing", "generate", str(folder), "--router", router, "--backend", "extractive",
         "--since", "1990-01-01", "--until", "2100-01-01", "--format", "json", "--quiet"],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"briefing failed ({router}): {proc.stderr.strip()}")
    return elapsed, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50, help="how many articles go in")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per router (after one warm-up)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of corpus articles")
    parser.add_argument("--routers", default="cues,embeddings", help="comma-separated: cues, embeddings")
    args = parser.parse_args()
    files = corpus_files(args.corpus)
    if not files:
        raise SystemExit(f"no corpus articles in {args.corpus}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_inputs(files, args.articles, folder)
        print(f"{args.articles} articles ({len(files)} in the corpus, repeated as needed), extractive condenser")
        print(f"{'router':<12} {'median s':>9} {'min s':>7} {'target s':>9}  verdict   "
              "stages (s): split route dedupe condense total | sentences, merged facts")
        for router in args.routers.split(","):
            target = CASES[router]
            run_once(folder, router)  # warm the file cache and the model files
            runs = [run_once(folder, router) for _ in range(args.runs)]
            times = [t for t, _ in runs]
            report = runs[-1][1]
            timings = report["timings"]
            stages = " ".join(f"{timings.get(k, 0):.2f}" for k in ("split", "route", "dedupe", "condense", "total"))
            merged = sum(
                1 for s in report["sections"] for st in s["statements"] if len({c["source"] for c in st["citations"]}) > 1
            )
            median = statistics.median(times)
            verdict = "ok" if median < target else "TOO SLOW"
            print(f"{router:<12} {median:>9.2f} {min(times):>7.2f} {target:>9.1f}  {verdict:<8}  "
                  f"{stages} | {len(report['routing'])}, {merged} statements citing several sources")


if __name__ == "__main__":
    main()
