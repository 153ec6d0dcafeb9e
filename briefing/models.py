"""The model registry (``models.txt``), resolving a name or folder, device choice, and loading.

A model is named three ways: a registry name (``sshleifer/distilbart-cnn-12-6``), any Hugging Face
hub name, or a local folder saved with ``save_pretrained``. Names go through the normal Hugging Face
cache (``HF_HOME`` / ``HF_HUB_CACHE``). Deciding whether a model is on this machine reads only files
and folders, so the extractive path never imports torch; torch and transformers are imported only
by :func:`load_model`, when there is a model to load. Generating never touches the network: a model
comes onto the machine with :func:`pull` (``briefing models pull NAME``), which fails fast when the
hub cannot be reached and refuses when ``HF_HUB_OFFLINE`` is set.
"""

from __future__ import annotations

import hashlib
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

from .errors import ConfigError, ModelError
from .resources import data_path, user_dir

log = logging.getLogger(__name__)

FAMILIES = ("bart", "pegasus", "t5", "flan-t5")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "int8", "bf16", "fp16")
# What --precision auto gives on the CPU. int8 (dynamic quantization of every nn.Linear) is faster and
# smaller, but its effect on real summaries is not yet measured (issue #7): fp32 until it is.
CPU_AUTO_PRECISION = "fp32"
INT8_SCHEME = "torch.ao dynamic qint8, nn.Linear, v1"  # part of the int8 cache key
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
        raise ModelError(f"cannot download {spec.name}: {_first_line(exc)}", "check the name and the network") from None
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


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
    int8_cache: str | None = None  # int8 only: "built" (quantized now), "loaded" (from the cache), "off" (not cached)

    @property
    def label(self) -> str:
        """The model's name and, when known, the hub commit it came from: ``name@commit``."""
        return f"{self.spec.name}@{self.location.revision}" if self.location.revision else self.spec.name

    @property
    def input_limit(self) -> int:
        """Tokens the model reads at once: the registry's limit, never more than the model's positions."""
        limit = self.spec.input_limit
        positions = getattr(self.model.config, "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            limit = min(limit, positions)
        return limit


_LOADED: dict[tuple[str, str, str], LoadedModel] = {}
_LOCK = threading.Lock()


def pick_device(device: str = "auto") -> str:
    """'auto' picks a CUDA GPU, then Apple's MPS, then the CPU; an explicit device must exist."""
    import torch

    if device not in DEVICES:
        raise ConfigError(f"unknown device '{device}'", f"choose from {', '.join(DEVICES)}")
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
    (fp32 for T5, which overflows in fp16). int8 is dynamic quantization, a CPU-only kernel."""
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


def load_model(
    name: str | None = None,
    device: str = "auto",
    precision: str = "auto",
    progress: Callable[[str], None] | None = None,
    threads: int | None = None,
) -> LoadedModel:
    """Load a tokenizer and seq2seq model once per process; later calls get the same objects.

    ``precision="int8"`` quantizes the fp32 model's linear layers once and keeps the result in the
    int8 cache (:func:`int8_cache_file`); later runs load it from there.
    Raises ModelError when the model is not on this machine or cannot be loaded; never downloads.
    """
    set_threads(threads)
    spec = resolve(name)
    location = locate(spec)
    if location is None:
        raise not_available_error(spec)
    resolved_device = pick_device(device)
    resolved_precision = pick_precision(precision, resolved_device, spec.family)
    key = (str(location.path), resolved_device, resolved_precision)
    with _LOCK:
        if key in _LOADED:  # the same weights; the spec (family, limit) is read afresh from the registry
            return replace(_LOADED[key], spec=spec, location=location)
        if progress:
            progress(f"loading {spec.name} on {resolved_device} ({resolved_precision})…")
        started = time.perf_counter()
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        _quiet_libraries(progress is not None)
        dtype = {"fp32": torch.float32, "int8": torch.float32, "bf16": torch.bfloat16,
                 "fp16": torch.float16}[resolved_precision]
        int8_cache = None
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(location.path), local_files_only=True)
            if resolved_precision == "int8":
                model, int8_cache = _int8_model(spec, location, progress)
            else:
                model = AutoModelForSeq2SeqLM.from_pretrained(str(location.path), dtype=dtype, local_files_only=True)
                model.to(resolved_device)
                model.eval()
        except ModelError:
            raise
        except Exception as exc:  # transformers raises OSError, ValueError, KeyError, safetensors errors...
            raise ModelError(
                f"cannot load model {spec.name} from {location.path}: {_first_line(exc)}",
                "is it a seq2seq model saved with save_pretrained? `briefing models check NAME` shows details",
            ) from None
        if not getattr(model.config, "is_encoder_decoder", False):
            raise ModelError(f"{spec.name} is not an encoder-decoder (seq2seq) model", "choose one from `briefing models`")
        loaded = LoadedModel(spec, location, tokenizer, model, resolved_device, resolved_precision,
                             time.perf_counter() - started, int8_cache)
        _LOADED[key] = loaded
        if progress:
            progress(f"loaded {spec.name} in {loaded.seconds:.1f} s")
        log.info("loaded %s from %s on %s (%s)", loaded.label, location.path, resolved_device, resolved_precision)
        return loaded


# --- int8: dynamic quantization, prepared once and cached ---------------------------------------


def _quantize_dynamic():
    """torch's eager dynamic quantization, or a ModelError naming what to do when this torch lacks it."""
    import warnings

    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao on import/use
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            from torch.ao.quantization import quantize_dynamic
        except ImportError as exc:
            import torch

            raise ModelError(f"--precision int8 needs torch.ao.quantization.quantize_dynamic, which torch "
                             f"{torch.__version__} does not have ({exc})", "use --precision fp32") from None
    return quantize_dynamic


def quantize_int8(model):
    """The model with every ``nn.Linear`` replaced by a dynamically quantized int8 one (weights int8,
    activations quantized per batch); embeddings and layer norms stay fp32. Changes ``model`` in place."""
    import warnings

    import torch

    quantize_dynamic = _quantize_dynamic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*deprecated.*")  # TypedStorage, quantized tensors
        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def int8_cache_file(spec: ModelSpec, location: Location) -> Path:
    """Where the int8 weights of a model are kept: ``BRIEFING_HOME/cache/int8/<name>-<key>.pt``.

    The key covers what the quantized weights depend on: the model's folder and commit, the size and
    time of its weight files (a local folder can be overwritten), the torch and transformers versions,
    the quantization engine and our scheme. Any change gives a new file; nothing stale is loaded.
    """
    import torch
    import transformers

    weights = []
    for name in WEIGHT_FILES:
        path = location.path / name
        if path.is_file():
            stat = path.stat()
            weights.append([name, stat.st_size, stat.st_mtime_ns])
    key = json.dumps({
        "path": str(location.path), "revision": location.revision, "weights": weights, "torch": torch.__version__,
        "transformers": transformers.__version__, "engine": torch.backends.quantized.engine, "scheme": INT8_SCHEME,
    }, sort_keys=True)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", spec.name.rstrip("/\\").split("/")[-1] or "model").strip("-.") or "model"
    return user_dir() / "cache" / "int8" / f"{slug}-{digest}.pt"


def _int8_shell(model):
    """``model`` with each nn.Linear swapped for an empty int8 one (no packing of weights that the
    cached state then replaces); the rest of the model (config, embeddings, buffers) is kept."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    for parent in list(model.modules()):
        for child_name, child in list(parent.named_children()):
            if type(child) is torch.nn.Linear:
                shell = DynamicLinear(1, 1, bias_=child.bias is not None, dtype=torch.qint8)
                shell.in_features, shell.out_features = child.in_features, child.out_features
                setattr(parent, child_name, shell)
    return model


def _int8_skeleton(location: Location):
    """The model's modules with no weights in memory (meta tensors), its config and generation config
    read from the folder as ``from_pretrained`` reads them, every nn.Linear an empty int8 shell."""
    import torch
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, GenerationConfig

    config = AutoConfig.from_pretrained(str(location.path), local_files_only=True)
    with torch.device("meta"):
        model = AutoModelForSeq2SeqLM.from_config(config, dtype=torch.float32)
    try:
        model.generation_config = GenerationConfig.from_pretrained(str(location.path), local_files_only=True)
    except OSError:  # no generation_config.json: from_pretrained derives it from the config, as from_config did
        pass
    return _int8_shell(model)


def _int8_from_cache(path: Path) -> dict:
    """The cached int8 state dict (plain tensors and packed int8 weights: loaded with weights_only)."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*deprecated.*")  # TypedStorage, quantized tensors
        return torch.load(path, map_location="cpu", weights_only=True)


