"""The Bolt listeners, one small module per feature; each acknowledges first and then hands over to the core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack.listeners import buttons, errors, incidents, messages, policy, report, setup

if TYPE_CHECKING:
    from bot.slack.app import SlackBot


def register(bot: SlackBot) -> None:
    """Wire every listener, and the one error handler, to the bot's Bolt app."""
    for module in (messages, policy, incidents, setup, buttons, report, errors):
        module.register(bot)
