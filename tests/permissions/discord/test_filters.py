"""Hostile filter values and notes on Discord: SQL and markup are data, never code, and never ping anyone."""

from __future__ import annotations

import pytest

from tests.discord.support import embed_text, incident_rows
from tests.permissions.discord.conftest import Scene

HOSTILE = ["' OR 1=1 --", "5.5.1' OR '1'='1", "%", "_._._", "<script>alert(1)</script>", "@everyone",
           "@here", "<@&1>", "[click me](https://evil.example/)", "5.5.1; DROP TABLE incidents; --",
           "\u202e1.5.5", "5.5.1\x00"]


pytestmark = pytest.mark.asyncio(loop_scope="module")  # the module's cases share one scene (see the conftest)


@pytest.mark.parametrize("value", HOSTILE)
async def test_hostile_clause_filter_matches_nothing_and_is_not_echoed(scene: Scene, value: str) -> None:
    fake, world, settings = scene.fake, scene.world, scene.settings
    asked = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "list", {"clause": value})
    answer = (await fake.wait_answer(asked))["data"]
    assert answer["content"] == "No incidents match."  # no error text, no extra rows
    assert not answer.get("embeds")
    assert answer["allowed_mentions"] == {"parse": []}
    assert len(incident_rows(settings.db_path)) == 1  # the table is still there, unchanged

    # The same value in the other free-text place, export, gives a file with the header only.
    exported = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "export", {"clause": value})
    await fake.wait_for(lambda: exported.followups, what="the export")
    ((_, data),) = exported.files
    assert data.decode().count("\n") == 1


@pytest.mark.fresh_scene  # it confirms the incident
async def test_markup_in_a_review_note_is_shown_as_text_and_pings_no_one(scene: Scene) -> None:
    fake, world, settings = scene.fake, scene.world, scene.settings
    note = "@everyone <@&1> [free pizza](https://evil.example/) ' OR 1=1 --"
    reviewed = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "review",
                                {"incident": scene.incident_id, "action": "confirm", "note": note})
    answer = (await fake.wait_answer(reviewed))["data"]
    assert note not in answer["content"] and answer["allowed_mentions"] == {"parse": []}
    shown = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "show",
                             {"incident": scene.incident_id})
    detail = (await fake.wait_answer(shown))["data"]
    assert note in embed_text(detail)  # kept exactly, as text inside an embed (embeds never ping)
    assert "@everyone" not in (detail.get("content") or "")
    assert detail["allowed_mentions"] == {"parse": []}
    assert incident_rows(settings.db_path)[0]["status"] == "confirmed"
