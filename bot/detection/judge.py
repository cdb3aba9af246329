"""Judges candidate matches: who a rule applies to, allowlisted words, exception phrases, negation, quoting and
counter-speech, context words, and the tier a standing match lands in."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from bot.detection.audience import audience_tier
from bot.detection.message import WORD, Layer, Raw
from bot.detection.model import AudienceScope, Rule, RuleContext
from bot.detection.normalize import Normalized, fold
from bot.detection.ownership import OWNERSHIP_PACKS, owned_tier
from bot.detection.spans import snap_to_words
from bot.models import Audience, Match, RuleEffect, ScanContext, Tier, Verdict

_CLAUSE_BREAK = re.compile(r"[.!?;:,\n]|\b(?:but|however|that|because|though|although)\b"
                           r"|\bso\s+(?=(?:we|i|they|you|let's|lets)\b)")
_SENTENCE_END = re.compile(r"[.!?\n]+")
_CLAUSE_PUNCTUATION = re.compile(r"[,;:]")
_QUOTED = re.compile(r"\"[^\"]*\"|\u201c[^\u201d]*\u201d")
NEGATORS = frozenset({
    "not", "no", "never", "nor", "neither", "don't", "dont", "doesn't", "doesnt", "didn't", "didnt", "isn't",
    "isnt", "aren't", "arent", "wasn't", "wasnt", "weren't", "werent", "won't", "wont", "can't", "cant",
    "cannot", "shouldn't", "shouldnt", "wouldn't", "wouldnt", "mustn't", "mustnt", "ain't", "aint", "hardly",
})
# Any negator as a substring: where none is, no word can be one (a cheap first test for `negated`).
_NEGATOR_CUE = re.compile("|".join(re.escape(word) for word in sorted(NEGATORS, key=lambda w: (-len(w), w))))
_NEGATION_LOOKBACK = 3  # words before a match that a negator may stand in
_NEGATION_IDIOMS = re.compile(r"\b(?:can't|cant|cannot|can\s+not)\s+(?:stand|bear|wait)\b"
                              r"|\b(?:don't|dont|do\s+not|never)\s+forget\b|\bno\s+(?:doubt|wonder)\b|\bnot\s+only\b"
                              r"|\b(?:never|won't|wont|can't|cant)\s+stop\b")
# Quoting or challenging abuse withdraws abuse (hate, insults, explicit content), never a leak of personal or
# confidential data: "do not share her number 07700 900123" still shares it.
COUNTERABLE_CLAUSES = frozenset({"5.5.1", "5.5.2", "5.5.3", "5.2"})
MAX_MATCHES_PER_MESSAGE = 50
SPACED = "joined spaced letters"
LOWERING_WORD = "a lowering context word nearby"
NOTHING = Verdict()
"""The verdict on a message with no candidate: verdicts are immutable, so every clean message shares one."""


@dataclass(frozen=True, slots=True)
class Finding:
    """A candidate match and what became of it, for `nudgebot explain`."""

    match: Match
    status: str  # "breach", "welfare", "counter", "shadow", or why it was withdrawn
    evidence: tuple[str, ...] = ()  # why the match rests on weaker evidence (its tier lowered to review)
    corroborated: tuple[str, ...] = ()  # weaker evidence in the match that its plain words corroborate


def is_counterable_breach(raw: Raw) -> bool:
    """Whether counter-speech could withdraw this candidate (a breach of a clause quoting can challenge)."""
    return raw.rule.effect is RuleEffect.BREACH and raw.rule.clause in COUNTERABLE_CLAUSES


class _Outcome:
    """The lists a verdict is made of, filled one judged candidate at a time."""

    __slots__ = ("breaches", "shadow", "suppressed", "welfare")

    def __init__(self) -> None:
        self.breaches: list[Match] = []
        self.welfare: list[Match] = []
        self.suppressed: list[tuple[Match, str]] = []
        self.shadow: list[Match] = []

    def add(self, match: Match, effect: RuleEffect, why_not: str | None) -> str:
        """File one match; returns its status."""
        if why_not is not None:
            if effect is RuleEffect.BREACH and len(self.suppressed) < MAX_MATCHES_PER_MESSAGE:
                self.suppressed.append((match, why_not))
            return why_not
        if effect is RuleEffect.BREACH and match.tier is Tier.SHADOW:
            self.shadow.append(match)
            return "shadow"
        if effect is RuleEffect.BREACH:
            self.breaches.append(match)
            return "breach"
        if effect is RuleEffect.WELFARE:
            self.welfare.append(match)
            return "welfare"
        return "counter"

    def verdict(self) -> Verdict:
        return Verdict(tuple(self.breaches), tuple(self.welfare), tuple(self.suppressed), tuple(self.shadow))


class Judge:
    """Decides what each candidate of a message becomes."""

    def __init__(self, allowlist: frozenset[str], min_confidence: float) -> None:
        self._allowlist = allowlist
        self._min_confidence = min_confidence

    def decide(self, raws: list[Raw], text: str, layer: Layer, offset: int, context: ScanContext,
               findings: list[Finding] | None, norm: Normalized | None = None) -> Verdict:
        """The verdict on one message (or chunk at `offset`) from its candidates."""
        if not raws:
            return NOTHING
        for raw in raws:  # a reported span never starts or ends inside a word
            raw.orig_start, raw.orig_end = snap_to_words(text, raw.orig_start, raw.orig_end)
        counters = [r for r in raws if r.rule.effect is RuleEffect.COUNTER and r.in_layer]
        sentences = SentenceMap(layer.text) if counters else None
        # Read once per message: no weaker evidence anywhere in it (most), so none inside any match.
        maybe_weak = bool(layer.weak or (norm is not None and norm.spaced_joins))
        outcome = _Outcome()
        reach: dict[str, int] = {}  # per rule, the furthest end kept so far: nested repeats are dropped
        windows: dict[tuple[int, int], tuple[str, set[str]]] = {}  # context windows folded, in this message
        for raw in sorted(raws, key=_reading_order):
            rule = raw.rule
            if raw.orig_end <= reach.get(rule.id, -1):
                continue
            reach[rule.id] = raw.orig_end
            if len(outcome.breaches) >= MAX_MATCHES_PER_MESSAGE:
                break  # a message with this many breaches is plainly flagged; more spans add nothing
            why_not = self._withdrawn(raw, text, layer, context, sentences, counters)
            if why_not is None:
                confidence, why_not, lowered = _with_context(raw, text, windows)
            else:
                confidence, lowered = rule.confidence, False
            weak, alone = weak_parts(raw, layer, norm) if maybe_weak else ((), False)
            evidence = (weak if alone else ()) + ((LOWERING_WORD,) if lowered else ())
            tier = Tier.REVIEW if evidence and rule.tier is Tier.NUDGE else rule.tier
            ownership = ""
            if why_not is None and confidence < self._min_confidence:
                why_not = f"confidence {confidence:.2f} below {self._min_confidence:.2f}"
            if why_not is None and rule.pack in OWNERSHIP_PACKS:  # whose details or work it is (5.5.4, 5.5.5)
                ownership, tier, why_not = owned_tier(text, raw.orig_start, raw.orig_end, rule.severity, tier,
                                                      kind=OWNERSHIP_PACKS[rule.pack])
            match = Match(rule.id, rule.clause, rule.category, raw.orig_start + offset, raw.orig_end + offset,
                          rule.severity, round(confidence, 3), rule.effect,
                          audience_tier(tier, rule.clause, context), ownership)
            status = outcome.add(match, rule.effect, why_not)
            if findings is not None:
                findings.append(Finding(match, status, evidence, () if alone else weak))
        return outcome.verdict()

    def judge(self, raw: Raw, text: str, layer: Layer, context: ScanContext, sentences: SentenceMap | None,
              counters: list[Raw], windows: dict[tuple[int, int], tuple[str, set[str]]] | None = None,
              ) -> tuple[float, str | None, bool]:
        """Return the match's confidence, why it is withdrawn (None if it stands) and whether a lowering
        context word is near it. `windows` keeps the message's folded context windows for its other matches."""
        why_not = self._withdrawn(raw, text, layer, context, sentences, counters)
        if why_not is not None:
            return raw.rule.confidence, why_not, False
        return _with_context(raw, text, {} if windows is None else windows)

    def _withdrawn(self, raw: Raw, text: str, layer: Layer, context: ScanContext,
                   sentences: SentenceMap | None, counters: list[Raw]) -> str | None:
        rule = raw.rule
        if rule.audience is AudienceScope.UNDER18 and context.audience is not Audience.UNDER18:
            return "applies only where the audience may be under 18"
        if raw.in_layer and self._touches_allowlist(layer.text, raw.start, raw.end):
            return "allowlisted word"
        if rule.exceptions and _in_exception(rule, text, layer, raw):
            return "exception phrase"
        if raw.in_layer and rule.negatable and negated(layer.text, raw.start, raw.end):
            return "negated"
        if (raw.in_layer and sentences is not None and is_counterable_breach(raw)
                and any(sentences.challenges(layer.text, counter, raw) for counter in counters)):
            return "counter-speech or quoting to challenge"
        return None

    def _touches_allowlist(self, text: str, start: int, end: int) -> bool:
        """Whether the match begins or ends inside an allowlisted word ("cock" in "cocktail")."""
        if not self._allowlist:
            return False
        return word_at(text, start) in self._allowlist or word_at(text, end - 1) in self._allowlist


