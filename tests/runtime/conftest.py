"""Fixtures for the runtime tests: the real core on tmp_path (tests/core/pipeline.py)."""

from __future__ import annotations

from tests.core.pipeline import clock, core, policy, scanner

__all__ = ["clock", "core", "policy", "scanner"]
