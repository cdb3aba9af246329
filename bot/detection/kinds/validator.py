"""`kind: validator`: a named recognizer of personal data (bot.detection.validators) run on the original text."""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.detection.kinds.base import KindEnv, PackContext
from bot.detection.message import WORD, Message, Raw
from bot.detection.model import Rule
from bot.detection.validators import Validator
from bot.errors import RulePackError

log = logging.getLogger(__name__)

_DIGIT = re.compile(r"\d")
_ASCII_DIGITS = "0123456789"
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\ufe00-\ufe0f\ufeff]")


class ValidatorKind:
    """Rules that name a validator and may pass it options."""

    name = "validator"
    keys = frozenset({"validator", "options"})

    def parse(self, raw: Mapping[str, Any], common: Mapping[str, Any], pack: PackContext) -> Rule:
        """A rule naming a known validator."""
        validator = raw.get("validator")
        if not isinstance(validator, str) or not validator:
            raise RulePackError(pack.source, "a validator rule needs 'validator: NAME'", pack.rule_id)
        known = pack.known_validators
        if known is not None and validator not in known:
            raise RulePackError(pack.source, f"unknown validator {validator!r}; known: {sorted(known)}",
                                pack.rule_id)
        options = raw.get("options") or {}
        if not isinstance(options, dict):
            raise RulePackError(pack.source, "options must be a mapping", pack.rule_id)
        return Rule(**common, validator=validator, options=dict(options))

    def compile(self, rules: Sequence[Rule], env: KindEnv) -> ValidatorMatcher:
        """Look up each rule's validator and order them by the digits they need."""
        return ValidatorMatcher(rules, env)


@dataclass(frozen=True, slots=True)
class _Entry:
    rule: Rule
    validator: Validator
    options: Mapping[str, Any]
    hint: re.Pattern[str] | None
    requires: bool  # the rule needs one of its context words: tested before the hint, as it is cheaper
    context_words: frozenset[str]  # one-word `raise` words of a rule that requires one
    context_phrases: tuple[str, ...]  # padded phrases among them
    context_firsts: frozenset[str]  # the phrases' first words: a cheap first test


class ValidatorMatcher:
    """Validators behind their declared needs: enough digits, a needed character, a hint, a context word."""

    gated = False
    always = False
    vocabulary: frozenset[str] = frozenset()
    fuzzy_vocabulary: frozenset[str] = frozenset()
    gate_words: frozenset[str] = frozenset()
    gate_needs: Mapping[str, frozenset[frozenset[str]]] = {}

    def __init__(self, rules: Sequence[Rule], env: KindEnv) -> None:
        hints: dict[str, re.Pattern[str]] = {}
        entries: list[_Entry] = []
        for rule in rules:
            if rule.validator not in env.validators:
                raise ValueError(f"rule {rule.id} names unknown validator {rule.validator!r}")
            validator = env.validators[rule.validator]
            options = {**env.validator_options.get(rule.validator, {}), **rule.options}
            hint = hints.setdefault(validator.hint, re.compile(validator.hint)) if validator.hint else None
            entries.append(_entry(rule, validator, options, hint))
        # Sorted by the digits they need: those needing more than the message has are never visited. The rules
        # that require a context word are asked only when the message holds a word one of them needs (the
        # order candidates are found in is no matter: the judge sorts them).
        entries.sort(key=lambda entry: entry.validator.min_digits)
        self._entries = [entry for entry in entries if not entry.requires]
        self._digits = [entry.validator.min_digits for entry in self._entries]
        self._requiring = [entry for entry in entries if entry.requires]
        self._requiring_digits = [entry.validator.min_digits for entry in self._requiring]
        self._context_cues = frozenset().union(*(e.context_words | e.context_firsts for e in self._requiring))
        # Validators run only on messages with a digit, or holding a character one of them needs ("@").
        chars = frozenset(e.validator.needs_char for e in entries if e.validator.min_digits == 0)
        # One search for a digit or a needed character decides whether any validator is asked (most chat: no).
        self._cue = None if "" in chars else _cue(chars - {""})

    def find(self, message: Message, raws: list[Raw]) -> None:
        """Validators whose cheap needs the message meets; spans are of the original text."""
        text = message.text
        if not (self._entries or self._requiring) or (self._cue is not None and self._cue.search(text) is None):
            return
        # At least as many as the longest run: a cheap first cut. On ASCII text \d is 0-9: ten counts, no list.
        digits = sum(map(text.count, _ASCII_DIGITS)) if text.isascii() else len(_DIGIT.findall(text))
        entries = self._entries[: bisect.bisect_right(self._digits, digits)]
        if not message.tokens.isdisjoint(self._context_cues):
            entries += [entry for entry in self._requiring[: bisect.bisect_right(self._requiring_digits, digits)]
                        if _context_present(entry, message)]
        visible, kept = (text, None) if text.isascii() else _without_invisible(text)
        hinted: dict[re.Pattern[str], bool] = {}  # several validators share a hint: search once
        for entry in entries:
            if entry.hint is not None:
                found = hinted.get(entry.hint)
                if found is None:
                    found = hinted[entry.hint] = entry.hint.search(visible) is not None
                if not found:
                    continue
            try:
                if entry.validator.prefilter(visible):
                    _confirm(entry, visible, kept, raws)
            except Exception:
                log.exception("validator failed; the rest of the scan goes on", extra={"rule": entry.rule.id})


