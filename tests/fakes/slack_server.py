"""A fake Slack on 127.0.0.1: the Web API methods nudgebot calls, file uploads, response URLs and Socket Mode.

It behaves like Slack, not like nudgebot: real response shapes, `ok: false` error codes (channel_not_found,
user_not_in_channel, not_in_channel, no_such_subteam, invalid_auth ...), and HTTP 429 with `Retry-After` that a
test scripts for the next N calls of a method. Every Web API call is recorded for assertions.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-0000-fake-bot-token"
APP_TOKEN = "xapp-1-fake-app-token"

# Methods that take the app-level token; all others take the bot token.
_APP_TOKEN_METHODS = {"apps.connections.open"}
_JSON_FIELDS = ("blocks", "attachments", "files", "users")


@dataclass
class ApiCall:
    """One Web API call as the fake saw it: the method, its merged arguments and what the fake answered."""

    method: str
    args: dict[str, Any]
    status: int
    error: str | None


@dataclass
class Posted:
    """A message the bot posted: to a channel or DM (`chat.postMessage`), or ephemeral to one user."""

    kind: str  # "message" | "ephemeral" | "response"
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str = ""  # ephemeral: the only person who sees it
    deleted: bool = False
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class UploadedFile:
    """A file uploaded with files_upload_v2's three steps."""

    id: str
    filename: str
    length: int
    content: bytes = b""
    title: str = ""
    channel: str = ""
    completed: bool = False


