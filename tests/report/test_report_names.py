"""The report after an audit names the community, the people and the channels, and reads chat markup as words."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.report.markup import readable
from tests.audit.exports import (
    GUILD,
    SlackChannel,
    dce_message,
    slack_message,
    write_dce_file,
    write_slack_export,
)
from tests.cli_inprocess import CliResult, InProcessCli

DAY1 = datetime(2026, 10, 12, 18, 0, tzinfo=UTC)
PRIYA, TOM, AISHA = "900000000000000001", "900000000000000002", "900000000000000003"
# Written for these tests: three hostile messages from one member at another (an escalation, clause 4.3).
HOSTILE = ["@priya nobody likes you, just leave the society", "@priya you are such a pathetic loser",
           "@priya everyone hates you here"]


def _cli(tmp: Path, *args: str) -> CliResult:
    """The command in this process (audit's and report's subprocess smoke tests are in tests/audit and
    tests/report), with no nudgebot settings from the developer's shell but the session's scanner cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUDGEBOT_", "DISCORD_", "SLACK_"))}
    env["NUDGEBOT_CACHE_DIR"] = os.environ["NUDGEBOT_CACHE_DIR"]  # set for the session by tests/conftest.py
    result = InProcessCli(env)(*args, cwd=tmp)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def discord_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("names")
    minute = timedelta(minutes=1)
    messages = [dce_message("1200000000000000001", PRIYA, "Film night is Wednesday, bring snacks", DAY1),
                dce_message("1200000000000000002", TOM, "count me in", DAY1 + minute)]
    messages += [dce_message(f"12000000000000001{n}", AISHA, text, DAY1 + timedelta(days=n, minutes=5),
                             mentions=(PRIYA,)) for n, text in enumerate(HOSTILE)]
    write_dce_file(tmp / "export" / "general.json", messages, channel_name="film-chat")
    _cli(tmp, "audit", str(tmp / "export"), "--db", str(tmp / "audit.db"))
    _cli(tmp, "report", "--db", str(tmp / "audit.db"), "--out", str(tmp / "report.html"))
    return (tmp / "report.html").read_text(encoding="utf-8")


def _section(page: str, heading_id: str) -> str:
    start = page.index(f"id={heading_id}")
    return page[start:page.index("</section>", start)]


def test_after_an_audit_the_title_names_the_community(discord_report: str) -> None:
    assert f"Committee report: {GUILD['name']}" in discord_report
    assert "no community yet" not in discord_report


def test_escalations_name_both_members(discord_report: str) -> None:
    escalations = _section(discord_report, "h-esc")
    assert "<td data-label=\"toward\">Priya</td>" in escalations, escalations
    assert PRIYA not in escalations and AISHA not in escalations


def test_open_incidents_name_their_channel(discord_report: str) -> None:
    assert "#film-chat" in _section(discord_report, "h-open")


def test_a_slack_audit_reads_mentions_channels_and_links_as_words(tmp_path: Path) -> None:
    general = SlackChannel("C01GENERAL", "general")
    general.days[DAY1.date().isoformat()] = [
        slack_message("U02TOM", "see you at the quiz", DAY1, 1),
        slack_message("U03AISHA", "<@U02TOM> you are a worthless idiot, read <https://example.org/r|the rules> "
                      "in <#C01GENERAL|general>", DAY1 + timedelta(minutes=1), 2),
    ]
    write_slack_export(tmp_path / "slack", [general])
    _cli(tmp_path, "audit", str(tmp_path / "slack"), "--db", str(tmp_path / "s.db"))
    _cli(tmp_path, "report", "--db", str(tmp_path / "s.db"), "--out", str(tmp_path / "s.html"))
    open_incidents = _section((tmp_path / "s.html").read_text(encoding="utf-8"), "h-open")
    assert "@tom you are a" in open_incidents and "#general" in open_incidents  # Tom's Slack display name
    assert "read the rules" in open_incidents and "example.org" not in open_incidents
    assert "&lt;@U02TOM&gt;" not in open_incidents and "C01GENERAL" not in open_incidents
    assert "no community yet" not in (tmp_path / "s.html").read_text(encoding="utf-8")


def test_markup_that_is_not_markup_is_left_alone() -> None:
    assert readable("x <3 y > z", {}, {}) == "x <3 y > z"
    assert readable("<@U9> and <!here>", {"U9": "Sam"}, {}) == "@Sam and @here"
    assert readable("<#123456>", {}, {"123456": "general"}) == "#general"
    assert readable("a &lt;b&gt; &amp; c", {}, {}) == "a <b> & c"
