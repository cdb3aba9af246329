"""No route to Discord or Slack at start is one line naming the host and what to check: no traceback, no
"Unclosed client session", no voice-support warning. Nothing here leaves the machine: the platforms are pointed
at a loopback port where nothing listens, or at a host name that cannot resolve (RFC 6761's `.invalid`)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, Ran, run_nudgebot

UNRESOLVABLE = "nudgebot-test.invalid"
DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.unused.token-that-never-leaves"


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nothing else takes it) but never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


_LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?:DEBUG|INFO) ")


def _one_clear_line(ran: Ran, host: str) -> None:
    # The bot commands log their progress at INFO by default (NUDGEBOT_LOG_LEVEL); apart from those records
    # the failure is one line, and no record is a warning, an error or a traceback.
    assert ran.code == 1, ran.out + ran.err
    said = [line for line in ran.err_lines if not _LOG_RECORD.match(line)]
    assert len(said) == 1, ran.err
    line = said[0]
    assert line.startswith("nudgebot: cannot reach ") and f" at {host} (" in line and "check that this machine" in line
    for noise in ("Traceback", "Unclosed client session", "PyNaCl", "voice will NOT", "token` will be unused"):
        assert noise not in ran.err + ran.out


def test_discord_with_no_route_is_one_line(nudgebot_cmd: list[str], clean_env: dict[str, str]) -> None:
    env = clean_env | {"DISCORD_TOKEN": DISCORD_TOKEN,
                       "NUDGEBOT_DISCORD_API_BASE": f"http://{UNRESOLVABLE}/api/v10"}
    ran = run_nudgebot(nudgebot_cmd, env, "discord", "--no-sync")
    _one_clear_line(ran, f"{UNRESOLVABLE}:80")
    assert "NUDGEBOT_DISCORD_API_BASE" in ran.err and DISCORD_TOKEN not in ran.err


def test_slack_socket_mode_with_no_route_is_one_line(nudgebot_cmd: list[str], clean_env: dict[str, str],
                                                     tmp_path: Path) -> None:
    env = clean_env | {"SLACK_BOT_TOKEN": "xoxb-unused", "SLACK_APP_TOKEN": "xapp-unused"}
    ran = run_nudgebot(nudgebot_cmd, env, "slack", "--api-url", f"https://{UNRESOLVABLE}/api/")
    _one_clear_line(ran, f"{UNRESOLVABLE}:443")
    assert "--api-url" in ran.err


def test_slack_check_with_no_route_is_one_line(cli: Cli, refused_port: int) -> None:
    ran = cli("slack", "--check", "--api-url", f"http://127.0.0.1:{refused_port}/api/",
              env={"SLACK_BOT_TOKEN": "xoxb-unused", "SLACK_APP_TOKEN": "xapp-unused"})
    _one_clear_line(ran, f"127.0.0.1:{refused_port}")
    assert "(Connection refused)" in ran.err


def test_slack_http_mode_with_no_route_is_one_line(cli: Cli, refused_port: int) -> None:
    ran = cli("slack", "--mode", "http", "--host", "127.0.0.1", "--port", "0", "--api-url",
              f"http://127.0.0.1:{refused_port}/api/",
              env={"SLACK_BOT_TOKEN": "xoxb-unused", "SLACK_SIGNING_SECRET": "unused-secret"})
    _one_clear_line(ran, f"127.0.0.1:{refused_port}")
