"""The Slack adapter: a slack-bolt AsyncApp that hands members' messages to the moderation core and delivers
what the core returns (ephemeral nudges, committee alerts, command answers). It holds no moderation logic.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery_claims import DeliveryClaims, NotSent
from bot.errors import InputError, NudgebotError, PlatformUnreachable, connection_failure
from bot.inbox import Inbox
from bot.logredact import protect_bolt_logs
from bot.models import (
    CommitteeAlert,
    DeliveryResult,
    DeliveryStatus,
    MessageEvent,
    Nudge,
    Outcome,
    Platform,
    Principal,
    ReviewAction,
    WelfareNote,
)
from bot.moderation import FeedbackKind
from bot.outbox import RETRY_SECONDS, OutboxRetry
from bot.settings import Settings, SettingsError
from bot.slack import blocks
from bot.slack.commands import USAGE, IncidentsRequest, parse_incidents
from bot.slack.events import from_message_event, from_shortcut, split_message_id, thread_of
from bot.texts import (
    FEEDBACK_NOT_YOURS,
    FEEDBACK_THANKS,
    REPORT_FAILED,
    REPORT_THANKS,
    REVIEW_DONE,
    SLACK_COMMITTEE_ONLY,
    status_label,
)
from bot.workers import Workers

if TYPE_CHECKING:
    from bot.core import Core
    from bot.tiers import Reviewed

log = logging.getLogger(__name__)

REFUSAL = SLACK_COMMITTEE_ONLY
_SEEN_EVENTS = 20_000  # event ids remembered so Slack's retries are dropped before they reach the core
WORKERS = 16  # messages moderated at once; a message and its edits always go to the same worker
DRAIN_SECONDS = 15.0  # at stop, for the messages in hand
_RATE_LIMIT_RETRIES = 6
_REPORTED_TEXT = 2_000  # of the reported text carried in the modal (Slack keeps 3,000 characters of metadata)
MAX_HELD_ALERTS = 500  # committee alerts kept for a retry while Slack is failing
_TRANSIENT_ERRORS = {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
_PAST = {action: REVIEW_DONE[action.value] for action in ReviewAction}


class _NoTokenNotice(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused.": Bolt reads SLACK_BOT_TOKEN from the
    environment even when given a client, so it says this at every start where the token is set there."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but that notice."""
        return "`token` will be unused" not in str(record.msg)


_BOLT_LOG = logging.getLogger("bot.slack_app.bolt")
_NO_TOKEN_NOTICE = _NoTokenNotice()


def build_client(settings: Settings, base_url: str | None = None) -> AsyncWebClient:
    """The Web API client for the bot token, retrying 429s (honouring Retry-After), dropped connections and 5xx."""
    if settings.slack_bot_token is None:
        raise SettingsError("SLACK_BOT_TOKEN", "is not set", "Copy the Bot User OAuth Token (xoxb-...) from the "
                            "app's OAuth & Permissions page into .env")
    options: dict[str, Any] = {"base_url": base_url} if base_url else {}
    client = AsyncWebClient(token=settings.slack_bot_token.reveal(), **options)
    return with_retries(client)


def with_retries(client: AsyncWebClient) -> AsyncWebClient:
    """Make sure a client retries rate-limited calls, so a 429 never loses a nudge or an alert."""
    kinds = {type(handler) for handler in client.retry_handlers}
    if AsyncRateLimitErrorRetryHandler not in kinds:
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=_RATE_LIMIT_RETRIES))
    if AsyncConnectionErrorRetryHandler not in kinds:
        client.retry_handlers.append(AsyncConnectionErrorRetryHandler(max_retry_count=2))
    if AsyncServerErrorRetryHandler not in kinds:
        client.retry_handlers.append(AsyncServerErrorRetryHandler(max_retry_count=2))
    return client


def build_app(core: Core, settings: Settings, client: AsyncWebClient | None = None, *,
              process_before_response: bool = False) -> AsyncApp:
    """The Bolt app wired to the core; tests pass a client pointed at a local fake Slack."""
    return SlackBot(core, settings, client, process_before_response=process_before_response).app


