"""One reading of --since/--until for every command (a named day is included whole), and one set of exit codes:
0 done, 1 failed or a check found problems, 2 the command line was wrong."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, at, fill, run_nudgebot
from tests.core.test_store_methods import new

REPO_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)


def _counted(cli: Cli, db: Path, *window: str) -> dict[str, int]:
    """How many incidents `incidents list`, `incidents stats` and `report` each see in the window."""
    listed = cli("incidents", "list", "--json", "--db", db, *window)
    stats = cli("incidents", "stats", "--json", "--db", db, *window)
    report = cli("report", "--db", db, "--out", db.parent / "r.html", *window)
    assert (listed.code, stats.code, report.code) == (0, 0, 0), listed.err + stats.err + report.err
    reported = re.search(r": (\d+) incidents", report.out)
    assert reported, report.out
    return {"list": json.loads(listed.out)["total"], "stats": json.loads(stats.out)["total"],
            "report": int(reported.group(1))}


def test_until_a_day_includes_that_whole_day_in_every_command(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    fill(db, [new("a", at=at("2026-11-19T12:00")), new("b", at=at("2026-11-20T00:00")),
              new("c", at=at("2026-11-20T23:59:59")), new("d", at=at("2026-11-21T00:00"))])
    assert _counted(cli, db, "--until", "2026-11-20") == {"list": 3, "stats": 3, "report": 3}
    assert _counted(cli, db, "--since", "2026-11-20", "--until", "2026-11-20") == {"list": 2, "stats": 2, "report": 2}
    assert _counted(cli, db, "--since", "2026-11-21") == {"list": 1, "stats": 1, "report": 1}
    # An exact time is included too: up to and including that moment.
    assert _counted(cli, db, "--until", "2026-11-20T23:59:59") == {"list": 3, "stats": 3, "report": 3}


def test_since_4w_works_for_report_stats_and_list(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    fill(db, [new("recent", at=NOW - timedelta(weeks=3)), new("old", at=NOW - timedelta(weeks=5))])
    assert _counted(cli, db, "--since", "4w") == {"list": 1, "stats": 1, "report": 1}
    assert _counted(cli, db, "--since", "40d", "--until", "4w") == {"list": 1, "stats": 1, "report": 1}


def test_the_parser_itself() -> None:
    from bot.cli.dates import since_moment, until_moment

    now = at("2026-11-30T10:00")
    assert since_moment("2026-11-20") == at("2026-11-20T00:00")
    assert until_moment("2026-11-20") == at("2026-11-21T00:00")
    assert until_moment("2026-11-20T18:00+01:00") == at("2026-11-20T17:00:00.000001")
    assert since_moment("4w", now) == at("2026-11-02T10:00") and since_moment("12h", now) == at("2026-11-29T22:00")


@pytest.mark.parametrize("args", [
    (), ("incidents",), ("db",), ("rules",), ("incidents", "list", "--limit", "0"),
    ("incidents", "list", "--limit", "1001"), ("incidents", "list", "--offset", "-1"),
    ("incidents", "list", "--since", "last tuesday"), ("report", "--until", "soon"), ("incidents", "frobnicate"),
    ("incidents", "stats", "--since", "2026-11-20", "--until", "2026-11-19"),
    ("report", "--since", "2026-11-21", "--until", "2026-11-20"), ("audit", "x", "--since", "05/10/2026"),
    ("scan", "--audience", "toddlers"),
], ids=lambda a: " ".join(a) or "(nothing)")
def test_usage_errors_exit_2(cli: Cli, tmp_path: Path, args: tuple[str, ...]) -> None:
    db = tmp_path / "n.db"
    fill(db)
    ran = cli(*args, *(["--db", db] if args[:1] in (("incidents",), ("report",)) and len(args) > 2 else []))
    assert ran.code == 2, ran.err
    assert "Traceback" not in ran.err


def test_failures_and_checks_that_found_problems_exit_1(cli: Cli, tmp_path: Path) -> None:
    assert cli("incidents", "list", "--db", tmp_path / "absent.db").code == 1
    db = tmp_path / "n.db"
    fill(db)
    assert cli("incidents", "show", "999", "--db", db).code == 1
    empty = tmp_path / "empty.db"
    empty.touch()
    assert cli("db", "status", "--db", empty).code == 1  # pending migrations found
    stdin = tmp_path / "in.jsonl"
    stdin.write_text('{"id": 1, "text": "fine"}\nnot json\n', encoding="utf-8")
    assert cli("scan", stdin).code == 1  # a line could not be read


def test_success_exits_0(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    fill(db)
    for args in (("incidents", "list"), ("db", "status"), ("policy", "5.5.1"), ("--help",), ("incidents", "--help")):
        assert cli(*args, *(["--db", db] if args[0] in ("incidents", "db") and "--help" not in args else [])).code \
            == 0, args


def test_the_codes_are_named_once_in_the_code() -> None:
    from bot.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE

    assert (EXIT_OK, EXIT_FAILURE, EXIT_USAGE) == (0, 1, 2)


def test_the_exit_codes_through_a_real_process(nudgebot_cmd: list[str], clean_env: dict[str, str]) -> None:
    assert run_nudgebot(nudgebot_cmd, clean_env, "incidents", "list", "--limit", "0").code == 2
    assert run_nudgebot(nudgebot_cmd, clean_env, "incidents", "list").code == 1  # no database yet
    assert run_nudgebot(nudgebot_cmd, clean_env, "policy", "5.5.1").code == 0


def test_the_exit_codes_are_documented_once_and_the_guides_agree() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Exit codes"):]
    section = section[:section.index("\n## ", 4)]
    table = dict(re.findall(r"^\| `(\d)` \| ([^|]+) \|", section, flags=re.MULTILINE))
    assert set(table) == {"0", "1", "2"}, section
    assert "usage" in table["2"] and "check" in table["1"]
    for guide in (REPO_ROOT / "docs").glob("*.md"):
        text = guide.read_text(encoding="utf-8")
        stale = re.findall(r"exit(?:s| code)? 2\b(?! for usage)|2 for bad input|1 for usage", text)
        assert not stale, f"{guide.name}: {stale}"
    slack = (REPO_ROOT / "docs" / "slack.md").read_text(encoding="utf-8")
    assert re.search(r"exits 1 .{0,300}\$ nudgebot slack --check", slack, flags=re.DOTALL)
