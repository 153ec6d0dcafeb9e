"""Models converted for CTranslate2, prepared once and cached.

CTranslate2 runs transformer models in C++ with int8 weights on the CPU (VNNI/AVX-512 kernels),
loads them in a fraction of a second and does not need torch at run time. A model is converted
from its Hugging Face folder once (that step imports torch and transformers) into
``BRIEFING_HOME/cache/ct2/<name>-<key>/``; the key covers what the result depends on: the source
folder, its hub commit, the weight files' sizes and times, the quantization, the CTranslate2
version and our conversion scheme. A cache folder appears whole or not at all: it is written under
a temporary name and renamed into place. Older conversions of the same model are pruned.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, TypeVar

from .errors import ModelError, first_line
from .models import WEIGHT_FILES
from .resources import user_dir

log = logging.getLogger(__name__)

DONE = "briefing-conversion.json"  # written last inside a conversion: its presence means complete

# How long an idle OpenMP thread of CTranslate2 spins before it sleeps. Decoding runs dozens of
# parallel regions per token, microseconds apart: threads that sleep between them lose a quarter of
# the time to wake-ups (2 cores, distilbart, beam 4: 2.1 s; spinning 1,000 rounds: 1.45 s). GNU
# OpenMP's own default (300,000 rounds, milliseconds) doubles the time when another program holds
# a core (5.5 s against 2.9 s passive); 1,000 rounds costs +20 % there. A user's OMP_WAIT_POLICY or
# GOMP_SPINCOUNT wins (PASSIVE for a box shared with other jobs).
SPIN_COUNT = "1000"


@contextmanager
def openmp_settings():
    """The environment CTranslate2's OpenMP should start with, for as long as the block runs.

    GNU OpenMP reads it once, when the library loads; torch brings its own copy, which keeps its own
    default because the variable is gone again afterwards.
    """
    chosen = "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ
    if not chosen:
        os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        yield
    finally:
        if not chosen:
            os.environ.pop("GOMP_SPINCOUNT", None)


def runtime():
    """The ``ctranslate2`` module, imported with :func:`openmp_settings` the first time."""
    if "ctranslate2" not in sys.modules:
        with openmp_settings():
            import ctranslate2  # noqa: F401
    return sys.modules["ctranslate2"]


Built = TypeVar("Built")


def built_apart(build: Callable[[], Built]) -> Built:
    """``build()`` run on a thread that ends when it returns: for CTranslate2 models.

    Loading a model runs OpenMP regions on the calling thread, which keeps a team of idle OpenMP
    threads for as long as it lives. GNU OpenMP counts them, and once its threads outnumber the
    cores it stops spinning everywhere, also in the team that decodes: every parallel region then
    pays a sleep and a wake-up. A thread that ends takes its team with it.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefing-ct2-load") as loader:
        return loader.submit(build).result()  # leaving the block joins the thread


def cache_root() -> Path:
    return user_dir() / "cache" / "ct2"


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name.rstrip("/\\").split("/")[-1] or "model").strip("-.")
    return slug or "model"


