"""Settings from .env and the environment: defaults, overrides, clear errors, and secrets never shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import Secret, SettingsError, load_settings
from bot.store.target import is_postgresql, shown

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.secret-token-value"


def test_defaults_without_env(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "missing.env", environ={})
    assert settings.db_path == Path("nudgebot.db")
    assert settings.escalation_threshold == 3 and settings.escalation_window_days == 7
    assert settings.discord_token is None and "116 123" in settings.welfare_text


def test_env_file_then_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(f"NUDGEBOT_DB=/data/a.db\nDISCORD_TOKEN={TOKEN}\nNUDGEBOT_ESCALATION_THRESHOLD=4\n",
                   encoding="utf-8")
    settings = load_settings(env, environ={"NUDGEBOT_DB": "/data/b.db"})
    assert settings.db_path == Path("/data/b.db")
    assert settings.escalation_threshold == 4
    assert isinstance(settings.discord_token, Secret) and settings.discord_token.reveal() == TOKEN


def test_a_postgresql_url_stays_a_url_and_is_shown_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://nudgebot:hunter2@db.union.example:5432/nudgebot"
    settings = load_settings(tmp_path / "absent.env", environ={"NUDGEBOT_DB": url})
    assert settings.db_path == url and is_postgresql(settings.db_path)  # not a Path, which would fold the "//"
    assert shown(settings.db_path) == "postgresql://nudgebot@db.union.example:5432/nudgebot"
    assert not is_postgresql(load_settings(tmp_path / "absent.env", environ={}).db_path)


def test_secrets_never_appear_in_repr_or_str(tmp_path: Path) -> None:
    settings = load_settings(None, environ={"DISCORD_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": "abc123secret"})
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert "abc123secret" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "variable"),
    [({"NUDGEBOT_ESCALATION_THRESHOLD": "three"}, "NUDGEBOT_ESCALATION_THRESHOLD"),
     ({"NUDGEBOT_RETENTION_DAYS": "0"}, "NUDGEBOT_RETENTION_DAYS"),
     ({"SLACK_MODE": "carrier-pigeon"}, "SLACK_MODE"),
     ({"NUDGEBOT_STUDENT_NUMBER_PATTERN": "(\\d{9"}, "NUDGEBOT_STUDENT_NUMBER_PATTERN"),
     ({"NUDGEBOT_KEEP_FULL_CONTENT": "maybe"}, "NUDGEBOT_KEEP_FULL_CONTENT")],
)
def test_a_bad_value_names_the_variable_and_the_fix(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ=environ)
    assert str(caught.value).startswith(f"{variable}: ") and ". " in str(caught.value)


def test_a_mistyped_token_is_refused_without_echoing_it() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={"SLACK_BOT_TOKEN": "xapp-should-have-been-bot-token-9999"})
    assert "xapp-should-have-been-bot-token-9999" not in str(caught.value)
    assert "SLACK_BOT_TOKEN" in str(caught.value)


def test_a_broken_env_line_names_the_file_and_line(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(f"DISCORD_TOKEN={TOKEN}\nthis line is broken\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"\.env:2: this line is not KEY=value") as caught:
        load_settings(env, environ={})
    assert TOKEN not in str(caught.value)


ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
SETTINGS_SOURCE = Path(__file__).resolve().parents[2] / "bot" / "settings.py"


def test_env_example_documents_every_variable_the_settings_read() -> None:
    read = set(re.findall(r"\"((?:NUDGEBOT|DISCORD|SLACK)_[A-Z_]+)\"", SETTINGS_SOURCE.read_text(encoding="utf-8")))
    assert {"NUDGEBOT_DB", "DISCORD_TOKEN", "SLACK_BOT_TOKEN"} <= read
    # A setting may be shown commented out (NUDGEBOT_DB: the Docker image sets its own, see tests/cli).
    documented = set(re.findall(r"^(?:# )?([A-Z_]+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE))
    assert read - documented == set(), "add these to .env.example with a comment"
    assert documented - read == set(), "remove these from .env.example, or read them in bot/settings.py"


def test_env_example_as_is_loads_the_defaults() -> None:
    assert load_settings(ENV_EXAMPLE, environ={}) == load_settings(None, environ={})