def _error_code(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error") or "unknown_error")
    except Exception:  # a response that is not JSON
        return "unknown_error"


def _is_transient(exc: SlackApiError) -> bool:
    """Slack failing rather than refusing: a transient error code, or a 5xx (whose body may not even be JSON)."""
    status = getattr(exc.response, "status_code", 200) or 200
    return _error_code(exc) in _TRANSIENT_ERRORS or status >= 500


class SlackBot:
    """One workspace's Bolt app, its Web API client and the delivery of the core's outcomes."""

    def __init__(self, core: Core, settings: Settings, client: AsyncWebClient | None = None, *,
                 process_before_response: bool = False, outbox_retry_seconds: float = RETRY_SECONDS) -> None:
        self.core = core
        self.settings = settings
        self.client = with_retries(client) if client is not None else build_client(settings)
        secret = settings.slack_signing_secret
        if settings.slack_mode == "http" and secret is None:
            raise SettingsError("SLACK_SIGNING_SECRET", "is needed in HTTP mode (SLACK_MODE=http)",
                                "Copy the Signing Secret from the app's Basic Information page, or use Socket Mode")
        # Socket Mode needs no signing secret; a random one (never an empty one) makes any HTTP request fail
        # verification instead of passing it with an HMAC anyone can compute.
        signing_secret = secret.reveal() if secret else secrets.token_hex(32)
        protect_bolt_logs()
        _BOLT_LOG.addFilter(_NO_TOKEN_NOTICE)  # a set: adding it again changes nothing
        self.app = AsyncApp(client=self.client, signing_secret=signing_secret,
                            process_before_response=process_before_response, name="nudgebot",
                            logger=_BOLT_LOG)
        self._workspace_url: str | None = None
        self._auth_lock = asyncio.Lock()
        self._own_session: aiohttp.ClientSession | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._threads: OrderedDict[str, str] = OrderedDict()  # message id -> thread it was posted in
        self.inbox = Inbox(core.store.local_path, Platform.SLACK, WORKERS, memory_limit=settings.inbox_memory)
        self._workers = Workers(self.inbox, WORKERS, self._moderate, name="nudgebot-slack-moderation")
        self._dropped_events = 0  # message events skipped (not a member's message) or repeated deliveries
        self.claims = DeliveryClaims()  # nudges being sent right now (live path or outbox)
        self._outbox_lock = asyncio.Lock()
        self.outbox_retry = OutboxRetry(self.retry_outbox, every=outbox_retry_seconds)
        self.outbox_left = 0  # nudges the last outbox run could not deliver
        self._unposted_alerts: list[CommitteeAlert] = []  # alerts Slack failed to take, for the outbox retry
        self._register()

    # ------------------------------------------------------------------ wiring

    def _register(self) -> None:
        app = self.app
        app.event("message")(self._on_message)
        app.command("/policy")(self._on_policy)
        app.command("/incidents")(self._on_incidents)
        app.action(blocks.NUDGE_FIXED)(self._on_feedback)
        app.action(blocks.NUDGE_MISTAKE)(self._on_feedback)
        app.action(re.compile("^" + re.escape(blocks.REVIEW_PREFIX)))(self._on_review_button)
        app.shortcut(blocks.REPORT_CALLBACK)(self._on_report)
        app.view(blocks.REPORT_MODAL)(self._on_report_note)

    async def start(self) -> None:
        """Before serving: one pooled HTTP session for every Web API call, the token checked with auth.test, the
        moderation workers (messages left waiting by the last run first), the periodic retry of nudges a Slack
        outage held back, and the daily retention purge."""
        if self.client.session is None:
            # Without a session slack_sdk opens a connection per call; a burst of events would open thousands.
            self._own_session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
            self.client.session = self._own_session
        await self.workspace_url()
        await self.inbox.start()
        self._workers.start()
        self.outbox_retry.start()
        self.core.purge.start()

    async def close(self) -> None:
        """Stop the outbox retry (letting a run finish), let the workers finish the messages in hand and save
        what still waits for the next start, then close the HTTP session `start()` opened."""
        await self.outbox_retry.stop()
        await self.core.purge.stop()
        await self._workers.stop(DRAIN_SECONDS)
        log.info("moderation stopped: %d message event(s) handled", self.handled_events)
        if self._own_session is not None:
            self.client.session = None
            await self._own_session.close()
            self._own_session = None

    async def workspace_url(self) -> str:
        """The workspace's https URL (for permalinks), asked of auth.test once."""
        if self._workspace_url is None:
            async with self._auth_lock:
                if self._workspace_url is None:
                    try:
                        self._workspace_url = str((await self.client.auth_test()).get("url") or "")
                    except SlackApiError as exc:
                        log.warning("auth.test failed: %s", _error_code(exc))
                        return ""
        return self._workspace_url

    # ------------------------------------------------------------------ messages

    @property
    def handled_events(self) -> int:
        """Message events finished since start: moderated and delivered, skipped, or dropped as repeated."""
        return self._dropped_events + self._workers.handled

    @property
    def backlog(self) -> int:
        """Messages waiting for moderation (in memory or in the database) or being moderated."""
        return self.inbox.backlog

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
        # Only queued here (Bolt has acknowledged the event): moderation runs on the workers, so a flood waits in
        # the bounded inbox instead of as one task per event.
        try:
            message = await self._accept(body, event, context)
        except BaseException:
            self._dropped_events += 1
            raise
        if message is None:
            self._dropped_events += 1
        else:
            self.inbox.put(message)

    async def _accept(self, body: dict[str, Any], event: dict[str, Any],
                      context: dict[str, Any]) -> MessageEvent | None:
        event_id = str(body.get("event_id") or "")
        if event_id and event_id in self._seen:
            log.debug("dropping a repeated delivery of event %s", event_id)
            return None
        team_id = str(context.get("team_id") or body.get("team_id") or "")
        message = from_message_event(team_id, event, await self.workspace_url())
        if message is None:
            return None
        if event_id and event_id in self._seen:  # the same event again while the workspace URL was asked for
            return None
        thread_ts = thread_of(event)
        if thread_ts:
            self._threads[message.message_id] = thread_ts
            while len(self._threads) > _SEEN_EVENTS:
                self._threads.popitem(last=False)
        if event_id:
            self._remember(event_id)  # queued now: a retry of it is a repeat
        return message

    async def _moderate(self, message: MessageEvent) -> None:
        outcome = await self.core.moderator.handle(message)  # logs and ignores a message it cannot handle
        log.debug("moderated %s: %s", message.message_id, outcome.decision)
        await self.deliver(outcome)

    def _remember(self, event_id: str) -> None:
        self._seen[event_id] = None
        while len(self._seen) > _SEEN_EVENTS:
            self._seen.popitem(last=False)

    # ------------------------------------------------------------------ delivery

    async def deliver(self, outcome: Outcome) -> None:
        """Deliver what the core decided: the nudge (and its delivery report), a welfare note, committee alerts."""
        try:
            if outcome.nudge is not None:
                await self.deliver_and_report(outcome.nudge)
            if outcome.welfare is not None:
                await self.deliver_welfare(outcome.welfare)
            for alert in outcome.alerts:
                await self.post_alert(alert)
        except Exception:
            log.exception("delivery failed", extra={"incident_id": outcome.incident_id})

    async def deliver_and_report(self, nudge: Nudge) -> bool:
        """Deliver one nudge and tell the core how it went; alerts the core returns go to the committee.

        False when Slack could not be reached (the nudge stays in the outbox for the periodic retry) or when the
        nudge was not attempted: another sender (live path or outbox) is sending it right now, or it no longer
        awaits delivery. Never sent twice.
        """
        return not isinstance(await self._attempt(nudge), NotSent)

    async def _attempt(self, nudge: Nudge) -> DeliveryStatus | NotSent:
        """Claim the nudge, check it still awaits delivery, send it and report the result; the claim is given
        back only once the result is reported, so no other sender can send it in between."""
        if not self.claims.claim(nudge.incident_id):
            return NotSent.BUSY
        try:
            # The database claim: of every process (and this one's outbox), exactly one sends this nudge.
            if not await self.core.moderator.claim_delivery(nudge.incident_id):
                return NotSent.SETTLED
            # A member who refused both ways lately is not asked again (recorded as refused, committee alerted).
            result = await self.core.moderator.closed_dms.remembered(nudge) or await self.deliver_nudge(nudge)
            if result is None:
                await self.core.moderator.release_delivery(nudge.incident_id)
                return NotSent.UNREACHABLE
            alerts = await self.core.moderator.report_delivery(nudge.incident_id, result)
        finally:
            self.claims.release(nudge.incident_id)
        for alert in alerts:
            await self.post_alert(alert)
        return result.status

    async def deliver_nudge(self, nudge: Nudge) -> DeliveryResult | None:
        """Ephemeral to the poster in the channel; if Slack refuses, a DM; None when Slack could not be reached."""
        text, body = blocks.nudge_message(nudge)
        first = "no channel"
        if nudge.channel_id:
            try:
                # In a thread, the note appears in that thread, next to the reply it is about.
                await self.client.chat_postEphemeral(channel=nudge.channel_id, user=nudge.recipient_id, text=text,
                                                     blocks=body, thread_ts=self._threads.get(nudge.message_id))
                return DeliveryResult(DeliveryStatus.DELIVERED, "ephemeral")
            except SlackApiError as exc:
                first = _error_code(exc)
                if _is_transient(exc):
                    return self._transient(nudge, first)
            except (TimeoutError, aiohttp.ClientError, SlackRequestError) as exc:
                return self._transient(nudge, type(exc).__name__)
        try:
            opened = await self.client.conversations_open(users=nudge.recipient_id)
            await self.client.chat_postMessage(channel=opened["channel"]["id"], text=text, blocks=body)
            log.info("nudge sent by DM", extra={"incident_id": nudge.incident_id, "ephemeral_error": first})
            return DeliveryResult(DeliveryStatus.DELIVERED, f"dm ({first})")
        except SlackApiError as exc:
            code = _error_code(exc)
            if _is_transient(exc):
                return self._transient(nudge, code)
            log.warning("nudge refused", extra={"incident_id": nudge.incident_id, "ephemeral_error": first,
                                                "dm_error": code})
            return DeliveryResult(DeliveryStatus.REFUSED, f"ephemeral: {first}; dm: {code}", dms_closed=True)
        except (TimeoutError, aiohttp.ClientError, SlackRequestError) as exc:
            return self._transient(nudge, type(exc).__name__)

    @staticmethod
    def _transient(nudge: Nudge, reason: str) -> None:
        log.warning("nudge left in the outbox", extra={"incident_id": nudge.incident_id, "reason": reason})
        return None

    async def deliver_welfare(self, note: WelfareNote) -> None:
        """A private pointer to support: ephemeral, or a DM when that is refused."""
        text, body = blocks.welfare_message(note)
        try:
            await self.client.chat_postEphemeral(channel=note.channel_id, user=note.recipient_id, text=text,
                                                 blocks=body)
            return
        except SlackApiError as exc:
            log.info("welfare note not ephemeral (%s), trying a DM", _error_code(exc))
        try:
            opened = await self.client.conversations_open(users=note.recipient_id)
            await self.client.chat_postMessage(channel=opened["channel"]["id"], text=text, blocks=body)
        except SlackApiError as exc:
            log.warning("welfare note not delivered: %s", _error_code(exc))

    async def post_alert(self, alert: CommitteeAlert) -> bool:
        """Post a committee alert, with review buttons, in the workspace's alert (or committee) channel."""
        community = await self.core.store.get_community(Platform.SLACK, alert.community_id)
        channel = community.alerts_channel
        if not channel:
            log.warning("committee alert not posted: no alert channel is set (nudgebot slack --alert-channel)",
                        extra={"kind": alert.kind, "incident_ids": alert.incident_ids})
            return False
        text, body = blocks.alert_message(alert)
        try:
            await self.client.chat_postMessage(channel=channel, text=text, blocks=body)
            return True
        except SlackApiError as exc:
            if _is_transient(exc):
                return self._hold_alert(alert, _error_code(exc))
            log.warning("committee alert not posted in %s: %s (invite nudgebot to the channel)", channel,
                        _error_code(exc), extra={"incident_ids": alert.incident_ids})
            return False
        except (TimeoutError, aiohttp.ClientError, SlackRequestError) as exc:
            return self._hold_alert(alert, type(exc).__name__)

    def _hold_alert(self, alert: CommitteeAlert, reason: str) -> bool:
        """Slack failing: keep the alert (bounded) for the outbox retry to post again."""
        if len(self._unposted_alerts) < MAX_HELD_ALERTS:
            self._unposted_alerts.append(alert)
            log.warning("committee alert not posted (%s); it is posted again by the outbox retry", reason,
                        extra={"kind": alert.kind, "incident_ids": alert.incident_ids})
        else:
            log.error("committee alert not posted (%s) and too many are held already", reason,
                      extra={"kind": alert.kind, "incident_ids": alert.incident_ids})
        return False

    async def deliver_outbox(self) -> int:
        """Deliver the nudges still pending (from before a restart, or held back by an outage); return how many
        were tried."""
        async with self._outbox_lock:
            nudges = await self.core.moderator.pending_nudges(Platform.SLACK)
            left = 0
            for done, nudge in enumerate(nudges):
                try:
                    sent = await self._attempt(nudge)
                except Exception:  # this one nudge is broken: the others still go
                    left += 1
                    log.exception("outbox delivery failed", extra={"incident_id": nudge.incident_id})
                    continue
                if sent is NotSent.BUSY:
                    left += 1  # being sent on the live path right now
                elif sent is NotSent.UNREACHABLE:
                    # Slack failing: the rest wait for the next retry instead of each going through its retries.
                    left += len(nudges) - done
                    break
                # NotSent.SETTLED: sent by the live path since the snapshot (or the store cannot say): not left
            if nudges:
                log.info("outbox: %d pending nudge(s) tried, %d left", len(nudges), left)
            self.outbox_left = left
            return len(nudges)

    async def retry_outbox(self) -> int:
        """One run of the periodic outbox retry (`bot.outbox.OutboxRetry`): the outbox, then the committee alerts
        Slack failed to take; returns how many nudges and alerts it left plus the records still held in memory
        because the database is failing."""
        await self.deliver_outbox()
        held, self._unposted_alerts = self._unposted_alerts, []
        for alert in held:
            await self.post_alert(alert)  # held again if Slack is still failing
        return self.outbox_left + self.core.moderator.pending_count + len(self._unposted_alerts)

    # ------------------------------------------------------------------ committee

    async def is_committee(self, team_id: str, user_id: str) -> bool:
        """Ask Slack now whether this member is in the committee's user group or committee channel."""
        community = await self.core.store.get_community(Platform.SLACK, team_id)
        if community.committee_role:
            try:
                answer = await self.client.usergroups_users_list(usergroup=community.committee_role)
                if user_id in (answer.get("users") or []):
                    return True
            except SlackApiError as exc:
                log.warning("committee user group %s could not be read: %s", community.committee_role,
                            _error_code(exc))
        if community.committee_channel:
            cursor = ""
            try:
                while True:
                    page = await self.client.conversations_members(channel=community.committee_channel, limit=200,
                                                                   cursor=cursor or None)
                    if user_id in (page.get("members") or []):
                        return True
                    cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
                    if not cursor:
                        break
            except SlackApiError as exc:
                log.warning("committee channel %s could not be read: %s", community.committee_channel,
                            _error_code(exc))
        return False

    async def _principal(self, team_id: str, user_id: str) -> Principal | None:
        if not await self.is_committee(team_id, user_id):
            log.info("committee command refused", extra={"user_id": user_id, "team_id": team_id})
            return None
        return Principal(platform=Platform.SLACK, community_id=team_id, user_id=user_id, is_committee=True)

    # ------------------------------------------------------------------ commands

    async def _on_policy(self, ack: Callable[..., Awaitable[Any]], command: dict[str, Any]) -> None:
        words = str(command.get("text") or "").strip()
        if not words:
            text, body = blocks.clause_index(self.core.policy.all())
        else:
            clause = self.core.policy.get(words)
            text, body = blocks.clause_blocks([clause] if clause else self.core.policy.search(words), words)
        await ack(text=text, blocks=body, response_type="ephemeral")

    async def _on_incidents(self, ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                            respond: Callable[..., Awaitable[Any]], context: dict[str, Any]) -> None:
        await ack()
        team_id = str(context.get("team_id") or command.get("team_id") or "")
        user_id = str(command.get("user_id") or "")
        principal = await self._principal(team_id, user_id)
        if principal is None:
            await respond(text=REFUSAL, response_type="ephemeral")
            return
        try:
            request = parse_incidents(str(command.get("text") or ""))
            text, body = await self._incidents(principal, request)
        except NudgebotError as exc:
            text, body = blocks.notice(str(exc))
        except Exception:
            log.exception("/incidents failed", extra={"user_id": user_id})
            text, body = blocks.notice("Sorry, that did not work; the error is in nudgebot's log.")
        await respond(text=text, blocks=body, response_type="ephemeral")

    async def _incidents(self, principal: Principal, request: IncidentsRequest) -> tuple[str, list[blocks.Block]]:
        review = self.core.review
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
            reviewed = await self.core.review_incident(principal, request.incident_id, request.action,
                                                       request.note)
            await self._deliver_reviewed(reviewed)
            sent = " The nudge was sent to the poster." if reviewed.nudge is not None else ""
            return blocks.notice(f"Incident #{request.incident_id} is now "
                                 f"{status_label(reviewed.incident.status)}.{sent}")
        if request.verb == "export":
            data = await review.export(principal, request.query(principal.community_id, export=True),
                                       fmt=request.fmt)
            await self._send_export(principal.user_id, data, request.fmt)
            return blocks.notice("I've sent you the export in a direct message from nudgebot.")
        if request.verb == "stats":
            since, until = request.window(datetime.now(UTC))
            stats = await review.stats(principal, since=since, until=until)
            return blocks.stats_blocks(stats, f"last {request.days} days")
        raise InputError(USAGE)

    async def _send_export(self, user_id: str, data: bytes, fmt: str) -> None:
        """Upload the export to the requester's DM with the bot, where only they can see it."""
        opened = await self.client.conversations_open(users=user_id)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        await self.client.files_upload_v2(channel=opened["channel"]["id"], content=data,
                                          filename=f"nudgebot-incidents-{stamp}.{fmt}",
                                          title=f"nudgebot incidents export {stamp}",
                                          initial_comment="Your incidents export. It holds personal data: keep it "
                                                          "private and delete it when you are done.")

    # ------------------------------------------------------------------ buttons and shortcut

    async def _on_feedback(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], action: dict[str, Any],
                           respond: Callable[..., Awaitable[Any]]) -> None:
        await ack()
        user_id = str((body.get("user") or {}).get("id") or "")
        kind: FeedbackKind = "fixed" if action.get("action_id") == blocks.NUDGE_FIXED else "mistake"
        try:
            accepted = await self.core.moderator.member_feedback(int(action.get("value") or 0), user_id, kind)
        except (NudgebotError, ValueError) as exc:
            # A button's value comes back from the client and may be forged: never repeat it as markup.
            await respond(text=f"Sorry, that did not work: {blocks.escape(str(exc))}", response_type="ephemeral",
                          replace_original=False)
            return
        if not accepted:
            await respond(text=FEEDBACK_NOT_YOURS,
                          response_type="ephemeral", replace_original=False)
            return
        thanks = FEEDBACK_THANKS[kind]
        await respond(text=thanks, blocks=[blocks.section(thanks)], replace_original=True)

    async def _on_review_button(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                                action: dict[str, Any], respond: Callable[..., Awaitable[Any]],
                                context: dict[str, Any]) -> None:
        await ack()
        team_id = str(context.get("team_id") or (body.get("team") or {}).get("id") or "")
        user_id = str((body.get("user") or {}).get("id") or "")
        principal = await self._principal(team_id, user_id)
        if principal is None:
            await respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
            return
        try:
            review_action = ReviewAction(str(action.get("action_id", ""))[len(blocks.REVIEW_PREFIX):])
            ids = [int(part) for part in str(action.get("value") or "").split(",") if part]
            decided = [await self.core.review_incident(principal, incident_id, review_action, "from the Slack alert")
                       for incident_id in ids]
        except (NudgebotError, ValueError) as exc:
            # A button's value comes back from the client and may be forged: never repeat it as markup.
            await respond(text=f"Sorry, that did not work: {blocks.escape(str(exc))}", response_type="ephemeral",
                          replace_original=False)
            return
        stamp = datetime.now(UTC).strftime("%d %b %Y %H:%M")
        note = f"{_PAST[review_action]} by <@{user_id}> · {stamp} UTC"
        original = (body.get("message") or {}).get("blocks") or []
        await respond(text=note, blocks=blocks.reviewed_alert(original, note), replace_original=True)
        for reviewed in decided:
            await self._deliver_reviewed(reviewed)

    async def _deliver_reviewed(self, reviewed: Reviewed) -> None:
        """After a committee decision: the nudge a confirmation released (claimed, so sent once), its alerts."""
        if reviewed.nudge is not None:
            await self.deliver_and_report(reviewed.nudge)
        for alert in reviewed.alerts:
            await self.post_alert(alert)

    async def _on_report(self, ack: Callable[..., Awaitable[Any]], shortcut: dict[str, Any],
                         respond: Callable[..., Awaitable[Any]], context: dict[str, Any]) -> None:
        await ack()
        team_id = str(context.get("team_id") or (shortcut.get("team") or {}).get("id") or "")
        reporter = str((shortcut.get("user") or {}).get("id") or "")
        event = from_shortcut(team_id, shortcut, await self.workspace_url())
        if event is None:
            await respond(text="That message cannot be reported (it was posted by an app or has no author).",
                          response_type="ephemeral")
            return
        reported = {"channel": {"id": event.channel_id},
                    "message": {"user": event.author_id, "ts": split_message_id(event.message_id)[1],
                                "text": event.text[:_REPORTED_TEXT]}}
        try:
            await self.client.views_open(trigger_id=str(shortcut.get("trigger_id") or ""),
                                         view=blocks.report_modal(json.dumps(reported)))
            return  # the report is made when the member submits the modal
        except SlackApiError as exc:
            log.info("report modal not opened (%s): reporting without a note", _error_code(exc))
        if await self._report(reporter, event, ""):
            await respond(text=REPORT_THANKS, response_type="ephemeral")
        else:
            await respond(text=REPORT_FAILED, response_type="ephemeral")

    async def _on_report_note(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                              view: dict[str, Any], context: dict[str, Any]) -> None:
        team_id = str(context.get("team_id") or (body.get("team") or {}).get("id") or "")
        reporter = str((body.get("user") or {}).get("id") or "")
        values = ((view.get("state") or {}).get("values") or {}).get(blocks.REPORT_NOTE) or {}
        note = str((values.get(blocks.REPORT_NOTE) or {}).get("value") or "")
        try:
            reported = json.loads(str(view.get("private_metadata") or "{}"))
        except ValueError:
            reported = {}
        event = from_shortcut(team_id, reported, await self.workspace_url())
        if event is None or not await self._report(reporter, event, note):
            await ack(response_action="errors",
                      errors={blocks.REPORT_NOTE: REPORT_FAILED})
            return
        await ack(response_action="update", view=blocks.report_thanks_view())

    async def _report(self, reporter: str, event: MessageEvent, note: str) -> bool:
        """Hand a member's report to the core and post its alert; False when that failed."""
        try:
            alert = await self.core.moderator.report_message(reporter, event, note)
        except Exception:
            log.exception("member report failed", extra={"message_id": event.message_id})
            return False
        if alert is not None:
            await self.post_alert(alert)
        return True


