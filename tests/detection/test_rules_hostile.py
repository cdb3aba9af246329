"""Hostile rule packs: a committee's pattern that could stall a scan is rejected at load with its file, rule and
reason, deterministically (by its shape, never by a stopwatch); one that gets past the checks cannot stall a
scan, because the regex timeout holds and the rule is named in the log, never the message. Both paths also
through the real CLI."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from pathlib import Path

import pytest
import regex

import bot.detection.kinds.pattern
from bot.detection.pattern_safety import readable, structural_risk
from bot.detection.rules import check_pattern_safety, load_rule_set
from bot.detection.scanner import Scanner, ScannerSettings
from bot.errors import RulePackError
from bot.models import ScanContext
from bot.resources import rules_dir
from tests.cli_inprocess import InProcessCli

CATASTROPHIC = [
    (r"(a+)+$", "nested quantifiers"),
    (r"(\w+\s*)+$", "nested quantifiers"),
    (r"(.*a){20}", "nested quantifiers"),
    (r"(?:\d+-?)+$", "nested quantifiers"),
    (r"(?:a*)*b", "nested quantifiers"),
    (r"(a|a)*$", "branches that match the same text"),
    (r"(?:foo|foo)+!", "branches that match the same text"),
    (r"(a|aa)+$", "could also start the next repetition"),
    (r"(?:a|b|ab)*c", "could also start the next repetition"),
    (r"a{100000}", "counted repetition"),
    (r"(?:(?:a{100}){100}){100}", "multiply"),
    (r"(a*)\1", "backreference"),
]
SAFE = [
    r"\b(?:\w+\s+){0,3}hate\b",
    r"\b(?:(?:very|so|really)\s+)*awful\b",
    r"\bi\s+hate\s+(?:all\s+)?\w+",
    r"(?:so|such|a|such\s+a)\s+idiot",  # bounded to once: harmless even where readings overlap
    r"(?:\d{3}[ -]?){2}\d{4}",
    r"[a-z]+ists?\b",
]
# Passes the load checks (Python's parser cannot read \p{Lu}, and the probes hold no "hate") yet backtracks
# exponentially on "hate xxxx...": folded text is lowercase, so the look-ahead always fails.
SNEAKY = r"\bhate\s+(?:x|xx)+(?=\p{Lu})"


def _pack(pattern: str, rule_id: str = "committee.bad", examples: str = "") -> str:
    quoted = pattern.replace("'", "''")
    return ("pack: committee\nrules:\n"
            f"  - id: {rule_id}\n    kind: pattern\n    clause: '5.5.1'\n    category: Hostile\n"
            f"    triggers: [hate]\n    pattern: '{quoted}'\n{examples}")


def _write(directory: Path, pattern: str, rule_id: str = "committee.bad", examples: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "committee.yaml").write_text(_pack(pattern, rule_id, examples), encoding="utf-8")
    return directory


@pytest.mark.parametrize(("pattern", "reason"), CATASTROPHIC)
def test_a_catastrophic_pattern_is_rejected_with_file_rule_and_reason(tmp_path: Path, pattern: str,
                                                                     reason: str) -> None:
    directory = _write(tmp_path, pattern)
    with pytest.raises(RulePackError) as caught:
        load_rule_set([directory], validator_names=[])
    message = str(caught.value)
    assert str(directory / "committee.yaml") in message
    assert "'committee.bad'" in message
    assert reason in message


@pytest.mark.parametrize(("pattern", "reason"), CATASTROPHIC)
def test_the_rejection_is_decided_by_shape_not_by_time(pattern: str, reason: str) -> None:
    # No probe runs at all, so no timing can be involved: the same reason comes from the parse tree alone.
    found = check_pattern_safety(regex.compile(pattern), pattern, probe=False)
    assert found is not None and reason in found
    assert structural_risk(pattern) == found


@pytest.mark.parametrize("pattern", SAFE)
def test_safe_shapes_load(tmp_path: Path, pattern: str) -> None:
    assert structural_risk(pattern) is None
    rule_set = load_rule_set([_write(tmp_path, pattern)], validator_names=[])
    assert [r.id for r in rule_set.rules] == ["committee.bad"]


def test_every_built_in_pattern_passes_the_structural_check() -> None:
    rule_set = load_rule_set([rules_dir()], validator_names=None)
    patterns = [rule for rule in rule_set.rules if rule.compiled is not None]
    assert patterns
    for rule in patterns:
        assert readable(rule.compiled.pattern), rule.id  # so the check really looked at it
        assert structural_risk(rule.compiled.pattern) is None, rule.id


def test_built_in_packs_are_never_rejected_by_a_timing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A probe limit no pattern can meet stands for the slowest machine: the built-in packs still load ...
    monkeypatch.setattr(bot.detection.kinds.pattern, "_PROBE_LIMIT", 1e-9)
    rule_set = load_rule_set([rules_dir()], validator_names=None)
    assert len(rule_set.rules) > 20
    # ... while a committee's pack is probed, and this limit rejects it, naming the probe.
    with pytest.raises(RulePackError, match="probe"):
        load_rule_set([_write(tmp_path, r"\bhate\s+\w+")], validator_names=[])


@pytest.mark.timeout(60)
def test_a_pattern_that_got_past_the_checks_cannot_stall_a_scan(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    rule_set = load_rule_set([_write(tmp_path, SNEAKY)], validator_names=[])
    scanner = Scanner(rule_set, ScannerSettings(pattern_timeout=0.05), validators={})
    text = "hate " + "x" * 80 + " qwertyuiop"  # unguarded: some 10**16 ways to split the x's
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        verdicts = [scanner.scan(text, ScanContext()) for _ in range(3)]
    assert time.monotonic() - started < 30  # a generous bound: each scan costs one 0.05 s timeout
    assert all(not v.matches for v in verdicts)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot.detection.")]
    assert len(warnings) == 3
    for record in warnings:
        assert "committee.bad" in record.getMessage()
        assert "qwertyuiop" not in record.getMessage() and "xxxx" not in record.getMessage()
        assert "qwertyuiop" not in str(record.__dict__)


def _run(cmd: list[str], env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*cmd, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120,
                          check=False)


def test_cli_rules_check_exits_1_naming_file_rule_and_reason(cli: InProcessCli, tmp_path: Path) -> None:
    directory = _write(tmp_path / "pack", r"(\w+\s*)+$", rule_id="committee.nested")
    result = cli("rules", "check", str(directory))
    assert result.returncode == 1, result.stdout + result.stderr
    assert str(directory / "committee.yaml") in result.stderr
    assert "committee.nested" in result.stderr and "nested quantifiers" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_scan_with_a_stalling_pack_returns_promptly(nudgebot_cmd, clean_env, tmp_path: Path) -> None:
    directory = _write(tmp_path / "pack", SNEAKY, rule_id="committee.sneaky")
    lines = [{"id": 1, "text": "hate " + "x" * 80 + " qwertyuiop"}, {"id": 2, "text": "I hate wizards"},
             {"id": 3, "text": "see you at 7pm"}]
    started = time.monotonic()
    result = _run(nudgebot_cmd, clean_env, "scan", "--rules-dir", str(directory),
                  stdin="".join(json.dumps(line) + "\n" for line in lines))
    assert time.monotonic() - started < 100  # it returned: the 120 s subprocess timeout was never reached
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 2, 3]
    assert "committee.sneaky" in result.stderr and "timed out" in result.stderr
    assert "qwertyuiop" not in result.stderr and "xxxx" not in result.stderr
