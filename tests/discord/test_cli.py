"""The real `nudgebot discord` command: the invite URL and setup errors in-process (`cli`), and runs against the
fake Discord as subprocesses (the bot in its own process, as deployed)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest

from tests.cli_inprocess import InProcessCli
from tests.discord.support import incident_rows
from tests.fakes.discord_server import FakeDiscord, bot_token_for

# View Channel, Send Messages, Manage Messages, Embed Links: bits 10, 11, 13 and 14 of Discord's permission set.
EXPECTED_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 13) | (1 << 14)


def test_invite_url_has_exactly_the_needed_permissions(cli: InProcessCli) -> None:
    done = cli("discord", "invite-url", "--client-id", "123456789012345678")
    assert done.returncode == 0, done.stderr
    url = urlparse(done.stdout.splitlines()[0])
    query = parse_qs(url.query)
    assert url.netloc == "discord.com"
    assert query["client_id"] == ["123456789012345678"]
    assert int(query["permissions"][0]) == EXPECTED_PERMISSIONS
    assert set(query["scope"][0].split()) == {"bot", "applications.commands"}


def test_invite_url_reads_the_client_id_from_the_token_without_printing_it(cli: InProcessCli, clean_env) -> None:
    token = bot_token_for(987654321098765432)
    done = cli("discord", "invite-url", env=clean_env | {"DISCORD_TOKEN": token})
    assert done.returncode == 0, done.stderr
    assert "client_id=987654321098765432" in done.stdout
    assert token not in done.stdout + done.stderr


def test_missing_token_is_a_clear_error(cli: InProcessCli) -> None:
    for args in (["discord", "invite-url"], ["discord"]):
        done = cli(*args)
        assert done.returncode == 1
        assert "DISCORD_TOKEN" in done.stderr and "Traceback" not in done.stderr


def test_a_mangled_token_is_refused_without_being_echoed(cli: InProcessCli, clean_env) -> None:
    done = cli("discord", "invite-url", env=clean_env | {"DISCORD_TOKEN": "not-a-token.x.y"})
    assert done.returncode == 1
    assert "not-a-token" not in done.stderr and "DISCORD_TOKEN" in done.stderr


async def test_nudgebot_discord_runs_against_the_fake_and_stops_cleanly(nudgebot_cmd, clean_env, tmp_path) -> None:
    fake = FakeDiscord()
    await fake.start()
    try:
        guild = fake.add_guild("CLI Society")
        alice = fake.add_member(guild, "alice")
        env = clean_env | {"DISCORD_TOKEN": fake.token, "NUDGEBOT_DISCORD_API_BASE": fake.api_base}
        log_path = tmp_path / "bot.log"
        with log_path.open("w") as log_file:
            process = await asyncio.create_subprocess_exec(*nudgebot_cmd, "-vv", "discord", env=env, cwd=tmp_path,
                                                           stdout=log_file, stderr=subprocess.STDOUT)
            try:
                published = "PUT /applications/{application_id}/commands"
                await fake.wait_for(lambda: fake.sessions() and fake.calls(published), 60,
                                    "the bot to connect and publish its commands")
                await fake.post_message(fake.channel(guild, "general"), alice,
                                        "text Priya on 07700 900123, that's her number")
                dms = await fake.wait_for(lambda: fake.dms_to(alice), 30, "the nudge DM")
                assert "5.5.5" in str(dms[0]["embeds"])
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGINT)
                rc = await asyncio.wait_for(process.wait(), 30)
        output = log_path.read_text()
        assert rc == 0, output
        assert fake.token not in output  # not even at DEBUG
        assert all(r.authorized for r in fake.requests if not r.route.startswith("POST /interactions"))
        rows = incident_rows(tmp_path / "nudgebot.db")
        assert [r["delivery_status"] for r in rows] == ["delivered"]
    finally:
        await fake.stop()



async def _run_against(nudgebot_cmd, env: dict[str, str], cwd) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(*nudgebot_cmd, "discord", env=env, cwd=cwd,
                                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), 90)
    return process.returncode or 0, output.decode()


async def test_a_token_discord_refuses_is_a_clear_error(nudgebot_cmd, clean_env, tmp_path) -> None:
    fake = FakeDiscord()
    await fake.start()
    try:
        wrong = bot_token_for(4242)
        env = clean_env | {"DISCORD_TOKEN": wrong, "NUDGEBOT_DISCORD_API_BASE": fake.api_base}
        rc, output = await _run_against(nudgebot_cmd, env, tmp_path)
        assert rc == 1, output
        assert "Discord refused the token" in output and wrong not in output and "Traceback" not in output
    finally:
        await fake.stop()


async def test_message_content_intent_switched_off_is_a_clear_error(nudgebot_cmd, clean_env, tmp_path) -> None:
    fake = FakeDiscord()
    fake.message_content_enabled = False
    await fake.start()
    try:
        fake.add_guild("Society")
        env = clean_env | {"DISCORD_TOKEN": fake.token, "NUDGEBOT_DISCORD_API_BASE": fake.api_base}
        rc, output = await _run_against(nudgebot_cmd, env, tmp_path)
        assert rc == 1, output
        assert "Message Content Intent" in output and "Traceback" not in output
    finally:
        await fake.stop()


async def _log_of_one_breach(nudgebot_cmd, env: dict[str, str], cwd) -> tuple[str, dict[str, object]]:
    """Run `nudgebot discord` (no -v) against a fake, post one breach, stop it; return its log and the message."""
    fake = FakeDiscord()
    await fake.start()
    try:
        guild = fake.add_guild("Log Society")
        alice = fake.add_member(guild, "alice")
        env = env | {"DISCORD_TOKEN": fake.token, "NUDGEBOT_DISCORD_API_BASE": fake.api_base}
        log_path = cwd / "bot.log"
        with log_path.open("w") as log_file:
            process = await asyncio.create_subprocess_exec(*nudgebot_cmd, "discord", env=env, cwd=cwd,
                                                           stdout=log_file, stderr=subprocess.STDOUT)
            try:
                published = "PUT /applications/{application_id}/commands"
                await fake.wait_for(lambda: fake.sessions() and fake.calls(published), 60, "the bot to connect")
                posted = await fake.post_message(fake.channel(guild, "general"), alice, LOGGED_BREACH)
                await fake.wait_for(lambda: fake.dms_to(alice), 30, "the nudge DM")
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGINT)
                rc = await asyncio.wait_for(process.wait(), 30)
        output = log_path.read_text()
        assert rc == 0, output
        return output, posted
    finally:
        await fake.stop()


LOGGED_BREACH = "ring Tomasz on 07700 900456 about the kit, that's his mobile"


@pytest.mark.parametrize("level", ["", "WARNING", "DEBUG"])
async def test_nudgebot_log_level_sets_what_the_bot_logs(nudgebot_cmd, clean_env, tmp_path, level: str) -> None:
    env = clean_env | ({"NUDGEBOT_LOG_LEVEL": level} if level else {})
    output, posted = await _log_of_one_breach(nudgebot_cmd, env, tmp_path)
    recorded = [line for line in output.splitlines() if "incident recorded" in line]
    if level == "WARNING":
        assert recorded == [] and " INFO " not in output
        return
    # INFO by default: the incident's line carries its ids, never the member's words.
    assert len(recorded) == 1, output
    assert f"community_id={posted['guild_id']} channel_id={posted['channel_id']} message_id={posted['id']}" in \
        recorded[0]
    assert "incident_id=1" in recorded[0]
    if level == "DEBUG":
        assert LOGGED_BREACH in output  # the "scanned" line, at DEBUG only
        assert all(" DEBUG " in line for line in output.splitlines() if LOGGED_BREACH in line)
    else:
        assert LOGGED_BREACH not in output and " DEBUG " not in output
