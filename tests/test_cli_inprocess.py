"""The in-process CLI the tests use (`cli`) answers as the real command in its own process does: the same exit
code, standard output and standard error, for a success, a usage error, a runtime error and one that logs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.cli_inprocess import InProcessCli

CASES = {
    "clause": ["policy", "5.5.5"],  # exit 0
    "clause-table": ["policy"],  # a rich table, laid out for a pipe
    "usage-error": ["scan", "--audience", "toddlers"],  # argparse's usage line and exit code
    "no-database": ["incidents", "list", "--db", "{tmp}/absent.db"],  # nudgebot's own one-line error
    "unknown-command": ["bogus-command"],
}


@pytest.mark.parametrize("case", CASES)
def test_in_process_runs_match_a_subprocess(case: str, cli: InProcessCli, nudgebot_cmd: list[str],
                                            clean_env: dict[str, str], tmp_path: Path) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in CASES[case]]
    real = subprocess.run([*nudgebot_cmd, *args], env=clean_env, capture_output=True, text=True, timeout=60,
                          check=False)
    here = cli(*args)
    assert (here.returncode, here.stdout, here.stderr) == (real.returncode, real.stdout, real.stderr)


@pytest.mark.parametrize("verbosity", [[], ["-v"], ["-vv"]])
def test_logging_is_set_up_as_in_a_process(verbosity: list[str], cli: InProcessCli, nudgebot_cmd: list[str],
                                           clean_env: dict[str, str], tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    assert cli("db", "upgrade", "--db", db).returncode == 0
    args = [*verbosity, "incidents", "list", "--db", str(db)]
    real = subprocess.run([*nudgebot_cmd, *args], env=clean_env, capture_output=True, text=True, timeout=60,
                          check=False)
    here = cli(*args)

    def lines(stderr: str) -> list[str]:  # without the time of day and object addresses
        # aiosqlite logs its closing operation's completion from its own thread, which a process may or may not
        # live long enough to print: that one line is a race in either run, so neither side keeps it.
        return [re.sub(r"0x[0-9a-f]+", "0x…", re.sub(r"^[\d-]+ [\d:,]+ ", "", line)) for line in stderr.splitlines()
                if "close_and_stop" not in line or "completed" not in line]

    assert here.returncode == real.returncode == 0 and here.stdout == real.stdout
    assert lines(here.stderr) == lines(real.stderr)
    assert ("DEBUG asyncio" in here.stderr) == (verbosity == ["-vv"])


def test_the_environment_folder_and_logging_come_back(cli: InProcessCli, tmp_path: Path) -> None:
    import logging
    import os

    before = (dict(os.environ), os.getcwd(), logging.getLogger().handlers[:], logging.getLogger().level)
    env = {**cli.env, "NUDGEBOT_DB": str(tmp_path / "x.db")}
    cli("-vv", "db", "status", env=env, cwd=tmp_path)
    assert (dict(os.environ), os.getcwd(), logging.getLogger().handlers[:], logging.getLogger().level) == before


async def test_it_refuses_to_run_inside_an_event_loop(cli: InProcessCli) -> None:
    with pytest.raises(AssertionError, match="to_thread"):
        cli("policy")
