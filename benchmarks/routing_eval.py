"""Routing quality on labelled corpus sentences: macro-F1, wrong-section rate, coverage and speed.

    python benchmarks/routing_eval.py                      # cues, embeddings and auto; dev and heldout
    python benchmarks/routing_eval.py --routers cues --errors dev

Labels live in ``benchmarks/data/routing-dev.tsv`` (guidelines: ``benchmarks/README-routing.md``);
the articles are read from the corpus beside the checkout (``../shared/corpus/articles``, or
``--corpus``), split with ``briefing.text.split_article`` and matched to labels by file name and
the sha1 of the whitespace-normalised sentence. Labels whose sentence is no longer produced by the
splitter are counted and reported, never silently dropped.

Figures, per split:
  macro-F1      mean F1 of the sections (battlefield, diplomacy, reconstruction); "none" is not
                averaged as a class: a sentence left out of every section counts only as a miss
                (false negative) of its true section, and a true-none sentence put in a section
                counts as a false positive of that section. ``F1+none`` adds "none" as a fourth class.
  wrong         sentences put in a section other than their true one (true-none put in a section
                included), over all matched sentences: the error a reader of the report sees.
  coverage      share of matched sentences put in some section (labelled share: true-non-none).
  ms/1k         wall time to route 1,000 sentences (model loading shown apart as load_s; a first
                run of the embedding router also converts the model for CTranslate2 there, once);
                cpu_ms/1k: the CPU time of all threads, steadier than wall time on a busy machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from briefing.articles import read_path  # noqa: E402
from briefing.errors import BriefingError  # noqa: E402
from briefing.routing import Routing, make_router, route  # noqa: E402
from briefing.sections import available_sections  # noqa: E402
from briefing.text import Sentence, split_article  # noqa: E402

LABELS = ROOT / "benchmarks" / "data" / "routing-dev.tsv"
CORPUS = ROOT.parent / "shared" / "corpus" / "articles"
NONE = "none"
SPLITS = ("dev", "heldout")


@dataclass(frozen=True)
class Label:
    article: str
    sha1: str
    split: str
    label: str
    first_words: str


def sentence_key(text: str) -> str:
    """The sha1 a label is keyed by: the sentence with whitespace runs collapsed."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()


def load_labels(path: Path) -> list[Label]:
    """Rows of the label file; '#' lines are comments, the first other line is the header."""
    rows = [line.rstrip("\n") for line in path.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r.strip() and not r.startswith("#")]
    header = rows[0].split("\t")
    out = []
    for row in rows[1:]:
        values = dict(zip(header, row.split("\t")))
        out.append(Label(values["article"], values["sha1"], values["split"], values["label"], values["first_words"]))
    return out


@dataclass
class Corpus:
    sentences: list[Sentence]  # every sentence of the labelled articles, in order
    truth: dict[int, tuple[str, str]]  # position in ``sentences`` -> (label, split)
    names: dict[str, str]  # article id -> file name
    unmatched: list[Label]  # labels whose sentence the splitter no longer produces
    unlabelled: int  # sentences with no label


