"""Where packaged data (prompts, templates, models.txt) and the user's folder live.

The repository keeps ``prompts/``, ``templates/`` and ``models.txt`` at its top level; a wheel
carries them as ``briefing/_data/...``. A user's ``BRIEFING_HOME`` overrides them file by file.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """Path of a packaged resource: inside the wheel, else at the top of the checkout."""
    packaged = _PACKAGE / "_data" / name
    if packaged.exists():
        return packaged
    return _PACKAGE.parent / name


def user_dir() -> Path:
    """The user's briefing folder: ``$BRIEFING_HOME``, else ``$XDG_CONFIG_HOME/briefing``."""
    home = os.environ.get("BRIEFING_HOME")
    if home:
        return Path(home).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "briefing"


def layered_dirs(name: str, extra: Path | None = None) -> list[Path]:
    """Folders to search for ``name`` resources, highest priority first (files override by name)."""
    dirs = []
    if extra is not None:
        dirs.append(Path(extra))
    dirs.append(user_dir() / name)
    dirs.append(data_path(name))
    return [d for d in dirs if d.is_dir()]
