"""Settings files: errors name the real problem (a missing --env-file, an unclosed quote and its line), `~` means
the home folder, and the Docker image's settings agree with `.env.example`."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from bot.settings import load_settings, read_env_file
from tests.cli.conftest import Cli, run_nudgebot

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_missing_env_file_named_on_the_command_line_says_so(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.env"
    ran = cli("slack", "--env-file", missing, "--check",
              env={"SLACK_BOT_TOKEN": "xoxb-from-the-environment", "SLACK_APP_TOKEN": "xapp-1"})
    assert ran.code == 1
    assert ran.err_lines == [f"nudgebot: {missing}: no such file or directory. Check the path, or leave the "
                             "option out to read .env in this folder"]


def test_a_missing_env_file_through_a_real_process(nudgebot_cmd: list[str], clean_env: dict[str, str]) -> None:
    ran = run_nudgebot(nudgebot_cmd, clean_env, "slack", "--env-file", "/nope.env", "--check")
    assert ran.code == 1 and ran.err_lines[0].startswith("nudgebot: /nope.env: no such file"), ran.err
    assert "SLACK_BOT_TOKEN" not in ran.err and len(ran.err_lines) == 1


def test_without_env_file_a_missing_dot_env_is_fine(cli: Cli, tmp_path: Path) -> None:
    assert not (tmp_path / ".env").exists()
    ran = cli("slack", "--check")
    assert ran.code == 1 and "SLACK_BOT_TOKEN: is not set" in ran.err  # the real problem, not the file


@pytest.mark.parametrize("value, quote", [('"Advice Service on 116 123', '"'), ("'the SU advice desk", "'")])
def test_an_unclosed_quote_is_named_with_its_line(cli: Cli, tmp_path: Path, value: str, quote: str) -> None:
    (tmp_path / ".env").write_text(f"# nudgebot\nNUDGEBOT_LOG_LEVEL=INFO\nNUDGEBOT_WELFARE_TEXT={value}\n"
                                   "NUDGEBOT_RETENTION_DAYS=90\n", encoding="utf-8")
    ran = cli("db", "status")
    assert ran.code == 1
    assert ran.err_lines == [f"nudgebot: .env:3: unclosed {quote} quote in the value of NUDGEBOT_WELFARE_TEXT. End "
                             f"the value with {quote} on this line (a quoted value spans lines only up to its "
                             "closing quote)"]
    named = tmp_path / "bot.env"
    named.write_text((tmp_path / ".env").read_text(encoding="utf-8"), encoding="utf-8")
    assert f"{named}:3: unclosed {quote} quote" in cli("slack", "--env-file", named, "--check").err


def test_other_bad_lines_and_good_quotes_are_told_apart(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text('NUDGEBOT_WELFARE_TEXT="two\nlines" # a comment\nNUDGEBOT_DB=\'x.db\'\n', encoding="utf-8")
    assert read_env_file(env) == {"NUDGEBOT_WELFARE_TEXT": "two\nlines", "NUDGEBOT_DB": "x.db"}
    env.write_text('NUDGEBOT_DB="x.db" and more\n', encoding="utf-8")
    with pytest.raises(Exception, match=r"\.env:1: this line is not KEY=value"):
        read_env_file(env)


def test_tilde_is_the_home_folder_in_path_settings(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / "packs").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    settings = load_settings(env_file=None, environ={"NUDGEBOT_DB": "~/nudgebot.db", "NUDGEBOT_RULES_DIR": "~/packs"})
    assert settings.db_path == home / "nudgebot.db" and settings.rules_dirs == (home / "packs",)
    assert cli("db", "upgrade", env={"NUDGEBOT_DB": "~/data/n.db"}).code == 0
    assert (home / "data" / "n.db").is_file() and not (tmp_path / "~").exists()


# ---------------------------------------------------------------- Docker

def _image_env(dockerfile: str) -> dict[str, str]:
    """The ENV settings of the Dockerfile's last stage (the image that runs), continuation lines joined."""
    last_stage = re.split(r"^FROM\s", dockerfile, flags=re.MULTILINE)[-1]
    joined = re.sub(r"\\\n\s*", " ", last_stage)
    env: dict[str, str] = {}
    for line in joined.splitlines():
        if line.startswith("ENV "):
            env.update(item.split("=", 1) for item in shlex.split(line[4:]))
    return env


def _docker_env_file(path: Path) -> dict[str, str]:
    """`docker run --env-file`'s reading: KEY=VALUE lines taken literally, `#` lines and blanks skipped."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


def test_the_image_and_env_example_agree() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    image = _image_env(dockerfile)
    example = REPO_ROOT / ".env.example"
    assert image["NUDGEBOT_DB"] == "/data/nudgebot.db"
    # What the README says to run: `docker run --env-file .env -v nudgebot-data:/data nudgebot`. The env file
    # wins over the image's ENV, so .env.example must not set anything the image sets to something else.
    for reading in (_docker_env_file(example), read_env_file(example)):
        clashes = {k: v for k, v in reading.items() if k in image and v != image[k]}
        assert not clashes, f".env.example overrides the image's settings: {clashes}"
    settings = load_settings(env_file=None, environ={**image, **_docker_env_file(example)})
    assert settings.db_path == Path("/data/nudgebot.db")
    assert '"--db", "/data/nudgebot.db"' in dockerfile  # the health check looks where the bot writes
    assert re.search(r'^VOLUME \["/data"\]', dockerfile, flags=re.MULTILINE)
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]["nudgebot"]
    assert compose["environment"]["NUDGEBOT_DB"] == image["NUDGEBOT_DB"]
    assert any(volume.endswith(":/data") for volume in compose["volumes"])


def test_env_example_documents_every_setting_it_leaves_out() -> None:
    text = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    assert re.search(r"^# NUDGEBOT_DB=~/", text, flags=re.MULTILINE)  # shown, commented out, with why
    assert "docker run --env-file" in text
