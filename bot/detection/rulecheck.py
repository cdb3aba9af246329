"""Runs every rule's own examples, so a committee's rule is tested before it goes live (`nudgebot rules check`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.detection.clauses import PolicyBook
from bot.detection.rules import AudienceScope, Rule
from bot.detection.scanner import Scanner
from bot.models import Audience, ScanContext

_FIRED = frozenset({"breach", "welfare", "counter"})


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    """One example that did not behave as its rule says."""

    rule_id: str
    source: str
    example: str
    expected_match: bool
    detail: str


def fires(scanner: Scanner, rule: Rule, text: str) -> tuple[bool, str]:
    """Whether `rule` fires on `text` (in the audience it applies to), and what else happened to it."""
    audience = Audience.UNDER18 if rule.audience is AudienceScope.UNDER18 else Audience.GENERAL
    explanation = scanner.explain(text, ScanContext(audience=audience))
    statuses = [f.status for f in explanation.findings if f.match.rule_id == rule.id]
    return any(s in _FIRED for s in statuses), "; ".join(s for s in statuses if s not in _FIRED)


def check_examples(scanner: Scanner, rules: tuple[Rule, ...] | None = None) -> list[ExampleFailure]:
    """Run the match / no_match examples of the given rules (default: all) and return the failures."""
    failures: list[ExampleFailure] = []
    for rule in rules if rules is not None else scanner.rule_set.rules:
        for text in rule.examples_match:
            fired, detail = fires(scanner, rule, text)
            if not fired:
                failures.append(ExampleFailure(rule.id, rule.source, text, True, detail or "no match"))
        for text in rule.examples_no_match:
            fired, _ = fires(scanner, rule, text)
            if fired:
                failures.append(ExampleFailure(rule.id, rule.source, text, False, "matched"))
    return failures


def unknown_clauses(policy: PolicyBook, rules: tuple[Rule, ...]) -> list[Rule]:
    """The rules citing a clause the policy does not have: their nudges would point members at nothing."""
    return [rule for rule in rules if policy.get(rule.clause) is None]


def summary_by_clause(rules: tuple[Rule, ...]) -> dict[str, Counter[str]]:
    """Count rules per clause and kind, for the committee's overview."""
    summary: dict[str, Counter[str]] = {}
    for rule in rules:
        summary.setdefault(rule.clause, Counter())[str(rule.kind)] += 1
    return summary
