"""The built-scanner cache: a changed pack is used on the next run, a corrupt cache is replaced, never trusted."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_inprocess import InProcessCli

PACK = """
pack: committee
rules:
  - id: committee.first
    kind: terms
    clause: "5.5.3"
    category: A committee word
    terms: ["{word}"]
"""


def _scan(cmd: list[str], env: dict[str, str], rules: Path, text: str) -> dict:
    result = subprocess.run([*cmd, "scan", "--text", "--rules-dir", str(rules)], input=text + "\n",
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_editing_a_committee_pack_invalidates_the_cache(nudgebot_cmd, clean_env, cli: InProcessCli,
                                                        tmp_path: Path) -> None:
    env = {**clean_env, "NUDGEBOT_CACHE_DIR": str(tmp_path / "cache")}
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "committee.yaml").write_text(PACK.format(word="quokkabrain"), encoding="utf-8")
    # The cache is written here (the same command in this process) and read by a real second process after the
    # edit: one cold process instead of two, each of which compiled every pack.
    first = _scan_here(cli, env, rules, "you quokkabrain, honestly wombatbrain")
    assert [m["rule"] for m in first["matches"]] == ["committee.first"]
    cache_file = tmp_path / "cache" / "scanner.pickle"
    assert cache_file.is_file()
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700
    (rules / "committee.yaml").write_text(PACK.format(word="wombatbrain"), encoding="utf-8")
    second = _scan(nudgebot_cmd, env, rules, "you quokkabrain, honestly wombatbrain")
    text = "you quokkabrain, honestly wombatbrain"
    assert [text[m["start"]:m["end"]] for m in second["matches"]] == ["wombatbrain"]


def _scan_here(cli: InProcessCli, env: dict[str, str], rules: Path, text: str) -> dict:
    """The same command in this process (the cache is the file on disk either way)."""
    result = cli("scan", "--text", "--rules-dir", rules, stdin=text + "\n", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_corrupt_cache_is_ignored_and_replaced(cli: InProcessCli, clean_env, tmp_path: Path) -> None:
    env = {**clean_env, "NUDGEBOT_CACHE_DIR": str(tmp_path / "cache")}
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "committee.yaml").write_text(PACK.format(word="quokkabrain"), encoding="utf-8")
    _scan_here(cli, env, rules, "warm up")
    cache_file = tmp_path / "cache" / "scanner.pickle"
    good = cache_file.read_bytes()
    header_end = good.index(b"\n", good.index(b"\n") + 1) + 1
    corrupt = good[:header_end] + b"\x80\x05not a pickle" + good[header_end + 40:]
    cache_file.write_bytes(corrupt)
    assert [m["rule"] for m in _scan_here(cli, env, rules, "you quokkabrain")["matches"]] == ["committee.first"]
    replaced = cache_file.read_bytes()
    assert replaced != corrupt and replaced[:header_end] == good[:header_end]


def test_an_unwritable_cache_directory_only_means_no_cache(cli: InProcessCli, clean_env, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory would be", encoding="utf-8")
    env = {**clean_env, "NUDGEBOT_CACHE_DIR": str(blocker / "cache")}
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "committee.yaml").write_text(PACK.format(word="quokkabrain"), encoding="utf-8")
    assert _scan_here(cli, env, rules, "you quokkabrain")["matches"]
