"""The CLI's tables at the widths people's terminals have (80 and 100 columns), run through the real CLI in this
process (`cli`; the subprocess smoke tests of each command are elsewhere)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import Store
from tests.cli_inprocess import InProcessCli
from tests.core.test_store_methods import new

NOW = datetime.now(UTC)
LONG_EXCERPT = ("\u2026the rota for the pub quiz is up, and honestly the w****r who booked the room can go "
                "and sort out the projector himself\u2026")


async def _fill(db: Path) -> list[int]:
    store = await Store.open(db)
    try:
        ids = []
        for n in range(12):  # two-digit ids, the ones an 80-column table used to drop
            incident = dataclasses.replace(
                new(f"m{n}", author=f"member-with-a-rather-long-display-name-{n}", at=NOW - timedelta(hours=n),
                    clauses=("5.5.3", "5.6.2"), rules=("insult.person-strong", "bullying.pile-on")),
                excerpt=LONG_EXCERPT, channel_id="C0123456789")
            ids.append((await store.record_incident(incident))[0])
        return ids
    finally:
        await store.close()


def _cli(cli: InProcessCli, env: dict[str, str], columns: int, *args: str) -> str:
    result = cli(*args, env={**env, "COLUMNS": str(columns)})
    assert result.returncode == 0, result.stderr
    return result.stdout


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"[│┃]", line)[1:-1]]


@pytest.mark.parametrize("columns", [80, 100])
async def test_the_incident_list_keeps_every_id_and_the_excerpt(cli: InProcessCli, clean_env: dict[str, str],
                                                                columns: int) -> None:
    ids = await _fill(Path(clean_env["NUDGEBOT_DB"]))
    table = await asyncio.to_thread(_cli, cli, clean_env, columns, "incidents", "list")
    lines = table.splitlines()
    assert all(len(line) <= columns for line in lines)
    rows = [_cells(line) for line in lines if line.startswith("│")]
    assert rows and all(len(row) == len(rows[0]) for row in rows)  # every row ends in its right-hand border
    shown_ids = [int(row[0]) for row in rows if row[0]]
    assert sorted(shown_ids) == sorted(ids)  # whole, in the first column, one per incident
    # The excerpt is folded, not cut: reading the excerpt column back gives the masked excerpt whole.
    first = []
    for row in rows[1:] if not rows[0][0] else rows:
        if row[0] and first:
            break
        first.append(row[-1])
    assert " ".join(first).replace("  ", " ") == LONG_EXCERPT
    assert "\u2026 " not in "".join(row[0] for row in rows)  # no id cell cut to an ellipsis


async def test_an_empty_list_says_so_instead_of_drawing_an_empty_table(cli: InProcessCli,
                                                                       clean_env: dict[str, str]) -> None:
    await _fill(Path(clean_env["NUDGEBOT_DB"]))
    out = await asyncio.to_thread(_cli, cli, clean_env, 80, "incidents", "list", "--author", "nobody")
    assert out.strip() == "no incidents match"


@pytest.mark.parametrize("columns", [80, 100])
def test_explain_never_cuts_a_rule_id(cli: InProcessCli, clean_env: dict[str, str], columns: int) -> None:
    out = _cli(cli, clean_env, columns, "explain", "you are a stupid idiot and a slag")
    rule_cells = [_cells(line)[0] for line in out.splitlines() if line.startswith("│") and _cells(line)[0]]
    assert rule_cells and all(re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)+", cell) for cell in rule_cells), rule_cells
    assert "insult.person" in rule_cells


@pytest.mark.parametrize("count, text", [(1, "1 incident;"), (3, "3 incidents;")])
async def test_stats_count_in_proper_plurals(cli: InProcessCli, clean_env: dict[str, str], count: int,
                                             text: str) -> None:
    store = await Store.open(Path(clean_env["NUDGEBOT_DB"]))
    try:
        for n in range(count):
            await store.record_incident(new(f"m{n}", at=NOW - timedelta(hours=n)))
    finally:
        await store.close()
    out = await asyncio.to_thread(_cli, cli, clean_env, 100, "incidents", "stats")
    assert text in out and "(s)" not in out
