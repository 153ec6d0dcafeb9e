"""The model registry (``models.txt``), resolving a name or folder, device choice, and loading.

A model is named three ways: a registry name (``sshleifer/distilbart-cnn-12-6``), any Hugging Face
hub name, or a local folder saved with ``save_pretrained``. Names go through the normal Hugging Face
cache (``HF_HOME`` / ``HF_HUB_CACHE``). Deciding whether a model is on this machine reads only files
and folders, so the extractive path never imports torch. :func:`load_model` imports torch and
transformers for a model run in torch; int8 on the CPU runs a converted copy in CTranslate2
(:mod:`briefing.ct2`), which needs them only once, to convert. Generating never touches the network: a model
comes onto the machine with :func:`pull` (``briefing models pull NAME``), which fails fast when the
hub cannot be reached and refuses when ``HF_HUB_OFFLINE`` is set.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from .errors import ConfigError, ModelError, first_line
from .resources import data_path, user_dir

log = logging.getLogger(__name__)

FAMILIES = ("bart", "pegasus", "t5", "flan-t5")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "int8", "bf16", "fp16")
RUNTIMES = ("auto", "torch", "ctranslate2")
# What --precision auto gives on the CPU: int8 weights in CTranslate2 (benchmarks/README.md: 3.5x
# faster than fp32 at beam 4, loads in 0.3 s instead of 2.5 s, no torch import). Every generated
# sentence still goes through the faithfulness guard, whatever the precision.
CPU_AUTO_PRECISION = "int8"
DEFAULT_ENDPOINT = "https://huggingface.co"
CONNECT_TIMEOUT = 5.0  # seconds to reach the hub before `pull` gives up
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
# What `pull` fetches besides the weights: configs and tokenizer files, never TF/Flax/ONNX copies.
SUPPORT_FILES = (
    "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
    "vocab.json", "merges.txt", "spiece.model", "sentencepiece.bpe.model", "added_tokens.json", "vocab.txt",
)
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


@dataclass(frozen=True)
class ModelSpec:
    """A model as the user names it, with what shapes its input: family and input limit in tokens."""

    name: str
    family: str
    input_limit: int
    note: str = ""
    registered: bool = False
    default: bool = False

    @property
    def is_path(self) -> bool:
        return _looks_like_path(self.name)


@dataclass(frozen=True)
class Location:
    """Where a model's files are on this machine, and the hub commit they came from (when known)."""

    path: Path
    revision: str | None = None


# --- registry ------------------------------------------------------------------------------


def registry_files() -> list[Path]:
    """The registry files in force, highest priority first: the user's, then the package's."""
    files = [user_dir() / "models.txt", data_path("models.txt")]
    return [f for f in files if f.is_file()]


def parse_registry(text: str, origin: str = "models.txt") -> list[ModelSpec]:
    """Read registry lines ``name family input-limit note``; errors name the file and line."""
    specs = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 3)
        if len(parts) < 3:
            raise ConfigError(f"{origin}, line {number}: expected 'name family input-limit note'", f"got '{line}'")
        name, family, limit = parts[:3]
        if family not in FAMILIES:
            raise ConfigError(f"{origin}, line {number}: unknown family '{family}'", f"use one of {', '.join(FAMILIES)}")
        if not limit.isdigit() or int(limit) < 16:
            raise ConfigError(f"{origin}, line {number}: input limit '{limit}' must be a number of tokens (16 or more)")
        note = parts[3].strip() if len(parts) > 3 else ""
        specs.append(ModelSpec(name, family, int(limit), note, registered=True))
    return specs


def registry() -> list[ModelSpec]:
    """Registered models, the default first. The user's ``models.txt`` comes first and wins by name."""
    specs: list[ModelSpec] = []
    seen: set[str] = set()
    for path in registry_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read model registry ({exc})") from None
        for spec in parse_registry(text, str(path)):
            if spec.name not in seen:
                seen.add(spec.name)
                specs.append(spec)
    if not specs:
        raise ConfigError("the model registry (models.txt) lists no models", "add a line: name family input-limit note")
    first = specs[0]
    return [ModelSpec(first.name, first.family, first.input_limit, first.note, True, True), *specs[1:]]


def default_model() -> str:
    return registry()[0].name


def _looks_like_path(name: str) -> bool:
    """A folder, not a hub name: starts with '.', '/' or '~', or is an existing folder (as HF treats it)."""
    return name.startswith((".", "/", "~")) or "\\" in name or Path(name).expanduser().is_dir()


def _same_path(a: str, b: str) -> bool:
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return False


