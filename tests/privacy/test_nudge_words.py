"""A nudge never repeats the offending words: over many generated breaching messages, the Discord embed, the
Slack blocks and the plain text of each nudge the real moderator builds hold no matched span in full."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.chat_corpus import generate
from bot.core import build_scanner, open_core
from bot.discord.ui import nudge_embed
from bot.models import MessageEvent, Platform
from bot.settings import Settings
from bot.slack.blocks import nudge_message

MESSAGES = 3_000  # with breach_rate 0.5: some 1,500 breaching messages, a few seconds


def _discord_words(embed_data: dict) -> str:
    fields = " ".join(f"{f['name']} {f['value']}" for f in embed_data.get("fields", []))
    return " ".join([embed_data.get("title", ""), embed_data.get("description", ""), fields,
                     (embed_data.get("footer") or {}).get("text", "")])


def _repeats(span: str, words: str) -> bool:
    """The span in full, as words of its own and in any case ("abo" inside "about" is not a repetition)."""
    return re.search(r"(?<!\w)" + re.escape(span.casefold()) + r"(?!\w)", words.casefold()) is not None


async def test_no_nudge_repeats_a_matched_span(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "nudgebot.db", nudge_window_hours=0)
    core = await open_core(settings, scanner=build_scanner(settings))
    checked = 0
    try:
        for index, chat in enumerate(generate(MESSAGES, seed=7, breach_rate=0.5)):
            event = MessageEvent(platform=Platform.DISCORD, community_id="g1", channel_id="c1",
                                 message_id=str(index), author_id=f"u{index}", author_name="someone",
                                 text=chat.text, created_at=datetime.now(UTC))
            outcome = await core.moderator.handle(event)
            if outcome.nudge is None or outcome.verdict is None:
                continue
            spans = {chat.text[m.start:m.end] for m in outcome.verdict.matches if m.end > m.start}
            assert all(_repeats(s, chat.text) for s in spans if s.strip())  # the check does find them unmasked
            rendered = {
                "discord": _discord_words(nudge_embed(outcome.nudge).to_dict()),
                "slack": json.dumps(nudge_message(outcome.nudge), ensure_ascii=False),
                "text": outcome.nudge.to_text(),
            }
            for where, words in rendered.items():
                shown = [s for s in spans if s.strip() and _repeats(s, words)]
                assert not shown, f"message {index}: the {where} nudge repeats {shown!r}"
            checked += 1
    finally:
        await core.close()
    assert checked > MESSAGES // 4  # the generator did make breaching messages, and they were nudged
