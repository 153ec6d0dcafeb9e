"""Errors a user sees: each carries the message and what to do next."""

from __future__ import annotations


class BriefingError(Exception):
    """Base class. The CLI prints ``str(error)`` on one line and exits with ``exit_code``."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(BriefingError):
    """An input file, folder or stream cannot be used."""

    exit_code = 2


class ConfigError(BriefingError):
    """A setting, section definition, template or flag is invalid."""

    exit_code = 3


class ModelError(BriefingError):
    """A model cannot be found, loaded or run."""

    exit_code = 4


class DeliveryError(BriefingError):
    """A report cannot be written or sent."""

    exit_code = 5


class StateError(BriefingError):
    """The daily job's state database cannot be opened, read or written."""

    exit_code = 6


def first_line(exc: BaseException, with_type: bool = False) -> str:
    """The first line of an exception's message (its type when it has none), for one-line errors;
    ``with_type`` puts the type in front, for libraries whose messages do not say what failed."""
    lines = str(exc).strip().splitlines()
    if not lines:
        return type(exc).__name__
    return f"{type(exc).__name__}: {lines[0]}" if with_type else lines[0]
