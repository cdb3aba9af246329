"""The Discord adapter's entry point: builds the discord.py bot over the moderation core and loads the cogs."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import os
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands
from discord.ext import commands

from bot.discord.access import CommunityCache
from bot.discord.notifier import DiscordNotifier
from bot.errors import NudgebotError, PlatformUnreachable, connection_failure
from bot.logredact import protect_discord_logs
from bot.models import Platform
from bot.request_budget import BUDGET, InvalidRequests
from bot.runtime.delivery import DeliveryService
from bot.runtime.outbox import RETRY_SECONDS
from bot.runtime.warmup import warm_scanner
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

COGS = ("cogs.moderation", "cogs.policy", "cogs.incidents", "cogs.setup")
SCOPES = ("bot", "applications.commands")


class DiscordSetupError(NudgebotError):
    """Discord cannot be started as configured (no token, a token Discord refuses, a missing intent)."""


class _NoVoiceWarning(logging.Filter):
    """Drops discord.py's "PyNaCl/davey is not installed, voice will NOT be supported": nudgebot never joins voice."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but the voice-support warning."""
        return "voice will NOT be supported" not in str(record.msg)


_NO_VOICE_WARNING = _NoVoiceWarning()


def intents() -> discord.Intents:
    """Only what nudgebot reads: guilds (channels, roles), guild messages and their content (privileged).

    Not members: the committee check uses the member payload each interaction carries, so the privileged
    Server Members intent is not needed.
    """
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.message_content = True
    return wanted


def required_permissions() -> discord.Permissions:
    """Exactly the channel permissions the bot uses.

    View Channel (see messages), Send Messages and Embed Links (alerts in the committee's channel) and Manage
    Messages (the committee's "Delete message" button). Nudges go by DM and slash commands answer through the
    interaction, which need no guild permission.
    """
    return discord.Permissions(view_channel=True, send_messages=True, embed_links=True, manage_messages=True)


def client_id_from_token(token: str) -> str:
    """The application's client id, read from the first part of a bot token (base64 of the bot's user id)."""
    head = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if not decoded.isdigit():
        raise DiscordSetupError("DISCORD_TOKEN does not look like a Discord bot token. Copy it again from the "
                                "Bot page of your application, or pass --client-id")
    return decoded


def point_at(api_base: str = "", gateway: str = "") -> None:
    """Use another REST base and gateway than Discord's own (a self-hosted proxy, or a local test double of
    Discord); empty leaves discord.py's defaults."""
    if api_base.strip():
        discord.http.Route.BASE = api_base.strip().rstrip("/")
    if gateway.strip():
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway.strip())


def invite_url(client_id: str | int) -> str:
    """The OAuth2 URL that adds the bot to a server with exactly `required_permissions()`."""
    return discord.utils.oauth_url(client_id, permissions=required_permissions(), scopes=SCOPES)


class NudgeTree(app_commands.CommandTree):
    """The slash-command tree, with a last-resort error handler for errors no cog answered."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Log the failure with its ids and tell the member privately (discord.py calls this after the cog's own
        handler)."""
        if interaction.response.is_done():
            return
        log.error("app command failed", exc_info=error,
                  extra={"interaction_id": interaction.id, "guild_id": interaction.guild_id})
        await _answer_privately(interaction, "Sorry, something went wrong. Please try again later.")


