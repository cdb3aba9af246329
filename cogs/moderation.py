"""Moderation listener: new and edited guild messages, and thread and forum-post titles, are translated into
platform-neutral events and queued in the runtime's intake (`bot.runtime.intake`), which moderates and delivers.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.discord.identity import DiscordIdentity, identify
from bot.discord.identity import revision_of as identity_revision
from bot.discord.ui import NudgeFeedbackButton
from bot.models import MessageEvent, Platform
from bot.posted import file_name_words, gather
from bot.runtime.inbox import Inbox
from bot.runtime.intake import DRAIN_SECONDS, WORKERS, Intake

if TYPE_CHECKING:
    from bot.discord.app import NudgeBot

log = logging.getLogger(__name__)

_MODERATED_TYPES = (discord.MessageType.default, discord.MessageType.reply)
TITLE_SUFFIX = ":title"


def revision_of(message: discord.Message) -> int:
    """0 for the original post; for an edit, microseconds from posting to the edit (`bot.discord.identity`)."""
    return identity_revision(message.created_at, message.edited_at)


def _aimed_at(message: discord.Message) -> list[discord.User | discord.Member]:
    """The people a message is aimed at (not bots, not its author): whom it mentions, and whom it replies to."""
    people = [user for user in message.mentions if not user.bot and user.id != message.author.id]
    replied = message.reference.resolved if message.reference is not None else None
    if isinstance(replied, discord.Message) and not replied.author.bot and replied.author.id != message.author.id:
        people.append(replied.author)
    return people


def targets_of(message: discord.Message) -> tuple[str, ...]:
    """Who the message is aimed at: the members it mentions and the author of the message it replies to."""
    return tuple(dict.fromkeys(str(user.id) for user in _aimed_at(message)))


def target_names_of(message: discord.Message) -> tuple[tuple[str, str], ...]:
    """(id, display name) of each member the message is aimed at: the mentions carry the member, with the
    server nickname, as the author does."""
    return tuple({str(user.id): user.display_name for user in _aimed_at(message)}.items())


def is_moderated(message: discord.Message) -> bool:
    """A member's own message in a guild text channel or thread: not a bot, webhook, system message or DM."""
    if message.guild is None or message.author.bot or message.webhook_id is not None:
        return False
    if message.type not in _MODERATED_TYPES:
        return False
    return isinstance(message.channel, discord.TextChannel | discord.Thread)


def _parent_of(message: discord.Message) -> str:
    """The channel a thread belongs to ("" outside threads)."""
    return str(message.channel.parent_id) if isinstance(message.channel, discord.Thread) else ""


def _attachment_words(attachments: list[discord.Attachment]) -> list[str]:
    return [part for a in attachments for part in (file_name_words(a.filename), a.description, a.title) if part]


def posted_text(message: discord.Message) -> str:
    """All the words a member posted in one message: what they typed, the messages they forwarded (Discord's
    message snapshots), a poll's question and answers, and each attachment's file name, alt text and title."""
    parts: list[str | None] = [message.content, *_attachment_words(message.attachments)]
    for snapshot in message.message_snapshots:
        parts += [snapshot.content, *_attachment_words(snapshot.attachments)]
    if message.poll is not None:
        parts += [message.poll.question, *(answer.text for answer in message.poll.answers)]
    return gather(parts)


def identity_of(message: discord.Message) -> DiscordIdentity:
    """The message's identity, as the export reader computes it too (`bot.discord.identity`)."""
    assert message.guild is not None
    return identify(message.guild.id, message.channel.id, message.id, message.author.id, message.created_at,
                    message.edited_at, _parent_of(message))


def message_event(message: discord.Message) -> MessageEvent:
    """The platform-neutral event for the core (an edit when the message carries an edit time)."""
    identity = identity_of(message)
    channel_name = getattr(message.channel, "name", "") or ""
    return MessageEvent(
        platform=Platform.DISCORD, community_id=identity.guild_id, channel_id=identity.channel_id,
        message_id=identity.message_id, author_id=identity.author_id, author_name=message.author.display_name,
        text=posted_text(message), created_at=message.created_at, revision=identity.revision,
        is_edit=identity.is_edit, targets=targets_of(message), channel_name=channel_name,
        permalink=identity.permalink, parent_channel_id=identity.parent_channel_id,
        target_names=target_names_of(message))


def title_id(thread_id: int) -> str:
    """The id a thread's (or forum post's) title is recorded under: its own, so it never meets the incident
    of the thread's first message, which shares the thread's id."""
    return f"{thread_id}{TITLE_SUFFIX}"