def match(labels: list[Label], corpus: Path) -> Corpus:
    """Split the labelled articles and pair each sentence with its label (by file name and sha1)."""
    by_article: dict[str, list[Label]] = defaultdict(list)
    for label in labels:
        by_article[label.article].append(label)
    sentences: list[Sentence] = []
    truth: dict[int, tuple[str, str]] = {}
    names: dict[str, str] = {}
    unmatched: list[Label] = []
    unlabelled = 0
    for name in sorted(by_article):
        path = corpus / name
        if not path.is_file():
            unmatched.extend(by_article[name])
            continue
        article = read_path(path)[0]
        names[article.id] = name
        waiting: dict[str, list[Label]] = defaultdict(list)
        for label in by_article[name]:
            waiting[label.sha1].append(label)
        for sentence in split_article(article):
            queue = waiting.get(sentence_key(sentence.text))
            if queue:
                label = queue.pop(0)
                truth[len(sentences)] = (label.label, label.split)
            else:
                unlabelled += 1
            sentences.append(sentence)
        unmatched.extend(label for queue in waiting.values() for label in queue)
    return Corpus(sentences, truth, names, unmatched, unlabelled)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(pairs: list[tuple[str, str]], sections: list[str]) -> dict:
    """Figures for (true, predicted) pairs; predicted is a section key or 'none'."""
    n = len(pairs)
    per = {}
    for key in [*sections, NONE]:
        tp = sum(1 for t, p in pairs if t == key and p == key)
        fp = sum(1 for t, p in pairs if t != key and p == key)
        fn = sum(1 for t, p in pairs if t == key and p != key)
        per[key] = dict(zip(("p", "r", "f1"), prf(tp, fp, fn)), support=sum(1 for t, _ in pairs if t == key))
    wrong = sum(1 for t, p in pairs if p != NONE and p != t)
    return {
        "n": n,
        "macro_f1": sum(per[k]["f1"] for k in sections) / len(sections),
        "macro_f1_with_none": sum(per[k]["f1"] for k in [*sections, NONE]) / (len(sections) + 1),
        "wrong": wrong / n if n else 0.0,
        "coverage": sum(1 for _, p in pairs if p != NONE) / n if n else 0.0,
        "labelled_coverage": sum(1 for t, _ in pairs if t != NONE) / n if n else 0.0,
        "per_section": per,
    }


def run_router(name: str, corpus: Corpus, sections, model: str | None) -> tuple[list[Routing], dict]:
    """Route every corpus sentence with one router; returns the routings and timings."""
    notices: list[str] = []
    started = time.perf_counter()
    router = make_router(name, model=model, notify=notices.append)
    load = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    routed = route(corpus.sentences, sections, router)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return routed, {
        "router": getattr(router, "name", type(router).__name__),
        "load_s": round(load, 3),
        "ms_per_1k": round(elapsed / max(1, len(corpus.sentences)) * 1000 * 1000, 1),
        "cpu_ms_per_1k": round(cpu / max(1, len(corpus.sentences)) * 1000 * 1000, 1),
        "notices": notices,
    }


def print_table(name: str, timing: dict, results: dict[str, dict], sections: list[str]) -> None:
    print(f"\n== {name} (ran as {timing['router']}; load {timing['load_s']:.2f} s; "
          f"{timing['ms_per_1k'] / 1000:.2f} s per 1,000 sentences, {timing['cpu_ms_per_1k'] / 1000:.2f} s of CPU)")
    for notice in timing["notices"]:
        print(f"   notice: {notice}")
    print(f"   {'split':<8} {'n':>4} {'macro-F1':>8} {'F1+none':>8} {'wrong':>6} {'coverage':>9}   "
          + "  ".join(f"{k[:13]:>13} P/R/F1" for k in sections))
    for split, fig in results.items():
        per = fig["per_section"]
        cells = "  ".join(f"{per[k]['p']:.2f}/{per[k]['r']:.2f}/{per[k]['f1']:.2f}".rjust(20) for k in sections)
        coverage = f"{fig['coverage'] * 100:>5.1f}% ({fig['labelled_coverage'] * 100:.0f}%)"
        print(f"   {split:<8} {fig['n']:>4} {fig['macro_f1']:>8.3f} {fig['macro_f1_with_none']:>8.3f} "
              f"{fig['wrong'] * 100:>5.1f}% {coverage}   {cells}")


