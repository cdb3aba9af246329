"""Confidential SU matters and logins (5.5.5), copyright (5.5.4), explicit and illegal content (5.5.2) and the
stricter under-18 tiers (5.2), through the real scanner with examples of our own: each language family is caught
and the everyday talk that shares its words is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.detection.audience import for_audience
from bot.detection.scanner import Scanner, load_default_scanner
from bot.models import Audience, Match, ScanContext, Severity, Tier


def rules_fired(text: str, prefix: str, context: ScanContext | None = None) -> list[str]:
    return [m.rule_id for m in load_default_scanner().scan(text, context).matches if m.rule_id.startswith(prefix)]


@pytest.mark.parametrize("text", [
    "between us, the treasurer is being investigated over the float",
    "not announced yet but the ball's been cancelled, you heard it from me",
    "keep this in the committee: two complaints came in about the captain",
    "off the record the vote count was 40 to 12",
    "forwarding the exec's internal memo about the budget",
    "minutes from the closed trustee meeting say the bar is shutting",
    "took a photo of the safeguarding log on the trip",
    "the society paypal login: user chesssoc_ad password Knight44",
    "cupboard code's 2207 btw",
])
def test_confidential_committee_matters_are_caught(text: str) -> None:
    assert rules_fired(text, "confidential.")


@pytest.mark.parametrize("text", [
    "the complaints procedure is on the SU website",
    "results are out on friday, good luck everyone",
    "keep it quiet in the library please",
    "posting the committee meeting time for next week",
    "forgot my password again lol",
    "the discount code is on the poster",
    "the public minutes from the AGM are up",
])
def test_everyday_committee_talk_is_left_alone(text: str) -> None:
    assert rules_fired(text, "confidential.") == []


@pytest.mark.parametrize("text", [
    "uploaded the paid udemy python course to the team drive",
    "cracked matlab is on the usb, no licence needed",
    "stripped the drm off the audiobook so we can all have it",
    "cropped out the watermark so it looks cleaner on the flyer",
    "reposted kez's illustration on our story without asking",
    "posted the poem on our page as if we wrote it",
    "scanned the whole anthology for the reading group",
    "torrent of the new marvel film in the group chat",
])
def test_copyright_breaches_are_caught(text: str) -> None:
    assert rules_fired(text, "copyright.")


@pytest.mark.parametrize("text", [
    "reposted sasha's drawing with her permission, go follow her",
    "used the photo with credit to the photographer",
    "the banner photo is CC BY 4.0 from wikimedia",
    "this poem is in the public domain so we printed it on the zine",
    "the library has the textbook as an ebook, log in with your uni account",
    "i took these photos myself at the gig",
    "used her pics for the poster, credited her in the caption",
])
def test_licensed_credited_and_permitted_use_is_left_alone(text: str) -> None:
    assert rules_fired(text, "copyright.") == []


def test_a_credit_that_was_never_given_is_no_credit() -> None:
    assert rules_fired("used her pics for the ball poster and never credited her", "copyright.")


@pytest.mark.parametrize("text", [
    "went down on him in the library loos lol",
    "had sex on the minibus back from tour",
    "she finished me off then i came all over her tits",
    "recording myself wanking on cam later, link in bio",
])
def test_explicit_descriptions_without_porn_words_are_caught(text: str) -> None:
    assert rules_fired(text, "explicit.")


@pytest.mark.parametrize("text", [
    "the anal fissure lecture was grim",
    "she blew him away in the final",
    "he gave a head start to the freshers",
    "got my head down for the exam",
    "sexual health clinic does free testing on tuesdays",
])
def test_clinical_and_idiomatic_words_are_left_alone(text: str) -> None:
    assert rules_fired(text, "explicit.") == []


def test_anything_sexual_involving_a_child_is_a_critical_nudge() -> None:
    text = "she's only 14 and she sends nudes to the lads"
    [match] = [m for m in load_default_scanner().scan(text).matches if m.rule_id == "explicit.minor"]
    assert (match.severity, match.tier) == (Severity.CRITICAL, Tier.NUDGE)
    assert rules_fired("my 15 year old brother is coming to the open day", "explicit.") == []
    assert rules_fired("the safeguarding training covers reporting child sexual exploitation", "explicit.") == []


@pytest.mark.parametrize("text", [
    "got some decent bud, £20 a bag, hmu",
    "ket for the social, dm for prices",
    "balloons and canisters for the flat party, £25 a box",
    "selling tren and anavar to the gym lads",
    "pinched a crate of prosecco from the bar stock, £5 a bottle",
    "rolex reps but nobody can tell, £80",
    "doing fake fit notes so you can skip the exam, £10",
    "can print copies of the gig tickets, the qr codes scan fine",
    "i'll sit your online exam for you, first guaranteed",
    "£60 per 1000 words, turnitin-proof",
    "can get you an id with whatever dob you need",
])
def test_illegal_offers_are_caught(text: str) -> None:
    assert rules_fired(text, "illegal.")


@pytest.mark.parametrize("text", [
    "the harm reduction talk covers ket and mdma testing",
    "mushroom risotto at the social, £5 a plate",
    "i was prescribed codeine after my op",
    "who wants a coke from the shop, £1.50 a can",
    "found a wallet in the library, handed it in to security",
    "printing the tickets for the ball tonight, bring them",
    "the mark scheme for the mock is on blackboard",
    "bake sale: brownies £1 each, flapjacks 3 for £2",
])
def test_everyday_offers_are_left_alone(text: str) -> None:
    assert rules_fired(text, "illegal.") == []


def test_review_tier_explicit_content_becomes_a_nudge_where_under_18s_read(tmp_path: Path) -> None:
    (tmp_path / "trial.yaml").write_text("""
pack: committee-trial
defaults: {clause: "5.5.2", category: Sexually explicit content, severity: medium}
rules:
  - id: society.flirty-slang
    kind: terms
    tier: review
    terms: [snoggleberry]
    examples: {match: ["fancy a snoggleberry"], no_match: ["snog"]}
""", encoding="utf-8")
    scanner = Scanner.from_directories([tmp_path])
    adults = scanner.scan("fancy a snoggleberry later")
    young = scanner.scan("fancy a snoggleberry later", ScanContext(audience=Audience.UNDER18))
    assert adults.held_for_review and not adults.flagged
    assert young.flagged


def test_only_explicit_illegal_and_unsuitable_clauses_are_raised() -> None:
    base = Match("x", "5.5.3", "Insult", 0, 4, Severity.MEDIUM, 0.8, tier=Tier.REVIEW)
    young = ScanContext(audience=Audience.UNDER18)
    assert for_audience(base, young).tier is Tier.REVIEW
    explicit = Match("x", "5.5.2", "Explicit", 0, 4, Severity.MEDIUM, 0.8, tier=Tier.REVIEW)
    assert for_audience(explicit, young).tier is Tier.NUDGE
    assert for_audience(explicit, ScanContext()).tier is Tier.REVIEW
