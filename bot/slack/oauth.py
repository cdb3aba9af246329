"""Slack for many workspaces: Bolt's OAuth install flow on nudgebot's own database (installations and OAuth states
in bot.store), and the Web API client for each installed workspace, with its own bot token."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import Platform
from bot.settings import Secret, Settings, SettingsError

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

# What the install asks for: the bot scopes of slack-manifest.yaml (tests/slack/test_oauth.py keeps them equal).
BOT_SCOPES = ("channels:history", "groups:history", "chat:write", "im:write", "commands", "usergroups:read",
              "channels:read", "groups:read", "files:write")
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an install page's state is good for ten minutes, once
ROTATE_MINUTES = 120  # refresh a rotating token this long before it expires (Bolt's default, used for both paths)
RACE_CHECKS = 5  # looks at the database (0.05 s, doubling) for a token another process refreshed meanwhile
CLIENT_CACHE_SECONDS = 30.0  # a token another process deleted or refreshed is picked up within this


def require_oauth_settings(settings: Settings) -> tuple[str, Secret, Secret]:
    """The app's client id, client secret and state secret, or the one line naming the missing variable."""
    if settings.slack_client_id is None:
        raise SettingsError("SLACK_CLIENT_ID", "is needed with --oauth",
                            "Copy the Client ID from the app's Basic Information page (App Credentials)")
    if settings.slack_client_secret is None:
        raise SettingsError("SLACK_CLIENT_SECRET", "is needed with --oauth",
                            "Copy the Client Secret from the app's Basic Information page (App Credentials)")
    if settings.slack_state_secret is None:
        raise SettingsError("SLACK_STATE_SECRET", "is needed with --oauth",
                            "Set it to a long random value, e.g. the output of: python3 -c 'import secrets; "
                            "print(secrets.token_hex(32))'")
    return settings.slack_client_id, settings.slack_client_secret, settings.slack_state_secret


def _plain(value: Any) -> Any:
    """slack_sdk's dicts carry datetimes; stored as epoch seconds, which its constructors take back."""
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot store {type(value).__name__}")


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    ready = dict(json.loads(json.dumps(data, default=_plain)))
    for key in ("bot_token_expires_at", "user_token_expires_at"):  # slack_sdk reads these back as whole seconds
        if ready.get(key) is not None:
            ready[key] = int(ready[key])
    return ready


