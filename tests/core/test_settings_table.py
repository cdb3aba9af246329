"""Settings are declared once: the table in `bot/settings.py` yields `Settings`, its loader, `.env.example` and the
README's table, and the Docker image sets nothing the table does not know."""

from __future__ import annotations

import typing
from dataclasses import fields
from pathlib import Path

import pytest

from bot.settings import Secret, Settings, SettingsError, load_settings, variables
from bot.settings_docs import TABLE_END, TABLE_START, docs_table, env_example, readme_table, write
from tests.cli.test_settings_files import _image_env

REPO = Path(__file__).resolve().parents[2]


def test_env_example_is_exactly_what_the_table_yields() -> None:
    assert (REPO / ".env.example").read_text(encoding="utf-8") == env_example(), \
        "run `python -m bot.settings_docs` to rewrite .env.example from bot/settings.py"


def test_the_readme_table_is_exactly_what_the_table_yields() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.count(TABLE_START) == 1 and readme.count(TABLE_END) == 1
    assert readme_table(readme) == docs_table(), \
        "run `python -m bot.settings_docs` to rewrite the README's table from bot/settings.py"


def test_every_field_is_read_from_one_variable_and_secrets_are_secrets() -> None:
    declared = {name: variable for name, variable in variables()}
    assert set(declared) == {f.name for f in fields(Settings)} - {"extra"}
    names = [v.name for v in declared.values()]
    assert len(set(names)) == len(names)
    hints = typing.get_type_hints(Settings)
    for name, variable in declared.items():
        assert variable.secret == (Secret in typing.get_args(hints[name])), name
        assert variable.doc and variable.comment, name


def test_each_variable_in_the_table_is_read_by_the_loader() -> None:
    # A value other than the default for each, proving the loader reads that variable into that field.
    given = {"NUDGEBOT_DB": "elsewhere.db", "NUDGEBOT_RULES_DIR": str(REPO / "rules"),
             "NUDGEBOT_STUDENT_NUMBER_PATTERN": r"\d{7}", "DISCORD_TOKEN": "d-token",
             "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "s3",
             "SLACK_MODE": "http", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c-secret",
             "SLACK_STATE_SECRET": "st-secret", "SLACK_REDIRECT_URI": "https://bot.example/slack/oauth_redirect",
             "NUDGEBOT_COMMITTEE_ROLE": "Exec", "NUDGEBOT_NUDGE_WINDOW_HOURS": "1",
             "NUDGEBOT_ESCALATION_THRESHOLD": "5", "NUDGEBOT_ESCALATION_WINDOW_DAYS": "9",
             "NUDGEBOT_RETENTION_DAYS": "30", "NUDGEBOT_KEEP_FULL_CONTENT": "true",
             "NUDGEBOT_WELFARE_TEXT": "Talk to us",
             "NUDGEBOT_INBOX_MEMORY": "50", "NUDGEBOT_LOG_LEVEL": "debug"}
    assert set(given) == {v.name for _, v in variables()}
    loaded, default = load_settings(None, environ=given), Settings()
    for name, variable in variables():
        assert getattr(loaded, name) != getattr(default, name), variable.name


@pytest.mark.parametrize("name", [v.name for _, v in variables() if v.secret])
def test_a_wrong_secret_is_never_echoed(name: str) -> None:
    pasted = "not-a-token-" + "z" * 20
    try:
        settings = load_settings(None, environ={name: pasted})
    except SettingsError as error:  # the Slack tokens check their prefix
        assert pasted not in str(error) and name in str(error)
        return
    assert pasted not in repr(settings) and pasted not in str(settings)


def test_the_image_sets_only_variables_of_the_table() -> None:
    image = _image_env((REPO / "Dockerfile").read_text(encoding="utf-8"))
    ours = {k for k in image if k.startswith(("NUDGEBOT_", "DISCORD_", "SLACK_"))}
    assert ours and ours <= {v.name for _, v in variables()}
    load_settings(None, environ=image)  # and each value it sets is one the loader accepts


def test_the_writer_rewrites_a_stale_copy(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (tmp_path / "README.md").write_text(readme.replace("| `SLACK_MODE` | `socket` |", "| `SLACK_MODE` | `http` |"),
                                        encoding="utf-8")
    (tmp_path / ".env.example").write_text("# old\n", encoding="utf-8")
    assert sorted(p.name for p in write(tmp_path)) == [".env.example", "README.md"]
    assert readme_table((tmp_path / "README.md").read_text(encoding="utf-8")) == docs_table()
    assert (tmp_path / ".env.example").read_text(encoding="utf-8") == env_example()
    assert write(tmp_path) == []
