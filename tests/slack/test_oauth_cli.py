"""`nudgebot slack --oauth`: the settings it needs named in one line (the CLI in-process), and a real run as a
subprocess against the fake Slack with two workspaces: installed through the flow, moderated, checked."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import aiohttp
import pytest

from bot.models import Platform
from bot.store import Store
from tests.cli_inprocess import CliResult, InProcessCli
from tests.fakes import slack_events as payloads
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET, FakeSlackOrg
from tests.slack.conftest import BREACH, SIGNING_SECRET, eventually
from tests.slack.oauth_harness import (
    CHESS,
    CHESS_ALERTS,
    CHESS_GENERAL,
    DRAMA,
    DRAMA_GENERAL,
    JUDIT,
    KASPAR,
    PORTIA,
    PROSPERO,
    STATE_SECRET,
    Browser,
    make_org,
)

OAUTH_ENV = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_STATE_SECRET": STATE_SECRET,
             "SLACK_SIGNING_SECRET": SIGNING_SECRET}


@pytest.fixture(autouse=True)
def empty_env_file(tmp_path: Path) -> None:
    (tmp_path / "none.env").touch()


def _run(cli: InProcessCli, env: dict[str, str], tmp_path: Path, *args: str) -> CliResult:
    return cli("slack", "--oauth", "--env-file", tmp_path / "none.env", *args, env=env)


@pytest.mark.parametrize("missing", ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET",
                                     "SLACK_SIGNING_SECRET"])
def test_each_oauth_setting_is_named_when_missing(cli: InProcessCli, clean_env: dict[str, str], tmp_path: Path,
                                                  missing: str) -> None:
    env = {**clean_env, **{k: v for k, v in OAUTH_ENV.items() if k != missing}}
    result = _run(cli, env, tmp_path)
    assert result.returncode == 1 and missing in result.stderr
    assert "SLACK_BOT_TOKEN" not in result.stderr  # OAuth mode has no one bot token
    assert CLIENT_SECRET not in result.stderr + result.stdout and STATE_SECRET not in result.stderr + result.stdout


def test_oauth_is_http_only_and_setup_names_its_workspace(cli: InProcessCli, clean_env: dict[str, str],
                                                          tmp_path: Path) -> None:
    env = {**clean_env, **OAUTH_ENV}
    socket_mode = _run(cli, env, tmp_path, "--mode", "socket")
    assert socket_mode.returncode == 2 and "HTTP" in socket_mode.stderr
    no_team = _run(cli, env, tmp_path, "--alert-channel", CHESS_ALERTS)
    assert no_team.returncode == 2 and "--team" in no_team.stderr
    team_without_oauth = cli("slack", "--env-file", tmp_path / "none.env", "--team", CHESS, env=env)
    assert team_without_oauth.returncode == 2 and "--oauth" in team_without_oauth.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_until_serving(session: aiohttp.ClientSession, url: str) -> None:
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        assert asyncio.get_running_loop().time() < deadline, "the HTTP server never came up"
        await asyncio.sleep(0.1)


async def test_nudgebot_slack_oauth_installs_and_moderates_two_workspaces(
        nudgebot_cmd: list[str], clean_env: dict[str, str], tmp_path: Path, db_target: Path | str) -> None:
    org: FakeSlackOrg = make_org()
    await org.start()
    port = _free_port()
    app_url = f"http://127.0.0.1:{port}"
    org.redirect_url = f"{app_url}/slack/oauth_redirect"
    env = {**clean_env, **OAUTH_ENV, "NUDGEBOT_DB": str(db_target)}  # an SQLite file, or a postgresql:// URL
    process = await asyncio.create_subprocess_exec(
        *nudgebot_cmd, "-v", "slack", "--oauth", "--env-file", str(tmp_path / "none.env"), "--api-url", org.api_url,
        "--host", "127.0.0.1", "--port", str(port), "--team", CHESS, "--alert-channel", CHESS_ALERTS, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async with aiohttp.ClientSession() as session:
            await _wait_until_serving(session, f"{app_url}/slack/install")
            browser = Browser(session, app_url)
            link, _ = await browser.open_install_page()
            assert link.startswith(org.authorize_url)  # the authorize page beside --api-url
            for team, installer in ((CHESS, JUDIT), (DRAMA, PORTIA)):
                assert (await browser.install(team, installer)).status == 200
            sender = payloads.SignedSender(f"{app_url}/slack/events", SIGNING_SECRET, session)
            for team, user, channel in ((CHESS, KASPAR, CHESS_GENERAL), (DRAMA, PROSPERO, DRAMA_GENERAL)):
                status, _ = await sender.event(payloads.event_callback(team, payloads.message(user, channel, BREACH)))
                assert status == 200
        chess, drama = org.workspaces[CHESS], org.workspaces[DRAMA]
        await eventually(lambda: len(chess.ephemerals(KASPAR)) == 1 and len(drama.ephemerals(PROSPERO)) == 1,
                         timeout=30, what="a nudge in each workspace")
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        log = stderr.decode()
        assert process.returncode == 0, log
        for secret in (CLIENT_SECRET, STATE_SECRET, SIGNING_SECRET, chess.bot_token, drama.bot_token):
            assert secret not in log
        store = await Store.open(db_target)
        try:
            teams = await store.installed_teams()
            communities = [(c.community_id, c.alert_channel) for c in await store.list_communities()]
        finally:
            await store.close()
        assert teams == [CHESS, DRAMA]
        assert communities == [(CHESS, CHESS_ALERTS)]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await org.close()

    # --check asks Slack about every stored token: Chess has since removed the app, Drama has not.
    await org.start()
    org.uninstall(CHESS)
    check = await asyncio.create_subprocess_exec(
        *nudgebot_cmd, "slack", "--oauth", "--check", "--env-file", str(tmp_path / "none.env"), "--api-url",
        org.api_url, env={**env, "COLUMNS": "200"}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(check.communicate(), 60)
    finally:
        await org.close()
    table = out.decode()
    assert check.returncode == 1, err.decode()
    assert CHESS in table and "token_revoked" in table and DRAMA in table and "Drama Society" in table


async def test_check_saves_a_workspaces_setup_and_says_none_is_installed(cli: InProcessCli, clean_env: dict[str, str],
                                                                        tmp_path: Path) -> None:
    env = {**clean_env, **OAUTH_ENV, "COLUMNS": "200"}
    result = await asyncio.to_thread(_run, cli, env, tmp_path, "--check", "--team", DRAMA,
                                     "--alert-channel", "C2ALERTS")
    assert result.returncode == 1
    assert "no workspace has installed nudgebot yet" in result.stdout
    store = await Store.open(Path(env["NUDGEBOT_DB"]))
    try:
        saved = await store.get_community(Platform.SLACK, DRAMA)
        other = await store.get_community(Platform.SLACK, CHESS)
    finally:
        await store.close()
    assert saved.alert_channel == "C2ALERTS" and other.alert_channel == ""  # only the workspace named