def title_event(thread: discord.Thread, renamed_at: datetime | None = None) -> MessageEvent:
    """A thread or forum-post title as an event: revision 0 when the thread is created; a rename is an edit
    numbered by the microseconds from the thread's creation to `renamed_at`, so a later rename has a larger one."""
    created = thread.created_at or discord.utils.snowflake_time(thread.id)
    revision = 0 if renamed_at is None else max(1, round((renamed_at - created).total_seconds() * 1_000_000))
    owner = thread.owner
    return MessageEvent(
        platform=Platform.DISCORD, community_id=str(thread.guild.id), channel_id=str(thread.id),
        message_id=title_id(thread.id), author_id=str(thread.owner_id),
        author_name=owner.display_name if owner is not None else "", text=thread.name, created_at=created,
        revision=revision, is_edit=renamed_at is not None, channel_name=thread.name, permalink=thread.jump_url,
        parent_channel_id=str(thread.parent_id or ""))


def is_moderated_title(thread: discord.Thread, bot_user_id: int | None) -> bool:
    """A member's thread or forum post: not one nudgebot or another bot (when it is known to be one) started."""
    if not thread.owner_id or thread.owner_id == bot_user_id:
        return False
    owner = thread.owner
    return owner is None or not owner.bot


class Moderation(commands.Cog):
    """Listens to guild messages, edits and thread titles; translates them for the runtime's intake."""

    def __init__(self, bot: NudgeBot, workers: int = WORKERS) -> None:
        self.bot = bot
        self.intake = Intake(bot.core, Platform.DISCORD, bot.delivery, workers=workers, spool_tag=bot.spool_tag,
                             ids_of=lambda event: {"shard_id": bot.shard_of_guild(event.community_id)})
        self._outbox: asyncio.Task[int] | None = None

    @property
    def inbox(self) -> Inbox:
        """The intake's inbox (for health checks and load tests)."""
        return self.intake.inbox

    @property
    def received(self) -> int:
        """Messages and edits queued since start."""
        return self.intake.received

    @property
    def handled(self) -> int:
        """Messages and edits fully handled since start (moderated and delivered, or failed and logged)."""
        return self.intake.handled

    @property
    def backlog(self) -> int:
        """Messages received but not yet moderated and delivered (in memory or waiting in the spool)."""
        return self.intake.backlog

    async def cog_load(self) -> None:
        """Start the intake (messages left waiting by the last run first) and make the nudge buttons answer (for
        DMs sent before a restart too)."""
        self.bot.add_dynamic_items(NudgeFeedbackButton)
        await self.intake.start()

    async def cog_unload(self) -> None:
        """Let each worker finish the message in hand (bounded), save what still waits for the next start, and
        stop."""
        await self.bot.delivery.outbox_retry.stop(DRAIN_SECONDS)
        if self._outbox is not None:
            await asyncio.wait([self._outbox], timeout=DRAIN_SECONDS)
            self._outbox.cancel()
            await asyncio.gather(self._outbox, return_exceptions=True)
        await self.intake.stop(DRAIN_SECONDS)
        self.bot.remove_dynamic_items(NudgeFeedbackButton)
        log.info("moderation stopped: %d messages and edits received, %d handled", self.received, self.handled)
        log.info("inbox: %d message(s) waited on disk; at most %d in memory and %d on their way to disk",
                 self.inbox.written_to_disk, self.inbox.peak_in_memory, self.inbox.peak_overflow)

    @property
    def outbox_done(self) -> bool:
        """True once this start's outbox run (nudges left from the last run) has finished."""
        return self._outbox is not None and self._outbox.done()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Once per start: deliver the nudges left undelivered by the last run (the outbox), then keep retrying
        any a Discord or database outage holds back."""
        if self._outbox is None:
            self._outbox = asyncio.create_task(self.bot.delivery.open_outbox(), name="nudgebot-outbox")

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A new message: queue it for moderation."""
        if is_moderated(message):
            self.intake.put(message_event(message))

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edit (raw, so edits of messages posted before a restart count too); link previews are not edits."""
        message = payload.message
        if message.edited_at is not None and is_moderated(message):
            self.intake.put(message_event(message))

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        """A new thread or forum post (discord.py calls this once, for newly created threads): its title."""
        if is_moderated_title(thread, self.bot.user.id if self.bot.user else None):
            self.intake.put(title_event(thread))

    @commands.Cog.listener()
    async def on_thread_update(self, before: discord.Thread, after: discord.Thread) -> None:
        """A renamed thread: the new title (an archive, a lock or a replayed update leaves the name as it was)."""
        if before.name != after.name and is_moderated_title(after, self.bot.user.id if self.bot.user else None):
            self.intake.put(title_event(after, renamed_at=self.bot.core.clock()))


async def setup(bot: NudgeBot) -> None:
    """discord.py extension entry point."""
    await bot.add_cog(Moderation(bot))
