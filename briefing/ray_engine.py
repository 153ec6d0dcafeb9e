"""The Ray engine: route and condense tasks spread over model-holding actors of a Ray cluster.

Each actor is a :class:`briefing.stages.Worker` in a process of its own: it builds a router and a
condenser the first time a task needs them, loading their models once, and keeps them for every
later task. Tasks go to whichever actor is free (``ray.util.ActorPool``), so long and short shards
even out, and results come back in task order. Plain tasks and actors are enough here: the work is
two maps over a few dozen Python objects per report, which Ray Data's datasets would only
convert to and from Arrow.

Faults: an actor whose process dies is restarted by Ray and its task run again
(``max_restarts``, ``max_task_retries``); a task is a pure function of its input, so the retry
gives the same result and the report is complete. A cluster address where no Ray answers is one
:class:`briefing.engine.EngineError` within seconds (``ray.init`` itself would retry for minutes).

This module imports Ray; :func:`briefing.engine.make_engine` imports it only for ``--engine ray``.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import ray
from ray.util import ActorPool

from .engine import EngineError
from .errors import BriefingError, first_line
from .stages import Condensed, CondenseTask, Routed, RouteTask, Worker

if TYPE_CHECKING:
    from .report import Options

log = logging.getLogger(__name__)

RETRIES = 3  # restarts of a dead actor, and runs of the task it was running
CONNECT_TIMEOUT = 5.0  # seconds to reach a cluster's address before giving up
# Where workers find the user's folder and the models: as the driver sees them. On a cluster, keep
# them at the same paths on every node (or on a shared file system).
FORWARDED_ENV = ("BRIEFING_HOME", "HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE")
START_HINT = "start one with `ray start --head` (see docs/scale-out.md), or check --ray-address"
AUTH_HINT = ("is it a Ray head node of the same Ray version, and is its token here? RAY_AUTH_MODE=token and the "
             "head's ~/.ray/auth_token (see docs/scale-out.md)")


@dataclass(frozen=True)
class _Failure:
    """A BriefingError raised in an actor, carried back as data so the driver raises the same one-line error."""

    kind: type
    message: str
    hint: str | None


class StageActor:
    """A Worker in its own process (made a Ray actor by RayEngine)."""

    def __init__(self, worker_class: type = Worker):
        self.worker = worker_class()

    def route(self, task: RouteTask) -> Routed | _Failure:
        return _guarded(self.worker.route, task)

    def condense(self, task: CondenseTask) -> Condensed | _Failure:
        return _guarded(self.worker.condense, task)

    def prepare(self, options: "Options") -> None | _Failure:
        return _guarded(self.worker.prepare, options)

    def pid(self) -> int:
        return os.getpid()


def _guarded(method, argument):
    try:
        return method(argument)
    except BriefingError as error:
        return _Failure(type(error), error.message, error.hint)


def _unwrap(result: Any) -> Any:
    if isinstance(result, _Failure):
        raise result.kind(result.message, result.hint)
    return result


def bootstrap_address(address: str | None) -> str | None:
    """The HOST:PORT that ``ray.init(address)`` will connect to, or None when it starts a local instance."""
    if address and address.startswith("ray://"):
        return address[len("ray://"):]
    try:
        from ray._private.services import canonicalize_bootstrap_address
    except ImportError:  # a private helper of Ray's: without it, ray.init gives its own (slower) answer
        return None
    try:
        return canonicalize_bootstrap_address(address)
    except ConnectionError:
        raise EngineError(f"no running Ray cluster found for --ray-address {address}", START_HINT) from None
    except ValueError:
        raise EngineError(f"cannot read the Ray address '{address}'", "write it as auto or HOST:PORT") from None


def check_reachable(target: str, timeout: float = CONNECT_TIMEOUT, given: str | None = None) -> None:
    """Fail at once, with one clear line, when nothing listens at the cluster's address.

    ``given``: the address as the user wrote it (Ray rewrites 127.0.0.1 to this machine's IP);
    the message names both when they differ."""
    host, _, port = target.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except ValueError:
        raise EngineError(f"cannot read the Ray address '{target}'", "write it as auto or HOST:PORT") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        where = target if not given or given == target else f"{given} (= {target})"
        raise EngineError(f"no Ray cluster answers at {where} ({reason})", START_HINT) from None


class RayEngine:
    """Route and condense tasks on the actors of a Ray cluster.

    ``address``: 'auto' (the cluster this machine belongs to), HOST:PORT of a head node, or None
    for a Ray instance started on this machine for as long as the engine is open. When this
    process already called ``ray.init``, that cluster is used and left running. One actor per
    ``cpus_per_worker`` CPUs free in the cluster (or per ``gpus_per_worker`` of a GPU, when given),
    unless ``workers`` says how many. ``worker_class`` is the Worker each actor runs.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        cpus_per_worker: float = 1,
        gpus_per_worker: float = 0,
        retries: int = RETRIES,
        worker_class: type = Worker,
    ):
        started = time.perf_counter()
        self._owns_ray = False
        self.actors: list = []
        if not ray.is_initialized():
            target = bootstrap_address(address)
            if target is not None:
                check_reachable(target, given=address)
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
            except (ConnectionError, RuntimeError, ValueError) as exc:  # something answered, but not as Ray
                detail = first_line(exc)
                raise EngineError(f"cannot connect to Ray at {address or 'a local instance'}: {detail}",
                                  AUTH_HINT if target else START_HINT) from None
            self._owns_ray = True
        self.retries = retries
        try:
            free = ray.available_resources()
            if workers is None:
                workers = int(free.get("GPU", 0) // gpus_per_worker) if gpus_per_worker else int(
                    free.get("CPU", 0) // cpus_per_worker)
            env = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
            actor = ray.remote(max_restarts=retries, max_task_retries=retries)(StageActor)
            self.actors = [
                actor.options(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker,
                              runtime_env={"env_vars": env} if env else None).remote(worker_class)
                for _ in range(max(1, workers))
            ]
        except BaseException:
            self.close()
            raise
        self.pool = ActorPool(self.actors)
        self.start_seconds = time.perf_counter() - started
        log.info("Ray engine: %d actor(s) on %s in %.1f s", len(self.actors), address or "a local instance",
                 self.start_seconds)

    def _map(self, method: str, tasks: Sequence) -> list:
        """``method`` of whichever actor is free over ``tasks``; results in task order."""
        try:
            return [_unwrap(result) for result in self.pool.map(lambda a, t: getattr(a, method).remote(t), tasks)]
        except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError) as exc:
            raise self._died(exc, {"route": "routing", "condense": "condensing"}[method]) from None

    def _died(self, exc: Exception, doing: str) -> EngineError:
        return EngineError(f"a Ray worker died more than {self.retries} times while {doing}; the report was not "
                           f"built ({type(exc).__name__})",
                           "see the worker logs in /tmp/ray/session_latest/logs on the cluster's nodes")

    def route(self, tasks: Sequence[RouteTask]) -> list[Routed]:
        return self._map("route", tasks)

    def condense(self, tasks: Sequence[CondenseTask]) -> list[Condensed]:
        return self._map("condense", tasks)

    def prepare(self, options: "Options") -> None:
        """Every actor loads the models ``options`` name now, rather than on its first task."""
        try:
            for result in ray.get([actor.prepare.remote(options) for actor in self.actors]):
                _unwrap(result)
        except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError) as exc:
            raise self._died(exc, "loading the models") from None

    def close(self) -> None:
        """Stop the actors, and the Ray instance when this engine started or joined it."""
        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()
        self._owns_ray = False

    def __enter__(self) -> "RayEngine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
