"""Seq2seq condenser: a local transformers model, batched, chunked in rounds, and checked.

For every section the routed sentences are shaped for the model's family (plain text for BART and
PEGASUS, the task prefix for T5, the section's instruction for Flan-T5), packed at sentence
boundaries into chunks that fit the model's input limit (never truncated), and generated in
batches across sections, chunks and articles. Sections that needed several chunks are condensed
again from their chunks' summaries until one input fits (map, then reduce). Each generated
sentence then goes through the faithfulness guard (:mod:`briefing.facts`): sentences with a number,
name or attribution the sources do not support are dropped and listed; a section left with nothing
falls back to the extractive brief, and says so.

torch and transformers are imported only when a model runs in torch (fp32 on the CPU, GPUs); int8
on the CPU runs in CTranslate2 (:mod:`briefing.ct2`) without them.
"""

from __future__ import annotations

import logging
import string
import time
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import ConfigError, ModelError
from ..facts import check_generated, find_numbers
from ..resources import layered_dirs
from ..text import split_text
from . import Brief, SectionInput, Statement
from .extractive import ExtractiveCondenser

log = logging.getLogger(__name__)

METHOD = "seq2seq"
FALLBACK = "extractive-fallback"
BACKENDS = ("auto", "seq2seq", "extractive")
TOKENS_PER_WORD = 1.4  # generation budgets are in words; models count tokens
MAX_ROUNDS = 8
# On the CPU, a section whose facts fill more than this many model inputs gives the model those
# most outlets reported, then the most clearly on-topic (the encoder's cost grows with every token
# it reads: ~1 s per 800 tokens for distilbart int8 on 2 cores, benchmarks/README.md). A GPU reads
# every fact (0): 50 articles cost ~6 s more there (benchmarks/README.md).
DEVICE_MAX_CHUNKS = {"cpu": 4, "gpu": 0}
# Inputs and padded input tokens per generate call unless --batch-size says otherwise. On the CPU
# more rows cost about linearly (benchmarks/README.md); a GPU has the parallelism to take more.
BATCH_LIMITS = {"cpu": (8, 4096), "gpu": (32, 16384)}
FAMILIES_FILE = "_families.toml"


# --- per-family input shaping -------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """How one model family's input is written: a template over {text}, {instruction}, {title}."""

    family: str
    template: str
    default_instruction: str = ""

    def render(self, text: str, instruction: str = "", title: str = "") -> str:
        return self.template.format(text=text, instruction=instruction or self.default_instruction.format(title=title),
                                    title=title)


_VARIABLES = {"text", "instruction", "title"}


def load_shapes(prompts_dir: Path | None = None) -> dict[str, Shape]:
    """The family templates from ``_families.toml`` (user's folder first), validated strictly."""
    for folder in layered_dirs("prompts", prompts_dir):
        path = folder / FAMILIES_FILE
        if path.is_file():
            break
    else:
        raise ConfigError(f"no {FAMILIES_FILE} found in the prompts folders", "restore prompts/_families.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read family templates ({exc})") from None
    shapes = {}
    for family, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: '{family}' must be a table like [{family}]")
        unknown = set(table) - {"template", "default_instruction"}
        if unknown:
            raise ConfigError(f"{path}: [{family}] unknown key '{sorted(unknown)[0]}'", "allowed: template, default_instruction")
        template = table.get("template")
        if not isinstance(template, str) or "{text}" not in template:
            raise ConfigError(f"{path}: [{family}] 'template' must be text containing {{text}}")
        default = table.get("default_instruction", "")
        for key, value in (("template", template), ("default_instruction", default)):
            try:
                names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
            except ValueError as exc:
                raise ConfigError(f"{path}: [{family}] '{key}': {exc}") from None
            allowed = _VARIABLES if key == "template" else {"title"}
            if names - allowed:
                raise ConfigError(
                    f"{path}: [{family}] '{key}' uses unknown variable {{{sorted(names - allowed)[0]}}}",
                    f"allowed: {', '.join('{' + v + '}' for v in sorted(allowed))}",
                )
        shapes[family] = Shape(family, template, default)
    return shapes