def resolve(name: str | None = None) -> ModelSpec:
    """The spec of a registry name, hub name or folder (``None``: the registry's default)."""
    specs = registry()
    if not name:
        return specs[0]
    for spec in specs:
        if spec.name == name or (spec.is_path and _looks_like_path(name) and _same_path(spec.name, name)):
            return spec
    if _looks_like_path(name):
        folder = Path(name).expanduser()
        config = _read_config(folder / "config.json")
        family, limit = _infer_family(config, name)
        return ModelSpec(name, family, limit)
    if not _HUB_NAME.match(name):
        raise ModelError(
            f"'{name}' is neither a model folder nor a Hugging Face model name",
            "give a registry name (see `briefing models`), a hub name like org/model, or a folder",
        )
    location = _cached_location(name)
    config = _read_config(location.path / "config.json") if location else {}
    family, limit = _infer_family(config, name)
    return ModelSpec(name, family, limit)


def _read_config(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _infer_family(config: dict, name: str) -> tuple[str, int]:
    """Family and input limit of a model not in the registry, from its config.json (else its name)."""
    kind = str(config.get("model_type") or "").lower()
    lowered = name.lower()
    if not kind:
        kind = next((k for k in ("pegasus", "t5", "bart") if k in lowered), "bart")
    if "t5" in kind:
        family = "flan-t5" if "flan" in lowered else "t5"
    elif "pegasus" in kind:
        family = "pegasus"
    else:
        family = "bart"
    limit = config.get("max_position_embeddings") or config.get("n_positions")
    if not isinstance(limit, int) or limit < 16:
        limit = 512 if family in ("t5", "flan-t5") else 1024
    return family, min(limit, 4096)


# --- where a model is: the Hugging Face cache or a folder (no torch) -------------------------


def hub_cache() -> Path:
    """The Hugging Face hub cache, read from the environment now: HF_HUB_CACHE, else HF_HOME/hub."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return Path(os.path.expandvars(explicit)).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    return Path(os.path.expandvars(home)).expanduser() / "hub"


def offline() -> bool:
    """Whether HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) asks for no network at all."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def has_weights(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any((folder / name).is_file() for name in WEIGHT_FILES)


def _cached_location(name: str, revision: str | None = None) -> Location | None:
    from huggingface_hub import try_to_load_from_cache  # light: no torch, no network

    try:
        found = try_to_load_from_cache(name, "config.json", cache_dir=str(hub_cache()), revision=revision)
    except ValueError:  # not a valid repo id
        return None
    if not isinstance(found, str):
        return None
    folder = Path(found).parent
    if not has_weights(folder):
        return None
    return Location(folder, folder.name if re.fullmatch(r"[0-9a-f]{40}", folder.name) else None)


def locate(spec: ModelSpec) -> Location | None:
    """Where the model's files are on this machine, or None. Reads only the file system."""
    if spec.is_path:
        folder = Path(spec.name).expanduser()
        if not has_weights(folder):
            return None
        folder = folder.resolve()
        # A snapshot folder of the hub cache is named by its commit.
        revision = folder.name if re.fullmatch(r"[0-9a-f]{40}", folder.name) else None
        return Location(folder, revision)
    return _cached_location(spec.name)


def not_available_error(spec: ModelSpec) -> ModelError:
    """The error for a model that is not on this machine, naming what to do."""
    if spec.is_path:
        return ModelError(
            f"no model found in folder {spec.name} (it needs config.json and weights saved with save_pretrained)",
            "check the path, or give a registry name and run `briefing models pull NAME`",
        )
    return ModelError(
        # No cache path here: this message also goes into reports that are mailed to a list.
        # `briefing models` says where models are looked for.
        f"model {spec.name} is not downloaded to this machine",
        f"run `briefing models pull {spec.name}` once with network access, or pass --model PATH to a local folder",
    )


def availability(spec: ModelSpec) -> str:
    """'cached', 'local' or 'missing', for listings."""
    location = locate(spec)
    if location is None:
        return "missing"
    return "local" if spec.is_path else "cached"


# --- downloading -----------------------------------------------------------------------------


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_reachable(url: str | None = None, timeout: float = CONNECT_TIMEOUT) -> str | None:
    """None when a TCP connection to the hub opens within ``timeout`` seconds, else the reason it did not.

    The name lookup runs in a daemon thread, so a stalled DNS cannot hang the command.
    """
    parsed = urlparse(url or endpoint())
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    outcome: list[str | None] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                outcome.append(None)
        except OSError as exc:
            outcome.append(exc.strerror or str(exc) or type(exc).__name__)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout + 1.0)
    if not outcome:
        return f"no answer within {timeout:.0f} s"
    return outcome[0]


