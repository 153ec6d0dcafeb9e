"""Section definitions: one TOML file per section in ``prompts/`` (or the user's prompts folder).

A file ``prompts/battlefield.toml`` holds::

    key = "battlefield"            # optional, defaults to the file name
    title = "Battlefield"
    order = 10                     # position in the report
    description = "Fighting, ..."  # what belongs in the section (also the embedding prototype)
    cues = ["shelling", "offensive", "front line", "drone*"]   # '*' matches any ending
    examples = ["Russian forces shelled the city overnight."]  # optional prototype sentences
    instruction = "Summarise the military situation ..."       # for instruction-tuned models

Files whose name starts with ``_`` are not sections: ``_families.toml`` (prompt templates per model
family), ``_none.toml`` (examples of sentences that belong in no section, for the embedding router)
and ``_places.txt`` (place-name variants).
A user adds a section by adding a file; a user file with the same name replaces the package's.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .errors import ConfigError
from .resources import layered_dirs

REQUIRED = {"title", "description", "cues"}
ALLOWED = REQUIRED | {"key", "order", "examples", "instruction", "max_words", "negative_cues"}


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    description: str
    cues: tuple[str, ...]
    examples: tuple[str, ...] = ()
    negative_cues: tuple[str, ...] = ()
    instruction: str = ""
    order: int = 100
    max_words: int | None = None
    path: str = ""


def load_section(path: Path) -> Section:
    """Read and validate one section file; errors name the file and the bad key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read section file ({exc})") from None
    unknown = set(data) - ALLOWED
    if unknown:
        raise ConfigError(f"{path}: unknown key '{sorted(unknown)[0]}'", f"allowed keys: {', '.join(sorted(ALLOWED))}")
    missing = REQUIRED - set(data)
    if missing:
        raise ConfigError(f"{path}: missing key '{sorted(missing)[0]}'")
    key = data.get("key", path.stem)
    if not isinstance(key, str) or not key.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(f"{path}: 'key' must be a short name of letters, digits, '-' or '_'")
    for name in ("title", "description", "instruction"):
        if name in data and (not isinstance(data[name], str) or (name != "instruction" and not data[name].strip())):
            raise ConfigError(f"{path}: '{name}' must be non-empty text")
    for name in ("cues", "examples", "negative_cues"):
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{path}: '{name}' must be a list of non-empty strings")
    if not data["cues"]:
        raise ConfigError(f"{path}: 'cues' is empty", "list the words that mark a sentence of this section")
    for name in ("order", "max_words"):
        if name in data and (not isinstance(data[name], int) or data[name] < 0):
            raise ConfigError(f"{path}: '{name}' must be a whole number")
    return Section(
        key=key,
        title=data["title"].strip(),
        description=" ".join(data["description"].split()),
        cues=tuple(c.strip().lower() for c in data["cues"]),
        examples=tuple(" ".join(e.split()) for e in data.get("examples", [])),
        negative_cues=tuple(c.strip().lower() for c in data.get("negative_cues", [])),
        instruction=" ".join(data.get("instruction", "").split()),
        order=data.get("order", 100),
        max_words=data.get("max_words"),
        path=str(path),
    )


def available_sections(prompts_dir: Path | None = None) -> list[Section]:
    """Every section defined in the prompt folders (user's first, then the package's), in report order."""
    by_name: dict[str, Path] = {}
    for folder in layered_dirs("prompts", prompts_dir):
        for path in sorted(folder.glob("*.toml")):
            if not path.name.startswith("_"):
                by_name.setdefault(path.name, path)
    sections = [load_section(path) for path in by_name.values()]
    seen: dict[str, str] = {}
    for section in sections:
        if section.key in seen:
            raise ConfigError(f"{section.path}: section key '{section.key}' is also defined in {seen[section.key]}")
        seen[section.key] = section.path
    if not sections:
        raise ConfigError("no section definitions found", "add a .toml file to your prompts folder")
    return sorted(sections, key=lambda s: (s.order, s.key))


def select_sections(sections: Sequence[Section], keys: Sequence[str] | None) -> list[Section]:
    """The sections named by ``keys`` (comma-separated values allowed), in report order."""
    if not keys:
        return list(sections)
    wanted = [k.strip() for key in keys for k in key.split(",") if k.strip()]
    known = {s.key: s for s in sections}
    unknown = [k for k in wanted if k not in known]
    if unknown:
        raise ConfigError(
            f"unknown section '{unknown[0]}'",
            f"available: {', '.join(known)}; add a file to prompts/ to define a new one",
        )
    return [s for s in sections if s.key in wanted]
