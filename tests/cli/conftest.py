"""Fixtures for the command-line tests: the real `nudgebot` run in-process (`bot.cli.main`) with its output
captured, in a folder of its own with no nudgebot settings from the developer's shell."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import NewIncident
from bot.store import Store
from tests.core.test_store_methods import new

_SETTINGS = ("NUDGEBOT_", "DISCORD_", "SLACK_")


@dataclass(frozen=True, slots=True)
class Ran:
    """What one run of the command printed and returned."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        """stderr's non-empty lines."""
        return [line for line in self.err.splitlines() if line.strip()]


Cli = Callable[..., Ran]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        scanner_cache_dir: Path) -> Cli:
    """`cli("incidents", "list", env={...})`: run nudgebot in this process, from tmp_path, and capture it."""
    for name in list(os.environ):
        if name.startswith(_SETTINGS) and name != "NUDGEBOT_CACHE_DIR":  # the session's scanner cache stays
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)

    def run(*args: object, env: dict[str, str] | None = None) -> Ran:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


def run_nudgebot(nudgebot_cmd: list[str], env: dict[str, str], *args: object,
                 prefix: tuple[str, ...] = ()) -> Ran:
    """One real process: `prefix` (e.g. a mount namespace wrapper) then `python -m bot ARGS`."""
    done = subprocess.run([*prefix, *nudgebot_cmd, *(str(a) for a in args)], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    return Ran(done.returncode, done.stdout, done.stderr)


def fill(db: Path, incidents: list[NewIncident] | None = None) -> list[int]:
    """A migrated database holding these incidents (two by default); closed cleanly, as a stopped bot leaves it."""
    async def write() -> list[int]:
        store = await Store.open(db)
        try:
            return [(await store.record_incident(i))[0] for i in incidents or [new("m1"), new("m2", author="u2")]]
        finally:
            await store.close()

    return asyncio.run(write())


def at(text: str) -> datetime:
    """An aware moment from ISO text (UTC when it names no zone)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
