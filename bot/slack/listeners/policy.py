"""`/policy [clause or words]`: the society's policy, answered in the acknowledgement itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.slack import blocks

if TYPE_CHECKING:
    from bot.slack.app import SlackBot


def register(bot: SlackBot) -> None:
    """Answer /policy."""
    book = bot.core.policy

    @bot.app.command("/policy")
    async def on_policy(ack: Callable[..., Awaitable[Any]], command: dict[str, Any]) -> None:
        # Answered in the ack: nothing here waits on Slack or the database.
        words = str(command.get("text") or "").strip()
        if not words:
            text, body = blocks.clause_index(book.all())
        else:
            clause = book.get(words)
            text, body = blocks.clause_blocks([clause] if clause else book.search(words), words)
        await ack(text=text, blocks=body, response_type="ephemeral")
