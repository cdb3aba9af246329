"""Errors never carry a token: a token Discord or Slack refuses gives an error (and a CLI line) without it."""

from __future__ import annotations

import asyncio
import sys
import traceback
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.discord.app import DiscordSetupError, run_bot
from bot.settings import load_settings
from tests.fakes.discord_server import FakeDiscord, bot_token_for
from tests.fakes.slack_server import FakeSlack

WRONG_SLACK = "xoxb-9999-wrong-but-real-looking-token"


def _everything(exc: BaseException) -> str:
    """The exception as any handler could show it: message, repr, traceback and the chained causes."""
    return str(exc) + repr(exc) + "".join(traceback.format_exception(exc))


async def _cli(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """The real CLI as a subprocess, while this loop keeps serving the fake."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    restore = server.redirect()
    yield server
    restore()
    await server.stop()


async def test_discord_login_failure_carries_no_token(discord_fake: FakeDiscord, tmp_path: Path) -> None:
    wrong = bot_token_for(discord_fake.application_id + 1)
    client = discord.Client(intents=discord.Intents.none())
    with pytest.raises(discord.LoginFailure) as raised:
        await client.login(wrong)
    await client.close()
    assert wrong not in _everything(raised.value)

    settings = load_settings(env_file=None, environ={"NUDGEBOT_DB": str(tmp_path / "n.db"), "DISCORD_TOKEN": wrong})
    with pytest.raises(DiscordSetupError) as refused:
        await run_bot(settings, sync_commands=False)
    assert "refused the token" in str(refused.value)
    assert wrong not in _everything(refused.value) and discord_fake.token not in _everything(refused.value)


async def test_discord_cli_refusal_prints_no_token(discord_fake: FakeDiscord, clean_env: dict[str, str]) -> None:
    wrong = bot_token_for(discord_fake.application_id + 1)
    env = clean_env | {"DISCORD_TOKEN": wrong, "NUDGEBOT_DISCORD_API_BASE": discord_fake.api_base,
                       "NUDGEBOT_DISCORD_GATEWAY": discord_fake.gateway_url}
    code, output = await _cli(["discord", "--no-sync"], env)
    assert code == 1 and "refused the token" in output
    assert wrong not in output and wrong.split(".")[2] not in output


async def test_slack_invalid_auth_carries_no_token(tmp_path: Path, clean_env: dict[str, str]) -> None:
    slack = FakeSlack()
    await slack.start()
    try:
        client = AsyncWebClient(token=WRONG_SLACK, base_url=slack.api_url)
        with pytest.raises(SlackApiError) as raised:
            await client.auth_test()
        assert raised.value.response["error"] == "invalid_auth"
        assert WRONG_SLACK not in _everything(raised.value)

        env = clean_env | {"SLACK_BOT_TOKEN": WRONG_SLACK, "SLACK_APP_TOKEN": "xapp-1-wrong-app-token-value"}
        (tmp_path / "none.env").touch()  # an empty settings file
        code, output = await _cli(["slack", "--check", "--api-url", slack.api_url, "--env-file",
                                   str(tmp_path / "none.env")], env)
        assert code == 1 and "invalid_auth" in output
        assert WRONG_SLACK not in output and "xapp-1-wrong-app-token-value" not in output
    finally:
        await slack.close()