def _reading_order(raw: Raw) -> tuple[int, int, str]:
    """Candidates in the order the judge reads them: by start, the longest first, then by rule."""
    return raw.orig_start, -(raw.orig_end - raw.orig_start), raw.rule.id


def weaker_evidence(raw: Raw, layer: Layer, norm: Normalized | None) -> tuple[str, ...]:
    """Why a candidate rests on weaker evidence alone: every word of its whole match (not just the reported
    words) was re-spelled from a typo, split apart or joined from spaced-out letters ("f u c k"). Where the rest
    of the match stands in plain words (a hostile frame around one re-spelled word), those words corroborate it
    and nothing is returned."""
    weak, alone = weak_parts(raw, layer, norm)
    return weak if alone else ()


def weak_parts(raw: Raw, layer: Layer, norm: Normalized | None) -> tuple[tuple[str, ...], bool]:
    """The kinds of weaker evidence inside a candidate's whole match, and whether they are all of it (no plain
    word of the match stands outside them)."""
    if not raw.in_layer:
        return (), False
    start, end = layer.to_folded(raw.start, raw.end)
    weak = [(*layer.to_folded(begin, finish), why) for begin, finish, why in layer.weak
            if begin < raw.end and raw.start < finish]
    if norm is not None:
        weak.extend((begin, finish, SPACED) for begin, finish in norm.spaced_joins if begin < end and start < finish)
    if not weak:
        return (), False
    folded = norm.text if norm is not None else layer.text
    kinds = tuple(dict.fromkeys(why for _, _, why in weak))
    return kinds, not _plain_word_outside(folded, start, end, [(begin, finish) for begin, finish, _ in weak])


