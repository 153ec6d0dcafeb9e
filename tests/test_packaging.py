"""A wheel built from the repository works outside the checkout: templates, prompts, models.txt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SEED, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("briefing-*.whl")
    return path


def test_wheel_carries_data_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "briefing/_data/models.txt",
        "briefing/_data/templates/report.md.j2",
        "briefing/_data/templates/report.html.j2",
        "briefing/_data/templates/report.txt.j2",
        "briefing/_data/prompts/battlefield.toml",
        "briefing/_data/prompts/diplomacy.toml",
        "briefing/_data/prompts/reconstruction.toml",
    ):
        assert expected in names


def _stable(report_json: str) -> dict:
    data = json.loads(report_json)
    data.pop("generated_at")
    data.pop("timings")
    return data


def test_installed_wheel_gives_the_same_report_from_another_folder(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target), HF_HUB_OFFLINE="1")
    args = ["generate", str(SEED), "--router", "cues", "--date", "2023-03-30", "--format", "json"]
    probe = subprocess.run(
        [sys.executable, "-c", "import briefing, sys; print(briefing.__file__)"],
        capture_output=True, text=True, cwd=elsewhere, env=env, check=True,
    )
    assert probe.stdout.strip().startswith(str(target)), "the test must run the installed wheel"
    installed = subprocess.run(
        [sys.executable, "-m", "briefing", *args], capture_output=True, text=True, cwd=elsewhere, env=env
    )
    assert installed.returncode == 0, installed.stderr
    models = subprocess.run(
        [sys.executable, "-m", "briefing", "sections"], capture_output=True, text=True, cwd=elsewhere, env=env
    )
    assert "_data/prompts/battlefield.toml" in models.stdout
    checkout = run_cli(*args)
    assert checkout.returncode == 0, checkout.stderr
    assert _stable(installed.stdout) == _stable(checkout.stdout)
