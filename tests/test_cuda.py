"""The GPU path (--device cuda): on a GPU machine, ``BRIEFING_TEST_DEVICE=cuda pytest tests/test_cuda.py``.

Skipped elsewhere (CI has no GPU); the rest of the suite hides any GPU (tests/conftest.py).

Issue #7: on a GPU the model runs in torch at bf16 (fp16 where bf16 is missing), with larger batches.
These tests check that path on the tiny random-weight models: the same tokens as transformers'
own ``generate`` on the same device, the device's batch sizes, and the CLI end to end.
"""

from __future__ import annotations

import json

import pytest

from briefing.condense.seq2seq import BATCH_LIMITS, FALLBACK, METHOD, Seq2SeqCondenser, generation_config, prepared
from briefing.models import pick_device, pick_precision
from conftest import SEED, run_cli

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="no CUDA GPU visible to torch (on a GPU machine: BRIEFING_TEST_DEVICE=cuda)")


def texts_of_different_lengths() -> list[str]:
    """Three inputs of different lengths (padding in the batch), within the tiny models' 128 positions."""
    words = SEED.read_text(encoding="utf-8").split()
    return [" ".join(words[:40]), " ".join(words[200:220]), " ".join(words[400:406])]


def test_auto_picks_the_gpu_and_half_precision():
    assert pick_device("auto") == "cuda"
    expected = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    assert pick_precision("auto", "cuda", "bart") == expected
    assert pick_precision("auto", "cuda", "flan-t5") == ("bf16" if expected == "bf16" else "fp32")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_shared_beam_work_gives_transformers_tokens_on_the_gpu(tiny_bart, tiny_t5, precision):
    """Our batched path (cross-attention keys and values computed once per input and shared by its
    beams) gives the tokens of a plain batched ``generate`` on the GPU: exactly in fp32, nearly in bf16."""
    for folder in (tiny_bart, tiny_t5):
        condenser = Seq2SeqCondenser(str(folder), device="cuda", precision=precision, beams=4)
        loaded = condenser.load()
        assert loaded.device == "cuda" and next(loaded.model.parameters()).is_cuda
        assert next(loaded.model.parameters()).dtype == {"fp32": torch.float32, "bf16": torch.bfloat16}[precision]
        encoded = loaded.tokenizer(texts_of_different_lengths(), return_tensors="pt", padding=True)
        assert encoded["input_ids"].shape[1] <= condenser.limit
        encoded = {key: value.to("cuda") for key, value in encoded.items()}
        config = generation_config(loaded.model, condenser.settings, 24, 24)
        with torch.inference_mode():
            plain = loaded.model.generate(**encoded, generation_config=config)
            shared = loaded.model.generate(**prepared(loaded.model, dict(encoded), config), generation_config=config)
        if precision == "fp32":
            assert torch.equal(plain, shared), folder.name
        else:  # bf16 rounds differently when the first decoder step runs apart: near-ties may differ
            same = (plain == shared).float().mean().item()
            assert same > 0.8, (folder.name, same)


def test_gpu_batches_are_the_large_ones_and_every_fact_is_read(tiny_bart):
    condenser = Seq2SeqCondenser(str(tiny_bart), device="cuda")
    condenser.load()
    assert condenser.batch_limits() == BATCH_LIMITS["gpu"]
    assert condenser.chunk_limit() == 0  # no --max-chunks cap on a GPU unless asked for
    assert condenser.loaded.precision in ("bf16", "fp16")


def test_cli_on_the_gpu_writes_the_report(tiny_bart, tiny_t5):
    for folder in (tiny_bart, tiny_t5):
        result = run_cli("generate", str(SEED), "--model", str(folder), "--backend", "seq2seq", "--device", "cuda",
                         "--format", "json", "--router", "cues", "--max-words", "12")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        expected = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        for section in report["sections"]:
            assert section["method"] in (METHOD, FALLBACK), section
            assert section["model"] == f"{folder} ({expected})"
            assert section["statements"]
