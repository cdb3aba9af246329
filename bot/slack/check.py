"""`nudgebot slack --check`: ask Slack about the tokens, the committee and the alert channel, and say what was
found, one finding a line (the CLI prints them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import Community
from bot.settings import Settings
from bot.slack.app import build_client
from bot.slack.oauth import installation_health
from bot.slack.runners import unreachable
from bot.texts import plural

if TYPE_CHECKING:
    from bot.store import Store

Finding = tuple[str, bool, str]  # what was checked, whether it is right, what was found (or what to do)
Ask = Callable[[str, Awaitable[Any]], Awaitable[dict[str, Any] | None]]


async def check_workspace(settings: Settings, api_url: str | None,
                          setup: Callable[[str], Awaitable[Community]]) -> list[Finding]:
    """The findings for one workspace; `setup(team_id)` gives its saved settings (after the command line's own)."""
    client = build_client(settings, api_url)
    findings: list[Finding] = []

    async def ask(what: str, call: Awaitable[Any]) -> dict[str, Any] | None:
        try:
            return dict((await call).data)
        except aiohttp.ClientConnectorError as exc:  # no answer at all: nothing else can be checked
            raise unreachable(exc) from None
        except SlackApiError as exc:
            findings.append((what, False, str(exc.response.get("error", "error"))))
            return None

    auth = await ask("bot token (SLACK_BOT_TOKEN)", client.auth_test())
    if auth is None:
        findings[-1] = (findings[-1][0], False, findings[-1][2] + ": copy the Bot User OAuth Token again")
        return findings
    findings.append(("bot token (SLACK_BOT_TOKEN)", True, f"{auth.get('team')} ({auth.get('team_id')}), bot "
                                                          f"user {auth.get('user_id')}"))
    if settings.slack_mode == "socket" and settings.slack_app_token is not None:
        opened = await ask("app token (SLACK_APP_TOKEN)",
                           client.apps_connections_open(app_token=settings.slack_app_token.reveal()))
        if opened is not None:
            findings.append(("app token (SLACK_APP_TOKEN)", True, "Socket Mode connection allowed"))
    community = await setup(str(auth.get("team_id") or ""))
    await _check_committee(client, community, str(auth.get("user_id") or ""), ask, findings)
    return findings


async def _check_committee(client: AsyncWebClient, community: Community, bot_user: str, ask: Ask,
                           findings: list[Finding]) -> None:
    if not (community.committee_role or community.committee_channel):
        findings.append(("committee", False, "not set: nudgebot slack --committee-group S... or "
                                             "--committee-channel C..."))
    if community.committee_role:
        group = await ask(f"committee user group {community.committee_role}",
                          client.usergroups_users_list(usergroup=community.committee_role))
        if group is not None:
            findings.append((f"committee user group {community.committee_role}", bool(group.get("users")),
                             plural(len(group.get('users') or []), 'member')))
    if community.committee_channel:
        members = await ask(f"committee channel {community.committee_channel}",
                            client.conversations_members(channel=community.committee_channel, limit=1000))
        if members is not None:
            people = [m for m in members.get("members") or [] if m != bot_user]
            findings.append((f"committee channel {community.committee_channel}", bool(people),
                             plural(len(people), 'member')))
    alert_channel = community.alert_channel or community.committee_channel
    if not alert_channel:
        findings.append(("alert channel", False, "not set: nudgebot slack --alert-channel C..."))
        return
    members = await ask(f"alert channel {alert_channel}", client.conversations_members(channel=alert_channel,
                                                                                        limit=1000))
    if members is not None:
        inside = bot_user in (members.get("members") or [])
        findings.append((f"alert channel {alert_channel}", inside,
                         "nudgebot is a member" if inside else "invite nudgebot: /invite @nudgebot"))


async def check_installations(store: Store, api_url: str | None) -> list[Finding]:
    """OAuth mode's findings: every installed workspace (team id), and whether Slack still takes its bot token."""
    try:
        return await installation_health(store, api_url)
    except aiohttp.ClientConnectorError as exc:  # no answer at all: nothing else can be checked
        raise unreachable(exc) from None
