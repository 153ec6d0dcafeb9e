"""Seq2seq speed: briefing's condenser against the naive way, on the real architectures.

The seed article's sections go through random-weight models built from the config values of
sshleifer/distilbart-cnn-12-6 and google/flan-t5-base (no download: weights are random, the
tokenizer is trained on seeds/), saved with save_pretrained and loaded through briefing's own
loading code. Two ways, same inputs, same beam count (4), same fixed generation length, fp32:

  naive  one tokenizer + generate call per section, as a summarization pipeline would do it;
  ours   Seq2SeqCondenser.condense(): every section in one batched generate call, a beam cache
         that shares the cross-attention keys and values across beams, then the faithfulness guard.

Runs alternate (naive, ours, naive, ours, ...) so that load from other processes hits both alike;
wall-clock and CPU seconds (all threads of this process) are printed for each run, then the best
and the median of each way with their ratios. On a shared machine the CPU seconds are the steadier
figure. Random weights give gibberish: this measures time, not quality.

    python benchmarks/seq2seq_speed.py [--tokens 60] [--repeats 3] [--models distilbart,flan-t5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from tiny_models import DISTILBART_CNN_12_6, FLAN_T5_BASE, build_bart, build_t5  # noqa: E402

SEED = ROOT / "seeds" / "bakhmut-2023.txt"
MODELS = {
    # name: (builder, real config values, family, input limit) — families as in models.txt
    "distilbart": (build_bart, DISTILBART_CNN_12_6, "bart", 1024, "sshleifer/distilbart-cnn-12-6"),
    "flan-t5": (build_t5, FLAN_T5_BASE, "flan-t5", 512, "google/flan-t5-base"),
}
BEAMS = 4


def section_inputs():
    """The seed article's routed sections, exactly as `briefing generate --router cues` builds them."""
    from briefing import Options, build_report, read_inputs
    from briefing.condense import SectionInput

    report = build_report(read_inputs([str(SEED)]), Options(router="cues", backend="extractive"))
    inputs = []
    for section in report.sections:
        mine = [r for r in report.routing if r.section == section.key]
        if mine:
            inputs.append(SectionInput(section, tuple(r.sentence for r in mine), tuple(r.score for r in mine), 150))
    return inputs


def naive(condenser, inputs, tokens: int) -> list[str]:
    """One generate call per section, fp32, 4 beams, the model's own cache handling."""
    import torch

    loaded = condenser.loaded
    out = []
    for item in inputs:
        text = condenser.shaped(item, " ".join(s.text for s in item.sentences))
        encoded = loaded.tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            ids = loaded.model.generate(
                **encoded, num_beams=BEAMS, max_new_tokens=tokens, min_new_tokens=tokens, no_repeat_ngram_size=3,
                early_stopping=True,
            )
        out.append(loaded.tokenizer.decode(ids[0], skip_special_tokens=True))
    return out


def measure(name: str, folder: Path, inputs, tokens: int, repeats: int):
    from briefing.condense.seq2seq import Seq2SeqCondenser

    ours = Seq2SeqCondenser(str(folder), "cpu", "fp32", beams=BEAMS, max_new_tokens=tokens, min_new_tokens=tokens)
    loaded = ours.load()
    sizes = [ours.count([ours.shaped(item, " ".join(s.text for s in item.sentences))])[0] for item in inputs]
    print(f"  loaded in {loaded.seconds:.1f} s; input tokens per section {sizes} (limit {ours.limit}); "
          f"{tokens} new tokens each, {BEAMS} beams, fp32, {__import__('torch').get_num_threads()} threads")
    naive(ours, inputs[:1], 4)  # warm-up: first calls pay one-off costs
    ours.condense(inputs[:1])
    naive_runs, our_runs = [], []
    for _ in range(repeats):
        naive_runs.append(timed(lambda: naive(ours, inputs, tokens)))
        our_runs.append(timed(lambda: ours.condense(inputs)))
        assert ours.trace.batches == [len(inputs)], ours.trace.batches  # one call, every section
        (nw, nc), (ow, oc) = naive_runs[-1], our_runs[-1]
        print(f"  naive {nw:6.2f} s wall {nc:6.2f} s cpu   ours {ow:6.2f} s wall {oc:6.2f} s cpu   "
              f"ratio {nw / ow:.2f} wall {nc / oc:.2f} cpu")
    return naive_runs, our_runs


def timed(run) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=60, help="new tokens generated per section (fixed)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each way, alternating")
    parser.add_argument("--models", default="distilbart,flan-t5", help="comma-separated: distilbart, flan-t5")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from briefing.models import unload_all

    inputs = section_inputs()
    print(f"seed: {SEED.name}, {len(inputs)} sections, "
          f"{sum(len(i.sentences) for i in inputs)} routed sentences; cpu cores {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    results = []
    for key in args.models.split(","):
        builder, config, family, limit, real_name = MODELS[key.strip()]
        print(f"{key}: random weights with the architecture of {real_name}")
        with tempfile.TemporaryDirectory(prefix=f"briefing-bench-{key}-") as tmp:
            started = time.perf_counter()
            folder = builder(Path(tmp) / key, input_limit=limit, **config)
            print(f"  built and saved in {time.perf_counter() - started:.1f} s")
            home = Path(tmp) / "home"
            home.mkdir()
            (home / "models.txt").write_text(f"{folder}  {family}  {limit}  benchmark model\n")
            os.environ["BRIEFING_HOME"] = str(home)
            naive_runs, our_runs = measure(key, folder, inputs, args.tokens, args.repeats)
            unload_all()
        results.append((key, naive_runs, our_runs))
    print(f"\nload average at the end {os.getloadavg()[0]:.2f} (above ~0.5 means other work shared the cores; "
          "then CPU seconds are the steadier measure)")
    print(f"{'model':<11} {'measure':<12} {'naive':>8} {'ours':>8} {'ratio':>6}")
    for key, naive_runs, our_runs in results:
        for label, pick in (("wall best", min), ("wall median", statistics.median)):
            n, o = pick(r[0] for r in naive_runs), pick(r[0] for r in our_runs)
            print(f"{key:<11} {label:<12} {n:>7.2f}s {o:>7.2f}s {n / o:>5.2f}x")
        for label, pick in (("cpu best", min), ("cpu median", statistics.median)):
            n, o = pick(r[1] for r in naive_runs), pick(r[1] for r in our_runs)
            print(f"{key:<11} {label:<12} {n:>7.2f}s {o:>7.2f}s {n / o:>5.2f}x")
        pairs = statistics.median(n[0] / o[0] for n, o in zip(naive_runs, our_runs))
        print(f"{key:<11} {'paired wall':<12} {'':>8} {'':>8} {pairs:>5.2f}x  (median of naive/ours in adjacent runs)")


if __name__ == "__main__":
    main()
