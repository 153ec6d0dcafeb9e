"""The fast CPU engine: models converted for CTranslate2, cached, and checked against transformers.

On the tiny random-weight models (weights that make every conversion slip visible in the tokens):
CTranslate2 in fp32 gives exactly transformers' beam-4 output, for BART, T5 and a flan-t5-style
T5 whose output is not scaled; int8 goes through the same batching and faithfulness guard; the
conversion is made once, kept under BRIEFING_HOME/cache/ct2, loaded from there without importing
torch, redone when damaged or when the weights change, and older conversions are pruned.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from briefing import ct2
from briefing.condense.seq2seq import FALLBACK, METHOD, Seq2SeqCondenser, brief_from_generation
from briefing.errors import ConfigError
from briefing.models import load_model, pick_precision, pick_runtime, set_threads, unload_all
from conftest import ONE_THREAD, ROOT, SEED, run_cli
from test_seq2seq import section_inputs

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

TEXTS = [
    "Russian forces shelled the city overnight, killing two civilians, the regional governor said.",
    "Ukraine's allies pledged more air defence systems at a meeting in Brussels on Tuesday.",
    "Repairs to the power grid continued in Kharkiv.",
    SEED.read_text(encoding="utf-8")[:300],
]


@pytest.fixture(autouse=True)
def fresh_models():
    """Each test loads afresh: conversions are per BRIEFING_HOME, which is per test."""
    unload_all()
    yield
    unload_all()


@pytest.fixture(scope="module")
def tiny_t5_untied(tmp_path_factory):
    from tiny_models import tiny_model

    return tiny_model("t5-untied", tmp_path_factory.getbasetemp())


def plain_generate(folder, texts, beams, max_new, min_new, no_repeat=0) -> list[str]:
    """transformers' own generate, one input at a time, fp32: the reference."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModelForSeq2SeqLM.from_pretrained(str(folder)).eval()
    out = []
    for text in texts:
        encoded = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            ids = model.generate(**encoded, num_beams=beams, do_sample=False, early_stopping=beams > 1,
                                 max_new_tokens=max_new, min_new_tokens=min_new, no_repeat_ngram_size=no_repeat)
        out.append(" ".join(tokenizer.decode(ids[0], skip_special_tokens=True).split()))
    return out


def test_precision_and_runtime_choices():
    assert pick_precision("auto", "cpu", "bart") == "int8"  # the fast engine is the CPU default
    assert pick_precision("fp32", "cpu", "t5") == "fp32"
    assert pick_runtime("auto", "cpu", "int8") == "ctranslate2"
    assert pick_runtime("auto", "cpu", "fp32") == "torch"  # fp32 stays the transformers reference
    assert pick_runtime("ctranslate2", "cpu", "fp32") == "ctranslate2"
    assert pick_runtime("auto", "cuda", "bf16") == "torch"
    with pytest.raises(ConfigError, match="int8 runs on the CPU only"):
        pick_precision("int8", "cuda", "bart")
    with pytest.raises(ConfigError, match="runs int8 or fp32 on the CPU"):
        pick_runtime("ctranslate2", "cuda", "fp16")
    with pytest.raises(ConfigError, match="int8 runs in CTranslate2"):
        pick_runtime("torch", "cpu", "int8")
    with pytest.raises(ConfigError, match="unknown runtime"):
        pick_runtime("onnx", "cpu", "int8")


@pytest.mark.parametrize("beams", [4, 1])
@pytest.mark.parametrize("kind", ["bart", "t5"])
def test_torch_engine_equals_plain_generate(kind, beams, tiny_bart, tiny_t5):
    """Our batched torch generation (shared cross-attention cache, per-input encoding) gives plain
    transformers' tokens, at beam 4 and greedy, with no-repeat n-grams."""
    folder = {"bart": tiny_bart, "t5": tiny_t5}[kind]
    condenser = Seq2SeqCondenser(str(folder), "cpu", "fp32", beams=beams, no_repeat_ngram_size=3)
    assert condenser.load().runtime == "torch"
    assert condenser.generate_batch(TEXTS, 24, 6) == plain_generate(folder, TEXTS, beams, 24, 6, no_repeat=3)


