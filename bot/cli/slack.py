"""`nudgebot slack`: run the Slack app, over Socket Mode (the default) or HTTP, until interrupted; with `--oauth`,
for every workspace that installs it through Slack's OAuth flow (HTTP)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from bot import logsetup
from bot.errors import InputError, UsageError
from bot.models import Community, Platform
from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.review import CommitteeReview
    from bot.slack.app import SlackBot

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `slack` to the command line."""
    parser = subparsers.add_parser(
        "slack", help="run the Slack app (Socket Mode by default; SLACK_MODE=http for the Events API)",
        description="Run nudgebot in a Slack workspace. Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; "
                    "HTTP mode (SLACK_MODE=http or --mode http) needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.")
    parser.add_argument("--mode", choices=("socket", "http"), help="override SLACK_MODE")
    parser.add_argument("--oauth", action="store_true",
                        help="serve many workspaces (HTTP): the install page at /slack/install and Slack's redirect at "
                             "/slack/oauth_redirect; needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET "
                             "and SLACK_SIGNING_SECRET instead of SLACK_BOT_TOKEN")
    parser.add_argument("--team", metavar="T123",
                        help="with --oauth: the workspace whose committee setup the options below save")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP mode: address to listen on (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=3000, help="HTTP mode: port (default 3000)")
    parser.add_argument("--path", default="/slack/events",
                        help="HTTP mode: the Request URL path set in the manifest (default /slack/events)")
    parser.add_argument("--committee-group", metavar="S123",
                        help="save the committee's user group id (members may use /incidents and the buttons)")
    parser.add_argument("--committee-channel", metavar="C123",
                        help="save the committee channel id (its members are the committee)")
    parser.add_argument("--alert-channel", metavar="C123", help="save the channel where committee alerts go")
    parser.add_argument("--api-url", default=None,
                        help="Slack Web API base URL (default https://slack.com/api/; GovSlack: "
                             "https://slack-gov.com/api/)")
    parser.add_argument("--env-file", type=Path, default=None, help="settings file (default .env, if there is one)")
    parser.add_argument("--check", action="store_true",
                        help="check the tokens and the committee setup with Slack, print what was found, and exit "
                             "(1 when something needs fixing)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the settings, open the core and serve Slack until SIGINT or SIGTERM."""
    named = args.env_file is not None  # a file named on the command line must exist; the default .env need not
    settings = load_settings(env_file=args.env_file.expanduser() if named else Path(".env"), env_file_required=named)
    logsetup.configure(logsetup.level_for(settings.log_level, args.verbose))
    if args.oauth:
        if args.mode == "socket":
            raise UsageError("--oauth serves Slack over HTTP: leave out --mode socket")
        settings = dataclasses.replace(settings, slack_mode="http")
    elif args.mode:
        settings = dataclasses.replace(settings, slack_mode=args.mode)
    if args.team and not args.oauth:
        raise UsageError("--team is for --oauth; with one bot token the workspace is the token's own")
    if args.oauth and _changes(args) and not args.team:
        raise UsageError("with --oauth, say which workspace the committee setup is for: --team T...")
    if args.oauth:
        _check_oauth(settings)
        if args.check:
            return asyncio.run(_check_installations(settings, args))
        asyncio.run(_serve(settings, args))
        return 0
    _check(settings)
    if args.check:
        return asyncio.run(_check_with_slack(settings, args))
    asyncio.run(_serve(settings, args))
    return 0


def _check(settings: Settings) -> None:
    """Name the missing variable before anything connects."""
    if settings.slack_bot_token is None:
        raise SettingsError("SLACK_BOT_TOKEN", "is not set",
                            "Copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page, or "
                            "serve many workspaces with --oauth")
    if settings.slack_mode == "socket" and settings.slack_app_token is None:
        raise SettingsError("SLACK_APP_TOKEN", "is needed in Socket Mode",
                            "Create an app-level token with connections:write (xapp-...) on the app's Basic "
                            "Information page, or set SLACK_MODE=http")
    if settings.slack_mode == "http" and settings.slack_signing_secret is None:
        raise SettingsError("SLACK_SIGNING_SECRET", "is needed in HTTP mode",
                            "Copy the Signing Secret from the app's Basic Information page")


def _check_oauth(settings: Settings) -> None:
    """OAuth mode's settings, named before anything connects (no bot token: each workspace's comes with its install)."""
    from bot.slack.oauth import require_oauth_settings

    require_oauth_settings(settings)
    if settings.slack_signing_secret is None:
        raise SettingsError("SLACK_SIGNING_SECRET", "is needed with --oauth (HTTP)",
                            "Copy the Signing Secret from the app's Basic Information page")


async def _serve(settings: Settings, args: argparse.Namespace) -> None:
    # Imported here so the other commands start without loading slack_bolt.
    from bot.core import open_core
    from bot.slack.app import SlackBot, build_client
    from bot.slack.oauth import authorize_url_for, base_client, oauth_settings
    from bot.slack.runners import run_http, run_socket_mode

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    core = await open_core(settings)
    try:
        if args.oauth:
            client = base_client(args.api_url)
            oauth = oauth_settings(settings, core.store, client, authorization_url=authorize_url_for(args.api_url))
            bot = SlackBot(core, settings, client, oauth=oauth)
            if args.team:
                await _save_changes(core.review, args.team, args)
        else:
            bot = SlackBot(core, settings, build_client(settings, args.api_url))
            await _save_setup(bot, args)
        if settings.slack_mode == "http":
            await run_http(bot, args.host, args.port, args.path, stop)
        else:
            assert settings.slack_app_token is not None
            await run_socket_mode(bot, settings.slack_app_token.reveal(), stop)
    finally:
        await core.close()


async def _check_installations(settings: Settings, args: argparse.Namespace) -> int:
    """OAuth mode's --check: every installed workspace, and whether Slack still takes its bot token."""
    from rich.console import Console
    from rich.table import Table

    from bot.review import CommitteeReview
    from bot.slack.check import check_installations
    from bot.store import Store

    store = await Store.open(settings.db_path)
    try:
        if args.team:
            await _save_changes(CommitteeReview(store), args.team, args)
        findings = await check_installations(store, args.api_url)
    finally:
        await store.close()
    table = Table("workspace", "ok", "found", title="nudgebot on Slack (OAuth mode)")
    for team_id, ok, found in findings:
        table.add_row(team_id, "[green]yes[/]" if ok else "[red]no[/]", found)
    if not findings:
        table.add_row("(none)", "[red]no[/]", "no workspace has installed nudgebot yet: open /slack/install")
    Console(highlight=False).print(table)
    return 0 if findings and all(ok for _, ok, _ in findings) else 1


async def _check_with_slack(settings: Settings, args: argparse.Namespace) -> int:
    """Ask Slack about the tokens, the committee and the alert channel; print a table of findings."""
    from rich.console import Console
    from rich.table import Table

    from bot.review import CommitteeReview
    from bot.slack.check import check_workspace
    from bot.store import Store

    async def saved_setup(team_id: str) -> Community:
        store = await Store.open(settings.db_path)
        try:
            review = CommitteeReview(store)
            await _save_changes(review, team_id, args)
            return await review.community(Platform.SLACK, team_id)
        finally:
            await store.close()

    findings = await check_workspace(settings, args.api_url, saved_setup)
    table = Table("check", "ok", "found", title=f"nudgebot on Slack ({settings.slack_mode} mode)")
    for what, ok, found in findings:
        table.add_row(what, "[green]yes[/]" if ok else "[red]no[/]", found)
    Console(highlight=False).print(table)
    return 0 if all(ok for _, ok, _ in findings) else 1


async def _save_setup(bot: SlackBot, args: argparse.Namespace) -> None:
    """Store the committee group/channel and alert channel given on the command line for this workspace."""
    if _changes(args):
        team_id = str((await bot.client.auth_test()).get("team_id") or "")
        await _save_changes(bot.core.review, team_id, args)


def _changes(args: argparse.Namespace) -> dict[str, str]:
    return {name: value for name, value in (("committee_role", args.committee_group),
                                            ("committee_channel", args.committee_channel),
                                            ("alert_channel", args.alert_channel)) if value}


async def _save_changes(review: CommitteeReview, team_id: str, args: argparse.Namespace) -> None:
    """The operator's setup, through the same checked service as /nudgebot-setup (the committee review's own
    check; the operator may set up any workspace)."""
    # Imported here, as the store is: the parser is built for every nudgebot command, most never touch a database.
    from bot.community_setup import CommunitySetup
    from bot.review import operator_principal

    changes = _changes(args)
    if not changes:
        return
    try:
        await CommunitySetup(review).change(operator_principal("operator:nudgebot slack"), changes,
                                            platform=Platform.SLACK, community_id=team_id)
    except InputError as exc:  # a flag's value is not an id of the right kind: a usage error, nothing saved
        raise UsageError(f"nothing saved: {exc}") from None
