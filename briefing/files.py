"""Writing output files atomically: a reader never sees half a report, and a failed run leaves nothing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Mapping

from .errors import DeliveryError

TEMP_SUFFIX = ".tmp"


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it into place."""
    return write_all_atomic({Path(path): data})[0]


def write_all_atomic(files: Mapping[Path, str | bytes]) -> list[Path]:
    """Write several files together: each goes to a temporary file first, and only when all of them
    are on disk are they renamed into place. A failed write leaves no temporary file and no target
    changed (a rename failing midway, which needs the folder itself to break, is the one exception)."""
    for path in files:
        if os.path.isdir(path):
            raise DeliveryError(f"cannot write {path}: it is a folder", "choose another --out")
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            staged.append((_stage(Path(path), data), Path(path)))
        for tmp, path in staged:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise DeliveryError(f"cannot write {path}: {exc.strerror}", "check free space and permissions") from exc
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for parent in {path.parent for _, path in staged}:
        _fsync_dir(parent)
    return [path for _, path in staged]


def _stage(path: Path, data: str | bytes) -> str:
    """A temporary file beside ``path`` holding ``data``, flushed to disk; its name is returned."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise DeliveryError(f"cannot write {path}: {exc.strerror}", "choose another --out") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DeliveryError(f"cannot write {path}: {exc.strerror}", "check free space and permissions") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _fsync_dir(folder: Path) -> None:
    """Make the renames durable where the platform allows it (a no-op on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
