"""Seq2seq speed: briefing's condenser against the naive way, on the real architectures.

The seed article's sections go through random-weight models built from the config values of
sshleifer/distilbart-cnn-12-6 and google/flan-t5-base (no download: weights are random, the
tokenizer is trained on seeds/), saved with save_pretrained and loaded through briefing's own
loading code. The trained tokenizers (1,200 and 1,000 pieces) split the seed ~1.5x finer than the
real ones; ``--bpe FILE`` gives the distilbart model BART's real tokenizer, rebuilt from GPT-2's BPE
(tests/tiny_models.py: gpt2_bpe_tokenizer), so that it reads the input lengths the real model reads.
The ways, same inputs, same fixed generation length:

  naive        fp32, one tokenizer + generate call per section (4 beams), as a summarization pipeline would;
  ours         fp32, Seq2SeqCondenser.condense(): every section in one batched generate call (4 beams), a
               beam cache that shares the cross-attention keys and values across beams, then the guard;
  greedy       ours with 1 beam, fp32;
  int8         ours at --precision int8, the CPU default: the model converted for CTranslate2 with int8
               weights (briefing.ct2), all sections in one batched call, 4 beams;
  int8-greedy  the same, 1 beam.

With --device cuda (a GPU, torch only; int8 is CPU-only) the ways are naive and ours in fp32, then
  bf16         ours at bf16, the GPU default (--precision auto);
  bf16-plain   bf16, one batched generate with transformers' own beam handling (no per-input
               encoding, no shared cross-attention): does our batching pay on a GPU?
  bf16-greedy  ours at bf16, 1 beam;
  fp16         ours at fp16 (BART only: T5 overflows in fp16).
GPU runs are timed to the decoded text (which waits for the GPU); peak GPU memory is printed too.

fp32 ways run in one worker process and int8 ways in another, so that each process's peak RSS
(VmHWM, with resource.getrusage ru_maxrss beside it) is that precision's memory. The int8 worker
runs twice: the first converts the model and fills the cache (its load time is the one-off cost),
the second loads the converted copy (the load time of every later run) and is the one timed. Within a
worker the ways alternate so that load from other processes hits them alike; wall-clock and CPU
seconds (all threads of the process) are printed for each run, then best and median, with ratios
against naive. On a shared machine the CPU seconds are the steadier figure. Random weights give gibberish: this measures time
and memory, not quality (int8's effect on real summaries needs real weights).

    python benchmarks/seq2seq_speed.py [--tokens 60] [--repeats 3] [--models distilbart,flan-t5]
        [--ways naive,ours,greedy,int8,int8-greedy] [--threads N] [--device cpu|cuda] [--bpe FILE]

``FILE`` for ``--bpe``: GPT-2's ``gpt2.tiktoken`` from the openai-whisper sdist (PyPI only, no hub):

    pip download --no-deps --no-binary :all: openai-whisper==20250625 -d /tmp/whisper
    tar -xzf /tmp/whisper/openai_whisper-20250625.tar.gz --strip-components 3 -C /tmp/whisper \
        openai_whisper-20250625/whisper/assets/gpt2.tiktoken

or a folder with a BART or GPT-2 tokenizer's ``vocab.json`` and ``merges.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
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
WAYS = ("naive", "ours", "greedy", "int8", "int8-greedy")
GPU_WAYS = ("naive", "ours", "bf16", "bf16-plain", "bf16-greedy", "fp16")
PRECISION = {"naive": "fp32", "ours": "fp32", "greedy": "fp32", "int8": "int8", "int8-greedy": "int8",
             "bf16": "bf16", "bf16-plain": "bf16", "bf16-greedy": "bf16", "fp16": "fp16"}


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
        encoded = loaded.tokenizer(text, return_tensors="pt").to(loaded.device)
        with torch.no_grad():
            ids = loaded.model.generate(
                **encoded, num_beams=BEAMS, max_new_tokens=tokens, min_new_tokens=tokens, no_repeat_ngram_size=3,
                early_stopping=True,
            )
        out.append(loaded.tokenizer.decode(ids[0], skip_special_tokens=True))
    return out


def plain(condenser, inputs, tokens: int) -> list[str]:
    """All sections in one batched generate, padded, with transformers' own beam handling."""
    import torch

    from briefing.condense.seq2seq import generation_config

    loaded = condenser.loaded
    texts = [condenser.shaped(item, " ".join(s.text for s in item.sentences)) for item in inputs]
    encoded = loaded.tokenizer(texts, return_tensors="pt", padding=True).to(loaded.device)
    config = generation_config(loaded.model, condenser.settings, tokens, tokens)
    with torch.inference_mode():
        ids = loaded.model.generate(**encoded, generation_config=config)
    return loaded.tokenizer.batch_decode(ids, skip_special_tokens=True)


