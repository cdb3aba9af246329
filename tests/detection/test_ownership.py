"""Whose personal data a match is: each class of ownership in several phrasings, and what the scanner does with
it (own, consented and public details withdrawn with the reason; someone else's nudged; unsaid held for review)."""

from __future__ import annotations

import re

import pytest

from bot.detection.ownership import Ownership, classify
from bot.detection.scanner import load_default_scanner
from bot.models import Tier

_DETAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\+?\d[\d \-]{8,}\d|\d+[a-z]? [A-Za-z]+ (?:Road|Lane|Close|Street|"
                     r"road|lane|close|street)(?:, [A-Z0-9]{2,4} [A-Z0-9]{3})?")


def ownership_of(text: str) -> Ownership:
    found = _DETAIL.search(text)
    assert found is not None, text
    return classify(text, found.start(), found.end()).ownership


@pytest.mark.parametrize("text", [
    "text me on 07700 900555 if you get lost on the way",
    "my mobile's 07700 900556, ring whenever",
    "drop me an email at kim.t@example.com and i'll add you",
    "i'm at 9 Oak Road, come round from 8",
    "see you saturday\n- Priya, treasurer 07700 900557",
    "cheers, dom 07700 900558",
    "new phone, new number: 07700 900559",
    "tom (captain) 07700 900560",
    "lost property? message me, 07700 900561, bea x",
    "we've moved, the new place is 41 Hazel Street",
    "i'll be on 0116 496 0321 all weekend",
])
def test_the_posters_own_details(text: str) -> None:
    assert ownership_of(text) is Ownership.OWN


@pytest.mark.parametrize("text", [
    "she said it's fine to share: 07700 900562",
    "posting for grace, she asked me to, her number is 07700 900563",
    "with his permission, here's dev's email dev.k@example.com",
    "omar asked me to pass on his new address: 4 Birch Lane",
    "ana's ok'd it, her number for the lift share is 07700 900570",
    "on behalf of kwame: his email is kwame.o@example.org",
    "checked with lou and she doesn't mind, it's 07700 900571",
])
def test_details_shared_with_consent(text: str) -> None:
    assert ownership_of(text) is Ownership.CONSENTED


@pytest.mark.parametrize("text", [
    "the SU reception is 0116 496 0000",
    "campus security: 0116 496 0001, any time of night",
    "email president@example.ac.uk about the AGM",
    "welfare@example.org is checked every day",
    "the bar we booked is at 12 Granby Street",
    "book the minibus through the union on 0116 496 0002",
    "the tutor's office number is 0116 496 0100",
    "the taxi firm is 0116 496 0333, ask for the student rate",
])
def test_public_offices_roles_and_venues(text: str) -> None:
    assert ownership_of(text) is Ownership.PUBLIC


@pytest.mark.parametrize("text", [
    "here's kate's number 07700 900564 lol",
    "his email is raj.p@example.com, spam him",
    "got her number off the sign-up sheet, 07700 900565",
    "she lives at 3 Elm Close",
    "my sister's number is 07700 900566",  # "my" owns the sister, not the number
    "amy and her bf live at 3 Oak Road",
    "his parents' landline is 0116 496 0444, he's home all summer",
    "it's 07700 900567, she doesn't know i'm posting it",
])
def test_someone_elses_details(text: str) -> None:
    assert ownership_of(text) is Ownership.OTHERS


@pytest.mark.parametrize("text", ["07700 900566", "anyone know whose this is? 07700 900567"])
def test_unsaid_ownership_is_unknown(text: str) -> None:
    assert ownership_of(text) is Ownership.UNKNOWN


def test_a_refusal_beats_every_other_cue() -> None:
    text = "she's the president, her number is 07700 900568 but she never said i could give it out"
    assert ownership_of(text) is Ownership.OTHERS


def test_the_scanner_withdraws_own_details_and_says_why() -> None:
    text = "ring me on 07700 900569 if the coach is late"
    verdict = load_default_scanner().scan(text)
    assert not verdict.breached
    [(match, reason)] = [(m, why) for m, why in verdict.suppressed if m.rule_id == "pii.phone"]
    assert match.ownership == "own"
    assert "poster's own" in reason and "ring me" in reason
    assert text[match.start:match.end] == "07700 900569"


def test_the_scanner_nudges_someone_elses_number() -> None:
    text = "here's zoe's number 07700 900572, add her to the chat"
    [match] = [m for m in load_default_scanner().scan(text).matches if m.rule_id == "pii.phone"]
    assert (match.tier, match.ownership, text[match.start:match.end]) == (Tier.NUDGE, "others", "07700 900572")


def test_the_scanner_holds_unsaid_ownership_for_review() -> None:
    text = "07700 900573"
    verdict = load_default_scanner().scan(text)
    assert verdict.held_for_review and not verdict.flagged
    assert [m.ownership for m in verdict.matches] == ["unknown"]


def test_the_posters_own_card_number_is_held_for_review_not_withdrawn() -> None:
    text = "my card is 4111 1111 1111 1111, can someone book the minibus"
    [match] = load_default_scanner().scan(text).matches
    assert (match.rule_id, match.ownership, match.tier) == ("pii.payment-card", "own", Tier.REVIEW)