class StoredInstallations(AsyncInstallationStore):
    """slack_sdk's installation store on nudgebot's database: one installation (bot token) per workspace.

    Org-wide Enterprise Grid installs are not offered (the manifest has org_deploy_enabled: false); a workspace is
    found by its team id alone, which is what a nudge, an alert or an event names.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.changes = 0  # saves and deletes so far: WorkspaceClients drops its cached clients when this moves
        # A refresh token works once: a workspace's token is refreshed by one caller at a time in this process
        # (Bolt's authorize on an event, or WorkspaceClients on a delivery), the second then finding it fresh.
        self._refresh_locks: dict[str, asyncio.Lock] = {}

    def refresh_lock(self, team_id: str) -> asyncio.Lock:
        """The lock held while a workspace's token may be refreshed."""
        return self._refresh_locks.setdefault(team_id, asyncio.Lock())

    @property
    def logger(self) -> logging.Logger:
        """slack_sdk's interface asks for one."""
        return log

    async def async_save(self, installation: Installation) -> None:
        """Keep a new installation (or a re-install), replacing the workspace's previous one."""
        team_id = installation.team_id or ""
        if not team_id:
            raise ValueError("org-wide installs are not supported: install nudgebot in each workspace")
        now = datetime.now(UTC)
        await self.store.save_installation(installation.enterprise_id or "", team_id,
                                           _json_ready(installation.to_dict_for_copying()), now)
        if installation.team_name:  # reports and alerts name the workspace rather than its id
            await self.store.save_names(Platform.SLACK, team_id, "community", {team_id: installation.team_name}, now)
        self.changes += 1
        # The OAuth redirect is not an event of the workspace (no middleware binds it): named here.
        log.info("Slack workspace installed", extra={"workspace_id": team_id, "installer": installation.user_id})

    async def async_save_bot(self, bot: Bot) -> None:
        """Keep a refreshed bot token (token rotation) in the workspace's installation."""
        team_id = bot.team_id or ""
        saved = await self.store.find_installation(team_id) or {}
        fresh = _json_ready(bot.to_dict_for_copying())
        saved.update({key: fresh.get(key) for key in ("bot_token", "bot_refresh_token", "bot_token_expires_at",
                                                      "bot_id", "bot_user_id", "bot_scopes", "app_id", "team_id",
                                                      "enterprise_id")})
        saved.setdefault("installed_at", fresh.get("installed_at"))
        await self.store.save_installation(bot.enterprise_id or "", team_id, saved, datetime.now(UTC))
        self.changes += 1

    async def _installation(self, team_id: str | None) -> Installation | None:
        data = await self.store.find_installation(team_id or "")
        return Installation(**data) if data else None

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        """The workspace's bot token, or None when it has not installed nudgebot (or has uninstalled it)."""
        installation = await self._installation(team_id)
        return installation.to_bot() if installation and installation.bot_token else None

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False) -> Installation | None:
        """The workspace's installation (for `user_id`, only if that member installed it)."""
        installation = await self._installation(team_id)
        if installation is None or (user_id is not None and installation.user_id != user_id):
            return None
        return installation

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The bot token was revoked or the app uninstalled: forget the installation and its tokens."""
        if await self.store.delete_installation(team_id or ""):
            log.info("Slack workspace's tokens deleted", extra={"team_id": team_id})
        self.changes += 1

    async def async_delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                        user_id: str | None = None) -> None:
        """Forget the installation (user_id None), or only the installer's user token when they revoked it."""
        if user_id is None:
            await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
            return
        saved = await self.store.find_installation(team_id or "")
        if saved and saved.get("user_id") == user_id and saved.get("user_token"):
            saved.update(user_token=None, user_refresh_token=None, user_token_expires_at=None)
            await self.store.save_installation(enterprise_id or "", team_id or "", saved, datetime.now(UTC))
            self.changes += 1


class StoredOAuthStates(AsyncOAuthStateStore):
    """slack_sdk's OAuth state store on nudgebot's database: single-use states, kept as HMACs with the state
    secret, valid for STATE_SECONDS."""

    def __init__(self, store: Store, state_secret: Secret, expiration_seconds: int = STATE_SECONDS) -> None:
        self.store = store
        self._key = state_secret.reveal().encode("utf-8")
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        """slack_sdk's interface asks for one."""
        return log

    def _hash(self, state: str) -> str:
        return hmac.new(self._key, state.encode("utf-8"), hashlib.sha256).hexdigest()

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new random state for one install page."""
        state = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await self.store.save_oauth_state(self._hash(state), now + timedelta(seconds=self.expiration_seconds), now)
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state this app issued that has not expired; a replay or a made-up state is False."""
        used = await self.store.consume_oauth_state(self._hash(state or ""), datetime.now(UTC))
        if not used:
            log.warning("Slack install refused: unknown, expired or already used OAuth state")
        return used