def _int8_model(spec: ModelSpec, location: Location, progress) -> tuple[Any, str]:
    """The int8 model from the cache when a readable entry is there, else quantized now and cached.

    From the cache, the model is built on the meta device and every tensor comes from the cached
    state, so the fp32 weights are never loaded (peak memory is the int8 model's). A cache file
    that cannot be read or does not fit the model is rebuilt, with a warning in the log.
    """
    import warnings

    import torch
    from transformers import AutoModelForSeq2SeqLM

    _quantize_dynamic()  # a clear error when this torch cannot quantize
    path = int8_cache_file(spec, location)
    if path.is_file():
        started = time.perf_counter()
        try:
            state = _int8_from_cache(path)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*deprecated.*")
                model = _int8_skeleton(location)
                model.load_state_dict(state, strict=True, assign=True)
            left = [name for name, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
            if left:  # a buffer that is not saved in a state dict (computed at init): not cacheable this way
                raise ValueError(f"{len(left)} tensor(s) not in the cached state, e.g. {left[0]}")
            model.eval()
            log.info("int8: loaded %s from the cache %s in %.1f s", spec.name, path, time.perf_counter() - started)
            if progress:
                progress(f"int8: loaded the quantized weights from {path}")
            return model, "loaded"
        except Exception as exc:  # truncated, corrupt, from another layout: rebuild it
            log.warning("int8 cache file %s is unusable (%s); quantizing %s again", path, _first_line(exc), spec.name)
    model = AutoModelForSeq2SeqLM.from_pretrained(str(location.path), dtype=torch.float32,
                                                  local_files_only=True).eval()
    if progress:
        progress(f"int8: quantizing {spec.name} (once; kept in {path.parent})…")
    started = time.perf_counter()
    model = quantize_int8(model).eval()
    log.info("int8: quantized %s in %.1f s", spec.name, time.perf_counter() - started)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*deprecated.*")  # TypedStorage, quantized tensors
            torch.save(model.state_dict(), partial)
        os.replace(partial, path)  # readers never see a half-written file
        return model, "built"
    except (OSError, RuntimeError) as exc:  # read-only or full disk (torch.save raises RuntimeError for some)
        partial.unlink(missing_ok=True)
        log.warning("cannot keep the int8 weights of %s in %s (%s); they will be quantized again next run",
                    spec.name, path, exc)
        return model, "off"


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


def check(name: str | None = None, device: str = "auto", precision: str = "auto") -> list[str]:
    """Load a model and generate once from a sample text; lines describing what happened."""
    from .condense.seq2seq import Seq2SeqCondenser

    condenser = Seq2SeqCondenser(name, device, precision, beams=2)
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
        f"device:    {loaded.device} ({loaded.precision})",
        f"loaded in: {loaded.seconds:.2f} s",
        f"generated: {seconds:.2f} s for {len(output.split())} words: {output[:200]}",
    ]
