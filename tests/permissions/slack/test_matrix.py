"""Every committee command and button on Slack against every kind of actor: only the committee succeeds, and a
refusal reads the same whether the incident exists or not.

Who is on the committee on Slack: members of the configured user group or committee channel, asked of Slack on
every use. A workspace admin who is in neither is not: Slack sends no admin flag with a command or a button, and
asking (users.info) would need the users:read scope nudgebot does without. A DM with nudgebot is still inside the
workspace, so the committee may use /incidents there and nobody else may.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sqlite3
import time
from typing import Any

import pytest

from bot.models import Platform
from bot.slack.access import REFUSAL
from bot.texts import SLACK_SETUP_COMMITTEE_ONLY
from tests.fakes import slack_events as payloads
from tests.permissions.slack.conftest import ADMIN, OTHER_TEAM, OUTSIDER, SlackScene
from tests.slack.conftest import ALICE, BOB, CAROL, GENERAL, TEAM, eventually

ACTORS = ("member", "committee", "admin", "outsider", "dm", "dm-member")
ALLOWED = ("committee", "dm")
COMMANDS = ("list", "show", "review", "export", "stats")
ALERT_BUTTONS = ("confirm", "dismiss", "escalate")
MISSING = 1_000
AFTER = {"confirm": "confirmed", "dismiss": "dismissed", "escalate": "escalated"}
ONLY_POSTER = "Only the person who posted the message can answer this note."

pytestmark = pytest.mark.asyncio(loop_scope="module")  # the module's cases share one scene (see the conftest)


def _cases(first: tuple[str, ...], second: tuple[str, ...], changes: Any) -> list[Any]:
    """Every (first, second) pair; those for which `changes(first, second)` holds change the workspace or the
    fake's record of it, so each gets a scene of its own, and the others share the module's."""
    return [pytest.param(a, b, id=f"{a}-{b}", marks=[pytest.mark.fresh_scene] if changes(a, b) else [])
            for a in first for b in second]


def _command_changes_things(verb: str, actor: str) -> bool:
    """The committee's review changes the incident; an export that is made uploads a file the others count."""
    return (actor in ALLOWED and verb in ("review", "export")) or (actor == "outsider" and verb == "export")


def _actor(actor: str) -> tuple[str, str, str]:
    """(team, channel, user) an actor acts from."""
    return {"member": (TEAM, GENERAL, BOB), "committee": (TEAM, GENERAL, CAROL), "admin": (TEAM, GENERAL, ADMIN),
            "outsider": (OTHER_TEAM, "C0ELSEWHERE", OUTSIDER), "dm": (TEAM, "D0CAROL", CAROL),
            "dm-member": (TEAM, "D0BOB", BOB), "poster": (TEAM, GENERAL, ALICE)}[actor]


def _text(verb: str, incident_id: int) -> str:
    return {"show": f"show {incident_id}", "review": f"review {incident_id} confirm"}.get(verb, verb)


async def _response(scene: SlackScene, key: str) -> dict[str, Any]:
    harness = scene.harness
    await eventually(lambda: bool(harness.responses(key)), what=f"an answer at {key}")
    (answer,) = harness.responses(key)
    return {"text": answer.text, "blocks": answer.blocks}


async def _command(scene: SlackScene, actor: str, text: str) -> dict[str, Any]:
    team, channel, user = _actor(actor)
    fake = scene.harness.fake
    key = f"cmd-{time.monotonic_ns()}"
    await fake.send_envelope("slash_commands", payloads.slash_command(team, "/incidents", text, user, channel,
                                                                      fake.response_url(key)))
    return await _response(scene, key)


async def _press(scene: SlackScene, actor: str, action_id: str, value: str, message: dict | None) -> dict[str, Any]:
    team, channel, user = _actor(actor)
    fake = scene.harness.fake
    key = f"press-{time.monotonic_ns()}"
    container = "message" if message else "ephemeral"
    await scene.harness.interaction(payloads.block_action(team, user, channel, action_id, value,
                                                          fake.response_url(key), message=message,
                                                          container_type=container))
    return await _response(scene, key)


def _words(answer: dict[str, Any]) -> str:
    return answer["text"] + json.dumps(answer["blocks"])


def _leaks(scene: SlackScene, answer: dict[str, Any], *, typed_id: bool = False) -> list[str]:
    text = _words(answer)
    secrets = ["kill", "loser", ALICE, "5.5.1", *([] if typed_id else [f"#{scene.incident_id}"])]
    return [s for s in secrets if s in text]


def _same_words(answer: dict[str, Any], missing: dict[str, Any], incident_id: int) -> None:
    def words(data: dict[str, Any]) -> str:
        return _words(data).replace(str(incident_id + MISSING), "N").replace(str(incident_id), "N")

    assert words(answer) == words(missing)


def _status(scene: SlackScene) -> str:
    return scene.harness.incidents()[0]["status"]


