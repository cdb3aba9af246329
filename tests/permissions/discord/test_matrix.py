"""Every committee command and button on Discord against every kind of actor: only the right people succeed,
and a refusal reads the same whether the incident exists or not.

Actors: an ordinary member; the committee (the configured role); a server admin (Manage Server, without the
role: the issue counts Manage Server as committee); another server's committee member, who also holds Manage
Server there; and a committee member writing from a DM (committee rights belong to a server, so a DM has none).
"""

from __future__ import annotations

import contextlib
import csv
import io
import sqlite3
from typing import Any

import pytest

from bot.discord.access import REFUSAL
from bot.models import Platform
from tests.discord.support import custom_ids, embed_text, incident_rows
from tests.fakes import discord_payloads as P
from tests.fakes.discord_server import FakeInteraction
from tests.permissions.discord.conftest import Scene

COMMANDS = ("list", "show", "review", "export", "stats", "setup")
ALERT_BUTTONS = ("confirm", "dismiss", "delete", "escalate")
ACTORS = ("member", "committee", "admin", "outsider", "dm")
NUDGE_ACTORS = ("poster", "member", "committee", "admin", "outsider")
MISSING = 1_000  # added to the real id: an incident that does not exist
AFTER_BUTTON = {"confirm": "confirmed", "dismiss": "dismissed", "delete": "resolved", "escalate": "escalated"}
RIGHTS = ("committee", "admin")

pytestmark = pytest.mark.asyncio(loop_scope="module")  # the module's cases share one scene (see the conftest)


def _cases(first: tuple[str, ...], second: tuple[str, ...], changes: Any) -> list[Any]:
    """Every (first, second) pair; those for which `changes(first, second)` holds change guild A or the fake's
    record of it, so each gets a scene of its own, and the others share the module's."""
    return [pytest.param(a, b, id=f"{a}-{b}", marks=[pytest.mark.fresh_scene] if changes(a, b) else [])
            for a in first for b in second]


def _actor(scene: Scene, actor: str) -> tuple[Any, int, int]:
    """(guild or None, channel, user) the actor acts from."""
    world = scene.world
    return {
        "member": (world.guild, world.general, world.bob),
        "committee": (world.guild, world.alerts, world.chair),
        "admin": (world.guild, world.general, scene.admin),
        "outsider": (scene.other_guild, scene.other_channel, scene.outsider),
        "dm": (None, scene.fake.ids.next(), world.chair),
        "poster": (None, 0, world.alice),
    }[actor]


def _options(verb: str, incident_id: int) -> tuple[str, str, dict[str, Any]]:
    command = "nudgebot" if verb == "setup" else "incidents"
    options: dict[str, Any] = {"show": {"incident": incident_id},
                               "review": {"incident": incident_id, "action": "confirm"},
                               "setup": {"retention_days": 42}}.get(verb, {})
    return command, verb, options


async def _slash(scene: Scene, actor: str, verb: str, incident_id: int) -> FakeInteraction:
    guild, channel, user = _actor(scene, actor)
    command, subcommand, options = _options(verb, incident_id)
    if guild is not None:
        return await scene.fake.slash(guild, channel, user, command, subcommand, options)
    # The fake's slash() is for guilds; a DM interaction is built the same way, without a guild.
    fake = scene.fake
    data = {"id": str(fake._command_id(command)), "name": command, "type": 1,
            "options": [{"name": subcommand, "type": 1,
                         "options": [{"name": k, "type": 4, "value": v} if isinstance(v, int) else
                                     {"name": k, "type": 3, "value": v} for k, v in options.items()]}]}
    interaction = fake._interaction_base(2, None, channel, user, data)
    await fake.dispatch("INTERACTION_CREATE", interaction.payload, None)
    return interaction


async def _press(scene: Scene, actor: str, custom_id: str, message: dict[str, Any],
                 user: int | None = None) -> FakeInteraction:
    """The actor presses `custom_id`. Outsiders and DMs cannot see guild A's alert, so for them (and for an id
    that is on no real message) the attack is a copy of the button on a message in their own place."""
    guild, channel, acting = _actor(scene, actor)
    user = user or acting
    if actor in ("outsider", "dm") or custom_id not in custom_ids(message):
        where = channel if actor in ("outsider", "dm") else int(message["channel_id"])
        guild_id = guild.id if actor in ("outsider", "dm") and guild else scene.fake.channel_guild.get(where)
        row = {"type": 1, "components": [{"type": 2, "style": 1, "label": "Press", "custom_id": custom_id}]}
        message = P.message(scene.fake.ids.next(), where, scene.fake.bot_user, "", embeds=message["embeds"],
                            components=[row], guild_id=guild_id)
    return await scene.fake.press_button(message, custom_id, user)


async def _reply(scene: Scene, interaction: FakeInteraction) -> dict[str, Any]:
    """What the actor saw: the callback's data, or the follow-up after a deferral."""
    first = await scene.fake.wait_answer(interaction)
    if first["type"] == 5:
        await scene.fake.wait_for(lambda: interaction.followups, what="the follow-up")
        return interaction.followups[0]
    return first.get("data") or {}


def _leaks(scene: Scene, reply: dict[str, Any], *, typed_id: bool = False) -> list[str]:
    """Anything about guild A's incident in an answer: excerpt words, poster, channel, message id, counts
    (and its number, unless the actor typed it: "no incident #N" only repeats what they asked)."""
    text = embed_text(reply) + str(reply.get("components", ""))
    world = scene.world
    secrets = [*scene.excerpt_words, str(world.alice), str(world.general), scene.alert["id"],
               "5.5.1", "in all", *([] if typed_id else [f"#{scene.incident_id}"])]
    return [s for s in secrets if s in text]


