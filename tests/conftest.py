"""Shared fixtures: where the seed and corpus are, a clean BRIEFING_HOME, running the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# The suite checks the CPU defaults (int8 in CTranslate2 and so on), on any machine: a GPU stays hidden
# from torch unless BRIEFING_TEST_DEVICE=cuda, which runs tests/test_cuda.py on it (set before torch loads).
if os.environ.get("BRIEFING_TEST_DEVICE") != "cuda":
    os.environ["CUDA_VISIBLE_DEVICES"] = ""

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "bakhmut-2023.txt"
CORPUS = ROOT.parent / "shared" / "corpus" / "articles"
DATA = Path(__file__).resolve().parent / "data"


def corpus_articles() -> list[Path]:
    """The evaluation corpus beside the checkout (never copied into the project)."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.glob("*.txt") if not p.name.endswith(".summary.txt"))


needs_corpus = pytest.mark.skipif(
    not corpus_articles(), reason=f"evaluation corpus not found at {CORPUS} (it lives in ../shared/corpus)"
)


@pytest.fixture(autouse=True)
def briefing_home(tmp_path_factory, monkeypatch) -> Path:
    """Every test runs offline in its own empty BRIEFING_HOME."""
    home = tmp_path_factory.mktemp("briefing-home")
    monkeypatch.setenv("BRIEFING_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return home


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, input: bytes | None = None, cwd: Path | None = None, env: dict | None = None,
            timeout: float = 300) -> Result:
    """Run ``python -m briefing ARGS`` in a subprocess, as a user would; returns its output."""
    full_env = dict(os.environ)
    full_env.setdefault("HF_HUB_OFFLINE", "1")
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [sys.executable, "-m", "briefing", *args],
        input=input,
        capture_output=True,
        cwd=cwd or ROOT,
        env=full_env,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


def modules_after(code: str) -> set[str]:
    """The modules a fresh Python process has loaded after running ``code`` (from the repository root)."""
    import json

    probe = f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.fixture
def cli():
    return run_cli


# --- tiny random-weight models (built once per session; see tests/tiny_models.py) -------------

ONE_THREAD = {"OMP_NUM_THREADS": "1"}  # tiny models gain nothing from threads, and a busy machine stalls them


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run a module's in-process model tests on one torch thread."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_bart(tmp_path_factory) -> Path:
    from tiny_models import tiny_model

    return tiny_model("bart", tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def tiny_t5(tmp_path_factory) -> Path:
    from tiny_models import tiny_model

    return tiny_model("t5", tmp_path_factory.getbasetemp())
