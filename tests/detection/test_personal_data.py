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
