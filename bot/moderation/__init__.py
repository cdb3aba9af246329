"""The decisions: the moderator turns a member's message into an outcome (ignore, welfare, hold, nudge, escalate)."""

from __future__ import annotations

from bot.moderation.moderator import FeedbackKind, Moderator

__all__ = ["FeedbackKind", "Moderator"]
