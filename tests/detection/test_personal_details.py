"""Personal details without numbers (clause 5.5.5), through the real scanner: someone else's sensitive facts,
whereabouts, handles with a location and private messages are caught with spans on the original text; the
poster's own facts, consent and ordinary talk about the same topics are left alone; secrecy nudges, while a
disclosure with nothing said about consent is held for review."""

from __future__ import annotations

import pytest

from bot.detection.scanner import load_default_scanner
from bot.models import Audience, ScanContext, Tier

PACK_RULES = ("pii.special-category", "pii.special-category-religion", "pii.whereabouts", "pii.lives-at",
              "pii.handle-location", "pii.private-messages")


def details(text: str) -> list[tuple[str, str, Tier, str]]:
    verdict = load_default_scanner().scan(text)
    return [(m.rule_id, text[m.start:m.end], m.tier, m.ownership) for m in verdict.matches
            if m.rule_id in PACK_RULES]


def _word_aligned(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or after.isalnum())


@pytest.mark.parametrize(("text", "rule", "words"), [
    ("omg did you know priya is bisexual, keep it quiet", "pii.special-category", "bisexual"),
    ("he's trans btw, don't tell anyone i said", "pii.special-category", "trans"),
    ("my flatmate got diagnosed with bulimia, shh", "pii.special-category", "diagnosed with bulimia"),
    ("apparently hana's pregnant again", "pii.special-category", "pregnant"),
    ("lewis was arrested for shoplifting in freshers, nobody knows", "pii.special-category", "arrested for"),
    ("noah's on an expired visa so he's hiding from the uni, don't say", "pii.special-category", "expired visa"),
    ("sara's on antidepressants fyi", "pii.special-category", "antidepressants"),
    ("idris is jewish but he hides it at work", "pii.special-category-religion", "jewish"),
    ("amy's room is 118, just knock", "pii.whereabouts", "room is 118"),
    ("their door code is 7712 lol", "pii.whereabouts", "door code is 7712"),
    ("mo lives at flat 6 above the kebab shop", "pii.lives-at", "lives at flat 6"),
    ("her snap is lils.x and she's at the pub alone rn", "pii.handle-location", "snap is lils.x"),
    ("screenshots of ella's dms incoming 😂", "pii.private-messages", "ella's dms"),
])
def test_someone_elses_details_are_caught_with_spans_on_the_original_text(text: str, rule: str, words: str) -> None:
    verdict = load_default_scanner().scan(text)
    [match] = [m for m in verdict.matches if m.rule_id == rule]
    span = text[match.start:match.end]
    assert words in span and _word_aligned(text, match.start, match.end), span
    assert match.clause == "5.5.5" and match.ownership in ("others", "unknown")


@pytest.mark.parametrize("text", [
    "kara is bisexual, she's got a girlfriend now",
    "kwame's been diagnosed with diabetes",
])
def test_a_disclosure_with_nothing_said_about_consent_is_held_for_review(text: str) -> None:
    [(_, _, tier, ownership)] = details(text)
    assert (tier, ownership) == (Tier.REVIEW, "unknown")


@pytest.mark.parametrize("text", [
    "did you know kara is bisexual",  # gossip
    "ben is pregnant, she hasn't told anyone yet",  # secrecy
])
def test_gossip_or_secrecy_makes_it_a_nudge(text: str) -> None:
    [(_, _, tier, ownership)] = details(text)
    assert (tier, ownership) == (Tier.NUDGE, "others")


@pytest.mark.parametrize("text", [
    "sharing this for jordan, he asked me to: he's been diagnosed with ME so he'll miss training",
    "with her permission: chi is pregnant and due in may, so no heavy lifting at the stall",
    "tasha said it's fine to share that she's on hrt, be kind",
])
def test_consent_withdraws_a_disclosure_and_says_why(text: str) -> None:
    verdict = load_default_scanner().scan(text)
    assert not [m for m in verdict.matches if m.rule_id in PACK_RULES]
    reasons = [why for m, why in verdict.suppressed if m.rule_id in PACK_RULES]
    assert reasons and all("consent" in why for why in reasons)


@pytest.mark.parametrize("text", [
    "i'm gay and i'm running the pride social",
    "i was diagnosed with adhd last year, so notes help me",
    "i'm pregnant so i'll skip the bar crawl",
    "my room is 214 if you need to drop off the banner",
    "i live at the end of hamilton court",
    "the patient has diabetes and hypertension",
    "this is a gay bar so be respectful",
    "the lecture covers depression in teenagers",
    "everyone is welcome whatever your religion",
    "my insta is @bex.paints, come say hi",
    "follow our tiktok @runsoc for race day clips",
    "screenshot of the rota for this week",
    "the meeting moved to room 2.14, same time",
    "my friend is muslim so let's pick a halal place",
])
def test_own_details_and_ordinary_talk_are_left_alone(text: str) -> None:
    assert details(text) == []


def test_an_under_18_channel_changes_nothing_about_consent() -> None:
    text = "sharing this for jordan, he asked me to: he's been diagnosed with ME"
    verdict = load_default_scanner().scan(text, ScanContext(audience=Audience.UNDER18))
    assert not [m for m in verdict.matches if m.rule_id in PACK_RULES]
