"""Wall time of a whole `briefing generate` process on the seed article, cold start included.

Targets (issue #2, 2-core machine): --router cues < 2 s; --router embeddings < 6 s.

    python benchmarks/generate_speed.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "bakhmut-2023.txt"
CASES = {
    "cues": (["--router", "cues", "--backend", "extractive"], 2.0),
    "embeddings": (["--router", "embeddings", "--backend", "extractive"], 6.0),
}


def time_once(extra: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "briefing", "generate", str(SEED), "--format", "md", "--quiet", *extra],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"briefing failed: {proc.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (after one warm-up)")
    args = parser.parse_args()
    print(f"{'router':<12} {'median s':>9} {'min s':>7} {'max s':>7} {'target s':>9}  verdict")
    for name, (extra, target) in CASES.items():
        time_once(extra)  # warm the file cache
        times = [time_once(extra) for _ in range(args.runs)]
        median = statistics.median(times)
        verdict = "ok" if median < target else "TOO SLOW"
        print(f"{name:<12} {median:>9.2f} {min(times):>7.2f} {max(times):>7.2f} {target:>9.1f}  {verdict}")


if __name__ == "__main__":
    main()
