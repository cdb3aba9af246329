"""`nudgebot demo`: a scripted week of a student society's chat, replayed through the real moderation core."""

from __future__ import annotations

from bot.demo.script import DemoScript, DemoScriptError, load_script

__all__ = ["DemoScript", "DemoScriptError", "load_script"]