# --- settings and what a run did ------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Generation settings. Lengths are per section (its max_words) unless fixed here."""

    beams: int = 4
    no_repeat_ngram_size: int = 3
    seed: int = 0
    min_words: int | None = None  # default: a quarter of each section's max_words
    batch_size: int | None = None  # inputs per generate call, at most (None: BATCH_LIMITS for the device)
    batch_tokens: int | None = None  # input tokens per generate call (rows x longest input), at most
    max_new_tokens: int | None = None  # fixed generation length, for benchmarks and checks
    min_new_tokens: int | None = None
    map_beams: int | None = None  # beams for inputs whose output is condensed again (None: `beams`)
    max_chunks: int | None = None  # model inputs a section's facts may fill (0: all; None: by device)

    def __post_init__(self) -> None:
        if (self.beams < 1 or (self.batch_size or 1) < 1 or self.no_repeat_ngram_size < 0
                or (self.batch_tokens or 1) < 1 or (self.map_beams or 1) < 1):
            raise ConfigError("--beams and --batch-size must be 1 or more, --no-repeat-ngram 0 or more")


@dataclass
class Job:
    """One model input: a whole section, or one chunk of it."""

    item: int  # position of its SectionInput
    text: str  # exactly what the tokenizer gets
    tokens: int  # its length in tokens, special tokens included
    final: bool  # True when the output is the section's brief (no further round)


@dataclass
class Trace:
    """What the last run fed the model: the inputs of each round and the rows of each generate call."""

    limit: int = 0
    rounds: list[list[Job]] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    beams: list[int] = field(default_factory=list)  # the beam width of each generate call
    outputs: list[list[str]] = field(default_factory=list)
    read: dict[int, tuple[int, int]] = field(default_factory=dict)  # section -> (facts the model read, facts)
    seconds: float = 0.0


# --- the condenser ----------------------------------------------------------------------------


