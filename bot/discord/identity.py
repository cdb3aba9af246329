"""Who and which a Discord message is (message id, revision, channel, author, thread), computed one way for the
live bot (`cogs.moderation`) and the DiscordChatExporter reader (`bot.audit.discord_export`).

The store's idempotency key is (platform, community, message id, revision): an audit rerun must give a message the
ids the live bot recorded for it, or the same message would be recorded twice. Plain values in, no discord.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

JUMP_URL = "https://discord.com/channels/{guild}/{channel}/{message}"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class DiscordIdentity:
    """One version of one Discord message, as the store knows it."""

    guild_id: str
    channel_id: str
    message_id: str  # the message's snowflake: unique across Discord
    author_id: str
    revision: int  # 0 for the post; an edit: microseconds from posting to the edit (rises with every edit)
    parent_channel_id: str = ""  # the channel a thread hangs off; "" outside threads

    @property
    def is_edit(self) -> bool:
        """An edited version (an export keeps only the last one, with its edit time)."""
        return self.revision > 0

    @property
    def permalink(self) -> str:
        """The message's jump URL, as Discord builds it."""
        return JUMP_URL.format(guild=self.guild_id, channel=self.channel_id, message=self.message_id)


def _milliseconds(moment: datetime) -> int:
    """Milliseconds since 1970, exactly (Discord keeps its times to the millisecond)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _MILLISECOND


def revision_of(created_at: datetime, edited_at: datetime | None) -> int:
    """0 for an unedited message; for an edit, microseconds from posting to the edit, counted in whole
    milliseconds as Discord keeps them (so the gateway's time and an export's, written to the millisecond, give
    one number); a replayed edit keeps its number, a later edit gets a larger one; at least 1."""
    if edited_at is None:
        return 0
    return max(1, (_milliseconds(edited_at) - _milliseconds(created_at)) * 1_000)


def identify(guild_id: object, channel_id: object, message_id: object, author_id: object, created_at: datetime,
             edited_at: datetime | None = None, parent_channel_id: object = "") -> DiscordIdentity:
    """A message's identity from its ids (ints from discord.py, strings from an export) and its times."""
    return DiscordIdentity(guild_id=str(guild_id), channel_id=str(channel_id), message_id=str(message_id),
                           author_id=str(author_id), revision=revision_of(created_at, edited_at),
                           parent_channel_id=str(parent_channel_id or ""))
