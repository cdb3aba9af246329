"""The OAuth-mode app (`nudgebot slack --oauth`) against the fake Slack with two workspaces, and a browser that
installs it the way a member of a workspace does."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web

from bot.core import Core, open_core
from bot.detection.scanner import Scanner
from bot.models import Community, NudgeMode, Platform
from bot.settings import Secret, Settings
from bot.slack.app import SlackBot
from bot.slack.oauth import REDIRECT_PATH, base_client, oauth_settings
from tests.fakes import slack_events as payloads
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET, FakeSlackOrg
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import SIGNING_SECRET

STATE_SECRET = "fake-state-secret-9f8e7d6c5b4a"
CHESS, DRAMA = "T0CHESS", "T0DRAMA"
# Each workspace has its own members, channels and bot user, as separate Slack workspaces do.
CHESS_BOT, DRAMA_BOT = "U0CHESSBOT", "U0DRAMABOT"
KASPAR, MAGNUS, JUDIT = "U1KASPAR", "U1MAGNUS", "U1JUDIT"
PORTIA, PROSPERO, VIOLA = "U2PORTIA", "U2PROSPERO", "U2VIOLA"
CHESS_GENERAL, CHESS_ALERTS = "C1GENERAL", "C1ALERTS"
DRAMA_GENERAL, DRAMA_ALERTS = "C2GENERAL", "C2ALERTS"


def make_org() -> FakeSlackOrg:
    """Chess Society and Drama Society, two workspaces where nudgebot is not installed yet."""
    org = FakeSlackOrg()
    chess = org.add_workspace(CHESS, "Chess Society", CHESS_BOT)
    for user, name in ((KASPAR, "kaspar"), (MAGNUS, "magnus"), (JUDIT, "judit")):
        chess.add_user(user, name)
    chess.add_channel(CHESS_GENERAL, "general", [KASPAR, MAGNUS, JUDIT])
    chess.add_channel(CHESS_ALERTS, "committee-alerts", [JUDIT])
    drama = org.add_workspace(DRAMA, "Drama Society", DRAMA_BOT)
    for user, name in ((PORTIA, "portia"), (PROSPERO, "prospero"), (VIOLA, "viola")):
        drama.add_user(user, name)
    drama.add_channel(DRAMA_GENERAL, "general", [PORTIA, PROSPERO, VIOLA])
    drama.add_channel(DRAMA_ALERTS, "committee-alerts", [VIOLA])
    return org


def oauth_app_settings(tmp_path: Path, db: Path | str | None = None) -> Settings:
    """OAuth mode: no bot token at all, the app's credentials instead (`db`: a database other than a new file)."""
    return Settings(db_path=db or tmp_path / "nudgebot.db", slack_signing_secret=Secret(SIGNING_SECRET),
                    slack_mode="http", slack_client_id=CLIENT_ID, slack_client_secret=Secret(CLIENT_SECRET),
                    slack_state_secret=Secret(STATE_SECRET), nudge_window_hours=0)


class Browser:
    """A member's browser installing the app: the install page, Slack's authorize page, the redirect back."""

    def __init__(self, session: aiohttp.ClientSession, app_url: str) -> None:
        self.session = session
        self.url = app_url

    async def open_install_page(self) -> tuple[str, str]:
        """GET the install page: (the "Add to Slack" link, the state cookie it set)."""
        async with self.session.get(self.url + "/slack/install") as response:
            assert response.status == 200, await response.text()
            page = await response.text()
            cookie = response.headers.get("Set-Cookie", "")
        link = re.search(r'<a href="([^"]+)"', page)
        assert link is not None, page
        return html.unescape(link.group(1)), cookie.split(";", 1)[0]

    async def authorize(self, link: str, team_id: str, installer: str) -> str:
        """The member allows the app in their workspace; return where Slack sends the browser back to."""
        async with self.session.get(f"{link}&team={team_id}&installer={installer}",
                                    allow_redirects=False) as response:
            assert response.status == 302, await response.text()
            return response.headers["Location"]

    async def come_back(self, location: str, cookie: str) -> Callback:
        """The browser follows Slack's redirect to the app, with the cookie the install page set."""
        headers = {"Cookie": cookie} if cookie else {}
        async with self.session.get(location, headers=headers, allow_redirects=False) as response:
            return Callback(response.status, await response.text(), location)

    async def install(self, team_id: str, installer: str) -> Callback:
        """The whole install, as a member of `team_id` goes through it."""
        link, cookie = await self.open_install_page()
        location = await self.authorize(link, team_id, installer)
        return await self.come_back(location, cookie)


@dataclass
class Callback:
    """What the app answered when the browser came back from the authorize page."""

    status: int
    text: str
    location: str  # the redirect URL the authorize page sent the browser to


class OAuthApp:
    """The app in OAuth mode on a random port: Bolt's install page, redirect and signed events."""

    def __init__(self, org: FakeSlackOrg, tmp_path: Path, scanner: Scanner, db: Path | str | None = None) -> None:
        self.org = org
        self.settings = oauth_app_settings(tmp_path, db)
        self.scanner = scanner
        self._cleanup: list[Callable[[], Any]] = []
        self.core: Core
        self.bot: SlackBot
        self.url = ""
        self.session: aiohttp.ClientSession
        self.sender: payloads.SignedSender
        self.browser: Browser

    async def __aenter__(self) -> OAuthApp:
        self.core = await open_core(self.settings, scanner=self.scanner)
        self._cleanup.append(self.core.close)
        client = base_client(self.org.api_url)
        oauth = oauth_settings(self.settings, self.core.store, client, authorization_url=self.org.authorize_url)
        self.bot = SlackBot(self.core, self.settings, client, process_before_response=True, oauth=oauth)
        await self.bot.start()
        self._cleanup.append(self.bot.close)
        runner = web.AppRunner(self.bot.app.web_app(path="/slack/events"), handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._cleanup.append(runner.cleanup)
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        self.org.redirect_url = self.url + REDIRECT_PATH  # as set on the app's OAuth & Permissions page
        self.session = aiohttp.ClientSession()
        self._cleanup.append(self.session.close)
        self.sender = payloads.SignedSender(self.url + "/slack/events", SIGNING_SECRET, self.session)
        self.browser = Browser(self.session, self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for step in reversed(self._cleanup):
            await step()

    async def setup_committee(self, team_id: str, alerts: str, mode: NudgeMode = NudgeMode.NUDGE) -> None:
        """A workspace's committee chose its settings (as `nudgebot slack --oauth --team ... --alert-channel`)."""
        community = Community(platform=Platform.SLACK, community_id=team_id, alert_channel=alerts, nudge_mode=mode)
        await self.core.store.save_community(community, datetime.now(UTC))

    async def install(self, team_id: str, installer: str) -> Callback:
        """The whole install, as a member of `team_id` goes through it."""
        return await self.browser.install(team_id, installer)

    # ------------------------------------------------------------------ Slack's side

    async def event(self, team_id: str, event: dict[str, Any]) -> int:
        """One signed Events API request from `team_id`; the HTTP status the app answered."""
        status, _ = await self.sender.event(payloads.event_callback(team_id, event))
        return status

    def workspace(self, team_id: str) -> FakeSlack:
        """One workspace of the fake."""
        return self.org.workspaces[team_id]


def query_of(url: str) -> dict[str, str]:
    """A URL's query parameters (the first value of each)."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
