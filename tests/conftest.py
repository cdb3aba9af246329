"""Shared fixtures: every test builds what it needs in tmp_path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def nudgebot_cmd() -> list[str]:
    """The real CLI, run as a subprocess with the interpreter under test."""
    return [sys.executable, "-m", "bot"]


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """An environment for CLI subprocesses with no nudgebot settings leaking in from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUDGEBOT_", "DISCORD_", "SLACK_"))}
    env["NUDGEBOT_DB"] = str(tmp_path / "nudgebot.db")
    return env
