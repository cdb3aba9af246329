"""The words nudgebot sends: the private nudge to a poster, its masked excerpt, and committee alert text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.detection.clauses import PolicyBook
from bot.detection.rules import Rule, fold_words
from bot.models import CommitteeAlert, Match, Nudge, Platform
from bot.texts import MISTAKE_HINT, alert_title

EXCERPT_WINDOW = 40  # characters of context either side of the match shown in an excerpt
WORD_MASK = "*"
DIGIT_MASK = "\u2022"  # •
ELLIPSIS = "\u2026"
CORRECTION_CLAUSE = "5.6.6"
_SPACES = re.compile(r"\s+")
_CHUNK = re.compile(r"\S+")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")

_DEFAULT_GUIDANCE = "Please edit the message to remove the words shown, or delete it."
_CORRECTION_NOTE = "Once it's edited or deleted, nothing more is needed (clause 5.6.6)."
# Matches of this category (rules/explicit-illegal.yaml: explicit.minor) are always nudged and the committee's
# high-severity alert carries the safeguarding steps below.
SAFEGUARDING_CATEGORY = "Sexual content involving a child"
SAFEGUARDING_GUIDANCE = (
    "Safeguarding: this may be sexual content involving a child. Do not download, forward or screenshot it. "
    "Remove the message, keep the incident record, and tell the SU's safeguarding lead today. If a child is in "
    "danger call 999; otherwise report it to the police on 101 or to CEOP (ceop.police.uk), and report images "
    "to the Internet Watch Foundation (report.iwf.org.uk)."
)


def mask_span(span: str) -> str:
    """Mask offending words so they never show in full.

    A number (mostly digits: phone, student or card number) keeps at most its first 3 and last 3 digits
    ("07700 900123" -> "077•• •••123"); words keep only their first and last letter ("retard" -> "r****d").
    Short words keep less, so nothing is ever shown whole.
    """
    alnum = [i for i, ch in enumerate(span) if ch.isalnum()]
    if not alnum:
        return span
    digits = sum(1 for i in alnum if span[i].isdigit())
    if digits * 2 >= len(alnum):
        keep = min(3, len(alnum) // 3)
        shown = set(alnum[:keep]) | set(alnum[len(alnum) - keep:]) if keep else set()
        return "".join(ch if (i in shown or not ch.isalnum()) else DIGIT_MASK for i, ch in enumerate(span))
    return _CHUNK.sub(lambda m: _mask_word(m.group()), span)


def _mask_word(word: str) -> str:
    alnum = [i for i, ch in enumerate(word) if ch.isalnum()]
    if not alnum:
        return word
    if len(alnum) == 1:
        shown: set[int] = set()
    elif len(alnum) == 2:
        shown = {alnum[0]}
    else:
        shown = {alnum[0], alnum[-1]}
    first, last = alnum[0], alnum[-1]
    # Everything between the first and last letter is masked, apostrophes and dots included ("you're" -> "y****e").
    return "".join(ch if (i in shown or i < first or i > last) else WORD_MASK for i, ch in enumerate(word))


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def offending_words(rule: Rule) -> frozenset[str]:
    """The folded words whose presence makes `rule` fire: its required words, else its one-word triggers.

    "anyone want pills" fires illegal.drugs because of "pills"; "Vegans are all terrorists" fires because of
    "terrorists". These are the words a masked excerpt hides; the rest of a matched phrase stays readable.
    """
    if rule.requires:
        return rule.requires
    return frozenset(fold_words(t) for t in rule.triggers if " " not in fold_words(t))


def word_matches(text: str, matches: Sequence[Match], rules: Iterable[Rule]) -> tuple[Match, ...]:
    """`matches` narrowed to their offending words, so that only those are masked.

    A match that already covers one word, a number (personal data keeps its partial mask) or a phrase in which
    no offending word can be found is kept whole: when in doubt, mask more.
    """
    wanted = {m.rule_id for m in matches}
    by_id = {rule.id: rule for rule in rules if rule.id in wanted}
    narrowed: list[Match] = []
    for match in matches:
        rule = by_id.get(match.rule_id)
        span = text[match.start:match.end]
        words = list(_WORD.finditer(span))
        if rule is None or len(words) < 2 or _numeric(span):
            narrowed.append(match)
            continue
        offending = offending_words(rule)
        hits = [w for w in words if fold_words(w.group()) in offending]
        if not hits:
            narrowed.append(match)
            continue
        narrowed.extend(replace(match, start=match.start + w.start(), end=match.start + w.end()) for w in hits)
    return tuple(narrowed)


def _numeric(span: str) -> bool:
    alnum = [ch for ch in span if ch.isalnum()]
    return bool(alnum) and sum(ch.isdigit() for ch in alnum) * 2 >= len(alnum)


def masked_excerpt(text: str, matches: Sequence[Match], focus: Match | None = None,
                   window: int = EXCERPT_WINDOW, rules: Iterable[Rule] | None = None) -> str:
    """The part of `text` around `focus` (default: the first match) with every offending word masked.

    Given the `rules` that matched, only the offending words of each match are masked (`word_matches`);
    without them every matched span is masked whole. Long messages are trimmed to whole words within `window`
    characters either side, marked with "…"; line breaks become spaces so the excerpt fits on one line.
    """
    if rules is not None:
        matches = word_matches(text, matches, rules)
    spans = _merged((max(0, m.start), min(len(text), m.end)) for m in matches if m.end > m.start)
    if not spans:
        return _trim(text[: 2 * window])
    centre = (focus.start, focus.end) if focus is not None else spans[0]
    start = max(0, centre[0] - window)
    end = min(len(text), centre[1] + window)
    # Whole words only at the edges, and never half a match: a cut match would show its unmasked remainder.
    start = _word_edge(text, start, -1)
    end = _word_edge(text, end, +1)
    for s, e in spans:
        if s < end and e > start:
            start, end = min(start, s), max(end, e)
    pieces: list[str] = []
    cursor = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        pieces.append(text[cursor:s])
        pieces.append(mask_span(text[s:e]))
        cursor = e
    pieces.append(text[cursor:end])
    body = _SPACES.sub(" ", "".join(pieces)).strip()
    return f"{ELLIPSIS if start > 0 else ''}{body}{ELLIPSIS if end < len(text) else ''}"


def _word_edge(text: str, position: int, step: int, reach: int = 15) -> int:
    """Move a cut outward to the nearest space within `reach` characters, so the excerpt keeps whole words."""
    for moved in range(reach + 1):
        at = position + step * moved
        if at <= 0 or at >= len(text):
            return max(0, min(len(text), at))
        if (text[at - 1] if step < 0 else text[at]).isspace():
            return at
    return position


def _trim(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def primary_match(matches: Sequence[Match]) -> Match | None:
    """The match a nudge is about: the most severe, then the most confident, then the earliest."""
    if not matches:
        return None
    return min(matches, key=lambda m: (-m.severity.rank, -m.confidence, m.start))


def lookup_hint(clause_id: str, platform: Platform | None = None) -> str:
    """How to read the clause: Discord's `/policy clause 5.5.1`, elsewhere `/policy 5.5.1`."""
    command = "/policy clause" if platform is Platform.DISCORD else "/policy"
    return f"Read the clause any time with {command} {clause_id}."