def _status(scene: Scene, settings) -> str:
    return incident_rows(settings.db_path)[0]["status"]


def _same_words(reply: dict[str, Any], missing: dict[str, Any], incident_id: int) -> None:
    def words(data: dict[str, Any]) -> str:
        return embed_text(data).replace(str(incident_id + MISSING), "N").replace(str(incident_id), "N")

    assert words(reply) == words(missing)


def _assert_refused(scene: Scene, reply: dict[str, Any], interaction: FakeInteraction) -> None:
    assert reply.get("content") == REFUSAL
    assert not reply.get("embeds") and not interaction.files
    assert reply["flags"] & 64  # ephemeral
    assert _leaks(scene, reply) == []


def _command_changes_things(verb: str, actor: str) -> bool:
    """The committee's review and setup change guild A; the outsider's setup saves guild B."""
    return (actor in RIGHTS and verb in ("review", "setup")) or (actor == "outsider" and verb == "setup")


@pytest.mark.parametrize(("verb", "actor"), _cases(COMMANDS, ACTORS, _command_changes_things))
async def test_committee_commands(scene: Scene, verb: str, actor: str) -> None:
    settings, core = scene.settings, scene.core
    incident_id = scene.incident_id
    interaction = await _slash(scene, actor, verb, incident_id)
    reply = await _reply(scene, interaction)
    text = embed_text(reply)
    community = await core.store.get_community(Platform.DISCORD, scene.world.guild_id)

    if actor in ("committee", "admin"):
        expected = {"list": f"#{incident_id}", "show": f"Incident #{incident_id}", "review": "is now **confirmed**",
                    "export": "Here is the export", "stats": "Incidents in the last 30 days", "setup": "Saved."}
        assert expected[verb] in text
        if verb == "review":
            assert _status(scene, settings) == "confirmed"
        if verb == "export":
            ((_, data),) = interaction.files
            assert [r["id"] for r in csv.DictReader(io.StringIO(data.decode()))] == [str(incident_id)]
        if verb == "setup":
            assert community.retention_days == 42
        return

    # Nobody else changes anything in guild A.
    assert _status(scene, settings) == "open"
    assert community.retention_days != 42
    if actor in ("member", "dm"):
        _assert_refused(scene, reply, interaction)
        if verb in ("show", "review"):  # the same words for an incident that does not exist
            missing = await _reply(scene, await _slash(scene, actor, verb, incident_id + MISSING))
            assert missing == reply
        return

    # The other server's committee is a committee, of its own server only: it sees nothing of guild A.
    assert _leaks(scene, reply, typed_id=verb in ("show", "review")) == []
    if verb in ("show", "review"):
        missing = await _reply(scene, await _slash(scene, actor, verb, incident_id + MISSING))
        _same_words(reply, missing, incident_id)
        assert f"no incident #{incident_id}" in text
    elif verb == "list":
        assert reply["content"] == "No incidents match."
    elif verb == "export":
        ((_, data),) = interaction.files
        assert list(csv.DictReader(io.StringIO(data.decode()))) == []
    elif verb == "stats":
        assert "Recorded 0" in text
    else:  # setup saved the outsider's own server
        other = await core.store.get_community(Platform.DISCORD, str(scene.other_guild.id))
        assert other.retention_days == 42


@pytest.mark.parametrize(("action", "actor"), _cases(ALERT_BUTTONS, ACTORS, lambda _action, actor: actor in RIGHTS))
async def test_alert_buttons(scene: Scene, action: str, actor: str) -> None:
    settings = scene.settings
    incident_id = scene.incident_id
    custom_id = f"nudgebot:alert:{action}:{incident_id}"
    interaction = await _press(scene, actor, custom_id, scene.alert)
    reply = await _reply(scene, interaction)
    if actor in ("committee", "admin"):
        assert (await scene.fake.wait_answer(interaction))["type"] == 7  # the alert itself notes the decision
        assert _status(scene, settings) == AFTER_BUTTON[action]
        if action == "delete":
            row = incident_rows(settings.db_path)[0]
            assert (int(row["channel_id"]), int(row["message_id"])) in scene.fake.deleted
        return

    assert _status(scene, settings) == "open"
    assert scene.fake.deleted == []
    missing_id = f"nudgebot:alert:{action}:{incident_id + MISSING}"
    missing = await _reply(scene, await _press(scene, actor, missing_id, scene.alert))
    if actor in ("member", "dm"):
        _assert_refused(scene, reply, interaction)
        assert missing == reply
    else:
        assert _leaks(scene, reply, typed_id=True) == []
        _same_words(reply, missing, incident_id)


@pytest.mark.parametrize(("kind", "actor"), _cases(("fixed", "mistake"), NUDGE_ACTORS,
                                                   lambda _kind, actor: actor == "poster"))
async def test_nudge_buttons_answer_only_the_poster(scene: Scene, kind: str, actor: str) -> None:
    settings = scene.settings
    _, _, user = _actor(scene, actor)
    incident_id = scene.incident_id
    pressed = await _press(scene, "poster" if actor == "poster" else "member", f"nudgebot:nudge:{kind}:{incident_id}",
                           scene.nudge, user)
    reply = await _reply(scene, pressed)
    with contextlib.closing(sqlite3.connect(settings.db_path)) as db:
        feedback = db.execute("SELECT user_id, kind FROM feedback").fetchall()
    if actor == "poster":
        assert "Thank" in reply["content"]
        assert feedback == [(str(user), kind)]
        return
    assert feedback == []
    missing = await _reply(scene, await _press(scene, "member", f"nudgebot:nudge:{kind}:{incident_id + MISSING}",
                                               scene.nudge, user))
    assert missing == reply
    assert _leaks(scene, reply, typed_id=True) == []