@pytest.mark.parametrize("lengths", [(24, 6), (16, 16), (30, 1)])
@pytest.mark.parametrize("kind", ["bart", "t5", "t5-untied"])
def test_ctranslate2_fp32_equals_transformers_at_beam_4(kind, lengths, tiny_bart, tiny_t5, tiny_t5_untied):
    """The converted model is the same model: same tokens as transformers at beam 4, batched or not.

    't5-untied' is built like flan-t5 (no output scaling): the stock converter scales its output
    anyway under transformers 5, which changes the beam scores and so these tokens.
    """
    folder = {"bart": tiny_bart, "t5": tiny_t5, "t5-untied": tiny_t5_untied}[kind]
    condenser = Seq2SeqCondenser(str(folder), "cpu", "fp32", beams=4, no_repeat_ngram_size=0, runtime="ctranslate2")
    loaded = condenser.load()
    assert loaded.runtime == "ctranslate2" and loaded.precision == "fp32"
    assert "torch" not in type(loaded.model).__module__
    assert condenser.generate_batch(TEXTS, *lengths) == plain_generate(folder, TEXTS, 4, *lengths)


@pytest.mark.parametrize("kind", ["bart", "t5"])
def test_ctranslate2_blocks_repeated_ngrams(kind, tiny_bart, tiny_t5):
    """With --no-repeat-ngram the engines' beams may part ways (they apply the rule at different points
    of the search); what the option promises holds in both: no trigram twice."""
    folder = {"bart": tiny_bart, "t5": tiny_t5}[kind]
    model = load_model(str(folder), "cpu", "int8").model
    for size, repeated in ((3, False), (0, True)):  # the random models repeat themselves when let
        outputs = model.generate_tokens(TEXTS, beams=4, no_repeat_ngram_size=size, max_new_tokens=40,
                                        min_new_tokens=30)
        trigrams = [[tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)] for tokens in outputs]
        assert all(len(tokens) >= 29 for tokens in outputs)
        assert any(len(set(t)) < len(t) for t in trigrams) == repeated


@pytest.mark.parametrize("kind", ["bart", "t5"])
def test_int8_is_converted_once_and_loaded_from_the_cache(kind, tiny_bart, tiny_t5, briefing_home):
    folder = {"bart": tiny_bart, "t5": tiny_t5}[kind]
    first = load_model(str(folder), "cpu")
    assert (first.precision, first.runtime, first.prepared) == ("int8", "ctranslate2", "built")
    [cached] = list((briefing_home / "cache" / "ct2").iterdir())
    assert (cached / "model.bin").is_file() and (cached / ct2.DONE).is_file()
    built_output = Seq2SeqCondenser(str(folder), "cpu", beams=4).generate_batch(TEXTS, 20, 5)

    unload_all()
    stamp = (cached / "model.bin").stat().st_mtime_ns
    second = load_model(str(folder), "cpu", "int8")
    assert second.prepared == "loaded" and second.model is not first.model
    assert (cached / "model.bin").stat().st_mtime_ns == stamp
    assert Seq2SeqCondenser(str(folder), "cpu", "int8", beams=4).generate_batch(TEXTS, 20, 5) == built_output
    # fp32 is another conversion beside it, and torch fp32 another model in memory
    assert load_model(str(folder), "cpu", "fp32", runtime="ctranslate2").prepared == "built"
    assert len(list((briefing_home / "cache" / "ct2").iterdir())) == 2
    assert load_model(str(folder), "cpu", "fp32").runtime == "torch"


