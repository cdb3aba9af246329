"""Buttons: a member's "fixed it" / "mistake" on their nudge, and the committee's review buttons on an alert."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.errors import NudgebotError
from bot.models import ReviewAction
from bot.moderation import FeedbackKind
from bot.slack import blocks
from bot.slack.access import REFUSAL
from bot.texts import FEEDBACK_NOT_YOURS, FEEDBACK_THANKS, REVIEW_DONE

if TYPE_CHECKING:
    from bot.slack.app import SlackBot

log = logging.getLogger(__name__)

_PAST = {action: REVIEW_DONE[action.value] for action in ReviewAction}
Respond = Callable[..., Awaitable[Any]]


async def _sorry(respond: Respond, exc: Exception) -> None:
    # A button's value comes back from the client and may be forged: never repeat it as markup.
    await respond(text=f"Sorry, that did not work: {blocks.escape(str(exc))}", response_type="ephemeral",
                  replace_original=False)


def register(bot: SlackBot) -> None:
    """Answer the nudge's feedback buttons and the alert's review buttons."""

    async def on_feedback(ack: Callable[..., Awaitable[Any]], body: dict[str, Any], action: dict[str, Any],
                          respond: Respond) -> None:
        await ack()
        user_id = str((body.get("user") or {}).get("id") or "")
        kind: FeedbackKind = "fixed" if action.get("action_id") == blocks.NUDGE_FIXED else "mistake"
        try:
            accepted = await bot.core.moderator.member_feedback(int(action.get("value") or 0), user_id, kind)
        except (NudgebotError, ValueError) as exc:
            await _sorry(respond, exc)
            return
        if not accepted:
            await respond(text=FEEDBACK_NOT_YOURS, response_type="ephemeral", replace_original=False)
            return
        thanks = FEEDBACK_THANKS[kind]
        await respond(text=thanks, blocks=[blocks.section(thanks)], replace_original=True)

    async def on_review(ack: Callable[..., Awaitable[Any]], body: dict[str, Any], action: dict[str, Any],
                        respond: Respond, context: dict[str, Any]) -> None:
        await ack()
        team_id = str(context.get("team_id") or (body.get("team") or {}).get("id") or "")
        user_id = str((body.get("user") or {}).get("id") or "")
        principal = await bot.committee.principal(team_id, user_id)
        if principal is None:
            await respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
            return
        try:
            review_action = ReviewAction(str(action.get("action_id", ""))[len(blocks.REVIEW_PREFIX):])
            ids = [int(part) for part in str(action.get("value") or "").split(",") if part]
            decided = [await bot.core.review_incident(principal, incident_id, review_action, "from the Slack alert")
                       for incident_id in ids]
        except (NudgebotError, ValueError) as exc:
            await _sorry(respond, exc)
            return
        stamp = datetime.now(UTC).strftime("%d %b %Y %H:%M")
        note = f"{_PAST[review_action]} by <@{user_id}> · {stamp} UTC"
        original = (body.get("message") or {}).get("blocks") or []
        await respond(text=note, blocks=blocks.reviewed_alert(original, note), replace_original=True)
        for reviewed in decided:
            await bot.delivery.deliver_reviewed(reviewed)

    bot.app.action(blocks.NUDGE_FIXED)(on_feedback)
    bot.app.action(blocks.NUDGE_MISTAKE)(on_feedback)
    bot.app.action(re.compile("^" + re.escape(blocks.REVIEW_PREFIX)))(on_review)