def oauth_settings(settings: Settings, store: Store, client: AsyncWebClient, *,
                   authorization_url: str | None = None) -> AsyncOAuthSettings:
    """Bolt's OAuth settings: the install page at INSTALL_PATH, Slack's redirect back at REDIRECT_PATH,
    installations and states in nudgebot's database; `client` (token-less) is the Web API every token is refreshed
    through. `authorization_url`: Slack's authorize page when not slack.com's (GovSlack, or a test's fake)."""
    client_id, client_secret, state_secret = require_oauth_settings(settings)
    installations = StoredInstallations(store)
    oauth = AsyncOAuthSettings(
        client_id=client_id, client_secret=client_secret.reveal(), scopes=list(BOT_SCOPES), user_scopes=[],
        redirect_uri=settings.slack_redirect_uri, install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url, installation_store=installations,
        installation_store_bot_only=True, token_rotation_expiration_minutes=ROTATE_MINUTES,
        state_store=StoredOAuthStates(store, state_secret), state_expiration_seconds=STATE_SECONDS,
        logger=log)
    # Bolt's own authorize, with three changes: one workspace's refresh at a time (SerialAuthorize); the refresh
    # goes through `client` (Bolt's default is a client for slack.com, whatever --api-url says); and the auth.test
    # it makes for a token is remembered, so an event costs a database read, not a Web API call as well (a
    # workspace that uninstalled has no token to find, so that memory is never read for it).
    oauth.authorize = SerialAuthorize(
        logger=log, installation_store=installations, client_id=client_id, client_secret=client_secret.reveal(),
        token_rotation_expiration_minutes=ROTATE_MINUTES, bot_only=True, cache_enabled=True, client=client)
    return oauth


class SerialAuthorize(AsyncInstallationStoreAuthorize):
    """Bolt's installation-store authorize, run for one workspace at a time in this process: it may refresh the
    workspace's token, and a refresh token works only once."""

    async def __call__(self, *, context: AsyncBoltContext, enterprise_id: str | None, team_id: str | None,
                       user_id: str | None, actor_enterprise_id: str | None = None, actor_team_id: str | None = None,
                       actor_user_id: str | None = None) -> AuthorizeResult | None:
        """Authorise one request (a database read; an auth.test only for a token not seen before)."""
        store = self.installation_store
        lock = store.refresh_lock(team_id or "") if isinstance(store, StoredInstallations) else asyncio.Lock()
        async with lock:
            result = await super().__call__(context=context, enterprise_id=enterprise_id, team_id=team_id,
                                            user_id=user_id, actor_enterprise_id=actor_enterprise_id,
                                            actor_team_id=actor_team_id, actor_user_id=actor_user_id)
            if result is None and isinstance(store, StoredInstallations) and \
                    await refreshed_elsewhere(store, team_id or ""):
                result = await super().__call__(context=context, enterprise_id=enterprise_id, team_id=team_id,
                                                user_id=user_id, actor_enterprise_id=actor_enterprise_id,
                                                actor_team_id=actor_team_id, actor_user_id=actor_user_id)
            return result


async def refreshed_elsewhere(installations: StoredInstallations, team_id: str) -> Bot | None:
    """After a refresh failed: the token another process refreshed at the same moment (a refresh token works
    once, so the loser's refresh is refused), once it has saved it; None when no fresh token shows up."""
    for attempt in range(RACE_CHECKS):
        bot = await installations.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:
            return None  # uninstalled, not a race
        if not _expiring(bot):
            return bot
        await asyncio.sleep(0.05 * 2**attempt)  # the winner is saving it right now
    return None


def token_rotator(oauth: AsyncOAuthSettings | None, client: AsyncWebClient) -> AsyncTokenRotator | None:
    """What refreshes a rotating bot token outside an event (a nudge from the outbox, a retried alert)."""
    if oauth is None:
        return None
    return AsyncTokenRotator(client_id=oauth.client_id, client_secret=oauth.client_secret, client=client)


def authorize_url_for(api_url: str | None) -> str | None:
    """Slack's authorize page beside its Web API: https://slack.com/api/ -> https://slack.com/oauth/v2/authorize
    (GovSlack's likewise); None, Bolt's default, for the default API URL."""
    if not api_url:
        return None
    parts = urlsplit(api_url)
    return urlunsplit((parts.scheme, parts.netloc, "/oauth/v2/authorize", "", ""))


