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
    parser.add_argument("--shards", type=shard_range, metavar="IDS",
                        help="run only these shards, e.g. 0-1 or 0,2 (needs --shard-count); other processes on "
                             "the same database run the rest")
    parser.add_argument("--shard-count", type=positive, metavar="N",
                        help="how many shards the app runs in all (default: as many as Discord recommends)")
    parser.set_defaults(func=run, discord_parser=parser)
    actions = parser.add_subparsers(dest="discord_action", metavar="ACTION")
    invite = actions.add_parser("invite-url", help="print the OAuth2 URL that adds the bot with the permissions "
                                                   "it needs")
    invite.add_argument("--client-id", help="the application's client id (default: read from DISCORD_TOKEN)")
    invite.set_defaults(func=print_invite_url)


def shard_range(text: str) -> list[int]:
    """`0-1`, `0,2` or `3` as shard ids (argparse turns a ValueError into a usage error, exit 2)."""
    ids: list[int] = []
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise argparse.ArgumentTypeError(f"{text!r} is not a shard range; write it as 0-1, 0,2 or 3")
        ids += range(int(first), int(last if dash else first) + 1)
    if not ids or len(set(ids)) != len(ids):
        raise argparse.ArgumentTypeError(f"{text!r}: each shard once, low to high (0-1, not 1-0)")
    return sorted(ids)


def positive(text: str) -> int:
    """A whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _shards(args: argparse.Namespace) -> tuple[list[int] | None, int | None]:
    """The shard ids and count asked for, checked against each other."""
    ids, count = args.shards, args.shard_count
    if ids is not None and count is None:
        args.discord_parser.error("--shards needs --shard-count (how many shards the app runs in all)")
    if ids is not None and count is not None and ids[-1] >= count:
        args.discord_parser.error(f"--shards: shard {ids[-1]} does not exist with --shard-count {count} "
                          f"(shards are numbered 0 to {count - 1})")
    if count is not None and ids is None:
        ids = list(range(count))
    return ids, count


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

    shard_ids, shard_count = _shards(args)
    settings = load_settings()
    logsetup.configure(logsetup.level_for(settings.log_level, args.verbose))
    if shard_ids is not None:
        logsetup.bind_process_ids(shards=",".join(map(str, shard_ids)), shard_count=shard_count)
    point_at(os.environ.get(API_BASE_VARIABLE, ""), os.environ.get(GATEWAY_VARIABLE, ""))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_bot(settings, sync_commands=args.sync, shard_ids=shard_ids, shard_count=shard_count))
    return 0
