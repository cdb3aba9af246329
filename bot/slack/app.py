"""The Slack adapter: a slack-bolt AsyncApp whose listeners translate Slack's events for the core, and a notifier
that puts the core's nudges and alerts on Slack. The runtime (`bot.runtime`) moderates and delivers; nothing here
decides."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.authorization.async_single_team_authorization import AsyncSingleTeamAuthorization
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.logredact import protect_bolt_logs
from bot.logsetup import bound_ids
from bot.models import Platform
from bot.runtime.delivery import DeliveryService
from bot.runtime.intake import DRAIN_SECONDS, Intake
from bot.runtime.outbox import RETRY_SECONDS
from bot.settings import Settings, SettingsError
from bot.slack import listeners
from bot.slack.access import SlackCommittee
from bot.slack.listeners.messages import MessageListener
from bot.slack.notifier import SlackNotifier, error_code
from bot.slack.oauth import StoredInstallations, WorkspaceClients, token_rotator

if TYPE_CHECKING:
    from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

    from bot.core import Core

log = logging.getLogger(__name__)

_RATE_LIMIT_RETRIES = 6


class _NoTokenNotice(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused.": Bolt reads SLACK_BOT_TOKEN from the
    environment even when given a client, so it says this at every start where the token is set there."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but that notice."""
        return "`token` will be unused" not in str(record.msg)


_BOLT_LOG = logging.getLogger("bot.slack.app.bolt")
_NO_TOKEN_NOTICE = _NoTokenNotice()


class _App(AsyncApp):
    """Bolt's app, every line logged while it handles a request (by nudgebot, Bolt or slack_sdk, in the listener's
    own task too) naming the workspace the request came from as `workspace_id`: in OAuth mode one process serves
    many workspaces. Bound around the whole dispatch, since Bolt's global middleware runs one after another
    rather than around the listener."""

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        """Dispatch as Bolt does, within the request's workspace."""
        with bound_ids(workspace_id=req.context.team_id or req.context.enterprise_id):
            return await super().async_dispatch(req)


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


class SlackBot:
    """The Bolt app and its Web API clients, over the runtime's intake and delivery service: for the one workspace
    of the bot token, or (`oauth`, HTTP) for every workspace installed through Slack's OAuth flow, each with its own
    token."""

    def __init__(self, core: Core, settings: Settings, client: AsyncWebClient | None = None, *,
                 process_before_response: bool = False, outbox_retry_seconds: float = RETRY_SECONDS,
                 oauth: AsyncOAuthSettings | None = None) -> None:
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
        protect_bolt_logs(_BOLT_LOG.name)
        _BOLT_LOG.addFilter(_NO_TOKEN_NOTICE)  # a set: adding it again changes nothing
        self.app = _App(client=self.client, signing_secret=signing_secret,
                        process_before_response=process_before_response, name="nudgebot",
                        logger=_BOLT_LOG, oauth_settings=oauth,
                        installation_store_bot_only=True if oauth is not None else None)
        installations = oauth.installation_store if oauth is not None else None
        if isinstance(installations, StoredInstallations):
            # app_uninstalled and tokens_revoked delete the workspace's tokens (Bolt's own listeners, on our store).
            self.app.enable_token_revocation_listeners()
        self.clients = WorkspaceClients(self.client, installations if isinstance(installations, StoredInstallations)
                                        else None, token_rotator(oauth, self.client))
        self._workspace_urls: dict[str, str] = {}
        self._auth_answers: dict[str, AsyncSlackResponse] = {}
        self._auth_lock = asyncio.Lock()
        self._own_session: aiohttp.ClientSession | None = None
        self.notifier = SlackNotifier(self.clients)
        self.committee = SlackCommittee(self.clients, core.review)
        self.delivery = DeliveryService(core, Platform.SLACK, self.notifier,
                                        outbox_retry_seconds=outbox_retry_seconds)
        self.intake = Intake(core, Platform.SLACK, self.delivery)
        self.messages = MessageListener(self)
        listeners.register(self)

    async def start(self) -> None:
        """Before serving: one pooled HTTP session for every Web API call, the token checked with auth.test, the
        moderation workers (messages left waiting by the last run first), the alert poster, the periodic retry
        of nudges a Slack outage held back, and the daily retention purge."""
        if self.client.session is None:
            # Without a session slack_sdk opens a connection per call; a burst of events would open thousands.
            self._own_session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
            self.client.session = self._own_session
        if not self.clients.multi_workspace:
            await self.workspace_url()  # checks the one token; in OAuth mode each workspace's is checked by use
            self._share_auth_test()
        await self.intake.start()
        self.delivery.start()
        self.delivery.outbox_retry.start()
        self.core.purge.start()

    async def close(self) -> None:
        """Stop the outbox retry (letting a run finish), let the workers finish the messages in hand and save
        what still waits for the next start, post the alerts queued, then close the HTTP session `start()`
        opened."""
        await self.delivery.outbox_retry.stop(DRAIN_SECONDS)
        await self.core.purge.stop()
        await self.intake.stop(DRAIN_SECONDS)
        await self.delivery.stop(DRAIN_SECONDS)
        log.info("moderation stopped: %d message event(s) handled", self.handled_events)
        self.clients.clear()
        if self._own_session is not None:
            self.client.session = None
            await self._own_session.close()
            self._own_session = None

    async def workspace_url(self, team_id: str = "") -> str:
        """The workspace's https URL (for permalinks), asked of auth.test once per workspace."""
        key = team_id if self.clients.multi_workspace else ""
        if key not in self._workspace_urls:
            async with self._auth_lock:
                if key not in self._workspace_urls:
                    try:
                        answer = await (await self.clients.for_team(key)).auth_test()
                        self._workspace_urls[key] = str(answer.get("url") or "")
                        self._auth_answers[key] = answer
                    except SlackApiError as exc:
                        log.warning("auth.test failed: %s", error_code(exc))
                        return ""
        return self._workspace_urls[key]

    def _share_auth_test(self) -> None:
        """Give Bolt's one-workspace authorization the auth.test answer `start` already has. Bolt asks auth.test
        on the first event and keeps the answer, but every event handled before that answer arrives asks as well:
        a burst after a (re)connect, up to IN_FLIGHT envelopes at once, made hundreds of auth.test calls."""
        answer = self._auth_answers.get("")
        if answer is None:
            return
        for middleware in self.app._async_middleware_list:  # built with the app; Bolt has no public setter
            if isinstance(middleware, AsyncSingleTeamAuthorization) and middleware.auth_test_result is None:
                middleware.auth_test_result = answer

    @property
    def handled_events(self) -> int:
        """Message events finished since start: moderated and delivered, skipped, or dropped as repeated."""
        return self.messages.dropped + self.intake.handled

    @property
    def backlog(self) -> int:
        """Messages waiting for moderation (in memory or in the database) or being moderated."""
        return self.intake.backlog
