"""The scanner a bot warms before connecting has nothing left to compile when the first messages arrive."""

from __future__ import annotations

from bot.detection.kinds.pattern import PatternMatcher
from bot.detection.lazyre import LazyPattern
from bot.detection.scanner import Scanner
from bot.runtime.warmup import warm_scanner


def _not_ready(scanner: Scanner) -> list[str]:
    """Pattern rules whose pattern or `re` prefilter would still be compiled by the next message reaching them."""
    matchers = [m for m in scanner._gated if isinstance(m, PatternMatcher)]
    rules = [r for r in scanner.rule_set.rules if str(r.kind) == "pattern"]
    return [rule.id for rule in rules
            if (isinstance(rule.compiled, LazyPattern) and rule.compiled._compiled is None)
            or any(rule.id not in m._plain for m in matchers)]


def test_warming_scans_every_rules_examples_and_leaves_no_pattern_to_compile() -> None:
    scanner = Scanner.from_directories()  # a fresh copy (from the scanner cache): compiled on first use
    assert _not_ready(scanner), "a fresh scanner should still have patterns to compile, or this test shows nothing"

    scanned = warm_scanner(scanner)

    assert scanned == sum(len(rule.examples_match) for rule in scanner.rule_set.rules) > 0
    assert _not_ready(scanner) == []