def measure(folder: Path, inputs, tokens: int, repeats: int, precision: str, ways: list[str],
            device: str = "cpu") -> dict:
    """One worker: load ``folder`` at ``precision`` and time ``ways`` alternately; runs and peak RSS."""
    import torch

    from briefing.condense.seq2seq import Seq2SeqCondenser

    started = time.perf_counter()
    condensers = {}
    for way in ways:
        beams = 1 if way.endswith("greedy") else BEAMS
        condensers[way] = Seq2SeqCondenser(str(folder), device, precision, beams=beams, max_new_tokens=tokens,
                                           min_new_tokens=tokens)
        loaded = condensers[way].load()  # one model in memory, shared by the ways of this precision
    load_seconds = time.perf_counter() - started
    first = condensers[ways[0]]
    sizes = [first.count([first.shaped(item, " ".join(s.text for s in item.sentences))])[0] for item in inputs]
    print(f"  {precision}: loaded in {load_seconds:.1f} s ({loaded.runtime}, {loaded.prepared or 'not cached'}); "
          f"input tokens per "
          f"section {sizes} (limit {first.limit}); {tokens} new tokens each, {torch.get_num_threads()} threads",
          flush=True)
    for way in ways:  # warm-up: first calls pay one-off costs (on a GPU: kernel selection, the allocator)
        if way == "naive":
            naive(first, inputs[:1], 4)
        elif way.endswith("plain"):
            plain(condensers[way], inputs, 4)
        else:
            condensers[way].condense(inputs[:1] if device == "cpu" else inputs)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    runs: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
    for _ in range(repeats):
        line = []
        for way in ways:
            if way == "naive":
                runs[way].append(timed(lambda: naive(first, inputs, tokens)))
            elif way.endswith("plain"):
                runs[way].append(timed(lambda: plain(condensers[way], inputs, tokens)))
            else:
                runs[way].append(timed(lambda: condensers[way].condense(inputs)))
                assert condensers[way].trace.batches == [len(inputs)], condensers[way].trace.batches
            wall, cpu = runs[way][-1]
            line.append(f"{way} {wall:6.2f} s wall {cpu:6.2f} s cpu")
        print("  " + "   ".join(line), flush=True)
    gpu = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None
    return {"precision": precision, "load_seconds": load_seconds, "prepared": loaded.prepared, "runtime": loaded.runtime,
            "peak_rss_mib": peak_rss_mib(), "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "peak_gpu_mib": gpu, "runs": runs}


def peak_rss_mib() -> float:
    """This process's peak resident memory since it started, in MiB: VmHWM where Linux gives it.

    ru_maxrss (the fallback, and printed beside it) is not reset by exec on Linux: a worker started
    from a parent that had built a 1.2 GB model reports at least the parent's size at fork time.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024


def timed(run) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def worker(args) -> None:
    """Run in a child process: measure one precision's ways, print the result as JSON on the last line."""
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    result = measure(Path(args.worker), section_inputs(), args.tokens, args.repeats, args.precision,
                     args.ways.split(","), args.device)
    print("RESULT " + json.dumps(result), flush=True)


def spawn(folder: Path, precision: str, ways: list[str], args, repeats: int) -> dict:
    command = [sys.executable, __file__, "--worker", str(folder), "--precision", precision, "--ways", ",".join(ways),
               "--tokens", str(args.tokens), "--repeats", str(repeats), "--device", args.device]
    if args.threads:
        command += ["--threads", str(args.threads)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=os.environ)
    result = None
    for line in proc.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
        else:
            print(line, end="", flush=True)
    if proc.wait() != 0 or result is None:
        raise SystemExit(f"worker for {precision} failed (exit {proc.returncode})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=60, help="new tokens generated per section (fixed)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each way, alternating")
    parser.add_argument("--models", default="distilbart,flan-t5", help="comma-separated: distilbart, flan-t5")
    parser.add_argument("--ways", default=None, help="comma-separated: " + ", ".join(WAYS) + "; on cuda "
                        + ", ".join(GPU_WAYS) + " [default: all of the device's]")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="where the model runs")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: OMP_NUM_THREADS or cores)")
    parser.add_argument("--bpe", type=Path, default=None,
                        help="GPT-2's gpt2.tiktoken, or a folder with vocab.json + merges.txt: distilbart gets "
                             "BART's real tokenizer (the real input lengths) instead of one trained on seeds/")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: a model folder to measure
    parser.add_argument("--precision", default="fp32", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.worker:
        return worker(args)
    known = GPU_WAYS if args.device == "cuda" else WAYS
    ways = [w.strip() for w in (args.ways or ",".join(known)).split(",") if w.strip()]
    unknown = set(ways) - set(known)
    if unknown:
        parser.error(f"unknown way {sorted(unknown)[0]} on {args.device}; choose from {', '.join(known)}")

    if args.bpe and not args.bpe.exists():
        parser.error(f"--bpe {args.bpe}: no such file or folder")
    inputs = section_inputs()
    print(f"seed: {SEED.name}, {len(inputs)} sections, "
          f"{sum(len(i.sentences) for i in inputs)} routed sentences; cpu cores {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    results = []
    for key in args.models.split(","):
        builder, config, family, limit, real_name = MODELS[key.strip()]
        real_bpe = args.bpe if family == "bart" else None
        tokenizer = "BART's tokenizer (GPT-2 BPE)" if real_bpe else "a tokenizer trained on seeds/"
        print(f"{key}: random weights with the architecture of {real_name}; {tokenizer}", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"briefing-bench-{key}-") as tmp:
            started = time.perf_counter()
            extra = {"bpe": real_bpe} if real_bpe else {}
            folder = builder(Path(tmp) / key, input_limit=limit, **extra, **config)
            print(f"  built and saved in {time.perf_counter() - started:.1f} s", flush=True)
            home = Path(tmp) / "home"
            home.mkdir()
            (home / "models.txt").write_text(f"{folder}  {family}  {limit}  benchmark model\n")
            os.environ["BRIEFING_HOME"] = str(home)  # the converted model goes under it, and away with it
            measured: dict[str, dict] = {}
            for precision in ("fp32", "bf16", "fp16"):
                these = [w for w in ways if PRECISION[w] == precision]
                if precision == "fp16" and family != "bart":
                    continue  # T5 overflows in fp16
                if these:
                    measured[precision] = spawn(folder, precision, these, args, args.repeats)
            int8_ways = [w for w in ways if PRECISION[w] == "int8"]
            if int8_ways:
                cold = spawn(folder, "int8", int8_ways[:1], args, 0)  # converts and fills the cache
                measured["int8"] = spawn(folder, "int8", int8_ways, args, args.repeats)
                measured["int8"]["first_load_seconds"] = cold["load_seconds"]
        results.append((key, measured))
    print(f"\nload average at the end {os.getloadavg()[0]:.2f} (above ~0.5 means other work shared the cores; "
          "then CPU seconds are the steadier measure)")
    for key, measured in results:
        runs = {way: r for m in measured.values() for way, r in m["runs"].items()}
        base = "naive" if "naive" in runs else next(iter(runs))
        print(f"\n{key}: seconds for all {len(inputs)} sections (best / median of {args.repeats}); x = {base} / way")
        print(f"{'way':<12} {'wall best':>10} {'wall med':>9} {'cpu best':>9} {'cpu med':>8} {'x wall':>7} {'x cpu':>6}")
        for way in [w for w in known if w in runs]:
            wall = [r[0] for r in runs[way]]
            cpu = [r[1] for r in runs[way]]
            base_wall = statistics.median(r[0] for r in runs[base])
            base_cpu = statistics.median(r[1] for r in runs[base])
            print(f"{way:<12} {min(wall):>9.2f}s {statistics.median(wall):>8.2f}s {min(cpu):>8.2f}s "
                  f"{statistics.median(cpu):>7.2f}s {base_wall / statistics.median(wall):>6.2f}x "
                  f"{base_cpu / statistics.median(cpu):>5.2f}x")
        for precision, m in measured.items():
            extra = (f"; first run (convert + write the cache) {m['first_load_seconds']:.1f} s"
                     if "first_load_seconds" in m else "")
            if m.get("peak_gpu_mib") is not None:
                extra += f"; peak GPU memory {m['peak_gpu_mib']:.0f} MiB"
            print(f"{precision} ({m['runtime']}): peak RSS {m['peak_rss_mib']:.0f} MiB (ru_maxrss "
                  f"{m['maxrss_mib']:.0f} MiB), load {m['load_seconds']:.1f} s ({m['prepared'] or 'not cached'}){extra}")


if __name__ == "__main__":
    main()
