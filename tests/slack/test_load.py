"""A small load run through the real Bolt app and the fake Slack: nothing lost, nothing doubled."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.detection.scanner import Scanner
from tests.slack.load import run_load


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_load_loses_and_duplicates_nothing(tmp_path: Path, shared_scanner: Scanner, mode: str) -> None:
    report = await run_load(tmp_path / "load.db", events=400, breach_rate=0.1, retry_rate=0.05, authors=40,
                            rate_limited=3, mode=mode, scanner=shared_scanner, timeout=120)
    assert report.breaching_expected >= 0.05 * report.events
    assert report.retries == 20 and report.rate_limited == 3
    assert report.lost == [] and report.unexpected == [] and report.duplicated == []
    assert report.incidents == report.breaching_expected
    assert report.nudged_twice == [] and report.undelivered == []
    assert report.held == report.held_expected and report.held_nudged == []
    assert report.ephemerals == report.incidents - report.held


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_load_through_the_bot_process_loses_nothing_and_measures_its_memory(tmp_path: Path,
                                                                                  shared_scanner: Scanner,
                                                                                  mode: str) -> None:
    report = await run_load(tmp_path / "load.db", events=300, breach_rate=0.1, retry_rate=0.05, authors=30,
                            rate_limited=2, mode=mode, scanner=shared_scanner, timeout=120, bot_process=True)
    assert report.ok, report
    assert report.mode == mode
    assert report.incidents == report.breaching_expected > 0 and report.ephemerals == report.incidents - report.held
    assert report.retries == 15
    assert report.bot_rss_mb is not None and report.bot_rss_mb > 0