# ---------------------------------------------------------------------- runners


# ---------------------------------------------------------------------- Socket Mode with a brake
# slack_sdk's client reads every frame into an unbounded queue and starts a task per envelope, so a burst is held in
# memory however slowly it is handled. Here the queue has a size (the receive loop waits when it is full, and
# Slack's frames wait in the socket) and at most IN_FLIGHT envelopes are handled at once. Acknowledging is
# unchanged: Bolt acknowledges each envelope as soon as its listener has queued the message in the inbox.

IN_FLIGHT = 500  # envelopes read from the socket and not yet handled


class BoundedSocketModeClient(SocketModeClient):
    """At most `limit` envelopes queued and at most `limit` being handled; the receive loop waits beyond that."""

    def __init__(self, *args: Any, limit: int = IN_FLIGHT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Replaced before the message processor (started by the parent) first reads it.
        self.message_queue: asyncio.Queue[str] = asyncio.Queue(maxsize=limit)
        self._slots = asyncio.Semaphore(limit)

    async def process_message(self) -> None:
        """Take one envelope and handle it in its own task, once fewer than `limit` are being handled."""
        raw_message = await self.message_queue.get()
        if raw_message is None:
            return
        message = json.loads(raw_message) if raw_message.startswith("{") else {}
        await self._slots.acquire()
        task = asyncio.ensure_future(self.run_message_listeners(message, raw_message))
        task.add_done_callback(lambda _: self._slots.release())


class BoundedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler on the bounded client."""

    def __init__(self, app: AsyncApp, app_token: str, *, limit: int = IN_FLIGHT) -> None:
        # The parent's __init__ builds slack_sdk's own client; this builds the bounded one the same way instead.
        self.app = app
        self.app_token = app_token
        self.client = BoundedSocketModeClient(app_token=app_token, logger=app.logger,
                                              web_client=app.client, limit=limit)  # type: ignore[arg-type]
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]


def unreachable(exc: aiohttp.ClientConnectorError, setting: str = "--api-url") -> PlatformUnreachable:
    """The one line for a Slack that cannot be reached at all (no network, no DNS, a wrong --api-url)."""
    return PlatformUnreachable("Slack", f"{exc.host}:{exc.port}", connection_failure(exc.os_error), setting)


async def _start(bot: SlackBot) -> None:
    """`bot.start()`, whose first call (auth.test) is where an unreachable Slack shows. Once connected, Socket Mode
    rides out a lost network by itself: slack_sdk's client checks the socket every ping interval (5 s) and opens a
    new one, asking apps.connections.open again, until it succeeds."""
    try:
        await bot.start()
    except aiohttp.ClientConnectorError as exc:
        raise unreachable(exc) from None


async def run_socket_mode(bot: SlackBot, app_token: str, stop: asyncio.Event) -> None:
    """Connect over Socket Mode (no public URL needed), deliver the outbox, and serve until `stop` is set."""
    try:  # closed whatever happens: a start that fails must not leave its HTTP session open
        await _start(bot)
        handler = BoundedSocketModeHandler(bot.app, app_token)
        try:
            await handler.connect_async()
            log.info("connected to Slack over Socket Mode")
            await bot.deliver_outbox()
            await stop.wait()
        finally:
            await handler.close_async()
    finally:
        await bot.close()


async def run_http(bot: SlackBot, host: str, port: int, path: str, stop: asyncio.Event) -> None:
    """Serve Slack's signed requests on host:port/path (HTTP mode), deliver the outbox, serve until `stop`."""
    try:  # closed whatever happens: a start that fails must not leave its HTTP session open
        await _start(bot)
        runner = web.AppRunner(bot.app.web_app(path=path, port=port), handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            log.info("listening for Slack on http://%s:%d%s", host, port, path)
            await bot.deliver_outbox()
            await stop.wait()
        finally:
            await runner.cleanup()
    finally:
        await bot.close()
