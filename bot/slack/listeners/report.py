""""Report to committee": the message shortcut opens a modal for a note; submitting it alerts the committee."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.models import MessageEvent
from bot.slack import blocks
from bot.slack.events import from_shortcut, split_message_id
from bot.slack.notifier import error_code
from bot.texts import REPORT_FAILED, REPORT_THANKS

if TYPE_CHECKING:
    from bot.slack.app import SlackBot

log = logging.getLogger(__name__)

REPORTED_TEXT = 2_000  # of the reported text carried in the modal (Slack keeps 3,000 characters of metadata)


async def report(bot: SlackBot, reporter: str, event: MessageEvent, note: str) -> bool:
    """Hand a member's report to the core and queue its alert; False when that failed."""
    try:
        alert = await bot.core.moderator.report_message(reporter, event, note)
    except Exception:
        log.exception("member report failed", extra={"message_id": event.message_id})
        return False
    if alert is not None:
        bot.delivery.post_alerts([alert])
    return True


def register(bot: SlackBot) -> None:
    """Answer the shortcut and the modal's submission."""

    @bot.app.shortcut(blocks.REPORT_CALLBACK)
    async def on_report(ack: Callable[..., Awaitable[Any]], shortcut: dict[str, Any],
                        respond: Callable[..., Awaitable[Any]], context: dict[str, Any]) -> None:
        await ack()
        team_id = str(context.get("team_id") or (shortcut.get("team") or {}).get("id") or "")
        reporter = str((shortcut.get("user") or {}).get("id") or "")
        event = from_shortcut(team_id, shortcut, await bot.workspace_url(team_id))
        if event is None:
            await respond(text="That message cannot be reported (it was posted by an app or has no author).",
                          response_type="ephemeral")
            return
        reported = {"channel": {"id": event.channel_id},
                    "message": {"user": event.author_id, "ts": split_message_id(event.message_id)[1],
                                "text": event.text[:REPORTED_TEXT]}}
        try:
            client = await bot.clients.for_team(team_id)
            await client.views_open(trigger_id=str(shortcut.get("trigger_id") or ""),
                                    view=blocks.report_modal(json.dumps(reported)))
            return  # the report is made when the member submits the modal
        except SlackApiError as exc:
            log.info("report modal not opened (%s): reporting without a note", error_code(exc))
        done = await report(bot, reporter, event, "")
        await respond(text=REPORT_THANKS if done else REPORT_FAILED, response_type="ephemeral")

    @bot.app.view(blocks.REPORT_MODAL)
    async def on_report_note(ack: Callable[..., Awaitable[Any]], body: dict[str, Any], view: dict[str, Any],
                             context: dict[str, Any]) -> None:
        # Acknowledged last, on purpose: a modal's answer (thanks, or the error shown in it) is its ack.
        team_id = str(context.get("team_id") or (body.get("team") or {}).get("id") or "")
        reporter = str((body.get("user") or {}).get("id") or "")
        values = ((view.get("state") or {}).get("values") or {}).get(blocks.REPORT_NOTE) or {}
        note = str((values.get(blocks.REPORT_NOTE) or {}).get("value") or "")
        try:
            reported = json.loads(str(view.get("private_metadata") or "{}"))
        except ValueError:
            reported = {}
        event = from_shortcut(team_id, reported, await bot.workspace_url(team_id))
        if event is None or not await report(bot, reporter, event, note):
            await ack(response_action="errors", errors={blocks.REPORT_NOTE: REPORT_FAILED})
            return
        await ack(response_action="update", view=blocks.report_thanks_view())