def pull(name: str | None = None, progress: bool = False) -> tuple[ModelSpec, Location]:
    """Download a model into the Hugging Face cache for offline use; fails fast when offline."""
    spec = resolve(name)
    if spec.is_path:
        location = locate(spec)
        if location is None:
            raise not_available_error(spec)
        return spec, location
    if offline():
        raise ModelError(
            f"cannot download {spec.name}: HF_HUB_OFFLINE is set",
            "unset HF_HUB_OFFLINE (and TRANSFORMERS_OFFLINE) on a machine with network access",
        )
    reason = hub_reachable()
    if reason is not None:
        raise ModelError(
            f"cannot download {spec.name}: the Hugging Face hub at {endpoint()} cannot be reached ({reason})",
            "check the network or proxy (HTTPS_PROXY), or HF_ENDPOINT for a mirror; run `briefing models pull` again",
        )
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    (enable_progress_bars if progress else disable_progress_bars)()
    try:
        info = HfApi(endpoint=endpoint()).model_info(spec.name, timeout=30)
        patterns = files_to_pull([s.rfilename for s in (info.siblings or [])])
        snapshot_download(
            spec.name, revision=info.sha, allow_patterns=patterns or None, cache_dir=str(hub_cache()),
            endpoint=endpoint(), etag_timeout=30,
        )
    except Exception as exc:  # the hub client raises many kinds; the user needs one line
        raise ModelError(f"cannot download {spec.name}: {first_line(exc, with_type=True)}",
                         "check the name and the network") from None
    location = locate(spec)
    if location is None:
        raise ModelError(f"downloaded {spec.name} but found no weights in it", "is it a seq2seq transformers model?")
    return spec, location


def files_to_pull(files: list[str]) -> list[str]:
    """The files of a hub repository that loading needs: configs, tokenizer, one copy of the weights
    (safetensors when there are, else PyTorch .bin; never TensorFlow, Flax, Rust or ONNX copies)."""
    wanted = [f for f in files if f in SUPPORT_FILES]
    safetensors = [f for f in files if re.fullmatch(r"model(-\d+-of-\d+)?\.safetensors|model\.safetensors\.index\.json", f)]
    if safetensors:
        return wanted + safetensors
    return wanted + [f for f in files if re.fullmatch(r"pytorch_model(-\d+-of-\d+)?\.bin|pytorch_model\.bin\.index\.json", f)]


# --- loading (imports torch) -------------------------------------------------------------------


@dataclass
class LoadedModel:
    """A tokenizer and model in memory, ready to generate, and where they came from."""

    spec: ModelSpec
    location: Location
    tokenizer: Any
    model: Any
    device: str
    precision: str
    seconds: float
    runtime: str = "torch"  # "torch" (transformers' generate) or "ctranslate2" (a converted copy)
    prepared: str | None = None  # ctranslate2: "built" (converted now) or "loaded" (from the cache)

    @property
    def label(self) -> str:
        """The model's name, the hub commit it came from when known, and its precision when it is not
        the published fp32 weights: ``name@commit (int8)``. Reports name the model this way."""
        name = f"{self.spec.name}@{self.location.revision}" if self.location.revision else self.spec.name
        return name if self.precision == "fp32" else f"{name} ({self.precision})"

    @property
    def positions(self) -> int | None:
        """The model's learned positions (they bound input and output), when it has them."""
        if self.runtime == "ctranslate2":
            positions = self.model.max_positions
        else:
            positions = getattr(self.model.config, "max_position_embeddings", None)
        return positions if isinstance(positions, int) and positions > 0 else None

    @property
    def input_limit(self) -> int:
        """Tokens the model reads at once: the registry's limit, never more than the model's positions."""
        limit = self.spec.input_limit
        positions = self.positions
        if positions is not None:
            limit = min(limit, positions)
        return limit


_LOADED: dict[tuple[str, str, str], LoadedModel] = {}
_LOCK = threading.Lock()


def may_have_gpu() -> bool:
    """Whether this machine might have a GPU torch can use: an NVIDIA or AMD driver, or a Mac.
    When not, 'auto' means the CPU without importing torch (1.5 s)."""
    if sys.platform == "darwin":
        return True
    return any(Path(p).exists() for p in ("/dev/nvidia0", "/dev/nvidiactl", "/proc/driver/nvidia", "/dev/kfd"))


