"""The Slack notifier: nudges and welfare notes as ephemeral messages (a DM when Slack refuses that), alerts with
review buttons in the committee's alert channel.

It only renders and sends (`bot.runtime.notifier.Notifier`); claiming, reporting, queueing alerts and the outbox
retry are the runtime's (`bot.runtime.delivery`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.models import CommitteeAlert, DeliveryResult, DeliveryStatus, Nudge, WelfareNote
from bot.slack import blocks

if TYPE_CHECKING:
    from bot.slack.oauth import WorkspaceClients

log = logging.getLogger(__name__)

THREADS_KEPT = 20_000  # message id -> thread, for the nudges of messages posted in threads
_TRANSIENT_ERRORS = {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
_UNREACHABLE = (TimeoutError, aiohttp.ClientError, SlackRequestError)


def error_code(exc: SlackApiError) -> str:
    """Slack's error code for a refused call ("unknown_error" when the answer is not JSON)."""
    try:
        return str(exc.response.get("error") or "unknown_error")
    except Exception:  # a response that is not JSON
        return "unknown_error"


def is_transient(exc: SlackApiError) -> bool:
    """Slack failing rather than refusing: a transient error code, or a 5xx (whose body may not even be JSON)."""
    status = getattr(exc.response, "status_code", 200) or 200
    return error_code(exc) in _TRANSIENT_ERRORS or status >= 500


class SlackNotifier:
    """Sends the core's nudges, welfare notes and alerts, each through its workspace's Web API client."""

    def __init__(self, clients: WorkspaceClients) -> None:
        self.clients = clients
        self._threads: OrderedDict[str, str] = OrderedDict()  # message id -> thread it was posted in

    def remember_thread(self, message_id: str, thread_ts: str) -> None:
        """A message was posted in a thread: its nudge goes to that thread, next to it."""
        self._threads[message_id] = thread_ts
        while len(self._threads) > THREADS_KEPT:
            self._threads.popitem(last=False)

    async def send_nudge(self, nudge: Nudge) -> DeliveryResult | None:
        """Ephemeral to the poster in the channel; if Slack refuses, a DM; None when Slack could not be reached."""
        text, body = blocks.nudge_message(nudge)
        client = await self.clients.for_team(nudge.community_id)
        first = "no channel"
        if nudge.channel_id:
            try:
                await client.chat_postEphemeral(channel=nudge.channel_id, user=nudge.recipient_id, text=text,
                                                blocks=body, thread_ts=self._threads.get(nudge.message_id))
                return DeliveryResult(DeliveryStatus.DELIVERED, "ephemeral")
            except SlackApiError as exc:
                first = error_code(exc)
                if is_transient(exc):
                    return self._unreachable(nudge, first)
            except _UNREACHABLE as exc:
                return self._unreachable(nudge, type(exc).__name__)
        try:
            opened = await client.conversations_open(users=nudge.recipient_id)
            await client.chat_postMessage(channel=opened["channel"]["id"], text=text, blocks=body)
            log.info("nudge sent by DM", extra={"incident_id": nudge.incident_id, "ephemeral_error": first})
            return DeliveryResult(DeliveryStatus.DELIVERED, f"dm ({first})")
        except SlackApiError as exc:
            code = error_code(exc)
            if is_transient(exc):
                return self._unreachable(nudge, code)
            log.warning("nudge refused", extra={"incident_id": nudge.incident_id, "ephemeral_error": first,
                                                "dm_error": code})
            # Refused both ways: remembered for a day (`bot.closed_dms`), so Slack is not asked again meanwhile.
            return DeliveryResult(DeliveryStatus.REFUSED, f"ephemeral: {first}; dm: {code}", dms_closed=True)
        except _UNREACHABLE as exc:
            return self._unreachable(nudge, type(exc).__name__)

    @staticmethod
    def _unreachable(nudge: Nudge, reason: str) -> None:
        log.warning("nudge left in the outbox", extra={"incident_id": nudge.incident_id, "reason": reason})
        return None

    async def send_welfare(self, note: WelfareNote) -> DeliveryResult | None:
        """A private pointer to support: ephemeral, or a DM when that is refused; refused both ways it is reported
        as closed DMs (remembered by the runtime as for a nudge); None when Slack could not be reached."""
        text, body = blocks.welfare_message(note)
        client = await self.clients.for_team(note.community_id)
        try:
            await client.chat_postEphemeral(channel=note.channel_id, user=note.recipient_id, text=text, blocks=body)
            return DeliveryResult(DeliveryStatus.DELIVERED, "ephemeral")
        except SlackApiError as exc:
            first = error_code(exc)
        except _UNREACHABLE as exc:
            first = type(exc).__name__
        log.info("welfare note not ephemeral (%s), trying a DM", first)
        try:
            opened = await client.conversations_open(users=note.recipient_id)
            await client.chat_postMessage(channel=opened["channel"]["id"], text=text, blocks=body)
            return DeliveryResult(DeliveryStatus.DELIVERED, f"dm ({first})")
        except SlackApiError as exc:
            code = error_code(exc)
            log.warning("welfare note not delivered: %s", code)
            if is_transient(exc):
                return None
            return DeliveryResult(DeliveryStatus.REFUSED, f"ephemeral: {first}; dm: {code}", dms_closed=True)
        except _UNREACHABLE as exc:
            log.warning("welfare note not delivered: %s", type(exc).__name__)
            return None

    async def post_alerts(self, channel_id: str, community_id: str,
                          alerts: Sequence[CommitteeAlert]) -> list[CommitteeAlert]:
        """Post each alert, with review buttons, in the workspace's alert (or committee) channel; returns those
        Slack failed to take for now."""
        client = await self.clients.for_team(community_id)
        failed: list[CommitteeAlert] = []
        for alert in alerts:
            text, body = blocks.alert_message(alert)
            try:
                await client.chat_postMessage(channel=channel_id, text=text, blocks=body)
            except SlackApiError as exc:
                if is_transient(exc):
                    failed.append(alert)
                else:
                    log.warning("committee alert not posted in %s: %s (invite nudgebot to the channel)", channel_id,
                                error_code(exc), extra={"incident_ids": alert.incident_ids})
            except _UNREACHABLE:
                failed.append(alert)
        return failed
