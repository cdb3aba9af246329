"""What a loaded rule is: the typed, validated form every rule pack is read into (bot.detection.rules loads it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import regex

from bot.models import RuleEffect, Severity, Tier

PATTERN_TIMEOUT = 0.05  # seconds per regex call while scanning; a pattern that needs longer is cut off


class RuleKind(StrEnum):
    """How a rule finds candidates."""

    TERMS = "terms"
    PATTERN = "pattern"
    VALIDATOR = "validator"


class AudienceScope(StrEnum):
    """Where a rule applies: everywhere, or only where members may be under 18 (clause 5.2)."""

    ANY = "any"
    UNDER18 = "under18"


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Words near a match that raise or lower confidence; `require` makes a raise word mandatory."""

    window: int = 40
    raise_words: frozenset[str] = frozenset()
    lower_words: frozenset[str] = frozenset()
    require: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule, with the pack defaults already applied."""

    id: str
    pack: str
    source: str
    kind: str  # a name in bot.detection.kinds.KINDS (the built-in ones are RuleKind members)
    clause: str
    category: str
    severity: Severity
    audience: AudienceScope
    effect: RuleEffect
    negatable: bool
    confidence: float
    description: str
    tier: Tier = Tier.NUDGE
    terms: tuple[str, ...] = ()
    fuzzy: bool = False
    pattern: str = ""
    compiled: regex.Pattern[str] | None = None
    literals: frozenset[str] | None = None  # strings one of which every match holds (bot.detection.literals), if known
    triggers: tuple[str, ...] = ()
    requires: frozenset[str] = frozenset()
    validator: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)  # a validator's options, or a new kind's settings
    exceptions: tuple[str, ...] = ()
    context: RuleContext = field(default_factory=RuleContext)
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RulePack:
    """The rules of one file, plus the lexicons and allowlist it contributes to the shared pool."""

    name: str
    source: str
    description: str
    rules: tuple[Rule, ...]
    lexicons: Mapping[str, tuple[str, ...]]
    allowlist: frozenset[str]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All packs loaded together: rule ids are unique and lexicons are shared across packs."""

    packs: tuple[RulePack, ...]
    lexicons: Mapping[str, tuple[str, ...]]
    allowlist: frozenset[str]
    macros: Mapping[str, str] = field(default_factory=dict)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every enabled rule of every pack, in load order."""
        return tuple(rule for pack in self.packs for rule in pack.rules)

