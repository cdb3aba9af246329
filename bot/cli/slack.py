"""`nudgebot slack`: run the Slack app, over Socket Mode (the default) or HTTP, until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from bot.models import Platform
from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.slack_app import SlackBot

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `slack` to the command line."""
    parser = subparsers.add_parser(
        "slack", help="run the Slack app (Socket Mode by default; SLACK_MODE=http for the Events API)",
        description="Run nudgebot in a Slack workspace. Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; "
                    "HTTP mode (SLACK_MODE=http or --mode http) needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.")
    parser.add_argument("--mode", choices=("socket", "http"), help="override SLACK_MODE")
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
    parser.add_argument("--env-file", type=Path, default=Path(".env"), help="settings file (default .env)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the settings, open the core and serve Slack until SIGINT or SIGTERM."""
    settings = load_settings(env_file=args.env_file)
    if args.mode:
        settings = dataclasses.replace(settings, slack_mode=args.mode)
    _check(settings)
    asyncio.run(_serve(settings, args))
    return 0


def _check(settings: Settings) -> None:
    """Name the missing variable before anything connects."""
    if settings.slack_bot_token is None:
        raise SettingsError("SLACK_BOT_TOKEN", "is not set",
                            "Copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page")
    if settings.slack_mode == "socket" and settings.slack_app_token is None:
        raise SettingsError("SLACK_APP_TOKEN", "is needed in Socket Mode",
                            "Create an app-level token with connections:write (xapp-...) on the app's Basic "
                            "Information page, or set SLACK_MODE=http")
    if settings.slack_mode == "http" and settings.slack_signing_secret is None:
        raise SettingsError("SLACK_SIGNING_SECRET", "is needed in HTTP mode",
                            "Copy the Signing Secret from the app's Basic Information page")


async def _serve(settings: Settings, args: argparse.Namespace) -> None:
    # Imported here so the other commands start without loading slack_bolt.
    from bot.core import open_core
    from bot.slack_app import SlackBot, build_client, run_http, run_socket_mode

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    core = await open_core(settings)
    try:
        bot = SlackBot(core, settings, build_client(settings, args.api_url))
        await _save_setup(bot, args)
        if settings.slack_mode == "http":
            await run_http(bot, args.host, args.port, args.path, stop)
        else:
            assert settings.slack_app_token is not None
            await run_socket_mode(bot, settings.slack_app_token.reveal(), stop)
    finally:
        await core.close()


async def _save_setup(bot: SlackBot, args: argparse.Namespace) -> None:
    """Store the committee group/channel and alert channel given on the command line for this workspace."""
    changes = {name: value for name, value in (("committee_role", args.committee_group),
                                                ("committee_channel", args.committee_channel),
                                                ("alert_channel", args.alert_channel)) if value}
    if not changes:
        return
    team_id = str((await bot.client.auth_test()).get("team_id") or "")
    community = await bot.core.store.get_community(Platform.SLACK, team_id)
    await bot.core.store.save_community(dataclasses.replace(community, **changes), bot.core.clock())
    log.info("workspace setup saved", extra={"team_id": team_id, **changes})
