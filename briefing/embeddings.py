"""Sentence-embedding router (placeholder until the embedding router lands): falls back to cue words."""

from __future__ import annotations

from .routing import CueRouter


def make_embedding_router(name: str, model: str | None = None, notify=None, **_):
    if notify is not None and name == "auto":
        pass
    return CueRouter()
