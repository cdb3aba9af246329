"""The clauses of the Social Media Policy, loaded from rules/policy.yaml, with look-up and search."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import RulePackError, yaml_problem
from bot.models import clause_sort_key
from bot.resources import rules_dir

_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = frozenset({"a", "an", "and", "are", "be", "can", "do", "for", "i", "in", "is", "it", "of", "on",
                         "or", "the", "to", "what", "with", "my", "me", "about", "policy", "clause"})
_REQUIRED = ("id", "section", "heading", "text", "summary", "guidance")


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause: its id, heading, the text as written, a plain-words summary and what to do now."""

    id: str
    section: str
    heading: str
    text: str
    summary: str
    guidance: str
    keywords: str = ""


class PolicyBook:
    """All clauses, in policy order, for look-up by id and search by words."""

    def __init__(self, clauses: Iterable[Clause]) -> None:
        self._clauses = sorted(clauses, key=lambda c: clause_sort_key(c.id))
        self._by_id = {c.id: c for c in self._clauses}
        self._words = {c.id: _stems(f"{c.heading} {c.text} {c.summary} {c.keywords}") for c in self._clauses}
        self._heading_words = {c.id: _stems(c.heading) for c in self._clauses}
        frequency = Counter(word for words in self._words.values() for word in words)
        # Words in many clauses ("student", "group") say little about which clause is meant.
        self._weight = {w: math.log((1 + len(self._clauses)) / n) for w, n in frequency.items()}

    def get(self, clause_id: str) -> Clause | None:
        """The clause with this id ("5.5.1"), or None."""
        return self._by_id.get(clause_id.strip().rstrip("."))

    def all(self) -> list[Clause]:
        """Every clause in policy order."""
        return list(self._clauses)

    def search(self, words: str, limit: int = 5) -> list[Clause]:
        """Clauses about these words, best first (rarer words and heading words count more); an id finds its
        clause."""
        exact = self.get(words)
        if exact is not None:
            return [exact]
        wanted = _stems(words) - _STOP_WORDS
        if not wanted:
            return []
        scored = []
        for clause in self._clauses:
            hits = (wanted & self._words[clause.id]) | (wanted & self._heading_words[clause.id])
            score = sum(self._weight.get(w, 0.0) * (2 if w in self._heading_words[clause.id] else 1) for w in hits)
            if score > 0:
                scored.append((-score, clause_sort_key(clause.id), clause))
        if not scored:
            return []
        best = -min(scored)[0]
        # Keep the clauses that are nearly as good as the best, not every clause sharing one common word.
        return [clause for score, _, clause in sorted(scored)[:limit] if -score >= best / 2]

    def complete(self, prefix: str, limit: int = 25) -> list[Clause]:
        """Clauses whose id or heading starts with, or contains, the prefix (for autocomplete)."""
        prefix = prefix.strip().lower()
        starts = [c for c in self._clauses if c.id.startswith(prefix) or c.heading.lower().startswith(prefix)]
        contains = [c for c in self._clauses if c not in starts and prefix in f"{c.id} {c.heading}".lower()]
        return (starts + contains)[:limit]


def _stems(text: str) -> set[str]:
    """Lowercase words with a plural or -ing ending trimmed, so "insulting" finds "insults"."""
    stems = set()
    for word in _WORD.findall(text.lower()):
        for suffix in ("ing", "ed", "es", "s"):
            if len(word) > len(suffix) + 3 and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
        stems.add(word)
    return stems


def load_policy(path: Path | None = None) -> PolicyBook:
    """Load the clauses from `path` (default: the bundled rules/policy.yaml)."""
    source = path or rules_dir() / "policy.yaml"
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulePackError(str(source), f"cannot read the policy: {yaml_problem(exc, source)}") from None
    except OSError as exc:
        raise RulePackError(str(source), f"cannot read the policy: {exc}") from None
    raw = data.get("clauses") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        raise RulePackError(str(source), "expected a 'clauses:' list")
    clauses = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or any(not isinstance(item.get(k), str) for k in _REQUIRED):
            raise RulePackError(str(source), f"clause #{index} needs the string fields {', '.join(_REQUIRED)}")
        keywords = item.get("keywords", "")
        clauses.append(Clause(**{k: item[k].strip() for k in _REQUIRED}, keywords=str(keywords or "")))
    ids = [c.id for c in clauses]
    if len(set(ids)) != len(ids):
        raise RulePackError(str(source), "a clause id appears twice")
    return PolicyBook(clauses)