async def installation_health(store: Store, api_url: str | None) -> list[tuple[str, bool, str]]:
    """(team id, ok, what Slack said) for every installed workspace: `nudgebot slack --oauth --check`."""
    installations = StoredInstallations(store)
    clients = WorkspaceClients(base_client(api_url), installations)
    found: list[tuple[str, bool, str]] = []
    for team_id in await store.installed_teams():
        try:
            answer = await (await clients.for_team(team_id)).auth_test()
            found.append((team_id, True, f"{answer.get('team')}, bot user {answer.get('user_id')}"))
        except SlackApiError as exc:
            found.append((team_id, False, f"{exc.response.get('error', 'error')}: install nudgebot there again"))
    return found


def base_client(api_url: str | None) -> AsyncWebClient:
    """The token-less client of OAuth mode (oauth.v2.access, and the base every workspace's client copies)."""
    return AsyncWebClient(base_url=api_url) if api_url else AsyncWebClient()


class WorkspaceClients:
    """The Web API client to use for a workspace: the one client in single-token mode; in OAuth mode a client
    with that workspace's bot token (refreshed first when token rotation is on and it is about to expire), all
    sharing the base client's HTTP session and retry handlers."""

    def __init__(self, base: AsyncWebClient, installations: StoredInstallations | None = None,
                 rotator: AsyncTokenRotator | None = None) -> None:
        self.base = base
        self.installations = installations
        self.rotator = rotator
        self._clients: dict[str, tuple[float, AsyncWebClient, Bot | None]] = {}
        self._seen_changes = 0

    @property
    def multi_workspace(self) -> bool:
        """True in OAuth mode."""
        return self.installations is not None

    async def for_team(self, team_id: str) -> AsyncWebClient:
        """The client for `team_id`. A workspace without an installation gets a client with no token, which Slack
        refuses with not_authed: what is due there is then refused like any other refused delivery."""
        if self.installations is None:
            return self.base
        if self.installations.changes != self._seen_changes:
            self._seen_changes = self.installations.changes
            self._clients.clear()
        cached = self._clients.get(team_id)
        if cached is not None and time.monotonic() - cached[0] < CLIENT_CACHE_SECONDS and not _expiring(cached[2]):
            return cached[1]
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is not None and self.rotator is not None and _expiring(bot):
            async with self.installations.refresh_lock(team_id):
                bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team_id)  # may be fresh now
                if bot is not None and _expiring(bot):
                    bot = await self._refresh(team_id, bot)
            self._seen_changes = self.installations.changes
        if bot is None:
            log.warning("no Slack installation for this workspace", extra={"team_id": team_id})
        client = self._client(bot.bot_token if bot else None)
        self._clients[team_id] = (time.monotonic(), client, bot)
        return client

    async def _refresh(self, team_id: str, bot: Bot) -> Bot:
        """The bot with a refreshed token (saved), or the one another process refreshed at the same moment."""
        assert self.rotator is not None and self.installations is not None
        try:
            refreshed = await self.rotator.perform_bot_token_rotation(bot=bot, minutes_before_expiration=ROTATE_MINUTES)
        except SlackTokenRotationError:
            elsewhere = await refreshed_elsewhere(self.installations, team_id)
            if elsewhere is None:
                raise
            return elsewhere
        if refreshed is None:
            return bot
        await self.installations.async_save_bot(refreshed)
        return refreshed

    def _client(self, token: str | None) -> AsyncWebClient:
        base = self.base
        return AsyncWebClient(token=token, base_url=base.base_url, timeout=base.timeout, session=base.session,
                              logger=base.logger, retry_handlers=list(base.retry_handlers))

    def clear(self) -> None:
        """Drop the cached clients (at close, when the shared HTTP session goes)."""
        self._clients.clear()


def _expiring(bot: Bot | None) -> bool:
    return bool(bot and bot.bot_token_expires_at and bot.bot_token_expires_at <= time.time() + ROTATE_MINUTES * 60)
