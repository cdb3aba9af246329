"""`nudgebot slack`: clear errors for missing settings (the CLI in-process, `cli`), and full runs against the fake
as real subprocesses (the app in its own process, as deployed)."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from pathlib import Path

import pytest
import yaml

from bot.slack import blocks
from tests.cli_inprocess import CliResult, InProcessCli
from tests.fakes import slack_events as payloads
from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.slack.conftest import ALERTS, ALICE, BREACH, COMMITTEE_GROUP, GENERAL, TEAM, eventually

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def empty_env_file(tmp_path: Path) -> None:
    """`none.env`, the empty settings file each test names (a --env-file that does not exist is an error)."""
    (tmp_path / "none.env").touch()


def _run(cli: InProcessCli, env: dict[str, str], tmp_path: Path) -> CliResult:
    return cli("slack", "--env-file", tmp_path / "none.env", env=env)


def test_missing_bot_token_is_a_clear_error(cli: InProcessCli, clean_env: dict[str, str],
                                            tmp_path: Path) -> None:
    result = _run(cli, clean_env, tmp_path)
    assert result.returncode == 1
    assert "SLACK_BOT_TOKEN" in result.stderr and "OAuth" in result.stderr


def test_socket_mode_needs_the_app_token(cli: InProcessCli, clean_env: dict[str, str], tmp_path: Path) -> None:
    result = _run(cli, {**clean_env, "SLACK_BOT_TOKEN": BOT_TOKEN}, tmp_path)
    assert result.returncode == 1 and "SLACK_APP_TOKEN" in result.stderr
    assert BOT_TOKEN not in result.stderr + result.stdout


def test_http_mode_needs_the_signing_secret(cli: InProcessCli, clean_env: dict[str, str],
                                           tmp_path: Path) -> None:
    result = _run(cli, {**clean_env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_MODE": "http"}, tmp_path)
    assert result.returncode == 1 and "SLACK_SIGNING_SECRET" in result.stderr


def test_a_pasted_wrong_token_is_refused_without_echoing_it(cli: InProcessCli, clean_env: dict[str, str],
                                                            tmp_path: Path) -> None:
    result = _run(cli, {**clean_env, "SLACK_BOT_TOKEN": "xapp-secret-value-123"}, tmp_path)
    assert result.returncode == 1 and "SLACK_BOT_TOKEN" in result.stderr
    assert "secret-value-123" not in result.stderr + result.stdout


async def test_nudgebot_slack_runs_end_to_end_over_socket_mode(nudgebot_cmd: list[str], clean_env: dict[str, str],
                                                               tmp_path: Path) -> None:
    fake = FakeSlack(team_id=TEAM)
    fake.add_user(ALICE, "alice")
    fake.add_channel(GENERAL, "general", [ALICE])
    fake.add_channel(ALERTS, "alerts", [])
    await fake.start()
    env = {**clean_env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
    process = await asyncio.create_subprocess_exec(
        *nudgebot_cmd, "-v", "slack", "--env-file", str(tmp_path / "none.env"), "--api-url", fake.api_url,
        "--committee-group", COMMITTEE_GROUP, "--alert-channel", ALERTS, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await fake.wait_for_socket(timeout=60)
        await fake.send_envelope("events_api", payloads.event_callback(TEAM, payloads.message(ALICE, GENERAL,
                                                                                            BREACH)))
        await eventually(lambda: len(fake.ephemerals(ALICE)) == 1, timeout=30, what="the nudge from the CLI app")
        db = Path(env["NUDGEBOT_DB"])
        with sqlite3.connect(db) as connection:
            rows = connection.execute("SELECT author_id, delivery_status FROM incidents").fetchall()
            community = connection.execute("SELECT committee_role, alert_channel FROM communities").fetchall()
        assert rows[0][0] == ALICE
        assert community == [(COMMITTEE_GROUP, ALERTS)]
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, stderr.decode()
        assert BOT_TOKEN not in stderr.decode() and APP_TOKEN not in stderr.decode()
        assert BREACH not in stderr.decode()  # message content only at DEBUG
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await fake.close()


def test_manifest_matches_the_app() -> None:
    manifest = yaml.safe_load((REPO / "slack-manifest.yaml").read_text(encoding="utf-8"))
    features, settings = manifest["features"], manifest["settings"]
    assert {c["command"] for c in features["slash_commands"]} == {"/policy", "/incidents", "/nudgebot-setup"}
    assert [s["callback_id"] for s in features["shortcuts"]] == [blocks.REPORT_CALLBACK]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"message.channels", "message.groups"}
    assert settings["interactivity"]["is_enabled"] is True and settings["socket_mode_enabled"] is True
    # One scope for every Web API method the adapter calls.
    needed = {"chat:write", "im:write", "commands", "usergroups:read", "channels:read", "groups:read",
              "files:write", "channels:history", "groups:history"}
    assert needed <= set(manifest["oauth_config"]["scopes"]["bot"])
    json.dumps(manifest)  # plain data, pasteable as JSON too


async def _check(cmd: list[str], env: dict[str, str], tmp_path: Path, fake: FakeSlack, *extra: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *cmd, "slack", "--check", "--env-file", str(tmp_path / "none.env"), "--api-url", fake.api_url, *extra,
        env={**env, "COLUMNS": "200"}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


async def test_check_reports_the_setup_found_in_slack(nudgebot_cmd: list[str], clean_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    fake = FakeSlack(team_id=TEAM)
    fake.add_user(ALICE, "alice")
    fake.add_usergroup(COMMITTEE_GROUP, [ALICE])
    fake.add_channel(ALERTS, "alerts", [ALICE], bot_member=False)
    await fake.start()
    env = {**clean_env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
    try:
        code, output = await _check(nudgebot_cmd, env, tmp_path, fake, "--committee-group", COMMITTEE_GROUP,
                                    "--alert-channel", ALERTS)
        assert code == 1, output  # the bot is not in the alert channel yet
        assert TEAM in output and "1 member " in output and "/invite @nudgebot" in output
        assert fake.calls_to("apps.connections.open")[0].status == 200
        fake.channels[ALERTS]["members"].add(fake.bot_user_id)
        code, output = await _check(nudgebot_cmd, env, tmp_path, fake)  # the setup was saved by the first run
        assert code == 0, output
        assert "nudgebot is a member" in output
        code, output = await _check(nudgebot_cmd, {**env, "SLACK_BOT_TOKEN": "xoxb-revoked"}, tmp_path, fake)
        assert code == 1 and "invalid_auth" in output and "xoxb-revoked" not in output
    finally:
        await fake.close()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_nudgebot_slack_serves_signed_requests_in_http_mode(nudgebot_cmd: list[str], clean_env: dict[str, str],
                                                                  tmp_path: Path) -> None:
    import aiohttp

    fake = FakeSlack(team_id=TEAM)
    fake.add_user(ALICE, "alice")
    fake.add_channel(GENERAL, "general", [ALICE])
    await fake.start()
    secret, port = "cli-signing-secret", _free_port()
    env = {**clean_env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": secret, "SLACK_MODE": "http"}
    process = await asyncio.create_subprocess_exec(
        *nudgebot_cmd, "slack", "--env-file", str(tmp_path / "none.env"), "--api-url", fake.api_url,
        "--host", "127.0.0.1", "--port", str(port), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/slack/events"
    body = payloads.event_callback(TEAM, payloads.message(ALICE, GENERAL, BREACH))
    try:
        async with aiohttp.ClientSession() as session:
            sender = payloads.SignedSender(url, secret, session)
            deadline = asyncio.get_running_loop().time() + 60
            while True:  # the server is up once it answers
                try:
                    status, _ = await sender.event(body)
                    break
                except aiohttp.ClientConnectionError:
                    assert asyncio.get_running_loop().time() < deadline, "the HTTP server never came up"
                    await asyncio.sleep(0.1)
            assert status == 200
            assert (await payloads.SignedSender(url, "wrong", session).event(body))[0] == 401
        await eventually(lambda: len(fake.ephemerals(ALICE)) == 1, timeout=30, what="the nudge")
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, stderr.decode()
        assert secret not in stderr.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await fake.close()