@pytest.mark.parametrize(("verb", "actor"), _cases(COMMANDS, ACTORS, _command_changes_things))
async def test_incidents_command(scene: SlackScene, verb: str, actor: str) -> None:
    incident_id = scene.incident_id
    answer = await _command(scene, actor, _text(verb, incident_id))
    fake = scene.harness.fake
    _, _, user = _actor(actor)
    if actor in ALLOWED:
        expected = {"list": f"*#{incident_id}*", "show": f"Incident #{incident_id}", "review": "is now confirmed",
                    "export": "direct message", "stats": "*Incidents* (last 30 days): 1"}
        assert expected[verb] in _words(answer)
        if verb == "review":
            assert _status(scene) == "confirmed"
        if verb == "export":
            (uploaded,) = fake.files.values()
            assert uploaded.channel == fake.dm_channel(user)
            assert [int(r["id"]) for r in csv.DictReader(io.StringIO(uploaded.content.decode()))] == [incident_id]
        return

    assert _status(scene) == "open"
    if actor != "outsider":
        assert answer["text"] == REFUSAL and not answer["blocks"]
        assert fake.files == {}
        missing = await _command(scene, actor, _text(verb, incident_id + MISSING))
        assert missing == answer  # the refusal is the same whether the incident exists or not
        return

    # The other workspace's committee is a committee of its own workspace only.
    assert _leaks(scene, answer, typed_id=verb in ("show", "review")) == []
    if verb in ("show", "review"):
        assert f"no incident #{incident_id}" in answer["text"]
        _same_words(answer, await _command(scene, actor, _text(verb, incident_id + MISSING)), incident_id)
    elif verb == "list":
        assert answer["text"] == "No incidents match."
    elif verb == "export":
        (uploaded,) = fake.files.values()
        assert uploaded.channel == fake.dm_channel(OUTSIDER)
        assert list(csv.DictReader(io.StringIO(uploaded.content.decode()))) == []
    else:
        assert "*Incidents* (last 30 days): 0" in _words(answer)


@pytest.mark.parametrize(("action", "actor"), _cases(ALERT_BUTTONS, ACTORS, lambda _action, actor: actor in ALLOWED))
async def test_alert_buttons(scene: SlackScene, action: str, actor: str) -> None:
    incident_id = scene.incident_id
    answer = await _press(scene, actor, f"nudgebot_review_{action}", str(incident_id), scene.alert)
    if actor in ALLOWED:
        assert _status(scene) == AFTER[action]
        assert "nudgebot_review_" not in json.dumps(answer["blocks"])  # the alert's buttons are gone
        return
    assert _status(scene) == "open"
    missing = await _press(scene, actor, f"nudgebot_review_{action}", str(incident_id + MISSING), scene.alert)
    if actor == "outsider":
        assert _leaks(scene, answer, typed_id=True) == []
        _same_words(answer, missing, incident_id)
    else:
        assert answer["text"] == REFUSAL and missing == answer


@pytest.mark.parametrize(("kind", "actor"), _cases(("fixed", "mistake"), ("poster", *ACTORS),
                                                   lambda _kind, actor: actor == "poster"))
async def test_nudge_buttons_answer_only_the_poster(scene: SlackScene, kind: str, actor: str) -> None:
    incident_id = scene.incident_id
    answer = await _press(scene, actor, f"nudgebot_nudge_{kind}", str(incident_id), None)
    with contextlib.closing(sqlite3.connect(scene.harness.settings.db_path)) as db:
        feedback = db.execute("SELECT user_id, kind FROM feedback").fetchall()
    if actor == "poster":
        assert answer["text"].startswith("Thank you")
        assert feedback == [(ALICE, kind)]
        return
    assert feedback == []
    assert answer["text"] == ONLY_POSTER
    missing = await _press(scene, actor, f"nudgebot_nudge_{kind}", str(incident_id + MISSING), None)
    assert missing == answer
    assert _leaks(scene, answer, typed_id=True) == []


async def _setup(scene: SlackScene, actor: str, text: str) -> dict[str, Any]:
    team, channel, user = _actor(actor)
    fake = scene.harness.fake
    key = f"setup-{time.monotonic_ns()}"
    await fake.send_envelope("slash_commands", payloads.slash_command(team, "/nudgebot-setup", text, user, channel,
                                                                      fake.response_url(key)))
    return await _response(scene, key)


@pytest.mark.parametrize("actor", [pytest.param(a, marks=[pytest.mark.fresh_scene] if a in (*ALLOWED, "outsider")
                                                else []) for a in ACTORS])
async def test_setup_command(scene: SlackScene, actor: str) -> None:
    store = scene.harness.bot.core.store
    before = await store.get_community(Platform.SLACK, TEAM)
    answer = await _setup(scene, actor, f"retention=42 under18=<#{GENERAL}|general>")
    after = await store.get_community(Platform.SLACK, TEAM)
    if actor in ALLOWED:
        assert "Saved." in _words(answer) and "42 days" in _words(answer)
        assert (after.retention_days, after.under18_channels) == (42, (GENERAL,))
        return
    assert after == before
    if actor == "outsider":  # the other workspace's committee sets up its own workspace only
        other = await store.get_community(Platform.SLACK, OTHER_TEAM)
        assert other.retention_days == 42 and before.alerts_channel not in _words(answer)
        return
    assert answer["text"] == SLACK_SETUP_COMMITTEE_ONLY
    assert before.alerts_channel not in _words(answer) and "retention" not in _words(answer).lower()
