"""Hostile filter values, notes and button values on Slack: SQL and markup are data, never code, and never ping
anyone or forge a link in nudgebot's answer."""

from __future__ import annotations

import json
import re

import pytest

from tests.permissions.slack.conftest import SlackScene
from tests.permissions.slack.test_matrix import _command, _press
from tests.slack.conftest import ALICE

HOSTILE = ["' OR 1=1 --", "clause 5.5.1' OR '1'='1", "clause %", "<!channel>", "<!everyone> hi", "<!here>",
           "@everyone", "<script>alert(1)</script>", "<http://evil.example|click here>", "[click](https://evil.example)",
           "<@U0ALICE> ' OR 1=1 --", "<#C0GENERAL|general> UNION SELECT * FROM incidents", "open; DROP TABLE incidents",
           "&lt;!channel&gt;", "page 1 OR 1=1"]
# The member and channel references and the message links nudgebot writes itself.
_OUR_REFS = re.compile(r"<[@#][A-Z0-9]+>|<https://[a-z0-9-]+\.slack\.com/archives/[^|>]+\|[^>]*>")


def _markup(answer: dict) -> list[str]:
    """Raw Slack markup in an answer other than nudgebot's own <@U…>/<#C…> references."""
    words = answer["text"] + "\n".join(json.dumps(b) for b in answer["blocks"])
    return re.findall(r"<[^>]*>?", _OUR_REFS.sub("", words))


pytestmark = pytest.mark.asyncio(loop_scope="module")  # the module's cases share one scene (see the conftest)


@pytest.mark.parametrize("verb", ["list", "export"])
@pytest.mark.parametrize("value", HOSTILE)
async def test_hostile_filters_are_inert(scene: SlackScene, value: str, verb: str) -> None:
    answer = await _command(scene, "committee", f"{verb} {value}")
    assert _markup(answer) == []  # no <!channel> ping, no forged link, no tag
    assert f"*#{scene.incident_id}*" not in answer["text"] + json.dumps(answer["blocks"])  # no extra rows
    assert "Traceback" not in answer["text"] and "sqlite" not in answer["text"].lower()
    assert "nudgebot's log" not in answer["text"]  # a clear answer, not an internal error
    assert len(scene.harness.incidents()) == 1
    for uploaded in scene.harness.fake.files.values():  # an export, if one was made, holds no row
        assert uploaded.content.decode().count("\n") <= 1


@pytest.mark.fresh_scene  # it confirms the incident
async def test_markup_in_a_review_note_is_kept_as_text(scene: SlackScene) -> None:
    note = "<!channel> <http://evil.example|free pizza> ' OR 1=1 --"
    answer = await _command(scene, "committee", f"review {scene.incident_id} confirm {note}")
    assert "confirmed" in answer["text"] and _markup(answer) == []
    shown = await _command(scene, "committee", f"show {scene.incident_id}")
    assert _markup(shown) == []
    assert "&lt;!channel&gt;" in json.dumps(shown["blocks"])  # shown, escaped, as the committee wrote it
    assert scene.harness.incidents()[0]["status"] == "confirmed"


@pytest.mark.parametrize("value", ["1 OR 1=1", "<!channel>", "1,<http://evil.example|x>", "-1", "1e9", "' --"])
@pytest.mark.parametrize("action_id", ["nudgebot_review_confirm", "nudgebot_nudge_mistake"])
async def test_forged_button_values_are_refused_plainly(scene: SlackScene, value: str, action_id: str) -> None:
    actor = "committee" if action_id.startswith("nudgebot_review") else "poster"
    message = {"type": "message", "ts": "1.000001", "text": "x", "blocks": []} if actor == "committee" else None
    answer = await _press(scene, actor, action_id, value, message)
    assert _markup(answer) == []
    assert scene.harness.incidents()[0]["status"] == "open"
    assert ALICE not in answer["text"]
