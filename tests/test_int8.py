"""int8 on the CPU (dynamic quantization of every nn.Linear), its cache, and --threads.

On the tiny random-weight models: fp32 output of the engine equals plain transformers ``generate``;
int8 goes through the same batching and faithfulness guard as fp32; the quantized weights are
prepared once, kept under BRIEFING_HOME/cache/int8, loaded from there by later runs, and rebuilt
when the file is corrupt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from briefing.condense.seq2seq import FALLBACK, METHOD, Seq2SeqCondenser, brief_from_generation
from briefing.errors import ConfigError
from briefing.models import int8_cache_file, load_model, pick_precision, set_threads, unload_all
from conftest import ONE_THREAD, SEED, run_cli
from test_seq2seq import section_inputs

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

TEXTS = [
    "Russian forces shelled the city overnight, killing two civilians, the regional governor said.",
    "Ukraine's allies pledged more air defence systems at a meeting in Brussels on Tuesday.",
    "Repairs to the power grid continued in Kharkiv.",
]


@pytest.fixture(autouse=True)
def fresh_models():
    """Each test loads afresh: the int8 cache is per BRIEFING_HOME, which is per test."""
    unload_all()
    yield
    unload_all()


def linear_kinds(model) -> set[str]:
    import torch

    return {f"{type(m).__module__}.{type(m).__name__}" for m in model.modules() if isinstance(m, torch.nn.Module)
            and type(m).__name__ == "Linear"}


def test_precision_choices_for_int8():
    assert pick_precision("int8", "cpu", "bart") == "int8"
    assert pick_precision("fp32", "cpu", "t5") == "fp32"
    with pytest.raises(ConfigError, match="int8 runs on the CPU only"):
        pick_precision("int8", "cuda", "bart")
    with pytest.raises(ConfigError, match="on the CPU use fp32 or int8"):
        pick_precision("bf16", "cpu", "bart")


@pytest.mark.parametrize("beams", [4, 1])
@pytest.mark.parametrize("kind", ["bart", "t5"])
def test_fp32_engine_equals_plain_generate(kind, beams, tiny_bart, tiny_t5):
    """Our batched generation (shared cross-attention cache, per-input encoding) gives plain HF's tokens,
    at beam 4 and greedy."""
    import torch

    folder = {"bart": tiny_bart, "t5": tiny_t5}[kind]
    condenser = Seq2SeqCondenser(str(folder), "cpu", "fp32", beams=beams, no_repeat_ngram_size=3)
    loaded = condenser.load()
    ours = condenser.generate_batch(TEXTS, max_new_tokens=24, min_new_tokens=6)
    plain = []
    for text in TEXTS:  # one input at a time, the model's own generate and cache
        encoded = loaded.tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            ids = loaded.model.generate(**encoded, num_beams=beams, do_sample=False, early_stopping=beams > 1,
                                        max_new_tokens=24, min_new_tokens=6, no_repeat_ngram_size=3)
        plain.append(" ".join(loaded.tokenizer.decode(ids[0], skip_special_tokens=True).split()))
    assert ours == plain


@pytest.mark.parametrize("kind", ["bart", "t5"])
def test_int8_quantizes_every_linear_and_is_cached(kind, tiny_bart, tiny_t5, briefing_home):
    folder = {"bart": tiny_bart, "t5": tiny_t5}[kind]
    first = load_model(str(folder), "cpu", "int8")
    assert first.precision == "int8" and first.int8_cache == "built"
    assert linear_kinds(first.model) == {"torch.ao.nn.quantized.dynamic.modules.linear.Linear"}
    cache = int8_cache_file(first.spec, first.location)
    assert cache.is_file() and cache.is_relative_to(briefing_home / "cache" / "int8")
    condenser = Seq2SeqCondenser(str(folder), "cpu", "int8", beams=4)
    built_output = condenser.generate_batch(TEXTS, 20, 5)

    unload_all()
    stamp = cache.stat().st_mtime_ns
    second = load_model(str(folder), "cpu", "int8")
    assert second.int8_cache == "loaded" and second.model is not first.model
    assert cache.stat().st_mtime_ns == stamp
    assert linear_kinds(second.model) == linear_kinds(first.model)
    # The cached weights are the quantized weights: the same tokens, bit for bit.
    assert Seq2SeqCondenser(str(folder), "cpu", "int8", beams=4).generate_batch(TEXTS, 20, 5) == built_output
    # fp32 of the same folder is a different model in memory, untouched by quantization.
    fp32 = load_model(str(folder), "cpu", "fp32")
    assert fp32.model is not second.model and "torch.nn.modules.linear.Linear" in linear_kinds(fp32.model)


def test_the_cache_key_follows_the_weights(tiny_bart, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_bart, copy)
    loaded = load_model(str(copy), "cpu", "int8")
    before = int8_cache_file(loaded.spec, loaded.location)
    weights = copy / "model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))  # the folder was re-saved
    after = int8_cache_file(loaded.spec, loaded.location)
    assert after != before and after.parent == before.parent and after.name.startswith("copy-")


def test_a_corrupt_cache_file_is_rebuilt_not_fatal(tiny_bart, caplog):
    first = load_model(str(tiny_bart), "cpu", "int8")
    cache = int8_cache_file(first.spec, first.location)
    expected = Seq2SeqCondenser(str(tiny_bart), "cpu", "int8").generate_batch(TEXTS, 16, 4)
    for damage in (b"not a torch file", cache.read_bytes()[: cache.stat().st_size // 2]):
        cache.write_bytes(damage)
        unload_all()
        with caplog.at_level("WARNING", logger="briefing.models"):
            again = load_model(str(tiny_bart), "cpu", "int8")
        assert again.int8_cache == "built"
        assert "is unusable" in caplog.text and "quantizing" in caplog.text
        assert Seq2SeqCondenser(str(tiny_bart), "cpu", "int8").generate_batch(TEXTS, 16, 4) == expected
        unload_all()
        assert load_model(str(tiny_bart), "cpu", "int8").int8_cache == "loaded"  # the rebuilt file is good
        caplog.clear()


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


def test_threads_option_sets_torch_threads():
    import torch

    set_threads(None)  # no --threads: torch's own choice (OMP_NUM_THREADS) stays
    assert torch.get_num_threads() == 1
    set_threads(2)
    assert torch.get_num_threads() == 2
    set_threads(1)
    with pytest.raises(ConfigError, match="--threads must be 1 or more"):
        set_threads(0)


def test_cli_int8_end_to_end_and_second_run_loads_from_the_cache(tiny_bart, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {**ONE_THREAD, "BRIEFING_HOME": str(home)}
    args = ("-v", "generate", str(SEED), "--model", str(tiny_bart), "--backend", "seq2seq", "--device", "cpu",
            "--precision", "int8", "--threads", "1", "--format", "json", "--max-words", "12")
    first = run_cli(*args, env=env)
    assert first.returncode == 0, first.stderr
    caches = list((home / "cache" / "int8").glob("tiny-bart-*.pt"))
    assert len(caches) == 1
    stamp = caches[0].stat().st_mtime_ns
    report = json.loads(first.stdout)
    methods = {brief["method"] for brief in report["sections"]}
    assert methods <= {METHOD, FALLBACK} and methods

    second = run_cli(*args, env=env)
    assert second.returncode == 0, second.stderr
    assert caches[0].stat().st_mtime_ns == stamp
    assert list((home / "cache" / "int8").glob("*.pt")) == caches
    assert "int8: quantized" in first.stderr and "int8: loaded" in second.stderr
    assert json.loads(second.stdout)["sections"] == report["sections"]  # same weights, same report


def test_cli_rejects_threads_below_one(tiny_bart):
    result = run_cli("generate", str(SEED), "--model", str(tiny_bart), "--threads", "0", env=ONE_THREAD)
    assert result.returncode != 0 and "--threads" in result.stderr
