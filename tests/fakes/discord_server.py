"""A fake Discord on 127.0.0.1: the gateway websocket and the REST routes a bot uses, for the unmodified discord.py.

It behaves like Discord, not like nudgebot: zlib-stream compressed gateway frames, HELLO/IDENTIFY/READY/
GUILD_CREATE/heartbeat/RESUME with rising sequence numbers, sharding (GET /gateway/bot recommends `shards`; an
IDENTIFY's shard [id, count] is honoured, so each session gets only the guilds with (guild_id >> 22) % count == id
and shard 0 the DMs; 4010 for a shard that cannot exist, 4011 below `min_shards`), the Message Content intent
blanking content for bots without it, real JSON error bodies (50007 "Cannot send messages to this user", 10003
Unknown Channel, 10008 Unknown Message, 10062 Unknown interaction), per-bucket rate limits with `X-RateLimit-*`
headers, and HTTP 429 with a JSON `retry_after` and a `Via` header that a test scripts for the next N calls of a
route. Every REST call is recorded so a test can assert exactly what the bot sent.

Point discord.py at it with its two public class attributes (see `FakeDiscord.redirect`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import secrets
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes import discord_payloads as P

API_PREFIX = "/api/v10"
_BODY = web.RequestKey("body", object)
_FILES = web.RequestKey("files", list)
GUILDS_INTENT = 1 << 0
GUILD_MESSAGES_INTENT = 1 << 9
MESSAGE_CONTENT_INTENT = 1 << 15
RECHECK_SECONDS = 0.02  # how often wait_for re-checks a predicate between the fake's own changes


# The per-channel limit commonly seen on Discord for posting messages: 5 per 5 seconds per channel.
DISCORD_LIKE_LIMITS = {"POST /channels/{channel_id}/messages": (5, 5.0)}


def bot_token_for(user_id: int) -> str:
    """A token shaped like Discord's: base64(user id) . timestamp . hmac, so id-from-token code works."""
    head = base64.b64encode(str(user_id).encode()).decode().rstrip("=")
    return f"{head}.GfAkEx.{secrets.token_urlsafe(27)}"


@dataclass(frozen=True)
class Ref:
    """A user, channel or role given as a slash-command option."""

    kind: str  # "user" | "channel" | "role"
    id: int

    @property
    def option_type(self) -> int:
        """Discord's application-command option type for this kind."""
        return {"user": 6, "channel": 7, "role": 8}[self.kind]


@dataclass
class RecordedRequest:
    """One REST call the bot made: what it asked for and what the fake answered."""

    method: str
    route: str  # the route template, e.g. "POST /channels/{channel_id}/messages"
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    files: list[str]
    status: int
    authorized: bool
    response: Any = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeGuild:
    """A guild the fake serves: roles, channels, threads and members in API shape."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, dict[str, Any]] = field(default_factory=dict)
    channels: dict[int, dict[str, Any]] = field(default_factory=dict)
    threads: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, dict[str, Any]] = field(default_factory=dict)
    joined_at: str = field(default_factory=P.iso)

    def payload(self) -> dict[str, Any]:
        """The GUILD_CREATE payload."""
        return {
            "id": str(self.id), "name": self.name, "icon": None, "splash": None, "discovery_splash": None,
            "owner_id": str(self.owner_id), "afk_channel_id": None, "afk_timeout": 300,
            "verification_level": 1, "default_message_notifications": 1, "explicit_content_filter": 2,
            "roles": list(self.roles.values()), "emojis": [], "stickers": [], "features": [],
            "mfa_level": 0, "application_id": None, "system_channel_id": None, "system_channel_flags": 0,
            "rules_channel_id": None, "max_members": 500000, "vanity_url_code": None, "description": None,
            "banner": None, "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-GB",
            "public_updates_channel_id": None, "nsfw_level": 0, "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None, "incidents_data": None,
            "joined_at": self.joined_at, "large": False, "unavailable": False,
            "member_count": len(self.members), "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [], "lazy": True,
            "members": list(self.members.values()),
            "channels": list(self.channels.values()),
            "threads": list(self.threads.values()),
        }

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions of a member, as Discord computes them (owner and Administrator get all)."""
        if user_id == self.owner_id:
            return (1 << 53) - 1
        bits = int(self.roles[self.id]["permissions"])
        for role_id in self.members[user_id]["roles"]:
            bits |= int(self.roles[int(role_id)]["permissions"])
        return (1 << 53) - 1 if bits & P.ADMINISTRATOR else bits


@dataclass
class FakeInteraction:
    """An interaction the fake sent, and everything the bot answered to it."""

    id: int
    token: str
    payload: dict[str, Any]
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    original: dict[str, Any] | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class _Bucket:
    limit: int
    window: float
    remaining: int
    reset_at: float
    name: str