def _cue(chars: frozenset[str]) -> re.Pattern[str]:
    """A digit, or one of the characters (or strings) some validator that needs no digit needs."""
    if all(len(char) == 1 for char in chars):
        return re.compile("[\\d" + "".join(re.escape(char) for char in sorted(chars)) + "]")
    return re.compile("|".join([r"\d", *(re.escape(char) for char in sorted(chars))]))


def _entry(rule: Rule, validator: Validator, options: Mapping[str, Any], hint: re.Pattern[str] | None) -> _Entry:
    single = {w for w in rule.context.raise_words if len(WORD.findall(w)) == 1}
    phrases = rule.context.raise_words - single
    return _Entry(rule, validator, options, hint, rule.context.require,
                  frozenset(WORD.findall(w)[0] for w in single),
                  tuple(f" {' '.join(WORD.findall(p))} " for p in phrases),
                  frozenset(WORD.findall(p)[0] for p in phrases if WORD.findall(p)))


def _context_present(entry: _Entry, message: Message) -> bool:
    """A rule that needs a context word ("born", "student number") cannot fire if none is present."""
    if not entry.requires or not message.tokens.isdisjoint(entry.context_words):
        return True
    if message.tokens.isdisjoint(entry.context_firsts):
        return False
    return any(phrase in message.joined for phrase in entry.context_phrases)


def _confirm(entry: _Entry, text: str, kept: list[int] | None, raws: list[Raw]) -> None:
    """Run one validator on the text without invisible characters; spans go back to the original."""
    rule = entry.rule
    for candidate in entry.validator.find(text, entry.options):
        if 0 <= candidate.start < candidate.end <= len(text):
            confidence = min(rule.confidence, candidate.confidence) if candidate.confidence else rule.confidence
            start, end = candidate.start, candidate.end
            if kept is not None:
                start, end = kept[start], kept[end - 1] + 1
            raws.append(Raw(rule, -1, -1, start, end, confidence, in_layer=False))


def _without_invisible(text: str) -> tuple[str, list[int] | None]:
    """The text without zero-width and direction characters (a phone number split by U+200B is still one),
    and the original index of each character kept (None when nothing was removed)."""
    if not _INVISIBLE.search(text):
        return text, None
    kept = [index for index, char in enumerate(text) if not _INVISIBLE.match(char)]
    return "".join(text[index] for index in kept), kept
