"""A database nudgebot cannot use is one line naming the file and what to do; commands that only read open it
read-only (SQLite `mode=ro`) and work from a read-only mount."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.store import Store
from tests.audit.exports import society_slack_channels, write_slack_export
from tests.cli.conftest import Cli, fill, run_nudgebot
from tests.core.test_store_methods import T0, new

NOT_SQLITE = b"incident notes, typed into the wrong file by hand\n" * 40

# Every command that opens the database, with what else it needs to get that far.
COMMANDS: list[tuple[str, ...]] = [
    ("incidents", "list"), ("incidents", "show", "1"), ("incidents", "stats"), ("incidents", "export"),
    ("incidents", "review", "1", "confirm"), ("incidents", "purge"), ("report",), ("db", "status"),
    ("db", "upgrade"), ("demo",), ("audit", "EXPORT"), ("discord",),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_file_that_is_not_sqlite_is_one_line_naming_it(cli: Cli, tmp_path: Path, command: tuple[str, ...]) -> None:
    db = tmp_path / "incidents.db"
    db.write_bytes(NOT_SQLITE)
    args = [str(write_slack_export(tmp_path / "export", society_slack_channels(T0))) if a == "EXPORT" else a
            for a in command]
    extra = ["--report", tmp_path / "r.html"] if command == ("demo",) else ["--out", tmp_path / "r.html"] \
        if command == ("report",) else []
    # `discord` reads the database before it connects anywhere: a token that is never used is enough.
    ran = cli(*args, *extra, *([] if command == ("discord",) else ["--db", db]),
              env={"NUDGEBOT_DB": str(db), "DISCORD_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.unused.token"})
    assert ran.code == 1, ran.err
    assert ran.err_lines == [f"nudgebot: {db} is not a nudgebot database (not an SQLite file): point --db or "
                             "NUDGEBOT_DB at the bot's database, or move this file away to start a new one"]
    assert db.read_bytes() == NOT_SQLITE  # looked at, never changed


def test_a_damaged_database_says_restore_it(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    fill(db)
    data = bytearray(db.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # the second page (a table's root) overwritten
    db.write_bytes(bytes(data))
    ran = cli("incidents", "list", "--db", db)
    assert ran.code == 1 and len(ran.err_lines) == 1, ran.err
    assert str(db) in ran.err and "restore it from a backup" in ran.err


def test_not_sqlite_through_a_real_process(nudgebot_cmd: list[str], clean_env: dict[str, str],
                                           tmp_path: Path) -> None:
    db = Path(clean_env["NUDGEBOT_DB"])
    db.write_bytes(NOT_SQLITE)
    ran = run_nudgebot(nudgebot_cmd, clean_env, "report", "--out", tmp_path / "r.html")
    assert ran.code == 1 and len(ran.err_lines) == 1 and "Traceback" not in ran.err
    assert f"{db} is not a nudgebot database" in ran.err


# ---------------------------------------------------------------- read-only mount

def _read_only_mount(folder: Path) -> tuple[str, ...]:
    """A command prefix that runs the rest in a private mount namespace where `folder` is a read-only bind
    mount: a real read-only file system, which even root cannot write (file modes would not stop root)."""
    return ("unshare", "--mount", "sh", "-c",
            'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', str(folder))


@pytest.fixture(scope="module")
def read_only_mounts() -> None:
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to make a read-only mount")
    probe = subprocess.run([*_read_only_mount(Path("/tmp")), "true"], capture_output=True, timeout=30, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a read-only mount here (needs root or user namespaces): {probe.stderr!r}")


READ_ONLY_COMMANDS: list[tuple[str, ...]] = [
    ("incidents", "list", "--json"), ("incidents", "show", "1", "--json"), ("incidents", "stats", "--json"),
    ("incidents", "export", "--format", "json"), ("incidents", "export", "--author", "u1"), ("report",),
]


@pytest.mark.usefixtures("read_only_mounts")
def test_read_only_commands_work_on_a_read_only_mount(nudgebot_cmd: list[str], clean_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / "nudgebot.db"
    fill(db)  # closed cleanly: no -wal or -shm file is left, and a read-only folder cannot hold new ones
    assert sorted(p.name for p in data.iterdir()) == ["nudgebot.db"]
    before = db.read_bytes()
    for command in READ_ONLY_COMMANDS:
        out = ["--out", tmp_path / "report.html"] if command == ("report",) else []
        ran = run_nudgebot(nudgebot_cmd, clean_env, *command, "--db", db, *out, prefix=_read_only_mount(data))
        assert ran.code == 0, f"{command}: {ran.err}"
        assert "m1" in ran.out or "2 incidents" in ran.out or '"total": 2' in ran.out, (command, ran.out)
    assert db.read_bytes() == before and sorted(p.name for p in data.iterdir()) == ["nudgebot.db"]
    wrote = run_nudgebot(nudgebot_cmd, clean_env, "incidents", "purge", "--db", db, prefix=_read_only_mount(data))
    assert wrote.code == 1 and len(wrote.err_lines) == 1, wrote.err
    assert f"{db} is read-only here, and this command writes to it" in wrote.err


@pytest.mark.usefixtures("read_only_mounts")
async def test_a_read_only_mount_of_a_running_bots_database_shows_its_latest_incidents(
        nudgebot_cmd: list[str], clean_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = await Store.open(data / "nudgebot.db")  # the bot, still running: its -wal holds the newest incident
    try:
        await store.record_incident(new("m1"))
        await store.record_incident(new("m-newest", author="u9"))
        assert (data / "nudgebot.db-wal").exists()
        ran = await asyncio.to_thread(run_nudgebot, nudgebot_cmd, clean_env, "incidents", "list", "--json", "--db",
                                      data / "nudgebot.db", prefix=_read_only_mount(data))
    finally:
        await store.close()
    assert ran.code == 0, ran.err
    assert '"message_id": "m-newest"' in ran.out and '"total": 2' in ran.out