class FakeSlack:
    """A workspace: users, channels, user groups and the bot, with a Web API and a Socket Mode websocket."""

    def __init__(self, team_id: str = "T0LEICSU", team: str = "Leicester SU Societies",
                 bot_user_id: str = "U0NUDGEBOT", bot_id: str = "B0NUDGEBOT", app_id: str = "A0NUDGEBOT") -> None:
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_token = BOT_TOKEN
        self.app_token = APP_TOKEN
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.dms: dict[str, str] = {}  # user id -> DM channel id
        self.calls: list[ApiCall] = []
        self.posted: list[Posted] = []
        self.files: dict[str, UploadedFile] = {}
        self.acks: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []  # modals opened with views.open
        self._outage: tuple[frozenset[str], str] | None = None  # (methods, how they fail) until end_outage()
        self.outage_failures = 0  # calls failed by outage() so far
        self._scripted: dict[str, list[tuple[int, str, int]]] = defaultdict(list)  # method -> [(status, error, retry)]
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._ack_waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_transports: dict[web.WebSocketResponse, asyncio.BaseTransport | None] = {}
        self._socket_ready = asyncio.Event()
        self.connections = 0  # Socket Mode connections opened so far (hello sent)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.add_user(bot_user_id, "nudgebot", is_bot=True)

    # ------------------------------------------------------------------ the workspace a test builds

    def add_user(self, user_id: str, name: str, *, is_bot: bool = False) -> None:
        """A member of the workspace (or a bot user)."""
        self.users[user_id] = {"id": user_id, "team_id": self.team_id, "name": name, "real_name": name.title(),
                               "deleted": False, "is_bot": is_bot, "is_admin": False, "tz": "Europe/London",
                               "profile": {"display_name": name, "real_name": name.title()}}

    def add_channel(self, channel_id: str, name: str, members: Iterable[str], *, private: bool = False,
                    bot_member: bool = True) -> None:
        """A channel with its members; the bot is a member unless told otherwise."""
        people = set(members)
        if bot_member:
            people.add(self.bot_user_id)
        self.channels[channel_id] = {"id": channel_id, "name": name, "is_private": private, "members": people}

    def add_usergroup(self, group_id: str, members: Iterable[str]) -> None:
        """A user group (subteam), such as the committee."""
        self.usergroups[group_id] = list(members)

    # ------------------------------------------------------------------ scripting failures

    def fail_next(self, method: str, error: str, times: int = 1) -> None:
        """The next `times` calls of `method` answer 200 with `{"ok": false, "error": error}`."""
        self._scripted[method].extend([(200, error, 0)] * times)

    def rate_limit_next(self, method: str, times: int = 1, retry_after: int = 0) -> None:
        """The next `times` calls of `method` answer 429 `ratelimited` with a `Retry-After` header."""
        self._scripted[method].extend([(429, "ratelimited", retry_after)] * times)

    def outage(self, methods: Iterable[str], kind: str = "500") -> None:
        """Until `end_outage()`, every call of `methods` fails: `"500"` (HTTP 500 with an HTML page, as a load
        balancer answers), `"internal_error"` (200 with `ok: false`) or `"disconnect"` (the connection is dropped
        without an answer)."""
        if kind not in ("500", "internal_error", "disconnect"):
            raise ValueError(f"unknown outage kind {kind!r}")
        self._outage = (frozenset(methods), kind)

    def end_outage(self) -> None:
        """Slack is back: calls are answered normally again."""
        self._outage = None

    # ------------------------------------------------------------------ assertions

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of one Web API method, in order."""
        return [call for call in self.calls if call.method == method]

    def ephemerals(self, user: str | None = None) -> list[Posted]:
        """Ephemeral messages delivered (optionally only those to one user)."""
        return [p for p in self.posted if p.kind == "ephemeral" and (user is None or p.user == user)]

    def messages_in(self, channel: str) -> list[Posted]:
        """Ordinary messages posted in a channel or DM."""
        return [p for p in self.posted if p.kind == "message" and p.channel == channel]

    def responses(self) -> list[Posted]:
        """What the app sent to response URLs (slash-command answers, updated alerts)."""
        return [p for p in self.posted if p.kind == "response"]

    def dm_channel(self, user: str) -> str | None:
        """The DM channel opened with a user, if any."""
        return self.dms.get(user)

    # ------------------------------------------------------------------ server lifecycle

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL to give `AsyncWebClient(base_url=...)`."""
        return f"{self.base_url}/api/"

    def response_url(self, key: str = "") -> str:
        """A response URL for a slash command or interaction payload."""
        return f"{self.base_url}/response/{key or uuid.uuid4().hex}"

    async def start(self) -> FakeSlack:
        """Listen on a random free port on 127.0.0.1."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_post("/response/{key}", self._response)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        """Close websockets and stop listening."""
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _request_args(request)
        token = _bearer(request) or args.pop("token", "")
        args.pop("token", None)
        if not token:
            return self._answer(method, args, 200, {"ok": False, "error": "not_authed"})
        expected = self.app_token if method in _APP_TOKEN_METHODS else self.bot_token
        if token != expected:
            return self._answer(method, args, 200, {"ok": False, "error": "invalid_auth"})
        return self.dispatch(method, args, request)

    def dispatch(self, method: str, args: dict[str, Any], request: web.Request) -> web.Response:
        """Answer one Web API call whose token was found to be this workspace's (a fake with several workspaces,
        tests/fakes/slack_oauth.py, checks the token and hands the call to its workspace here)."""
        if self._outage is not None and method in self._outage[0]:
            return self._fail_for_outage(method, args, request, self._outage[1])
        if self._scripted.get(method):
            status, error, retry_after = self._scripted[method].pop(0)
            headers = {"Retry-After": str(retry_after)} if status == 429 else {}
            return self._answer(method, args, status, {"ok": False, "error": error}, headers)
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(
            self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._answer(method, args, 404, {"ok": False, "error": "unknown_method"})
        try:
            body = handler(args)
        except _SlackError as exc:
            body = {"ok": False, "error": exc.code}
        return self._answer(method, args, 200, body)

    def _fail_for_outage(self, method: str, args: dict[str, Any], request: web.Request, kind: str) -> web.Response:
        self.outage_failures += 1
        self.calls.append(ApiCall(method, args, 500 if kind == "500" else 200, f"outage: {kind}"))
        if kind == "disconnect":
            if request.transport is not None:
                request.transport.abort()
            raise ConnectionResetError("fake Slack outage: connection dropped")
        if kind == "500":
            return web.Response(status=500, text="<html><body>500 Internal Server Error</body></html>",
                                content_type="text/html")
        return web.json_response({"ok": False, "error": "internal_error"})

    def _answer(self, method: str, args: dict[str, Any], status: int, body: dict[str, Any],
                headers: dict[str, str] | None = None) -> web.Response:
        self.calls.append(ApiCall(method, args, status, None if body.get("ok") else body.get("error")))
        return web.json_response(body, status=status, headers=headers)

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.channels.get(channel_id)
        # Slack answers channel_not_found for a private channel the bot is not in, as if it did not exist.
        if channel is None or (channel["is_private"] and self.bot_user_id not in channel["members"]):
            raise _SlackError("channel_not_found")
        return channel

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"https://{self.team.lower().replace(' ', '-')}.slack.com/", "team": self.team,
                "user": "nudgebot", "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "is_enterprise_install": False}

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket?ticket={uuid.uuid4().hex}"}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id, user = str(args.get("channel", "")), str(args.get("user", ""))
        if not args.get("text") and not args.get("blocks"):
            raise _SlackError("no_text")
        if user not in self.users:
            raise _SlackError("user_not_found")
        if channel_id in self.dms.values():
            if self.dms.get(user) != channel_id:
                raise _SlackError("user_not_in_channel")
        else:
            channel = self._channel(channel_id)
            if user not in channel["members"]:
                raise _SlackError("user_not_in_channel")
        ts = self._next_ts()
        self.posted.append(Posted("ephemeral", channel_id, ts, str(args.get("text", "")),
                                  list(args.get("blocks") or []), user=user, raw=args))
        return {"ok": True, "message_ts": ts}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id = str(args.get("channel", ""))
        if not args.get("text") and not args.get("blocks"):
            raise _SlackError("no_text")
        if channel_id not in self.dms.values():
            channel = self._channel(channel_id)
            if self.bot_user_id not in channel["members"]:
                raise _SlackError("not_in_channel")
        ts = self._next_ts()
        message = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "ts": ts,
                   "text": args.get("text", ""), "blocks": args.get("blocks") or []}
        self.posted.append(Posted("message", channel_id, ts, str(args.get("text", "")),
                                  list(args.get("blocks") or []), raw=args))
        return {"ok": True, "channel": channel_id, "ts": ts, "message": message}

    def _m_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        for posted in self.posted:
            if posted.channel == channel_id and posted.ts == ts and posted.kind == "message" and not posted.deleted:
                posted.deleted = True
                return {"ok": True, "channel": channel_id, "ts": ts}
        raise _SlackError("message_not_found")

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users", "")
        ids = users if isinstance(users, list) else [u for u in str(users).split(",") if u]
        if len(ids) != 1:
            raise _SlackError("not_implemented" if ids else "users_list_not_supplied")
        user = ids[0]
        if user not in self.users:
            raise _SlackError("user_not_found")
        if self.users[user]["is_bot"]:
            raise _SlackError("cannot_dm_bot")
        created = user not in self.dms
        if created:
            self.dms[user] = f"D{next(self._ids):08d}"
        return {"ok": True, "no_op": not created, "already_open": not created, "channel": {"id": self.dms[user]}}

    def _m_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(str(args.get("channel", "")))
        members = sorted(channel["members"])
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        page = members[start:start + limit]
        following = str(start + limit) if start + limit < len(members) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": following}}

    def _m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self.usergroups:
            raise _SlackError("no_such_subteam")
        return {"ok": True, "users": list(self.usergroups[group])}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not args.get("trigger_id"):
            raise _SlackError("invalid_trigger_id")
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise _SlackError("invalid_arguments")
        opened = {**view, "id": f"V{next(self._ids):08d}", "team_id": self.team_id, "app_id": self.app_id}
        self.views.append(opened)
        return {"ok": True, "view": opened}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user", "")))
        if user is None:
            raise _SlackError("user_not_found")
        return {"ok": True, "user": user}

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename, length = args.get("filename"), args.get("length")
        if not filename or length in (None, ""):
            raise _SlackError("invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = UploadedFile(file_id, str(filename), int(length))
        return {"ok": True, "upload_url": f"{self.base_url}/upload/v1/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            raise _SlackError("invalid_arguments")
        channel_id = str(args.get("channel_id") or "")
        if channel_id and channel_id not in self.dms.values():
            self._channel(channel_id)
        done = []
        for entry in entries:
            uploaded = self.files.get(str(entry.get("id")))
            if uploaded is None or len(uploaded.content) != uploaded.length:
                raise _SlackError("file_not_found" if uploaded is None else "file_upload_size_mismatch")
            uploaded.title, uploaded.channel, uploaded.completed = str(entry.get("title") or ""), channel_id, True
            done.append({"id": uploaded.id, "name": uploaded.filename, "title": uploaded.title,
                         "size": uploaded.length, "channels": [channel_id] if channel_id else []})
        return {"ok": True, "files": done}

    async def _upload(self, request: web.Request) -> web.Response:
        uploaded = self.files.get(request.match_info["file_id"])
        if uploaded is None:
            return web.Response(status=404, text="not found")
        uploaded.content = await request.read()
        return web.Response(text=f"OK - {len(uploaded.content)}")

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.posted.append(Posted("response", request.match_info["key"], self._next_ts(),
                                  str(body.get("text", "")), list(body.get("blocks") or []), raw=body))
        return web.Response(text="ok")

    # ------------------------------------------------------------------ Socket Mode

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self._socket_transports[ws] = request.transport
        await ws.send_json({"type": "hello", "num_connections": len(self._sockets),
                            "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                            "connection_info": {"app_id": self.app_id}})
        self.connections += 1
        self._socket_ready.set()
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                ack = json.loads(message.data)
                self.acks.append(ack)
                waiter = self._ack_waiters.pop(str(ack.get("envelope_id")), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(ack)
        finally:
            self._sockets.remove(ws)
            self._socket_transports.pop(ws, None)
            if not self._sockets:
                self._socket_ready.clear()
        return ws

    async def wait_for_socket(self, timeout: float = 10) -> None:
        """Wait until the app has connected over Socket Mode."""
        await asyncio.wait_for(self._socket_ready.wait(), timeout)

    async def wait_for_connections(self, count: int, timeout: float = 10) -> None:
        """Wait until `count` Socket Mode connections have been opened in all (reconnections included)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.connections < count or not self._sockets:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{self.connections} of {count} Socket Mode connections")
            await asyncio.sleep(0.01)

    def cut_sockets(self) -> None:
        """The network goes: every Socket Mode connection is cut with no closing handshake, as a lost route does."""
        for transport in list(self._socket_transports.values()):
            if transport is not None:
                transport.abort()

    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Tell the app to reconnect, as Slack does every few hours and before maintenance."""
        await self._sockets[-1].send_json({"type": "disconnect", "reason": reason,
                                           "debug_info": {"host": "fake-slack"}})

    async def send_envelope(self, kind: str, payload: dict[str, Any], *, retry_attempt: int | None = None,
                            wait_ack: bool = True, timeout: float = 10) -> dict[str, Any] | None:
        """Push an `events_api` / `slash_commands` / `interactive` envelope; return the app's ack."""
        if not self._sockets:
            raise RuntimeError("no Socket Mode connection")
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                                    "accepts_response_payload": kind != "events_api"}
        if retry_attempt is not None:
            envelope.update(retry_attempt=retry_attempt, retry_reason="timeout")
        waiter: asyncio.Future[dict[str, Any]] | None = None
        if wait_ack:
            waiter = asyncio.get_running_loop().create_future()
            self._ack_waiters[envelope_id] = waiter
        await self._sockets[-1].send_str(json.dumps(envelope))
        if waiter is None:
            return None
        return await asyncio.wait_for(waiter, timeout)


class _SlackError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else ""


async def _request_args(request: web.Request) -> dict[str, Any]:
    """Slack accepts arguments as a query string, a form or JSON: merge them as Slack does."""
    args: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    for key in _JSON_FIELDS:
        value = args.get(key)
        if isinstance(value, str) and value.startswith(("[", "{")):
            args[key] = json.loads(value)
    return args