def pick_device(device: str = "auto") -> str:
    """'auto' picks a CUDA GPU, then Apple's MPS, then the CPU; an explicit device must exist."""
    if device not in DEVICES:
        raise ConfigError(f"unknown device '{device}'", f"choose from {', '.join(DEVICES)}")
    if device == "cpu" or (device == "auto" and not may_have_gpu()):
        return "cpu"
    import torch

    has_cuda = torch.cuda.is_available()
    has_mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if device == "auto":
        return "cuda" if has_cuda else "mps" if has_mps else "cpu"
    if device == "cuda" and not has_cuda:
        raise ConfigError("--device cuda: no CUDA GPU is available to torch", "use --device cpu or auto")
    if device == "mps" and not has_mps:
        raise ConfigError("--device mps: Apple's MPS is not available to torch", "use --device cpu or auto")
    return device


def pick_precision(precision: str, device: str, family: str) -> str:
    """On the CPU fp32 or int8 (auto: ``CPU_AUTO_PRECISION``); on GPUs bf16 where supported, else fp16
    (fp32 for T5, which overflows in fp16). int8 runs in CTranslate2, on the CPU."""
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision '{precision}'", f"choose from {', '.join(PRECISIONS)}")
    if device == "cpu":
        if precision not in ("auto", "fp32", "int8"):
            raise ConfigError(f"--precision {precision} is for GPUs; on the CPU use fp32 or int8",
                              "or leave --precision auto")
        return CPU_AUTO_PRECISION if precision == "auto" else precision
    if precision == "int8":
        raise ConfigError(f"--precision int8 runs on the CPU only (not on {device})",
                          "use --device cpu, or bf16/fp16 (or auto) on a GPU")
    if precision != "auto":
        return precision
    t5 = family in ("t5", "flan-t5")
    if device == "cuda":
        import torch

        if torch.cuda.is_bf16_supported():
            return "bf16"
        return "fp32" if t5 else "fp16"
    return "fp32" if t5 else "fp16"  # mps


def _quiet_libraries(progress: bool) -> None:
    """Progress bars of transformers and huggingface_hub only when ours are on."""
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars
    from transformers.utils import logging as hf_logging

    if progress:
        enable_progress_bars()
        hf_logging.enable_progress_bar()
    else:
        disable_progress_bars()
        hf_logging.disable_progress_bar()


def set_threads(threads: int | None) -> None:
    """``--threads N``: torch's intra-op threads for this process. None leaves torch's own choice,
    which follows OMP_NUM_THREADS (else one per core)."""
    if threads is None:
        return
    if not isinstance(threads, int) or threads < 1:
        raise ConfigError(f"--threads must be 1 or more (got {threads})")
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def pick_runtime(runtime: str, device: str, precision: str) -> str:
    """Which engine runs the model: CTranslate2 for int8 (and fp32 when asked for) on the CPU, torch
    for the rest. 'auto' gives CTranslate2 exactly when the precision is int8."""
    if runtime not in RUNTIMES:
        raise ConfigError(f"unknown runtime '{runtime}'", f"choose from {', '.join(RUNTIMES)}")
    if runtime == "auto":
        return "ctranslate2" if precision == "int8" else "torch"
    if runtime == "ctranslate2" and (device != "cpu" or precision not in ("int8", "fp32")):
        raise ConfigError(f"--runtime ctranslate2 runs int8 or fp32 on the CPU here (not {precision} on {device})",
                          "use --runtime torch, or --device cpu")
    if runtime == "torch" and precision == "int8":
        raise ConfigError("int8 runs in CTranslate2, not torch", "use --runtime auto (or ctranslate2), or --precision fp32")
    return runtime


def load_model(
    name: str | None = None,
    device: str = "auto",
    precision: str = "auto",
    progress: Callable[[str], None] | None = None,
    threads: int | None = None,
    runtime: str = "auto",
) -> LoadedModel:
    """Load a tokenizer and seq2seq model once per process; later calls get the same objects.

    int8 on the CPU (the default there) runs in CTranslate2: the model is converted once and kept
    in ``BRIEFING_HOME/cache/ct2`` (:mod:`briefing.ct2`); later runs load the converted copy in a
    fraction of a second, without importing torch. Everything else runs in torch.
    Raises ModelError when the model is not on this machine or cannot be loaded; never downloads.
    """
    spec = resolve(name)
    location = locate(spec)
    if location is None:
        raise not_available_error(spec)
    resolved_device = pick_device(device)
    resolved_precision = pick_precision(precision, resolved_device, spec.family)
    resolved_runtime = pick_runtime(runtime, resolved_device, resolved_precision)
    if resolved_runtime == "torch":
        set_threads(threads)
    elif threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ConfigError(f"--threads must be 1 or more (got {threads})")
    key = (str(location.path), resolved_device, resolved_precision, resolved_runtime)
    with _LOCK:
        if key in _LOADED:  # the same weights; the spec (family, limit) is read afresh from the registry
            return replace(_LOADED[key], spec=spec, location=location)
        if progress:
            progress(f"loading {spec.name} on {resolved_device} ({resolved_precision}, {resolved_runtime})…")
        started = time.perf_counter()
        if resolved_runtime == "ctranslate2":
            loaded = _load_ct2(spec, location, resolved_precision, threads, progress, started)
        else:
            loaded = _load_torch(spec, location, resolved_device, resolved_precision, progress, started)
        _LOADED[key] = loaded
        if progress:
            progress(f"loaded {spec.name} in {loaded.seconds:.1f} s")
        log.info("loaded %s from %s on %s (%s)", loaded.label, location.path, resolved_device, resolved_precision)
        return loaded


