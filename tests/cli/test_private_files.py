"""Every file nudgebot creates that holds incident data is readable by its owner alone (0600), from creation."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.models import Platform
from bot.store import Store
from bot.store.spool import Spool, spool_path
from tests.cli.conftest import Cli, fill
from tests.core.test_store_methods import new


def mode(path: Path) -> int:
    """The permission bits of `path`."""
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems give a login (022): files are world-readable unless nudgebot says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


async def test_the_database_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    db = tmp_path / "data" / "nudgebot.db"
    store = await Store.open(db)
    try:
        await store.record_incident(new("m1"))
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    finally:
        await store.close()


def test_the_inbox_spool_is_0600(tmp_path: Path) -> None:
    path = spool_path(tmp_path / "nudgebot.db")
    spool = Spool(path, Platform.SLACK)
    try:
        spool.add(['{"text": "waiting for moderation"}'])
        assert path.name == "nudgebot.inbox.db"
        assert {p.name: mode(p) for p in tmp_path.glob("nudgebot.inbox.db*")} == {
            "nudgebot.inbox.db": 0o600, "nudgebot.inbox.db-wal": 0o600, "nudgebot.inbox.db-shm": 0o600}
    finally:
        spool.close()


def test_databases_made_by_the_commands_are_0600(cli: Cli, tmp_path: Path) -> None:
    assert cli("db", "upgrade", "--db", tmp_path / "upgraded.db").code == 0
    assert cli("demo", "--db", tmp_path / "demo.db", "--report", tmp_path / "demo.html").code == 0
    assert mode(tmp_path / "upgraded.db") == 0o600 and mode(tmp_path / "demo.db") == 0o600
    assert mode(tmp_path / "demo.html") == 0o600


@pytest.mark.parametrize("request_args", [("--format", "csv"), ("--format", "json"), ("--author", "u1")],
                         ids=["csv", "json", "subject-access"])
def test_exports_are_0600(cli: Cli, tmp_path: Path, request_args: tuple[str, ...]) -> None:
    db = tmp_path / "n.db"
    fill(db)
    out = tmp_path / "export.out"
    ran = cli("incidents", "export", *request_args, "--db", db, "--output", out)
    assert ran.code == 0, ran.err
    assert "m1" in out.read_text(encoding="utf-8") and mode(out) == 0o600


def test_an_export_over_a_readable_file_leaves_it_0600(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    fill(db)
    out = tmp_path / "export.csv"
    out.write_text("last term's export\n", encoding="utf-8")
    out.chmod(0o644)
    assert cli("incidents", "export", "--db", db, "-o", out).code == 0
    assert mode(out) == 0o600 and "last term" not in out.read_text(encoding="utf-8")


def test_the_report_is_0600(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    fill(db)
    assert cli("report", "--db", db, "--out", tmp_path / "r.html").code == 0
    assert mode(tmp_path / "r.html") == 0o600
