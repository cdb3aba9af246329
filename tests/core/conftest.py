"""Fixtures for the moderation-pipeline tests (defined in tests/core/pipeline.py): scanner, policy, clock, core."""

from __future__ import annotations

from tests.core.pipeline import clock, core, policy, scanner

__all__ = ["clock", "core", "policy", "scanner"]
