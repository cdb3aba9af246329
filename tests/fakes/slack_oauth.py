"""A fake Slack with several workspaces and an app distributed to them through OAuth, on one port of 127.0.0.1.

It behaves like Slack's side of an install: `/oauth/v2/authorize` is the page where a member of a workspace allows
the app (the test says which workspace, as the member's browser session would), and it sends the browser back to
the app's redirect URL with a single-use `code` and the app's `state`; `oauth.v2.access` trades the code (with the
app's client id and secret) for a bot token of that workspace only. Every other Web API call is answered by the
workspace the token belongs to (tests/fakes/slack_server.py's FakeSlack), so a token only ever reaches its own
workspace's channels and members; a token of an uninstalled workspace is refused with `token_revoked`, an unknown
one with `invalid_auth`. With `rotation_seconds` set the app has token rotation on: tokens expire after that long
(`token_expired`) and come with a refresh token that `oauth.v2.access` (grant_type=refresh_token) trades for a new
pair, the old token working on until it expires, as Slack's do.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.slack_server import ApiCall, FakeSlack, _bearer, _request_args

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "fake-client-secret-0123456789abcdef"
CODE_SECONDS = 600  # Slack's codes expire after ten minutes


@dataclass
class Token:
    """A bot token the fake issued: its workspace, and when it stops working (None: never, rotation off)."""

    team_id: str
    expires: float | None


@dataclass
class Grant:
    """A code the authorize page handed out: for one workspace, one installer, once."""

    team_id: str
    installer: str
    scopes: str
    redirect_uri: str
    expires: float
    used: bool = False


class FakeSlackOrg:
    """Several workspaces behind one Web API, and the OAuth server that installs the app in them."""

    def __init__(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET,
                 app_id: str = "A0NUDGEBOT") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_id = app_id
        self.redirect_url = ""  # the app's Redirect URL as its settings page would hold it (the test sets it)
        self.workspaces: dict[str, FakeSlack] = {}
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, Token] = {}  # every bot token issued and not revoked
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> team id (single use)
        self.revoked: set[str] = set()  # tokens of workspaces that uninstalled the app
        self.rotation_seconds: int | None = None  # token rotation on: tokens expire after this long
        # With rotation on, the token an install gives lives only this long (standing for a token issued hours
        # ago, as no test waits twelve hours); the tokens refreshes give live rotation_seconds.
        self.install_token_seconds: int | None = None
        self.used_tokens: list[tuple[str, str, str]] = []  # (team id, method, token) of every Web API call answered
        self.oauth_calls: list[ApiCall] = []  # oauth.v2.access calls, which no workspace owns
        self._tokens = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def add_workspace(self, team_id: str, team: str, bot_user_id: str) -> FakeSlack:
        """A workspace where the app is not installed yet: its bot token exists only once it is installed."""
        workspace = FakeSlack(team_id=team_id, team=team, bot_user_id=bot_user_id,
                              bot_id="B" + bot_user_id[1:], app_id=self.app_id)
        workspace.bot_token = ""  # no token until oauth.v2.access issues one
        self.workspaces[team_id] = workspace
        return workspace

    def uninstall(self, team_id: str) -> None:
        """A workspace admin removes the app: its token stops working at once (Slack then sends app_uninstalled)."""
        for token in [t for t, issued in self.tokens.items() if issued.team_id == team_id]:
            del self.tokens[token]
            self.revoked.add(token)
        self.refresh_tokens = {r: team for r, team in self.refresh_tokens.items() if team != team_id}
        self.workspaces[team_id].bot_token = ""

    def _issue(self, team_id: str, lifetime: int | None = None) -> dict[str, Any]:
        """A new bot token (and, with rotation on, its refresh token and lifetime) for a workspace."""
        token = f"xoxb-{team_id}-{next(self._tokens)}-{secrets.token_hex(6)}"
        lifetime = (lifetime or self.rotation_seconds) if self.rotation_seconds else None
        expires = time.time() + lifetime if lifetime else None
        self.tokens[token] = Token(team_id, expires)
        self.workspaces[team_id].bot_token = token
        issued: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        if self.rotation_seconds:
            refresh = f"xoxe-1-{secrets.token_hex(12)}"
            self.refresh_tokens[refresh] = team_id
            issued.update(refresh_token=refresh, expires_in=lifetime)
        return issued

    # ------------------------------------------------------------------ server lifecycle

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL for `AsyncWebClient(base_url=...)`."""
        return f"{self.base_url}/api/"

    @property
    def authorize_url(self) -> str:
        """The authorize page, in place of https://slack.com/oauth/v2/authorize."""
        return f"{self.base_url}/oauth/v2/authorize"

    async def start(self) -> FakeSlackOrg:
        """Listen on a random free port on 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/oauth/v2/authorize", self._authorize)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        for workspace in self.workspaces.values():
            workspace.port = self.port  # upload URLs it hands out point here
        return self

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ OAuth

    async def _authorize(self, request: web.Request) -> web.Response:
        """The member, signed in to `team`, allows the app: back to the redirect URL with a code and the state."""
        query = request.query
        if query.get("client_id") != self.client_id:
            return web.Response(status=400, text="invalid_client_id")
        team_id = query.get("team", "")
        if team_id not in self.workspaces:
            return web.Response(status=400, text="unknown workspace (the fake needs ?team=T...)")
        redirect = query.get("redirect_uri") or self.redirect_url
        if not redirect or (self.redirect_url and redirect != self.redirect_url):
            return web.Response(status=400, text="bad_redirect_uri")
        code = f"{team_id}.{secrets.token_hex(8)}"
        self.grants[code] = Grant(team_id, query.get("installer", "U0INSTALLER"), query.get("scope", ""),
                                  redirect, time.time() + CODE_SECONDS)
        params = {"code": code, "state": query.get("state", "")}
        raise web.HTTPFound(f"{redirect}?{urlencode(params)}")

    def _oauth_v2_access(self, request: web.Request, args: dict[str, Any]) -> dict[str, Any]:
        client_id, client_secret = str(args.get("client_id", "")), str(args.get("client_secret", ""))
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        if args.get("grant_type") == "refresh_token":
            team_id = self.refresh_tokens.pop(str(args.get("refresh_token", "")), "")
            if not team_id:
                return {"ok": False, "error": "invalid_refresh_token"}
            workspace = self.workspaces[team_id]
            return {"ok": True, "app_id": self.app_id, "bot_user_id": workspace.bot_user_id,
                    "team": {"id": team_id, "name": workspace.team}, "enterprise": None,
                    "is_enterprise_install": False, **self._issue(team_id)}
        grant = self.grants.get(str(args.get("code", "")))
        if grant is None or grant.used or grant.expires < time.time():
            return {"ok": False, "error": "invalid_code"}
        if args.get("redirect_uri") and args["redirect_uri"] != grant.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        grant.used = True
        workspace = self.workspaces[grant.team_id]
        return {"ok": True, "app_id": self.app_id, "authed_user": {"id": grant.installer}, "scope": grant.scopes,
                "bot_user_id": workspace.bot_user_id, "team": {"id": workspace.team_id, "name": workspace.team},
                "enterprise": None, "is_enterprise_install": False,
                **self._issue(grant.team_id, self.install_token_seconds)}

    # ------------------------------------------------------------------ Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _request_args(request)
        token = _bearer(request) or str(args.pop("token", ""))
        args.pop("token", None)
        if method == "oauth.v2.access":
            body = self._oauth_v2_access(request, args)
            self.oauth_calls.append(ApiCall(method, {k: v for k, v in args.items() if k != "client_secret"}, 200,
                                            None if body.get("ok") else body.get("error")))
            return web.json_response(body)
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if token in self.revoked:
            return web.json_response({"ok": False, "error": "token_revoked"})
        issued = self.tokens.get(token)
        if issued is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if issued.expires is not None and issued.expires < time.time():
            return web.json_response({"ok": False, "error": "token_expired"})
        self.used_tokens.append((issued.team_id, method, token))
        return self.workspaces[issued.team_id].dispatch(method, args, request)

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        for workspace in self.workspaces.values():
            if file_id in workspace.files:
                return await workspace._upload(request)
        return web.Response(status=404, text="not found")
