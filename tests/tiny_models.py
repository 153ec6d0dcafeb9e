"""Tiny random-weight seq2seq models, built at test time, saved the way a user's model is saved.

Each builder trains a tokenizer on the project's own text (``seeds/`` and ``prompts/``) —
a byte-level BPE from ``tokenizers`` for BART, a sentencepiece unigram model for T5 — makes a
model from a small config with random weights, and writes both with ``save_pretrained``. The
folder then loads through ``briefing generate --model PATH`` like any downloaded model. The
weights are random, so the output is gibberish: tests check structure, never wording.

The benchmark uses the same builders with the real architectures' config values.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Config values of the real models (from their config.json on the hub), for the benchmark.
DISTILBART_CNN_12_6 = dict(
    vocab_size=50264, d_model=1024, encoder_layers=12, decoder_layers=6, encoder_attention_heads=16,
    decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, max_position_embeddings=1024,
    activation_function="gelu", scale_embedding=False, normalize_before=False, add_final_layer_norm=False,
    length_penalty=2.0, no_repeat_ngram_size=3, num_beams=4,
)
FLAN_T5_BASE = dict(
    vocab_size=32128, d_model=768, d_kv=64, d_ff=2048, num_layers=12, num_decoder_layers=12, num_heads=12,
    feed_forward_proj="gated-gelu", relative_attention_num_buckets=32, relative_attention_max_distance=128,
    tie_word_embeddings=False, dropout_rate=0.1, layer_norm_epsilon=1e-6,
)


def training_text() -> list[str]:
    """Lines of the project's own English text: the seed articles and the section definitions."""
    lines: list[str] = []
    for folder, pattern in ((ROOT / "seeds", "*.txt"), (ROOT / "prompts", "*.toml")):
        for path in sorted(folder.glob(pattern)):
            lines.extend(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return lines


def train_bpe_tokenizer(folder: Path, vocab_size: int = 1200, model_max_length: int = 128):
    """A byte-level BPE tokenizer (the kind BART uses) trained on the project's text, saved in ``folder``."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartTokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        training_text(),
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        show_progress=False,
    )
    bpe.save_model(str(folder))  # vocab.json + merges.txt
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    merges = [
        tuple(line.split())
        for line in (folder / "merges.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    tokenizer = BartTokenizer(vocab=vocab, merges=merges, model_max_length=model_max_length)
    tokenizer.save_pretrained(str(folder))
    return tokenizer


def gpt2_bpe_tokenizer(folder: Path, source: Path, model_max_length: int = 1024):
    """BART's real tokenizer rebuilt from GPT-2's byte-level BPE, saved in ``folder``; for the benchmarks.

    BART splits text with GPT-2's 50,000 merges, so these give the input lengths the real
    distilbart sees (the trained tokenizer's 1,200 tokens split the seed ~1.5x finer). ``source`` is
    a folder with ``vocab.json`` and ``merges.txt`` (a BART or GPT-2 tokenizer) or a ``gpt2.tiktoken``
    rank file (in the openai-whisper sdist: ``whisper/assets/gpt2.tiktoken``). The ids are not
    BART's (they follow GPT-2's order after BART's four special tokens); a random-weight model
    does not care, and every piece and every count is BART's.
    """
    from transformers import BartTokenizer

    folder, source = Path(folder), Path(source)
    folder.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        pieces = json.loads((source / "vocab.json").read_text(encoding="utf-8"))
        merges = [tuple(line.split()) for line in (source / "merges.txt").read_text(encoding="utf-8").splitlines()
                  if line and not line.startswith("#")]
    else:
        pieces, merges = tiktoken_vocab_merges(source)
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab = {token: index for index, token in enumerate(specials)}
    for token in sorted((t for t in pieces if t not in vocab and not t.startswith("<|")), key=pieces.get):
        vocab[token] = len(vocab)
    vocab["<mask>"] = len(vocab)
    tokenizer = BartTokenizer(vocab=vocab, merges=merges, model_max_length=model_max_length)
    tokenizer.save_pretrained(str(folder))
    return tokenizer


def tiktoken_vocab_merges(path: Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """The byte-level BPE in a ``.tiktoken`` file (a base64 byte string and its rank a line) as vocab and merges.

    A rank is also the priority of the merge that makes the token; every split of a token into two
    known tokens is such a merge (what transformers' TikTokenConverter does, without needing tiktoken).
    """
    import base64

    from transformers.convert_slow_tokenizer import bytes_to_unicode

    ranks = {}
    for line in Path(path).read_text(encoding="ascii").splitlines():
        if line.strip():
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    to_char = bytes_to_unicode()

    def text(token: bytes) -> str:
        return "".join(to_char[byte] for byte in token)

    merges = []
    for token, rank in ranks.items():
        splits = [(token[:i], token[i:]) for i in range(1, len(token)) if token[:i] in ranks and token[i:] in ranks]
        splits.sort(key=lambda pair: (ranks[pair[0]], ranks[pair[1]]))
        merges.extend((rank, left, right) for left, right in splits)
    merges.sort(key=lambda merge: merge[0])
    return {text(token): rank for token, rank in ranks.items()}, [(text(left), text(right)) for _, left, right in merges]


def train_sentencepiece_tokenizer(folder: Path, vocab_size: int = 1000, model_max_length: int = 128):
    """A sentencepiece unigram tokenizer (the kind T5 uses) trained on the project's text, saved in ``folder``."""
    import sentencepiece as spm
    from transformers import T5Tokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "spm-training.txt"
    corpus.write_text("\n".join(training_text() + ["summarize:"]) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(folder / "spiece"),
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        minloglevel=2,
    )
    corpus.unlink()
    tokenizer = T5Tokenizer.from_pretrained(
        str(folder), vocab_file=str(folder / "spiece.model"), extra_ids=0, model_max_length=model_max_length
    )
    tokenizer.save_pretrained(str(folder))
    return tokenizer


def build_bart(folder: Path, *, seed: int = 0, input_limit: int = 128, bpe: Path | None = None, **config) -> Path:
    """A random-weight BART with a byte-level BPE tokenizer, in ``folder``. Tiny unless ``config`` says otherwise.

    The tokenizer is trained on the project's text, or with ``bpe`` BART's own (:func:`gpt2_bpe_tokenizer`).
    """
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    folder = Path(folder)
    if bpe:
        tokenizer = gpt2_bpe_tokenizer(folder, bpe, model_max_length=input_limit)
    else:
        tokenizer = train_bpe_tokenizer(folder, model_max_length=input_limit)
    values = dict(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=input_limit,
    )
    values.update(config)
    values["vocab_size"] = max(values["vocab_size"], len(tokenizer))
    cfg = BartConfig(
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_bos_token_id=tokenizer.bos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
        **values,
    )
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(cfg).eval()
    model.save_pretrained(str(folder))
    return folder


def build_distilbart_in_child(folder: Path, bpe: Path | None = None) -> Path:
    """:func:`build_bart` with distilbart-cnn-12-6's sizes, in a child process, for the benchmarks:
    on Linux a child's peak RSS starts at its parent's size at fork, so the parent stays small."""
    code = ("import sys; sys.path[:0] = sys.argv[3:]; from tiny_models import *; "
            "build_bart(sys.argv[1], input_limit=1024, bpe=sys.argv[2] or None, **DISTILBART_CNN_12_6)")
    subprocess.run([sys.executable, "-c", code, str(folder), str(bpe or ""), str(ROOT / "tests"), str(ROOT)],
                   check=True, stderr=subprocess.DEVNULL)
    return Path(folder)


def build_t5(folder: Path, *, seed: int = 0, input_limit: int = 128, **config) -> Path:
    """A random-weight T5 with a sentencepiece tokenizer, in ``folder``. Tiny unless ``config`` says otherwise."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    folder = Path(folder)
    tokenizer = train_sentencepiece_tokenizer(folder, model_max_length=input_limit)
    values = dict(vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4)
    values.update(config)
    values["vocab_size"] = max(values["vocab_size"], len(tokenizer))
    cfg = T5Config(
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        **values,
    )
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(cfg).eval()
    model.save_pretrained(str(folder))
    return folder


_BUILT: dict[str, Path] = {}


def tiny_model(kind: str, base: Path) -> Path:
    """The tiny 'bart', 't5' or 't5-untied' model folder under ``base``, built once per test process."""
    if kind not in _BUILT:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        builders = {
            "bart": build_bart,
            "t5": build_t5,
            # Like flan-t5: separate output weights and no d_model**-0.5 output scale.
            "t5-untied": lambda folder: build_t5(folder, tie_word_embeddings=False),
        }
        _BUILT[kind] = builders[kind](Path(base) / f"tiny-{kind}")
    return _BUILT[kind]