def build_nudge(*, incident_id: int, platform: Platform, community_id: str, channel_id: str, message_id: str,
                recipient_id: str, clauses: Sequence[str], category: str, excerpt: str, policy: PolicyBook,
                permalink: str = "") -> Nudge:
    """The structured nudge for an incident; `clauses[0]` is the clause it is about and `excerpt` is masked."""
    clause_id = clauses[0] if clauses else CORRECTION_CLAUSE
    clause = policy.get(clause_id)
    heading = clause.heading if clause else "Social Media Policy"
    plain = clause.summary if clause and clause.summary else "Posts should be respectful and safe for everyone."
    guidance = clause.guidance if clause and clause.guidance else _DEFAULT_GUIDANCE
    return Nudge(
        incident_id=incident_id,
        platform=platform,
        community_id=community_id,
        channel_id=channel_id,
        message_id=message_id,
        recipient_id=recipient_id,
        clause_id=clause_id,
        clause_heading=heading,
        plain_words=plain,
        category=category or "Possible breach",
        excerpt=excerpt,
        what_to_do=f"{guidance} {_CORRECTION_NOTE}",
        lookup_hint=lookup_hint(clause_id, platform),
        mistake_hint=MISTAKE_HINT,
        permalink=permalink,
        extra_clauses=tuple(c for c in dict.fromkeys(clauses[1:]) if c != clause_id),
    )


def nudge_text(nudge: Nudge) -> str:
    """The plain-text form of a nudge (console, fallback direct message)."""
    return nudge.to_text()


def render_alert_text(alert: CommitteeAlert) -> str:
    """The plain-text form of a committee alert; it holds ids and masked excerpts only, never full content."""
    lines = [f"[nudgebot] {alert_title(alert.kind)}", alert.summary]
    details = []
    if alert.severity is not None:
        details.append(f"severity {alert.severity.value}")
    if alert.incident_ids:
        details.append("incident" + ("s" if len(alert.incident_ids) > 1 else "") + " "
                       + ", ".join(f"#{i}" for i in alert.incident_ids))
    if alert.escalation_id is not None:
        details.append(f"escalation #{alert.escalation_id}")
    if alert.channel_id:
        details.append(f"channel {alert.channel_id}")
    if alert.author_id:
        details.append(f"author {alert.author_id}")
    if alert.target_id:
        details.append(f"target {alert.target_id}")
    if details:
        lines.append("; ".join(details))
    if alert.permalink:
        lines.append(f"Message: {alert.permalink}")
    if alert.incident_ids:
        lines.append(f"Review with /incidents show {alert.incident_ids[0]}")
    return "\n".join(lines)