class _GatewaySession:
    """One gateway connection: its own zlib stream, sequence and the events sent (for RESUME)."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self.compressor = zlib.compressobj() if compress else None
        self.lock = asyncio.Lock()
        self.session_id = ""
        self.seq = 0
        self.intents = 0
        self.shard = (0, 1)
        self.identified = False
        self.dropped = False  # closed by the server (resumable), not by the client
        self.transport: asyncio.BaseTransport | None = None  # the TCP connection, for an abrupt drop
        self.sent: list[dict[str, Any]] = []

    async def send(self, *payloads: dict[str, Any]) -> None:
        """Send payloads in order; op 0 events get the next sequence number and are kept for a RESUME, and
        are only buffered while the connection is gone (as Discord does for a resumable session)."""
        async with self.lock:
            for payload in payloads:
                if payload.get("op") == 0:
                    self.seq += 1
                    payload = {**payload, "s": self.seq}
                    self.sent.append(payload)
                if self.ws.closed:
                    continue
                data = json.dumps(payload, separators=(",", ":")).encode()
                try:
                    if self.compressor is not None:
                        await self.ws.send_bytes(self.compressor.compress(data)
                                                 + self.compressor.flush(zlib.Z_SYNC_FLUSH))
                    else:
                        await self.ws.send_str(data.decode())
                except (ConnectionError, RuntimeError):
                    continue  # the client went away mid-send: the event stays buffered for a RESUME

    def covers(self, guild_id: int | None) -> bool:
        """Discord's sharding rule: a guild's events go to shard (guild_id >> 22) % count; DMs to shard 0."""
        shard_id, count = self.shard
        return shard_id == 0 if guild_id is None else (guild_id >> 22) % count == shard_id


class FakeDiscord:
    """The fake: start it, describe guilds and members, push gateway events, inspect the REST calls made."""

    def __init__(self, *, bot_name: str = "nudgebot", heartbeat_interval_ms: int = 41250,
                 bucket_limit: int = 50, bucket_window: float = 1.0, shards: int = 1,
                 route_limits: dict[str, tuple[int, float]] | None = None) -> None:
        self.ids = P.Snowflakes()
        self.application_id = self.ids.next()
        self.bot_user = P.user(self.application_id, bot_name, bot=True)
        self.token = bot_token_for(self.application_id)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.bucket_limit = bucket_limit
        self.bucket_window = bucket_window
        self.route_limits = dict(route_limits or {})  # route -> (limit, window seconds), else the default
        self.shards = shards  # what GET /gateway/bot recommends
        self.min_shards = 1  # fewer shards than this are refused with 4011 ("Sharding required")
        self.guilds: dict[int, FakeGuild] = {}
        self.users: dict[int, dict[str, Any]] = {self.application_id: self.bot_user}
        self.channel_guild: dict[int, int | None] = {}
        self.messages: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)  # channel -> id -> message
        self.deleted: list[tuple[int, int]] = []
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.dm_refused: set[int] = set()
        self.interactions: dict[int, FakeInteraction] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> registered commands
        self.requests: list[RecordedRequest] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[str] = []
        self.replayed: list[int] = []  # events replayed on each RESUME
        self.message_content_enabled = True  # the developer portal's "Message Content Intent" switch
        self._world_events: list[tuple[str, dict[str, Any], int]] = []
        self.errors: list[str] = []
        self._outage: frozenset[str] = frozenset()  # routes whose connections are dropped until end_outage()
        self.outage_failures = 0  # requests dropped by outage() so far
        self._faults: dict[str, list[tuple[int, float, bool]]] = defaultdict(list)  # route -> [(left, retry, global)]
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._sessions: list[_GatewaySession] = []
        self._all_sessions: dict[str, _GatewaySession] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ----- lifecycle -----
    async def start(self) -> None:
        """Listen on a free port on 127.0.0.1."""
        app = web.Application(middlewares=[self._middleware], client_max_size=32 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        for method, path, handler in self._routes():
            app.router.add_route(method, API_PREFIX + path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Close every gateway connection and the server."""
        for session in list(self._sessions):
            with contextlib.suppress(Exception):
                await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        """What to put in `discord.http.Route.BASE`."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """What to put in `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`."""
        return f"ws://127.0.0.1:{self.port}/"

    def redirect(self) -> Callable[[], None]:
        """Point discord.py's REST base and default gateway here; returns a function that restores them."""
        import discord.gateway
        import discord.http
        import yarl

        old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

        def restore() -> None:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

        return restore

    # ----- world building -----
    def add_guild(self, name: str, *, owner_name: str = "owner", shard: tuple[int, int] | None = None) -> FakeGuild:
        """A guild with an @everyone role, an owner and a #general channel; `shard` (id, count): one whose events
        go to that shard (its id's timestamp is moved a few milliseconds on to fit)."""
        guild_id = self.ids.next() if shard is None else self.ids.next_on_shard(*shard)
        owner_id = self.ids.next()
        guild = FakeGuild(guild_id, name, owner_id)
        guild.roles[guild_id] = P.role(guild_id, "@everyone", P.EVERYONE_DEFAULT, 0)
        self.guilds[guild_id] = guild
        self._add_member(guild, owner_id, owner_name, [])
        bot_role = self.add_role(guild, "nudgebot", P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS
                                 | P.MANAGE_MESSAGES, managed=True)
        self._add_member(guild, self.application_id, self.bot_user["username"], [bot_role], user_data=self.bot_user)
        self.add_text_channel(guild, "general")
        return guild

    def add_role(self, guild: FakeGuild, name: str, permissions: int = 0, *, managed: bool = False) -> int:
        """A role; returns its id."""
        role_id = self.ids.next()
        guild.roles[role_id] = P.role(role_id, name, permissions, len(guild.roles), managed=managed)
        self._world_changed("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": guild.roles[role_id]}, guild)
        return role_id

    def add_text_channel(self, guild: FakeGuild, name: str) -> int:
        """A text channel; returns its id."""
        channel_id = self.ids.next()
        guild.channels[channel_id] = P.text_channel(channel_id, guild.id, name, len(guild.channels))
        self.channel_guild[channel_id] = guild.id
        self._world_changed("CHANNEL_CREATE", guild.channels[channel_id], guild)
        return channel_id

    def add_thread(self, guild: FakeGuild, parent_id: int, name: str) -> int:
        """A public thread under `parent_id`; returns its id."""
        thread_id = self.ids.next()
        guild.threads[thread_id] = P.thread_channel(thread_id, guild.id, parent_id, guild.owner_id, name)
        self.channel_guild[thread_id] = guild.id
        self._world_changed("THREAD_CREATE", guild.threads[thread_id] | {"newly_created": True}, guild)
        return thread_id

    def add_forum_channel(self, guild: FakeGuild, name: str) -> int:
        """A forum channel; returns its id."""
        channel_id = self.ids.next()
        guild.channels[channel_id] = P.forum_channel(channel_id, guild.id, name, len(guild.channels))
        self.channel_guild[channel_id] = guild.id
        self._world_changed("CHANNEL_CREATE", guild.channels[channel_id], guild)
        return channel_id

    async def start_thread(self, parent_id: int, owner_id: int, name: str, *, thread_id: int | None = None) -> int:
        """A member starts a thread now: THREAD_CREATE (newly created) goes out at once; returns its id."""
        guild = self.guilds[self.channel_guild[parent_id]]  # type: ignore[index]
        thread_id = thread_id or self.ids.next()
        guild.threads[thread_id] = P.thread_channel(thread_id, guild.id, parent_id, owner_id, name)
        self.channel_guild[thread_id] = guild.id
        await self.dispatch("THREAD_CREATE", guild.threads[thread_id] | {"newly_created": True}, guild.id,
                            GUILDS_INTENT)
        return thread_id

    async def post_in_forum(self, forum_id: int, author_id: int, title: str, content: str) -> dict[str, Any]:
        """A member makes a forum post: the thread (its title) and its first message, which has the thread's id."""
        thread_id = await self.start_thread(forum_id, author_id, title)
        return await self.post_message(thread_id, author_id, content, message_id=thread_id)

    async def rename_thread(self, thread_id: int, name: str) -> None:
        """The thread's owner renames it: THREAD_UPDATE with the whole thread."""
        guild = self.guilds[self.channel_guild[thread_id]]  # type: ignore[index]
        guild.threads[thread_id] = {**guild.threads[thread_id], "name": name}
        await self.dispatch("THREAD_UPDATE", guild.threads[thread_id], guild.id, GUILDS_INTENT)

    def _world_changed(self, event: str, data: dict[str, Any], guild: FakeGuild) -> None:
        """A change after the bot connected: queue the gateway event; it goes out before the next event."""
        if any(s.identified for s in self._all_sessions.values()):
            self._world_events.append((event, data, guild.id))

    def add_member(self, guild: FakeGuild, username: str, roles: Iterable[int] = (), *, bot: bool = False) -> int:
        """A member of the guild; returns the user id."""
        user_id = self.ids.next()
        self._add_member(guild, user_id, username, list(roles), user_data=P.user(user_id, username, bot=bot))
        return user_id

    def _add_member(self, guild: FakeGuild, user_id: int, username: str, roles: list[int], *,
                    user_data: dict[str, Any] | None = None) -> None:
        user_data = user_data or P.user(user_id, username)
        self.users[user_id] = user_data
        guild.members[user_id] = P.member(user_data, roles, P.iso())

    def channel(self, guild: FakeGuild, name: str) -> int:
        """The id of a channel by name."""
        for channel_id, data in (guild.channels | guild.threads).items():
            if data["name"] == name:
                return channel_id
        raise KeyError(name)

    # ----- faults -----
    def refuse_dms(self, user_id: int) -> None:
        """This user has DMs from server members turned off: sending them a message fails with 50007."""
        self.dm_refused.add(user_id)

    def rate_limit(self, route: str, times: int = 1, retry_after: float = 0.25, *, is_global: bool = False) -> None:
        """Answer the next `times` calls of `route` (e.g. "POST /channels/{channel_id}/messages") with 429."""
        self._faults[route].append((times, retry_after, is_global))

    # ----- inspection -----
    def outage(self, routes: Iterable[str]) -> None:
        """Until `end_outage()`, every request to these routes (e.g. "POST /users/@me/channels") has its
        connection dropped without an answer, as when Discord cannot be reached."""
        self._outage = frozenset(routes)

    def end_outage(self) -> None:
        """Discord is reachable again."""
        self._outage = frozenset()

    def calls(self, route: str | None = None, *, status: int | None = None) -> list[RecordedRequest]:
        """Recorded REST calls, optionally for one route template and status."""
        return [r for r in self.requests if (route is None or r.route == route)
                and (status is None or r.status == status)]

    def dms_to(self, user_id: int) -> list[dict[str, Any]]:
        """Messages the bot delivered into its DM with this user."""
        channel_id = self.dm_channels.get(user_id)
        return list(self.messages[channel_id].values()) if channel_id else []

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Messages present in a channel (the bot's and the members'), oldest first."""
        return list(self.messages[channel_id].values())

    def bot_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Messages the bot posted in a channel."""
        return [m for m in self.messages[channel_id].values() if m["author"]["id"] == str(self.application_id)]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
        """Wait until `predicate()` is truthy (re-checked whenever the fake sees traffic), or fail loudly."""
        # Many predicates read the bot's own state (its queues, the database), which changes without any traffic
        # to the fake: re-check often, or each such wait costs up to a whole interval for nothing.
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout=min(left, RECHECK_SECONDS))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_identified(self, timeout: float = 10.0) -> None:
        """Wait for a bot to connect and identify."""
        await self.wait_for(lambda: any(s.identified for s in self._sessions), timeout, "a gateway IDENTIFY")

    # ----- gateway events pushed by tests -----
    async def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None = None,
                       intent: int = 0) -> int:
        """Send an op 0 event to every identified session whose shard and intents cover it; returns how many.

        Guild changes made since the last event (a channel or role added) go out first, in order.
        """
        while self._world_events:
            change, change_data, change_guild = self._world_events.pop(0)
            await self.dispatch(change, change_data, change_guild, GUILDS_INTENT)
        sent = 0
        for session in list(self._all_sessions.values()):  # live, or disconnected but resumable
            if not session.identified or not session.covers(guild_id):
                continue
            if intent and not session.intents & intent:
                continue
            payload = data
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
                payload = self._apply_content_intent(session, data)
            await session.send({"op": 0, "t": event, "d": payload})
            sent += 1
        return sent

    def _apply_content_intent(self, session: _GatewaySession, data: dict[str, Any]) -> dict[str, Any]:
        """Without the privileged Message Content intent a bot gets empty content (unless mentioned)."""
        if session.intents & MESSAGE_CONTENT_INTENT:
            return data
        if any(m["id"] == str(self.application_id) for m in data.get("mentions", [])):
            return data
        hidden = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
        hidden.pop("poll", None)
        if data.get("message_snapshots"):
            hidden["message_snapshots"] = [{"message": {**snap["message"], "content": "", "embeds": [],
                                                        "attachments": [], "components": []}}
                                           for snap in data["message_snapshots"]]
        return hidden

    async def post_message(self, channel_id: int, author_id: int, content: str, *,
                           mentions: Iterable[int] = (), reply_to: dict[str, Any] | None = None,
                           message_type: int = P.DEFAULT, webhook: bool = False,
                           attachments: list[dict[str, Any]] | None = None, poll: dict[str, Any] | None = None,
                           forward: dict[str, Any] | None = None, message_id: int | None = None) -> dict[str, Any]:
        """A member posts a message: it is stored and MESSAGE_CREATE goes out on the gateway.

        `attachments` (see `P.attachment`), a `poll` (`P.poll`), or `forward`: an earlier message this one
        forwards (content "" and the original in `message_snapshots`, as Discord sends a forward).
        """
        guild_id = self.channel_guild[channel_id]
        assert guild_id is not None
        guild = self.guilds[guild_id]
        author = self.users[author_id]
        member = guild.members.get(author_id)
        nested = {k: v for k, v in member.items() if k != "user"} if member and not webhook else None
        mention_list = []
        for user_id in mentions:
            mention = dict(self.users[user_id])
            if user_id in guild.members:
                mention["member"] = {k: v for k, v in guild.members[user_id].items() if k != "user"}
            mention_list.append(mention)
        data = P.message(message_id or self.ids.next(), channel_id, author, content, guild_id=guild_id,
                         author_member=nested, mentions=mention_list, referenced=reply_to,
                         message_type=message_type, webhook_id=self.ids.next() if webhook else None,
                         attachments=attachments, poll_data=poll, forwarded=forward)
        self.messages[channel_id][int(data["id"])] = data
        await self.dispatch("MESSAGE_CREATE", data, guild_id, GUILD_MESSAGES_INTENT)
        return data

    async def edit_message(self, message: dict[str, Any], content: str) -> dict[str, Any]:
        """The author edits a message: MESSAGE_UPDATE with the full message and a new edited_timestamp."""
        channel_id = int(message["channel_id"])
        stored = self.messages[channel_id].get(int(message["id"]), message)
        updated = {**stored, "content": content, "edited_timestamp": P.iso()}
        self.messages[channel_id][int(message["id"])] = updated
        await self.dispatch("MESSAGE_UPDATE", updated, self.channel_guild.get(channel_id), GUILD_MESSAGES_INTENT)
        return updated

    def _interaction_base(self, kind: int, guild: FakeGuild | None, channel_id: int, user_id: int,
                          data: dict[str, Any] | None, message: dict[str, Any] | None = None) -> FakeInteraction:
        interaction_id = self.ids.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(40)
        payload: dict[str, Any] = {
            "id": str(interaction_id), "application_id": str(self.application_id), "type": kind,
            "token": token, "version": 1, "channel_id": str(channel_id), "locale": "en-GB",
            "entitlements": [], "authorizing_integration_owners": {"0": str(guild.id) if guild else "0"},
            "attachment_size_limit": 10 * 1024 * 1024, "app_permissions": str((1 << 53) - 1),
        }
        if data is not None:
            payload["data"] = data
        if message is not None:
            payload["message"] = message
        if guild is not None:
            channel = guild.channels.get(channel_id) or guild.threads[channel_id]
            payload |= {"guild_id": str(guild.id), "guild_locale": "en-GB", "context": 0, "channel": channel,
                        "guild": {"id": str(guild.id), "locale": "en-GB", "features": []},
                        "member": P.member(self.users[user_id], [int(r) for r in guild.members[user_id]["roles"]],
                                           guild.members[user_id]["joined_at"],
                                           permissions=guild.permissions_of(user_id))}
        else:
            payload |= {"context": 1, "user": self.users[user_id],
                        "channel": P.dm_channel(channel_id, self.users[user_id])}
        interaction = FakeInteraction(interaction_id, token, payload)
        self.interactions[interaction_id] = interaction
        return interaction

    async def slash(self, guild: FakeGuild, channel_id: int, user_id: int, command: str,
                    subcommand: str | None = None, options: dict[str, Any] | None = None) -> FakeInteraction:
        """A member runs a slash command (optionally a subcommand); options by name: str/int/bool, or a `Ref`
        to a user, channel or role (sent with its `resolved` object, as Discord does)."""
        resolved: dict[str, dict[str, Any]] = {}
        opts = []
        for name, value in (options or {}).items():
            if isinstance(value, Ref):
                opts.append({"name": name, "type": value.option_type, "value": str(value.id)})
                self._resolve(guild, user_id, value, resolved)
            else:
                opts.append({"name": name, "type": _option_type(value), "value": value})
        if subcommand:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        data: dict[str, Any] = {"id": str(self._command_id(command)), "name": command, "type": 1, "options": opts}
        if guild is not None and self._command_guild(command, guild.id):
            data["guild_id"] = str(guild.id)
        if resolved:
            data["resolved"] = resolved
        interaction = self._interaction_base(2, guild, channel_id, user_id, data)
        await self.dispatch("INTERACTION_CREATE", interaction.payload, guild.id)
        return interaction

    def _resolve(self, guild: FakeGuild, user_id: int, ref: Ref, resolved: dict[str, dict[str, Any]]) -> None:
        if ref.kind == "role":
            resolved.setdefault("roles", {})[str(ref.id)] = guild.roles[ref.id]
        elif ref.kind == "channel":
            channel = guild.channels.get(ref.id) or guild.threads[ref.id]
            resolved.setdefault("channels", {})[str(ref.id)] = {
                k: channel[k] for k in ("id", "type", "name", "parent_id", "thread_metadata") if k in channel
            } | {"permissions": str(guild.permissions_of(user_id))}
        else:
            resolved.setdefault("users", {})[str(ref.id)] = self.users[ref.id]
            if ref.id in guild.members:
                resolved.setdefault("members", {})[str(ref.id)] = {
                    k: v for k, v in guild.members[ref.id].items() if k != "user"} | {
                    "permissions": str(guild.permissions_of(ref.id))}

    async def autocomplete(self, guild: FakeGuild, channel_id: int, user_id: int, command: str, subcommand: str,
                           option: str, typed: str) -> FakeInteraction:
        """A member types into an autocompleted option."""
        opts = [{"name": subcommand, "type": 1,
                 "options": [{"name": option, "type": 3, "value": typed, "focused": True}]}]
        data = {"id": str(self._command_id(command)), "name": command, "type": 1, "options": opts}
        interaction = self._interaction_base(4, guild, channel_id, user_id, data)
        await self.dispatch("INTERACTION_CREATE", interaction.payload, guild.id)
        return interaction

    async def message_command(self, guild: FakeGuild, channel_id: int, user_id: int, name: str,
                              target: dict[str, Any]) -> FakeInteraction:
        """A member uses a message context-menu command on `target`."""
        data = {"id": str(self._command_id(name)), "name": name, "type": 3, "target_id": target["id"],
                "resolved": {"messages": {target["id"]: target}}}
        interaction = self._interaction_base(2, guild, channel_id, user_id, data)
        await self.dispatch("INTERACTION_CREATE", interaction.payload, guild.id)
        return interaction

    async def press_button(self, message: dict[str, Any], custom_id: str, user_id: int) -> FakeInteraction:
        """A user presses a button on a message the bot sent (in a guild channel or in a DM)."""
        channel_id = int(message["channel_id"])
        guild_id = self.channel_guild.get(channel_id)
        guild = self.guilds[guild_id] if guild_id else None
        data = {"custom_id": custom_id, "component_type": 2}
        interaction = self._interaction_base(3, guild, channel_id, user_id, data, message=message)
        await self.dispatch("INTERACTION_CREATE", interaction.payload, guild_id)
        return interaction

    async def wait_answer(self, interaction: FakeInteraction, timeout: float = 10.0) -> dict[str, Any]:
        """The first callback the bot made for an interaction."""
        return await self.wait_for(lambda: interaction.callbacks and interaction.callbacks[0], timeout,
                                   f"the answer to interaction {interaction.id}")

    def _command_id(self, name: str) -> int:
        for scope in self.commands.values():
            for command in scope:
                if command["name"] == name:
                    return int(command["id"])
        return self.ids.next()

    def _command_guild(self, name: str, guild_id: int) -> bool:
        return any(c["name"] == name for c in self.commands.get(str(guild_id), []))

    # ----- REST plumbing -----
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if request.path == "/" or not request.path.startswith(API_PREFIX):
            return await handler(request)
        resource = request.match_info.route.resource
        template = resource.canonical[len(API_PREFIX):] if resource is not None else request.path
        route = f"{request.method} {template}"
        if route in self._outage:
            self.outage_failures += 1
            if request.transport is not None:
                request.transport.abort()
            await self._notify()
            raise ConnectionResetError("fake Discord outage: connection dropped")
        body, files = await _read_body(request)
        authorized = request.headers.get("Authorization") == f"Bot {self.token}"
        record = RecordedRequest(request.method, route, request.path, dict(request.match_info),
                                 dict(request.query), body, [name for name, _ in files], 0, authorized)
        request[_BODY], request[_FILES] = body, files
        is_webhook = template.startswith(("/interactions/", "/webhooks/"))
        try:
            if not authorized and not is_webhook:
                response = _json({"message": "401: Unauthorized", "code": 0}, 401)
            elif (limited := self._scripted_429(route)) is not None:
                response = limited
            else:
                bucket = self._take(route, request.match_info)
                if bucket is not None and bucket.remaining < 0:
                    response = self._too_many(bucket, bucket.reset_at - time.monotonic(), False, "user")
                else:
                    response = await handler(request)
                    if bucket is not None:
                        _rate_headers(response, bucket)
        except web.HTTPException as exc:
            response = _json({"message": exc.reason, "code": 0}, exc.status)
        record.status = response.status
        if isinstance(response, web.Response) and response.body:
            with contextlib.suppress(ValueError, TypeError):
                record.response = json.loads(response.body)  # type: ignore[arg-type]
        self.requests.append(record)
        await self._notify()
        return response

    def _scripted_429(self, route: str) -> web.Response | None:
        faults = self._faults.get(route)
        if not faults:
            return None
        left, retry_after, is_global = faults[0]
        if left <= 1:
            faults.pop(0)
        else:
            faults[0] = (left - 1, retry_after, is_global)
        bucket = _Bucket(self.bucket_limit, self.bucket_window, 0, time.monotonic() + retry_after, _bucket_hash(route))
        return self._too_many(bucket, retry_after, is_global, "global" if is_global else "user")

    def _too_many(self, bucket: _Bucket, retry_after: float, is_global: bool, scope: str) -> web.Response:
        retry_after = max(round(retry_after, 3), 0.001)
        response = _json({"message": "You are being rate limited.", "retry_after": retry_after,
                          "global": is_global, "code": 0}, 429)
        response.headers["Retry-After"] = str(math.ceil(retry_after))
        response.headers["X-RateLimit-Scope"] = scope
        if is_global:
            response.headers["X-RateLimit-Global"] = "true"
        else:
            bucket.remaining = 0
            _rate_headers(response, bucket)
        return response

    def _take(self, route: str, params: Any) -> _Bucket | None:
        if route.startswith(("GET /gateway", "POST /interactions/")):
            return None  # not rate limited per bucket by Discord
        major = params.get("channel_id") or params.get("guild_id") or params.get("webhook_id") or ""
        now = time.monotonic()
        key = (route, major)
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.reset_at:
            limit, window = self.route_limits.get(route, (self.bucket_limit, self.bucket_window))
            bucket = _Bucket(limit, window, limit, now + window, _bucket_hash(route))
            self._buckets[key] = bucket
        bucket.remaining -= 1
        return bucket

    def _routes(self) -> list[tuple[str, str, Callable[[web.Request], Any]]]:
        return [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/users/@me", self._get_me),
            ("GET", "/users/{user_id}", self._get_user),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("PUT", "/applications/{application_id}/commands", self._put_commands),
            ("GET", "/applications/{application_id}/commands", self._get_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._get_commands),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/roles", self._get_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{webhook_id}/{token}", self._followup),
            ("GET", "/webhooks/{webhook_id}/{token}/messages/{message_id}", self._get_original),
            ("PATCH", "/webhooks/{webhook_id}/{token}/messages/{message_id}", self._edit_original),
            ("DELETE", "/webhooks/{webhook_id}/{token}/messages/{message_id}", self._delete_original),
        ]

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return _json({"url": self.gateway_url.rstrip("/")})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return _json({"url": self.gateway_url.rstrip("/"), "shards": self.shards,
                      "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000,
                                              "max_concurrency": 1}})

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json(self.bot_user | {"verified": True, "mfa_enabled": True, "email": None, "locale": "en-GB"})

    async def _get_user(self, request: web.Request) -> web.Response:
        found = self.users.get(int(request.match_info["user_id"]))
        return _json(found) if found else _error(404, 10013, "Unknown User")

    async def _get_application(self, request: web.Request) -> web.Response:
        owner = P.user(self.ids.next(), "app-owner")
        return _json({
            "id": str(self.application_id), "name": self.bot_user["username"], "icon": None,
            "description": "Policy nudges for student groups", "summary": "", "type": None,
            "bot_public": False, "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": 1 << 19,
            "owner": owner, "team": None, "rpc_origins": [], "bot": self.bot_user, "tags": [],
            "redirect_uris": [], "interactions_endpoint_url": None, "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}}, "event_webhooks_status": 1,
        })

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = request.match_info.get("guild_id", "global")
        commands = []
        for command in request[_BODY] or []:
            existing = next((c for c in self.commands.get(scope, []) if c["name"] == command["name"]), None)
            command_id = existing["id"] if existing else str(self.ids.next())
            commands.append({"id": command_id, "application_id": str(self.application_id), "version": "1",
                             "default_member_permissions": None, "type": 1, "nsfw": False, "description": "",
                             "options": [], "contexts": None, "integration_types": [0], **command}
                            | ({"guild_id": scope} if scope != "global" else {}))
        self.commands[scope] = commands
        return _json(commands)

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(request.match_info.get("guild_id", "global"), []))

    async def _open_dm(self, request: web.Request) -> web.Response:
        recipient_id = int((request[_BODY] or {}).get("recipient_id", 0))
        if recipient_id not in self.users:
            return _error(400, 50035, "Invalid Form Body")
        channel_id = self.dm_channels.setdefault(recipient_id, self.ids.next())
        self.channel_guild[channel_id] = None
        return _json(P.dm_channel(channel_id, self.users[recipient_id]))

    def _find_channel(self, channel_id: int) -> dict[str, Any] | None:
        if channel_id in self.dm_channels.values():
            user_id = next(u for u, c in self.dm_channels.items() if c == channel_id)
            return P.dm_channel(channel_id, self.users[user_id])
        guild_id = self.channel_guild.get(channel_id)
        if guild_id is None:
            return None
        guild = self.guilds[guild_id]
        return guild.channels.get(channel_id) or guild.threads.get(channel_id)

    async def _get_channel(self, request: web.Request) -> web.Response:
        found = self._find_channel(int(request.match_info["channel_id"]))
        return _json(found) if found else _error(404, 10003, "Unknown Channel")

    async def _create_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        channel = self._find_channel(channel_id)
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        body = request[_BODY] or {}
        if channel["type"] == P.DM:
            recipient = int(channel["recipients"][0]["id"])
            if recipient in self.dm_refused or self.users[recipient].get("bot"):
                return _error(403, 50007, "Cannot send messages to this user")
        if not (body.get("content") or body.get("embeds") or request[_FILES] or body.get("components")):
            return _error(400, 50006, "Cannot send an empty message")
        guild_id = self.channel_guild.get(channel_id)
        attachments = [{"id": str(self.ids.next()), "filename": name, "size": len(data),
                        "url": f"https://cdn.example.invalid/{name}", "proxy_url": f"https://cdn.example.invalid/{name}"}
                       for name, data in request[_FILES]]
        data = P.message(self.ids.next(), channel_id, self.bot_user, body.get("content") or "", guild_id=guild_id,
                         embeds=body.get("embeds"), components=_as_sent_components(body.get("components")),
                         attachments=attachments, flags=int(body.get("flags") or 0))
        if guild_id is not None:
            data["member"] = {k: v for k, v in self.guilds[guild_id].members[self.application_id].items()
                              if k != "user"}
        self.messages[channel_id][int(data["id"])] = data
        if guild_id is not None:  # Discord echoes a bot's own guild messages on the gateway too
            asyncio.get_running_loop().create_task(
                self.dispatch("MESSAGE_CREATE", data, guild_id, GUILD_MESSAGES_INTENT))
        return _json(data)

    async def _get_message(self, request: web.Request) -> web.Response:
        found = self.messages[int(request.match_info["channel_id"])].get(int(request.match_info["message_id"]))
        return _json(found) if found else _error(404, 10008, "Unknown Message")

    async def _edit_message(self, request: web.Request) -> web.Response:
        channel_id, message_id = int(request.match_info["channel_id"]), int(request.match_info["message_id"])
        found = self.messages[channel_id].get(message_id)
        if found is None:
            return _error(404, 10008, "Unknown Message")
        body = request[_BODY] or {}
        updated = found | {k: v for k, v in body.items() if k in ("content", "embeds", "flags")}
        if "components" in body:
            updated["components"] = _as_sent_components(body["components"])
        updated["edited_timestamp"] = P.iso()
        self.messages[channel_id][message_id] = updated
        return _json(updated)

    async def _delete_message(self, request: web.Request) -> web.Response:
        channel_id, message_id = int(request.match_info["channel_id"]), int(request.match_info["message_id"])
        if self.messages[channel_id].pop(message_id, None) is None:
            return _error(404, 10008, "Unknown Message")
        self.deleted.append((channel_id, message_id))
        guild_id = self.channel_guild.get(channel_id)
        event = {"id": str(message_id), "channel_id": str(channel_id)} | (
            {"guild_id": str(guild_id)} if guild_id else {})
        asyncio.get_running_loop().create_task(self.dispatch("MESSAGE_DELETE", event, guild_id, GUILD_MESSAGES_INTENT))
        return web.Response(status=204)

    async def _get_guild(self, request: web.Request) -> web.Response:
        guild = self.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        return _json({k: v for k, v in guild.payload().items() if k not in ("members", "channels", "threads")})

    async def _get_roles(self, request: web.Request) -> web.Response:
        guild = self.guilds.get(int(request.match_info["guild_id"]))
        return _json(list(guild.roles.values())) if guild else _error(404, 10004, "Unknown Guild")

    async def _get_member(self, request: web.Request) -> web.Response:
        guild = self.guilds.get(int(request.match_info["guild_id"]))
        found = guild.members.get(int(request.match_info["user_id"])) if guild else None
        return _json(found) if found else _error(404, 10007, "Unknown Member")

    def _interaction(self, request: web.Request, key: str = "interaction_id") -> FakeInteraction | None:
        if key == "interaction_id":
            found = self.interactions.get(int(request.match_info[key]))
            return found if found and found.token == request.match_info["token"] else None
        return next((i for i in self.interactions.values() if i.token == request.match_info["token"]), None)

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction is None:
            return _error(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        body = request[_BODY] or {}
        interaction.callbacks.append(body)
        interaction.files.extend(request[_FILES])
        await self._notify()
        data = body.get("data") or {}
        message = None
        if body.get("type") in (4, 5):
            message = P.message(self.ids.next(), int(interaction.payload["channel_id"]), self.bot_user,
                                data.get("content") or "", embeds=data.get("embeds"),
                                components=_as_sent_components(data.get("components")),
                                flags=int(data.get("flags") or 0))
            interaction.original = message
        elif body.get("type") == 7 and "message" in interaction.payload:
            original = interaction.payload["message"]
            message = original | {k: v for k, v in data.items() if k in ("content", "embeds")}
            if "components" in data:
                message["components"] = _as_sent_components(data["components"])
            self.messages[int(original["channel_id"])][int(original["id"])] = message
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        answer: dict[str, Any] = {"interaction": {
            "id": str(interaction.id), "type": interaction.payload["type"], "activity_instance_id": None,
            "response_message_id": message["id"] if message else None,
            "response_message_loading": body.get("type") == 5,
            "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64)}}
        if body.get("type") in (4, 5, 7) and message is not None:
            answer["resource"] = {"type": body["type"], "message": message}
        return _json(answer)

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request, "token")
        if interaction is None or request.match_info["webhook_id"] != str(self.application_id):
            return _error(404, 10015, "Unknown Webhook")
        body = request[_BODY] or {}
        interaction.followups.append(body)
        interaction.files.extend(request[_FILES])
        await self._notify()
        return _json(P.message(self.ids.next(), int(interaction.payload["channel_id"]), self.bot_user,
                               body.get("content") or "", embeds=body.get("embeds"),
                               flags=int(body.get("flags") or 0)))

    async def _get_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request, "token")
        if interaction is None or interaction.original is None:
            return _error(404, 10008, "Unknown Message")
        return _json(interaction.original)

    async def _edit_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request, "token")
        if interaction is None or interaction.original is None:
            return _error(404, 10008, "Unknown Message")
        body = request[_BODY] or {}
        interaction.original = interaction.original | {k: v for k, v in body.items() if k in ("content", "embeds")}
        interaction.followups.append(body | {"edit_original": True})
        interaction.files.extend(request[_FILES])
        await self._notify()
        return _json(interaction.original)

    async def _delete_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request, "token")
        if interaction is None or interaction.original is None:
            return _error(404, 10008, "Unknown Message")
        interaction.original = None
        return web.Response(status=204)

    # ----- gateway -----
    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        if request.query.get("encoding", "json") != "json" or compress not in (None, "zlib-stream"):
            # Real Discord speaks zstd-stream too; this fake does not, so say so instead of hanging.
            self.errors.append(f"unsupported gateway query {dict(request.query)}")
            await ws.close(code=4002, message=b"Error while decoding payload.")
            return ws
        session = _GatewaySession(ws, compress == "zlib-stream")
        session.transport = request.transport
        self._sessions.append(session)
        try:
            await session.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                                "s": None, "t": None})
            async for msg in ws:
                if msg.type == WSMsgType.TEXT or msg.type == WSMsgType.BINARY:
                    await self._on_gateway_payload(session, json.loads(msg.data))
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            if session in self._sessions:
                self._sessions.remove(session)
            clean = ws.close_code in (1000, 1001) and not session.dropped
            if clean and self._all_sessions.get(session.session_id) is session:
                del self._all_sessions[session.session_id]  # a clean close ends the session: no RESUME
            await self._notify()
        return ws

    async def _on_gateway_payload(self, session: _GatewaySession, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:
            await session.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(session, data or {})
        elif op == 6:
            await self._resume(session, data or {})
        await self._notify()

    async def _identify(self, session: _GatewaySession, data: dict[str, Any]) -> None:
        self.identifies.append({k: v for k, v in data.items() if k != "token"})
        if data.get("token") != self.token and data.get("token") != f"Bot {self.token}":
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        session.intents = int(data.get("intents", 0))
        if session.intents & MESSAGE_CONTENT_INTENT and not self.message_content_enabled:
            await session.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = data.get("shard") or [0, 1]
        if not 0 <= int(shard[0]) < int(shard[1]):
            await session.ws.close(code=4010, message=b"Invalid shard.")
            return
        if int(shard[1]) < self.min_shards:
            await session.ws.close(code=4011, message=b"Sharding required.")
            return
        session.shard = (int(shard[0]), int(shard[1]))
        session.session_id = secrets.token_hex(16)
        self._all_sessions[session.session_id] = session
        guilds = [g for g in self.guilds.values() if session.covers(g.id)]
        ready = {"op": 0, "t": "READY", "d": {
            "v": 10, "user": self.bot_user | {"verified": True, "mfa_enabled": True}, "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id, "session_type": "normal",
            "resume_gateway_url": self.gateway_url, "shard": list(session.shard),
            "application": {"id": str(self.application_id), "flags": 1 << 19},
            "private_channels": [], "relationships": [], "presences": [], "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["rotterdam"], "auth_session_id_hash": "", "_trace": ["fake-discord"]}}
        creates = [{"op": 0, "t": "GUILD_CREATE", "d": g.payload()} for g in guilds
                   ] if session.intents & GUILDS_INTENT else []
        # Identified first, then READY and the guilds under one lock: events dispatched meanwhile queue behind.
        session.identified = True
        await session.send(ready, *creates)

    async def _resume(self, session: _GatewaySession, data: dict[str, Any]) -> None:
        previous = self._all_sessions.get(str(data.get("session_id")))
        if previous is None or data.get("token") not in (self.token, f"Bot {self.token}"):
            await session.send({"op": 9, "d": False, "s": None, "t": None})
            return
        async with previous.lock:  # no event may slip in between taking the buffer and adopting it
            missed = [{k: v for k, v in p.items() if k != "s"} for p in previous.sent
                      if p["s"] > int(data.get("seq") or 0)]
            session.session_id, session.intents, session.shard = (previous.session_id, previous.intents,
                                                                   previous.shard)
            session.seq = previous.seq - len(missed)
            session.identified = True
            self._all_sessions[session.session_id] = session
        self.resumes.append(session.session_id)
        self.replayed.append(len(missed))
        await session.send(*missed, {"op": 0, "t": "RESUMED", "d": {"_trace": ["fake-discord"]}})

    def sessions(self) -> list[_GatewaySession]:
        """Live, identified gateway sessions."""
        return [s for s in self._sessions if s.identified]

    async def drop_connections(self, code: int = 4000, *, abrupt: bool = False, resumable: bool = True) -> None:
        """Close every gateway connection with a resumable close code (the client resumes).

        `abrupt`: cut the TCP connection instead, with no close frame (a network failure). `resumable=False`:
        the sessions are forgotten too, so a RESUME is answered with an invalid session (op 9) and the client
        must IDENTIFY afresh; as on Discord, events sent meanwhile are not replayed to the new session.
        """
        for session in list(self._sessions):
            session.dropped = True
            if not resumable:
                self._all_sessions.pop(session.session_id, None)
            if abrupt and session.transport is not None:
                session.transport.abort()
            else:
                await session.ws.close(code=code, message=b"Unknown error.")
        await self._notify()


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    return 3


def _bucket_hash(route: str) -> str:
    return base64.b32encode(route.encode()).decode()[:16].lower()


def _rate_headers(response: web.StreamResponse, bucket: _Bucket) -> None:
    reset_after = max(bucket.reset_at - time.monotonic(), 0.0)
    response.headers["X-RateLimit-Limit"] = str(bucket.limit)
    response.headers["X-RateLimit-Remaining"] = str(max(bucket.remaining, 0))
    response.headers["X-RateLimit-Reset"] = f"{time.time() + reset_after:.3f}"
    response.headers["X-RateLimit-Reset-After"] = f"{reset_after:.3f}"
    response.headers["X-RateLimit-Bucket"] = bucket.name
    response.headers["Via"] = "1.1 google"


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py compares the header verbatim (no "; charset=utf-8").
    response = web.Response(body=json.dumps(data).encode(), status=status)
    response.headers["Content-Type"] = "application/json"
    response.headers["Via"] = "1.1 google"
    return response


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status)


async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
    """JSON body, or multipart (payload_json + files[n]) as discord.py sends attachments."""
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[tuple[str, bytes]] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            raw = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":  # type: ignore[union-attr]
                payload = json.loads(raw)
            else:
                files.append((part.filename or part.name or "file", bytes(raw)))  # type: ignore[union-attr]
        return payload, files
    text = await request.text()
    if not text:
        return None, []
    try:
        return json.loads(text), []
    except ValueError:
        return text, []


def _as_sent_components(components: Any) -> list[dict[str, Any]]:
    """Discord stores components as sent (buttons keep their custom_id)."""
    return list(components or [])