def test_a_damaged_or_half_written_conversion_is_redone(tiny_bart, briefing_home, caplog):
    expected = Seq2SeqCondenser(str(tiny_bart), "cpu", "int8").generate_batch(TEXTS, 16, 4)
    [cached] = list((briefing_home / "cache" / "ct2").iterdir())
    (cached / "model.bin").write_bytes(b"not a model")
    unload_all()
    with caplog.at_level("WARNING", logger="briefing.ct2"):
        again = load_model(str(tiny_bart), "cpu", "int8")
    assert again.prepared == "built" and "unusable" in caplog.text
    assert Seq2SeqCondenser(str(tiny_bart), "cpu", "int8").generate_batch(TEXTS, 16, 4) == expected

    (cached / ct2.DONE).unlink()  # a conversion killed before it finished: never used
    unload_all()
    assert load_model(str(tiny_bart), "cpu", "int8").prepared == "built"
    assert (cached / ct2.DONE).is_file()
    assert not [p for p in cached.parent.iterdir() if p.name.endswith(".part")]


def test_changed_weights_give_a_new_conversion_and_the_old_one_is_pruned(tiny_bart, tmp_path, briefing_home):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_bart, copy)
    load_model(str(copy), "cpu", "int8")
    load_model(str(tiny_bart), "cpu", "int8")  # another model: kept
    before = sorted(p.name for p in (briefing_home / "cache" / "ct2").iterdir())
    assert len(before) == 2
    weights = copy / "model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))  # re-saved
    unload_all()
    assert load_model(str(copy), "cpu", "int8").prepared == "built"
    after = sorted(p.name for p in (briefing_home / "cache" / "ct2").iterdir())
    assert len(after) == 2 and after != before
    assert [n for n in after if n.startswith("tiny-bart")] == [n for n in before if n.startswith("tiny-bart")]


def test_int8_output_goes_through_the_same_guard(tiny_bart):
    """No special case: int8 briefs are the guard's verdict on the int8 text, like fp32's."""
    inputs = section_inputs(max_words=12)
    condenser = Seq2SeqCondenser(str(tiny_bart), "cpu", "int8", beams=4)
    briefs = condenser.condense(inputs)
    assert condenser.trace.batches == [len(inputs)]  # batched like fp32: every section in one call
    generated = condenser.trace.outputs[-1]
    for item, brief, text in zip(inputs, briefs, generated):
        expected = brief_from_generation(item, text, condenser.loaded.label)
        assert brief.method == expected.method in (METHOD, FALLBACK)
        assert [s.text for s in brief.statements] == [s.text for s in expected.statements]
        assert brief.dropped == expected.dropped


