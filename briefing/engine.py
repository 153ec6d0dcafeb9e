"""Engines: where the parallel stages of a report run (:mod:`briefing.stages`).

An engine takes a list of route tasks or condense tasks and gives back their results in the same
order. :class:`LocalEngine` runs them one after another in this process (the default, with no
extra dependency); ``briefing.ray_engine.RayEngine`` spreads them over the actors of a Ray
cluster. Everything else in a report (the article window, merging facts told twice, key figures)
runs in the caller's process whatever the engine, so both give the same report.

Ray is imported only when the Ray engine is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence

from .condense import Condenser
from .errors import ConfigError
from .routing import Router
from .stages import Condensed, CondenseTask, Routed, RouteTask, Worker

if TYPE_CHECKING:
    from .report import Options

ENGINES = ("local", "ray")
RAY_INSTALL = "pip install 'briefing[ray]'"


class EngineError(ConfigError):
    """An engine cannot start: Ray is not installed, or the cluster cannot be reached."""


class Engine(Protocol):
    name: str

    def route(self, tasks: Sequence[RouteTask]) -> list[Routed]: ...

    def condense(self, tasks: Sequence[CondenseTask]) -> list[Condensed]: ...

    def prepare(self, options: "Options") -> None:
        """Load the models ``options`` name before the first report (optional: the first task loads them)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> "Engine": ...

    def __exit__(self, *exc) -> None: ...


class LocalEngine:
    """Every task in this process, in order."""

    name = "local"

    def __init__(self, router: Router | None = None, condenser: Condenser | None = None):
        self.worker = Worker(router, condenser)

    def route(self, tasks: Sequence[RouteTask]) -> list[Routed]:
        return [self.worker.route(task) for task in tasks]

    def condense(self, tasks: Sequence[CondenseTask]) -> list[Condensed]:
        return [self.worker.condense(task) for task in tasks]

    def prepare(self, options: "Options") -> None:
        self.worker.prepare(options)

    def close(self) -> None:
        pass

    def __enter__(self) -> "LocalEngine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_engine(name: str = "local", address: str | None = None, **settings) -> Engine:
    """An engine by name: 'local', or 'ray' (on the cluster at ``address``: 'auto', HOST:PORT, or
    None for a Ray instance started on this machine for the run). ``settings`` go to RayEngine."""
    if name == "local":
        if address:
            raise ConfigError("--ray-address needs --engine ray", "add --engine ray, or leave the address out")
        return LocalEngine()
    if name != "ray":
        raise ConfigError(f"unknown engine '{name}'", f"choose from {', '.join(ENGINES)}")
    try:
        import ray  # noqa: F401  (only to know it is there; briefing.ray_engine uses it)
    except ImportError:
        raise EngineError("the Ray engine needs Ray, which is not installed", RAY_INSTALL) from None
    from .ray_engine import RayEngine

    return RayEngine(address, **settings)