class NudgeBot(commands.AutoShardedBot):
    """The bot: discord.py's auto-sharded bot holding the moderation core the cogs translate to."""

    def __init__(self, core: Core, settings: Settings, *, sync_commands: bool = True,
                 outbox_retry_seconds: float = RETRY_SECONDS, invalid_request_budget: int = BUDGET,
                 **options: Any) -> None:
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        options.setdefault("tree_cls", NudgeTree)
        # Shared through the store with every process on it: Discord counts invalid requests per address.
        self.invalid_requests = InvalidRequests(invalid_request_budget, shared=core.store)
        options.setdefault("http_trace", self.invalid_requests.trace_config())
        protect_discord_logs()
        logging.getLogger("discord.client").addFilter(_NO_VOICE_WARNING)  # a set: adding it again changes nothing
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(), help_command=None, **options)
        self.core = core
        self.settings = settings
        # The commands are the app's, not a shard's: with the shards split over processes, the one running shard 0
        # publishes them (one PUT per start instead of one per process).
        self.sync_commands = sync_commands and (self.shard_ids is None or 0 in self.shard_ids)
        self.communities = CommunityCache(self)
        self.notifier = DiscordNotifier(self)
        # The outbox retry is started by the moderation cog once the start's outbox run is under way.
        self.delivery = DeliveryService(core, Platform.DISCORD, self.notifier,
                                        outbox_retry_seconds=outbox_retry_seconds,
                                        ids_of=lambda guild_id: {"shard_id": self.shard_of_guild(guild_id)})

    async def setup_hook(self) -> None:
        """Start the alert poster and the daily retention purge, load the cogs (which register their persistent
        buttons) and publish the slash commands."""
        self.delivery.start()
        self.core.purge.start()
        self.invalid_requests.start()
        for name in COGS:
            await self.load_extension(name)
        if self.sync_commands:
            synced = await self.tree.sync()
            log.info("slash commands published", extra={"commands": [c.name for c in synced]})

    async def close(self) -> None:
        """Stop in order: the cogs finish the messages received, the alerts queued are posted, then disconnect."""
        for name in tuple(self.extensions):
            try:
                await self.unload_extension(name)
            except commands.ExtensionError:
                log.exception("could not unload an extension", extra={"extension": name})
        await self.delivery.stop()
        await self.core.purge.stop()
        await self.invalid_requests.stop()
        await super().close()

    @property
    def spool_tag(self) -> str:
        """The inbox spool's tag: each process running its own shards keeps its waiting messages apart."""
        return "shards-" + "-".join(map(str, self.shard_ids)) if self.shard_ids is not None else ""

    def shard_of_guild(self, guild_id: str) -> int | None:
        """The shard a guild's events arrive on (Discord's rule: (guild_id >> 22) % shard_count); None before the
        shard count is known or for an id that is not a guild's."""
        if not self.shard_count or not guild_id.isdigit():
            return None
        return (int(guild_id) >> 22) % self.shard_count

    async def on_message(self, message: discord.Message, /) -> None:
        """Nothing: every command is a slash command, so no message is parsed for a prefix command (discord.py's
        default here builds a command context for each one); the moderation cog's listener moderates it."""

    async def on_ready(self) -> None:
        """Log where the bot is connected (ids only)."""
        log.info("connected to Discord", extra={"user_id": self.user.id if self.user else None,
                                                "guilds": len(self.guilds), "shard_count": self.shard_count,
                                                "shard_ids": sorted(self.shards)})



async def _answer_privately(interaction: discord.Interaction, text: str) -> None:
    """Answer an interaction ephemerally, whether or not it was already answered."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not answer an interaction", extra={"interaction_id": interaction.id})


def build_bot(core: Core, settings: Settings, *, sync_commands: bool = True,
              outbox_retry_seconds: float = RETRY_SECONDS, invalid_request_budget: int = BUDGET,
              **options: Any) -> NudgeBot:
    """Build the bot over an open core; `options` go to discord.py (e.g. shard_ids and shard_count,
    guild_ready_timeout).

    `outbox_retry_seconds`: how often nudges left undelivered (Discord or the database failing) are tried again.
    `invalid_request_budget`: the invalid answers (401, 403, 429) in ten minutes, counted by every process sharing
    the store, after which the bot holds back.
    """
    return NudgeBot(core, settings, sync_commands=sync_commands, outbox_retry_seconds=outbox_retry_seconds,
                    invalid_request_budget=invalid_request_budget, **options)


async def run_bot(settings: Settings, *, sync_commands: bool = True, shard_ids: list[int] | None = None,
                  shard_count: int | None = None) -> None:
    """Open the core and run the bot until it is stopped; the token is read from settings, never logged.

    `shard_ids` of `shard_count`: run only these shards (another process runs the rest); default: all shards,
    as many as Discord recommends.
    """
    from bot.core import open_core

    if settings.discord_token is None:
        raise DiscordSetupError("DISCORD_TOKEN: not set. Put the bot token from the Discord developer portal "
                                "in .env as DISCORD_TOKEN=...")
    core = await open_core(settings)
    try:  # before connecting, so the first messages are not held up by the scanner compiling
        await asyncio.to_thread(warm_scanner, core.scanner)
    except BaseException:
        await core.close()
        raise
    shards: dict[str, Any] = {} if shard_count is None else {"shard_count": shard_count, "shard_ids": shard_ids}
    bot = build_bot(core, settings, sync_commands=sync_commands, **shards)
    try:
        async with bot:
            await bot.start(settings.discord_token.reveal())
    except discord.LoginFailure:
        raise DiscordSetupError("DISCORD_TOKEN: Discord refused the token. Reset it on the Bot page of your "
                                "application and copy the new one into .env") from None
    except discord.PrivilegedIntentsRequired:
        raise DiscordSetupError("Discord refused the Message Content intent. Turn on 'Message Content Intent' "
                                "on the Bot page of your application") from None
    except aiohttp.ClientConnectorError as exc:  # logging in, before the gateway: discord.py retries after that
        configured = [name for name in ("NUDGEBOT_DISCORD_API_BASE", "NUDGEBOT_DISCORD_GATEWAY")
                      if os.environ.get(name)]
        raise PlatformUnreachable("Discord", f"{exc.host}:{exc.port}", connection_failure(exc.os_error),
                                  " and ".join(configured)) from None
    finally:
        await asyncio.shield(core.close())
