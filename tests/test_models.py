"""The model registry, finding models on this machine (HF cache or folder), pulling, loading, checking."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from briefing.errors import ConfigError, ModelError
from briefing.models import (
    availability, load_model, locate, parse_registry, pick_device, pick_precision, pull, registry, resolve,
)
from conftest import ONE_THREAD, ROOT, SEED, run_cli

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hf_home(tmp_path, monkeypatch) -> Path:
    """An empty Hugging Face home for this test, the way a user's HF_HOME would be."""
    home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    return home


def cache_model(hf_home: Path, name: str, folder: Path, commit: str = COMMIT) -> Path:
    """Put a saved model into the hub cache layout (refs/main -> snapshots/<commit>/), as a download does."""
    repo = hf_home / "hub" / ("models--" + name.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    shutil.copytree(folder, snapshot)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def test_registry_lists_the_supported_models_default_first():
    specs = registry()
    names = [s.name for s in specs]
    for name in ("sshleifer/distilbart-cnn-12-6", "facebook/bart-large-cnn", "google/pegasus-cnn_dailymail",
                 "google/flan-t5-base", "t5-small"):
        assert name in names
    assert specs[0].name == "sshleifer/distilbart-cnn-12-6" and specs[0].default
    assert not any(s.default for s in specs[1:])
    by_name = {s.name: s for s in specs}
    assert by_name["google/flan-t5-base"].family == "flan-t5" and by_name["t5-small"].family == "t5"
    assert by_name["google/pegasus-cnn_dailymail"].family == "pegasus"
    assert all(s.input_limit in (512, 1024) and s.note for s in specs)


def test_user_registry_comes_first_and_sets_the_default(briefing_home):
    (briefing_home / "models.txt").write_text("# mine\nt5-small  t5  256  my default\nmy-org/model  bart 1024  extra\n")
    specs = registry()
    assert specs[0].name == "t5-small" and specs[0].input_limit == 256 and specs[0].default
    assert [s.name for s in specs].count("t5-small") == 1
    assert "my-org/model" in [s.name for s in specs] and "facebook/bart-large-cnn" in [s.name for s in specs]
    assert resolve(None).name == "t5-small"


def test_a_bad_registry_line_names_the_file_and_line():
    with pytest.raises(ConfigError, match=r"models.txt, line 2: unknown family 'gpt'"):
        parse_registry("ok/model bart 1024 fine\nbad/model gpt 1024 no\n", "models.txt")
    with pytest.raises(ConfigError, match="line 1: input limit"):
        parse_registry("bad/model bart lots note\n", "models.txt")


def test_a_folder_is_a_model_name(tiny_bart):
    spec = resolve(str(tiny_bart))
    assert spec.is_path and spec.family == "bart" and spec.input_limit == 128  # from its config.json
    location = locate(spec)
    assert location is not None and location.path == tiny_bart.resolve() and location.revision is None
    assert availability(spec) == "local"


def test_names_go_through_the_hugging_face_cache_with_their_commit(hf_home, tiny_bart):
    name = "briefing-test/tiny-bart"
    assert locate(resolve(name)) is None and availability(resolve(name)) == "missing"
    snapshot = cache_model(hf_home, name, tiny_bart)
    spec = resolve(name)
    assert spec.family == "bart" and not spec.is_path
    location = locate(spec)
    assert location.path == snapshot and location.revision == COMMIT
    loaded = load_model(name, "cpu", "fp32")
    assert loaded.label == f"{name}@{COMMIT}"
    assert load_model(name, "cpu", "int8").label == f"{name}@{COMMIT} (int8)"
    assert loaded.device == "cpu" and loaded.precision == "fp32"


def test_a_cache_entry_without_weights_is_not_a_model(hf_home, tiny_bart, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(tiny_bart, partial)
    (partial / "model.safetensors").unlink()
    cache_model(hf_home, "briefing-test/partial", partial)
    assert locate(resolve("briefing-test/partial")) is None


def test_the_model_is_loaded_once_per_process(tiny_bart):
    first = load_model(str(tiny_bart), "cpu", "auto")
    second = load_model(str(tiny_bart), "auto", "int8")
    assert first.model is second.model and first.tokenizer is second.tokenizer
    torch_first = load_model(str(tiny_bart), "cpu", "fp32")
    assert torch_first.model is not first.model and load_model(str(tiny_bart), "auto", "fp32").model is torch_first.model


def test_missing_model_messages_name_the_pull_command(hf_home):
    with pytest.raises(ModelError) as raised:
        load_model("t5-small")
    assert "not downloaded" in str(raised.value) and "briefing models pull t5-small" in str(raised.value)
    with pytest.raises(ModelError, match="no model found in folder"):
        load_model(str(hf_home / "nothing-here"))


def test_device_and_precision_choices():
    import torch

    assert pick_precision("auto", "cpu", "bart") == "int8"
    with pytest.raises(ConfigError, match="fp16 is for GPUs"):
        pick_precision("fp16", "cpu", "bart")
    assert pick_precision("auto", "mps", "t5") == "fp32"  # T5 overflows in fp16
    if torch.cuda.is_available():
        assert pick_device("auto") == "cuda"
    else:
        assert pick_device("auto") in ("cpu", "mps")
        with pytest.raises(ConfigError, match="no CUDA GPU"):
            pick_device("cuda")


def test_deciding_the_model_is_missing_never_imports_torch(tmp_path):
    """The default run on a machine without the model: extractive, one notice, and no torch import."""
    code = (
        "import sys, briefing\n"
        f"articles = briefing.read_inputs([{str(SEED)!r}])\n"
        "said = []\n"
        "report = briefing.build_report(articles, briefing.Options(router='cues', backend='auto'), notify=said.append)\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'torch was imported'\n"
        "assert len(said) == 1 and 'briefing models pull' in said[0], said\n"
        "assert {b.method for b in report.briefs} == {'extractive-fallback'}\n"
    )
    env = {"HF_HOME": str(tmp_path / "hf"), "PATH": "/usr/bin:/bin", "BRIEFING_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_generate_never_touches_the_network(tmp_path):
    """Without HF_HUB_OFFLINE and with a hub that would hang, a missing model still falls back at once."""
    env = {"HF_HUB_OFFLINE": "", "HF_ENDPOINT": "http://10.255.255.1", "HF_HOME": str(tmp_path / "hf")}
    started = time.perf_counter()
    result = run_cli("generate", str(SEED), "--router", "cues", "--format", "txt", env=env)
    assert result.returncode == 0, result.stderr
    assert time.perf_counter() - started < 30
    assert "briefing models pull" in result.stderr


def test_models_command_lists_the_registry_and_what_is_here(tmp_path, tiny_bart):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "models.txt").write_text(f"{tiny_bart}  bart  128  the tiny test model\n")
    result = run_cli("models", env={"HF_HOME": str(tmp_path / "hf"), "BRIEFING_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("* " + str(tiny_bart)) and "local" in lines[0]
    distilbart = next(line for line in lines if "sshleifer/distilbart-cnn-12-6" in line)
    assert "missing" in distilbart and "bart" in distilbart and "1024" in distilbart


def test_pull_refuses_when_offline():
    result = run_cli("models", "pull", "t5-small", env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 4
    assert "HF_HUB_OFFLINE is set" in result.stderr


def test_pull_fails_fast_when_the_hub_cannot_be_reached(tmp_path):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "0")
        patch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
        patch.setenv("HF_HOME", str(tmp_path / "hf"))
        started = time.perf_counter()
        with pytest.raises(ModelError) as raised:
            pull("t5-small")
        assert time.perf_counter() - started < 15
    message = str(raised.value)
    assert "cannot be reached" in message and "briefing models pull" in message


def test_models_check_loads_and_generates(tiny_bart):
    result = run_cli("models", "check", str(tiny_bart), "--device", "cpu", env=ONE_THREAD)
    assert result.returncode == 0, result.stderr
    assert "device:    cpu (int8, ctranslate2)" in result.stdout
    assert "family:    bart, input limit 128 tokens" in result.stdout
    assert "generated:" in result.stdout


def test_pull_fetches_one_copy_of_the_weights_and_the_tokenizer():
    from briefing.models import files_to_pull

    repo = ["config.json", "pytorch_model.bin", "tf_model.h5", "flax_model.msgpack", "rust_model.ot", "vocab.json",
            "merges.txt", "tokenizer_config.json", "README.md", ".gitattributes"]
    assert sorted(files_to_pull(repo)) == ["config.json", "merges.txt", "pytorch_model.bin", "tokenizer_config.json",
                                           "vocab.json"]
    assert "model.safetensors" in files_to_pull(repo + ["model.safetensors"])
    assert "pytorch_model.bin" not in files_to_pull(repo + ["model.safetensors"])
    sharded = ["config.json", "spiece.model", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
               "model.safetensors.index.json", "pytorch_model.bin.index.json", "pytorch_model-00001-of-00002.bin"]
    assert sorted(files_to_pull(sharded)) == sorted(sharded[:5])
