"""The benchmarks' stand-in for BART's real tokenizer splits text exactly as the BPE it is built from."""

from __future__ import annotations

import base64
import json

from tiny_models import ROOT, gpt2_bpe_tokenizer, train_bpe_tokenizer
from transformers.convert_slow_tokenizer import bytes_to_unicode

TEXT = [
    "Russia’s military on Thursday pressed on with unrelenting attacks on Bakhmut.",
    "Kyiv had identified a priority funding gap of $14 billion needed this year.",
    "“Every day, the enemy carries out 40 to 50 storming operations,” she wrote.",
]


def pieces(tokenizer, text: str) -> list[str]:
    return tokenizer.convert_ids_to_tokens(tokenizer(text, add_special_tokens=False)["input_ids"])


def test_rebuilt_from_vocab_and_merges_splits_as_the_source(tmp_path):
    source = train_bpe_tokenizer(tmp_path / "source")
    rebuilt = gpt2_bpe_tokenizer(tmp_path / "rebuilt", tmp_path / "source")
    for text in TEXT + (ROOT / "seeds" / "bakhmut-2023.txt").read_text(encoding="utf-8").splitlines():
        assert pieces(rebuilt, text) == pieces(source, text)
    assert [rebuilt.bos_token_id, rebuilt.pad_token_id, rebuilt.eos_token_id] == [0, 1, 2]


def test_rebuilt_from_tiktoken_ranks_splits_as_the_source(tmp_path):
    """A ``.tiktoken`` file ranks byte strings in merge order (GPT-2's, in openai-whisper); here the trained one's."""
    source = train_bpe_tokenizer(tmp_path / "source")
    to_byte = {char: byte for byte, char in bytes_to_unicode().items()}
    vocab = json.loads((tmp_path / "source" / "vocab.json").read_text(encoding="utf-8"))
    ranked = [token for token in sorted(vocab, key=vocab.get) if not token.startswith("<")]
    lines = [f"{base64.b64encode(bytes(to_byte[c] for c in token)).decode()} {rank}" for rank, token in enumerate(ranked)]
    ranks = tmp_path / "ranks.tiktoken"
    ranks.write_text("\n".join(lines) + "\n", encoding="utf-8")

    rebuilt = gpt2_bpe_tokenizer(tmp_path / "rebuilt", ranks)
    for text in TEXT:
        assert pieces(rebuilt, text) == pieces(source, text)
    assert len(rebuilt) == len(ranked) + 5  # <s> <pad> </s> <unk> first, <mask> last
