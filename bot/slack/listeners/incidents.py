"""`/incidents list|show|review|export|stats|help`: the committee's review, through the core's CommitteeReview."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.errors import InputError, NudgebotError
from bot.models import Principal
from bot.slack import blocks
from bot.slack.access import REFUSAL
from bot.slack.commands import USAGE, IncidentsRequest, parse_incidents
from bot.texts import status_label

if TYPE_CHECKING:
    from bot.slack.app import SlackBot

log = logging.getLogger(__name__)


async def answer(bot: SlackBot, principal: Principal, request: IncidentsRequest) -> tuple[str, list[blocks.Block]]:
    """Carry out one /incidents request for a committee principal; the text and blocks of the answer."""
    review = bot.core.review
    if request.verb == "help":
        return blocks.notice("Committee commands: " + USAGE)
    if request.verb == "list":
        rows = await review.list(principal, request.query(principal.community_id))
        return blocks.incident_list(rows, request.describe())
    if request.verb == "show":
        assert request.incident_id is not None
        detail = await review.show(principal, request.incident_id)
        return blocks.incident_detail(detail.incident, detail.events, detail.actions)
    if request.verb == "review":
        assert request.incident_id is not None and request.action is not None
        reviewed = await bot.core.review_incident(principal, request.incident_id, request.action, request.note)
        await bot.delivery.deliver_reviewed(reviewed)
        sent = " The nudge was sent to the poster." if reviewed.nudge is not None else ""
        return blocks.notice(f"Incident #{request.incident_id} is now "
                             f"{status_label(reviewed.incident.status)}.{sent}")
    if request.verb == "export":
        data = await review.export(principal, request.query(principal.community_id, export=True), fmt=request.fmt)
        await send_export(bot, principal.community_id, principal.user_id, data, request.fmt)
        return blocks.notice("I've sent you the export in a direct message from nudgebot.")
    if request.verb == "stats":
        since, until = request.window(datetime.now(UTC))
        stats = await review.stats(principal, since=since, until=until)
        return blocks.stats_blocks(stats, f"last {request.days} days")
    raise InputError(USAGE)


async def send_export(bot: SlackBot, team_id: str, user_id: str, data: bytes, fmt: str) -> None:
    """Upload the export to the requester's DM with the bot (in their workspace), where only they can see it."""
    client = await bot.clients.for_team(team_id)
    opened = await client.conversations_open(users=user_id)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    await client.files_upload_v2(channel=opened["channel"]["id"], content=data,
                                 filename=f"nudgebot-incidents-{stamp}.{fmt}",
                                 title=f"nudgebot incidents export {stamp}",
                                 initial_comment="Your incidents export. It holds personal data: keep it "
                                                 "private and delete it when you are done.")


def register(bot: SlackBot) -> None:
    """Answer /incidents."""

    @bot.app.command("/incidents")
    async def on_incidents(ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                           respond: Callable[..., Awaitable[Any]], context: dict[str, Any]) -> None:
        await ack()
        team_id = str(context.get("team_id") or command.get("team_id") or "")
        user_id = str(command.get("user_id") or "")
        principal = await bot.committee.principal(team_id, user_id)
        if principal is None:
            await respond(text=REFUSAL, response_type="ephemeral")
            return
        try:
            text, body = await answer(bot, principal, parse_incidents(str(command.get("text") or "")))
        except NudgebotError as exc:
            text, body = blocks.notice(str(exc))
        except Exception:
            log.exception("/incidents failed", extra={"user_id": user_id})
            text, body = blocks.notice("Sorry, that did not work; the error is in nudgebot's log.")
        await respond(text=text, blocks=body, response_type="ephemeral")
