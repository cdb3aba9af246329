"""The app's one error handler: what no listener answered is logged with its ids (never the content)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.slack.app import SlackBot

log = logging.getLogger(__name__)


def ids_of(body: dict[str, Any]) -> dict[str, str]:
    """The ids a failing request carries, for the log: event, team, user, channel, command or action."""
    event = body.get("event") or {}
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else user
    found = {"event_id": body.get("event_id"), "team_id": body.get("team_id") or (body.get("team") or {}).get("id"),
             "user_id": body.get("user_id") or user_id or event.get("user"),
             "channel_id": body.get("channel_id") or event.get("channel"), "command": body.get("command"),
             "type": body.get("type") or event.get("type")}
    return {key: str(value) for key, value in found.items() if value}


def register(bot: SlackBot) -> None:
    """Install the error handler Bolt calls for any exception a listener let through."""

    @bot.app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack request failed", exc_info=error, extra=ids_of(body or {}))