def _load_torch(spec: ModelSpec, location: Location, device: str, precision: str, progress, started: float):
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    _quiet_libraries(progress is not None)
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(location.path), local_files_only=True)
        model = AutoModelForSeq2SeqLM.from_pretrained(str(location.path), dtype=dtype, local_files_only=True)
        model.to(device)
        model.eval()
    except Exception as exc:  # transformers raises OSError, ValueError, KeyError, safetensors errors...
        raise ModelError(
            f"cannot load model {spec.name} from {location.path}: {first_line(exc, with_type=True)}",
            "is it a seq2seq model saved with save_pretrained? `briefing models check NAME` shows details",
        ) from None
    if not getattr(model.config, "is_encoder_decoder", False):
        raise ModelError(f"{spec.name} is not an encoder-decoder (seq2seq) model", "choose one from `briefing models`")
    return LoadedModel(spec, location, tokenizer, model, device, precision, time.perf_counter() - started)


def _load_ct2(spec: ModelSpec, location: Location, precision: str, threads: int | None, progress, started: float):
    from .ct2 import load_seq2seq

    config = _read_config(location.path / "config.json")
    if config and not config.get("is_encoder_decoder", True):
        raise ModelError(f"{spec.name} is not an encoder-decoder (seq2seq) model", "choose one from `briefing models`")
    identity = str(location.path) if spec.is_path else spec.name
    model, prepared = load_seq2seq(identity, location.path, location.revision, precision, threads, progress)
    return LoadedModel(spec, location, model.tokenizer, model, "cpu", precision, time.perf_counter() - started,
                       runtime="ctranslate2", prepared=prepared)


def unload_all() -> None:
    """Forget loaded models (tests; a long-running process that switches models)."""
    with _LOCK:
        _LOADED.clear()


def stderr_progress(enabled: bool) -> Callable[[str], None] | None:
    """A progress writer for stderr when it is a terminal and progress is wanted, else None."""
    if not enabled or not sys.stderr.isatty():
        return None

    def write(message: str) -> None:
        sys.stderr.write(f"\rbriefing: {message}\033[K")
        if message.endswith(("…", "...")):
            sys.stderr.flush()
        else:
            sys.stderr.write("\n")
            sys.stderr.flush()

    return write


SAMPLE_TEXT = (
    "Russian forces shelled the city overnight, killing two civilians, the regional governor said. "
    "Ukraine's allies pledged more air defence systems at a meeting in Brussels on Tuesday."
)


def check(name: str | None = None, device: str = "auto", precision: str = "auto", runtime: str = "auto") -> list[str]:
    """Load a model and generate once from a sample text; lines describing what happened."""
    from .condense.seq2seq import Seq2SeqCondenser

    condenser = Seq2SeqCondenser(name, device, precision, beams=2, runtime=runtime)
    loaded = condenser.load()
    text = condenser.shape.render(SAMPLE_TEXT, "Summarise the news below.", "Check")
    started = time.perf_counter()
    output = condenser.generate_batch([text], max_new_tokens=40, min_new_tokens=5)[0]
    seconds = time.perf_counter() - started
    return [
        f"model:     {loaded.spec.name}",
        f"files:     {loaded.location.path}",
        f"revision:  {loaded.location.revision or 'unknown (a local folder)'}",
        f"family:    {loaded.spec.family}, input limit {condenser.limit} tokens",
        f"device:    {loaded.device} ({loaded.precision}, {loaded.runtime})",
        f"loaded in: {loaded.seconds:.2f} s" + (" (converted for CTranslate2 now; later runs load the copy)"
                                                 if loaded.prepared == "built" else ""),
        f"generated: {seconds:.2f} s for {len(output.split())} words: {output[:200]}",
    ]