def test_a_cached_conversion_runs_without_importing_torch(tiny_bart, tmp_path):
    """After the first run, the model path is CTranslate2 and tokenizers alone: no torch, no transformers."""
    env = {**ONE_THREAD, "BRIEFING_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    args = ("generate", str(SEED), "--model", str(tiny_bart), "--backend", "seq2seq", "--router", "cues",
            "--format", "json", "--max-words", "12")
    first = run_cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    code = (
        "import sys, json, briefing\n"
        f"articles = briefing.read_inputs([{str(SEED)!r}])\n"
        f"options = briefing.Options(router='cues', backend='seq2seq', model={str(tiny_bart)!r}, max_words=12)\n"
        "report = briefing.build_report(articles, options)\n"
        "assert {b.method for b in report.briefs} <= {'seq2seq', 'extractive-fallback'}\n"
        "print(json.dumps(sorted(m for m in ('torch', 'transformers') if m in sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
    second = run_cli(*args, env=env)
    assert json.loads(second.stdout)["sections"] == json.loads(first.stdout)["sections"]


def test_threads_option_sets_torch_threads():
    import torch

    torch.set_num_threads(1)
    set_threads(None)  # no --threads: torch's own choice (OMP_NUM_THREADS) stays
    assert torch.get_num_threads() == 1
    set_threads(2)
    assert torch.get_num_threads() == 2
    set_threads(1)
    with pytest.raises(ConfigError, match="--threads must be 1 or more"):
        set_threads(0)


def test_ctranslate2_threads_follow_the_option_then_omp(tiny_bart, monkeypatch):
    assert Seq2SeqCondenser(str(tiny_bart), "cpu", threads=2).load().model.threads == 2
    unload_all()
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert Seq2SeqCondenser(str(tiny_bart), "cpu").load().model.threads == 1


def test_openmp_threads_spin_briefly_unless_the_user_chose_how_they_wait(monkeypatch):
    """GNU OpenMP reads its settings once, when ctranslate2 loads it; torch's own copy keeps its default."""
    for name in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY"):
        monkeypatch.delenv(name, raising=False)
    with ct2.openmp_settings():
        assert os.environ["GOMP_SPINCOUNT"] == ct2.SPIN_COUNT
    assert "GOMP_SPINCOUNT" not in os.environ
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    with ct2.openmp_settings():
        assert "GOMP_SPINCOUNT" not in os.environ and os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.delenv("OMP_WAIT_POLICY")
    monkeypatch.setenv("GOMP_SPINCOUNT", "0")
    with ct2.openmp_settings():
        assert os.environ["GOMP_SPINCOUNT"] == "0"
    assert os.environ["GOMP_SPINCOUNT"] == "0"


def test_ctranslate2_is_imported_inside_those_settings_and_leaves_the_environment_as_it_was():
    code = ("import builtins, os, sys; real = builtins.__import__\n"
            "def spy(name, *a, **k):\n"
            "    if name == 'ctranslate2' and 'ctranslate2' not in sys.modules: print(os.environ.get('GOMP_SPINCOUNT'))\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = spy\n"
            "import briefing.ct2; briefing.ct2.runtime(); print(os.environ.get('GOMP_SPINCOUNT'))")
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [ct2.SPIN_COUNT, "None"]


def test_models_are_built_on_a_thread_that_ends():
    import threading

    seen = []
    assert ct2.built_apart(lambda: seen.append(threading.current_thread()) or "model") == "model"
    assert seen[0] is not threading.main_thread() and not seen[0].is_alive()

    def damaged():
        raise RuntimeError("Unable to open file 'model.bin'")

    with pytest.raises(RuntimeError, match="model.bin"):
        ct2.built_apart(damaged)


def test_cli_default_on_the_cpu_is_int8_and_says_it_converts_once(tiny_bart, tmp_path):
    env = {**ONE_THREAD, "BRIEFING_HOME": str(tmp_path / "home")}
    args = ("-v", "generate", str(SEED), "--model", str(tiny_bart), "--backend", "seq2seq", "--router", "cues",
            "--format", "json", "--max-words", "12")
    first = run_cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    assert "ct2: converted" in first.stderr
    report = json.loads(first.stdout)
    assert {brief["method"] for brief in report["sections"]} <= {METHOD, FALLBACK}
    second = run_cli(*args, env=env)
    assert second.returncode == 0 and "ct2: converted" not in second.stderr
    assert json.loads(second.stdout)["sections"] == report["sections"]


def test_cli_rejects_threads_below_one_and_a_bad_runtime(tiny_bart):
    result = run_cli("generate", str(SEED), "--model", str(tiny_bart), "--threads", "0", env=ONE_THREAD)
    assert result.returncode != 0 and "--threads" in result.stderr
    result = run_cli("generate", str(SEED), "--model", str(tiny_bart), "--backend", "seq2seq", "--runtime", "torch",
                     "--precision", "int8", env=ONE_THREAD)
    assert result.returncode == 3 and "int8 runs in CTranslate2" in result.stderr
    assert "Traceback" not in result.stderr


def test_pull_prepares_the_fast_engine_so_the_first_report_does_not_wait(tiny_bart, tmp_path):
    env = {**ONE_THREAD, "BRIEFING_HOME": str(tmp_path / "home")}
    first = run_cli("models", "pull", str(tiny_bart), env=env)  # a folder: nothing to download
    assert first.returncode == 0, first.stderr
    assert "ready for the CPU (int8, CTranslate2, converted now)" in first.stdout
    assert len(list((tmp_path / "home" / "cache" / "ct2").iterdir())) == 1
    again = run_cli("models", "pull", str(tiny_bart), env=env)
    assert "already converted" in again.stdout
    skipped = run_cli("models", "pull", str(tiny_bart), "--no-prepare", env={**env, "BRIEFING_HOME": str(tmp_path / "h2")})
    assert skipped.returncode == 0 and "ready for the CPU" not in skipped.stdout
    assert not (tmp_path / "h2" / "cache" / "ct2").exists()
