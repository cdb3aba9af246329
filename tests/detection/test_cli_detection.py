"""The real `nudgebot` detection commands: scan, explain, rules check. Each has one subprocess smoke test here
(`nudgebot_cmd`); the rest call the CLI in-process (`cli`), which compiles the built-in packs once per session."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_inprocess import InProcessCli

COMMITTEE_PACK = """
pack: committee-extra
description: A society's own rule, as a committee would write it.
rules:
  - id: society.rival-chant
    kind: terms
    clause: "5.5.3"
    category: Insulting another society
    severity: low
    terms: ["quizsoc are frauds"]
    description: Our AGM agreed not to repeat this chant about the quiz society.
    examples:
      match: ["honestly quizsoc are frauds"]
      no_match: ["quizsoc are fun"]
"""


def run(cmd: list[str], env: dict[str, str], *args: str, stdin: str = "", cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    """The real command in its own process (the smoke tests)."""
    return subprocess.run([*cmd, *args], input=stdin, capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120, check=False)


def test_scan_jsonl_keeps_order_ids_and_reports_spans(nudgebot_cmd, clean_env, tmp_path: Path) -> None:
    # The subprocess smoke test for `scan`.
    lines = [{"id": "a", "text": "see you at training at 7pm"},
             {"id": "b", "text": "call her on 07700 900123 she won't mind"},
             {"id": 3, "text": "fine here", "audience": "under18"}]
    result = run(nudgebot_cmd, clean_env, "scan", stdin="".join(json.dumps(x) + "\n" for x in lines),
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", 3]
    assert [o["flag"] for o in out] == [False, True, False]
    phone = [m for m in out[1]["matches"] if m["clause"] == "5.5.5"]
    assert phone and lines[1]["text"][phone[0]["start"]:phone[0]["end"]].replace(" ", "") == "07700900123"
    assert out[1]["clauses"] == ["5.5.5"]


def test_scan_plain_text_lines(cli: InProcessCli, tmp_path: Path) -> None:
    source = tmp_path / "chat.txt"
    source.write_text("hello all\nmy email is not here\n", encoding="utf-8")
    result = cli("scan", "--text", str(source))
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 2]


def test_scan_malformed_line_is_reported_and_the_rest_still_scanned(cli: InProcessCli) -> None:
    stdin = '{"id": 1, "text": "ok"}\nnot json\n{"id": 3}\n{"id": 4, "text": "fine"}\n'
    result = cli("scan", stdin=stdin)
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == [1, None, 3, 4]
    assert "error" in out[1] and "error" in out[2] and out[3]["flag"] is False
    assert "line 2: not JSON" in result.stderr and result.stderr.count("\n") == 1


def test_usage_error_exits_2_and_missing_file_exits_1(cli: InProcessCli, tmp_path: Path) -> None:
    assert cli("scan", "--audience", "toddlers").returncode == 2
    missing = cli("scan", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 1
    assert "cannot read" in missing.stderr and "Traceback" not in missing.stderr


def test_rules_check_builtin_packs_pass(nudgebot_cmd, clean_env) -> None:
    # The subprocess smoke test for `rules check`.
    result = run(nudgebot_cmd, clean_env, "rules", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All examples pass" in result.stdout
    for clause in ("5.2", "5.5.1", "5.5.2", "5.5.3", "5.5.4", "5.5.5"):
        assert clause in result.stdout


def test_rules_check_runs_a_committee_pack_and_catches_a_wrong_example(cli: InProcessCli, tmp_path: Path) -> None:
    pack_dir = tmp_path / "ours"
    pack_dir.mkdir()
    (pack_dir / "extra.yaml").write_text(COMMITTEE_PACK, encoding="utf-8")
    good = cli("rules", "check", str(pack_dir))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "1 rule," in good.stdout
    (pack_dir / "extra.yaml").write_text(COMMITTEE_PACK.replace('["quizsoc are fun"]', '["quizsoc are frauds"]'),
                                         encoding="utf-8")
    bad = cli("rules", "check", str(pack_dir))
    assert bad.returncode == 1
    assert "society.rival-chant" in bad.stdout and "should not match" in bad.stdout


def test_committee_pack_from_the_environment_is_used_by_scan(cli: InProcessCli, clean_env, tmp_path: Path) -> None:
    pack_dir = tmp_path / "ours"
    pack_dir.mkdir()
    (pack_dir / "extra.yaml").write_text(COMMITTEE_PACK, encoding="utf-8")
    env = {**clean_env, "NUDGEBOT_RULES_DIR": str(pack_dir)}
    result = cli("scan", "--text", stdin="honestly quizsoc are frauds\n", env=env)
    assert json.loads(result.stdout)["matches"][0]["rule"] == "society.rival-chant"


def test_broken_committee_pack_is_one_clear_line(cli: InProcessCli, tmp_path: Path) -> None:
    pack_dir = tmp_path / "ours"
    pack_dir.mkdir()
    (pack_dir / "bad.yaml").write_text("pack: x\nrules:\n  - id: boom\n    kind: pattern\n    clause: '5.5.1'\n"
                                       "    category: c\n    pattern: '(\\w+)*$'\n", encoding="utf-8")
    result = cli("rules", "check", str(pack_dir))
    assert result.returncode == 1
    assert "bad.yaml: rule 'boom': pattern rejected" in result.stderr
    assert "Traceback" not in result.stderr


def test_explain_shows_folding_and_the_rule(nudgebot_cmd, clean_env) -> None:
    # The subprocess smoke test for `explain`.
    result = run(nudgebot_cmd, clean_env, "explain", "ring me on 07700\u200b900123")
    assert result.returncode == 0, result.stderr
    assert "normalised:" in result.stdout and "5.5.5" in result.stdout


def test_scan_writes_whose_personal_data_it_is(cli: InProcessCli, tmp_path: Path) -> None:
    lines = [{"id": 1, "text": "here's lou's number 07700 900575"}, {"id": 2, "text": "07700 900576"},
             {"id": 3, "text": "text me on 07700 900577"}]
    result = cli("scan", stdin="".join(json.dumps(x) + "\n" for x in lines), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["flag"], o["review"]) for o in out] == [(True, False), (False, True), (False, False)]
    assert [m["ownership"] for m in out[0]["matches"]] == ["others"]
    assert [m["ownership"] for m in out[1]["matches"]] == ["unknown"]
