"""The real `nudgebot` command, called in the test process: `bot.cli.main(argv)` with its own environment, working
folder, standard input and captured standard output and error, as a subprocess would see them.

A subprocess costs an interpreter start and the imports, and a command that scans compiled every rule pack anew;
in-process the built-in packs compile once per test process (`load_default_scanner`). Each command keeps one real
subprocess smoke test beside these (`nudgebot_cmd`), so the console script and `python -m bot` stay covered.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.cli import main


@dataclass(frozen=True)
class CliResult:
    """What one run gave: the exit code and both streams (the names `subprocess.CompletedProcess` uses)."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class _Stream(io.TextIOWrapper):
    """A UTF-8 text stream over bytes, as a pipe is (not a terminal; `.buffer` for binary writes)."""

    def __init__(self, data: bytes = b"") -> None:
        super().__init__(io.BytesIO(data), encoding="utf-8", errors="strict", newline=None, write_through=True)

    def text(self) -> str:
        """Everything written so far."""
        self.flush()
        raw = self.buffer
        assert isinstance(raw, io.BytesIO)
        return raw.getvalue().decode("utf-8").replace("\r\n", "\n")


@contextlib.contextmanager
def _process_state(env: Mapping[str, str], cwd: Path | None) -> Iterator[None]:
    """Give the command the environment and folder a subprocess would have, and take back whatever it changed
    (settings loading may set variables; logging.basicConfig adds a handler and sets the root level)."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    os.environ.clear()
    os.environ.update(env)
    # Without handlers on the root logger, the command's basicConfig sets up logging as in a fresh process
    # (WARNING, or more with -v) on the captured stderr; pytest's and the privacy check's handlers come back after.
    root.handlers.clear()
    try:
        if cwd is not None:
            os.chdir(cwd)
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for handler in root.handlers[:]:
            root.removeHandler(handler)
            handler.close()
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


class InProcessCli:
    """Runs `nudgebot ARGS...` through `bot.cli.main` in this process with `env` as its whole environment."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env  # read at each call: a test may change it between runs, as it would for a subprocess

    def __call__(self, *args: str | Path, stdin: str = "", env: Mapping[str, str] | None = None,
                 cwd: Path | None = None) -> CliResult:
        """Run one command to its end; an uncaught exception is a traceback on stderr and exit 1, as Python does.

        Commands run their own event loop: from an async test, call it through `asyncio.to_thread`.
        """
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            raise AssertionError("cli() inside a running event loop: use `await asyncio.to_thread(cli, ...)`")
        argv = tuple(str(a) for a in args)
        out, err, given = _Stream(), _Stream(), _Stream(stdin.encode("utf-8"))
        with _process_state(self.env if env is None else env, cwd), \
                _swapped_streams(given, out, err):
            try:
                code = main(list(argv))
            except SystemExit as stop:
                code = _exit_code(stop.code, err)
            except Exception:
                traceback.print_exc(file=err)
                code = 1
        return CliResult(argv, code, out.text(), err.text())


@contextlib.contextmanager
def _swapped_streams(stdin: io.TextIOBase, stdout: io.TextIOBase, stderr: io.TextIOBase) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


def _exit_code(code: object, stderr: io.TextIOBase) -> int:
    """What the interpreter would exit with for `sys.exit(code)`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=stderr)
    return 1