def print_errors(corpus: Corpus, routed: list[Routing], split: str, limit: int) -> None:
    """The sentences a router got wrong (wrong section first, then misses), for tuning on dev."""
    wrong, missed = [], []
    for i, (label, where) in corpus.truth.items():
        chosen = routed[i].section or NONE
        if where != split and split != "all" or chosen == label:
            continue
        (wrong if chosen != NONE else missed).append((i, label, chosen))
    for title, rows in (("wrong section", wrong), ("missed (went nowhere)", missed)):
        print(f"\n-- {title}: {len(rows)}")
        for i, label, chosen in rows[:limit]:
            sentence = corpus.sentences[i]
            scores = " ".join(f"{k[:3]}={v:.2f}" for k, v in routed[i].scores.items())
            print(f"   [{corpus.names[sentence.article_id][:2]}:{sentence.index}] true={label} got={chosen} {scores}")
            print(f"      {sentence.text[:220]}")


def first_words(text: str, most: int = 8) -> str:
    """The opening words for a human reader: at most ``most``, and never the whole sentence."""
    words = " ".join(text.split()).split()
    keep = min(most, (len(words) + 1) // 2)
    return " ".join(words[:keep]) + " …" if keep < len(words) else "(one word)"


def print_unlabelled(corpus: Corpus, labels: list[Label]) -> None:
    """Rows to fill in (label '?') and add to the label file, for sentences that have no label yet."""
    splits = {label.article: label.split for label in labels}
    for i, sentence in enumerate(corpus.sentences):
        if i not in corpus.truth:
            name = corpus.names[sentence.article_id]
            row = [name, sentence_key(sentence.text), splits.get(name, "dev"), "?", first_words(sentence.text)]
            print("\t".join(row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS, help="label file (TSV)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of corpus articles")
    parser.add_argument("--routers", default="cues,embeddings,auto", help="comma-separated routers to score")
    parser.add_argument("--model", default=None, help="embedding model name or folder")
    parser.add_argument("--prompts", type=Path, default=None, help="extra folder of section definitions")
    parser.add_argument("--errors", choices=[*SPLITS, "all"], help="list the misrouted sentences of this split")
    parser.add_argument("--limit", type=int, default=60, help="most errors listed per kind")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--unlabelled", action="store_true",
                        help="print label-file rows (label '?') for the sentences that have no label, and stop")
    args = parser.parse_args(argv)

    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus} (give --corpus)", file=sys.stderr)
        return 2
    labels = load_labels(args.labels)
    corpus = match(labels, args.corpus)
    if args.unlabelled:
        print_unlabelled(corpus, labels)
        return 0
    sections = available_sections(args.prompts)
    keys = [s.key for s in sections]
    counts = Counter((label, split) for label, split in corpus.truth.values())
    if not args.json:
        print(f"{len(labels)} labels over {len(corpus.names)} articles; matched {len(corpus.truth)}, "
              f"unmatched {len(corpus.unmatched)} (sentence no longer produced by the splitter), "
              f"{corpus.unlabelled} sentences without a label")
        for split in SPLITS:
            print(f"   {split}: " + ", ".join(f"{k} {counts[(k, split)]}" for k in [*keys, NONE]))
        for label in corpus.unmatched[:10]:
            print(f"   unmatched: {label.article} '{label.first_words}' ({label.label})")
    report = {"labels": len(labels), "matched": len(corpus.truth), "unmatched": len(corpus.unmatched),
              "unlabelled": corpus.unlabelled, "routers": {}}
    for name in [r.strip() for r in args.routers.split(",") if r.strip()]:
        try:
            routed, timing = run_router(name, corpus, sections, args.model)
        except BriefingError as error:
            print(f"\n== {name}: not run: {error}")
            continue
        results = {}
        for split in [*SPLITS, "all"]:
            pairs = [(label, routed[i].section or NONE) for i, (label, where) in corpus.truth.items()
                     if split == "all" or where == split]
            results[split] = score(pairs, keys)
        report["routers"][name] = {"timing": timing, "results": results}
        if not args.json:
            print_table(name, timing, results, keys)
            if args.errors:
                print_errors(corpus, routed, args.errors, args.limit)
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
