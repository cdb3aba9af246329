"""The protocol every rule kind follows: read a rule of the kind from its pack, then find its candidates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.detection.message import Message, Raw
from bot.detection.model import Rule
from bot.detection.validators import Validator


@dataclass(frozen=True, slots=True)
class PackContext:
    """What a kind reads a rule with: where it is, and the pack pool's lexicons, macros and validator names."""

    source: str
    rule_id: str
    lexicons: Mapping[str, tuple[str, ...]]
    macros: Mapping[str, str]
    known_validators: set[str] | None
    probe: bool = True  # run timing probes on patterns (a committee's own pack)


@dataclass(frozen=True, slots=True)
class KindEnv:
    """What a kind compiles its rules with."""

    frequency: Mapping[str, int]  # English word counts: gate words are chosen rare
    allowlist: frozenset[str]
    validators: Mapping[str, Validator]
    pattern_timeout: float
    validator_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


class KindMatcher(Protocol):
    """The compiled rules of one kind."""

    vocabulary: frozenset[str]  # words re-spelling aims at
    fuzzy_vocabulary: frozenset[str]  # words a one-letter typo may be corrected toward
    gated: bool  # True: only asked for messages holding a gate word (or when `always`), with `layer` set
    gate_words: frozenset[str]  # one of these is in every message a rule of this kind can match
    # Per gate word, what each rule it gates also needs: a message holding the word reaches this kind through it
    # only with a word of one of these sets too (a pattern's trigger and its `requires`). A word missing here, or
    # with no sets, needs nothing more.
    gate_needs: Mapping[str, frozenset[frozenset[str]]]
    always: bool  # some rule needs no gate word

    def find(self, message: Message, raws: list[Raw]) -> None:
        """Append the candidates of this kind's rules in `message` to `raws`."""
        ...


class RuleKindSpec(Protocol):
    """One rule kind (`kind: NAME` in a pack)."""

    @property
    def name(self) -> str:
        """The name packs write after `kind:`."""
        ...

    @property
    def keys(self) -> frozenset[str]:
        """The rule keys this kind reads, beyond those every rule has."""
        ...

    def parse(self, raw: Mapping[str, Any], common: Mapping[str, Any], pack: PackContext) -> Rule:
        """Build the rule from its pack entry; `common` holds the fields every rule has, defaults applied."""
        ...

    def compile(self, rules: Sequence[Rule], env: KindEnv) -> KindMatcher:
        """Compile the enabled rules of this kind, in load order."""
        ...
