"""A smaller load run (1,000 messages) through the fake gateway: nothing lost, nothing doubled, nudges once."""

from __future__ import annotations

from tests.discord.load import run_load


async def test_a_thousand_messages_lose_and_double_nothing(tmp_path, shared_scanner) -> None:
    report = await run_load(tmp_path / "load.db", messages=1_000, breach_rate=0.08, authors=60,
                            replay_rate=0.02, inject_429_every=250, scanner=shared_scanner, timeout=240)
    assert report.breaching_expected >= 50  # at least 5% breaching, by the scanner's own count
    assert report.replays > 0
    assert report.rate_limited == 4  # one injected 429 every 250 messages, each retried by discord.py
    assert report.lost == [] and report.unexpected == [] and report.duplicated == []
    assert report.incidents == report.breaching_expected
    assert report.nudged_twice == [] and report.undelivered == []
    assert report.held == report.held_expected and report.held_nudged == []
    assert report.dms_sent == report.nudges_delivered > 0


async def test_the_real_command_in_its_own_process_loses_nothing_and_stops_having_moderated_all(
        tmp_path, shared_scanner) -> None:
    report = await run_load(tmp_path / "load.db", messages=300, breach_rate=0.1, authors=30, replay_rate=0.02,
                            inject_429_every=0, scanner=shared_scanner, bot_process=True, timeout=120)
    assert report.breaching_expected >= 15
    assert report.ok, (report.lost, report.unexpected, report.duplicated, report.nudged_twice, report.undelivered)
    assert report.incidents == report.breaching_expected == report.dms_sent + report.held
    assert report.bot_rss_mb is not None and report.bot_rss_mb > 0