class Seq2SeqCondenser:
    """Condenses every section of a report with one loaded model, in batches."""

    name = METHOD

    def __init__(
        self,
        model: str | None = None,
        device: str = "auto",
        precision: str = "auto",
        *,
        beams: int = 4,
        seed: int = 0,
        no_repeat_ngram_size: int = 3,
        min_words: int | None = None,
        batch_size: int | None = None,
        max_new_tokens: int | None = None,
        min_new_tokens: int | None = None,
        prompts_dir: Path | None = None,
        progress: Callable[[str], None] | None = None,
        notify: Callable[[str], None] | None = None,
        fallback: bool = False,
        threads: int | None = None,
        runtime: str = "auto",
        batch_tokens: int | None = None,
        map_beams: int | None = None,
        max_chunks: int | None = None,
    ):
        self.model_name = model
        self.threads = threads
        self.runtime = runtime
        self.device = device
        self.precision = precision
        self.settings = Settings(beams, no_repeat_ngram_size, seed, min_words, batch_size, batch_tokens, max_new_tokens,
                                 min_new_tokens, map_beams, max_chunks)
        self.prompts_dir = prompts_dir
        self.progress = progress
        self.notify = notify
        self.fallback = fallback
        self.loaded: Any = None
        self.trace = Trace()

    # loading

    def load(self):
        """Load the model (once per process, shared by every condenser naming it)."""
        if self.loaded is None:
            from ..models import load_model

            self.loaded = load_model(self.model_name, self.device, self.precision, progress=self.progress,
                                     threads=self.threads, runtime=self.runtime)
            shapes = load_shapes(self.prompts_dir)
            if self.loaded.spec.family not in shapes:
                raise ConfigError(f"no template for model family '{self.loaded.spec.family}' in {FAMILIES_FILE}")
            self.shape = shapes[self.loaded.spec.family]
        return self.loaded

    @property
    def limit(self) -> int:
        """Tokens the model reads at once (the registry's limit, the model's and the tokenizer's)."""
        loaded = self.load()
        limit = loaded.input_limit
        tokenizer_limit = getattr(loaded.tokenizer, "model_max_length", None)
        if isinstance(tokenizer_limit, int) and 16 <= tokenizer_limit < 100_000:
            limit = min(limit, tokenizer_limit)
        return limit

    # the interface

    def condense(self, inputs: Sequence[SectionInput]) -> list[Brief]:
        if not inputs:
            return []
        loaded = self.load()
        try:
            generated = self.generate(inputs)
        except (RuntimeError, ValueError, IndexError, ModelError) as exc:  # torch: memory, shapes, devices
            if isinstance(exc, ModelError):
                error = exc
            else:
                error = ModelError(f"generation with {loaded.spec.name} failed: {(str(exc).splitlines() or [''])[0]}",
                                   "try --device cpu, a smaller --batch-size, or --backend extractive")
            if not self.fallback:
                raise error from exc
            if self.notify:
                self.notify(f"{error.message}; condensing extractively instead")
            return FallbackCondenser(f"The model failed: {error.message}.").condense(inputs)
        briefs = [brief_from_generation(item, text, loaded.label) for item, text in zip(inputs, generated)]
        for number, (read, total) in self.trace.read.items():
            briefs[number].notes.append(f"The model read {read} of {total} facts: those most outlets reported, "
                                        "then the most clearly on-topic (--max-chunks).")
        return briefs

    # generation in rounds

    def generate(self, inputs: Sequence[SectionInput]) -> list[str]:
        """The model's text for each section: chunks condensed and re-condensed until one input fits."""
        started = time.perf_counter()
        self.trace = Trace(limit=self.limit)
        pieces: dict[int, list[str]] = {i: self.select(i, item) for i, item in enumerate(inputs)}
        done: dict[int, str] = {}
        for number in range(1, MAX_ROUNDS + 1):
            jobs: list[Job] = []
            for i, units in pieces.items():
                chunks = self.pack(inputs[i], units)
                jobs.extend(Job(i, text, tokens, final=len(chunks) == 1) for text, tokens in chunks)
                if not chunks:
                    done[i] = ""
            outputs = self.run(jobs, inputs, number)
            self.trace.rounds.append(jobs)
            self.trace.outputs.append(outputs)
            following: dict[int, list[str]] = {}
            for job, output in zip(jobs, outputs):
                if job.final:
                    done[job.item] = output
                else:
                    following.setdefault(job.item, []).extend(split_text(output) or ([output] if output.strip() else []))
            pieces = following
            if not pieces:
                break
        else:
            raise ModelError("the input did not shrink to the model's limit in "
                             f"{MAX_ROUNDS} rounds of condensing", "lower --max-words or use a model with a longer input")
        self.trace.seconds = time.perf_counter() - started
        return [done.get(i, "") for i in range(len(inputs))]

    def select(self, number: int, item: SectionInput) -> list[str]:
        """The section's facts the model reads, in source order: all of them when they fill at most
        ``max_chunks`` inputs, else the facts most outlets reported, then the most clearly on-topic
        (routing score), as many as fill that many inputs (packing at sentence boundaries may need
        one more). The brief says how many it read."""
        texts = [s.text for s in item.sentences]
        chunks = self.chunk_limit()
        if not chunks or not texts:
            return texts
        budget = chunks * (self.limit - self.count([self.shaped(item, "")])[0])
        empty = self.count([""])[0]
        sizes = [n - empty + 1 for n in self.count(texts)]
        if sum(sizes) <= budget:
            return texts
        outlets = item.outlets if len(item.outlets) == len(texts) else (1,) * len(texts)
        scores = item.scores if len(item.scores) == len(texts) else (0.0,) * len(texts)
        kept: set[int] = set()
        used = 0
        for k in sorted(range(len(texts)), key=lambda k: (-outlets[k], -scores[k], k)):
            if used + sizes[k] > budget:  # strictly by rank: no lower fact slips into the gap
                break
            kept.add(k)
            used += sizes[k]
        self.trace.read[number] = (len(kept), len(texts))
        return [texts[k] for k in sorted(kept)]

    def shaped(self, item: SectionInput, text: str) -> str:
        return self.shape.render(text, item.section.instruction, item.section.title)

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text with the model's special tokens, without the tokenizer's length warning."""
        if not texts:
            return []
        encoded = self.loaded.tokenizer(list(texts), add_special_tokens=True, verbose=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def pack(self, item: SectionInput, units: Sequence[str]) -> list[tuple[str, int]]:
        """Split ``units`` (sentences) into model inputs that fit the limit, in order, dropping nothing.

        Sentences are kept whole; one sentence longer than the whole limit is cut between words.
        """
        units = [u.strip() for u in units if u.strip()]
        if not units:
            return []
        limit = self.limit
        overhead = self.count([self.shaped(item, "")])[0]
        budget = limit - overhead
        if budget < 8:
            raise ConfigError(f"the {self.loaded.spec.family} template leaves no room for text in {limit} tokens")
        sizes = [n - self.count([""])[0] + 1 for n in self.count(units)]  # +1: the space that joins them
        pieces: list[tuple[str, int]] = []
        for unit, size in zip(units, sizes):
            if size <= budget:
                pieces.append((unit, size))
                continue
            log.info("a sentence of %d tokens is longer than the model's input; cutting it between words", size)
            words = unit.split()
            step = max(1, int(len(words) * budget / size * 0.9))
            pieces.extend((" ".join(words[k : k + step]), 0) for k in range(0, len(words), step))
        pieces = [(text, size or self.count([text])[0] - self.count([""])[0] + 1) for text, size in pieces]
        chunks: list[list[str]] = [[]]
        used = 0
        for text, size in pieces:
            if chunks[-1] and used + size > budget:
                chunks.append([])
                used = 0
            chunks[-1].append(text)
            used += size
        return self._fit(item, chunks, limit)

    def _fit(self, item: SectionInput, chunks: list[list[str]], limit: int) -> list[tuple[str, int]]:
        """Exact check of each chunk's length; a chunk the estimate let through too long is halved."""
        fitted = []
        for chunk in chunks:
            text = self.shaped(item, " ".join(chunk))
            tokens = self.count([text])[0]
            if tokens <= limit:
                fitted.append((text, tokens))
            elif len(chunk) > 1:
                half = len(chunk) // 2
                fitted.extend(self._fit(item, [chunk[:half], chunk[half:]], limit))
            else:
                words = chunk[0].split()
                if len(words) < 2:
                    raise ModelError(f"a single token run is longer than the model's {limit}-token input")
                half = len(words) // 2
                fitted.extend(self._fit(item, [[" ".join(words[:half])], [" ".join(words[half:])]], limit))
        return fitted

    def lengths(self, item: SectionInput, final: bool) -> tuple[int, int]:
        """(max_new_tokens, min_new_tokens) for one input: the section's word budget, or the fixed one."""
        settings = self.settings
        top = settings.max_new_tokens or max(8, round(item.max_words * TOKENS_PER_WORD))
        min_words = settings.min_words if settings.min_words is not None else item.max_words // 4
        bottom = settings.min_new_tokens if settings.min_new_tokens is not None else round(min_words * TOKENS_PER_WORD)
        if not final:  # a chunk's summary must leave room for the others in the next round
            top = min(top, max(8, (self.limit - self.count([self.shaped(item, "")])[0]) // 3))
        positions = self.loaded.positions
        if positions is not None and positions > 8:  # learned positions bound the decoder too
            top = min(top, positions - 2)
        return top, min(bottom, top)

    def run(self, jobs: Sequence[Job], inputs: Sequence[SectionInput], round_number: int = 1) -> list[str]:
        """Generate every job, in batches of similar length and equal generation settings."""
        outputs: list[str] = [""] * len(jobs)
        groups: dict[tuple[int, int], list[int]] = {}
        for k, job in enumerate(jobs):
            beams = self.settings.beams if job.final or self.settings.map_beams is None else self.settings.map_beams
            groups.setdefault((*self.lengths(inputs[job.item], job.final), beams), []).append(k)
        batches: list[tuple[list[int], int, int]] = []
        for (top, bottom, beams), members in groups.items():
            members.sort(key=lambda k: -jobs[k].tokens)  # similar lengths together: little padding
            for batch in self.batched(members, [jobs[k].tokens for k in members]):
                low = bottom
                if self.settings.min_new_tokens is None:  # a short input gets no long summary forced on it
                    low = min(bottom, max(1, min(jobs[k].tokens for k in batch) // 2))
                batches.append((batch, top, low, beams))
        for n, (batch, top, bottom, beams) in enumerate(batches, start=1):
            if self.progress:
                self.progress(f"generating: round {round_number}, batch {n}/{len(batches)} ({len(batch)} inputs)…")
            texts = self.generate_batch([jobs[k].text for k in batch], top, bottom, beams)
            for k, text in zip(batch, texts):
                outputs[k] = text
        if self.progress and batches:
            self.progress(f"generated {len(jobs)} input(s) in round {round_number}")
        return outputs

    def batched(self, members: list[int], sizes: list[int]) -> list[list[int]]:
        """``members`` (longest first) cut into batches of at most ``batch_size`` inputs and
        ``batch_tokens`` padded input tokens (rows times the longest); a single input always fits."""
        most, budget = self.batch_limits()
        batches: list[list[int]] = []
        longest = 0
        for member, size in zip(members, sizes):
            if batches and len(batches[-1]) < most:
                if max(longest, size) * (len(batches[-1]) + 1) <= budget:
                    batches[-1].append(member)
                    longest = max(longest, size)
                    continue
            batches.append([member])
            longest = size
        return batches

    def device_kind(self) -> str:
        """'cpu', or 'gpu' for any accelerator: the key of the device-dependent defaults."""
        device = self.loaded.device if self.loaded is not None else "cpu"
        return "cpu" if device == "cpu" else "gpu"

    def chunk_limit(self) -> int:
        """Model inputs a section's facts may fill (0: all): the setting, else the device's default."""
        if self.settings.max_chunks is not None:
            return self.settings.max_chunks
        return DEVICE_MAX_CHUNKS[self.device_kind()]

    def batch_limits(self) -> tuple[int, int]:
        """(inputs, padded input tokens) per generate call: the settings, else the device's defaults."""
        inputs, tokens = BATCH_LIMITS[self.device_kind()]
        return self.settings.batch_size or inputs, self.settings.batch_tokens or tokens

    def generate_batch(self, texts: Sequence[str], max_new_tokens: int, min_new_tokens: int,
                       beams: int | None = None) -> list[str]:
        """One generate call over ``texts`` (each already known to fit the input limit)."""
        loaded = self.load()
        settings = self.settings if beams is None else replace(self.settings, beams=beams)
        if loaded.runtime == "ctranslate2":
            outputs = loaded.model.generate(texts, beams=settings.beams,
                                            no_repeat_ngram_size=settings.no_repeat_ngram_size,
                                            max_new_tokens=max_new_tokens, min_new_tokens=min_new_tokens)
            self.trace.batches.append(len(texts))
            self.trace.beams.append(settings.beams)
            return [clean_output(text) for text in outputs]
        import torch

        tokenizer, model = loaded.tokenizer, loaded.model
        encoded = tokenizer(list(texts), return_tensors="pt", padding=True)
        if encoded["input_ids"].shape[1] > self.limit:  # pack() makes this impossible; never truncate
            raise ModelError(f"internal error: an input of {encoded['input_ids'].shape[1]} tokens exceeds the limit")
        encoded = {key: value.to(loaded.device) for key, value in encoded.items()}
        config = generation_config(model, settings, max_new_tokens, min_new_tokens)
        torch.manual_seed(self.settings.seed)
        with torch.inference_mode(), attention_backends(loaded.device):
            output = model.generate(**prepared(model, encoded, config), generation_config=config)
        self.trace.batches.append(len(texts))
        self.trace.beams.append(settings.beams)
        return [clean_output(text) for text in tokenizer.batch_decode(output, skip_special_tokens=True)]


def attention_backends(device: str):
    """On a CUDA GPU, attention without cuDNN's kernels: loading them costs ~3.3 s in every new
    process (measured on an H200: first report 4.2-4.9 s with them, 1.1-1.5 s without) and they are
    no faster for these short inputs. Flash, memory-efficient and math attention stay allowed."""
    import contextlib

    if device != "cuda":
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    allowed = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]
    return sdpa_kernel(allowed)


def generation_config(model, settings: Settings, max_new_tokens: int, min_new_tokens: int):
    """A complete GenerationConfig: the model's special tokens and length penalty, our search settings."""
    from transformers import GenerationConfig

    base = model.generation_config.to_dict()
    kept = {
        key: base[key]
        for key in ("decoder_start_token_id", "bos_token_id", "eos_token_id", "pad_token_id", "forced_bos_token_id",
                    "forced_eos_token_id", "length_penalty")
        if base.get(key) is not None
    }
    return GenerationConfig(
        **kept,
        num_beams=settings.beams,
        do_sample=False,
        early_stopping=settings.beams > 1,
        max_new_tokens=max_new_tokens,
        min_new_tokens=min_new_tokens,
        no_repeat_ngram_size=settings.no_repeat_ngram_size,
    )


_SHARED_CROSS_CACHE: type | None = None


def beam_cache(model, config):
    """An encoder-decoder cache that skips reordering the cross-attention keys and values.

    Beam search reorders the cache after every step, choosing for each row a beam of the same
    input. The cross-attention part is the same for every beam of an input, so reordering it
    copies megabytes per step for nothing; skipping it leaves the result unchanged.
    """
    global _SHARED_CROSS_CACHE
    if config.num_beams <= 1 or not getattr(model.config, "is_encoder_decoder", False):
        return None
    from transformers import DynamicCache, EncoderDecoderCache

    if _SHARED_CROSS_CACHE is None:

        class SharedCrossAttentionCache(EncoderDecoderCache):
            def reorder_cache(self, beam_idx):
                self.self_attention_cache.reorder_cache(beam_idx)

        _SHARED_CROSS_CACHE = SharedCrossAttentionCache
    return _SHARED_CROSS_CACHE(DynamicCache(config=model.config), DynamicCache(config=model.config))


def cache_argument(module) -> str:
    """The name ``module.forward`` takes the key/value cache under: transformers 5.24 renamed
    ``past_key_values`` to ``cache`` (the old name is deprecated); earlier 5.x know only the old one."""
    import inspect

    return "cache" if "cache" in inspect.signature(module.forward).parameters else "past_key_values"


def prepared(model, encoded: dict, config) -> dict:
    """Inputs for ``generate`` with the work that does not depend on the beam done once per input.

    On the CPU each input is encoded at its own length (no encoder work on another input's padding;
    a GPU encodes the batch in one call), and the cross-attention keys and values are computed once
    per input and shared by its beams (beam search would compute and reorder them once per beam;
    greedy search gets the first part only). The result is the same tokens.
    """
    if not getattr(model.config, "is_encoder_decoder", False):
        return dict(encoded)
    cache = beam_cache(model, config)
    name = cache_argument(model)
    if cache is not None and config.decoder_start_token_id is None:  # cannot run the first decoder step ourselves
        return {**encoded, name: cache}
    import torch
    from transformers.modeling_outputs import BaseModelOutput

    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    encoder = model.get_encoder()
    if ids.device.type != "cpu":  # a GPU computes the padding for free, but pays per call: one call
        states = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
    else:
        states = None
        for row in range(ids.shape[0]):
            keep = mask[row].bool()
            hidden = encoder(input_ids=ids[row : row + 1, keep], attention_mask=mask[row : row + 1, keep]).last_hidden_state
            if states is None:
                states = hidden.new_zeros((ids.shape[0], ids.shape[1], hidden.shape[-1]))
            states[row, keep] = hidden[0]
    if cache is None:  # greedy: no beams to share with, but no encoder work on padding either
        return {"input_ids": ids, "attention_mask": mask, "encoder_outputs": BaseModelOutput(last_hidden_state=states)}
    start = torch.full((ids.shape[0], 1), config.decoder_start_token_id, dtype=ids.dtype, device=ids.device)
    decoder = model.get_decoder()
    decoder(input_ids=start, encoder_hidden_states=states, encoder_attention_mask=mask, use_cache=True,
            **{cache_argument(decoder): cache})
    cross = cache.cross_attention_cache
    if not cross.layers or any(layer.keys is None for layer in cross.layers):  # a transformers we do not know
        log.warning("seq2seq: cannot share the cross-attention cache with this transformers version; "
                    "generating without sharing (same output, slower)")
        return dict(encoded)
    for layer in cross.layers:
        layer.keys = layer.keys.repeat_interleave(config.num_beams, dim=0)
        layer.values = layer.values.repeat_interleave(config.num_beams, dim=0)
    shared = type(cache)(type(cache.self_attention_cache)(config=model.config), cross)
    return {"input_ids": ids, "attention_mask": mask, "encoder_outputs": BaseModelOutput(last_hidden_state=states),
            name: shared}


def clean_output(text: str) -> str:
    """Generated text as prose: PEGASUS's <n> line breaks and runs of whitespace become spaces."""
    return " ".join(text.replace("<n>", " ").split())


# --- from generated text to a brief -------------------------------------------------------------


def brief_from_generation(item: SectionInput, text: str, model: str | None) -> Brief:
    """The section's brief from the model's text: checked sentences, or the extractive brief when none pass."""
    checks = check_generated(text, item.sentences)
    dropped = [{"text": c.text, "reason": "; ".join(c.reasons)} for c in checks if not c.ok]
    kept = [c for c in checks if c.ok]
    if kept:
        statements = [
            Statement(c.text, c.sources, weight=round(c.support + 0.35 * min(len(find_numbers(c.text)), 3), 4))
            for c in kept
        ]
        notes = []
        if dropped:
            notes.append(f"{len(dropped)} generated sentence{'s' if len(dropped) != 1 else ''} failed the "
                         "faithfulness check and {} dropped.".format("were" if len(dropped) != 1 else "was"))
        return Brief(item.section, statements, METHOD, model=model, notes=notes, dropped=dropped)
    extractive = ExtractiveCondenser().condense([item])[0]
    if checks:
        reason = (f"All {len(checks)} generated sentences failed the faithfulness check" if len(checks) > 1
                  else "The generated sentence failed the faithfulness check")
    else:
        reason = "The model generated nothing"
    return Brief(item.section, extractive.statements, FALLBACK, model=model,
                 notes=[f"{reason}; sentences quoted from the sources instead."], dropped=dropped)


class FallbackCondenser:
    """The extractive brief, marked as a fallback with the reason the model was not used."""

    name = FALLBACK

    def __init__(self, reason: str):
        self.reason = reason

    def condense(self, inputs: Sequence[SectionInput]) -> list[Brief]:
        briefs = ExtractiveCondenser().condense(inputs)
        return [Brief(b.section, b.statements, FALLBACK, notes=[self.reason]) for b in briefs]


# --- choosing the backend -----------------------------------------------------------------------


def condenser_for(options, notify: Callable[[str], None] | None = None):
    """The condenser ``options.backend`` asks for.

    'extractive': no model. 'seq2seq': the model, and a missing model is an error. 'auto': the model
    when it loads, else the extractive brief with one warning through ``notify``. Whether the model
    is on this machine is decided from files alone, so a missing model never imports torch.
    """
    from ..models import stderr_progress

    backend = getattr(options, "backend", "auto")
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend '{backend}'", f"choose from {', '.join(BACKENDS)}")
    if backend == "extractive":
        return ExtractiveCondenser()
    condenser = Seq2SeqCondenser(
        model=getattr(options, "model", None),
        device=getattr(options, "device", "auto"),
        precision=getattr(options, "precision", "auto"),
        beams=getattr(options, "beams", 4),
        seed=getattr(options, "seed", 0),
        no_repeat_ngram_size=getattr(options, "no_repeat_ngram_size", 3),
        min_words=getattr(options, "min_words", None),
        batch_size=getattr(options, "batch_size", None),
        prompts_dir=getattr(options, "prompts_dir", None),
        progress=stderr_progress(getattr(options, "progress", False)),
        notify=notify,
        fallback=backend == "auto",
        threads=getattr(options, "threads", None),
        runtime=getattr(options, "runtime", "auto"),
        map_beams=getattr(options, "map_beams", None),
        max_chunks=getattr(options, "max_chunks", None),
    )
    try:
        condenser.load()
    except ModelError as error:
        if backend == "seq2seq":
            raise
        if notify:
            notify(f"{error.message}; using the extractive condenser instead" + (f" ({error.hint})" if error.hint else ""))
        return FallbackCondenser(f"The model was not used: {error.message}.")
    return condenser