def cache_key(source: Path, revision: str | None, quantization: str, scheme: str) -> str:
    """What a conversion depends on, hashed: change any of it and the model is converted again."""
    ctranslate2 = runtime()

    weights = []
    for name in WEIGHT_FILES:
        path = source / name
        if path.is_file():
            stat = path.stat()
            weights.append([name, stat.st_size, stat.st_mtime_ns])
    key = json.dumps({"path": str(source), "revision": revision, "weights": weights, "quantization": quantization,
                      "ctranslate2": ctranslate2.__version__, "scheme": scheme}, sort_keys=True)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def converted(
    name: str,
    source: Path,
    revision: str | None,
    quantization: str,
    scheme: str,
    convert: Callable[[Path], None],
    progress: Callable[[str], None] | None = None,
) -> tuple[Path, str]:
    """The folder of ``source`` converted for CTranslate2, and 'loaded' or 'built'.

    ``convert(folder)`` writes the converted model into an empty ``folder``; it runs only when no
    complete conversion with the same key is cached. ``name`` is the model as the user names it
    (hub name or folder): conversions of one name replace each other, those of two names do not.
    """
    slug = f"{_slug(name)}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:6]}"
    target = cache_root() / f"{slug}-{quantization}-{cache_key(source, revision, quantization, scheme)}"
    if (target / DONE).is_file():
        return target, "loaded"
    if target.exists():  # a folder without its marker: left by a crash in an older version; redo it
        shutil.rmtree(target, ignore_errors=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    shutil.rmtree(partial, ignore_errors=True)
    if progress:
        progress(f"preparing {name} for the fast engine ({quantization}, once; kept in {cache_root()})…")
    started = time.perf_counter()
    try:
        partial.mkdir(parents=True)
        convert(partial)
        (partial / DONE).write_text(json.dumps({"source": str(source), "revision": revision,
                                                "quantization": quantization, "scheme": scheme}) + "\n",
                                    encoding="utf-8")
        try:
            os.rename(partial, target)  # a folder appears whole or not at all
        except OSError:
            if not (target / DONE).is_file():  # not a concurrent run that finished first
                raise
            shutil.rmtree(partial, ignore_errors=True)
    except ModelError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise ModelError(f"cannot write the converted model to {cache_root()} ({exc.strerror or exc})",
                         "free some disk space, or set BRIEFING_HOME to a writable folder") from None
    except Exception as exc:  # the converter raises many kinds for a model it cannot take
        shutil.rmtree(partial, ignore_errors=True)
        raise ModelError(f"cannot load model {name} to convert it for CTranslate2: {first_line(exc)}",
                         "is it a seq2seq model saved with save_pretrained? (--precision fp32 runs it in torch)") from None
    log.info("ct2: converted %s (%s) in %.1f s into %s", name, quantization, time.perf_counter() - started, target)
    prune(slug, quantization, keep=target)
    return target, "built"


def prune(slug: str, quantization: str, keep: Path) -> list[Path]:
    """Remove other conversions of the same model and quantization (an older commit or version)."""
    removed = []
    for other in cache_root().glob(f"{slug}-{quantization}-*"):
        if other != keep and other.is_dir() and re.fullmatch(rf"{re.escape(slug)}-{quantization}-[0-9a-f]{{16}}",
                                                              other.name):
            shutil.rmtree(other, ignore_errors=True)
            removed.append(other)
            log.info("ct2: removed the older conversion %s", other)
    return removed


# --- seq2seq models: conversion, tokenizer and generation without torch ----------------------------

SEQ2SEQ_SCHEME = "seq2seq v1"  # part of the cache key: change it when the conversion below changes
RUNTIME_FILE = "briefing-runtime.json"  # what generation needs besides the weights, read without transformers
QUANTIZATION = {"int8": "int8", "fp32": "float32"}  # --precision -> how the weights are stored and computed


def convert_seq2seq(source: Path, folder: Path, quantization: str) -> None:
    """Convert a Hugging Face seq2seq folder into ``folder``, with the tokenizer and generation settings.

    Works around two converter problems with transformers 5: the BART converter reads config keys
    (``normalize_before``, ``normalize_embedding``, ``add_final_layer_norm``) that BartConfig no
    longer has, and the T5 converter scales the output by d_model**-0.5 whenever
    ``tie_word_embeddings`` is set, which transformers 5 now always sets (the real switch is
    ``scale_decoder_outputs``; flan-t5 has it off, and the scaled logits give wrong beam scores).
    """
    runtime()
    from ctranslate2.converters import TransformersConverter

    class Converter(TransformersConverter):
        def load_model(self, model_class, model_name_or_path, **kwargs):
            model = super().load_model(model_class, model_name_or_path, **kwargs)
            config = model.config
            if config.model_type == "bart":
                for key, value in (("normalize_before", False), ("normalize_embedding", True),
                                   ("add_final_layer_norm", False)):
                    if not hasattr(config, key):
                        setattr(config, key, value)
            if config.model_type in ("t5", "mt5") and hasattr(config, "scale_decoder_outputs"):
                config.tie_word_embeddings = bool(config.scale_decoder_outputs)  # read only by the converter
            # BART's converter takes the vocabulary from the tokenizer; T5's pads it itself.
            self.rows = config.vocab_size if config.model_type == "bart" else 0
            return model

        def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
            tokenizer = super().load_tokenizer(tokenizer_class, model_name_or_path, **kwargs)
            missing = self.rows - len(tokenizer)
            if missing > 0:  # output rows no token reaches (random-weight test models)
                tokenizer = copy_with_placeholders(tokenizer, missing)
            return tokenizer

    from transformers import AutoConfig, AutoTokenizer, GenerationConfig
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress line says what is happening
    config = AutoConfig.from_pretrained(str(source), local_files_only=True)
    Converter(str(source)).convert(str(folder), quantization=quantization, force=True)
    tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError("the model's tokenizer has no fast (tokenizers) version", "use --runtime torch")
    tokenizer.backend_tokenizer.save(str(folder / "tokenizer.json"))
    try:
        generation = GenerationConfig.from_pretrained(str(source), local_files_only=True)
    except OSError:
        generation = GenerationConfig.from_model_config(config)
    forced_bos = generation.forced_bos_token_id
    limit = getattr(tokenizer, "model_max_length", None)
    settings = {
        "model_max_length": limit if isinstance(limit, int) and limit < 1_000_000 else None,
        "clean_up_tokenization_spaces": bool(getattr(tokenizer, "clean_up_tokenization_spaces", False)),
        "length_penalty": generation.length_penalty if generation.length_penalty is not None else 1.0,
        "forced_bos_token": tokenizer.convert_ids_to_tokens(forced_bos) if forced_bos is not None else None,
        "forced_eos": generation.forced_eos_token_id is not None,
        "max_positions": getattr(config, "max_position_embeddings", None),
        "special_ids": sorted(set(tokenizer.all_special_ids)),
        "model_type": config.model_type,
    }
    (folder / RUNTIME_FILE).write_text(json.dumps(settings, indent=1) + "\n", encoding="utf-8")


def copy_with_placeholders(tokenizer, count: int):
    """A copy of ``tokenizer`` with ``count`` placeholder tokens added, so the converted vocabulary
    has as many entries as the model has output rows."""
    import copy

    padded = copy.deepcopy(tokenizer)
    padded.add_tokens([f"<briefing_unused_{i}>" for i in range(count)])
    return padded


class Tokenizer:
    """The model's fast tokenizer read from ``tokenizer.json`` with the ``tokenizers`` library alone.

    It answers what the condenser asks of a transformers tokenizer (token counts, decoding), and
    decodes as transformers does: special tokens skipped, then its clean-up of spaces when the model
    asks for it.
    """

    def __init__(self, folder: Path, settings: dict):
        from tokenizers import Tokenizer as Backend

        self.backend = Backend.from_file(str(folder / "tokenizer.json"))
        self.backend.no_padding()
        self.backend.no_truncation()
        self.model_max_length = settings.get("model_max_length") or 1_000_000
        self.clean_up = settings.get("clean_up_tokenization_spaces", False)
        self.special_ids = set(settings.get("special_ids") or ())

    def __call__(self, texts, add_special_tokens: bool = True, **_ignored) -> dict:
        encoded = self.backend.encode_batch(list(texts), add_special_tokens=add_special_tokens)
        return {"input_ids": [e.ids for e in encoded]}

    def tokens(self, texts) -> list[list[str]]:
        return [e.tokens for e in self.backend.encode_batch(list(texts), add_special_tokens=True)]

    def decode(self, tokens: list[str]) -> str:
        ids = [self.backend.token_to_id(t) for t in tokens]
        ids = [i for i in ids if i is not None and i not in self.special_ids]
        text = self.backend.decode(ids, skip_special_tokens=True)
        return clean_up_tokenization(text) if self.clean_up else text


def clean_up_tokenization(text: str) -> str:
    """transformers' ``clean_up_tokenization``: no space before punctuation and English contractions."""
    for before, after in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                          (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        text = text.replace(before, after)
    return text


class Seq2SeqModel:
    """A converted seq2seq model in a CTranslate2 Translator, generating as ``model.generate`` does."""

    def __init__(self, folder: Path, precision: str, threads: int | None):
        ctranslate2 = runtime()

        self.folder = folder
        self.precision = precision
        self.settings = json.loads((folder / RUNTIME_FILE).read_text(encoding="utf-8"))
        self.tokenizer = Tokenizer(folder, self.settings)
        self.threads = threads or default_threads()
        self.translator = built_apart(lambda: ctranslate2.Translator(
            str(folder), device="cpu", compute_type=QUANTIZATION[precision], intra_threads=self.threads,
            inter_threads=1))

    @property
    def max_positions(self) -> int | None:
        return self.settings.get("max_positions")

    def generate(self, texts, *, beams: int, no_repeat_ngram_size: int, max_new_tokens: int,
                 min_new_tokens: int) -> list[str]:
        """The text generated for each of ``texts`` (see :meth:`generate_tokens`)."""
        return [self.tokenizer.decode(tokens) for tokens in self.generate_tokens(
            texts, beams=beams, no_repeat_ngram_size=no_repeat_ngram_size, max_new_tokens=max_new_tokens,
            min_new_tokens=min_new_tokens)]

    def generate_tokens(self, texts, *, beams: int, no_repeat_ngram_size: int, max_new_tokens: int,
                        min_new_tokens: int) -> list[list[str]]:
        """Beam search over ``texts`` with the Hugging Face meaning of the length settings.

        ``max_new_tokens`` counts the end token; a model with a forced end token (BART) spends the
        last step on it, so it gets one step less of text. With the same lengths and beams the
        tokens are those of ``transformers``' ``generate`` (tested on the tiny models in fp32).
        """
        forced_eos = 1 if self.settings.get("forced_eos") else 0
        prefix_token = self.settings.get("forced_bos_token")
        source = self.tokenizer.tokens(texts)
        results = self.translator.translate_batch(
            source,
            target_prefix=[[prefix_token] for _ in source] if prefix_token else None,
            beam_size=beams,
            patience=1.0,
            num_hypotheses=1,
            length_penalty=float(self.settings.get("length_penalty", 1.0)),
            no_repeat_ngram_size=no_repeat_ngram_size,
            max_input_length=0,  # never truncate: inputs are packed to fit
            max_decoding_length=max(1, max_new_tokens - forced_eos),
            min_decoding_length=min(min_new_tokens, max(1, max_new_tokens - forced_eos)),
        )
        return [result.hypotheses[0] for result in results]


def default_threads() -> int:
    """Threads for CTranslate2: OMP_NUM_THREADS when set, else the cores this process may use."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def load_seq2seq(name: str, source: Path, revision: str | None, precision: str, threads: int | None = None,
                 progress: Callable[[str], None] | None = None) -> tuple[Seq2SeqModel, str]:
    """The converted model (converted now when not cached) loaded for generation, and 'loaded' or 'built'."""
    if precision not in QUANTIZATION:
        raise ModelError(f"the CTranslate2 runtime runs int8 or fp32 on the CPU, not {precision}",
                         "use --runtime torch for bf16/fp16 on a GPU")
    quantization = QUANTIZATION[precision]
    folder, status = converted(name, source, revision, quantization, SEQ2SEQ_SCHEME,
                               lambda target: convert_seq2seq(source, target, quantization), progress)
    try:
        return Seq2SeqModel(folder, precision, threads), status
    except (OSError, RuntimeError, ValueError, KeyError) as exc:  # a damaged cache entry: convert it again
        if status == "built":
            raise ModelError(f"cannot load the converted {name}: {exc}", "use --runtime torch") from None
        log.warning("ct2: the converted %s in %s is unusable (%s); converting it again", name, folder, exc)
        shutil.rmtree(folder, ignore_errors=True)
        return load_seq2seq(name, source, revision, precision, threads, progress)
