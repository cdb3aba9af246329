"""Rule kinds: one object per kind reads its rules from the packs and finds their candidates in a message.

`KINDS` is the registry, in the order kinds are asked (terms before patterns: counter-speech cues look at the
breaches found before them). A new kind is one module here and one entry below (see bot/detection/README.md).
"""

from __future__ import annotations

from bot.detection.kinds.base import KindEnv, KindMatcher, PackContext, RuleKindSpec
from bot.detection.kinds.pattern import PatternKind, check_pattern_safety
from bot.detection.kinds.terms import TermsKind
from bot.detection.kinds.validator import ValidatorKind
from bot.detection.registry import Registry

KINDS: Registry[RuleKindSpec] = Registry("rule kind", (TermsKind(), PatternKind(), ValidatorKind()))

__all__ = ["KINDS", "KindEnv", "KindMatcher", "PackContext", "RuleKindSpec", "check_pattern_safety"]
