"""`nudgebot discord` runs the Discord bot; `nudgebot discord invite-url` prints the link that adds it to a server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os

from bot import logsetup
from bot.settings import load_settings

# For a self-hosted proxy or a local test double of Discord; unset in normal use.
API_BASE_VARIABLE = "NUDGEBOT_DISCORD_API_BASE"
GATEWAY_VARIABLE = "NUDGEBOT_DISCORD_GATEWAY"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `discord` (run the bot) and `discord invite-url` to the command line."""
    parser = subparsers.add_parser("discord", help="run the Discord bot (DISCORD_TOKEN from .env)")
    parser.add_argument("--no-sync", dest="sync", action="store_false",
                        help="do not publish the slash commands at start")
    parser.set_defaults(func=run)
    actions = parser.add_subparsers(dest="discord_action", metavar="ACTION")
    invite = actions.add_parser("invite-url", help="print the OAuth2 URL that adds the bot with the permissions "
                                                   "it needs")
    invite.add_argument("--client-id", help="the application's client id (default: read from DISCORD_TOKEN)")
    invite.set_defaults(func=print_invite_url)


def print_invite_url(args: argparse.Namespace) -> int:
    """Print the invite URL; the client id comes from --client-id or from the token itself (no network)."""
    from bot.discord.app import DiscordSetupError, client_id_from_token, invite_url, required_permissions

    client_id = args.client_id
    if not client_id:
        token = load_settings().discord_token
        if token is None:
            raise DiscordSetupError("DISCORD_TOKEN: not set. Pass --client-id (General Information page of your "
                                    "application) or put the bot token in .env")
        client_id = client_id_from_token(token.reveal())
    if not str(client_id).isdigit():
        raise DiscordSetupError(f"--client-id: {client_id!r} is not a Discord id; copy the Application ID from "
                                "the General Information page")
    print(invite_url(client_id))
    permissions = required_permissions()
    names = ", ".join(name.replace("_", " ") for name, value in permissions if value)
    print(f"permissions ({permissions.value}): {names}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the bot until interrupted."""
    from bot.discord.app import point_at, run_bot

    settings = load_settings()
    logsetup.configure(logsetup.level_for(settings.log_level, args.verbose))
    point_at(os.environ.get(API_BASE_VARIABLE, ""), os.environ.get(GATEWAY_VARIABLE, ""))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_bot(settings, sync_commands=args.sync))
    return 0