def _plain_word_outside(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Whether text[start:end] holds a letter or digit outside every one of `spans`."""
    at = start
    for begin, finish in sorted(spans):
        if begin > at and any(c.isalnum() for c in text[at:min(begin, end)]):
            return True
        at = max(at, finish)
        if at >= end:
            return False
    return any(c.isalnum() for c in text[at:end])


def _with_context(raw: Raw, text: str, windows: dict[tuple[int, int], tuple[str, set[str]]],
                  ) -> tuple[float, str | None, bool]:
    """The confidence after the rule's context words near the match; withdrawn if a required one is missing.
    A short message's matches share one window (the whole text): it is folded once, kept in `windows`."""
    confidence = raw.confidence
    ctx = raw.rule.context
    if not (ctx.raise_words or ctx.lower_words):
        return confidence, None, False
    bounds = (max(0, raw.orig_start - ctx.window), min(len(text), raw.orig_end + ctx.window))
    folded = windows.get(bounds)
    if folded is None:
        window = fold(text[bounds[0]: bounds[1]])
        folded = windows[bounds] = (window, set(WORD.findall(window)))
    window, near = folded
    raise_words, raise_phrases, lower_words, lower_phrases = _split_context(ctx)
    raised = len(raise_words.intersection(near)) + sum(1 for phrase in raise_phrases if phrase in window)
    lowered = (len(lower_words.intersection(near)) + sum(1 for phrase in lower_phrases if phrase in window)
               if ctx.lower_words else 0)
    if ctx.require and not raised:
        return confidence, "needs a context word nearby", False
    return max(0.0, min(1.0, confidence + 0.1 * raised - 0.3 * lowered)), None, lowered > 0


@lru_cache(maxsize=4096)
def _split_context(ctx: RuleContext) -> tuple[frozenset[str], tuple[str, ...], frozenset[str], tuple[str, ...]]:
    """A rule's raise and lower words, each split into single words (looked up among the window's words) and
    phrases (looked for in the window's text): split once per rule, not once per match."""
    return (frozenset(w for w in ctx.raise_words if " " not in w), tuple(w for w in ctx.raise_words if " " in w),
            frozenset(w for w in ctx.lower_words if " " not in w), tuple(w for w in ctx.lower_words if " " in w))


def word_at(text: str, position: int) -> str:
    """The word (letters, digits and apostrophes) around `position`."""
    left = right = position
    while left > 0 and (text[left - 1].isalnum() or text[left - 1] == "'"):
        left -= 1
    while right < len(text) and (text[right].isalnum() or text[right] == "'"):
        right += 1
    return text[left:right]


def _in_exception(rule: Rule, text: str, layer: Layer, raw: Raw) -> bool:
    if raw.in_layer:
        haystack, start, end = layer.text, raw.start, raw.end
    else:
        haystack, start, end = text.lower(), raw.orig_start, raw.orig_end
    for phrase in rule.exceptions:
        at = haystack.find(phrase, max(0, start - len(phrase)))
        while at != -1 and at < end:
            if (at <= start and end <= at + len(phrase)) or (at < end and start < at + len(phrase)):
                return True
            at = haystack.find(phrase, at + 1)
    return False


def negated(text: str, start: int, end: int) -> bool:
    """A negator in the match's last clause, or (for a one-clause match) among the few words before it.

    Idioms whose negative word negates nothing ("can't stand", "don't forget", "no doubt") are read past.
    """
    if _NEGATOR_CUE.search(text, max(0, start - 60), end) is None:
        return False  # every word read below is part of text[start - 60:end]: no negator there, none read
    inside = _NEGATION_IDIOMS.sub(" ", text[start:end])
    breaks = list(_CLAUSE_BREAK.finditer(inside))
    if breaks:  # a long match: only its final clause ("...won't change. let's eradicate them") can negate
        return any(w in NEGATORS for w in WORD.findall(inside[breaks[-1].end():]))
    if any(w in NEGATORS for w in WORD.findall(inside)):
        return True
    before = _NEGATION_IDIOMS.sub(" ", text[max(0, start - 60): start])
    clause_breaks = list(_CLAUSE_BREAK.finditer(before))
    if clause_breaks:
        before = before[clause_breaks[-1].end():]
    return any(w in NEGATORS for w in WORD.findall(before)[-_NEGATION_LOOKBACK:])


class SentenceMap:
    """Sentences and quotations of a text; punctuation inside quotes does not end a sentence."""

    __slots__ = ("_ends", "_quote_starts", "_quoted")

    def __init__(self, text: str) -> None:
        self._quoted = [(q.start(), q.end()) for q in _QUOTED.finditer(text)]  # in order, not overlapping
        self._quote_starts = [begin for begin, _ in self._quoted]
        self._ends = [mark.end() for mark in _SENTENCE_END.finditer(text) if not self._in_quote(mark.start())]

    def _in_quote(self, position: int) -> bool:
        at = bisect.bisect_right(self._quote_starts, position) - 1
        return at >= 0 and position < self._quoted[at][1]

    def index_of(self, position: int) -> int:
        """The number of the sentence holding `position` (0 for the first)."""
        return bisect.bisect_right(self._ends, position)

    def challenges(self, text: str, counter: Raw, breach: Raw) -> bool:
        """Whether a counter cue covers a breach: the breach is quoted in the cue's sentence, or sits in the
        same clause with no comma, semicolon or colon between them ("stop posting, you <slur>" is not covered)."""
        if self.index_of(counter.start) != self.index_of(breach.start):
            return False
        if self._in_quote(breach.start):
            return True
        gap = text[min(counter.end, breach.end): max(counter.start, breach.start)]
        return not _CLAUSE_PUNCTUATION.search(gap)
