"""Through slack-bolt and the fake Slack: a shared message and a file's title, name and alt text are read as
part of the message that carries them; a link preview (a web page's words) is not."""

from __future__ import annotations

import json

from tests.fakes import slack_events as payloads
from tests.slack.conftest import ALICE, BOB, BREACH, CLEAN, GENERAL, PRIVATE, SERIOUS, Harness

INSULT = "you worthless idiot"  # clause 5.5.3


async def test_a_shared_message_is_read_and_a_repeat_counts_once(harness: Harness) -> None:
    original = payloads.message(BOB, PRIVATE, SERIOUS)
    share = payloads.message(ALICE, GENERAL, "", attachments=[payloads.shared(original, author_name="bob")])
    await harness.event(share)
    await harness.event(share)  # delivered again under a new event id: the same message, the same incident
    await harness.settled(2)
    rows = harness.incidents()
    assert [(r["author_id"], r["channel_id"]) for r in rows] == [(ALICE, GENERAL)]
    assert "5.5.1" in json.loads(rows[0]["clauses"])


async def test_a_link_preview_is_not_the_members_words(socket_harness: Harness) -> None:
    preview = payloads.link_preview("https://example.org/review", "Film review", f"critics: '{INSULT}'")
    await socket_harness.event(payloads.message(ALICE, GENERAL, "worth a read https://example.org/review",
                                                attachments=[preview]))
    await socket_harness.event(payloads.message(BOB, GENERAL, BREACH))  # moderated, and proves the first ran
    await socket_harness.settled(2)
    assert [r["author_id"] for r in socket_harness.incidents()] == [BOB]


async def test_a_files_title_name_and_alt_text_are_read(socket_harness: Harness) -> None:
    titled = payloads.message(ALICE, GENERAL, "", subtype="file_share", upload=True,
                              files=[payloads.file("IMG_0041.png", title=f"{INSULT} lol")])
    named = payloads.message(BOB, GENERAL, "from the hike", subtype="file_share", upload=True,
                             files=[payloads.file("you_worthless-idiot.png", user=BOB)])
    described = payloads.message(ALICE, PRIVATE, "", subtype="file_share", upload=True,
                                 files=[payloads.file("ridge.png", title="ridge", alt_txt=SERIOUS)])
    clean = payloads.message(BOB, GENERAL, CLEAN, subtype="file_share", upload=True,
                             files=[payloads.file("summit_at_dawn.jpg", alt_txt="Mist over the ridge", user=BOB)])
    for event in (titled, named, described, clean):
        await socket_harness.event(event)
    await socket_harness.settled(4)
    rows = {r["message_id"]: r for r in socket_harness.incidents()}
    assert set(rows) == {f"{GENERAL}:{titled['ts']}", f"{GENERAL}:{named['ts']}", f"{PRIVATE}:{described['ts']}"}
