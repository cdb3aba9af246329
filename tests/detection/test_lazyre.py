"""Patterns compiled on first use (bot.detection.lazyre) and what a warm `nudgebot scan` start imports."""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import regex

from bot.detection.lazyre import LazyPattern, lazy, re_compile, regex_compile


def test_a_lazy_pattern_compiles_on_first_use_and_then_matches_as_the_compiled_one() -> None:
    calls: list[tuple[str, int]] = []

    def counting(source: str, flags: int) -> re.Pattern[str]:
        calls.append((source, flags))
        return re.compile(source, flags)

    pattern = LazyPattern(counting, r"\bsam(?P<tail>my)?\b", re.I)
    assert pattern.pattern == r"\bsam(?P<tail>my)?\b" and pattern.flags == re.I and calls == []
    found = pattern.search("ask SAMMY tomorrow")
    assert found is not None and found.group("tail") == "MY"
    assert [m.group() for m in pattern.finditer("sam, sammy, samuel")] == ["sam", "sammy"]
    assert pattern.sub("X", "sam and sammy") == "X and X"
    assert calls == [(r"\bsam(?P<tail>my)?\b", re.I)]  # compiled once, however many methods are used


def test_a_lazy_pattern_survives_pickling_uncompiled() -> None:
    for compile_, flags in ((re_compile, re.I), (regex_compile, regex.I | regex.V1)):
        restored = pickle.loads(pickle.dumps(LazyPattern(compile_, r"b[o0]at", flags)))
        assert isinstance(restored, LazyPattern) and restored.__dict__.get("_compiled") is None
        assert restored.pattern == "b[o0]at" and restored.flags == flags
        assert restored.search("a B0AT trip") is not None
        assert restored.search("a coat") is None


def test_lazy_gives_a_standard_library_pattern() -> None:
    pattern = lazy(r"(\d+)-(\d+)")
    assert pattern.fullmatch("12-34") is not None and pattern.groups == 2
    assert isinstance(pattern.compiled(), re.Pattern)  # type: ignore[attr-defined]


def test_a_warm_scan_imports_no_library_that_only_building_or_validating_needs(clean_env, tmp_path: Path) -> None:
    # Run twice in fresh interpreters: the first builds the cache; the second, like every later `nudgebot scan`,
    # must not pay for YAML, the phone-number and ID-number libraries or the confusables table.
    probe = ("import json, sys\n"
             "from bot.cli import main\n"
             "code = main(['scan', '--text', sys.argv[1]])\n"
             "heavy = ('yaml', 'phonenumbers', 'stdnum', 'confusable_homoglyphs', 'difflib', 'importlib.metadata',"
             " 'aiosqlite', 'sqlite3', 'sqlalchemy', 'asyncpg', 'discord', 'slack_bolt', 'rich')\n"
             "print(json.dumps({'code': code, 'imported': sorted(m for m in heavy if m in sys.modules)}),"
             " file=sys.stderr)\n")
    messages = tmp_path / "one.txt"
    messages.write_text("see you at training\n", encoding="utf-8")
    env = {**clean_env, "NUDGEBOT_CACHE_DIR": str(tmp_path / "cache")}
    reports = []
    for _ in range(2):
        run = subprocess.run([sys.executable, "-c", probe, str(messages)], capture_output=True, text=True, env=env,
                             timeout=300, check=False)
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["flag"] is False
        reports.append(json.loads(run.stderr.strip().splitlines()[-1]))
    assert reports[0]["code"] == 0 and "yaml" in reports[0]["imported"]  # a cold start reads the packs
    assert reports[1] == {"code": 0, "imported": []}
