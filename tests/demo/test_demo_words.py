"""The demo at an 80-column terminal: the real buttons, whole alert titles, proper plurals, a hint one can paste."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from bot.texts import ALERT_TITLES, MISTAKE_LABEL, NUDGE_BUTTONS
from tests.cli_inprocess import InProcessCli


@pytest.fixture(scope="module")
def narrow_demo(tmp_path_factory: pytest.TempPathFactory, scanner_cache_dir: Path) -> tuple[Path, str]:
    """One run of the demo as an 80-column terminal shows it: in-process, with the environment such a shell
    gives (the demo's subprocess smoke test is test_demo's `demo_run`; the hint below is pasted into a real one)."""
    tmp = tmp_path_factory.mktemp("narrow-demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUDGEBOT_", "DISCORD_", "SLACK_"))}
    env["NUDGEBOT_CACHE_DIR"] = str(scanner_cache_dir)
    env["COLUMNS"] = "80"
    env["PATH"] = "/usr/bin:/bin"  # a fresh shell after the quick start: the virtual environment is not active
    result = InProcessCli(env)("demo", "--db", tmp / "demo.db", "--report", tmp / "report.html", cwd=tmp)
    assert result.returncode == 0, result.stderr
    return tmp, result.stdout


def test_the_nudge_shows_the_buttons_both_platforms_really_have(narrow_demo: tuple[Path, str]) -> None:
    _, out = narrow_demo
    button_rows = [line for line in out.splitlines() if NUDGE_BUTTONS["fixed"] in line]
    assert button_rows and all(label in row for row in button_rows for label in NUDGE_BUTTONS.values())
    for invented in ("Edit my message", "Read clause", "This was a mistake"):
        assert invented not in out
    assert f"pressed \u201c{MISTAKE_LABEL}\u201d" in " ".join(out.split())


def test_every_alert_title_is_whole_at_80_columns(narrow_demo: tuple[Path, str]) -> None:
    _, out = narrow_demo
    assert all(len(line) <= 80 for line in out.splitlines())
    inner = [line.strip(" ┃").strip() for line in out.splitlines()]
    shown = [title for title in ALERT_TITLES.values() if title in inner]
    assert len(shown) >= 3  # serious incident, refused nudge, escalation, welfare: each on a line of its own
    assert "\u2026" not in "".join(line for line in out.splitlines() if "#committee-alerts" in line)


def test_counts_are_in_proper_plurals(narrow_demo: tuple[Path, str]) -> None:
    _, out = narrow_demo
    flat = " ".join(out.split())
    assert "(s)" not in out
    assert re.search(r"\b1 welfare note,", flat) and re.search(r"\b\d+ committee alerts,", flat)


def test_the_closing_hint_is_a_command_one_can_paste(narrow_demo: tuple[Path, str]) -> None:
    tmp, out = narrow_demo
    flat = " ".join(out.split())
    hint = re.search(r"\(try: (.+? incidents list --db \S+?)\)", flat)
    assert hint is not None, flat[-400:]
    argv = shlex.split(hint.group(1))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUDGEBOT_", "DISCORD_", "SLACK_"))}
    env["PATH"] = "/usr/bin:/bin"
    pasted = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert pasted.returncode == 0, pasted.stderr
    assert "incidents 1-" in pasted.stdout
