"""Personal data through the real scanner: context decides student numbers and dates of birth, a number split
by a zero-width space is still found, and asking someone not to share a number does not hide it."""

from __future__ import annotations

import pytest

from bot.detection.scanner import load_default_scanner
from tests.detection.test_validators import HARD_NEGATIVES


def personal(text: str) -> list[tuple[str, str]]:
    verdict = load_default_scanner().scan(text)
    return [(m.rule_id, text[m.start:m.end]) for m in verdict.matches if m.clause == "5.5.5"]


@pytest.mark.parametrize(
    ("text", "rule", "span"),
    [
        ("here's Priya's number 07700 900123", "pii.phone", "07700 900123"),
        ("his email is sam.w@example.com", "pii.email", "sam.w@example.com"),
        ("she lives at 14 Victoria Road, LE2 1XY", "pii.street-address", "14 Victoria Road, LE2 1XY"),
        ("her student ID is 239012345", "pii.student-number", "239012345"),
        ("his DOB is 12/03/2004", "pii.date-of-birth", "12/03/2004"),
        ("his card 4111 1111 1111 1111 is in the drawer", "pii.payment-card", "4111 1111 1111 1111"),
        ("ring 07700\u200b900123", "pii.phone", "07700\u200b900123"),
        ("please don't share it, but her number is 07700 900456", "pii.phone", "07700 900456"),
    ],
)
def test_personal_data_is_flagged_under_5_5_5(text: str, rule: str, span: str) -> None:
    assert (rule, span) in personal(text)


@pytest.mark.parametrize(
    "text",
    [
        "order 239012345 shipped today",  # nine digits, but no one called it a student number
        "the deadline is 12/03/2025",  # a date, but not a birth date
        "meet at 14:30 in room 1.05, tickets £12.50",
        "version 3.11.7 fixed the bug, see ISBN 978-0-14-310123-7",
    ],
)
def test_numbers_without_personal_context_are_not_flagged(text: str) -> None:
    assert personal(text) == []


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_everyday_numbers_pass_the_whole_scanner_unflagged(text: str) -> None:
    assert personal(text) == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("book club: ISBN 978-0-14-310123-7, or ring me... no, ring Sam on 07700 900321", "07700 900321"),
        ("+44 7700 900654 is his", "+44 7700 900654"),
        ("(0116) 252 2522 is her landline", "(0116) 252 2522"),
    ],
)
def test_phone_numbers_are_found_beside_other_numbers(text: str, span: str) -> None:
    assert ("pii.phone", span) in personal(text)


@pytest.mark.parametrize("text", [
    "coach leaves from the SU car park, LE1 7RH, at 9",
    "venue is the Old Mill, LE2 1XY, doors at 7",
    "postcode for the satnav is NG7 2RD",
])
def test_a_postcode_alone_is_not_an_address(text: str) -> None:
    assert [rule for rule, _ in personal(text) if rule == "pii.postcode"] == []


@pytest.mark.parametrize(("text", "rule", "span"), [
    ("her card is 3056 930902 5904 exp 09/28", "pii.payment-card", "3056 930902 5904"),
    ("his maestro card 501800000009", "pii.payment-card", "501800000009"),
    ("jo's dob is 2004-03-12", "pii.date-of-birth", "2004-03-12"),
    ("full name and dob for anyone who wants it: sam lee, born 3 march '04", "pii.date-of-birth", "3 march '04"),
    ("his passport number is 533401372", "pii.passport-number", "533401372"),
    ("her NHS number is 943 476 5919", "pii.nhs-number", "943 476 5919"),
    ("dan lives at 7 orchard lane, LE3 9FF", "pii.street-address", "7 orchard lane, LE3 9FF"),
])
def test_new_detail_kinds_are_flagged_with_spans_on_the_original_text(text: str, rule: str, span: str) -> None:
    assert (rule, span) in personal(text)


def test_a_twelve_digit_number_needs_a_card_word() -> None:
    assert personal("order 501800000009 shipped") == []
