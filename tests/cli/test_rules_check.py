"""`nudgebot rules check DIR` stops the mistakes a committee makes: a folder with no packs, a clause the policy
does not have, a misspelt key (with a "did you mean"), and errors that name the folder given, not a variable.
In-process: the real process of `rules check` is tests/detection/test_cli_detection.py's."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Cli

RULE = """
pack: committee-own
rules:
  - id: society.rival-chant
    kind: terms
    clause: "{clause}"
    category: Insulting another society
    severity: low
    {terms_key}: ["chessoc are cheats"]
    examples:
      match: ["honestly chessoc are cheats"]
      no_match: ["chessoc are champions"]
"""


def _pack(folder: Path, clause: str = "5.5.3", terms_key: str = "terms") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ours.yaml").write_text(RULE.format(clause=clause, terms_key=terms_key), encoding="utf-8")
    return folder


def test_a_good_pack_passes(cli: Cli, tmp_path: Path) -> None:
    ran = cli("rules", "check", _pack(tmp_path / "packs"))
    assert ran.code == 0, ran.out + ran.err
    assert "1 pack, 1 rule," in ran.out


def test_a_folder_with_no_packs_fails(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "packs"
    empty.mkdir()
    (empty / "notes.txt").write_text("rules to write after the AGM\n", encoding="utf-8")
    ran = cli("rules", "check", empty)
    assert ran.code == 1
    assert ran.err_lines == [f"nudgebot: {empty}: no rule packs here (a pack is a .yaml file); write one, or check "
                             "the folder"]


def test_a_clause_the_policy_does_not_have_fails(cli: Cli, tmp_path: Path) -> None:
    ran = cli("rules", "check", _pack(tmp_path / "packs", clause="9.9.9"))
    assert ran.code == 1
    assert "society.rival-chant" in ran.err + ran.out and "9.9.9" in ran.err + ran.out
    assert "not a clause of the Social Media Policy" in ran.err + ran.out
    assert "nudgebot policy" in ran.err + ran.out  # where to look the right one up


def test_a_misspelt_key_gets_a_did_you_mean(cli: Cli, tmp_path: Path) -> None:
    ran = cli("rules", "check", _pack(tmp_path / "packs", terms_key="trems"))
    assert ran.code == 1 and len(ran.err_lines) == 1, ran.err
    assert "'trems'" in ran.err and "did you mean 'terms'?" in ran.err and "society.rival-chant" in ran.err


def test_a_folder_given_as_an_argument_is_named_not_the_variable(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    ran = cli("rules", "check", missing)
    assert ran.code == 1 and len(ran.err_lines) == 1, ran.err
    assert str(missing) in ran.err and "NUDGEBOT_RULES_DIR" not in ran.err
    from_env = cli("rules", "check", env={"NUDGEBOT_RULES_DIR": str(missing)})
    assert from_env.code == 1 and "NUDGEBOT_RULES_DIR" in from_env.err and str(missing) in from_env.err

