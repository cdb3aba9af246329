"""A committee's own rule pack with a rule on each tier, for the tier tests on every platform.

The words are made up for these tests (a society's in-jokes), so no built-in rule fires on them and the tier
that decides is the pack's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.detection.scanner import Scanner

TIER_PACK = """
pack: committee-tiers
description: A committee trying rules at the review and shadow tiers before they go live.
defaults:
  clause: "5.5.3"
  category: Insulting another member
  severity: medium
rules:
  - id: society.made-up-insult
    kind: terms
    tier: review
    terms: [grobblewit, grobblewits]
    description: "Our made-up insult, held for the committee's review while we see how it is used."
    examples:
      match: ["you utter grobblewit"]
      no_match: ["the grobble dance is on Friday"]
  - id: society.insult-on-trial
    kind: terms
    tier: shadow
    terms: [splonker, splonkers]
    description: "On trial, counted for the rule statistics only."
    examples:
      match: ["what a splonker"]
      no_match: ["the splonk game"]
  - id: society.live-insult
    kind: terms
    terms: [total wazzock]
    description: "Live, a nudge."
    examples:
      match: ["he is a total wazzock"]
      no_match: ["wazzock is a word"]
"""

HELD = "honestly you utter grobblewit, read the rota"  # review tier: held, nobody nudged
# shadow tier: counted, nothing else
SHADOW = "lol what a splonker, anyway who is bringing the speaker and the snacks to the social on friday night"
SHADOW_AND_NUDGE = "what a splonker, he is a total wazzock"  # nudged for the nudge-tier rule; shadow counted
HELD_RULE, SHADOW_RULE, NUDGE_RULE = "society.made-up-insult", "society.insult-on-trial", "society.live-insult"


def write_tier_pack(directory: Path) -> Path:
    """Write the pack into `directory` (created) and return the directory, for NUDGEBOT_RULES_DIR."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tiers.yaml").write_text(TIER_PACK, encoding="utf-8")
    return directory


def build_tier_scanner(directory: Path) -> Scanner:
    """The built-in packs plus the tier pack, built as the bot builds them from NUDGEBOT_RULES_DIR."""
    from bot.core import build_scanner
    from bot.settings import load_settings

    return build_scanner(load_settings(env_file=None,
                                       environ={"NUDGEBOT_RULES_DIR": str(write_tier_pack(directory))}))
