"""Whole `briefing generate` processes with a distilbart-size model: cold start, and 50 articles.

Targets (issue #7, on a 2-core machine): the seed article through a distilbart-size model at beam 4
in <= 6 s wall for the whole process from a cold start, peak RSS <= 1.5 GB; 50 articles in one
process in <= 60 s.

The model has the architecture of sshleifer/distilbart-cnn-12-6 with random weights (built here,
no download; see tests/tiny_models.py). Random weights never emit the end token, so every brief runs
to its length limit: ``--max-words 43`` gives the 60 new tokens per section of seq2seq_speed.py;
the default 150 words (210 tokens) is shown as the worst case. A real model stops earlier.
The model is converted once before timing (what `briefing models check` or the first run does);
every timed run is a new process, as cron starts it. Peak RSS is the child's own (os.wait4).

    python benchmarks/model_end_to_end.py [--runs 3] [--articles 50] [--cases seed-cues,seed-embeddings,many,many-map1]
        [--device cuda] [--router cues] [--bpe FILE]

``--device cuda`` runs the model on a GPU (torch, bf16 by default: no conversion); ``--router``
replaces every case's router (cues where the embedding model is not installed). ``--bpe`` gives the
model BART's real tokenizer, so that inputs have the real lengths (see seq2seq_speed.py for the file).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from many_articles import CORPUS, corpus_files, make_inputs  # noqa: E402
from tiny_models import build_distilbart_in_child  # noqa: E402

SEED = ROOT / "seeds" / "bakhmut-2023.txt"
CASES = ("seed-cues", "seed-embeddings", "seed-embeddings-150", "many", "many-map1", "many-all", "many-150")


def run(args: list[str], env: dict) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one `briefing` process."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "briefing", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(stderr, file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--cases", default="seed-cues,seed-embeddings,many,many-map1", help="comma-separated: " + ", ".join(CASES))
    parser.add_argument("--device", default=None, help="passed to briefing generate --device (cpu, cuda)")
    parser.add_argument("--router", default=None, help="use this router in every case (cues, embeddings)")
    parser.add_argument("--bpe", type=Path, default=None,
                        help="GPT-2's gpt2.tiktoken, or a folder with vocab.json + merges.txt: BART's real tokenizer")
    options = parser.parse_args()
    if options.bpe and not options.bpe.exists():
        parser.error(f"--bpe {options.bpe}: no such file or folder")
    with tempfile.TemporaryDirectory(prefix="briefing-e2e-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        model = build_distilbart_in_child(tmp / "distilbart", options.bpe)
        tokenizer = "BART's tokenizer (GPT-2 BPE)" if options.bpe else "a tokenizer trained on seeds/"
        print(f"built a distilbart-cnn-12-6-size model with random weights and {tokenizer} "
              f"in {time.perf_counter() - started:.1f} s")
        env = {**os.environ, "BRIEFING_HOME": str(tmp / "home"), "HF_HUB_OFFLINE": "1"}
        folder = tmp / "articles"
        folder.mkdir()
        make_inputs(corpus_files(options.corpus), options.articles, folder)
        base = ["generate", "--model", str(model), "--backend", "seq2seq", "--format", "json", "--out", str(tmp / "out")]
        if options.device:
            base += ["--device", options.device]
        cases = {
            "seed-cues": [str(SEED), "--router", "cues", "--max-words", "43"],
            "seed-embeddings": [str(SEED), "--router", "embeddings", "--max-words", "43"],
            "seed-embeddings-150": [str(SEED), "--router", "embeddings"],
            "many": [str(folder), "--router", "embeddings", "--max-words", "43"],
            "many-map1": [str(folder), "--router", "embeddings", "--max-words", "43", "--map-beams", "1"],
            "many-all": [str(folder), "--router", "embeddings", "--max-words", "43", "--max-chunks", "0"],
            "many-150": [str(folder), "--router", "embeddings"],
        }
        if options.router:
            for case in cases.values():
                case[case.index("--router") + 1] = options.router
        wall, _, code = run([*base, *cases["seed-embeddings"]], env)  # converts both models once
        print(f"first run (on the CPU: converts the models for CTranslate2 and caches them): {wall:.1f} s, exit {code}")
        print(f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
        for case in [c.strip() for c in options.cases.split(",") if c.strip()]:
            results = [run([*base, *cases[case]], env) for _ in range(options.runs)]
            walls = [r[0] for r in results]
            peak = max(r[1] for r in results)
            codes = {r[2] for r in results}
            print(f"{case:<20} wall median {statistics.median(walls):6.2f} s (best {min(walls):.2f}), "
                  f"peak RSS {peak:6.0f} MiB, exit {sorted(codes)}", flush=True)
        print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
