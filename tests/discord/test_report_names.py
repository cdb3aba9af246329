"""On Discord the report names an escalation's target as the server shows them, not by an 18-digit id: a mention
carries the member (with the server nickname), and the bot keeps that name as the audit readers keep theirs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.settings import Settings
from tests.cli_inprocess import InProcessCli
from tests.discord.support import RunningBot, World, embed_text

INSULT = "you are a complete idiot"  # clause 5.5.3, hostile toward the member it is aimed at
NICKNAME = "Alice from the Kit Store"  # the server nickname, not the account's global name ("Alice")


async def test_the_report_names_the_member_an_escalation_is_toward(running: RunningBot, world: World,
                                                                   settings: Settings, cli: InProcessCli,
                                                                   tmp_path: Path) -> None:
    fake = world.fake
    world.guild.members[world.alice]["nick"] = NICKNAME  # set after the bot loaded the guild: the mention says it
    for ending in ("", ", honestly", ", again"):
        await fake.post_message(world.general, world.bob, f"<@{world.alice}> {INSULT}{ending}",
                                mentions=[world.alice])
    await fake.wait_for(lambda: any("4.3" in embed_text(m) for m in fake.bot_messages(world.alerts)),
                        what="the escalation alert")
    await running.idle(fake, received=3)
    await running.stop()

    result = await asyncio.to_thread(cli, "report", "--db", settings.db_path, "--out", tmp_path / "report.html")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    start = page.index("id=h-esc")
    escalations = page[start:page.index("</section>", start)]
    assert f'<td data-label="toward">{NICKNAME}</td>' in escalations, escalations
    assert '<td data-label="from">Bob</td>' in escalations, escalations
    assert str(world.alice) not in escalations and str(world.bob) not in escalations
